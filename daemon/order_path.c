/*
 * order_path.c: what ermgw does with one whole mobile-originated message (see
 * order_path.h). Decode the text, parse the command (core/), run its transaction
 * (storage/), and only after COMMIT answer it accepted. When nothing could be stored
 * (database down, lost mid-way, draining) the answer is retry-later so the SMSC delivers
 * again later. Before any of that, daemon/mo_intake.c takes receipts and the parts of long
 * messages; every transaction carries the MO's dedupe key, and one found redelivered is
 * accepted with nothing done again.
 */
#include "daemon/order_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/log.h"
#include "core/command.h"
#include "core/config.h"
#include "core/reply.h"
#include "core/textcodec.h"
#include "storage/claims.h"
#include "storage/db.h"
#include "storage/mo_log.h"
#include "storage/mo_parts.h"
#include "storage/optout.h"
#include "storage/orders.h"
#include "storage/query.h"

/* Customers are pinned by a hash of their number into this many buckets: a bucket with an
 * MO in progress keeps its connection, so one customer's commands keep their order (two
 * customers sharing a bucket only share a connection meanwhile). */
#define ORDER_PIN_BUCKETS 4096

struct order_pin {
    unsigned n;    /* MOs of the bucket in progress */
    unsigned conn; /* their connection, while n > 0 */
};

struct order_path {
    struct order_path_cfg cfg;
    unsigned inflight; /* MO jobs not yet finished: ours and those held */
    int draining;
    int idle_told; /* on_idle was called */
    struct order_path_counts counts;
    unsigned busy[CONFIG_MO_CONNECTIONS_MAX]; /* MOs in progress on each connection */
    struct order_pin pin[ORDER_PIN_BUCKETS];
};

/* One MO between its command and its answer; owned by this file, freed in order_finish. */
struct order_ctx {
    struct order_path *op;
    struct bearer *bearer; /* NULL: no message to answer (parts given up on) */
    uint64_t link_id;
    uint32_t seq;
    char customer[MSISDN_ADDR_MAX];
    enum cmd_kind kind;
    enum gw_channel channel;
    uint64_t arrived_ns;    /* for the ack latency; 0: unknown */
    struct stor_mo_key key; /* its dedupe step (storage/mo_log.h) */
    /* What it led to, once committed: the answer's outcome (a phone plays it). */
    struct bearer_outcome outcome;
    int has_outcome;
    char code[CODEPLAN_MAX_CODE_LEN + 1];
    struct order_pin *pin; /* its bucket and connection while in progress; NULL: none */
    unsigned conn;
};

/* Answers the message (LINK_ID, SEQ) on B with A and OUTCOME (NULL: none); 1 when the answer
 * went, 0 when its link is gone (the SMSC delivers it again; a call has ended). */
static int order_answer(struct bearer *b, uint64_t link_id, uint32_t seq, enum bearer_answer a,
                        const struct bearer_outcome *outcome)
{
    if (bearer_answer(b, link_id, seq, a, outcome) == 0)
        return 1;
    ERM_DEBUG("mo", "ack of seq %u dropped: its link is gone (the SMSC redelivers)", seq);
    return 0;
}

/* Draining and nothing in flight: tells the daemon, once. */
static void order_idle_check(struct order_path *op)
{
    if (op->draining && op->inflight == 0 && !op->idle_told) {
        op->idle_told = 1;
        if (op->cfg.on_idle)
            op->cfg.on_idle(op->cfg.ud);
    }
}

void order_path_hold(struct order_path *op)
{
    op->inflight++;
}

void order_path_release(struct order_path *op)
{
    op->inflight--;
    order_idle_check(op);
}

unsigned order_path_inflight(const struct order_path *op)
{
    return op->inflight;
}

void order_path_drain(struct order_path *op)
{
    op->draining = 1;
    order_idle_check(op);
}

#define ORDER_NOT_ACKED "not acknowledged (its link is gone: the SMSC delivers it again)"

/* Counts a committed MO's reply (and an order's channel), and an accepted MO's latency. */
static void order_count(struct order_path *op, const struct order_ctx *ctx, int committed,
                        int acked)
{
    struct order_path_counts *c = &op->counts;
    if (committed && ctx->has_outcome && (unsigned)ctx->outcome.reply < REPLY_KIND_COUNT) {
        c->replies[ctx->outcome.reply]++;
        if (ctx->outcome.reply == REPLY_ORDER_OK && (unsigned)ctx->channel < ORDER_PATH_CHANNELS)
            c->orders[ctx->channel]++;
    }
    if (acked && ctx->arrived_ns != 0)
        metrics_hist_observe(&c->ack_latency, (double)(uv_hrtime() - ctx->arrived_ns) / 1e9);
}

/* Answers per RC (0 = committed) and frees CTX. Each log line says whether the answer went:
 * a link lost meanwhile (or the bearer stopped at the stop's deadline) drops it. */
static void order_finish(struct order_ctx *ctx, int rc, const char *what)
{
    struct order_path *op = ctx->op;
    struct bearer *b = ctx->bearer;
    const char *who = ctx->customer, *kind = cmd_kind_name(ctx->kind);
    if (rc == 0) {
        const struct bearer_outcome *out = ctx->has_outcome ? &ctx->outcome : NULL;
        int acked = b != NULL && order_answer(b, ctx->link_id, ctx->seq, BEARER_ACCEPTED, out);
        op->counts.committed++;
        order_count(op, ctx, 1, acked);
        ERM_DEBUG("mo", "from %s: %s committed%s", who, what,
                  acked       ? ", acknowledged"
                  : b != NULL ? "; " ORDER_NOT_ACKED
                              : "");
        if (op->cfg.on_committed)
            op->cfg.on_committed(op->cfg.ud);
    } else if (rc == -EALREADY) {
        int acked = b != NULL && order_answer(b, ctx->link_id, ctx->seq, BEARER_ACCEPTED, NULL);
        op->counts.redelivered++;
        order_count(op, ctx, 0, acked);
        ERM_DEBUG("mo", "from %s: %s handled before (the SMSC delivered it again); %s", who, kind,
                  acked || b == NULL ? "acknowledged, nothing done twice"
                                     : ORDER_NOT_ACKED ", nothing done twice");
    } else if (rc == -EINVAL && b != NULL) {
        /* Refused before storage for what it is (e.g. an address too long to store): the
         * same bytes would fail again, so a retry would loop forever. */
        op->counts.refused++;
        if (order_answer(b, ctx->link_id, ctx->seq, BEARER_REFUSED, NULL))
            ERM_WARN_RL("mo", "from %s: %s refused as malformed; answered %s (permanent)", who,
                        kind, bearer_answer_name(b, BEARER_REFUSED));
        else
            ERM_WARN_RL("mo", "from %s: %s refused as malformed; " ORDER_NOT_ACKED, who, kind);
    } else if (b == NULL) {
        ERM_WARN_RL("mo", "from %s: %s not stored (%s); its parts wait for the next try", who, kind,
                    strerror(-rc));
    } else {
        op->counts.retry_later++;
        if (order_answer(b, ctx->link_id, ctx->seq, BEARER_RETRY_LATER, NULL))
            ERM_WARN_RL("mo", "from %s: %s not stored (%s); answered %s for redelivery", who, kind,
                        strerror(-rc), bearer_answer_name(b, BEARER_RETRY_LATER));
        else
            ERM_WARN_RL("mo", "from %s: %s not stored (%s); " ORDER_NOT_ACKED, who, kind,
                        strerror(-rc));
    }
    if (ctx->pin != NULL) {
        ctx->pin->n--;
        op->busy[ctx->conn]--;
    }
    free(ctx);
    order_path_release(op);
}

/* Keeps what the message led to for its answer. */
static void order_outcome(struct order_ctx *ctx, enum reply_kind reply)
{
    ctx->outcome.reply = reply;
    ctx->outcome.code = ctx->code[0] != '\0' ? ctx->code : NULL;
    ctx->has_outcome = 1;
}

static void order_done(void *arg, int rc, enum reply_kind outcome)
{
    order_outcome(arg, outcome);
    order_finish(arg, rc, reply_kind_name(outcome));
}

static void order_reply_done(void *arg, int rc)
{
    order_outcome(arg, REPLY_HELP);
    order_finish(arg, rc, "help reply");
}

static void order_optout_done(void *arg, int rc)
{
    order_finish(arg, rc, "opt-out");
}

/* CX and QX end like an order: committed with the reply the SQL wrote. */
static void order_query_done(void *arg, int rc, const char *outcome)
{
    order_finish(arg, rc, outcome);
}

/* Decodes the message's text; an undecodable one parses as CMD_UNKNOWN (help reply). A call
 * has no text: the number called says it all, as for an SMS to an extended destination. */
static void order_parse(const struct order_path *op, const struct order_msg *mo, struct cmd *cmd)
{
    if (mo->channel == GW_CHANNEL_PHONE) {
        ERM_DEBUG("mo", "call from %s to %s", mo->source, mo->dest);
        cmd_parse_mo(op->cfg.service_number, mo->dest, "", 0, cmd);
        return;
    }
    char text[GW_SM_MAX * 3 + 1];
    int n = text_decode(mo->data_coding, mo->sm, mo->len, text, sizeof text);
    if (n < 0) {
        /* An extended destination still orders; otherwise the sender gets the help reply. */
        ERM_WARN_RL("mo", "from %s: data_coding 0x%02x not decoded (%s)", mo->source,
                    mo->data_coding, strerror(-n));
        cmd_parse_mo(op->cfg.service_number, mo->dest, "", 0, cmd);
        return;
    }
    ERM_DEBUG("mo", "from %s to %s: \"%s\"", mo->source, mo->dest, text);
    cmd_parse_mo(op->cfg.service_number, mo->dest, text, (size_t)n, cmd);
}

static struct order_pin *order_pin_of(struct order_path *op, const char *customer)
{
    /* FNV-1a of the number: spreads customers evenly, the same one to the same place. */
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)customer; *p != '\0'; p++)
        h = (h ^ *p) * 16777619u;
    return &op->pin[h % ORDER_PIN_BUCKETS];
}

static int order_db_up(const struct order_path *op, unsigned i)
{
    return op->cfg.dbs[i] != NULL && stor_db_is_up(op->cfg.dbs[i]);
}

/* The connection for an MO of PIN's bucket (see order_path_cfg), or -1 when none is up. */
static int order_pick(const struct order_path *op, const struct order_pin *pin)
{
    unsigned n =
        op->cfg.n_dbs < CONFIG_MO_CONNECTIONS_MAX ? op->cfg.n_dbs : CONFIG_MO_CONNECTIONS_MAX;
    if (pin->n > 0 && pin->conn < n && order_db_up(op, pin->conn))
        return (int)pin->conn;
    int best = -1;
    for (unsigned i = 0; i < n; i++) {
        if (!order_db_up(op, i))
            continue;
        if (op->busy[i] < op->cfg.spill)
            return (int)i; /* the first with room: one connection's batches fill first */
        if (best < 0 || op->busy[i] < op->busy[best])
            best = (int)i;
    }
    return best;
}

struct stor_db *order_path_db(struct order_path *op, const char *customer)
{
    int i = order_pick(op, order_pin_of(op, customer));
    return i < 0 ? NULL : op->cfg.dbs[i];
}

/* The connection for CTX's MO, counted in progress there until order_finish. */
static struct stor_db *order_take_db(struct order_path *op, struct order_ctx *ctx)
{
    struct order_pin *pin = order_pin_of(op, ctx->customer);
    int i = order_pick(op, pin);
    if (i < 0)
        return NULL;
    pin->conn = (unsigned)i; /* unchanged unless its connection went down */
    pin->n++;
    op->busy[i]++;
    ctx->pin = pin;
    ctx->conn = (unsigned)i;
    return op->cfg.dbs[i];
}

static int order_start(struct order_path *op, struct order_ctx *ctx, const struct cmd *cmd)
{
    const char *service = op->cfg.service_number;
    struct stor_db *db = order_take_db(op, ctx);
    if (db == NULL)
        return -ENOTCONN;
    if (cmd->kind == CMD_ORDER)
        return stor_order_place(db, &ctx->key, ctx->customer, cmd->arg, service,
                                ctx->channel == GW_CHANNEL_PHONE ? "phone" : "sms", order_done,
                                ctx);
    /* A claim ends like an order: committed with the reply it names. */
    if (cmd->kind == CMD_CLAIM)
        return stor_claim_sms(db, &ctx->key, ctx->customer, cmd->arg, service, order_done, ctx);
    if (cmd->kind == CMD_OPTOUT)
        return stor_optout(db, &ctx->key, ctx->customer, service, order_optout_done, ctx);
    if (cmd->kind == CMD_QUERY)
        return stor_query_sms(db, &ctx->key, ctx->customer, service, order_query_done, ctx);
    if (cmd->kind == CMD_CANCEL)
        return stor_cancel_sms(db, &ctx->key, ctx->customer, cmd->arg, service, order_query_done,
                               ctx);

    /* Everything else gets the help reply. */
    char text[512];
    int n = reply_render(REPLY_HELP, NULL, NULL, service, text, sizeof text);
    if (n < 0)
        return n;
    return stor_mo_reply(db, &ctx->key, ctx->customer, service, REPLY_HELP, text, order_reply_done,
                         ctx);
}

void order_path_run(struct order_path *op, const struct order_msg *m)
{
    struct cmd cmd;
    order_parse(op, m, &cmd);

    struct order_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        if (m->bearer != NULL)
            (void)order_answer(m->bearer, m->link_id, m->seq, BEARER_RETRY_LATER, NULL);
        return;
    }
    ctx->op = op;
    ctx->bearer = m->bearer;
    ctx->link_id = m->link_id;
    ctx->seq = m->seq;
    ctx->kind = cmd.kind;
    ctx->channel = m->channel;
    ctx->arrived_ns = m->arrived_ns;
    if (cmd.kind == CMD_ORDER)
        snprintf(ctx->code, sizeof ctx->code, "%s", cmd.arg);
    ctx->key = *m->key;
    /* As received: storage normalises it for the order, the reply goes back to it as is. */
    snprintf(ctx->customer, sizeof ctx->customer, "%s", m->source);
    order_path_hold(op);
    int rc = order_start(op, ctx, &cmd);
    if (rc < 0)
        order_finish(ctx, rc, cmd_kind_name(cmd.kind));
}

int order_path_admit(struct order_path *op, struct bearer *b, const char *source, uint64_t link_id,
                     uint32_t seq)
{
    if (!op->draining && order_path_db(op, source) != NULL)
        return 1;
    op->counts.retry_later++;
    ERM_WARN_RL("mo", "from %s: %s; answered %s for redelivery", source,
                op->draining ? "stopping" : "database down",
                bearer_answer_name(b, BEARER_RETRY_LATER));
    (void)order_answer(b, link_id, seq, BEARER_RETRY_LATER, NULL);
    return 0;
}

int order_path_create(const struct order_path_cfg *cfg, struct order_path **out)
{
    struct order_path *op = calloc(1, sizeof *op);
    if (op == NULL)
        return -ENOMEM;
    op->cfg = *cfg;
    metrics_hist_init(&op->counts.ack_latency, metrics_seconds_bounds, METRICS_SECONDS_NBOUNDS);
    *out = op;
    return 0;
}

const struct order_path_counts *order_path_counts(const struct order_path *op)
{
    return &op->counts;
}

void order_path_destroy(struct order_path *op)
{
    free(op);
}
