/*
 * web_users.h: the web console's users (schema/012_web.sql's web_users) on the blocking
 * connection of storage/admin.h: `ermctl user add`, and ermweb's login with its lockout.
 * The password hash is computed by the caller (libsodium's crypto_pwhash_str): storage
 * only keeps the string. Errors as admin.h says.
 */
#ifndef ERM_WEB_USERS_H
#define ERM_WEB_USERS_H

#include <stddef.h>

#include "core/field.h"
#include "storage/admin.h"

#define WEB_LOGIN_MAX 40  /* characters of a login: [A-Za-z0-9._-] */
#define WEB_HASH_MAX  256 /* bytes of a stored password hash string, with its NUL */

/* A user as found for a login; everything is copied into the struct. */
struct stor_web_user {
    int id;
    char login[WEB_LOGIN_MAX + 1];
    char role[16];               /* "admin" or "manager" */
    char dept[FIELD_NAME_BYTES]; /* "" for every department */
    char pw_hash[WEB_HASH_MAX];
    int locked;      /* 1 while locked out after repeated wrong passwords */
    int must_change; /* 1 while the password is a one-time one (schema/014) */
};

/* 1 when LOGIN is 1..WEB_LOGIN_MAX characters of [A-Za-z0-9._-]. */
int stor_web_login_ok(const char *login);

/* Adds user LOGIN with ROLE ("admin" or "manager"), DEPT (NULL or "" = every department)
 * and the password hash PW_HASH; ONE_TIME 1 when the password was made up for the user
 * (they must change it at their first login). -EINVAL bad login or role (ERR names
 * --login, --role, --dept), -EEXIST the login is taken. */
int stor_web_user_add(struct stor_admin *adm, const char *login, const char *role, const char *dept,
                      const char *pw_hash, int one_time, char *err, size_t errlen);

/* Sets user ID's password hash to PW_HASH (no longer one-time, wrong passwords forgotten)
 * and ends the user's other sessions than KEEP_TOKEN_HASH's (NULL: all). */
int stor_web_user_set_password(struct stor_admin *adm, int id, const char *pw_hash,
                               const char *keep_token_hash, char *err, size_t errlen);

/* Finds LOGIN into OUT. -ENOENT when there is no such user. */
int stor_web_user_find(struct stor_admin *adm, const char *login, struct stor_web_user *out,
                       char *err, size_t errlen);

/* Records a login attempt of user ID: OK resets the count of wrong passwords; a wrong one
 * adds to it and, at MAX_FAILED in a row, locks the user out for LOCK_S seconds (the count
 * starts again after). */
int stor_web_user_attempt(struct stor_admin *adm, int id, int ok, int max_failed, int lock_s,
                          char *err, size_t errlen);

/* One user as listed; strings valid during the callback only. */
struct stor_web_user_row {
    const char *login, *role, *dept; /* DEPT "" for every department */
    const char *created_at;          /* "YYYY-MM-DD HH:MM" */
    int locked;
};

/* Calls ROW for every user, by login. */
int stor_web_user_list(struct stor_admin *adm,
                       void (*row)(void *arg, const struct stor_web_user_row *u), void *arg,
                       char *err, size_t errlen);

#endif
