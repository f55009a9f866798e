/*
 * web_users.c: the console's users of web_users.h. One statement per operation, each its
 * own transaction; the lockout is one UPDATE, so two wrong passwords at once both count.
 */
#include "storage/web_users.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "storage/db_internal.h"

int stor_web_login_ok(const char *login)
{
    size_t n = login != NULL ? strlen(login) : 0;
    if (n == 0 || n > WEB_LOGIN_MAX)
        return 0;
    return strspn(login, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int stor_web_user_add(struct stor_admin *adm, const char *login, const char *role, const char *dept,
                      const char *pw_hash, int one_time, char *err, size_t errlen)
{
    if (!stor_web_login_ok(login))
        return field_error(err, errlen, -EINVAL,
                           "--login: 1 to %d characters of letters, digits, '.', '_', '-'",
                           WEB_LOGIN_MAX);
    if (role == NULL || (strcmp(role, "admin") != 0 && strcmp(role, "manager") != 0))
        return field_error(err, errlen, -EINVAL, "--role: \"%s\" is not admin or manager",
                           role != NULL ? role : "");
    if (dept != NULL && dept[0] == '\0')
        dept = NULL;
    if (dept != NULL) {
        int rc = field_check_text("--dept", dept, 1, FIELD_NAME_MAX, 0, err, errlen);
        if (rc < 0)
            return rc;
    }
    const char *vals[] = {login, role, dept, pw_hash, one_time ? "t" : "f"};
    PGresult *res = NULL;
    int rc = stor_admin_exec(adm, &res, "user add",
                             "INSERT INTO web_users (login, role, dept, pw_hash, must_change)"
                             " VALUES ($1, $2, $3, $4, $5::boolean) ON CONFLICT (login) DO NOTHING",
                             5, vals, err, errlen);
    if (rc == 0 && strcmp(PQcmdTuples(res), "0") == 0)
        rc = field_error(err, errlen, -EEXIST, "--login: \"%s\" is taken", login);
    PQclear(res);
    return rc;
}

int stor_web_user_find(struct stor_admin *adm, const char *login, struct stor_web_user *out,
                       char *err, size_t errlen)
{
    const char *vals[] = {login};
    PGresult *res = NULL;
    int rc = stor_admin_exec(adm, &res, "user",
                             "SELECT id, login, role, coalesce(dept, ''), pw_hash,"
                             " coalesce(locked_until > now(), false), must_change"
                             " FROM web_users WHERE login = $1",
                             1, vals, err, errlen);
    if (rc == 0 && PQntuples(res) != 1)
        rc = field_error(err, errlen, -ENOENT, "login: no such user");
    if (rc == 0) {
        memset(out, 0, sizeof *out);
        out->id = atoi(PQgetvalue(res, 0, 0));
        snprintf(out->login, sizeof out->login, "%s", PQgetvalue(res, 0, 1));
        snprintf(out->role, sizeof out->role, "%s", PQgetvalue(res, 0, 2));
        snprintf(out->dept, sizeof out->dept, "%s", PQgetvalue(res, 0, 3));
        snprintf(out->pw_hash, sizeof out->pw_hash, "%s", PQgetvalue(res, 0, 4));
        out->locked = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
        out->must_change = strcmp(PQgetvalue(res, 0, 6), "t") == 0;
    }
    PQclear(res);
    return rc;
}

int stor_web_user_list(struct stor_admin *adm,
                       void (*row)(void *arg, const struct stor_web_user_row *u), void *arg,
                       char *err, size_t errlen)
{
    PGresult *res = NULL;
    int rc = stor_admin_exec(adm, &res, "users",
                             "SELECT login, role, coalesce(dept, ''),"
                             " to_char(created_at, 'YYYY-MM-DD HH24:MI'),"
                             " coalesce(locked_until > now(), false) FROM web_users ORDER BY login",
                             0, NULL, err, errlen);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        struct stor_web_user_row u = {PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                      PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
                                      strcmp(PQgetvalue(res, i, 4), "t") == 0};
        row(arg, &u);
    }
    PQclear(res);
    return rc;
}

int stor_web_user_set_password(struct stor_admin *adm, int id, const char *pw_hash,
                               const char *keep_token_hash, char *err, size_t errlen)
{
    char sid[16];
    snprintf(sid, sizeof sid, "%d", id);
    const char *vals[] = {sid, pw_hash, keep_token_hash};
    /* one statement: the new password and the end of the sessions the old one opened */
    return stor_admin_exec(adm, NULL, "password",
                           "WITH u AS (UPDATE web_users SET pw_hash = $2, must_change = false,"
                           " failed = 0 WHERE id = $1::int RETURNING id)"
                           " DELETE FROM web_sessions s USING u WHERE s.user_id = u.id"
                           " AND s.token_hash IS DISTINCT FROM $3",
                           3, vals, err, errlen);
}

int stor_web_user_attempt(struct stor_admin *adm, int id, int ok, int max_failed, int lock_s,
                          char *err, size_t errlen)
{
    char sid[16], smax[16], slock[16];
    snprintf(sid, sizeof sid, "%d", id);
    snprintf(smax, sizeof smax, "%d", max_failed);
    snprintf(slock, sizeof slock, "%d", lock_s);
    const char *vals[] = {sid, ok ? "t" : "f", smax, slock};
    return stor_admin_exec(
        adm, NULL, "login attempt",
        "UPDATE web_users SET"
        " failed = CASE WHEN $2::boolean OR failed + 1 >= $3::int THEN 0 ELSE failed + 1 END,"
        " locked_until = CASE WHEN NOT $2::boolean AND failed + 1 >= $3::int"
        "   THEN now() + make_interval(secs => $4::int) ELSE locked_until END"
        " WHERE id = $1::int",
        4, vals, err, errlen);
}
