/*
 * report_out.h: the report's rows written out as a manager reads them: an aligned table for
 * the terminal, CSV for a spreadsheet, JSON for a program. ermctl prints what this renders
 * and the web console (ermweb) serves the same bytes as its CSV download, so the two can
 * never differ. Pure functions, no I/O: rows are kept in memory, the text is rendered into a
 * buffer the caller frees.
 *
 * A row holds the report's dimension columns, then its three figures (orders, cancelled,
 * commission in yuan text such as "-5.00"). A NULL value is the null group (orders of no
 * employee, team or department): "-" in the table and CSV, null in JSON. A real value
 * that begins with a character a spreadsheet reads as the start of a formula (= + - @, tab,
 * carriage return) is written with a leading ' (the OWASP rule against CSV formula
 * injection) in the table as in the CSV, so a real "-" shows as '- and never as the null
 * group. Figures are written as they are.
 */
#ifndef ERM_REPORT_OUT_H
#define ERM_REPORT_OUT_H

#include <stddef.h>

/* Columns of a row at most (the dimensions' and the figures). */
#define REPORT_OUT_MAX_COLS 16
/* The last REPORT_OUT_FIGURES columns of a row are figures: orders, cancelled, commission. */
#define REPORT_OUT_FIGURES 3

enum report_out_format { REPORT_OUT_TABLE, REPORT_OUT_CSV, REPORT_OUT_JSON };

/* The report's rows, kept to size the table's columns. Opaque. */
struct report_out;

/* A new, empty set of rows: the caller's (report_out_free), or NULL without memory. */
struct report_out *report_out_new(void);

void report_out_free(struct report_out *o);

/* Adds a row of NCOLS (1..REPORT_OUT_MAX_COLS, the same for every row) VALUES under the
 * column NAMES (static strings: kept, not copied; plain ASCII). Values are copied; a NULL
 * value is the null group. 0, -EINVAL (a count unlike the first row's) or -ENOMEM. */
int report_out_row(struct report_out *o, size_t ncols, const char *const *names,
                   const char *const *values);

/* Rows added so far. */
size_t report_out_rows(const struct report_out *o);

/* "table", "csv" or "json" into *FMT (NULL means "table"). 0 or -EINVAL. */
int report_out_parse_format(const char *name, enum report_out_format *fmt);

/* Renders the rows as FMT into *TEXT (NUL-terminated, malloc'd: the caller frees it), *LEN
 * its bytes. 0 or -ENOMEM (*TEXT NULL).
 *  table: a header line and a line per row, columns two spaces apart, padded to their
 *         display width (Chinese two columns), figures right-aligned; "no orders\n" for none.
 *  csv:   the UTF-8 BOM, then the header and a record per row, every field quoted (quotes
 *         doubled), CRLF after each record; only the BOM for no rows.
 *  json:  an array of objects by column name; orders and cancelled numbers, commission a
 *         string ("15.00", exact), the null group null. */
int report_out_render(const struct report_out *o, enum report_out_format fmt, char **text,
                      size_t *len);

/* 1 when the cell text S would start a formula in a spreadsheet (= + - @, tab, CR first). */
int report_out_is_formula(const char *s);

#endif
