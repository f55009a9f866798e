/*
 * fuzz_report_out.c: libFuzzer target for the report renderer (core/report_out.c), which
 * writes names and departments from the HR file and the SMS into a spreadsheet's CSV. The
 * first byte gives the columns (4 to 8: the last three figures); the rest, split at
 * newlines, gives the cells row by row (a cell "\x1e" is the null group). Every format is
 * rendered. Checks: the text is one string of the length returned; the table has a line
 * per row and the header; JSON is an array; and the CSV, read back record by record with
 * the import's own CSV line reader (core/csvline.c), gives every cell as a person must see
 * it: the null group "-", a figure as it is, any other value with a leading ' when it
 * begins with = + - @ tab or CR.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvline.h"
#include "core/report_out.h"

#define FUZZ_REPORT_MAX_CELLS 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_report_check(int cond)
{
    if (!cond)
        abort();
}

/* The cells: pointers into TEXT (split in place at newlines), NULL for "\x1e". */
static size_t fuzz_report_cells(char *text, const char **cells)
{
    size_t n = 0;
    for (char *p = text; n < FUZZ_REPORT_MAX_CELLS;) {
        char *end = strchr(p, '\n');
        if (end != NULL)
            *end = '\0';
        cells[n++] = strcmp(p, "\x1e") == 0 ? NULL : p;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return n;
}

/* Reads the CSV back: the BOM, then NROWS + 1 records of NCOLS fields each, every field as
 * CELLS (row-major, after the header NAMES) must show. */
static void fuzz_report_csv(char *csv, size_t ncols, size_t nrows, const char *const *names,
                            const char *const *cells)
{
    fuzz_report_check(strncmp(csv, "\xEF\xBB\xBF", 3) == 0);
    char *p = csv + 3;
    char *fields[REPORT_OUT_MAX_COLS];
    const char *why;
    for (size_t r = 0; nrows > 0 && r <= nrows; r++) {
        char *end = strstr(p, "\r\n");
        fuzz_report_check(end != NULL);
        *end = '\0';
        fuzz_report_check(csvline_split(p, fields, REPORT_OUT_MAX_COLS, &why) == (int)ncols);
        for (size_t c = 0; c < ncols; c++) {
            const char *v = r == 0 ? names[c] : cells[(r - 1) * ncols + c];
            int figure = c + REPORT_OUT_FIGURES >= ncols;
            if (v == NULL)
                fuzz_report_check(strcmp(fields[c], "-") == 0);
            else if (!figure && report_out_is_formula(v))
                fuzz_report_check(fields[c][0] == '\'' && strcmp(fields[c] + 1, v) == 0);
            else
                fuzz_report_check(strcmp(fields[c], v) == 0);
        }
        p = end + 2;
    }
    fuzz_report_check(*p == '\0');
}

/* Renders O as FMT; the text is returned (the caller frees) after the common checks. */
static char *fuzz_report_render(const struct report_out *o, enum report_out_format fmt)
{
    char *text = NULL;
    size_t len = 0;
    if (report_out_render(o, fmt, &text, &len) < 0)
        return NULL;
    fuzz_report_check(text != NULL && strlen(text) == len);
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"employee", "name",   "team",      "dept",
                                        "day",      "orders", "cancelled", "commission"};
    static const char *cells[FUZZ_REPORT_MAX_CELLS];
    if (size < 1)
        return 0;
    size_t ncols = 4 + data[0] % 5, nrows = 0;
    const char *const *colnames = names + (sizeof names / sizeof names[0] - ncols);
    char *text = malloc(size);
    struct report_out *o = report_out_new();
    if (text == NULL || o == NULL)
        goto done;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    size_t n = fuzz_report_cells(text, cells);
    for (; (nrows + 1) * ncols <= n; nrows++)
        if (report_out_row(o, ncols, colnames, cells + nrows * ncols) < 0)
            goto done;
    fuzz_report_check(report_out_rows(o) == nrows);
    char *t = fuzz_report_render(o, REPORT_OUT_TABLE);
    if (t != NULL) {
        size_t lines = 0;
        for (const char *p = t; (p = strchr(p, '\n')) != NULL; p++)
            lines++;
        /* A cell may hold no newline (they split the input), so lines are rows. */
        fuzz_report_check(nrows == 0 ? strcmp(t, "no orders\n") == 0 : lines == nrows + 1);
        free(t);
    }
    t = fuzz_report_render(o, REPORT_OUT_JSON);
    if (t != NULL) {
        fuzz_report_check(t[0] == '[' && strcmp(t + strlen(t) - 2, "]\n") == 0);
        free(t);
    }
    t = fuzz_report_render(o, REPORT_OUT_CSV);
    if (t != NULL) {
        fuzz_report_csv(t, ncols, nrows, colnames, cells);
        free(t);
    }
done:
    report_out_free(o);
    free(text);
    return 0;
}
