/*
 * cmd_report.c: `ermctl report`, orders, cancellations and net commission grouped by the
 * dimensions asked for, as a table, CSV or JSON: core/report_out renders what is printed
 * here, as it renders the web console's CSV download.
 */
#include "ctl/ctl_commands.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/report_out.h"
#include "ctl/cli.h"
#include "storage/report.h"

/* The text options go straight into the storage spec; --by and --format are checked. */
struct cmd_report_args {
    struct stor_report_spec spec;
    const char *by, *format;
    enum report_out_format fmt; /* checked from FORMAT */
};

/* Keeps a row of the report for the renderer; the first failure is kept in *RC. */
struct cmd_report_rows {
    struct report_out *out;
    int rc;
};

static void cmd_report_keep(void *arg, size_t ncols, const char *const *names,
                            const char *const *values)
{
    struct cmd_report_rows *k = arg;
    if (k->rc == 0)
        k->rc = report_out_row(k->out, ncols, names, values);
}

static int cmd_report_check(struct ctl_call *call)
{
    struct cmd_report_args *a = call->args;
    char err[1024];
    if (stor_report_parse_by(a->by, &a->spec, err, sizeof err) < 0)
        return cli_fail(EXIT_INPUT, "%s", err);
    if (report_out_parse_format(a->format, &a->fmt) < 0)
        return cli_fail(EXIT_INPUT, "--format: \"%s\" is not table, csv or json", a->format);
    return CLI_CONTINUE;
}

/* Runs the report and renders it into *TEXT (*LEN bytes; the caller frees). 0 or -errno
 * with ERR. */
static int cmd_report_render(struct ctl_call *call, char **text, size_t *len, char *err,
                             size_t errlen)
{
    const struct cmd_report_args *a = call->args;
    struct cmd_report_rows k = {report_out_new(), 0};
    int rc = -ENOMEM;
    if (k.out != NULL &&
        (rc = stor_report(call->adm, &a->spec, cmd_report_keep, &k, err, errlen)) < 0)
        goto fail; /* ERR says why */
    if (rc == 0 && (rc = k.rc) == 0)
        rc = report_out_render(k.out, a->fmt, text, len);
    if (rc < 0)
        snprintf(err, errlen, "report: %s", strerror(-rc));
fail:
    report_out_free(k.out);
    return rc;
}

static int cmd_report_run(struct ctl_call *call)
{
    char err[1024], *text = NULL;
    size_t len = 0;
    int rc = cmd_report_render(call, &text, &len, err, sizeof err);
    if (rc == 0 && fwrite(text, 1, len, stdout) != len) {
        rc = -EIO;
        snprintf(err, sizeof err, "report: %s", strerror(errno));
    }
    free(text);
    return rc < 0 ? cli_fail_rc(rc, err) : 0;
}

#define REPORT_FIELD(member) offsetof(struct cmd_report_args, member)

static const struct ctl_option cmd_report_opts[] = {
    {"by", "DIM[,DIM...]", 1, "employee, team, dept, product, day: one or several",
     REPORT_FIELD(by)},
    {"from", "YYYY-MM-DD", 0, "orders placed on or after this day (Asia/Shanghai)",
     REPORT_FIELD(spec.from)},
    {"to", "YYYY-MM-DD", 0, "orders placed on or before this day", REPORT_FIELD(spec.to)},
    {"product", "CODE", 0, "one product only", REPORT_FIELD(spec.product)},
    {"dept", "DEPT", 0, "one department only (orders of codes held by its employees)",
     REPORT_FIELD(spec.dept)},
    {"format", "table|csv|json", 0, "output (default table; csv is UTF-8 with a BOM)",
     REPORT_FIELD(format)},
};
#undef REPORT_FIELD

const struct ctl_command cmd_report = {
    .name = "report",
    .usage = "--by DIM[,DIM...] [--from DATE --to DATE] [--product CODE] [--dept DEPT]\n"
             "       [--format table|csv|json]",
    .summary = "orders, cancellations, net commission",
    .about = "Orders, cancelled orders and net commission (yuan) from the commission\n"
             "ledger, grouped by the dimensions of --by. Orders count to the day they\n"
             "were placed; a cancellation counts to its order's day.",
    CLI_OPTIONS(cmd_report_opts),
    .args_size = sizeof(struct cmd_report_args),
    .needs_db = 1,
    .check = cmd_report_check,
    .run = cmd_report_run,
};
