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
#include "storage/report_text.h"

/* The text options go straight into the storage spec; --by and --format are checked. */
struct cmd_report_args {
    struct stor_report_spec spec;
    const char *by, *format;
    enum report_out_format fmt; /* checked from FORMAT */
};

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

static int cmd_report_run(struct ctl_call *call)
{
    char err[1024], *text = NULL;
    size_t len = 0;
    const struct cmd_report_args *a = call->args;
    int rc = stor_report_render(call->adm, &a->spec, a->fmt, &text, &len, err, sizeof err);
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
