/*
 * employee.h: an employee as an operator registers one (by hand or by a row of an HR
 * import file), and the checks that need no database: the fields, and a file's rows
 * against each other (the same id or number twice). storage/people.h stores them, checking
 * again, and refuses what the database knows better (a number another employee has).
 * Pure functions, no I/O.
 */
#ifndef ERM_EMPLOYEE_H
#define ERM_EMPLOYEE_H

#include <stddef.h>

#include "core/msisdn.h"

#define EMPLOYEE_ID_MAX   32  /* characters of an employee id */
#define EMPLOYEE_DEPT_MAX 100 /* characters of a department */

/* The columns of an import file, in order: its header is id,name,msisdn,dept. */
#define EMPLOYEE_COLUMNS 4
extern const char *const employee_columns[EMPLOYEE_COLUMNS];

/* A new employee; strings are the caller's. */
struct employee_spec {
    const char *id;     /* 1..EMPLOYEE_ID_MAX printable ASCII characters, no spaces; a new
                           one does not start with = + - @ (a spreadsheet's formula) */
    const char *name;   /* 1..FIELD_NAME_MAX characters, no control characters */
    const char *msisdn; /* any form msisdn_normalize() accepts */
    const char *dept;   /* at most EMPLOYEE_DEPT_MAX characters; NULL = "" */
};

/* One employee row of an import file: LINE is its line number, for the report. */
struct employee_row {
    unsigned line;
    struct employee_spec spec;
};

/* Called for each bad row of an import with its LINE and the REASON (one line, naming the
 * column: "msisdn: \"1380000\" is not an 11-digit mobile number"); strings are valid
 * during the call only. */
typedef void (*employee_bad_cb)(void *arg, unsigned line, const char *reason);

/* 1 when ID is an employee id: 1..EMPLOYEE_ID_MAX printable ASCII characters, no spaces. */
int employee_is_id(const char *id);

/* 1 when ID has the length of an employee id (1..EMPLOYEE_ID_MAX bytes), whatever its
 * characters: what a claim asks before the database says whether the employee exists. */
int employee_id_fits(const char *id);

/* Checks SPEC with its fields named as ermctl's options ("--id", "--msisdn", ...) and
 * writes the normalised number into MSISDN (MSISDN_LEN + 1 bytes, may be NULL). 0, or
 * -EINVAL with one line in ERR (ERRLEN bytes), e.g.
 *   --msisdn: "1380000" is not an 11-digit mobile number */
int employee_check(const struct employee_spec *spec, char *msisdn, char *err, size_t errlen);

/* Checks the N ROWS of an import file without the database: every field (named as the
 * file's columns: "msisdn: ..."), and the same id or number twice in the file (the later
 * line is reported: "id: E001 is also on line 2"). Reports each bad row to BAD and returns
 * how many there were, or -ENOMEM. */
int employee_rows_check(const struct employee_row *rows, size_t n, employee_bad_cb bad, void *arg);

/* employee_rows_check(), keeping each row's normalised number in MSISDN (N entries): ""
 * for a row whose fields are bad. */
int employee_rows_check_numbers(const struct employee_row *rows, size_t n,
                                char (*msisdn)[MSISDN_LEN + 1], employee_bad_cb bad, void *arg);

#endif
