/*
 * admin.c: the blocking admin connection of admin.h (ermctl's side of the database) and
 * the helpers the files of its operations share (db_internal.h): pool.c, people.c,
 * handout.c, optout.c's list, report.c, migrate.c. Plain blocking libpq is right here: one
 * operator, one command, one transaction. Statements are constants with parameters; every
 * failure fills the caller's error buffer through field_error() (core/field.h) so the one
 * line that reaches the operator has context.
 */
#include "storage/admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/conninfo.h"
#include "core/field.h"
#include "storage/db.h"
#include "storage/db_internal.h"

struct stor_admin {
    PGconn *conn;
    const char *prepared[ADMIN_PREPARED_MAX]; /* stor_admin_exec_prep()'s, named "erm_pN" */
    int nprepared;
};

PGconn *stor_admin_pg(struct stor_admin *adm)
{
    return adm->conn;
}

int stor_admin_input_error(int rc)
{
    return rc == -EINVAL || rc == -ENOENT || rc == -EEXIST || rc == -ENOSPC || rc == -EPERM;
}

/* ermctl's stderr carries one line per failure: notices (CREATE ... IF NOT EXISTS) are
 * dropped. */
static void admin_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int stor_admin_connect(const char *conninfo, struct stor_admin **out, char *err, size_t errlen)
{
    return stor_admin_connect_as(conninfo, "ermctl", 0, out, err, errlen);
}

int stor_admin_connect_as(const char *conninfo, const char *app, unsigned timeout_s,
                          struct stor_admin **out, char *err, size_t errlen)
{
    const char *ci = conninfo != NULL ? conninfo : "";
    char msg[512];
    struct stor_admin *adm = NULL;
    int rc = stor_conninfo_check(ci, msg, sizeof msg);

    if (rc < 0) {
        rc = field_error(err, errlen, rc, "--db: %s", msg);
        goto fail;
    }
    adm = calloc(1, sizeof *adm);
    if (adm == NULL) {
        rc = field_error(err, errlen, -ENOMEM, "connect: out of memory");
        goto fail;
    }
    /* Later keywords override the conninfo's own: a bounded wait when TIMEOUT_S is set. */
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%u", timeout_s);
    const char *const keys[] = {"dbname", "fallback_application_name",
                                timeout_s > 0 ? "connect_timeout" : NULL, NULL};
    const char *const vals[] = {ci, app, timeout, NULL};
    adm->conn = PQconnectdbParams(keys, vals, 1);
    if (adm->conn == NULL) {
        rc = field_error(err, errlen, -ENOMEM, "connect: out of memory");
        goto fail;
    }
    if (PQstatus(adm->conn) != CONNECTION_OK) {
        char line[512];
        stor_pg_oneline(PQerrorMessage(adm->conn), line, sizeof line);
        conninfo_mask(ci, line, msg, sizeof msg); /* libpq may cite the conninfo */
        rc = field_error(err, errlen, -ECONNREFUSED, "connect: %s", msg);
        goto fail;
    }
    PQsetNoticeProcessor(adm->conn, admin_notice, NULL);
    *out = adm;
    return 0;

fail:
    stor_admin_close(adm);
    return rc;
}

void stor_admin_close(struct stor_admin *adm)
{
    if (adm == NULL)
        return;
    if (adm->conn != NULL)
        PQfinish(adm->conn);
    free(adm);
}

/* See db_internal.h. */
/* The outcome of R, a statement's result (NULL: out of memory), as stor_admin_exec()
 * gives it. */
static int admin_result(struct stor_admin *adm, PGresult *r, PGresult **res, const char *what,
                        char *err, size_t errlen)
{
    ExecStatusType st = PQresultStatus(r); /* PGRES_FATAL_ERROR for NULL */
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char msg[512];
        stor_pg_oneline(r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(adm->conn), msg,
                        sizeof msg);
        rc = field_error(err, errlen, PQstatus(adm->conn) == CONNECTION_BAD ? -ECONNRESET : -EIO,
                         "%s: %s", what, msg);
    }
    if (res != NULL)
        *res = r;
    else
        PQclear(r);
    return rc;
}

int stor_admin_exec(struct stor_admin *adm, PGresult **res, const char *what, const char *sql,
                    int n, const char *const *vals, char *err, size_t errlen)
{
    PGresult *r = PQexecParams(adm->conn, sql, n, NULL, vals, NULL, NULL, 0);
    return admin_result(adm, r, res, what, err, errlen);
}

int stor_admin_exec_prep(struct stor_admin *adm, PGresult **res, const char *what, const char *sql,
                         int n, const char *const *vals, char *err, size_t errlen)
{
    int i = 0;
    char name[16];
    while (i < adm->nprepared && adm->prepared[i] != sql)
        i++;
    if (i == ADMIN_PREPARED_MAX)
        return stor_admin_exec(adm, res, what, sql, n, vals, err, errlen);
    snprintf(name, sizeof name, "erm_p%d", i);
    if (i == adm->nprepared) {
        int rc =
            admin_result(adm, PQprepare(adm->conn, name, sql, n, NULL), NULL, what, err, errlen);
        if (rc < 0)
            return rc;
        adm->prepared[adm->nprepared++] = sql;
    }
    PGresult *r = PQexecPrepared(adm->conn, name, n, vals, NULL, NULL, 0);
    return admin_result(adm, r, res, what, err, errlen);
}

/* See db_internal.h. */
int stor_admin_begin(struct stor_admin *adm, char *err, size_t errlen)
{
    return stor_admin_exec(adm, NULL, "BEGIN", "BEGIN", 0, NULL, err, errlen);
}

/* See db_internal.h. */
int stor_admin_commit(struct stor_admin *adm, char *err, size_t errlen)
{
    return stor_admin_exec(adm, NULL, "COMMIT", "COMMIT", 0, NULL, err, errlen);
}

/* See db_internal.h. */
void stor_admin_rollback(struct stor_admin *adm)
{
    PGTransactionStatusType ts = PQtransactionStatus(adm->conn);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
        PQclear(PQexecParams(adm->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
}

/* See db_internal.h. */
int stor_admin_end(struct stor_admin *adm, PGresult *res, int rc)
{
    PQclear(res);
    if (rc < 0)
        stor_admin_rollback(adm);
    return rc;
}

/* See db_internal.h. */
const char *stor_admin_value(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}
