/*
 * db.h: one PostgreSQL connection of the daemon (ermgw keeps two: MOs and the outbox),
 * asynchronous on the libuv loop. libpq runs nonblocking (PQconnectStart /
 * PQsendQueryPrepared), its socket is watched with uv_poll, statements are prepared once
 * per connection. Work is queued as jobs run one after another; a lost connection fails the
 * job in flight and the queue (their callbacks get -ECONNRESET / -ENOTCONN: nothing was
 * committed, or the commit's fate is unknown) and is reconnected by itself with capped
 * backoff. No libpq type leaks out of storage/.
 */
#ifndef ERM_DB_H
#define ERM_DB_H

#include <uv.h>

struct stor_db;

/* Checks CONNINFO as libpq will read it with expand_dbname, without I/O: a "key=value"
 * string or a postgres:// URI is parsed (PQconninfoParse), anything else is a database
 * name; the values libpq checks only when connecting (sslmode, target_session_attrs,
 * connect_timeout, ...) are checked too. Returns 0, or -EINVAL with the complaint in MSG as
 * one line, its password hidden (-ENOMEM). A configuration error, not an outage. */
int stor_conninfo_check(const char *conninfo, char *msg, size_t cap);

/* Called when the connection comes up (UP = 1, statements prepared) or goes down (0). */
typedef void (*stor_db_state_cb)(void *ud, int up);

/* Starts connecting with CONNINFO ("" = the PG* environment variables) on LOOP. NAME
 * (static, e.g. "mo") tells this connection's log lines from another's. The handle is the
 * caller's until stor_db_close(). Returns 0 or a negative errno. */
int stor_db_open(uv_loop_t *loop, const char *conninfo, const char *name, stor_db_state_cb cb,
                 void *ud, struct stor_db **out);

/* PostgreSQL's statement_timeout for DB's connections, in MS (0: the server's own): set with
 * a parameter on each connection before it says up, so that a statement stuck behind a lock
 * fails (its job with -EIO) instead of holding the connection for ever. Call it right after
 * stor_db_open (it holds from the next connection on). */
void stor_db_statement_timeout(struct stor_db *db, unsigned ms);

/* 1 when connected and ready for work. */
int stor_db_is_up(const struct stor_db *db);

/* Fails queued jobs with -ECANCELED after the one in flight finishes, closes the connection
 * and its poll handle, then calls DONE(UD) and frees DB. */
void stor_db_close(struct stor_db *db, void (*done)(void *ud), void *ud);

/* As stor_db_close, but at a stop's deadline: the statement in flight is cancelled on the
 * server (PQcancel, so its transaction rolls back rather than committing later) and the
 * connection dropped at once; the job in flight fails with -ECONNRESET. */
void stor_db_abort(struct stor_db *db, void (*done)(void *ud), void *ud);

#endif
