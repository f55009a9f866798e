/*
 * web_sessions.c: sessions and one-time codes of web_sessions.h. The code's send and its
 * limits are one transaction under a lock on the number, so parallel requests cannot
 * squeeze a fourth code into an hour; the check locks the code's row for the same reason
 * (two guesses at once both count).
 */
#include "storage/web_sessions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "storage/db_internal.h"

int stor_web_session_create(struct stor_admin *adm, const char *token_hash, int user_id,
                            const char *employee, const char *csrf, const char *address, int ttl_s,
                            char *err, size_t errlen)
{
    char uid[16], ttl[16];
    snprintf(uid, sizeof uid, "%d", user_id);
    snprintf(ttl, sizeof ttl, "%d", ttl_s);
    const char *vals[] = {token_hash, user_id > 0 ? uid : NULL, employee, csrf, address, ttl};
    return stor_admin_exec(adm, NULL, "session",
                           "INSERT INTO web_sessions (token_hash, user_id, employee_id, csrf,"
                           " address, expires_at)"
                           " VALUES ($1, $2::int, $3, $4, $5,"
                           " now() + make_interval(secs => $6::int))",
                           6, vals, err, errlen);
}

/* Copies column COL of RES's first row into OUT (CAP bytes); "" for NULL. */
static void web_sessions_copy(const PGresult *res, int col, char *out, size_t cap)
{
    snprintf(out, cap, "%s", PQgetisnull(res, 0, col) ? "" : PQgetvalue(res, 0, col));
}

int stor_web_session_find(struct stor_admin *adm, const char *token_hash,
                          struct stor_web_session *out, char *err, size_t errlen)
{
    const char *vals[] = {token_hash};
    PGresult *res = NULL;
    int rc = stor_admin_exec_prep(/* every request of ermweb's that misses its cache */
                                  adm, &res, "session",
                                  "SELECT coalesce(s.user_id, 0), coalesce(u.login, ''), "
                                  "coalesce(u.role, 'employee'),"
                                  " coalesce(u.dept, e.dept, ''), coalesce(s.employee_id, ''), "
                                  "coalesce(e.name, ''),"
                                  " s.csrf, coalesce(u.must_change, false)"
                                  " FROM web_sessions s LEFT JOIN web_users u ON u.id = s.user_id"
                                  " LEFT JOIN employees e ON e.id = s.employee_id"
                                  " WHERE s.token_hash = $1 AND s.expires_at > now()"
                                  " AND (s.employee_id IS NULL OR e.active)",
                                  1, vals, err, errlen);
    if (rc == 0 && PQntuples(res) != 1)
        rc = field_error(err, errlen, -ENOENT, "session: none");
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        out->user_id = atoi(PQgetvalue(res, 0, 0));
        web_sessions_copy(res, 1, out->login, sizeof out->login);
        web_sessions_copy(res, 2, out->role, sizeof out->role);
        web_sessions_copy(res, 3, out->dept, sizeof out->dept);
        web_sessions_copy(res, 4, out->employee, sizeof out->employee);
        web_sessions_copy(res, 5, out->name, sizeof out->name);
        web_sessions_copy(res, 6, out->csrf, sizeof out->csrf);
        out->must_change = strcmp(PQgetvalue(res, 0, 7), "t") == 0;
    }
    PQclear(res);
    return rc;
}

int stor_web_session_end(struct stor_admin *adm, const char *token_hash, char *err, size_t errlen)
{
    const char *vals[] = {token_hash};
    return stor_admin_exec(adm, NULL, "logout", "DELETE FROM web_sessions WHERE token_hash = $1", 1,
                           vals, err, errlen);
}

int stor_web_housekeeping(struct stor_admin *adm, long long *sessions, long long *codes, char *err,
                          size_t errlen)
{
    PGresult *res = NULL;
    int rc =
        stor_admin_exec(adm, &res, "housekeeping",
                        "SELECT sessions, codes FROM erm_web_housekeeping()", 0, NULL, err, errlen);
    if (rc == 0) {
        *sessions = atoll(PQgetvalue(res, 0, 0));
        *codes = atoll(PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return rc;
}

/* The hourly counts of codes for MSISDN and from ADDRESS, under the number's lock: -EBUSY
 * when either limit is reached. */
static int web_sessions_code_limits(struct stor_admin *adm, const char *msisdn, const char *address,
                                    const struct stor_web_code_limits *lim, char *err,
                                    size_t errlen)
{
    const char *vals[] = {msisdn, address};
    PGresult *res = NULL;
    int rc =
        stor_admin_exec(adm, &res, "login code",
                        "SELECT pg_advisory_xact_lock(hashtextextended('erm_web_code:' || $1, 0)),"
                        " (SELECT count(*) FROM web_codes WHERE msisdn = $1"
                        "   AND created_at > now() - interval '1 hour'),"
                        " (SELECT count(*) FROM web_codes WHERE address = $2"
                        "   AND created_at > now() - interval '1 hour')",
                        2, vals, err, errlen);
    if (rc == 0 && (atoi(PQgetvalue(res, 0, 1)) >= lim->per_number ||
                    atoi(PQgetvalue(res, 0, 2)) >= lim->per_address))
        rc = field_error(err, errlen, -EBUSY, "msisdn: too many codes asked for; try later");
    PQclear(res);
    return rc;
}

int stor_web_code_issue(struct stor_admin *adm, const char *msisdn, const char *address,
                        const char *salt, const char *code_hash, const char *text,
                        const char *source, const struct stor_web_code_limits *lim, int *sent,
                        char *err, size_t errlen)
{
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", lim->ttl_s);
    const char *vals[] = {msisdn, salt, code_hash, address, ttl, text, source};
    PGresult *res = NULL;
    int rc = stor_admin_begin(adm, err, errlen);
    if (rc == 0)
        rc = web_sessions_code_limits(adm, msisdn, address, lim, err, errlen);
    /* The row is written for unknown numbers too: it counts against the address. */
    if (rc == 0)
        rc = stor_admin_exec(
            adm, &res, "login code",
            "WITH e AS (SELECT id, msisdn FROM employees WHERE msisdn = $1 AND active),"
            " c AS (INSERT INTO web_codes (msisdn, employee_id, salt, code_hash, address,"
            "   expires_at) VALUES ($1, (SELECT id FROM e), $2, $3, $4,"
            "   now() + make_interval(secs => $5::int)))"
            " INSERT INTO outbox (dest, source, kind, text)"
            " SELECT msisdn, $7, 'login_code', $6 FROM e",
            7, vals, err, errlen);
    if (rc == 0) {
        *sent = strcmp(PQcmdTuples(res), "1") == 0;
        rc = stor_admin_commit(adm, err, errlen);
    }
    return stor_admin_end(adm, res, rc);
}

/* Records the outcome of a check of code row ID: used on a match, else one more try. */
static int web_sessions_code_mark(struct stor_admin *adm, const char *id, int ok, char *err,
                                  size_t errlen)
{
    const char *vals[] = {id};
    return stor_admin_exec(adm, NULL, "login code",
                           ok ? "UPDATE web_codes SET used = true WHERE id = $1::bigint"
                              : "UPDATE web_codes SET tries = tries + 1 WHERE id = $1::bigint",
                           1, vals, err, errlen);
}

int stor_web_code_check(struct stor_admin *adm, const char *msisdn, int max_tries,
                        stor_web_code_match_cb match, void *arg, char *employee, char *err,
                        size_t errlen)
{
    char tries[16];
    snprintf(tries, sizeof tries, "%d", max_tries);
    const char *vals[] = {msisdn, tries};
    PGresult *res = NULL;
    int ok = 0, rc = stor_admin_begin(adm, err, errlen);
    if (rc == 0)
        rc = stor_admin_exec(adm, &res, "login code",
                             "SELECT c.id, c.salt, c.code_hash, c.employee_id FROM web_codes c"
                             " JOIN employees e ON e.id = c.employee_id AND e.active"
                             " WHERE c.msisdn = $1 AND NOT c.used AND c.expires_at > now()"
                             " AND c.tries < $2::int ORDER BY c.id DESC LIMIT 1 FOR UPDATE OF c",
                             2, vals, err, errlen);
    if (rc == 0 && PQntuples(res) != 1)
        rc = field_error(err, errlen, -ENOENT, "code: no code is waiting; ask for a new one");
    if (rc == 0) {
        ok = match(arg, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
        snprintf(employee, EMPLOYEE_ID_MAX + 1, "%s", ok ? PQgetvalue(res, 0, 3) : "");
        rc = web_sessions_code_mark(adm, PQgetvalue(res, 0, 0), ok, err, errlen);
    }
    if (rc == 0)
        rc = stor_admin_commit(adm, err, errlen);
    if (rc == 0 && !ok)
        rc = field_error(err, errlen, -EACCES, "code: wrong code");
    return stor_admin_end(adm, res, rc); /* after a wrong code: committed, nothing to undo */
}
