/*
 * smpp_bearer.c: the SMPP session as a bearer (see smpp_bearer.h). A thin adapter: the
 * session's events are passed up with the bearer, the bearer's calls go down to the session,
 * and answers are mapped to SMPP statuses here, so the daemon never names one. The session
 * frees itself after on_stopped; the adapter lives on (refusing every call) until
 * bearer_destroy, so that late answers of transactions still finishing are dropped safely.
 */
#include "gateway/smpp_bearer.h"

#include <errno.h>
#include <stdlib.h>

#include "gateway/smpp_pdu.h"

struct smpp_bearer {
    struct bearer b;
    uv_loop_t *loop;
    struct smpp_session_cfg cfg;
    uint32_t retry_later_status;
    const struct bearer_events *ev;
    void *ud;
    struct smpp_session *sess; /* NULL before start and after on_stopped */
    int draining;              /* drain seen before start: start refuses */
};

static struct smpp_bearer *smpp_bearer_of(struct bearer *b)
{
    return b->priv;
}

/* ---- the session's events, passed up ---- */

static void smpp_bearer_on_bound(void *ud)
{
    struct smpp_bearer *sb = ud;
    if (sb->ev->on_bound)
        sb->ev->on_bound(sb->ud, &sb->b);
}

static void smpp_bearer_on_ready(void *ud)
{
    struct smpp_bearer *sb = ud;
    if (sb->ev->on_ready)
        sb->ev->on_ready(sb->ud, &sb->b);
}

static void smpp_bearer_on_unbound(void *ud)
{
    struct smpp_bearer *sb = ud;
    if (sb->ev->on_unbound)
        sb->ev->on_unbound(sb->ud, &sb->b);
}

static void smpp_bearer_on_mo(void *ud, const struct gw_mo *mo)
{
    struct smpp_bearer *sb = ud;
    sb->ev->on_message(sb->ud, &sb->b, mo);
}

static void smpp_bearer_on_submit_resp(void *ud, uint64_t cookie, int64_t status,
                                       const char *message_id)
{
    struct smpp_bearer *sb = ud;
    sb->ev->on_submit_result(sb->ud, &sb->b, cookie, status, message_id);
}

static void smpp_bearer_on_stopped(void *ud)
{
    struct smpp_bearer *sb = ud;
    sb->sess = NULL; /* it frees itself after this call */
    if (sb->ev->on_stopped)
        sb->ev->on_stopped(sb->ud, &sb->b);
}

/* ---- the bearer's operations ---- */

static int smpp_bearer_start(struct bearer *b)
{
    static const struct smpp_session_events ev = {
        .on_bound = smpp_bearer_on_bound,
        .on_ready = smpp_bearer_on_ready,
        .on_unbound = smpp_bearer_on_unbound,
        .on_mo = smpp_bearer_on_mo,
        .on_submit_resp = smpp_bearer_on_submit_resp,
        .on_stopped = smpp_bearer_on_stopped,
    };
    struct smpp_bearer *sb = smpp_bearer_of(b);
    if (sb->sess != NULL || sb->draining)
        return -EALREADY;
    return smpp_session_start(sb->loop, &sb->cfg, &ev, sb, &sb->sess);
}

static void smpp_bearer_drain(struct bearer *b)
{
    struct smpp_bearer *sb = smpp_bearer_of(b);
    sb->draining = 1;
    smpp_session_drain(sb->sess);
}

static void smpp_bearer_stop(struct bearer *b)
{
    struct smpp_bearer *sb = smpp_bearer_of(b);
    sb->draining = 1;
    if (sb->sess != NULL) {
        smpp_session_stop(sb->sess);
        return;
    }
    if (sb->ev->on_stopped) /* never started (or stopped already): nothing to close */
        sb->ev->on_stopped(sb->ud, &sb->b);
}

static int smpp_bearer_can_submit(struct bearer *b)
{
    return smpp_session_can_submit(smpp_bearer_of(b)->sess);
}

static int smpp_bearer_submit(struct bearer *b, const struct gw_submit *msg, uint64_t cookie)
{
    struct smpp_bearer *sb = smpp_bearer_of(b);
    if (sb->sess == NULL)
        return -ENOTCONN;
    return smpp_session_submit(sb->sess, msg, cookie);
}

static uint32_t smpp_bearer_status(const struct smpp_bearer *sb, enum bearer_answer a)
{
    if (a == BEARER_ACCEPTED)
        return SMPP_ESME_ROK;
    if (a == BEARER_REFUSED)
        return SMPP_ESME_RX_P_APPN;
    return sb->retry_later_status;
}

/* OUTCOME is ignored: the reply goes as an SMS through the outbox. */
static int smpp_bearer_answer(struct bearer *b, uint64_t link_id, uint32_t seq,
                              enum bearer_answer a, const struct bearer_outcome *outcome)
{
    struct smpp_bearer *sb = smpp_bearer_of(b);
    (void)outcome;
    if (sb->sess == NULL)
        return -ENOTCONN;
    return smpp_session_ack_mo(sb->sess, link_id, seq, smpp_bearer_status(sb, a));
}

static const char *smpp_bearer_answer_name(struct bearer *b, enum bearer_answer a)
{
    return smpp_status_name(smpp_bearer_status(smpp_bearer_of(b), a));
}

static int smpp_bearer_status_retries(struct bearer *b, int64_t status)
{
    (void)b;
    return smpp_session_status_retries(status);
}

static const char *smpp_bearer_status_name(struct bearer *b, int64_t status)
{
    (void)b;
    return status < 0 ? "no answer" : smpp_status_name((uint32_t)status);
}

/* One bind: its state, window and counters. Once the session is gone (stopped) its
 * counters are too, and the bind is reported down. */
static void smpp_bearer_stats(struct bearer *b, struct bearer_stats *out)
{
    struct smpp_bearer *sb = smpp_bearer_of(b);
    struct smpp_session_stats st;
    smpp_session_stats(sb->sess, &st);
    out->binds = st.binds;
    out->reconnects = st.reconnects;
    out->nlinks = 1;
    out->link[0].up = st.bound;
    out->link[0].in_use = st.window_used;
    out->link[0].window = sb->cfg.window;
}

static void smpp_bearer_destroy(struct bearer *b)
{
    free(smpp_bearer_of(b));
}

static const struct bearer_ops smpp_bearer_ops = {
    .kind = "smpp",
    .start = smpp_bearer_start,
    .drain = smpp_bearer_drain,
    .stop = smpp_bearer_stop,
    .can_submit = smpp_bearer_can_submit,
    .submit = smpp_bearer_submit,
    .answer = smpp_bearer_answer,
    .answer_name = smpp_bearer_answer_name,
    .status_retries = smpp_bearer_status_retries,
    .status_name = smpp_bearer_status_name,
    .destroy = smpp_bearer_destroy,
    .unsendable_status = SMPP_ESME_RSYSERR,
    .stats = smpp_bearer_stats,
};

int smpp_bearer_create(uv_loop_t *loop, const struct smpp_session_cfg *cfg,
                       uint32_t retry_later_status, const struct bearer_events *ev, void *ud,
                       struct bearer **out)
{
    struct smpp_bearer *sb = calloc(1, sizeof *sb);
    if (sb == NULL)
        return -ENOMEM;
    sb->b.ops = &smpp_bearer_ops;
    sb->b.priv = sb;
    sb->loop = loop;
    sb->cfg = *cfg;
    sb->retry_later_status = retry_later_status;
    sb->ev = ev;
    sb->ud = ud;
    *out = &sb->b;
    return 0;
}
