/*
 * outbox.c: the outbox calls of outbox.h, each one statement (so one implicit transaction)
 * run as a job on the daemon's connection. Parameters are copied when the call is made;
 * rows taken are copied out of libpq's result before the callback sees them.
 *
 * A state change that finds no row in the state it expects (a late response for a row that
 * already went on) changes nothing and completes with -ENOENT, logged here.
 */
#include "storage/outbox.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/promo.h"
#include "storage/db_internal.h"

#define OUTBOX_MAX_PARAMS 4

const struct stor_stmt stor_outbox_stmts[] = {
    {STOR_STMT_OUTBOX_INSERT,
     "INSERT INTO outbox (dest, source, kind, text) VALUES ($1, $2, $3, $4)", 4},
    /* Replies, then pushes in the room left: each from its partial index (schema/018). */
    {"outbox_take",
     "WITH r AS (SELECT id FROM outbox WHERE state = 'queued' AND kind <> '" PROMO_OUTBOX_KIND "'"
     "           AND id > $2 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED),"
     "     p AS (SELECT id FROM outbox WHERE state = 'queued' AND kind = '" PROMO_OUTBOX_KIND "'"
     "           AND id > $4 ORDER BY id"
     "           LIMIT greatest($1::bigint - (SELECT count(*) FROM r), 0)"
     "           FOR UPDATE SKIP LOCKED),"
     /* = ANY of an array, not a join: the planner cannot size the two queues' union and
      * chose a hash join over the whole table (50 ms a take on 200,000 rows). */
     "     taken AS (UPDATE outbox o SET state = 'sending', tries = o.tries + 1,"
     "                      owner = $3, updated_at = now()"
     "               WHERE o.id = ANY (ARRAY(SELECT id FROM r UNION ALL SELECT id FROM p))"
     "               RETURNING o.id, o.dest, o.source, o.text,"
     "                         o.kind = '" PROMO_OUTBOX_KIND "' AS push)"
     " SELECT id, dest, source, text, push FROM taken ORDER BY push, id",
     4},
    /* Only the owner puts its row back: one taken over meanwhile is another's now. */
    {"outbox_retry",
     "UPDATE outbox SET state = 'queued', owner = NULL, error = $2, updated_at = now()"
     " WHERE id = $1 AND state = 'sending' AND owner = $3",
     3},
    {"outbox_failed",
     "UPDATE outbox SET state = 'failed', owner = NULL, error = $2, updated_at = now()"
     " WHERE id = $1 AND (state = 'queued' OR (state = 'sending' AND owner = $3))",
     3},
    /* At start: this gateway's rows of its earlier run, rows of no owner, and rows of a
     * gateway whose lease has run out. */
    {"outbox_recover",
     "UPDATE outbox o SET state = 'queued', owner = NULL, updated_at = now()"
     " WHERE o.state = 'sending' AND (o.owner IS NULL OR o.owner = $1 OR NOT EXISTS"
     " (SELECT 1 FROM gateway_leases g WHERE g.gateway_id = o.owner AND g.expires_at > now()))",
     1},
    {"outbox_sweep",
     "UPDATE outbox SET state = 'queued', owner = NULL, updated_at = now()"
     " WHERE state = 'sending' AND (owner IS NULL OR owner = $3)"
     " AND updated_at < now() - make_interval(secs => $1) AND id <> ALL ($2::bigint[])",
     3},
    {"outbox_lease",
     "INSERT INTO gateway_leases (gateway_id, expires_at)"
     " VALUES ($1, now() + make_interval(secs => $2))"
     " ON CONFLICT (gateway_id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
     2},
    /* Rows of other gateways whose lease has run out (dead, or frozen). */
    {"outbox_takeover",
     "UPDATE outbox o SET state = 'queued', owner = NULL, updated_at = now()"
     " WHERE o.state = 'sending' AND o.owner IS NOT NULL AND o.owner <> $1 AND NOT EXISTS"
     " (SELECT 1 FROM gateway_leases g WHERE g.gateway_id = o.owner AND g.expires_at > now())",
     1},
    {NULL, NULL, 0},
};

struct outbox_job {
    struct stor_job job; /* first: db.c sees this */
    const char *stmt;
    const char *what; /* for log lines */
    int nparams;
    char *params[OUTBOX_MAX_PARAMS];
    int64_t id;   /* the row concerned, 0 for none */
    int need_row; /* -ENOENT when the statement changed no row */
    int sent;     /* the statement has been sent */
    stor_done_cb done;
    stor_outbox_rows_cb rows_cb;
    void *arg;
    struct stor_outbox_row *rows; /* take: the rows, their texts after them */
    size_t nrows;
};

/* Copies the rows of a take into one allocation owned by the job. */
static int outbox_copy_rows(struct outbox_job *j, const PGresult *res)
{
    size_t n = (size_t)PQntuples(res), bytes = n * sizeof(struct stor_outbox_row);
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        bytes += (size_t)PQgetlength(res, (int)i, 3) + 1;
    j->rows = malloc(bytes);
    if (j->rows == NULL)
        return -ENOMEM;
    char *text = (char *)(j->rows + n);
    for (size_t i = 0; i < n; i++) {
        struct stor_outbox_row *r = &j->rows[i];
        int k = (int)i;
        r->id = strtoll(PQgetvalue(res, k, 0), NULL, 10);
        snprintf(r->dest, sizeof r->dest, "%s", PQgetvalue(res, k, 1));
        snprintf(r->source, sizeof r->source, "%s", PQgetvalue(res, k, 2));
        size_t len = (size_t)PQgetlength(res, k, 3);
        memcpy(text, PQgetvalue(res, k, 3), len + 1);
        r->text = text;
        text += len + 1;
        r->queue = PQgetvalue(res, k, 4)[0] == 't' ? STOR_OUTBOX_PUSHES : STOR_OUTBOX_REPLIES;
    }
    j->nrows = n;
    return 0;
}

static int outbox_step(struct stor_job *job, const PGresult *res)
{
    struct outbox_job *j = (struct outbox_job *)job;
    if (!j->sent) {
        j->sent = 1;
        return stor_job_send(job, j->stmt, j->nparams, (const char *const *)j->params);
    }
    if (j->rows_cb != NULL) {
        int rc = outbox_copy_rows(j, res);
        return rc < 0 ? rc : STOR_JOB_DONE;
    }
    const char *changed = PQcmdTuples((PGresult *)res);
    if (j->need_row && strcmp(changed, "0") == 0) {
        ERM_WARN("db", "%s: outbox row %" PRId64 " is not in a state for it; left as it is",
                 j->what, j->id);
        return -ENOENT;
    }
    if (strcmp(j->stmt, "outbox_recover") == 0 && strcmp(changed, "0") != 0)
        ERM_INFO("db", "outbox: %s rows left sending put back to queued", changed);
    if (strcmp(j->stmt, "outbox_takeover") == 0 && strcmp(changed, "0") != 0)
        ERM_WARN("db",
                 "outbox: %s rows sending by another gateway whose lease ran out put back to "
                 "queued (taken over)",
                 changed);
    if (strcmp(j->stmt, "outbox_sweep") == 0 && strcmp(changed, "0") != 0) {
        if (strcmp(j->params[0], "0") == 0) /* right after a take that failed */
            ERM_WARN("db", "outbox: %s rows of a take whose result was lost put back to queued",
                     changed);
        else
            ERM_WARN("db",
                     "outbox: %s rows sending for over %s s and held by no sender here put "
                     "back to queued (a take whose result was lost)",
                     changed, j->params[0]);
    }
    return STOR_JOB_DONE;
}

static void outbox_free(struct outbox_job *j)
{
    for (int i = 0; i < OUTBOX_MAX_PARAMS; i++)
        free(j->params[i]);
    free(j->rows);
    free(j);
}

static void outbox_finish(struct stor_job *job, int rc)
{
    struct outbox_job *j = (struct outbox_job *)job;
    if (j->rows_cb != NULL)
        j->rows_cb(j->arg, rc, rc == 0 ? j->rows : NULL, rc == 0 ? j->nrows : 0);
    else if (j->done != NULL)
        j->done(j->arg, rc);
    outbox_free(j);
}

static const struct stor_job_ops outbox_ops = {"outbox", outbox_step, outbox_finish};

/* Makes a job for STMT with the N strings of VALUES (copied; NULL stays NULL). */
static struct outbox_job *outbox_job_new(const char *stmt, const char *what, int n,
                                         const char *const *values)
{
    struct outbox_job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return NULL;
    j->job.ops = &outbox_ops;
    j->stmt = stmt;
    j->what = what;
    j->nparams = n;
    for (int i = 0; i < n; i++) {
        if (values[i] == NULL)
            continue;
        j->params[i] = strdup(values[i]);
        if (j->params[i] == NULL) {
            outbox_free(j);
            return NULL;
        }
    }
    return j;
}

/* Queues J, or frees it when refused. */
static int outbox_submit(struct stor_db *db, struct outbox_job *j)
{
    if (j == NULL)
        return -ENOMEM;
    int rc = stor_db_submit(db, &j->job);
    if (rc < 0)
        outbox_free(j);
    return rc;
}

/* Runs STMT with the N values V (copied); CB gets the plain outcome. */
static int outbox_simple(struct stor_db *db, const char *stmt, const char *what, int n,
                         const char *const *v, stor_done_cb cb, void *arg)
{
    struct outbox_job *j = outbox_job_new(stmt, what, n, v);
    if (j != NULL) {
        j->done = cb;
        j->arg = arg;
    }
    return outbox_submit(db, j);
}

int stor_outbox_queue(struct stor_db *db, const char *dest, const char *source,
                      enum reply_kind kind, const char *text, stor_done_cb cb, void *arg)
{
    if (dest[0] == '\0' || strlen(dest) > 20 || source[0] == '\0' || strlen(source) > 20) {
        ERM_WARN("db", "outbox: refusing a message from \"%s\" to \"%s\"", source, dest);
        return -EINVAL;
    }
    const char *v[] = {dest, source, reply_kind_name(kind), text};
    return outbox_simple(db, STOR_STMT_OUTBOX_INSERT, "outbox queue", 4, v, cb, arg);
}

int stor_outbox_take(struct stor_db *db, size_t max, const int64_t after[STOR_OUTBOX_QUEUES],
                     const char *owner, stor_outbox_rows_cb cb, void *arg)
{
    char limit[24], replies[24], pushes[24];
    if (max == 0)
        return -EINVAL;
    snprintf(limit, sizeof limit, "%zu", max);
    snprintf(replies, sizeof replies, "%" PRId64, after[STOR_OUTBOX_REPLIES]);
    snprintf(pushes, sizeof pushes, "%" PRId64, after[STOR_OUTBOX_PUSHES]);
    const char *v[] = {limit, replies, owner, pushes};
    struct outbox_job *j = outbox_job_new("outbox_take", "outbox take", 4, v);
    if (j != NULL) {
        j->rows_cb = cb;
        j->arg = arg;
    }
    return outbox_submit(db, j);
}

/* A state change of row ID, owned by OWNER, with ARG2 as the second parameter. */
static int outbox_change(struct stor_db *db, const char *stmt, const char *what, int64_t id,
                         const char *arg2, const char *owner, stor_done_cb cb, void *arg)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%" PRId64, id);
    const char *v[] = {sid, arg2, owner};
    struct outbox_job *j = outbox_job_new(stmt, what, 3, v);
    if (j != NULL) {
        j->id = id;
        j->need_row = 1;
        j->done = cb;
        j->arg = arg;
    }
    return outbox_submit(db, j);
}

int stor_outbox_sent(struct stor_db *db, int64_t id, const char *message_ids, enum receipt_ids ways,
                     stor_done_cb cb, void *arg)
{
    /* One transaction with the parts' ids, which receipts find the row by (receipts.c). */
    return stor_receipts_record_sent(db, id, message_ids, ways, cb, arg);
}

int stor_outbox_retry(struct stor_db *db, int64_t id, const char *owner, const char *error,
                      stor_done_cb cb, void *arg)
{
    return outbox_change(db, "outbox_retry", "outbox retry", id, error, owner, cb, arg);
}

int stor_outbox_failed(struct stor_db *db, int64_t id, const char *owner, uint32_t status,
                       stor_done_cb cb, void *arg)
{
    char error[40];
    snprintf(error, sizeof error, "SMPP status 0x%08" PRIX32, status);
    return outbox_change(db, "outbox_failed", "outbox failed", id, error, owner, cb, arg);
}

int stor_outbox_sweep(struct stor_db *db, const char *owner, unsigned age_s, const int64_t *held,
                      size_t n, stor_done_cb cb, void *arg)
{
    char age[24];
    struct stor_arr ids = {0};
    int rc = 0;
    snprintf(age, sizeof age, "%u", age_s);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char id[24];
        snprintf(id, sizeof id, "%" PRId64, held[i]);
        rc = stor_arr_add(&ids, id);
    }
    if (rc == 0)
        rc = stor_arr_end(&ids);
    if (rc < 0) {
        stor_arr_free(&ids, 1);
        return rc;
    }
    const char *v[] = {age, ids.s, owner};
    rc = outbox_simple(db, "outbox_sweep", "outbox sweep", 3, v, cb, arg);
    stor_arr_free(&ids, 1);
    return rc;
}

int stor_outbox_recover(struct stor_db *db, const char *owner, stor_done_cb cb, void *arg)
{
    const char *v[] = {owner};
    return outbox_simple(db, "outbox_recover", "outbox recover", 1, v, cb, arg);
}

int stor_outbox_lease(struct stor_db *db, const char *owner, unsigned lease_s, stor_done_cb cb,
                      void *arg)
{
    char secs[24];
    snprintf(secs, sizeof secs, "%u", lease_s);
    const char *v[] = {owner, secs};
    return outbox_simple(db, "outbox_lease", "gateway lease", 2, v, cb, arg);
}

int stor_outbox_takeover(struct stor_db *db, const char *owner, stor_done_cb cb, void *arg)
{
    const char *v[] = {owner};
    return outbox_simple(db, "outbox_takeover", "outbox takeover", 1, v, cb, arg);
}
