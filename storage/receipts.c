/*
 * receipts.c: the two transactions of delivery receipts (receipts.h), on the daemon's
 * connection:
 *
 *   a receipt:    SELECT * FROM erm_apply_receipt(id form, stat, ...)      -- one statement
 *   rows sent:    SELECT * FROM erm_outbox_sent(ids[], message ids[], parts' ids[] ...)
 *                 -- one statement for every row answered while the connection was busy:
 *                 -- rows to 'sent', their parts kept, receipts that came first applied
 *
 * The id forms are core/receipt.h's (receipt_id_norm), made here for both sides: a receipt
 * is compared with the form the SMSC's way asks for (else TEXT), so that a hex
 * submit_sm_resp id and a decimal receipt id of the same number meet; a part keeps its TEXT
 * and the one other form that way can ask for (sent_forms), as each kept form is an index
 * entry more per part. The matching and its locks are schema/003_delivery.sql's.
 */
#include "storage/receipts.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/receipt.h"
#include "storage/db_internal.h"

#define RECEIPT_MAX_PARTS 255

const struct stor_stmt stor_receipt_stmts[] = {
    {"receipt_apply",
     "SELECT outcome, outbox_id, part, delivery"
     " FROM erm_apply_receipt($1, $2, $3, $4, $5, $6, $7)",
     7},
    {"receipt_sent",
     "SELECT item, recorded, delivery FROM erm_outbox_sent($1::bigint[], $2::text[],"
     " $3::bigint[], $4::integer[], $5::text[], $6::text[], $7::text[], $8::text[])",
     8},
    {NULL, NULL, 0},
};

static const char *const receipt_outcome_names[] = {
    [STOR_RECEIPT_PENDING] = "pending",
    [STOR_RECEIPT_DUP] = "dup",
    [STOR_RECEIPT_APPLIED] = "applied",
    [STOR_RECEIPT_SETTLED] = "settled",
};

#define RECEIPT_NOUTCOMES (sizeof receipt_outcome_names / sizeof receipt_outcome_names[0])

const char *stor_receipt_outcome_name(enum stor_receipt_outcome outcome)
{
    return (unsigned)outcome < RECEIPT_NOUTCOMES ? receipt_outcome_names[outcome] : "invalid";
}

/* ---- a receipt --------------------------------------------------------------------------- */

struct receipt_job {
    struct stor_job job; /* first: db.c sees this */
    int sent;
    char *params[7];
    enum stor_receipt_outcome outcome;
    int64_t outbox_id;
    char *delivery;
    stor_receipt_cb cb;
    void *arg;
};

static void receipt_free(struct receipt_job *j)
{
    for (size_t i = 0; i < sizeof j->params / sizeof j->params[0]; i++)
        free(j->params[i]);
    free(j->delivery);
    free(j);
}

static int receipt_read(struct receipt_job *j, const PGresult *res)
{
    if (PQntuples(res) != 1) {
        ERM_ERROR("db", "receipt %s: erm_apply_receipt gave %d rows", j->params[0], PQntuples(res));
        return -EIO;
    }
    const char *outcome = PQgetvalue(res, 0, 0);
    size_t i = 0;
    while (i < RECEIPT_NOUTCOMES && strcmp(outcome, receipt_outcome_names[i]) != 0)
        i++;
    if (i == RECEIPT_NOUTCOMES) {
        ERM_ERROR("db", "receipt %s: unexpected outcome \"%s\"", j->params[0], outcome);
        return -EIO;
    }
    j->outcome = (enum stor_receipt_outcome)i;
    if (!PQgetisnull(res, 0, 1))
        j->outbox_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    if (!PQgetisnull(res, 0, 3) && (j->delivery = strdup(PQgetvalue(res, 0, 3))) == NULL)
        return -ENOMEM;
    return STOR_JOB_DONE;
}

static int receipt_step(struct stor_job *job, const PGresult *res)
{
    struct receipt_job *j = (struct receipt_job *)job;
    if (!j->sent) {
        j->sent = 1;
        return stor_job_send(job, "receipt_apply", 7, (const char *const *)j->params);
    }
    return receipt_read(j, res);
}

static void receipt_finish(struct stor_job *job, int rc)
{
    struct receipt_job *j = (struct receipt_job *)job;
    j->cb(j->arg, rc, j->outcome, j->outbox_id, rc == 0 ? j->delivery : NULL);
    receipt_free(j);
}

static const struct stor_job_ops receipt_ops = {"receipt", receipt_step, receipt_finish};

int stor_receipt_apply(struct stor_db *db, const struct stor_receipt *r, stor_receipt_cb cb,
                       void *arg)
{
    struct receipt_id id;
    if (receipt_id_norm(r->message_id, &id) < 0 || r->stat[0] == '\0') {
        ERM_WARN("db", "receipt refused: message id \"%.80s\", stat \"%s\"", r->message_id,
                 r->stat);
        return -EINVAL;
    }
    struct receipt_job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return -ENOMEM;
    j->job.ops = &receipt_ops;
    j->cb = cb;
    j->arg = arg;
    const char *col = "text", *key = id.text;
    if (r->ids == RECEIPT_IDS_HEX_DEC && id.dec[0] != '\0') {
        col = "hex"; /* the part's id read as hex is this decimal number */
        key = id.dec;
    } else if (r->ids == RECEIPT_IDS_DEC_HEX && id.hex[0] != '\0') {
        col = "dec";
        key = id.hex;
    }
    /* An absent err or done date is SQL NULL. */
    const char *v[] = {r->message_id,
                       col,
                       key,
                       r->stat,
                       r->final ? "true" : "false",
                       r->err[0] != '\0' ? r->err : NULL,
                       r->done_date[0] != '\0' ? r->done_date : NULL};
    int rc = stor_params_dup(j->params, 7, v);
    if (rc == 0)
        rc = stor_db_submit(db, &j->job);
    if (rc < 0)
        receipt_free(j);
    return rc;
}

/* ---- a row sent: its parts -------------------------------------------------------------- */

/* Rows sent while the connection is busy are recorded together: the queued job takes them
 * on (MORE) and records them all with one statement, erm_outbox_sent() (schema/
 * 008_sent_batch.sql: the rows' UPDATE, their parts' INSERT, the rare receipts that came
 * first), so a burst of submits costs one round trip and one commit, not three statements a
 * row. A row not in a state for it is skipped (its own -ENOENT); a statement error fails the
 * batch, whose rows are then recorded again one by one. */
#define SENT_BATCH_MAX 256
#define SENT_NARRS     8 /* erm_outbox_sent()'s array parameters */

enum sent_step { SENT_BEGIN, SENT_CALLED, SENT_DONE };

struct sent_job {
    struct stor_job job; /* first: db.c sees this */
    enum sent_step step;
    struct sent_job *more; /* the batch's other rows (not submitted themselves), in order */
    struct sent_job *last; /* the batch's last row */
    size_t nrows;
    int rc;                /* the row's own outcome in a committed batch */
    enum receipt_ids ways; /* which forms of its parts' ids receipts can look for */
    char id[24];
    char *ids;   /* the message ids as given, space-separated */
    char *cut;   /* a copy of them cut at the spaces */
    char **part; /* each id, pointing into cut */
    size_t nparts;
    void (*cb)(void *arg, int rc);
    void *arg;
};

#define SENT_EACH(j, r)                                                                            \
    for (struct sent_job *r = (j); r != NULL; r = r == (j) ? (j)->more : r->more)

/* The forms of ID a part keeps when receipts are written the way WAYS: TEXT always (what
 * receipt_apply compares when the receipt's id has no form the way asks for), DEC or HEX
 * only when a receipt can look for it (receipt_apply's choice of column). */
static void sent_forms(enum receipt_ids ways, const struct receipt_id *id, const char **dec,
                       const char **hex)
{
    *dec = ways == RECEIPT_IDS_DEC_HEX && id->dec[0] != '\0' ? id->dec : NULL;
    *hex = ways == RECEIPT_IDS_HEX_DEC && id->hex[0] != '\0' ? id->hex : NULL;
}

/* Adds row R's parts to the part arrays A[2..7]. 0 or a negative errno (logged). */
static int sent_add_parts(struct stor_arr *a, const struct sent_job *r)
{
    for (size_t k = 0; k < r->nparts; k++) {
        struct receipt_id id;
        char n[24];
        if (receipt_id_norm(r->part[k], &id) < 0) {
            ERM_ERROR("db", "outbox row %s: message id \"%.80s\" cannot be kept", r->id,
                      r->part[k]);
            return -EINVAL;
        }
        snprintf(n, sizeof n, "%zu", k + 1);
        const char *dec, *hex;
        sent_forms(r->ways, &id, &dec, &hex);
        const char *v[] = {r->id, n, r->part[k], id.text, dec, hex};
        for (size_t c = 0; c < 6; c++)
            if (stor_arr_add(&a[2 + c], v[c]) < 0)
                return -ENOMEM;
    }
    return 0;
}

/* Sends erm_outbox_sent() over every row of batch J. */
static int sent_call(struct sent_job *j)
{
    struct stor_arr a[SENT_NARRS] = {{0}};
    int rc = 0;
    SENT_EACH(j, r)
    {
        if (stor_arr_add(&a[0], r->id) < 0 || stor_arr_add(&a[1], r->ids) < 0)
            rc = -ENOMEM;
        else
            rc = sent_add_parts(a, r);
        if (rc < 0)
            goto out;
    }
    const char *v[SENT_NARRS];
    for (size_t k = 0; k < SENT_NARRS; k++) {
        if ((rc = stor_arr_end(&a[k])) < 0)
            goto out;
        v[k] = a[k].s;
    }
    j->step = SENT_CALLED;
    rc = stor_job_send(&j->job, "receipt_sent", SENT_NARRS, v);
out:
    stor_arr_free(a, SENT_NARRS);
    return rc;
}

/* Reads erm_outbox_sent()'s rows: each row's own outcome. */
static int sent_read(struct sent_job *j, const PGresult *res)
{
    if ((size_t)PQntuples(res) != j->nrows) {
        ERM_ERROR("db", "outbox sent: erm_outbox_sent gave %d rows for %zu", PQntuples(res),
                  j->nrows);
        return -EIO;
    }
    int i = 0;
    SENT_EACH(j, r)
    {
        if (strcmp(PQgetvalue(res, i, 1), "t") != 0) {
            ERM_WARN("db", "outbox sent: row %s is not in a state for it; left as it is", r->id);
            r->rc = -ENOENT;
        } else if (!PQgetisnull(res, i, 2)) {
            ERM_INFO("db", "outbox row %s: delivery %s (its receipts came first)", r->id,
                     PQgetvalue(res, i, 2));
        }
        i++;
    }
    j->step = SENT_DONE;
    return STOR_JOB_DONE;
}

static int sent_step(struct stor_job *job, const PGresult *res)
{
    struct sent_job *j = (struct sent_job *)job;
    switch (j->step) {
    case SENT_BEGIN:
        if (stor_db_gather(job->db)->sent == job)
            stor_db_gather(job->db)->sent = NULL; /* started: takes no more rows */
        return sent_call(j);
    case SENT_CALLED:
        return sent_read(j, res);
    default:
        return STOR_JOB_DONE;
    }
}

static void sent_free(struct sent_job *j)
{
    free(j->ids);
    free(j->cut);
    free(j->part);
    free(j);
}

/* A batch that failed on a statement: each row again in a transaction of its own. */
static void sent_retry_alone(struct sent_job *j, int rc)
{
    ERM_WARN("db", "outbox sent: a batch of %zu rows failed; recording them one by one", j->nrows);
    /* Kept aside: the first row is J itself, whose fields are reset below. */
    const struct stor_job_ops *ops = j->job.ops;
    struct stor_db *db = j->job.db;
    for (struct sent_job *r = j, *next; r != NULL; r = next) {
        next = r == j ? j->more : r->more;
        memset(r, 0, offsetof(struct sent_job, id));
        r->job.ops = ops;
        r->nrows = 1;
        if (stor_db_submit(db, &r->job) < 0) {
            if (r->cb != NULL)
                r->cb(r->arg, rc);
            sent_free(r);
        }
    }
}

static void sent_finish(struct stor_job *job, int rc)
{
    struct sent_job *j = (struct sent_job *)job;
    struct stor_gather *g = stor_db_gather(job->db);
    if (g->sent == job)
        g->sent = NULL; /* failed before its turn */
    if (stor_batch_retry_alone(rc) && j->nrows > 1 && j->step != SENT_BEGIN) {
        sent_retry_alone(j, rc);
        return;
    }
    for (struct sent_job *r = j, *next; r != NULL; r = next) {
        next = r == j ? j->more : r->more;
        if (r->cb != NULL)
            r->cb(r->arg, rc < 0 ? rc : r->rc);
        sent_free(r);
    }
}

static const struct stor_job_ops sent_ops = {"outbox sent", sent_step, sent_finish};

/* Cuts J->cut at its spaces into J->part. 0 or a negative errno. */
static int sent_split(struct sent_job *j)
{
    j->part = calloc(RECEIPT_MAX_PARTS, sizeof *j->part);
    if (j->part == NULL)
        return -ENOMEM;
    char *save = NULL;
    for (char *t = strtok_r(j->cut, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save)) {
        if (j->nparts == RECEIPT_MAX_PARTS) {
            ERM_ERROR("db", "outbox row %s: more than %d message ids", j->id, RECEIPT_MAX_PARTS);
            return -E2BIG;
        }
        j->part[j->nparts++] = t;
    }
    return 0;
}

int stor_receipts_record_sent(struct stor_db *db, int64_t id, const char *message_ids,
                              enum receipt_ids ways, void (*cb)(void *arg, int rc), void *arg)
{
    struct sent_job *j = calloc(1, sizeof *j);
    int rc = -ENOMEM;
    if (j == NULL)
        return -ENOMEM;
    j->job.ops = &sent_ops;
    j->ways = ways;
    j->cb = cb;
    j->arg = arg;
    snprintf(j->id, sizeof j->id, "%" PRId64, id);
    j->ids = strdup(message_ids);
    j->cut = strdup(message_ids);
    if (j->ids == NULL || j->cut == NULL || (rc = sent_split(j)) < 0)
        goto fail;
    /* Another row waits to be recorded: this one joins its transaction. */
    struct stor_gather *g = stor_db_gather(db);
    struct sent_job *b = (struct sent_job *)g->sent;
    if (b != NULL && b->nrows < SENT_BATCH_MAX) {
        *(b->last != NULL ? &b->last->more : &b->more) = j;
        b->last = j;
        b->nrows++;
        return 0;
    }
    j->nrows = 1;
    struct stor_job *was = g->sent;
    g->sent = &j->job; /* before submitting: it may start (and even end) at once */
    if ((rc = stor_db_submit(db, &j->job)) < 0) {
        g->sent = was;
        goto fail;
    }
    return 0;

fail:
    sent_free(j);
    return rc;
}
