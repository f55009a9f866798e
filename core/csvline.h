/*
 * csvline.h: one line of a CSV file, as the HR import reads it (a file exported from Excel
 * or a HR system): fields split at commas, quoted fields that may hold commas and doubled
 * quotes, spaces around unquoted fields dropped, and the header line checked against the
 * columns expected. Pure functions, no I/O, no allocation.
 */
#ifndef ERM_CSVLINE_H
#define ERM_CSVLINE_H

/* Splits the CSV line LINE (one line, without its line end; modified in place: quotes
 * removed, fields NUL-terminated) into FIELDS (the caller's; at most MAX kept, pointing
 * into LINE). Quoted fields may hold commas and doubled quotes; spaces and tabs around
 * unquoted fields, and around quoted ones, are dropped. Returns the number of fields
 * (also those beyond MAX), or -1 with *WHY set to a static one-line reason:
 *   a quoted field is not closed (fields cannot span lines)
 *   text after a closing quote
 *   a quote inside an unquoted field */
int csvline_split(char *line, char **fields, int max, const char **why);

/* 1 when the N header FIELDS are exactly the NWANT names of WANT, in order, in any case
 * ("ID,Name,MSISDN,Dept" for id,name,msisdn,dept); else 0. */
int csvline_header_ok(char *const *fields, int n, const char *const *want, int nwant);

#endif
