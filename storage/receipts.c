/*
 * receipts.c: the two transactions of delivery receipts (receipts.h), on the daemon's
 * connection:
 *
 *   a receipt:    SELECT * FROM erm_apply_receipt(id form, stat, ...)      -- one statement
 *   a row sent:   BEGIN
 *                 UPDATE outbox ... state 'sent'                           -- outbox.c's
 *                 SELECT erm_record_part(row, n, id forms)                 -- each part
 *                 SELECT erm_outbox_settle(row)      -- receipts that came first may settle it
 *                 COMMIT
 *                 (rows sent while the connection is busy share one such transaction, each
 *                 row's three steps in turn: see "a row sent" below)
 *
 * The id forms are core/receipt.h's (receipt_id_norm), made here for both sides: a part
 * keeps all three, a receipt is compared with the one the SMSC's way asks for, so that a hex
 * submit_sm_resp id and a decimal receipt id of the same number meet. The matching and its
 * locks are schema/003_delivery.sql's.
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
    {"receipt_part", "SELECT erm_record_part($1, $2, $3, $4, $5, $6)", 6},
    {"receipt_settle", "SELECT erm_outbox_settle($1)", 1},
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
    if (r->ids == STOR_IDS_HEX_DEC && id.dec[0] != '\0') {
        col = "hex"; /* the part's id read as hex is this decimal number */
        key = id.dec;
    } else if (r->ids == STOR_IDS_DEC_HEX && id.hex[0] != '\0') {
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
 * on (MORE) and records each in turn in its one transaction, so a burst of submits costs
 * one commit, not one each. A row not in a state for it is skipped (its own -ENOENT); a
 * statement error fails the batch, whose rows are then recorded again one by one. */
#define SENT_BATCH_MAX 256

enum sent_step { SENT_BEGIN, SENT_ROW, SENT_PARTS, SENT_COMMIT, SENT_DONE };

struct sent_job {
    struct stor_job job; /* first: db.c sees this */
    enum sent_step step;
    struct sent_job *more; /* the batch's other rows (not submitted themselves), in order */
    struct sent_job *last; /* the batch's last row */
    struct sent_job *cur;  /* the row being recorded */
    size_t nrows;
    int rc; /* the row's own outcome in a committed batch */
    char id[24];
    char *ids;   /* the message ids as given, space-separated */
    char *cut;   /* a copy of them cut at the spaces */
    char **part; /* each id, pointing into cut */
    size_t nparts;
    size_t next; /* the part to record next (0-based) */
    void (*cb)(void *arg, int rc);
    void *arg;
};

/* Sends the record of part R->next of row R, in batch J. */
static int sent_part(struct sent_job *j, struct sent_job *r)
{
    struct receipt_id id;
    char n[8];
    const char *raw = r->part[r->next];
    if (receipt_id_norm(raw, &id) < 0) {
        ERM_ERROR("db", "outbox row %s: message id \"%.80s\" cannot be kept", r->id, raw);
        return -EINVAL;
    }
    snprintf(n, sizeof n, "%zu", r->next + 1);
    const char *v[] = {
        r->id, n, raw, id.text, id.dec[0] ? id.dec : NULL, id.hex[0] ? id.hex : NULL};
    r->next++;
    return stor_job_send(&j->job, "receipt_part", 6, v);
}

/* Sends the row update of the batch's current row. */
static int sent_row(struct sent_job *j)
{
    j->step = SENT_PARTS;
    const char *v[] = {j->cur->id, j->cur->ids};
    return stor_job_send(&j->job, STOR_STMT_OUTBOX_SENT, 2, v);
}

/* The current row is done: the next one's update, or the commit. */
static int sent_next_row(struct sent_job *j)
{
    j->cur = j->cur == j ? j->more : j->cur->more;
    if (j->cur != NULL)
        return sent_row(j);
    j->step = SENT_DONE;
    return stor_job_send_sql(&j->job, "COMMIT");
}

static int sent_step(struct stor_job *job, const PGresult *res)
{
    struct sent_job *j = (struct sent_job *)job;
    struct sent_job *r = j->cur;
    switch (j->step) {
    case SENT_BEGIN:
        if (stor_db_gather(job->db)->sent == job)
            stor_db_gather(job->db)->sent = NULL; /* started: takes no more rows */
        j->step = SENT_ROW;
        j->cur = j;
        return stor_job_send_sql(job, "BEGIN");
    case SENT_ROW:
        return sent_row(j);
    case SENT_PARTS: {
        if (r->next == 0 && strcmp(PQcmdTuples((PGresult *)res), "0") == 0) {
            ERM_WARN("db", "outbox sent: row %s is not in a state for it; left as it is", r->id);
            r->rc = -ENOENT;
            return sent_next_row(j);
        }
        if (r->next < r->nparts)
            return sent_part(j, r);
        /* Every part is recorded: receipts that came first may have settled the row. */
        j->step = SENT_COMMIT;
        const char *v[] = {r->id};
        return stor_job_send(job, "receipt_settle", 1, v);
    }
    case SENT_COMMIT:
        if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
            ERM_INFO("db", "outbox row %s: delivery %s (its receipts came first)", r->id,
                     PQgetvalue(res, 0, 0));
        return sent_next_row(j);
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
    for (struct sent_job *r = j, *next; r != NULL; r = next) {
        next = r == j ? j->more : r->more;
        memset(r, 0, offsetof(struct sent_job, id));
        r->job.ops = j->job.ops;
        r->nrows = 1;
        r->next = 0;
        if (stor_db_submit(j->job.db, &r->job) < 0) {
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
                              void (*cb)(void *arg, int rc), void *arg)
{
    struct sent_job *j = calloc(1, sizeof *j);
    int rc = -ENOMEM;
    if (j == NULL)
        return -ENOMEM;
    j->job.ops = &sent_ops;
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
