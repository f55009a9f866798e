/*
 * web_admin.c: the admins' side of web_api.h: the console's users, listed and added. The
 * admin sets the first password (10 to 200 characters) and hands it over: a one-time
 * password, which the user must change at the first login; only its Argon2id hash is
 * stored, as `ermctl user add` does.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "storage/web_users.h"
#include "web/web_api.h"
#include "web/web_auth.h"

static void web_admin_user_row(void *arg, const struct stor_web_user_row *u)
{
    json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:b}", "login", u->login, "role",
                                         u->role, "dept", u->dept, "created_at", u->created_at,
                                         "locked", u->locked));
}

void web_admin_users(struct web_req *r)
{
    char err[512];
    json_t *rows = json_array();
    int rc = stor_web_user_list(r->adm, web_admin_user_row, rows, err, sizeof err);
    web_rows(r, rc, err, rows, "users");
}

void web_admin_user_add(struct web_req *r)
{
    json_t *j = web_body_json(r);
    if (j == NULL)
        return;
    const char *login = web_str(j, "login"), *role = web_str(j, "role"), *dept = web_str(j, "dept");
    const char *pw = web_str(j, "password");
    char hash[crypto_pwhash_STRBYTES], err[512];
    size_t n = pw != NULL ? strlen(pw) : 0;
    int rc = 0;
    if (n < WEB_PW_MIN || n > WEB_PW_MAX)
        rc = field_error(err, sizeof err, -EINVAL, "password: %d to %d characters", WEB_PW_MIN,
                         WEB_PW_MAX);
    else if (role != NULL && strcmp(role, "admin") == 0 && dept != NULL && dept[0] != '\0')
        rc = field_error(err, sizeof err, -EINVAL, "dept: an admin sees every department");
    else if (crypto_pwhash_str(hash, pw, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        rc = field_error(err, sizeof err, -ENOMEM, "password: out of memory hashing it");
    else
        rc = stor_web_user_add(r->adm, login, role, dept, hash, 1, err, sizeof err);
    web_audit(r, "user.add", "%s (%s%s%s): %s", login ? login : "", role ? role : "",
              dept && dept[0] ? ", " : "", dept ? dept : "", rc < 0 ? err : "added");
    if (rc < 0)
        web_fail_rc(r, rc, err);
    else
        web_json(
            r, 201,
            json_pack("{s:s, s:s, s:s}", "login", login, "role", role, "dept", dept ? dept : ""));
    json_decref(j);
}
