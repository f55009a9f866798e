/*
 * query.c: the CX and QX transactions of query.h, one job type for both:
 *
 *   BEGIN
 *   the MO's dedupe step (storage/mo_log.h)
 *   SELECT outcome, text FROM erm_query_reply(number)            -- CX
 *     or   outcome, text FROM erm_cancel_by_customer(number, code) -- QX (reversal + note)
 *   INSERT INTO outbox (...) that text, to the sender as received
 *   COMMIT
 *
 * The reply is rendered by SQL (templates in erm_texts) because its figures come from the
 * ledger in the same statement; C only carries it to the outbox.
 */
#include "storage/query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/codeplan.h"
#include "core/msisdn.h"
#include "storage/db_internal.h"
#include "storage/mo_log.h"

const struct stor_stmt stor_query_stmts[] = {
    {"query_cx", "SELECT outcome, text FROM erm_query_reply($1)", 1},
    {"query_qx", "SELECT outcome, text FROM erm_cancel_by_customer($1, $2)", 2},
    {NULL, NULL, 0},
};

/* The outcomes the SQL may give, as static strings for the callback. */
static const char *const query_outcomes[] = {"ok", "unknown", "no_order", "already", "expired"};

enum query_step { QUERY_BEGIN, QUERY_DEDUPE, QUERY_RUN, QUERY_REPLY, QUERY_COMMIT, QUERY_DONE };

struct query_job {
    struct stor_job job; /* first: db.c sees this */
    enum query_step step;
    const char *stmt;                     /* query_cx or query_qx */
    const char *what;                     /* "query" or "cancel", for logs */
    char sender[MSISDN_ADDR_MAX];         /* as received: the reply's destination */
    char number[MSISDN_ADDR_MAX];         /* as stored */
    char code[CODEPLAN_MAX_CODE_LEN + 1]; /* QX only */
    char service[CODEPLAN_MAX_SERVICE_LEN + 1];
    const char *outcome;
    struct stor_mo_key mo;
    int has_mo;
    stor_query_cb cb;
    void *arg;
};

static int query_send_run(struct query_job *q)
{
    const char *params[] = {q->number, q->code};
    return stor_job_send(&q->job, q->stmt, q->code[0] ? 2 : 1, params);
}

/* Notes the outcome and queues the reply the SQL wrote. */
static int query_send_reply(struct query_job *q, const PGresult *res)
{
    if (PQntuples(res) != 1 || PQnfields(res) != 2 || PQgetisnull(res, 0, 1)) {
        ERM_ERROR("db", "%s from %s: the statement gave no reply", q->what, q->number);
        return -EIO;
    }
    const char *outcome = PQgetvalue(res, 0, 0);
    for (size_t i = 0; i < sizeof query_outcomes / sizeof query_outcomes[0]; i++)
        if (strcmp(outcome, query_outcomes[i]) == 0)
            q->outcome = query_outcomes[i];
    if (q->outcome == NULL) {
        ERM_ERROR("db", "%s from %s: unexpected outcome \"%s\"", q->what, q->number, outcome);
        return -EIO;
    }
    char kind[32];
    snprintf(kind, sizeof kind, "%s_%s", q->code[0] ? "cancel" : "query", q->outcome);
    const char *params[] = {q->sender, q->service, kind, PQgetvalue(res, 0, 1)};
    return stor_job_send(&q->job, STOR_STMT_OUTBOX_INSERT, 4, params);
}

static int query_step(struct stor_job *job, const PGresult *res)
{
    struct query_job *q = (struct query_job *)job;
    int rc;
    switch (q->step++) {
    case QUERY_BEGIN:
        return stor_job_send_sql(job, "BEGIN");
    case QUERY_DEDUPE:
        if (q->has_mo)
            return stor_mo_dedupe_send(job, &q->mo);
        q->step++; /* no MO to dedupe */
        return query_send_run(q);
    case QUERY_RUN:
        if ((rc = stor_mo_dedupe_check(&q->mo, res)) < 0)
            return rc;
        return query_send_run(q);
    case QUERY_REPLY:
        return query_send_reply(q, res);
    case QUERY_COMMIT:
        return stor_job_send_sql(job, "COMMIT");
    default:
        ERM_DEBUG("db", "%s from %s: %s", q->what, q->number, q->outcome);
        return STOR_JOB_DONE;
    }
}

static void query_finish(struct stor_job *job, int rc)
{
    struct query_job *q = (struct query_job *)job;
    q->cb(q->arg, rc, q->outcome ? q->outcome : "none");
    free(q);
}

static const struct stor_job_ops query_ops = {"query", query_step, query_finish};

/* Builds and submits the job; CODE is NULL for CX. */
static int query_submit(struct stor_db *db, const struct stor_mo_key *mo, const char *sender,
                        const char *code, const char *service, stor_query_cb cb, void *arg)
{
    size_t slen = strlen(sender);
    if (slen == 0 || slen >= MSISDN_ADDR_MAX || codeplan_check_service(service) < 0 ||
        (code != NULL && (code[0] == '\0' || strlen(code) > CODEPLAN_MAX_CODE_LEN))) {
        ERM_WARN("db", "query refused: sender \"%s\", service \"%s\"", sender, service);
        return -EINVAL;
    }
    struct query_job *q = calloc(1, sizeof *q);
    if (q == NULL)
        return -ENOMEM;
    q->job.ops = &query_ops;
    q->stmt = code ? "query_qx" : "query_cx";
    q->what = code ? "cancel" : "query";
    memcpy(q->sender, sender, slen + 1);
    if (msisdn_normalize(sender, q->number, sizeof q->number) < 0)
        memcpy(q->number, sender, slen + 1);
    snprintf(q->code, sizeof q->code, "%s", code ? code : "");
    snprintf(q->service, sizeof q->service, "%s", service);
    if (mo != NULL) {
        q->mo = *mo;
        q->has_mo = 1;
    }
    q->cb = cb;
    q->arg = arg;
    int rc = stor_db_submit(db, &q->job);
    if (rc < 0)
        free(q);
    return rc;
}

int stor_query_sms(struct stor_db *db, const struct stor_mo_key *mo, const char *sender,
                   const char *service, stor_query_cb cb, void *arg)
{
    return query_submit(db, mo, sender, NULL, service, cb, arg);
}

int stor_cancel_sms(struct stor_db *db, const struct stor_mo_key *mo, const char *sender,
                    const char *code, const char *service, stor_query_cb cb, void *arg)
{
    return query_submit(db, mo, sender, code, service, cb, arg);
}
