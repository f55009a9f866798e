/*
 * web_auth.h: who is asking. Managers log in with a login and password (Argon2id hashes,
 * libsodium), employees with their registered number and a 6-digit code sent by SMS
 * through ermgw's outbox. Either gets a session: a random token in an HttpOnly,
 * SameSite=Strict cookie (Secure behind TLS), stored hashed; and a CSRF value bound to the
 * session that the page sends back in X-CSRF-Token on every request that changes
 * something.
 *
 * Limits: a user is locked out for WEB_LOCK_S after WEB_MAX_FAILED wrong passwords in a
 * row; a code lives 5 minutes and dies after 3 wrong tries; 3 codes per number per hour
 * and [web] code_per_address per address; an address with WEB_ADDR_FAILS failed logins
 * (passwords or codes, any user or number) within WEB_ADDR_WINDOW_S is refused until they
 * age out. Failed logins are audited ("login.fail", "code.fail") with the address.
 */
#ifndef ERM_WEB_AUTH_H
#define ERM_WEB_AUTH_H

#include "web/web_server.h"

#define WEB_MAX_FAILED    5
#define WEB_LOCK_S        900
#define WEB_CODE_TTL_S    300
#define WEB_CODE_TRIES    3
#define WEB_CODE_HOURLY   3
#define WEB_ADDR_FAILS    20
#define WEB_ADDR_WINDOW_S 900
#define WEB_PW_MIN        10 /* characters of a password, as `ermctl user add` */
/* A session looked up is kept in memory (web_cache.h) this long: what it may miss meanwhile
 * is its expiry and an employee's deactivation by ermctl; a logout and a password change
 * drop it at once. */
#define WEB_SESSION_CACHE_S     10
#define WEB_SESSION_CACHE_SLOTS 4096
#define WEB_PW_MAX              200

/* Finds R's session from its cookie into R->sess. 1 when there is a live one. */
int web_auth_session(struct web_req *r);

/* 1 when R's X-CSRF-Token header equals its session's value. */
int web_auth_csrf_ok(struct web_req *r);

/* Frees the sessions kept in memory (at exit). */
void web_auth_free(void);

/* The routes: POST /api/v1/login, /logout, /code/send, /code/verify; GET /api/v1/me. */
void web_auth_login(struct web_req *r);
void web_auth_logout(struct web_req *r);
void web_auth_me(struct web_req *r);
/* GET /api/v1/session (public): the session as /me says, or {"role": null} without one,
 * so a page asks who is logged in without a failed request. */
void web_auth_session_get(struct web_req *r);
void web_auth_code_send(struct web_req *r);
/* POST /api/v1/password {"old", "new"}: a user's new password (WEB_PW_MIN..WEB_PW_MAX
 * characters, not the old one); ends the user's other sessions. The only call a user with
 * a one-time password can make besides /me and /logout. */
void web_auth_password(struct web_req *r);
void web_auth_code_verify(struct web_req *r);

#endif
