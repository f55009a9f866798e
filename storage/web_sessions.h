/*
 * web_sessions.h: the web console's sessions and the employees' one-time login codes
 * (schema/012_web.sql) on the blocking connection of storage/admin.h. Tokens and codes
 * reach storage already hashed by the caller (ermweb): the database never holds what a
 * browser or an SMS carries. Errors as admin.h says.
 */
#ifndef ERM_WEB_SESSIONS_H
#define ERM_WEB_SESSIONS_H

#include <stddef.h>

#include "core/employee.h"
#include "core/field.h"
#include "storage/admin.h"
#include "storage/web_users.h"

#define WEB_TOKEN_HEX 65 /* bytes of a hex SHA-256 (or a hex token of 32 bytes) and NUL */

/* Who a session belongs to: a console user (USER_ID > 0) or an employee (EMPLOYEE[0]). */
struct stor_web_session {
    int user_id;
    char login[WEB_LOGIN_MAX + 1]; /* the user's login, "" for an employee */
    char role[16];                 /* "admin", "manager" or "employee" */
    char dept[FIELD_NAME_BYTES];   /* a user's scope ("" = all), an employee's department */
    char employee[EMPLOYEE_ID_MAX + 1];
    char name[FIELD_NAME_BYTES]; /* the employee's name, "" for a user */
    char csrf[WEB_TOKEN_HEX];
    int must_change; /* 1: the user's password is one-time; nothing but changing it works */
};

/* Creates a session TOKEN_HASH for user USER_ID (> 0) or employee EMPLOYEE (exactly one),
 * with the CSRF value CSRF, from ADDRESS, valid TTL_S seconds. */
int stor_web_session_create(struct stor_admin *adm, const char *token_hash, int user_id,
                            const char *employee, const char *csrf, const char *address, int ttl_s,
                            char *err, size_t errlen);

/* Finds the live session TOKEN_HASH into OUT. -ENOENT when there is none or it expired
 * (also when its employee was deactivated since). */
int stor_web_session_find(struct stor_admin *adm, const char *token_hash,
                          struct stor_web_session *out, char *err, size_t errlen);

/* Ends session TOKEN_HASH (nothing when there is none). */
int stor_web_session_end(struct stor_admin *adm, const char *token_hash, char *err, size_t errlen);

/* The limits of one-time codes. */
struct stor_web_code_limits {
    int ttl_s;       /* a code is valid this long */
    int per_number;  /* codes sent to one number per hour at most */
    int per_address; /* codes asked for from one address per hour at most */
};

/* Issues a one-time code for MSISDN (national 11-digit form) asked for from ADDRESS: SALT
 * and CODE_HASH are stored (the hash of the code with that salt), and when MSISDN is an
 * active employee's registered number TEXT is queued to it from SOURCE through the outbox
 * (kind "login_code"), in the same transaction. *SENT gets 1 when it was queued, 0 for an
 * unknown number (the caller says the same either way). -EBUSY when the number or the
 * address reached its hourly limit (nothing written). */
int stor_web_code_issue(struct stor_admin *adm, const char *msisdn, const char *address,
                        const char *salt, const char *code_hash, const char *text,
                        const char *source, const struct stor_web_code_limits *lim, int *sent,
                        char *err, size_t errlen);

/* 1 when CODE_HASH is what the code entered hashes to with SALT; the caller's comparison. */
typedef int (*stor_web_code_match_cb)(void *arg, const char *salt, const char *code_hash);

/* Checks an entered code against the newest live code of MSISDN: MATCH says whether it is
 * that code. A match uses the code up and gives the employee's id in EMPLOYEE
 * (EMPLOYEE_ID_MAX + 1 bytes); a mismatch counts a try, and the code dies at MAX_TRIES.
 * -EACCES a wrong code, -ENOENT no live code (none sent, expired, used, or out of tries). */
int stor_web_code_check(struct stor_admin *adm, const char *msisdn, int max_tries,
                        stor_web_code_match_cb match, void *arg, char *employee, char *err,
                        size_t errlen);

/* Drops expired sessions and login codes older than a day (erm_web_housekeeping() of
 * schema/012_web.sql); *SESSIONS and *CODES get how many went. */
int stor_web_housekeeping(struct stor_admin *adm, long long *sessions, long long *codes, char *err,
                          size_t errlen);

#endif
