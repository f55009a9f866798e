/*
 * audit_log.c: the audit trail of audit_log.h, one statement each.
 */
#include "storage/audit_log.h"

#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

#include "storage/db_internal.h"

int stor_audit_add(struct stor_admin *adm, const char *actor, const char *dept, const char *address,
                   const char *what, const char *detail, char *err, size_t errlen)
{
    const char *vals[] = {actor, dept != NULL && dept[0] != '\0' ? dept : NULL, address, what,
                          detail != NULL ? detail : ""};
    return stor_admin_exec(adm, NULL, "audit",
                           "INSERT INTO web_audit (actor, dept, address, what, detail)"
                           " VALUES ($1, $2, $3, $4, $5)",
                           5, vals, err, errlen);
}

int stor_audit_count(struct stor_admin *adm, const char *address, const char *what, int within_s,
                     long long *count, char *err, size_t errlen)
{
    char within[16];
    snprintf(within, sizeof within, "%d", within_s);
    const char *vals[] = {address, what, within};
    PGresult *res = NULL;
    int rc = stor_admin_exec(adm, &res, "audit",
                             "SELECT count(*) FROM web_audit WHERE address = $1 AND what = $2"
                             " AND at > now() - make_interval(secs => $3::int)",
                             3, vals, err, errlen);
    if (rc == 0)
        *count = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

int stor_audit_list(struct stor_admin *adm, const char *dept, int limit,
                    void (*row)(void *arg, const struct stor_audit_row *r), void *arg, char *err,
                    size_t errlen)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *vals[] = {dept != NULL && dept[0] != '\0' ? dept : NULL, lim};
    PGresult *res = NULL;
    int rc = stor_admin_exec(adm, &res, "audit",
                             "SELECT id, to_char(at, 'YYYY-MM-DD HH24:MI:SS'), actor,"
                             " coalesce(dept, ''), address, what, detail FROM web_audit"
                             " WHERE $1::text IS NULL OR dept = $1"
                             " ORDER BY id DESC LIMIT $2::int",
                             2, vals, err, errlen);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        struct stor_audit_row r = {atoll(PQgetvalue(res, i, 0)), PQgetvalue(res, i, 1),
                                   PQgetvalue(res, i, 2),        PQgetvalue(res, i, 3),
                                   PQgetvalue(res, i, 4),        PQgetvalue(res, i, 5),
                                   PQgetvalue(res, i, 6)};
        row(arg, &r);
    }
    PQclear(res);
    return rc;
}
