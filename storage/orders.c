/*
 * orders.c: the order transaction of orders.h, as one job on the daemon's connection:
 *
 *   BEGIN
 *   SELECT * FROM erm_place_order(customer, code, channel)  -- schema/007_orders_set.sql
 *   INSERT INTO outbox (...) the reply rendered by core's reply_render()
 *   COMMIT
 *
 * erm_place_order() resolves the code to its claim and product and inserts the order with
 * ON CONFLICT DO NOTHING on (customer, product_code), so a repeat order, even a concurrent
 * one, is answered as a duplicate and never counted twice. Any error rolls everything back.
 *
 * With group commit on (stor_order_batch_max), stor_order_place() hands an MO's order to
 * order_batch.c, which places many in one transaction with the same steps per MO; this
 * single transaction stays for orders without a plain dedupe key and for a failed batch's
 * orders, placed again one by one.
 *
 * The customer is stored in its national 11-digit form when it is a mainland mobile number
 * ("8613800000001" and "13800000001" are one customer), else as received; the reply goes
 * to the address exactly as received.
 */
#include "storage/orders.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/msisdn.h"
#include "storage/db_internal.h"
#include "storage/mo_log.h"

#define ORDER_REPLY_MAX 2048

const struct stor_stmt stor_order_stmts[] = {
    {"order_place", "SELECT outcome, product_name, order_id FROM erm_place_order($1, $2, $3)", 3},
    {NULL, NULL, 0},
};

enum order_step { ORDER_BEGIN, ORDER_DEDUPE, ORDER_PLACE, ORDER_REPLY, ORDER_COMMIT, ORDER_DONE };

struct order_job {
    struct stor_job job; /* first: db.c sees this */
    enum order_step step;
    char *customer;            /* as received: the reply's destination */
    char key[MSISDN_ADDR_MAX]; /* the customer as stored */
    char *code;
    char *service;
    const char *channel; /* static: "sms" or "phone" */
    enum reply_kind outcome;
    struct stor_mo_key mo; /* the MO's dedupe step (mo_log.h), when HAS_MO */
    int has_mo;
    stor_order_cb cb;
    void *arg;
};

static const struct {
    const char *name;
    enum reply_kind kind;
} order_outcomes[] = {
    {"ok", REPLY_ORDER_OK},          {"dup", REPLY_ORDER_DUP},
    {"unknown", REPLY_CODE_UNKNOWN}, {"inactive", REPLY_PRODUCT_INACTIVE},
    {"invalid", REPLY_CODE_INVALID}, {"not_started", REPLY_CAMPAIGN_NOT_STARTED},
    {"ended", REPLY_CAMPAIGN_ENDED},
};

int stor_order_outcome(const char *code, const char *outcome, enum reply_kind *kind)
{
    for (size_t i = 0; i < sizeof order_outcomes / sizeof order_outcomes[0]; i++) {
        if (strcmp(outcome, order_outcomes[i].name) == 0) {
            *kind = order_outcomes[i].kind;
            return 0;
        }
    }
    ERM_ERROR("db", "order %s: unexpected outcome \"%s\"", code, outcome);
    return -EIO;
}

int stor_order_render(enum reply_kind kind, const char *product, const char *code,
                      const char *service, char *text, size_t cap)
{
    int n = reply_render(kind, product, code, service, text, cap);
    if (n < 0)
        ERM_ERROR("db", "order %s: rendering the %s reply: %s", code, reply_kind_name(kind),
                  strerror(-n));
    return n;
}

/* Renders the reply for the result of erm_place_order() and sends its outbox insert. */
static int order_send_reply(struct order_job *o, const PGresult *res)
{
    if (PQntuples(res) != 1 || PQnfields(res) != 3) {
        ERM_ERROR("db", "order %s: erm_place_order gave %d rows", o->code, PQntuples(res));
        return -EIO;
    }
    const char *product = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
    int n = stor_order_outcome(o->code, PQgetvalue(res, 0, 0), &o->outcome);
    if (n < 0)
        return n;

    char *text = malloc(ORDER_REPLY_MAX);
    if (text == NULL)
        return -ENOMEM;
    n = stor_order_render(o->outcome, product, o->code, o->service, text, ORDER_REPLY_MAX);
    if (n < 0) {
        free(text);
        return n;
    }
    const char *params[] = {o->customer, o->service, reply_kind_name(o->outcome), text};
    int rc = stor_job_send(&o->job, STOR_STMT_OUTBOX_INSERT, 4, params);
    free(text); /* libpq copied it into its output buffer */
    return rc;
}

static int order_send_place(struct order_job *o)
{
    const char *params[] = {o->key, o->code, o->channel};
    return stor_job_send(&o->job, "order_place", 3, params);
}

static int order_step(struct stor_job *job, const PGresult *res)
{
    struct order_job *o = (struct order_job *)job;
    int rc;
    switch (o->step++) {
    case ORDER_BEGIN:
        return stor_job_send_sql(job, "BEGIN");
    case ORDER_DEDUPE:
        if (o->has_mo)
            return stor_mo_dedupe_send(job, &o->mo);
        o->step++; /* no MO to dedupe */
        return order_send_place(o);
    case ORDER_PLACE:
        if (o->has_mo && (rc = stor_mo_dedupe_check(&o->mo, res)) < 0)
            return rc;
        return order_send_place(o);
    case ORDER_REPLY:
        return order_send_reply(o, res);
    case ORDER_COMMIT:
        return stor_job_send_sql(job, "COMMIT");
    default:
        ERM_DEBUG("db", "order %s from %s: %s", o->code, o->key, reply_kind_name(o->outcome));
        return STOR_JOB_DONE;
    }
}

static void order_free(struct order_job *o)
{
    free(o->customer);
    free(o->code);
    free(o->service);
    free(o);
}

static void order_finish(struct stor_job *job, int rc)
{
    struct order_job *o = (struct order_job *)job;
    o->cb(o->arg, rc, o->outcome);
    order_free(o);
}

static const struct stor_job_ops order_ops = {"order", order_step, order_finish};

/* The channels as stored; an index here is the channel's number (STOR_ORDER_CHANNELS). */
static const char *const order_channels[STOR_ORDER_CHANNELS] = {"sms", "phone"};

const char *stor_order_channel(const char *channel)
{
    int i = stor_order_channel_index(channel);
    return i < 0 ? NULL : order_channels[i];
}

int stor_order_channel_index(const char *channel)
{
    for (int i = 0; channel != NULL && i < STOR_ORDER_CHANNELS; i++)
        if (strcmp(channel, order_channels[i]) == 0)
            return i;
    return -1;
}

int stor_order_place_one(struct stor_db *db, const struct stor_mo_key *mo, const char *customer,
                         const char *code, const char *service, const char *channel,
                         stor_order_cb cb, void *arg)
{
    struct order_job *o = NULL;
    int rc;
    size_t clen = strlen(customer);
    const char *ch = stor_order_channel(channel);

    if (clen == 0 || clen >= MSISDN_ADDR_MAX || code[0] == '\0' || service[0] == '\0' ||
        strlen(service) >= MSISDN_ADDR_MAX || ch == NULL) {
        ERM_WARN("db", "order refused: customer \"%s\", code \"%s\", service \"%s\", channel %s",
                 customer, code, service, ch != NULL ? ch : "unknown");
        return -EINVAL;
    }
    o = calloc(1, sizeof *o);
    if (o == NULL)
        return -ENOMEM;
    o->job.ops = &order_ops;
    o->channel = ch;
    o->customer = strdup(customer);
    o->code = strdup(code);
    o->service = strdup(service);
    if (o->customer == NULL || o->code == NULL || o->service == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    if (msisdn_normalize(customer, o->key, sizeof o->key) < 0)
        memcpy(o->key, customer, clen + 1);
    o->outcome = REPLY_CODE_UNKNOWN;
    if (mo != NULL) {
        o->mo = *mo;
        o->has_mo = 1;
    }
    o->cb = cb;
    o->arg = arg;
    rc = stor_db_submit(db, &o->job);
    if (rc < 0)
        goto fail;
    return 0;

fail:
    order_free(o);
    return rc;
}

int stor_order_place(struct stor_db *db, const struct stor_mo_key *mo, const char *customer,
                     const char *code, const char *service, const char *channel, stor_order_cb cb,
                     void *arg)
{
    /* A reassembled message's dedupe step takes its parts: it keeps its own transaction. */
    if (stor_db_gather(db)->order_max > 1 && mo != NULL && mo->nparts == 0)
        return stor_order_batch_add(db, mo, customer, code, service, channel, cb, arg);
    return stor_order_place_one(db, mo, customer, code, service, channel, cb, arg);
}
