/*
 * cmd_report.c: `ermctl report`, orders, cancellations and net commission grouped by the
 * dimensions asked for, as a table, CSV or JSON.
 */
#include "ctl/ctl_commands.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/textwidth.h"
#include "ctl/cli.h"
#include "storage/report.h"

enum cmd_report_format { REPORT_TABLE, REPORT_CSV, REPORT_JSON };

/* The text options go straight into the storage spec; --by and --format are checked. */
struct cmd_report_args {
    struct stor_report_spec spec;
    const char *by, *format;
    enum cmd_report_format fmt; /* checked from FORMAT */
};

/* The report's rows, kept to size the table's columns. */
struct cmd_report_rows {
    size_t ncols, nrows;
    const char *names[STOR_REPORT_MAX_COLS];
    char **cells; /* nrows * ncols, strdup'd */
    int oom;
};

static void cmd_report_keep(void *arg, size_t ncols, const char *const *names,
                            const char *const *values)
{
    struct cmd_report_rows *o = arg;
    char **grown = o->oom ? NULL : realloc(o->cells, (o->nrows + 1) * ncols * sizeof *grown);
    if (grown == NULL) {
        o->oom = 1;
        return;
    }
    o->cells = grown;
    o->ncols = ncols;
    for (size_t c = 0; c < ncols; c++) {
        o->names[c] = names[c];
        if ((grown[o->nrows * ncols + c] = strdup(values[c])) == NULL)
            o->oom = 1;
    }
    o->nrows++;
}

/* The last three columns (orders, cancelled, commission) are figures. */
static int cmd_report_is_figure(const struct cmd_report_rows *o, size_t c)
{
    return c + 3 >= o->ncols;
}

static void cmd_report_table(const struct cmd_report_rows *o)
{
    size_t w[STOR_REPORT_MAX_COLS];
    char cell[512];
    for (size_t c = 0; c < o->ncols; c++) {
        w[c] = textwidth(o->names[c]);
        for (size_t r = 0; r < o->nrows; r++) {
            size_t cw = textwidth(o->cells[r * o->ncols + c]);
            w[c] = cw > w[c] ? cw : w[c];
        }
    }
    for (size_t r = 0; r <= o->nrows; r++) {
        for (size_t c = 0; c < o->ncols; c++) {
            const char *v = r == 0 ? o->names[c] : o->cells[(r - 1) * o->ncols + c];
            textwidth_pad(v, w[c], cmd_report_is_figure(o, c), cell, sizeof cell);
            printf("%s%s", c ? "  " : "", cell[0] ? cell : v);
        }
        putchar('\n');
    }
}

/* A spreadsheet's CSV: every field quoted, quotes doubled, CRLF. */
static void cmd_report_csv_field(const char *s, int last)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    fputs(last ? "\"\r\n" : "\",", stdout);
}

static void cmd_report_csv(const struct cmd_report_rows *o)
{
    fputs("\xEF\xBB\xBF", stdout); /* the BOM: spreadsheets read the file as UTF-8 */
    for (size_t r = 0; r <= o->nrows; r++)
        for (size_t c = 0; c < o->ncols; c++)
            cmd_report_csv_field(r == 0 ? o->names[c] : o->cells[(r - 1) * o->ncols + c],
                                 c + 1 == o->ncols);
}

static void cmd_report_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

/* An array of objects; orders and cancelled are numbers, commission yuan text ("15.00"),
 * exact. */
static void cmd_report_json(const struct cmd_report_rows *o)
{
    printf("[");
    for (size_t r = 0; r < o->nrows; r++) {
        printf("%s\n  {", r ? "," : "");
        for (size_t c = 0; c < o->ncols; c++) {
            const char *v = o->cells[r * o->ncols + c];
            printf("%s\"%s\": ", c ? ", " : "", o->names[c]);
            if (cmd_report_is_figure(o, c) && c + 1 < o->ncols)
                fputs(v, stdout);
            else
                cmd_report_json_string(v);
        }
        printf("}");
    }
    printf("%s]\n", o->nrows ? "\n" : "");
}

static int cmd_report_check(struct ctl_call *call)
{
    struct cmd_report_args *a = call->args;
    char err[1024];
    if (stor_report_parse_by(a->by, &a->spec, err, sizeof err) < 0)
        return cli_fail(EXIT_INPUT, "%s", err);
    const char *fmt = a->format ? a->format : "table";
    if (strcmp(fmt, "table") == 0)
        a->fmt = REPORT_TABLE;
    else if (strcmp(fmt, "csv") == 0)
        a->fmt = REPORT_CSV;
    else if (strcmp(fmt, "json") == 0)
        a->fmt = REPORT_JSON;
    else
        return cli_fail(EXIT_INPUT, "--format: \"%s\" is not table, csv or json", fmt);
    return CLI_CONTINUE;
}

static int cmd_report_run(struct ctl_call *call)
{
    const struct cmd_report_args *a = call->args;
    struct cmd_report_rows out = {0};
    char err[1024];
    int rc = stor_report(call->adm, &a->spec, cmd_report_keep, &out, err, sizeof err);
    if (rc == 0 && out.oom)
        rc = -ENOMEM, snprintf(err, sizeof err, "report: out of memory");
    if (rc == 0 && a->fmt == REPORT_TABLE && out.nrows == 0)
        printf("no orders\n");
    else if (rc == 0)
        (a->fmt == REPORT_TABLE ? cmd_report_table
         : a->fmt == REPORT_CSV ? cmd_report_csv
                                : cmd_report_json)(&out);
    for (size_t i = 0; i < out.nrows * out.ncols; i++)
        free(out.cells[i]);
    free(out.cells);
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
