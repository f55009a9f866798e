/*
 * mo_handler.c: what ermgw does with one mobile-originated message. Decode the text, parse
 * the command (core/), run its transaction (storage/), and only after COMMIT acknowledge the
 * deliver_sm with status 0. When nothing could be stored (database down, lost mid-way,
 * stopping) the answer is the configured temporary status so the SMSC delivers again later.
 * Before any of that, daemon/intake.c takes receipts and the parts of long messages; every
 * transaction carries the MO's dedupe key, and one found redelivered is acknowledged with
 * nothing done again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/command.h"
#include "core/reply.h"
#include "core/textcodec.h"
#include "daemon/daemon.h"
#include "gateway/smpp_pdu.h"
#include "gateway/smpp_session.h"
#include "storage/claims.h"
#include "storage/db.h"
#include "storage/mo_log.h"
#include "storage/mo_parts.h"
#include "storage/optout.h"
#include "storage/orders.h"
#include "storage/query.h"
#include "storage/outbox.h"

/* One MO between intake and acknowledgement; owned by this file, freed in mo_finish. */
struct mo_ctx {
    struct erm_daemon *d;
    uint64_t link_id;
    uint32_t seq;
    char customer[MSISDN_ADDR_MAX];
    enum cmd_kind kind;
    int ack;                /* 0: no deliver_sm to answer (parts given up on) */
    struct stor_mo_key key; /* its dedupe step (storage/mo_log.h) */
};

static void mo_ack(struct erm_daemon *d, uint64_t link_id, uint32_t seq, uint32_t status)
{
    if (smpp_session_ack_mo(d->smpp, link_id, seq, status) < 0)
        ERM_DEBUG("mo", "ack of seq %u dropped: its link is gone (the SMSC redelivers)", seq);
}

/* Acknowledges per RC (0 = committed) and frees CTX. */
static void mo_finish(struct mo_ctx *ctx, int rc, const char *what)
{
    struct erm_daemon *d = ctx->d;
    if (rc == 0) {
        if (ctx->ack)
            mo_ack(d, ctx->link_id, ctx->seq, SMPP_ESME_ROK);
        ERM_INFO("mo", "from %s: %s committed%s", ctx->customer, what,
                 ctx->ack ? ", acknowledged" : "");
        erm_sender_kick(d->sender);
    } else if (rc == -EALREADY) {
        if (ctx->ack)
            mo_ack(d, ctx->link_id, ctx->seq, SMPP_ESME_ROK);
        ERM_INFO("mo",
                 "from %s: %s handled before (the SMSC delivered it again); "
                 "acknowledged, nothing done twice",
                 ctx->customer, cmd_kind_name(ctx->kind));
    } else if (rc == -EINVAL && ctx->ack) {
        /* Refused before storage for what it is (e.g. an address too long to store): the
         * same bytes would fail again, so a retry would loop forever. */
        mo_ack(d, ctx->link_id, ctx->seq, SMPP_ESME_RX_P_APPN);
        ERM_WARN("mo", "from %s: %s refused as malformed; answered %s (permanent)", ctx->customer,
                 cmd_kind_name(ctx->kind), smpp_status_name(SMPP_ESME_RX_P_APPN));
    } else if (!ctx->ack) {
        ERM_WARN("mo", "from %s: %s not stored (%s); its parts wait for the next try",
                 ctx->customer, cmd_kind_name(ctx->kind), strerror(-rc));
    } else {
        mo_ack(d, ctx->link_id, ctx->seq, d->cfg.db_unavailable_status);
        ERM_WARN("mo", "from %s: %s not stored (%s); answered %s for redelivery", ctx->customer,
                 cmd_kind_name(ctx->kind), strerror(-rc),
                 smpp_status_name(d->cfg.db_unavailable_status));
    }
    free(ctx);
    d->mo_inflight--;
    erm_daemon_mo_done(d);
}

static void mo_order_done(void *arg, int rc, enum reply_kind outcome)
{
    mo_finish(arg, rc, reply_kind_name(outcome));
}

static void mo_reply_done(void *arg, int rc)
{
    mo_finish(arg, rc, "help reply");
}

/* Decodes the message's text; an undecodable one parses as CMD_UNKNOWN (help reply). */
static void mo_parse(const struct erm_daemon *d, const struct erm_mo_msg *mo, struct cmd *cmd)
{
    char text[GW_SM_MAX * 3 + 1];
    int n = text_decode(mo->data_coding, mo->sm, mo->len, text, sizeof text);
    if (n < 0) {
        /* An extended destination still orders; otherwise the sender gets the help reply. */
        ERM_WARN("mo", "from %s: data_coding 0x%02x not decoded (%s)", mo->source, mo->data_coding,
                 strerror(-n));
        cmd_parse_mo(d->cfg.service_number, mo->dest, "", 0, cmd);
        return;
    }
    ERM_INFO("mo", "from %s to %s: \"%s\"", mo->source, mo->dest, text);
    cmd_parse_mo(d->cfg.service_number, mo->dest, text, (size_t)n, cmd);
}

static void mo_optout_done(void *arg, int rc)
{
    mo_finish(arg, rc, "opt-out");
}

/* CX and QX end like an order: committed with the reply the SQL wrote. */
static void mo_query_done(void *arg, int rc, const char *outcome)
{
    mo_finish(arg, rc, outcome);
}

struct stor_db *erm_mo_db(struct erm_daemon *d, const char *customer)
{
    /* FNV-1a of the number: spreads customers evenly, the same one to the same place. */
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)customer; *p != '\0'; p++)
        h = (h ^ *p) * 16777619u;
    for (unsigned i = 0; i < d->n_mo_db; i++) {
        struct stor_db *db = d->mo_db[(h + i) % d->n_mo_db];
        if (db != NULL && stor_db_is_up(db))
            return db;
    }
    return NULL;
}

static int mo_start(struct erm_daemon *d, struct mo_ctx *ctx, const struct cmd *cmd)
{
    const char *service = d->cfg.service_number;
    struct stor_db *db = erm_mo_db(d, ctx->customer);
    if (db == NULL)
        return -ENOTCONN;
    if (cmd->kind == CMD_ORDER)
        return stor_order_place(db, &ctx->key, ctx->customer, cmd->arg, service, mo_order_done,
                                ctx);
    /* A claim ends like an order: committed with the reply it names. */
    if (cmd->kind == CMD_CLAIM)
        return stor_claim_sms(db, &ctx->key, ctx->customer, cmd->arg, service, mo_order_done, ctx);
    if (cmd->kind == CMD_OPTOUT)
        return stor_optout(db, &ctx->key, ctx->customer, service, mo_optout_done, ctx);
    if (cmd->kind == CMD_QUERY)
        return stor_query_sms(db, &ctx->key, ctx->customer, service, mo_query_done, ctx);
    if (cmd->kind == CMD_CANCEL)
        return stor_cancel_sms(db, &ctx->key, ctx->customer, cmd->arg, service, mo_query_done, ctx);

    /* Everything else gets the help reply. */
    char text[512];
    int n = reply_render(REPLY_HELP, NULL, NULL, service, text, sizeof text);
    if (n < 0)
        return n;
    return stor_mo_reply(db, &ctx->key, ctx->customer, service, REPLY_HELP, text, mo_reply_done,
                         ctx);
}

void erm_mo_run(struct erm_daemon *d, const struct erm_mo_msg *m)
{
    struct cmd cmd;
    mo_parse(d, m, &cmd);

    struct mo_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        if (m->ack)
            mo_ack(d, m->link_id, m->seq, d->cfg.db_unavailable_status);
        return;
    }
    ctx->d = d;
    ctx->link_id = m->link_id;
    ctx->seq = m->seq;
    ctx->ack = m->ack;
    ctx->kind = cmd.kind;
    ctx->key = *m->key;
    /* As received: storage normalises it for the order, the reply goes back to it as is. */
    snprintf(ctx->customer, sizeof ctx->customer, "%s", m->source);
    d->mo_inflight++;
    int rc = mo_start(d, ctx, &cmd);
    if (rc < 0)
        mo_finish(ctx, rc, cmd_kind_name(cmd.kind));
}

void erm_mo_handle(struct erm_daemon *d, const struct gw_mo *mo)
{
    if (d->stopping || erm_mo_db(d, mo->source) == NULL) {
        ERM_WARN("mo", "from %s: %s; answered %s for redelivery", mo->source,
                 d->stopping ? "stopping" : "database down",
                 smpp_status_name(d->cfg.db_unavailable_status));
        mo_ack(d, mo->link_id, mo->seq, d->cfg.db_unavailable_status);
        return;
    }
    if (mo->is_receipt)
        erm_intake_receipt(d->intake, mo);
    else
        erm_intake_mo(d->intake, mo);
}
