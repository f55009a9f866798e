/*
 * report_out.c: the report's table, CSV and JSON of report_out.h. Every cell a person reads
 * (table and CSV) goes through report_out_cell(), the one place where the null group gets
 * its marker and a formula-looking value its leading quote.
 */
#include "core/report_out.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/textwidth.h"

/* What the table and the CSV show for the null group (a real "-" is shown as '-). */
#define REPORT_OUT_NULL "-"

struct report_out {
    size_t ncols, nrows, cap;
    const char *names[REPORT_OUT_MAX_COLS];
    char **cells; /* nrows * ncols, malloc'd copies; NULL for the null group */
};

/* A growing text; OOM set once anything failed to fit (the rest is then skipped). */
struct report_out_buf {
    char *p;
    size_t len, cap;
    int oom;
};

struct report_out *report_out_new(void)
{
    return calloc(1, sizeof(struct report_out));
}

void report_out_free(struct report_out *o)
{
    if (o == NULL)
        return;
    for (size_t i = 0; i < o->nrows * o->ncols; i++)
        free(o->cells[i]);
    free(o->cells);
    free(o);
}

size_t report_out_rows(const struct report_out *o)
{
    return o->nrows;
}

int report_out_row(struct report_out *o, size_t ncols, const char *const *names,
                   const char *const *values)
{
    if (ncols == 0 || ncols > REPORT_OUT_MAX_COLS || (o->nrows > 0 && ncols != o->ncols))
        return -EINVAL;
    if (o->nrows == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        char **grown = realloc(o->cells, cap * ncols * sizeof *grown);
        if (grown == NULL)
            return -ENOMEM;
        o->cells = grown;
        o->cap = cap;
    }
    char **row = o->cells + o->nrows * ncols;
    for (size_t c = 0; c < ncols; c++) {
        row[c] = NULL;
        if (values[c] != NULL && (row[c] = strdup(values[c])) == NULL) {
            while (c-- > 0)
                free(row[c]);
            return -ENOMEM;
        }
    }
    o->ncols = ncols;
    memcpy(o->names, names, ncols * sizeof *names);
    o->nrows++;
    return 0;
}

int report_out_parse_format(const char *name, enum report_out_format *fmt)
{
    static const char *const names[] = {"table", "csv", "json"};
    if (name == NULL)
        name = "table";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) {
            *fmt = (enum report_out_format)i;
            return 0;
        }
    return -EINVAL;
}

int report_out_is_formula(const char *s)
{
    return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

static int report_out_is_figure(const struct report_out *o, size_t c)
{
    return c + REPORT_OUT_FIGURES >= o->ncols;
}

/* The cell of row R (0: the header) and column C as a person reads it: *PREFIX, *TEXT. */
static void report_out_cell(const struct report_out *o, size_t r, size_t c, const char **prefix,
                            const char **text)
{
    const char *v = r == 0 ? o->names[c] : o->cells[(r - 1) * o->ncols + c];
    *prefix = "";
    *text = v != NULL ? v : REPORT_OUT_NULL;
    if (v != NULL && !report_out_is_figure(o, c) && report_out_is_formula(v))
        *prefix = "'";
}

static void report_out_put(struct report_out_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void report_out_puts(struct report_out_buf *b, const char *s)
{
    report_out_put(b, s, strlen(s));
}

static void report_out_spaces(struct report_out_buf *b, size_t n)
{
    static const char spaces[] = "                                ";
    while (n > 0) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        report_out_put(b, spaces, k);
        n -= k;
    }
}

/* Display columns of the cell at R, C. */
static size_t report_out_width(const struct report_out *o, size_t r, size_t c)
{
    const char *prefix, *text;
    report_out_cell(o, r, c, &prefix, &text);
    return textwidth(prefix) + textwidth(text);
}

static void report_out_table(const struct report_out *o, struct report_out_buf *b)
{
    size_t w[REPORT_OUT_MAX_COLS];
    if (o->nrows == 0) {
        report_out_puts(b, "no orders\n");
        return;
    }
    for (size_t c = 0; c < o->ncols; c++) {
        w[c] = 0;
        for (size_t r = 0; r <= o->nrows; r++) {
            size_t cw = report_out_width(o, r, c);
            w[c] = cw > w[c] ? cw : w[c];
        }
    }
    for (size_t r = 0; r <= o->nrows; r++) {
        for (size_t c = 0; c < o->ncols; c++) {
            const char *prefix, *text;
            size_t pad = w[c] - report_out_width(o, r, c);
            report_out_cell(o, r, c, &prefix, &text);
            report_out_puts(b, c ? "  " : "");
            if (report_out_is_figure(o, c))
                report_out_spaces(b, pad);
            report_out_puts(b, prefix);
            report_out_puts(b, text);
            if (!report_out_is_figure(o, c))
                report_out_spaces(b, pad);
        }
        report_out_puts(b, "\n");
    }
}

/* A spreadsheet's CSV: every field quoted, quotes doubled, CRLF. */
static void report_out_csv(const struct report_out *o, struct report_out_buf *b)
{
    report_out_puts(b, "\xEF\xBB\xBF"); /* the BOM: spreadsheets read the file as UTF-8 */
    for (size_t r = 0; o->nrows > 0 && r <= o->nrows; r++)
        for (size_t c = 0; c < o->ncols; c++) {
            const char *prefix, *text;
            report_out_cell(o, r, c, &prefix, &text);
            report_out_puts(b, "\"");
            report_out_puts(b, prefix);
            for (const char *q; (q = strchr(text, '"')) != NULL; text = q + 1) {
                report_out_put(b, text, (size_t)(q - text + 1));
                report_out_puts(b, "\""); /* a quote doubled */
            }
            report_out_puts(b, text);
            report_out_puts(b, c + 1 == o->ncols ? "\"\r\n" : "\",");
        }
}

static void report_out_json_string(struct report_out_buf *b, const char *s)
{
    report_out_puts(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char esc[8];
        if (ch == '"' || ch == '\\')
            snprintf(esc, sizeof esc, "\\%c", ch);
        else if (ch < 0x20)
            snprintf(esc, sizeof esc, "\\u%04x", ch);
        else {
            report_out_put(b, s, 1);
            continue;
        }
        report_out_puts(b, esc);
    }
    report_out_puts(b, "\"");
}

/* An array of objects; orders and cancelled are numbers, commission yuan text ("15.00"),
 * exact. */
static void report_out_json(const struct report_out *o, struct report_out_buf *b)
{
    report_out_puts(b, "[");
    for (size_t r = 0; r < o->nrows; r++) {
        report_out_puts(b, r ? ",\n  {" : "\n  {");
        for (size_t c = 0; c < o->ncols; c++) {
            const char *v = o->cells[r * o->ncols + c];
            report_out_puts(b, c ? ", " : "");
            report_out_json_string(b, o->names[c]);
            report_out_puts(b, ": ");
            if (v == NULL)
                report_out_puts(b, "null");
            else if (report_out_is_figure(o, c) && c + 1 < o->ncols)
                report_out_puts(b, v);
            else
                report_out_json_string(b, v);
        }
        report_out_puts(b, "}");
    }
    report_out_puts(b, o->nrows ? "\n]\n" : "]\n");
}

int report_out_render(const struct report_out *o, enum report_out_format fmt, char **text,
                      size_t *len)
{
    struct report_out_buf b = {0};
    report_out_put(&b, "", 0); /* an empty render is "" rather than NULL */
    if (fmt == REPORT_OUT_TABLE)
        report_out_table(o, &b);
    else if (fmt == REPORT_OUT_CSV)
        report_out_csv(o, &b);
    else
        report_out_json(o, &b);
    if (b.oom) {
        free(b.p);
        *text = NULL;
        return -ENOMEM;
    }
    *text = b.p;
    *len = b.len;
    return 0;
}
