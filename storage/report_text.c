/*
 * report_text.c: stor_report_render() of report_text.h: stor_report()'s rows kept in a
 * core/report_out set, then rendered.
 */
#include "storage/report_text.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/field.h"

/* Keeps a row of the report for the renderer; the first failure is kept in RC. */
struct report_text_rows {
    struct report_out *out;
    int rc;
};

static void report_text_keep(void *arg, size_t ncols, const char *const *names,
                             const char *const *values)
{
    struct report_text_rows *k = arg;
    if (k->rc == 0)
        k->rc = report_out_row(k->out, ncols, names, values);
}

int stor_report_render(struct stor_admin *adm, const struct stor_report_spec *spec,
                       enum report_out_format fmt, char **text, size_t *len, char *err,
                       size_t errlen)
{
    struct report_text_rows k = {report_out_new(), 0};
    int rc = k.out == NULL ? -ENOMEM : stor_report(adm, spec, report_text_keep, &k, err, errlen);
    *text = NULL;
    if (rc == 0 && (rc = k.rc) == 0)
        rc = report_out_render(k.out, fmt, text, len);
    report_out_free(k.out);
    if (rc == -ENOMEM)
        field_error(err, errlen, rc, "report: out of memory");
    else if (rc < 0 && k.rc < 0)
        field_error(err, errlen, rc, "report: %s", strerror(-rc));
    return rc;
}
