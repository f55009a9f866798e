/*
 * db.c: the daemon's PostgreSQL connection, nonblocking on the libuv loop (see db.h).
 *
 * Connecting: PQconnectStartParams, then PQconnectPoll each time the socket is ready the
 * way it asked; libpq may switch sockets while it connects (another host or address), so
 * the poll handle is stopped around each PQconnectPoll and re-created whenever PQsocket()
 * changes. Once connected: nonblocking mode, then every module's statements are prepared,
 * one after another, before the state callback says up. Connecting and preparing have a
 * deadline of their own (libpq's connect_timeout does not apply to PQconnectPoll).
 *
 * Work: a FIFO of jobs (db_internal.h), one in flight at a time, each statement sent with
 * PQsendQueryPrepared and flushed with PQflush (watching writability while it returns 1);
 * results are read with PQconsumeInput / PQisBusy / PQgetResult, never blocking.
 *
 * Failures: a statement error rolls the job's transaction back and fails it with -EIO, the
 * connection goes on. A lost connection fails the job in flight with -ECONNRESET and the
 * queue with -ENOTCONN, says down, and is retried after 0.5 s, doubling up to 10 s. While
 * down, new jobs are refused at once with -ENOTCONN: the caller answers the SMSC with a
 * temporary error rather than holding its message.
 */
#include "storage/db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/conninfo.h"
#include "core/tunables.h"
#include "storage/db_internal.h"

/* core/tunables.c: db_backoff_min, db_backoff_max, db_connect (PQconnectPoll ignores
 * connect_timeout: ours). */
#define DB_BACKOFF_MIN_MS ((unsigned)tun_value(TUN_DB_BACKOFF_MIN))
#define DB_BACKOFF_MAX_MS ((unsigned)tun_value(TUN_DB_BACKOFF_MAX))
#define DB_CONNECT_MS     tun_value(TUN_DB_CONNECT)

enum db_phase {
    DB_DOWN,       /* no connection; the retry timer runs (or closing) */
    DB_CONNECTING, /* PQconnectPoll in progress */
    DB_PREPARING,  /* connected, statements being prepared */
    DB_UP,         /* ready for jobs */
};

struct stor_db {
    uv_loop_t *loop;
    char *conninfo;
    const char *name; /* for log lines: "mo", "outbox" (static) */
    stor_db_state_cb state_cb;
    void *ud;

    enum db_phase phase;
    PGconn *conn;
    uv_poll_t *poll; /* malloc'd: closing it is asynchronous */
    int poll_fd;
    uv_timer_t timer; /* reconnect backoff while down, deadline while connecting */
    unsigned backoff_ms;
    int down_logged; /* the current outage has been logged */

    size_t prep_set, prep_idx; /* next statement to prepare */
    unsigned stmt_timeout_ms;  /* statement_timeout set on each connection; 0: the server's */
    int setting;               /* the statement in flight is the set_config of it */

    struct stor_job *cur;  /* the job in flight */
    struct stor_job *head; /* queued jobs, FIFO */
    struct stor_job *tail;
    int busy;         /* a statement was sent and its results are not all read */
    int piped;        /* what is in flight is a pipeline (stor_job_send_pipe) up to its sync */
    PGresult *res;    /* the result of the statement in flight, collected */
    int rolling_back; /* the statement in flight is the ROLLBACK of a failed job */
    int fail_rc;      /* what that job fails with */
    int running;      /* db_run() is on the stack */

    struct stor_gather gather; /* order_batch.c's and receipts.c's */

    int closing;
    int closed; /* handles closed, waiting for their callbacks */
    unsigned pending_closes;
    void (*close_done)(void *ud);
    void *close_ud;
};

static const struct stor_stmt *const db_stmt_sets[] = {
    stor_order_stmts,       stor_outbox_stmts, stor_claim_stmts,
    stor_optout_stmts,      stor_mo_stmts,     stor_receipt_stmts,
    stor_order_batch_stmts, stor_query_stmts,  stor_outbox_gauge_stmts};
#define DB_NSETS (sizeof db_stmt_sets / sizeof db_stmt_sets[0])

static void db_connect_start(struct stor_db *db);
static void db_lost(struct stor_db *db, const char *why);
static void db_run(struct stor_db *db);
static void db_close_now(struct stor_db *db);

void stor_pg_oneline(const char *msg, char *out, size_t cap)
{
    size_t n = 0;
    int space = 0;
    if (cap == 0)
        return;
    for (const char *p = msg != NULL ? msg : ""; *p != '\0' && n + 1 < cap; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < cap)
            out[n++] = ' ';
        space = 0;
        out[n++] = *p;
    }
    out[n] = '\0';
}

/* The options whose values libpq checks only when it connects, and the words it takes:
 * a wrong one would otherwise be retried forever as "database down". */
static const struct {
    const char *key;
    const char *words; /* space-separated; NULL: a number */
} db_option_words[] = {
    {"sslmode", "disable allow prefer require verify-ca verify-full"},
    {"gssencmode", "disable prefer require"},
    {"channel_binding", "disable prefer require"},
    {"target_session_attrs", "any read-write read-only primary standby prefer-standby"},
    {"load_balance_hosts", "disable random"},
    {"port", NULL},
    {"connect_timeout", NULL},
    {"keepalives", NULL},
    {"keepalives_idle", NULL},
    {"keepalives_interval", NULL},
    {"keepalives_count", NULL},
};

/* 1 when VAL is one of the space-separated WORDS (NULL: a number, a list of them by commas
 * as libpq takes for several hosts, each optional). */
static int db_option_ok(const char *val, const char *words)
{
    if (words == NULL) {
        for (const char *p = val; *p != '\0'; p++)
            if ((*p < '0' || *p > '9') && *p != ',' && !(*p == '-' && (p == val || p[-1] == ',')))
                return 0;
        return 1;
    }
    size_t n = strlen(val);
    for (const char *w = words; *w != '\0';) {
        size_t len = strcspn(w, " ");
        if (len == n && strncmp(w, val, n) == 0)
            return 1;
        w += len + (w[len] == ' ');
    }
    return 0;
}

/* Checks the values of OPTS that libpq would refuse at connect time. */
static int db_options_check(const PQconninfoOption *opts, char *msg, size_t cap)
{
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (o->val == NULL)
            continue;
        for (size_t i = 0; i < sizeof db_option_words / sizeof db_option_words[0]; i++) {
            if (strcmp(o->keyword, db_option_words[i].key) != 0 ||
                db_option_ok(o->val, db_option_words[i].words))
                continue;
            if (db_option_words[i].words != NULL)
                snprintf(msg, cap, "invalid %s value \"%.64s\" (one of: %s)", o->keyword, o->val,
                         db_option_words[i].words);
            else
                snprintf(msg, cap, "invalid %s value \"%.64s\" (a number)", o->keyword, o->val);
            return -EINVAL;
        }
    }
    return 0;
}

int stor_conninfo_check(const char *conninfo, char *msg, size_t cap)
{
    char *perr = NULL;
    char line[512];
    if (strchr(conninfo, '=') == NULL && strncmp(conninfo, "postgresql://", 13) != 0 &&
        strncmp(conninfo, "postgres://", 11) != 0)
        return 0;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (opts != NULL) {
        int rc = db_options_check(opts, line, sizeof line);
        PQconninfoFree(opts);
        if (rc == 0)
            return 0;
        conninfo_mask(conninfo, line, msg, cap);
        return rc;
    }
    int rc = perr != NULL ? -EINVAL : -ENOMEM;
    stor_pg_oneline(perr != NULL ? perr : "out of memory", line, sizeof line);
    conninfo_mask(conninfo, line, msg, cap);
    PQfreemem(perr);
    return rc;
}

/* libpq's notices (and a FATAL the server sends before closing an idle connection) go to
 * the log rather than to stderr. */
static void db_notice(void *arg, const PGresult *res)
{
    (void)arg;
    char line[512];
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    stor_pg_oneline(PQresultErrorMessage(res), line, sizeof line);
    if (sev != NULL &&
        (strcmp(sev, "WARNING") == 0 || strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
        ERM_WARN("db", "server: %s", line);
    else
        ERM_DEBUG("db", "server: %s", line);
}

/* ---- handles ---------------------------------------------------------------------------- */

static void db_handle_closed(struct stor_db *db)
{
    db->pending_closes--;
    if (db->closed && db->pending_closes == 0) {
        void (*done)(void *) = db->close_done;
        void *ud = db->close_ud;
        free(db->conninfo);
        free(db);
        if (done != NULL)
            done(ud);
    }
}

static void db_poll_closed(uv_handle_t *h)
{
    struct stor_db *db = h->data;
    free(h);
    db_handle_closed(db);
}

static void db_timer_closed(uv_handle_t *h)
{
    db_handle_closed(h->data);
}

/* Closes the poll handle (stopping it at once; its memory goes in the close callback). */
static void db_unwatch(struct stor_db *db)
{
    if (db->poll == NULL)
        return;
    uv_close((uv_handle_t *)db->poll, db_poll_closed);
    db->pending_closes++;
    db->poll = NULL;
    db->poll_fd = -1;
}

static void db_on_poll(uv_poll_t *h, int status, int events);

/* Watches the connection's current socket for EVENTS; a new socket gets a new handle.
 * Returns 0 or a negative errno (the connection is then to be dropped). */
static int db_watch(struct stor_db *db, int events)
{
    int fd = PQsocket(db->conn);
    int rc;
    if (fd < 0)
        return -EBADF;
    if (db->poll != NULL && db->poll_fd != fd)
        db_unwatch(db);
    if (db->poll == NULL) {
        uv_poll_t *p = malloc(sizeof *p);
        if (p == NULL)
            return -ENOMEM;
        rc = uv_poll_init(db->loop, p, fd);
        if (rc < 0) {
            free(p);
            ERM_ERROR("db", "uv_poll_init(%d): %s", fd, uv_strerror(rc));
            return rc;
        }
        p->data = db;
        db->poll = p;
        db->poll_fd = fd;
    }
    rc = uv_poll_start(db->poll, events, db_on_poll);
    if (rc < 0) {
        ERM_ERROR("db", "uv_poll_start(%d): %s", fd, uv_strerror(rc));
        return rc;
    }
    return 0;
}

/* ---- connecting ------------------------------------------------------------------------- */

static void db_on_timer(uv_timer_t *t)
{
    struct stor_db *db = t->data;
    if (db->closing)
        return;
    if (db->phase == DB_DOWN)
        db_connect_start(db);
    else if (db->phase == DB_CONNECTING || db->phase == DB_PREPARING) {
        char why[64];
        snprintf(why, sizeof why, "no answer from the server within %u s",
                 (unsigned)(DB_CONNECT_MS / 1000u));
        db_lost(db, why);
    }
}

static void db_prepare_next(struct stor_db *db);
static int db_flush(struct stor_db *db);

static void db_connected(struct stor_db *db)
{
    if (PQsetnonblocking(db->conn, 1) != 0) {
        db_lost(db, PQerrorMessage(db->conn));
        return;
    }
    db->phase = DB_PREPARING;
    db->prep_set = 0;
    db->prep_idx = 0;
    if (db->stmt_timeout_ms == 0) {
        db_prepare_next(db);
        return;
    }
    /* A parameter, not SQL text: set_config() is SET's function form. Session-wide, so it
     * holds for every statement of this connection, and again after each reconnect. */
    char ms[16];
    snprintf(ms, sizeof ms, "%u", db->stmt_timeout_ms);
    const char *const vals[] = {ms};
    if (!PQsendQueryParams(db->conn, "SELECT pg_catalog.set_config('statement_timeout', $1, false)",
                           1, NULL, vals, NULL, NULL, 0)) {
        db_lost(db, PQerrorMessage(db->conn));
        return;
    }
    db->setting = 1;
    db->busy = 1;
    db_flush(db);
}

static void db_connect_poll(struct stor_db *db)
{
    if (db->poll != NULL)
        uv_poll_stop(db->poll); /* the socket may be replaced under us */
    int rc = 0;
    switch (PQconnectPoll(db->conn)) {
    case PGRES_POLLING_READING:
        rc = db_watch(db, UV_READABLE);
        break;
    case PGRES_POLLING_WRITING:
        rc = db_watch(db, UV_WRITABLE);
        break;
    case PGRES_POLLING_OK:
        db_connected(db);
        return;
    default: /* PGRES_POLLING_FAILED */
        db_lost(db, PQerrorMessage(db->conn));
        return;
    }
    if (rc < 0)
        db_lost(db, uv_strerror(rc));
}

static void db_connect_start(struct stor_db *db)
{
    const char *const keys[] = {"dbname", "fallback_application_name", NULL};
    const char *const vals[] = {db->conninfo, "ermgw", NULL};
    db->conn = PQconnectStartParams(keys, vals, 1);
    if (db->conn == NULL) {
        db_lost(db, "out of memory");
        return;
    }
    if (PQstatus(db->conn) == CONNECTION_BAD) {
        db_lost(db, PQerrorMessage(db->conn));
        return;
    }
    PQsetNoticeReceiver(db->conn, db_notice, NULL);
    db->phase = DB_CONNECTING;
    uv_timer_start(&db->timer, db_on_timer, DB_CONNECT_MS, 0);
    /* libpq's contract: act as if PQconnectPoll had said PGRES_POLLING_WRITING. */
    int rc = db_watch(db, UV_WRITABLE);
    if (rc < 0)
        db_lost(db, uv_strerror(rc));
}

/* ---- sending and reading ---------------------------------------------------------------- */

/* Pushes the output buffer out; watches writability while libpq still has bytes to send.
 * Returns 0, or -ECONNRESET after dropping the connection. */
static int db_flush(struct stor_db *db)
{
    int r = PQflush(db->conn);
    if (r < 0) {
        db_lost(db, PQerrorMessage(db->conn));
        return -ECONNRESET;
    }
    int rc = db_watch(db, r == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
    if (rc < 0) {
        db_lost(db, uv_strerror(rc));
        return -ECONNRESET;
    }
    return 0;
}

static void db_prepare_next(struct stor_db *db)
{
    while (db->prep_set < DB_NSETS && db_stmt_sets[db->prep_set][db->prep_idx].name == NULL) {
        db->prep_set++;
        db->prep_idx = 0;
    }
    if (db->prep_set == DB_NSETS) {
        uv_timer_stop(&db->timer);
        db->phase = DB_UP;
        db->backoff_ms = DB_BACKOFF_MIN_MS;
        db->down_logged = 0;
        ERM_INFO("db", "database connection \"%s\" ready: %s@%s/%s", db->name, PQuser(db->conn),
                 PQhost(db->conn), PQdb(db->conn));
        if (db->state_cb != NULL)
            db->state_cb(db->ud, 1);
        db_run(db);
        return;
    }
    const struct stor_stmt *s = &db_stmt_sets[db->prep_set][db->prep_idx];
    if (!PQsendPrepare(db->conn, s->name, s->sql, s->nparams, NULL)) {
        db_lost(db, PQerrorMessage(db->conn));
        return;
    }
    db->busy = 1;
    db_flush(db);
}

static int db_conn_bad(const struct stor_db *db)
{
    return db->conn == NULL || PQstatus(db->conn) == CONNECTION_BAD;
}

static void db_finish_cur(struct stor_db *db, int rc)
{
    struct stor_job *job = db->cur;
    db->cur = NULL;
    job->ops->finish(job, rc);
    db_run(db);
}

/* Fails the job in flight with RC, after rolling its transaction back if one is open. */
static void db_abort_job(struct stor_db *db, int rc)
{
    if (PQpipelineStatus(db->conn) != PQ_PIPELINE_OFF) {
        /* A pipeline not sent whole, or not left: what the server has of it is unknown. */
        db_lost(db, "a pipeline of statements could not be sent or ended");
        return;
    }
    PGTransactionStatusType ts = PQtransactionStatus(db->conn);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
        if (!PQsendQueryParams(db->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0)) {
            db_lost(db, PQerrorMessage(db->conn));
            return;
        }
        db->busy = 1;
        db->rolling_back = 1;
        db->fail_rc = rc;
        db_flush(db);
        return;
    }
    db_finish_cur(db, rc);
}

/* What a job's step() returned. */
static void db_after_step(struct stor_db *db, int r)
{
    if (r == STOR_JOB_SENT) {
        db_flush(db);
    } else if (r == STOR_JOB_DONE) {
        db_finish_cur(db, 0);
    } else if (db_conn_bad(db)) {
        db_lost(db, db->conn != NULL ? PQerrorMessage(db->conn) : "no connection");
    } else {
        db_abort_job(db, r);
    }
}

/* The statement in flight completed with RES (NULL if libpq gave none). */
static void db_result(struct stor_db *db, const PGresult *res)
{
    ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

    if (!ok && db_conn_bad(db)) {
        db_lost(db, res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
        return;
    }
    if (db->phase == DB_PREPARING && db->setting) {
        db->setting = 0;
        if (!ok) {
            char msg[512], why[600];
            stor_pg_oneline(res != NULL ? PQresultErrorMessage(res) : "no result", msg, sizeof msg);
            snprintf(why, sizeof why, "setting statement_timeout: %s", msg);
            db_lost(db, why);
            return;
        }
        db_prepare_next(db);
        return;
    }
    if (db->phase == DB_PREPARING) {
        const struct stor_stmt *s = &db_stmt_sets[db->prep_set][db->prep_idx];
        if (!ok) {
            char msg[512], why[600];
            stor_pg_oneline(res != NULL ? PQresultErrorMessage(res) : "no result", msg, sizeof msg);
            snprintf(why, sizeof why, "prepare %s: %s (is the schema migrated?)", s->name, msg);
            db_lost(db, why);
            return;
        }
        db->prep_idx++;
        db_prepare_next(db);
        return;
    }
    if (db->cur == NULL) { /* nothing waits for it */
        db_run(db);
        return;
    }
    if (db->rolling_back) {
        db->rolling_back = 0;
        db_finish_cur(db, db->fail_rc);
        return;
    }
    if (!ok) {
        char msg[512];
        const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        const char *primary = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        /* The primary message only: DETAIL would copy customers' rows into the log. */
        stor_pg_oneline(primary != NULL ? primary : "no result", msg, sizeof msg);
        ERM_ERROR("db", "%s: SQL state %s: %s", db->cur->ops->name, state != NULL ? state : "?????",
                  msg);
        db_abort_job(db, -EIO);
        return;
    }
    db_after_step(db, db->cur->ops->step(db->cur, res));
}

/* A result R (NULL: the end of one statement's results) of a pipeline in flight. Keeps the
 * first error, else the last statement's result, for the job's step. Returns 0 to read on,
 * 1 at the pipeline's sync: it is then over (pipeline mode left), its result in db->res. */
static int db_pipe_result(struct stor_db *db, PGresult *r)
{
    if (r == NULL)
        return 0;
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        db->piped = 0;
        if (!PQexitPipelineMode(db->conn)) { /* the job fails; db_abort_job drops the link */
            PQclear(db->res);
            db->res = PQmakeEmptyPGresult(db->conn, PGRES_FATAL_ERROR);
        }
        return 1;
    }
    int keep = db->res == NULL;
    if (!keep && st != PGRES_PIPELINE_ABORTED) {
        ExecStatusType had = PQresultStatus(db->res);
        keep = had == PGRES_COMMAND_OK || had == PGRES_TUPLES_OK; /* an error stays */
    }
    if (keep) {
        PQclear(db->res);
        db->res = r;
    } else {
        PQclear(r);
    }
    return 0;
}

/* Reads whatever the server sent; hands each completed statement's result on. */
static void db_read(struct stor_db *db)
{
    if (!PQconsumeInput(db->conn)) {
        db_lost(db, PQerrorMessage(db->conn));
        return;
    }
    while (db->conn != NULL && db->busy && !PQisBusy(db->conn)) {
        PGresult *r = PQgetResult(db->conn);
        if (db->piped) {
            if (db_pipe_result(db, r) == 0)
                continue;
        } else if (r != NULL) {
            /* Keep the first result (an error stays an error). */
            if (db->res == NULL)
                db->res = r;
            else
                PQclear(r);
            continue;
        }
        PGresult *res = db->res;
        db->res = NULL;
        db->busy = 0;
        db_result(db, res);
        PQclear(res);
    }
    if (db->conn == NULL)
        return;
    PGnotify *n;
    while ((n = PQnotifies(db->conn)) != NULL)
        PQfreemem(n);
    if (PQstatus(db->conn) == CONNECTION_BAD)
        db_lost(db, PQerrorMessage(db->conn));
}

static void db_on_poll(uv_poll_t *h, int status, int events)
{
    struct stor_db *db = h->data;
    /* A socket error (libuv stops the handle and says UV_EBADF) is libpq's to explain:
     * while connecting it moves on to the next address or host. */
    if (db->phase == DB_CONNECTING) {
        db_connect_poll(db);
        return;
    }
    if (db->conn == NULL)
        return;
    if (status < 0) {
        db_lost(db, PQconsumeInput(db->conn) ? uv_strerror(status) : PQerrorMessage(db->conn));
        return;
    }
    if (events & UV_WRITABLE) {
        if (db_flush(db) < 0)
            return;
    }
    if (events & UV_READABLE)
        db_read(db);
}

/* ---- jobs ------------------------------------------------------------------------------- */

/* Starts queued jobs while the connection is idle; stops when one is in flight. */
static void db_run(struct stor_db *db)
{
    if (db->running)
        return;
    db->running = 1;
    while (db->phase == DB_UP && db->cur == NULL && !db->busy) {
        if (db->closing) {
            db_close_now(db);
            break;
        }
        struct stor_job *job = db->head;
        if (job == NULL)
            break;
        db->head = job->next;
        if (db->head == NULL)
            db->tail = NULL;
        job->next = NULL;
        db->cur = job;
        db_after_step(db, job->ops->step(job, NULL));
    }
    db->running = 0;
}

int stor_db_submit(struct stor_db *db, struct stor_job *job)
{
    if (db->closing)
        return -ECANCELED;
    if (db->phase != DB_UP)
        return -ENOTCONN;
    job->db = db;
    job->next = NULL;
    if (db->tail != NULL)
        db->tail->next = job;
    else
        db->head = job;
    db->tail = job;
    db_run(db);
    return 0;
}

int stor_job_send(struct stor_job *job, const char *stmt, int nparams, const char *const *values)
{
    struct stor_db *db = job->db;
    if (db->conn == NULL)
        return -ECONNRESET;
    if (!PQsendQueryPrepared(db->conn, stmt, nparams, values, NULL, NULL, 0)) {
        char msg[512];
        stor_pg_oneline(PQerrorMessage(db->conn), msg, sizeof msg);
        ERM_ERROR("db", "%s: sending %s: %s", job->ops->name, stmt, msg);
        return -EIO;
    }
    db->busy = 1;
    return STOR_JOB_SENT;
}

int stor_job_send_pipe(struct stor_job *job, const struct stor_send *sends, int n)
{
    struct stor_db *db = job->db;
    if (db->conn == NULL)
        return -ECONNRESET;
    if (!PQenterPipelineMode(db->conn))
        goto fail;
    for (int i = 0; i < n; i++) {
        const struct stor_send *q = &sends[i];
        int ok = q->stmt != NULL
                     ? PQsendQueryPrepared(db->conn, q->stmt, q->nparams, q->values, NULL, NULL, 0)
                     : PQsendQueryParams(db->conn, q->sql, 0, NULL, NULL, NULL, NULL, 0);
        if (!ok)
            goto fail;
    }
    if (!PQpipelineSync(db->conn))
        goto fail;
    db->busy = 1;
    db->piped = 1;
    return STOR_JOB_SENT;

fail:;
    char msg[512];
    stor_pg_oneline(PQerrorMessage(db->conn), msg, sizeof msg);
    ERM_ERROR("db", "%s: sending a pipeline of %d: %s", job->ops->name, n, msg);
    return -EIO; /* db_abort_job drops the connection if part of it may be out */
}

int stor_params_dup(char **out, int n, const char *const *values)
{
    for (int i = 0; i < n; i++) {
        out[i] = NULL;
        if (values[i] != NULL && (out[i] = strdup(values[i])) == NULL)
            return -ENOMEM;
    }
    return 0;
}

int stor_job_send_sql(struct stor_job *job, const char *sql)
{
    struct stor_db *db = job->db;
    if (db->conn == NULL)
        return -ECONNRESET;
    if (!PQsendQueryParams(db->conn, sql, 0, NULL, NULL, NULL, NULL, 0)) {
        char msg[512];
        stor_pg_oneline(PQerrorMessage(db->conn), msg, sizeof msg);
        ERM_ERROR("db", "%s: sending %s: %s", job->ops->name, sql, msg);
        return -EIO;
    }
    db->busy = 1;
    return STOR_JOB_SENT;
}

/* ---- losing the connection -------------------------------------------------------------- */

static void db_drop_conn(struct stor_db *db)
{
    db_unwatch(db);
    if (db->conn != NULL)
        PQfinish(db->conn);
    db->conn = NULL;
    PQclear(db->res);
    db->res = NULL;
    db->busy = 0;
    db->piped = 0;
    db->rolling_back = 0;
    db->setting = 0;
}

/* Fails the detached job list HEAD with RC. */
static void db_fail_list(struct stor_job *head, int rc)
{
    while (head != NULL) {
        struct stor_job *next = head->next;
        head->next = NULL;
        head->ops->finish(head, rc);
        head = next;
    }
}

static void db_lost(struct stor_db *db, const char *why)
{
    char line[512], msg[512];
    int was_up = db->phase == DB_UP;
    stor_pg_oneline(why, line, sizeof line);
    conninfo_mask(db->conninfo, line, msg, sizeof msg); /* libpq may cite the conninfo */
    db_drop_conn(db);
    db->phase = DB_DOWN;

    struct stor_job *cur = db->cur, *queued = db->head;
    db->cur = db->head = db->tail = NULL;

    if (!db->closing) {
        double secs = db->backoff_ms / 1000.0;
        if (!db->down_logged)
            ERM_ERROR("db", "database down (connection \"%s\"): %s; retry in %.1f s", db->name, msg,
                      secs);
        else
            ERM_DEBUG("db", "database still down (connection \"%s\"): %s; retry in %.1f s",
                      db->name, msg, secs);
        db->down_logged = 1;
        uv_timer_start(&db->timer, db_on_timer, db->backoff_ms, 0);
        db->backoff_ms *= 2;
        if (db->backoff_ms > DB_BACKOFF_MAX_MS)
            db->backoff_ms = DB_BACKOFF_MAX_MS;
    } else {
        ERM_WARN("db", "connection lost while closing: %s", msg);
    }

    db->running++; /* callbacks below must not start jobs (none can be queued anyway) */
    if (cur != NULL)
        cur->ops->finish(cur, -ECONNRESET);
    db_fail_list(queued, db->closing ? -ECANCELED : -ENOTCONN);
    db->running--;
    if (was_up && !db->closing && db->state_cb != NULL)
        db->state_cb(db->ud, 0);
    if (db->closing)
        db_close_now(db);
}

/* ---- open / close ----------------------------------------------------------------------- */

int stor_db_open(uv_loop_t *loop, const char *conninfo, const char *name, stor_db_state_cb cb,
                 void *ud, struct stor_db **out)
{
    struct stor_db *db = NULL;
    char msg[512];
    const char *ci = conninfo != NULL ? conninfo : "";

    /* A malformed conninfo is the operator's mistake, not an outage: refuse it now. */
    int rc = stor_conninfo_check(ci, msg, sizeof msg);
    if (rc < 0) {
        ERM_ERROR("db", "bad conninfo: %s", msg);
        goto fail;
    }
    db = calloc(1, sizeof *db);
    if (db == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    db->conninfo = strdup(ci);
    if (db->conninfo == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    rc = uv_timer_init(loop, &db->timer);
    if (rc < 0)
        goto fail;
    db->timer.data = db;
    db->loop = loop;
    db->name = name;
    db->state_cb = cb;
    db->ud = ud;
    db->poll_fd = -1;
    db->backoff_ms = DB_BACKOFF_MIN_MS;
    db->phase = DB_DOWN;
    db_connect_start(db);
    *out = db;
    return 0;

fail:
    if (db != NULL)
        free(db->conninfo);
    free(db);
    return rc;
}

void stor_db_statement_timeout(struct stor_db *db, unsigned ms)
{
    db->stmt_timeout_ms = ms;
}

struct stor_gather *stor_db_gather(struct stor_db *db)
{
    return &db->gather;
}

int stor_batch_retry_alone(int rc)
{
    return rc < 0 && rc != -ECONNRESET && rc != -ENOTCONN && rc != -ECANCELED;
}

int stor_db_is_up(const struct stor_db *db)
{
    return db->phase == DB_UP && !db->closing;
}

/* Cancels the queue, drops the connection, closes the handles; stor_db_close()'s DONE runs
 * once their close callbacks have. */
static void db_close_now(struct stor_db *db)
{
    if (db->closed)
        return;
    db->closed = 1;
    struct stor_job *queued = db->head;
    db->head = db->tail = NULL;
    db_drop_conn(db);
    db->phase = DB_DOWN;
    uv_timer_stop(&db->timer);
    uv_close((uv_handle_t *)&db->timer, db_timer_closed);
    db->pending_closes++;
    db->running++;
    db_fail_list(queued, -ECANCELED);
    db->running--;
}

void stor_db_close(struct stor_db *db, void (*done)(void *ud), void *ud)
{
    if (db->closing)
        return;
    db->closing = 1;
    db->close_done = done;
    db->close_ud = ud;
    /* A job in flight finishes first (db_run closes after it); otherwise close now. */
    if (db->phase == DB_UP && (db->cur != NULL || db->busy || db->running))
        return;
    db_close_now(db);
}

void stor_db_abort(struct stor_db *db, void (*done)(void *ud), void *ud)
{
    /* From inside one of this connection's callbacks the job is ours to finish: close. */
    int in_flight = db->phase == DB_UP && (db->cur != NULL || db->busy) && !db->running;
    stor_db_close(db, done, ud);
    if (!in_flight || db->closed)
        return;
    char err[256] = "no cancel handle";
    PGcancel *c = PQgetCancel(db->conn);
    if (c == NULL || !PQcancel(c, err, sizeof err))
        ERM_WARN("db", "connection \"%s\": cancel not sent (%s); dropped anyway", db->name, err);
    if (c != NULL)
        PQfreeCancel(c);
    db_lost(db, "the transaction in flight cancelled at the stop's deadline");
}
