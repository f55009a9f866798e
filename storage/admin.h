/*
 * admin.h: the blocking connection behind ermctl's administrative operations, which live
 * in the files of what they store: storage/pool.h (products), storage/people.h (employees
 * and teams), storage/handout.h (hand-out and claims of codes), storage/optout.h (the
 * opted-out list) and storage/report.h. Each operation is one transaction: it either
 * commits whole or writes nothing.
 *
 * Errors: every function of those files returns 0 or a negative errno and, on error,
 * writes one line into the caller's ERR buffer (ERRLEN bytes) with its context, e.g.
 *   --msisdn: "1380000" is not an 11-digit mobile number
 *   --code: 100 clashes with product 10 "流量包" (quota 100)
 *   connect: connection to server on socket "/tmp/.s.PGSQL.5432" failed: ...
 * Fields are named as ermctl's options name them, so the CLI prints the line as it is.
 * stor_admin_input_error() tells the input's fault (the field is named) from a runtime
 * failure (database unreachable, unexpected SQL error). Nothing is logged: the caller
 * decides where ERR goes.
 */
#ifndef ERM_ADMIN_H
#define ERM_ADMIN_H

#include <stddef.h>

struct stor_admin;

/* Connects (blocking) with CONNINFO ("" or NULL = the PG* environment variables). On
 * success *OUT is the caller's until stor_admin_close(). -ECONNREFUSED when the database
 * cannot be reached, -EINVAL for a malformed CONNINFO, -ENOMEM. */
int stor_admin_connect(const char *conninfo, struct stor_admin **out, char *err, size_t errlen);
/* The same as APP (its fallback_application_name), waiting TIMEOUT_S seconds at most for the
 * connection when not 0 (whatever the conninfo says): ermgw's probe at start. */
int stor_admin_connect_as(const char *conninfo, const char *app, unsigned timeout_s,
                          struct stor_admin **out, char *err, size_t errlen);

/* Closes the connection and frees ADM (NULL is fine). */
void stor_admin_close(struct stor_admin *adm);

/* 1 when RC (from an operation on the connection) is the input's fault: -EINVAL (invalid
 * field), -ENOENT (unknown product or employee), -EEXIST (duplicate, code clash), -ENOSPC
 * (quota exhausted), -EPERM (retired or ended product, inactive employee). 0 for runtime
 * failures: -EIO (SQL error), -ECONNREFUSED, -ENOMEM, ... */
int stor_admin_input_error(int rc);

#endif
