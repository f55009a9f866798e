/*
 * people.h: employees and virtual teams on ermctl's blocking connection (storage/admin.h):
 * adding an employee, importing an HR file all or nothing, deactivating a leaver, creating
 * a team and adding members. core/employee.h and core/team.h check the fields first; here
 * the database says what it knows better (an id or number taken, an unknown leader).
 * Errors as admin.h says.
 */
#ifndef ERM_PEOPLE_H
#define ERM_PEOPLE_H

#include <stddef.h>

#include "core/employee.h"
#include "core/team.h"
#include "storage/admin.h"

/* Adds SPEC, checked with employee_check() first. MSISDN (may be NULL) gets the normalised
 * number. -EEXIST when the id or the number is taken (the message says by whom). */
int stor_employee_add(struct stor_admin *adm, const struct employee_spec *spec, char *msisdn,
                      char *err, size_t errlen);

struct stor_import_counts {
    unsigned added, updated, unchanged;
};

/* Imports the N ROWS all or nothing, checked with employee_rows_check() first: new ids
 * are added, known ids get the row's name, number and department (an unchanged row writes
 * nothing; deactivated employees stay deactivated). Numbers may move between employees of
 * the file (a swap is fine); a number that belongs to an employee who is not in the file
 * is a bad row. DEPT (NULL or "" for every department: ermctl, a manager of all) is a
 * department's manager's scope: a row of another department, or of an employee who is in
 * another department now, is a bad row. On any bad row every one is reported to BAD,
 * nothing is written and -EINVAL is returned (ERR says how many). COUNTS gets what was
 * done; with DRY_RUN it is worked out and rolled back. */
int stor_employee_import(struct stor_admin *adm, const char *dept, const struct employee_row *rows,
                         size_t n, int dry_run, employee_bad_cb bad, void *arg,
                         struct stor_import_counts *counts, char *err, size_t errlen);

/* Deactivates employee ID (a leaver): their codes take no new orders (customers are told
 * the code is no longer valid), they cannot claim, pushes skip them; history stays.
 * *CODES (may be NULL) gets how many codes they hold; *WAS_INACTIVE (may be NULL) 1 when
 * they already were. -ENOENT unknown. */
int stor_employee_deactivate(struct stor_admin *adm, const char *id, int *was_inactive,
                             long long *codes, char *err, size_t errlen);

/* Creates virtual team NAME (1..40 characters, one line) led by active employee LEADER,
 * who is its first member, sharing commission by SPLIT ("equal" or "leader"; NULL = equal).
 * -EEXIST when the name is taken, -ENOENT unknown leader, -EPERM deactivated leader. */
int stor_team_create(struct stor_admin *adm, const char *name, const char *leader,
                     const char *split, char *err, size_t errlen);

/* Adds SPEC's member to its team. *ALREADY (may be NULL) is set to 1 when they already were
 * a member (nothing written). MSISDN (MSISDN_LEN + 1 bytes, may be NULL) gets the member's
 * number. -ENOENT unknown team or employee, -EPERM deactivated employee, -EEXIST a number
 * that is an employee's (add them with --employee) or already in the team under another
 * name, -EINVAL bad field. */
int stor_team_add(struct stor_admin *adm, const struct team_member_spec *spec, int *already,
                  char *msisdn, char *err, size_t errlen);

#endif
