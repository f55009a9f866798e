/*
 * db_internal.h: private to storage/. The job queue of the daemon's connection (db.c) that
 * orders.c and outbox.c put their work on, the prepared-statement tables they contribute,
 * and the blocking admin connection (admin.c) that the files of ermctl's operations share
 * (pool.c, people.c, handout.c, optout.c, report.c, migrate.c).
 *
 * A job is a small state machine: db.c calls its step() with no result to start it, step()
 * sends one statement (stor_job_send / stor_job_send_sql) and returns STOR_JOB_SENT; when
 * the statement's result is in, step() is called again with it, and so on until it returns
 * STOR_JOB_DONE. A statement error or a negative return rolls the open transaction back and
 * fails the job (-EIO for a statement error). finish() is called exactly once per job that
 * was accepted, with 0 or the negative errno, and owns freeing it.
 */
#ifndef ERM_DB_INTERNAL_H
#define ERM_DB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "core/metrics.h"
#include "storage/db.h"
#include "storage/orders.h"
#include "storage/receipts.h"

/* A statement prepared once per connection. Tables end with a { NULL } entry. */
struct stor_stmt {
    const char *name;
    const char *sql;
    int nparams;
};

extern const struct stor_stmt stor_order_stmts[];
extern const struct stor_stmt stor_outbox_stmts[];
extern const struct stor_stmt stor_claim_stmts[];        /* claims.c */
extern const struct stor_stmt stor_optout_stmts[];       /* optout.c */
extern const struct stor_stmt stor_mo_stmts[];           /* mo_job.c: the MO log's and parts' */
extern const struct stor_stmt stor_receipt_stmts[];      /* receipts.c */
extern const struct stor_stmt stor_query_stmts[];        /* query.c */
extern const struct stor_stmt stor_order_batch_stmts[];  /* order_batch.c */
extern const struct stor_stmt stor_outbox_gauge_stmts[]; /* outbox_gauge.c */

/* The outbox insert, shared by outbox.c (its owner) and the order transaction. Parameters:
 * dest, source, kind, text. */
#define STOR_STMT_OUTBOX_INSERT "outbox_insert"

enum { STOR_JOB_SENT = 0, STOR_JOB_DONE = 1 };

struct stor_job;
struct stor_mo_key;

struct stor_job_ops {
    const char *name; /* static, for log lines: "order", "outbox take" */
    /* RES is NULL at the start, then the result (PGRES_COMMAND_OK or PGRES_TUPLES_OK) of
     * the statement sent last; it is db.c's and valid during the call only. Returns
     * STOR_JOB_SENT, STOR_JOB_DONE or a negative errno. */
    int (*step)(struct stor_job *job, const PGresult *res);
    /* The outcome, exactly once: calls the user's callback and frees the job. */
    void (*finish)(struct stor_job *job, int rc);
};

/* Embedded first in each module's job struct; db.c owns the fields. */
struct stor_job {
    const struct stor_job_ops *ops;
    struct stor_db *db;
    struct stor_job *next;
};

/* Queues JOB (ops set; the rest is filled in). Returns 0 (finish() follows), -ENOTCONN when
 * the database is down or still connecting, -ECANCELED when it is closing; on error the job
 * is untouched and still the caller's. */
int stor_db_submit(struct stor_db *db, struct stor_job *job);

/* Sends the prepared statement STMT with NPARAMS text VALUES (NULL entries are SQL NULL) for
 * JOB, from within its step(). Values are copied by libpq. Returns 0 or -EIO. */
int stor_job_send(struct stor_job *job, const char *stmt, int nparams, const char *const *values);

/* One statement of a pipeline: the prepared statement STMT with NPARAMS text VALUES, or
 * (STMT NULL) the constant SQL without parameters. */
struct stor_send {
    const char *stmt;
    const char *sql;
    int nparams;
    const char *const *values;
};

/* Sends the N statements of SENDS in one round trip (libpq pipeline mode, one sync at the
 * end), from within a job's step(); the next step() gets the last statement's result, or
 * the job fails on the first that failed (those after it are not run). Inside an open
 * transaction (or opening it with a "BEGIN" first) they are that transaction's. Values are
 * copied by libpq. Returns STOR_JOB_SENT or a negative errno (return it: the job fails,
 * and the connection is dropped when part of the pipeline may be out). */
int stor_job_send_pipe(struct stor_job *job, const struct stor_send *sends, int n);

/* Copies the N strings of VALUES into OUT for a job's parameters (NULL stays NULL: SQL
 * NULL). Returns 0, or -ENOMEM with the copies made so far left in OUT for the caller to
 * free. */
int stor_params_dup(char **out, int n, const char *const *values);

/* Sends a constant statement without parameters ("BEGIN", "COMMIT"). 0 or -EIO. */
int stor_job_send_sql(struct stor_job *job, const char *sql);

/* The MO dedupe step (mo_log.c, see mo_log.h): every MO transaction sends it right after
 * its BEGIN, from its step(), and reads its result with stor_mo_dedupe_check() in the next
 * step(). Check returns 0 (go on), -EALREADY (a redelivery, or a reassembled message that
 * another transaction took: return it, the job rolls back and its caller acknowledges the
 * MO without a reply) or -EAGAIN / -EIO (return it too: nothing is stored). */
int stor_mo_dedupe_send(struct stor_job *job, const struct stor_mo_key *key);
int stor_mo_dedupe_check(const struct stor_mo_key *key, const PGresult *res);

/* A PostgreSQL array literal being written (pgarray.c), for the set-based statements of the
 * batch jobs: zero it, add each element, end it, pass S as a text parameter, free it. */
struct stor_arr {
    char *s; /* malloc'd, the caller's (stor_arr_free) */
    size_t len, cap;
};
/* Appends V, quoted and escaped (NULL: the SQL NULL element). 0 or -ENOMEM. */
int stor_arr_add(struct stor_arr *a, const char *v);
/* Closes the literal ('{}' when nothing was added). 0 or -ENOMEM. */
int stor_arr_end(struct stor_arr *a);
/* Frees the N literals of A and zeroes them. */
void stor_arr_free(struct stor_arr *a, size_t n);

/* Orders' channels ("sms", "phone"): each gathers in a batch of its own. */
#define STOR_ORDER_CHANNELS 2

/* Group commit, kept in the connection: the batch jobs still gathering (queued, not
 * started: new work joins them), of orders (order_batch.c: one per channel, so that calls
 * arriving between SMS do not cut the SMS batch short, nor the SMS the calls') and of rows
 * sent (receipts.c), and the orders' bound. db.c only zeroes it. */
struct stor_gather {
    struct stor_job *orders[STOR_ORDER_CHANNELS];
    uint64_t orders_opened; /* batches opened so far: their order in the queue */
    unsigned order_max;     /* orders per transaction at most; 0 or 1: one per transaction */
    struct stor_job *sent;
    /* Batches of orders committed: orders each, seconds each from BEGIN to COMMIT (made by
     * order_batch.c at its first batch: bounds NULL until then). */
    struct metrics_hist batch_size, batch_seconds;
};
struct stor_gather *stor_db_gather(struct stor_db *db);

/* 1 when a batch job failed with RC on its own work (a statement, a value it could not
 * send), so its parts are worth trying again one by one; 0 when the connection failed
 * (-ECONNRESET, -ENOTCONN, -ECANCELED): nothing more can be done now. */
int stor_batch_retry_alone(int rc);

/* The order of orders.h gathered into the connection's next batch transaction
 * (order_batch.c); the same contract as stor_order_place(), which hands it on when
 * batching is on and the MO has a plain dedupe key. */
int stor_order_batch_add(struct stor_db *db, const struct stor_mo_key *mo, const char *customer,
                         const char *code, const char *service, const char *channel,
                         stor_order_cb cb, void *arg);

/* The order's channel as stored ("sms" or "phone", static) for CHANNEL, NULL for any other
 * word (orders.c). */
const char *stor_order_channel(const char *channel);

/* CHANNEL's number, 0 to STOR_ORDER_CHANNELS - 1, or -1 for any other word (orders.c). */
int stor_order_channel_index(const char *channel);

/* The reply kind of erm_place_order()'s OUTCOME (orders.c); -EIO (logged, naming CODE) for
 * a word it does not know. */
int stor_order_outcome(const char *code, const char *outcome, enum reply_kind *kind);

/* core's reply_render() for an order's reply into TEXT (CAP bytes); logs a failure.
 * Returns the length or a negative errno. */
int stor_order_render(enum reply_kind kind, const char *product, const char *code,
                      const char *service, char *text, size_t cap);

/* The single order transaction of orders.c, without batching: what a failed batch falls
 * back to, one transaction per order. Same contract as stor_order_place(). */
int stor_order_place_one(struct stor_db *db, const struct stor_mo_key *mo, const char *customer,
                         const char *code, const char *service, const char *channel,
                         stor_order_cb cb, void *arg);

/* The transaction behind stor_outbox_sent() (receipts.c): the row to sent and its parts
 * recorded, with the receipts that came before them applied. */
int stor_receipts_record_sent(struct stor_db *db, int64_t id, const char *message_ids,
                              enum receipt_ids ways, void (*cb)(void *arg, int rc), void *arg);

/* Copies libpq's message MSG (possibly several lines, tab-indented) into OUT as one line:
 * white space runs become one space, trailing white space is dropped. */
void stor_pg_oneline(const char *msg, char *out, size_t cap);

/* The admin connection (admin.c), shared with the files of its operations. Their errors
 * are written with core/field.h's field_error(). */
struct stor_admin;

/* The libpq connection of ADM. */
PGconn *stor_admin_pg(struct stor_admin *adm);

/* Runs SQL with N text parameters VALS on ADM, blocking. On success returns 0 and, when RES
 * is not NULL, stores the result there (the caller PQclear()s it). On a statement error
 * returns -EIO (-ECONNRESET when the connection broke) with ERR = "WHAT: message"; *RES
 * (when given) still gets the failed result so the caller can look at its SQL state. */
int stor_admin_exec(struct stor_admin *adm, PGresult **res, const char *what, const char *sql,
                    int n, const char *const *vals, char *err, size_t errlen);

/* stor_admin_exec() of a statement prepared on ADM's connection at its first use (SQL, a
 * string constant, is its key: the same text at another address is another statement), for
 * the statements a busy front end (ermweb) runs on every request: parsed and planned once
 * per connection. At most ADMIN_PREPARED_MAX statements; others run unprepared. */
#define ADMIN_PREPARED_MAX 32
int stor_admin_exec_prep(struct stor_admin *adm, PGresult **res, const char *what, const char *sql,
                         int n, const char *const *vals, char *err, size_t errlen);

/* Rolls back the transaction open on ADM, if any; errors are ignored (ERR keeps the first
 * failure). */
void stor_admin_rollback(struct stor_admin *adm);

/* The end of a transaction's function: clears RES (may be NULL), rolls back when RC < 0,
 * and returns RC. */
int stor_admin_end(struct stor_admin *adm, PGresult *res, int rc);

/* BEGIN and COMMIT on ADM, as stor_admin_exec() runs them. */
int stor_admin_begin(struct stor_admin *adm, char *err, size_t errlen);
int stor_admin_commit(struct stor_admin *adm, char *err, size_t errlen);

/* The value at ROW, COL of RES, or NULL for SQL NULL (PQgetvalue() gives ""). */
const char *stor_admin_value(const PGresult *res, int row, int col);

#endif
