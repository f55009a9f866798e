/*
 * report_text.h: the report (storage/report.h) run and rendered by core/report_out.h in one
 * call, so every front end that shows it (ermweb's table and CSV download; ermctl's
 * `report --format` can call it the same way) gets the very same bytes. Errors as admin.h
 * says.
 */
#ifndef ERM_REPORT_TEXT_H
#define ERM_REPORT_TEXT_H

#include <stddef.h>

#include "core/report_out.h"
#include "storage/report.h"

/* Runs the report of SPEC on ADM and renders its rows as FMT into *TEXT (malloc'd,
 * NUL-terminated, the caller frees it; NULL on error) of *LEN bytes. 0 or -errno with ERR. */
int stor_report_render(struct stor_admin *adm, const struct stor_report_spec *spec,
                       enum report_out_format fmt, char **text, size_t *len, char *err,
                       size_t errlen);

#endif
