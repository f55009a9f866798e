/*
 * web_sescache.h: the sessions ermweb looked up lately, kept in memory for a few seconds so
 * that a page's burst of requests (and a busy console) costs the database one lookup per
 * session every WEB_SESCACHE_S instead of one per request. Direct-mapped by the token's
 * hash: a clash only evicts. Shared by the worker threads under one mutex.
 *
 * What a cached session may miss for at most WEB_SESCACHE_S: its expiry, and an employee's
 * deactivation by ermctl. What ermweb itself changes is dropped at once: a logout
 * (web_sescache_drop) and a password change (web_sescache_drop_user).
 */
#ifndef ERM_WEB_SESCACHE_H
#define ERM_WEB_SESCACHE_H

#include "storage/web_sessions.h"

#define WEB_SESCACHE_S     10   /* seconds a looked-up session is trusted */
#define WEB_SESCACHE_SLOTS 4096 /* sessions kept at most (a power of two) */

/* 1 with the session of TOKEN_HASH (64 hex digits) in OUT when it was looked up less than
 * WEB_SESCACHE_S ago, else 0. */
int web_sescache_get(const char *token_hash, struct stor_web_session *out);

/* Keeps SESS, just read from the database, for TOKEN_HASH. */
void web_sescache_put(const char *token_hash, const struct stor_web_session *sess);

/* Forgets TOKEN_HASH's session (logged out). */
void web_sescache_drop(const char *token_hash);

/* Forgets every session of user USER_ID (password changed: the others end). */
void web_sescache_drop_user(int user_id);

#endif
