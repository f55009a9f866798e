/*
 * order_batch.c: group commit of orders (issue 6). Orders that come while the connection is
 * busy wait in one queued batch job; when the job's turn comes it places them all in one
 * transaction of four statements, whatever their number:
 *
 *   BEGIN
 *   SELECT * FROM erm_place_orders(keys[], links[], seqs[], windows[], customers[], codes[],
 *                                  channel)
 *   INSERT INTO outbox ... SELECT FROM unnest(...)    -- every reply, rendered by core/
 *   COMMIT
 *
 * in two round trips (issue 16): BEGIN and the placing go out together as one pipeline
 * (db.c's stor_job_send_pipe), the replies' insert and COMMIT as another; the replies
 * need the placing's result, so that is the one wait between them.
 *
 * erm_place_orders() (schema/007_orders_set.sql) places the whole batch set-based, dedupe
 * steps included, a few statements whatever its size; when that fails it places each MO
 * again in a subtransaction that undoes only that MO when it fails: a bad MO is answered as
 * one that could not be stored, its batch-mates are committed. If the batch fails as a
 * whole on a statement error (the outbox insert, a reply that could not be rendered), its
 * orders are placed again, each in a transaction of its own (orders.c), so that one bad
 * order still costs nobody else. A lost connection fails the whole batch: nothing of it is
 * known committed, every MO is answered with the temporary status and a redelivery is
 * caught by its dedupe step.
 *
 * No waiting: a batch job is queued at once, so an idle connection starts a lone order
 * straight away; batches grow only by what arrives while the transaction before is in
 * flight, up to the bound of stor_order_batch_max(). A batch holds orders of one channel
 * (sms or phone, stored with each order), and each channel gathers in its own open batch:
 * calls arriving between SMS orders used to close the SMS batch and open a new one each
 * time, so at 300 calls/s beside SMS load batches held one or two orders, each paying the
 * placing's fixed cost, and a call waited over a second for its answer. A customer's orders
 * still keep their order: one does not join its channel's batch when an order of the same
 * customer waits in the other channel's batch queued after it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/log.h"
#include "core/metrics.h"
#include "core/msisdn.h"
#include "storage/db_internal.h"
#include "storage/mo_log.h"
#include "storage/orders.h"

#define BATCH_CODE_MAX  32 /* longer is no code of the plan: such an order goes alone */
#define BATCH_REPLY_MAX 2048
#define BATCH_CAP0      8 /* items of a new batch before it grows */

const struct stor_stmt stor_order_batch_stmts[] = {
    {"order_batch_place",
     "SELECT item, status, outcome, product_name"
     " FROM erm_place_orders($1::text[], $2::text[], $3::bigint[], $4::integer[], $5::text[],"
     " $6::text[], $7)",
     7},
    {"order_batch_outbox",
     "INSERT INTO outbox (dest, source, kind, text)"
     " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])",
     4},
    {NULL, NULL, 0},
};

/* One order of a batch; the strings are copies. */
struct batch_item {
    char customer[MSISDN_ADDR_MAX]; /* as received: the reply's destination */
    char key[MSISDN_ADDR_MAX];      /* the customer as stored */
    char code[BATCH_CODE_MAX + 1];
    char service[MSISDN_ADDR_MAX];
    struct stor_mo_key mo;
    stor_order_cb cb;
    void *arg;
    int rc; /* its own outcome within a committed batch: 0, -EALREADY, -EIO */
    enum reply_kind outcome;
    int row; /* its row of erm_place_orders()'s result */
};

enum batch_step { BATCH_BEGIN, BATCH_REPLIES, BATCH_DONE };

struct batch_job {
    struct stor_job job; /* first: db.c sees this */
    enum batch_step step;
    size_t n, cap;
    struct batch_item *items;
    size_t nfresh;       /* items with a reply to insert */
    const char *channel; /* static: every item's channel */
    uint64_t opened;     /* its place in the queue among batches (stor_gather) */
    uint64_t begun_ns;   /* uv_hrtime() at its BEGIN, for the batch time */
};

/* Sends BEGIN and erm_place_orders() with the batch's MOs as six arrays, in one pipeline. */
static int batch_send_place(struct batch_job *b)
{
    struct stor_arr a[6] = {{0}};
    int rc = 0;
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        const struct batch_item *it = &b->items[i];
        char seq[16], window[16];
        snprintf(seq, sizeof seq, "%" PRIu32, it->mo.seq);
        snprintf(window, sizeof window, "%u", it->mo.window_s);
        const char *v[] = {it->mo.key, it->mo.link, seq, window, it->key, it->code};
        for (int k = 0; k < 6 && rc == 0; k++)
            rc = stor_arr_add(&a[k], v[k]);
    }
    for (int k = 0; k < 6 && rc == 0; k++)
        rc = stor_arr_end(&a[k]);
    if (rc == 0) {
        const char *v[] = {a[0].s, a[1].s, a[2].s, a[3].s, a[4].s, a[5].s, b->channel};
        const struct stor_send q[] = {{NULL, "BEGIN", 0, NULL}, {"order_batch_place", NULL, 7, v}};
        rc = stor_job_send_pipe(&b->job, q, 2);
    }
    stor_arr_free(a, 6);
    return rc;
}

/* Takes row R of erm_place_orders()'s result into its item. */
static int batch_read_row(struct batch_job *b, const PGresult *res, int r)
{
    long idx = strtol(PQgetvalue(res, r, 0), NULL, 10);
    if (idx < 1 || (size_t)idx > b->n) {
        ERM_ERROR("db", "order batch: erm_place_orders gave item %ld of %zu", idx, b->n);
        return -EIO;
    }
    struct batch_item *it = &b->items[idx - 1];
    it->row = r;
    const char *status = PQgetvalue(res, r, 1);
    const char *outcome = PQgetvalue(res, r, 2);
    if (strcmp(status, "redelivered") == 0) {
        ERM_DEBUG("db", "MO %.12s from link %s seq %" PRIu32 ": redelivered", it->mo.key,
                  it->mo.link, it->mo.seq);
        it->rc = -EALREADY;
        return 0;
    }
    if (strcmp(status, "error") == 0) {
        /* Undone on its own in the batch; like a failed single order it is not stored. */
        ERM_ERROR("db", "order %s: SQL state %s; not stored, its batch-mates go on", it->code,
                  outcome);
        it->rc = -EIO;
        return 0;
    }
    if (strcmp(status, "fresh") != 0) {
        ERM_ERROR("db", "order batch: unexpected status \"%s\"", status);
        return -EIO;
    }
    it->rc = 0;
    b->nfresh++;
    return stor_order_outcome(it->code, outcome, &it->outcome);
}

/* Renders the reply of every order placed and sends their one outbox insert and the COMMIT
 * in one pipeline; with none to send, the COMMIT alone. */
static int batch_send_replies(struct batch_job *b, const PGresult *res)
{
    if ((size_t)PQntuples(res) != b->n || PQnfields(res) != 4) {
        ERM_ERROR("db", "order batch: erm_place_orders gave %d rows for %zu", PQntuples(res), b->n);
        return -EIO;
    }
    int rc = 0;
    for (int r = 0; r < PQntuples(res) && rc == 0; r++)
        rc = batch_read_row(b, res, r);
    if (rc < 0)
        return rc;
    if (b->nfresh == 0)
        return stor_job_send_sql(&b->job, "COMMIT"); /* nothing to insert */
    struct stor_arr a[4] = {{0}};
    char *text = malloc(BATCH_REPLY_MAX);
    if (text == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        const struct batch_item *it = &b->items[i];
        if (it->rc != 0)
            continue;
        const char *product = PQgetisnull(res, it->row, 3) ? NULL : PQgetvalue(res, it->row, 3);
        rc = stor_order_render(it->outcome, product, it->code, it->service, text, BATCH_REPLY_MAX);
        const char *v[] = {it->customer, it->service, reply_kind_name(it->outcome), text};
        for (int k = 0; k < 4 && rc >= 0; k++)
            rc = stor_arr_add(&a[k], v[k]);
    }
    for (int k = 0; k < 4 && rc >= 0; k++)
        rc = stor_arr_end(&a[k]);
    if (rc >= 0) {
        const char *v[] = {a[0].s, a[1].s, a[2].s, a[3].s};
        const struct stor_send q[] = {{"order_batch_outbox", NULL, 4, v},
                                      {NULL, "COMMIT", 0, NULL}};
        rc = stor_job_send_pipe(&b->job, q, 2);
    }
    free(text);
    stor_arr_free(a, 4);
    return rc;
}

/* Counts a committed batch in the connection's histograms (made at the first). */
static void batch_observe(struct stor_gather *g, const struct batch_job *b)
{
    if (g->batch_size.bounds == NULL) {
        metrics_hist_init(&g->batch_size, metrics_size_bounds, METRICS_SIZE_NBOUNDS);
        metrics_hist_init(&g->batch_seconds, metrics_seconds_bounds, METRICS_SECONDS_NBOUNDS);
    }
    metrics_hist_observe(&g->batch_size, (double)b->n);
    metrics_hist_observe(&g->batch_seconds, (double)(uv_hrtime() - b->begun_ns) / 1e9);
}

/* The slot of G holding CHANNEL's open batch (CHANNEL: from stor_order_channel). */
static struct stor_job **batch_slot(struct stor_gather *g, const char *channel)
{
    return &g->orders[stor_order_channel_index(channel)];
}

/* 1 when an order of customer KEY joining B would be placed before an order of the same
 * customer in the other channel's open batch, queued after B. */
static int batch_overtakes(struct stor_gather *g, const struct batch_job *b, const char *key)
{
    for (size_t c = 0; c < STOR_ORDER_CHANNELS; c++) {
        const struct batch_job *o = (const struct batch_job *)g->orders[c];
        if (o == NULL || o == b || o->opened < b->opened)
            continue;
        for (size_t i = 0; i < o->n; i++)
            if (strcmp(o->items[i].key, key) == 0)
                return 1;
    }
    return 0;
}

static int batch_step(struct stor_job *job, const PGresult *res)
{
    struct batch_job *b = (struct batch_job *)job;
    struct stor_gather *g = stor_db_gather(job->db);
    switch (b->step++) {
    case BATCH_BEGIN:
        if (*batch_slot(g, b->channel) == job)
            *batch_slot(g, b->channel) = NULL; /* started: later orders gather in the next */
        b->begun_ns = uv_hrtime();
        return batch_send_place(b);
    case BATCH_REPLIES:
        return batch_send_replies(b, res);
    default:
        ERM_DEBUG("db", "order batch of %zu committed, %zu placed", b->n, b->nfresh);
        batch_observe(g, b);
        return STOR_JOB_DONE;
    }
}

/* Places the orders of a batch that failed on a statement again, one transaction each; an
 * order that cannot even be queued is answered with why. */
static void batch_retry_alone(struct batch_job *b)
{
    ERM_WARN("db", "order batch of %zu failed; placing its orders one by one", b->n);
    for (size_t i = 0; i < b->n; i++) {
        struct batch_item *it = &b->items[i];
        int rc = stor_order_place_one(b->job.db, &it->mo, it->customer, it->code, it->service,
                                      b->channel, it->cb, it->arg);
        if (rc < 0)
            it->cb(it->arg, rc, REPLY_CODE_UNKNOWN);
    }
}

static void batch_finish(struct stor_job *job, int rc)
{
    struct batch_job *b = (struct batch_job *)job;
    struct stor_gather *g = stor_db_gather(job->db);
    if (*batch_slot(g, b->channel) == job)
        *batch_slot(g, b->channel) = NULL; /* failed before its turn (connection lost, closing) */
    if (stor_batch_retry_alone(rc) && b->n > 1 && b->step > BATCH_BEGIN) {
        batch_retry_alone(b);
    } else {
        for (size_t i = 0; i < b->n; i++) {
            struct batch_item *it = &b->items[i];
            it->cb(it->arg, rc < 0 ? rc : it->rc, it->outcome);
        }
    }
    free(b->items);
    free(b);
}

static const struct stor_job_ops batch_ops = {"order batch", batch_step, batch_finish};

/* Appends an order to B, growing its array up to MAX. Returns 0 or -ENOMEM. */
static int batch_push(struct batch_job *b, const struct batch_item *it)
{
    if (b->n == b->cap) {
        size_t cap = b->cap > 0 ? 2 * b->cap : BATCH_CAP0;
        struct batch_item *items = realloc(b->items, cap * sizeof *items);
        if (items == NULL)
            return -ENOMEM;
        b->items = items;
        b->cap = cap;
    }
    b->items[b->n++] = *it;
    return 0;
}

/* A new batch job holding IT, queued on DB and open for more. Returns 0 or -errno (then
 * nothing was queued). */
static int batch_open(struct stor_db *db, struct stor_gather *g, const struct batch_item *it,
                      const char *channel)
{
    struct batch_job *b = calloc(1, sizeof *b);
    if (b == NULL)
        return -ENOMEM;
    b->job.ops = &batch_ops;
    b->channel = channel;
    b->opened = ++g->orders_opened;
    int rc = batch_push(b, it);
    if (rc < 0)
        goto fail;
    /* Open before submitting: an idle connection starts it at once (its first step closes
     * it again), and a failed send may even finish and free it inside stor_db_submit. */
    struct stor_job **slot = batch_slot(g, channel);
    struct stor_job *was = *slot;
    *slot = &b->job;
    rc = stor_db_submit(db, &b->job);
    if (rc < 0) {
        *slot = was;
        goto fail;
    }
    return 0;

fail:
    free(b->items);
    free(b);
    return rc;
}

int stor_order_batch_add(struct stor_db *db, const struct stor_mo_key *mo, const char *customer,
                         const char *code, const char *service, const char *channel,
                         stor_order_cb cb, void *arg)
{
    size_t clen = strlen(customer);
    const char *ch = stor_order_channel(channel);
    if (clen == 0 || clen >= MSISDN_ADDR_MAX || code[0] == '\0' || service[0] == '\0' ||
        strlen(service) >= MSISDN_ADDR_MAX || strlen(code) > BATCH_CODE_MAX || ch == NULL)
        return stor_order_place_one(db, mo, customer, code, service, channel, cb,
                                    arg); /* it refuses */

    struct batch_item it;
    memset(&it, 0, sizeof it);
    memcpy(it.customer, customer, clen + 1);
    if (msisdn_normalize(customer, it.key, sizeof it.key) < 0)
        memcpy(it.key, customer, clen + 1);
    snprintf(it.code, sizeof it.code, "%s", code);
    snprintf(it.service, sizeof it.service, "%s", service);
    it.mo = *mo;
    it.cb = cb;
    it.arg = arg;
    it.outcome = REPLY_CODE_UNKNOWN;

    struct stor_gather *g = stor_db_gather(db);
    struct batch_job *b = (struct batch_job *)*batch_slot(g, ch);
    if (b != NULL && b->n < g->order_max && !batch_overtakes(g, b, it.key))
        return batch_push(b, &it);
    return batch_open(db, g, &it, ch);
}

void stor_order_batch_max(struct stor_db *db, unsigned max)
{
    stor_db_gather(db)->order_max = max;
}

void stor_order_batch_stats(struct stor_db *db, struct metrics_hist *size,
                            struct metrics_hist *seconds)
{
    struct stor_gather *g = stor_db_gather(db);
    if (g->batch_size.bounds == NULL)
        return; /* no batch yet */
    (void)metrics_hist_merge(size, &g->batch_size);
    (void)metrics_hist_merge(seconds, &g->batch_seconds);
}
