/*
 * web_auth.c: logins, sessions and CSRF of web_auth.h. Tokens are 256 random bits
 * (libsodium's randombytes); the database keeps their SHA-256 only, so a copy of the
 * sessions table logs nobody in.
 */
#include "web/web_auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>
#include <sodium.h>

#include "common/log.h"
#include "core/msisdn.h"
#include "storage/audit_log.h"
#include "storage/web_sessions.h"
#include "storage/web_users.h"
#include "web/web_cache.h"

#define WEB_COOKIE "erm_session"

/* 32 random bytes as 64 hex digits into OUT (WEB_TOKEN_HEX bytes). */
static void web_auth_random_hex(char *out)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, WEB_TOKEN_HEX, raw, sizeof raw);
}

/* The hex SHA-256 of TEXT (and of PREFIX before it, when not NULL) into OUT. */
static void web_auth_sha256(const char *prefix, const char *text, char *out)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    if (prefix != NULL)
        crypto_hash_sha256_update(&st, (const unsigned char *)prefix, strlen(prefix));
    crypto_hash_sha256_update(&st, (const unsigned char *)text, strlen(text));
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(out, WEB_TOKEN_HEX, h, sizeof h);
}

/* Sessions looked up lately, by token hash (see web_auth.h). */
static struct web_cache web_auth_cache =
    WEB_CACHE_INIT(WEB_SESSION_CACHE_SLOTS, sizeof(struct stor_web_session), WEB_SESSION_CACHE_S);

void web_auth_free(void)
{
    web_cache_free(&web_auth_cache);
}

/* web_cache_drop_if()'s test: the session is user *ARG's. */
static int web_auth_is_user(const void *value, void *arg)
{
    return ((const struct stor_web_session *)value)->user_id == *(const int *)arg;
}

int web_auth_session(struct web_req *r)
{
    if (r->has_session)
        return 1;
    const char *tok = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, WEB_COOKIE);
    if (tok == NULL || strlen(tok) != 64)
        return 0;
    char err[256];
    web_auth_sha256(NULL, tok, r->token_hash);
    if (web_cache_get(&web_auth_cache, r->token_hash, &r->sess)) {
        r->has_session = 1;
        return 1;
    }
    int rc = stor_web_session_find(r->adm, r->token_hash, &r->sess, err, sizeof err);
    if (rc < 0 && rc != -ENOENT)
        ERM_ERROR("web", "session: %s", err);
    if (rc == 0)
        web_cache_put(&web_auth_cache, r->token_hash, &r->sess);
    r->has_session = rc == 0;
    return r->has_session;
}

int web_auth_csrf_ok(struct web_req *r)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
    size_t n = strlen(r->sess.csrf);
    return h != NULL && n == 64 && strlen(h) == n && sodium_memcmp(h, r->sess.csrf, n) == 0;
}

/* Opens a session for user USER_ID or employee EMPLOYEE: the cookie set, and the session
 * read back into R->sess. 0, or answered with an error. */
static int web_auth_open(struct web_req *r, int user_id, const char *employee)
{
    char token[WEB_TOKEN_HEX], csrf[WEB_TOKEN_HEX], err[512];
    web_auth_random_hex(token);
    web_auth_random_hex(csrf);
    web_auth_sha256(NULL, token, r->token_hash);
    int ttl = (int)r->conf->web_session_hours * 3600;
    int rc = stor_web_session_create(r->adm, r->token_hash, user_id, employee, csrf, r->addr, ttl,
                                     err, sizeof err);
    if (rc == 0)
        rc = stor_web_session_find(r->adm, r->token_hash, &r->sess, err, sizeof err);
    if (rc < 0) {
        web_fail_rc(r, rc == -ENOENT ? -EIO : rc, err);
        return rc;
    }
    r->has_session = 1;
    snprintf(r->cookie, sizeof r->cookie,
             WEB_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s", token, ttl,
             r->conf->web_secure_cookies ? "; Secure" : "");
    return 0;
}

/* The session as the page sees it. */
static json_t *web_auth_me_json(const struct web_req *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "role", r->sess.role, "login",
                     r->sess.login, "dept", r->sess.dept, "employee", r->sess.employee, "name",
                     r->sess.name, "csrf", r->sess.csrf, "must_change", r->sess.must_change);
}

/* A hash computed for nothing, so an unknown login takes as long as a wrong password. */
static void web_auth_waste(const char *password)
{
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        out[0] = '\0';
}

/* 1 when R's address has had too many failed logins lately (429 answered). */
static int web_auth_throttled(struct web_req *r, const char *what)
{
    char err[512];
    long long n = 0;
    int rc = stor_audit_count(r->adm, r->addr, what, WEB_ADDR_WINDOW_S, &n, err, sizeof err);
    if (rc < 0) {
        web_fail_rc(r, rc, err);
        return 1;
    }
    if (n < WEB_ADDR_FAILS)
        return 0;
    web_error(r, 429, "locked", "登录失败次数过多，请稍后再试");
    return 1;
}

/* Audits a failed login WHAT of WHO (a login or a number, written only when well-formed)
 * from R's address: what the throttle counts. */
static void web_auth_failed(struct web_req *r, const char *what, const char *who)
{
    char err[512];
    int rc = stor_audit_add(r->adm, who, NULL, r->addr, what, "", err, sizeof err);
    if (rc < 0)
        ERM_ERROR("web", "audit %s: %s", what, err);
}

void web_auth_login(struct web_req *r)
{
    json_t *j = web_auth_throttled(r, "login.fail") ? NULL : web_body_json(r);
    if (j == NULL)
        return;
    const char *login = web_str(j, "login"), *pw = web_str(j, "password");
    struct stor_web_user u;
    char err[512];
    int rc = login != NULL && pw != NULL && stor_web_login_ok(login)
                 ? stor_web_user_find(r->adm, login, &u, err, sizeof err)
                 : -ENOENT;
    if (rc == -ENOENT) {
        web_auth_waste(pw != NULL ? pw : "");
        web_auth_failed(r, "login.fail", stor_web_login_ok(login) ? login : "?");
        web_error(r, 401, "bad_login", "用户名或密码错误");
    } else if (rc < 0) {
        web_fail_rc(r, rc, err);
    } else if (u.locked) {
        web_error(r, 429, "locked", "密码错误次数过多，账号已暂时锁定，请稍后再试");
    } else {
        int ok = crypto_pwhash_str_verify(u.pw_hash, pw, strlen(pw)) == 0;
        rc = stor_web_user_attempt(r->adm, u.id, ok, WEB_MAX_FAILED, WEB_LOCK_S, err, sizeof err);
        if (rc < 0)
            web_fail_rc(r, rc, err);
        else if (!ok) {
            web_auth_failed(r, "login.fail", u.login);
            web_error(r, 401, "bad_login", "用户名或密码错误");
        } else if (web_auth_open(r, u.id, NULL) == 0) {
            web_audit(r, "login", "%s", u.role);
            web_json(r, 200, web_auth_me_json(r));
        }
    }
    json_decref(j);
}

void web_auth_logout(struct web_req *r)
{
    char err[256];
    web_cache_drop(&web_auth_cache, r->token_hash);
    int rc = stor_web_session_end(r->adm, r->token_hash, err, sizeof err);
    if (rc < 0) {
        web_fail_rc(r, rc, err);
        return;
    }
    snprintf(r->cookie, sizeof r->cookie,
             WEB_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
             r->conf->web_secure_cookies ? "; Secure" : "");
    web_json(r, 200, json_pack("{s:b}", "ok", 1));
}

void web_auth_me(struct web_req *r)
{
    web_json(r, 200, web_auth_me_json(r));
}

void web_auth_session_get(struct web_req *r)
{
    if (web_auth_session(r))
        web_json(r, 200, web_auth_me_json(r));
    else
        web_json(r, 200, json_pack("{s:n}", "role"));
}

/* Checks the new password PW against OLD; NULL when fine, else why not. */
static const char *web_auth_pw_why(const char *pw, const char *old)
{
    size_t n = pw != NULL ? strlen(pw) : 0;
    if (n < WEB_PW_MIN || n > WEB_PW_MAX)
        return "new: 10 to 200 characters";
    return strcmp(pw, old) == 0 ? "new: the same as the old one" : NULL;
}

void web_auth_password(struct web_req *r)
{
    json_t *j = r->sess.user_id > 0 ? web_body_json(r) : NULL;
    if (r->sess.user_id <= 0) {
        web_error(r, 403, "forbidden", "员工使用短信验证码登录，没有密码");
        return;
    }
    if (j == NULL)
        return;
    const char *old = web_str(j, "old"), *pw = web_str(j, "new");
    char hash[crypto_pwhash_STRBYTES], err[512];
    struct stor_web_user u;
    int rc = stor_web_user_find(r->adm, r->sess.login, &u, err, sizeof err);
    const char *why = rc < 0 ? NULL : old == NULL ? "old: missing" : web_auth_pw_why(pw, old);
    if (rc == 0 && u.locked) {
        web_error(r, 429, "locked", "密码错误次数过多，账号已暂时锁定，请稍后再试");
    } else if (rc == 0 && why == NULL &&
               crypto_pwhash_str_verify(u.pw_hash, old, strlen(old)) != 0) {
        /* as a wrong password at login: the address's throttle and the user's lockout (a
         * stolen session cannot guess the password faster than the login page can) */
        web_auth_failed(r, "login.fail", u.login);
        if (stor_web_user_attempt(r->adm, u.id, 0, WEB_MAX_FAILED, WEB_LOCK_S, err, sizeof err) < 0)
            ERM_ERROR("web", "password of %s: %s", u.login, err);
        web_error(r, 401, "bad_login", "原密码错误");
    } else if (rc == 0 && why != NULL) {
        web_error(r, 400, "invalid", why);
    } else if (rc == 0 &&
               crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        web_fail_rc(r, -ENOMEM, "password: out of memory hashing it");
    } else {
        if (rc == 0)
            rc = stor_web_user_set_password(r->adm, u.id, hash, r->token_hash, err, sizeof err);
        if (rc == 0) {
            /* the others ended, this one changed */
            web_cache_drop_if(&web_auth_cache, web_auth_is_user, &u.id);
            r->sess.must_change = 0;
            web_audit(r, "password.change", "%s", u.login);
            web_json(r, 200, web_auth_me_json(r));
        } else
            web_fail_rc(r, rc, err);
    }
    json_decref(j);
}

/* The request's "msisdn" in the national form into OUT, or 0 with a 400 answered. */
static int web_auth_msisdn(struct web_req *r, json_t *j, char *out, size_t cap)
{
    const char *m = web_str(j, "msisdn");
    if (m == NULL || msisdn_normalize(m, out, cap) < 0) {
        web_error(r, 400, "invalid", "msisdn: 请输入11位手机号码");
        return 0;
    }
    return 1;
}

void web_auth_code_send(struct web_req *r)
{
    json_t *j = web_body_json(r);
    char msisdn[32], code[8], salt[WEB_TOKEN_HEX], hash[WEB_TOKEN_HEX], text[256], err[512];
    if (j == NULL || !web_auth_msisdn(r, j, msisdn, sizeof msisdn)) {
        json_decref(j);
        return;
    }
    json_decref(j);
    snprintf(code, sizeof code, "%06u", (unsigned)randombytes_uniform(1000000));
    web_auth_random_hex(salt);
    web_auth_sha256(salt, code, hash);
    snprintf(text, sizeof text, "您的员工营销平台登录验证码：%s，%d分钟内有效。请勿告诉他人。",
             code, WEB_CODE_TTL_S / 60);
    struct stor_web_code_limits lim = {WEB_CODE_TTL_S, WEB_CODE_HOURLY,
                                       (int)r->conf->web_code_per_address};
    int sent = 0;
    int rc = stor_web_code_issue(r->adm, msisdn, r->addr, salt, hash, text,
                                 r->conf->web_code_source, &lim, &sent, err, sizeof err);
    sodium_memzero(code, sizeof code);
    if (rc == -EBUSY)
        web_error(r, 429, "too_many", "验证码发送过于频繁，请一小时后再试");
    else if (rc < 0)
        web_fail_rc(r, rc, err);
    else /* the same answer for unknown numbers: no list of employees' numbers by probing */
        web_json(r, 202, json_pack("{s:b}", "ok", 1));
}

/* stor_web_code_check()'s comparison: the entered code hashed with the row's salt. */
static int web_auth_code_match(void *arg, const char *salt, const char *code_hash)
{
    char hash[WEB_TOKEN_HEX];
    web_auth_sha256(salt, arg, hash);
    return strlen(code_hash) == 64 && sodium_memcmp(hash, code_hash, 64) == 0;
}

void web_auth_code_verify(struct web_req *r)
{
    json_t *j = web_auth_throttled(r, "code.fail") ? NULL : web_body_json(r);
    char msisdn[32], employee[EMPLOYEE_ID_MAX + 1], err[512];
    if (j == NULL || !web_auth_msisdn(r, j, msisdn, sizeof msisdn)) {
        json_decref(j);
        return;
    }
    const char *code = web_str(j, "code");
    int rc = code != NULL && strlen(code) == 6 && strspn(code, "0123456789") == 6
                 ? stor_web_code_check(r->adm, msisdn, WEB_CODE_TRIES, web_auth_code_match,
                                       (void *)code, employee, err, sizeof err)
                 : -EACCES;
    if (rc == -EACCES || rc == -ENOENT)
        web_auth_failed(r, "code.fail", msisdn);
    if (rc == -EACCES)
        web_error(r, 401, "wrong_code", "验证码错误");
    else if (rc == -ENOENT)
        web_error(r, 401, "no_code", "验证码已失效，请重新获取");
    else if (rc < 0)
        web_fail_rc(r, rc, err);
    else if (web_auth_open(r, 0, employee) == 0)
        web_json(r, 200, web_auth_me_json(r));
    json_decref(j);
}
