/*
 * claims.c: the self-claim transaction of claims.h, as one job on the daemon's connection:
 *
 *   BEGIN
 *   the MO's dedupe step (storage/mo_log.h): a redelivered RL is not claimed again
 *   SELECT * FROM erm_claim_by_msisdn(number, product)   -- schema/002_pool.sql
 *   INSERT INTO outbox (...) the reply rendered by core's reply_render()
 *   SELECT * FROM erm_queue_promo(code, source, text)    -- when a code was given:
 *                                                            core's promo_render()
 *   COMMIT
 *
 * erm_claim_by_msisdn() finds the employee by number and calls erm_claim_code(), which
 * locks the product's row, so claims racing for the last code of a quota (from this
 * daemon, another one, or ermctl) get exactly one winner. Any error rolls everything back:
 * the claim, the reply and the push are committed together or not at all.
 */
#include "storage/claims.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/codeplan.h"
#include "core/msisdn.h"
#include "core/promo.h"
#include "storage/db_internal.h"
#include "storage/mo_log.h"

#define CLAIM_REPLY_MAX 1024 /* a reply: one part, with room */
#define CLAIM_PROMO_MAX 8192 /* a promo push: at most TEXT_MAX_PARTS parts of UTF-8 */

const struct stor_stmt stor_claim_stmts[] = {
    {"claim_sms",
     "SELECT outcome, code, product_name, intro, fee_text, service"
     " FROM erm_claim_by_msisdn($1, $2)",
     2},
    {"claim_promo", "SELECT queued, skipped FROM erm_queue_promo($1, $2, $3)", 3},
    {NULL, NULL, 0},
};

enum claim_step {
    CLAIM_BEGIN,
    CLAIM_DEDUPE,
    CLAIM_TAKE,
    CLAIM_REPLY,
    CLAIM_PROMO,
    CLAIM_COMMIT,
    CLAIM_DONE
};

struct claim_job {
    struct stor_job job; /* first: db.c sees this */
    enum claim_step step;
    char sender[MSISDN_ADDR_MAX]; /* as received: the reply's destination */
    char number[MSISDN_ADDR_MAX]; /* national form when it is a mobile number */
    char product[CODEPLAN_MAX_PRODUCT_LEN + 1];
    char service[CODEPLAN_MAX_SERVICE_LEN + 1];
    char code[CODEPLAN_MAX_CODE_LEN + 1];            /* the holder's code, "" when none */
    char promo_source[CODEPLAN_MAX_SERVICE_LEN + 1]; /* the product's service number */
    char *promo; /* the push to queue (malloc'd), NULL when none */
    enum reply_kind outcome;
    struct stor_mo_key mo; /* the MO's dedupe step, when HAS_MO */
    int has_mo;
    stor_claim_cb cb;
    void *arg;
};

/* erm_claim_code()'s outcomes -> the reply; PUSH when the holder has a code to forward. */
static const struct {
    const char *name;
    enum reply_kind kind;
    int push;
} claim_outcomes[] = {
    {"new", REPLY_CLAIM_OK, 1},
    {"held", REPLY_CLAIM_HELD, 1},
    {"unknown_number", REPLY_CLAIM_UNKNOWN_NUMBER, 0},
    {"holder_inactive", REPLY_CLAIM_UNKNOWN_NUMBER, 0},
    {"no_product", REPLY_CLAIM_NO_PRODUCT, 0},
    {"draft", REPLY_CLAIM_INACTIVE, 0},
    {"retired", REPLY_CLAIM_INACTIVE, 0},
    {"ended", REPLY_CAMPAIGN_ENDED, 0},
    {"restricted", REPLY_CLAIM_RESTRICTED, 0},
    {"full", REPLY_CLAIM_FULL, 0},
};
#define CLAIM_NOUTCOMES (sizeof claim_outcomes / sizeof claim_outcomes[0])

/* Column COL of the one row of RES, NULL when SQL NULL. */
static const char *claim_col(const PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

/* Renders the promo push of the code just given into C->promo. A text that cannot be sent
 * (the product's intro grew past what a push can carry) must not hold the claim back
 * forever: it is logged and the push is left out. */
static int claim_prepare_promo(struct claim_job *c, const PGresult *res)
{
    struct promo_fields f = {claim_col(res, 2), claim_col(res, 3), claim_col(res, 4),
                             claim_col(res, 5), c->code};
    snprintf(c->promo_source, sizeof c->promo_source, "%s", f.service != NULL ? f.service : "");
    c->promo = malloc(CLAIM_PROMO_MAX);
    if (c->promo == NULL)
        return -ENOMEM;
    int n = promo_render(&f, c->promo, CLAIM_PROMO_MAX);
    if (n < 0) {
        ERM_ERROR("db", "claim %s: promo push of product %s not sent: %s", c->code, c->product,
                  strerror(-n));
        free(c->promo);
        c->promo = NULL;
    }
    return 0;
}

/* Maps erm_claim_by_msisdn()'s row to the reply (and the push) and sends the reply's
 * outbox insert. */
static int claim_send_reply(struct claim_job *c, const PGresult *res)
{
    if (PQntuples(res) != 1 || PQnfields(res) != 6) {
        ERM_ERROR("db", "claim %s by %s: erm_claim_by_msisdn gave %d rows", c->product, c->number,
                  PQntuples(res));
        return -EIO;
    }
    const char *outcome = PQgetvalue(res, 0, 0);
    size_t i = 0;
    while (i < CLAIM_NOUTCOMES && strcmp(outcome, claim_outcomes[i].name) != 0)
        i++;
    if (i == CLAIM_NOUTCOMES) {
        ERM_ERROR("db", "claim %s by %s: unexpected outcome \"%s\"", c->product, c->number,
                  outcome);
        return -EIO;
    }
    c->outcome = claim_outcomes[i].kind;
    if (claim_outcomes[i].push) {
        snprintf(c->code, sizeof c->code, "%s", PQgetvalue(res, 0, 1));
        int rc = claim_prepare_promo(c, res);
        if (rc < 0)
            return rc;
    }
    char text[CLAIM_REPLY_MAX];
    int n = reply_render(c->outcome, claim_col(res, 2), c->code[0] ? c->code : c->product,
                         c->service, text, sizeof text);
    if (n < 0) {
        ERM_ERROR("db", "claim %s: rendering the %s reply: %s", c->product,
                  reply_kind_name(c->outcome), strerror(-n));
        return n;
    }
    const char *params[] = {c->sender, c->service, reply_kind_name(c->outcome), text};
    return stor_job_send(&c->job, STOR_STMT_OUTBOX_INSERT, 4, params);
}

static int claim_step(struct stor_job *job, const PGresult *res)
{
    struct claim_job *c = (struct claim_job *)job;
    switch (c->step++) {
    case CLAIM_BEGIN:
        return stor_job_send_sql(job, "BEGIN");
    case CLAIM_DEDUPE:
        if (c->has_mo)
            return stor_mo_dedupe_send(job, &c->mo);
        c->step++; /* no MO to look up: claim at once */
        /* fall through */
    case CLAIM_TAKE: {
        int rc = c->has_mo ? stor_mo_dedupe_check(&c->mo, res) : 0;
        const char *params[] = {c->number, c->product};
        return rc < 0 ? rc : stor_job_send(job, "claim_sms", 2, params);
    }
    case CLAIM_REPLY:
        return claim_send_reply(c, res);
    case CLAIM_PROMO:
        if (c->promo != NULL) {
            const char *params[] = {c->code, c->promo_source, c->promo};
            return stor_job_send(job, "claim_promo", 3, params);
        }
        c->step++; /* nothing to push: straight to COMMIT */
        /* fall through */
    case CLAIM_COMMIT:
        return stor_job_send_sql(job, "COMMIT");
    default:
        ERM_DEBUG("db", "claim %s by %s: %s%s%s", c->product, c->number,
                  reply_kind_name(c->outcome), c->code[0] ? " " : "", c->code);
        return STOR_JOB_DONE;
    }
}

static void claim_finish(struct stor_job *job, int rc)
{
    struct claim_job *c = (struct claim_job *)job;
    c->cb(c->arg, rc, c->outcome);
    free(c->promo);
    free(c);
}

static const struct stor_job_ops claim_ops = {"claim", claim_step, claim_finish};

int stor_claim_sms(struct stor_db *db, const struct stor_mo_key *mo, const char *sender,
                   const char *product, const char *service, stor_claim_cb cb, void *arg)
{
    size_t slen = strlen(sender);
    if (slen == 0 || slen >= MSISDN_ADDR_MAX || codeplan_check_product(product) < 0 ||
        codeplan_check_service(service) < 0) {
        ERM_WARN("db", "claim refused: sender \"%s\", product \"%s\", service \"%s\"", sender,
                 product, service);
        return -EINVAL;
    }
    struct claim_job *c = calloc(1, sizeof *c);
    if (c == NULL)
        return -ENOMEM;
    c->job.ops = &claim_ops;
    memcpy(c->sender, sender, slen + 1);
    if (msisdn_normalize(sender, c->number, sizeof c->number) < 0)
        memcpy(c->number, sender, slen + 1); /* no employee has it: "unknown number" */
    snprintf(c->product, sizeof c->product, "%s", product);
    snprintf(c->service, sizeof c->service, "%s", service);
    c->outcome = REPLY_CLAIM_UNKNOWN_NUMBER;
    if (mo != NULL) {
        c->mo = *mo;
        c->has_mo = 1;
    }
    c->cb = cb;
    c->arg = arg;
    int rc = stor_db_submit(db, &c->job);
    if (rc < 0)
        free(c);
    return rc;
}
