/*
 * smpp_bearer.c: the SMPP sessions as one bearer (see smpp_bearer.h). A thin adapter over
 * [smsc] binds sessions on one account: their events are passed up with the bearer (bound at
 * the first bind, unbound at the last), submits go to the binds in turn, an MO's answer to
 * the session it came on (its link id carries the bind's index), and answers are mapped to
 * SMPP statuses here, so the daemon never names one. Each session frees itself after its
 * on_stopped; the adapter lives on (refusing every call) until
 * bearer_destroy, so that late answers of transactions still finishing are dropped safely.
 */
#include "gateway/smpp_bearer.h"

#include <errno.h>
#include <stdlib.h>

#include "gateway/smpp_pdu.h"

/* One bind: a session of its own, with its own window, pacing and link ids. */
struct smpp_bind {
    struct smpp_bearer *sb;
    unsigned index;
    struct smpp_session *sess; /* NULL before start and after its on_stopped */
    int bound;
};

struct smpp_bearer {
    struct bearer b;
    uv_loop_t *loop;
    struct smpp_session_cfg cfg;
    uint32_t retry_later_status;
    const struct bearer_events *ev;
    void *ud;
    struct smpp_bind binds[2 * SMPP_BEARER_BINDS_MAX];
    unsigned nbinds;
    unsigned nbound;   /* binds bound now: on_bound at the first, on_unbound at the last */
    unsigned nrunning; /* sessions started and not yet stopped */
    unsigned next;     /* the bind the next submit tries first */
    int pair;          /* [smsc] bind = pair: binds[2k] receives, binds[2k + 1] transmits */
    int started;
    int draining; /* drain seen before start: start refuses */
};

/* A message's link id up: the session's link id and the bind's index, so that its answer
 * finds its session (each session counts its links from 1). */
#define SMPP_BEARER_LINK(link, index) ((link) << 8 | (index))

static struct smpp_bearer *smpp_bearer_of(struct bearer *b)
{
    return b->priv;
}

/* ---- the sessions' events, passed up as one bearer's ---- */

static void smpp_bearer_on_bound(void *ud)
{
    struct smpp_bind *bd = ud;
    struct smpp_bearer *sb = bd->sb;
    bd->bound = 1;
    if (++sb->nbound == 1 && sb->ev->on_bound)
        sb->ev->on_bound(sb->ud, &sb->b);
    else if (sb->nbound > 1 && sb->ev->on_ready) /* more room to submit */
        sb->ev->on_ready(sb->ud, &sb->b);
}

static void smpp_bearer_on_ready(void *ud)
{
    struct smpp_bind *bd = ud;
    if (bd->sb->ev->on_ready)
        bd->sb->ev->on_ready(bd->sb->ud, &bd->sb->b);
}

static void smpp_bearer_on_unbound(void *ud)
{
    struct smpp_bind *bd = ud;
    struct smpp_bearer *sb = bd->sb;
    if (!bd->bound)
        return;
    bd->bound = 0;
    /* One bind lost while others stay: its submits were answered -1 already, and what waits
     * goes on the others. */
    if (--sb->nbound == 0 && sb->ev->on_unbound)
        sb->ev->on_unbound(sb->ud, &sb->b);
}

static void smpp_bearer_on_mo(void *ud, const struct gw_mo *mo)
{
    struct smpp_bind *bd = ud;
    struct gw_mo up = *mo;
    up.link_id = SMPP_BEARER_LINK(mo->link_id, bd->index);
    bd->sb->ev->on_message(bd->sb->ud, &bd->sb->b, &up);
}

_Static_assert(SMPP_SESSION_TIMED_OUT == BEARER_TIMED_OUT, "the session's timeout is the bearer's");

static void smpp_bearer_on_submit_resp(void *ud, uint64_t cookie, int64_t status,
                                       const char *message_id)
{
    struct smpp_bind *bd = ud;
    bd->sb->ev->on_submit_result(bd->sb->ud, &bd->sb->b, cookie, status, message_id);
}

static void smpp_bearer_on_stopped(void *ud)
{
    struct smpp_bind *bd = ud;
    struct smpp_bearer *sb = bd->sb;
    bd->sess = NULL; /* it frees itself after this call */
    if (--sb->nrunning == 0 && sb->ev->on_stopped)
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
    if (sb->started || sb->draining)
        return -EALREADY;
    sb->started = 1;
    for (unsigned i = 0; i < sb->nbinds; i++) {
        struct smpp_bind *bd = &sb->binds[i];
        struct smpp_session_cfg cfg = sb->cfg;
        if (sb->pair) /* a receiver and a transmitter per bind */
            cfg.bind_kind = i % 2 == 0 ? SMPP_BIND_KIND_RX : SMPP_BIND_KIND_TX;
        int rc = smpp_session_start(sb->loop, &cfg, &ev, bd, &bd->sess);
        if (rc < 0)
            return rc; /* the caller stops the bearer: the sessions started stop */
        sb->nrunning++;
    }
    return 0;
}

static void smpp_bearer_drain(struct bearer *b)
{
    struct smpp_bearer *sb = smpp_bearer_of(b);
    sb->draining = 1;
    for (unsigned i = 0; i < sb->nbinds; i++)
        smpp_session_drain(sb->binds[i].sess);
}

static void smpp_bearer_stop(struct bearer *b)
{
    struct smpp_bearer *sb = smpp_bearer_of(b);
    sb->draining = 1;
    if (sb->nrunning == 0) {
        if (sb->ev->on_stopped) /* never started (or stopped already): nothing to close */
            sb->ev->on_stopped(sb->ud, &sb->b);
        return;
    }
    for (unsigned i = 0; i < sb->nbinds; i++)
        if (sb->binds[i].sess != NULL)
            smpp_session_stop(sb->binds[i].sess);
}

/* The bind the next submit goes on: the next one in turn that may submit, or NULL. */
static struct smpp_session *smpp_bearer_pick(struct smpp_bearer *sb, int advance)
{
    for (unsigned k = 0; k < sb->nbinds; k++) {
        unsigned i = (sb->next + k) % sb->nbinds;
        struct smpp_session *sess = sb->binds[i].sess;
        if (sess != NULL && smpp_session_can_submit(sess)) {
            if (advance)
                sb->next = i + 1;
            return sess;
        }
    }
    return NULL;
}

static int smpp_bearer_can_submit(struct bearer *b)
{
    return smpp_bearer_pick(smpp_bearer_of(b), 0) != NULL;
}

/* Spread over the binds in turn, each within its own window and pacing. */
static int smpp_bearer_submit(struct bearer *b, const struct gw_submit *msg, uint64_t cookie)
{
    struct smpp_bearer *sb = smpp_bearer_of(b);
    struct smpp_session *sess = smpp_bearer_pick(sb, 1);
    if (sess == NULL)
        return sb->nbound > 0 ? -EAGAIN : -ENOTCONN;
    return smpp_session_submit(sess, msg, cookie);
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
    unsigned index = (unsigned)(link_id & 0xff);
    (void)outcome;
    if (index >= sb->nbinds || sb->binds[index].sess == NULL)
        return -ENOTCONN;
    return smpp_session_ack_mo(sb->binds[index].sess, link_id >> 8, seq, smpp_bearer_status(sb, a));
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

/* Each bind a link: its state, window and counters, summed for the bearer. Once a session is
 * gone (stopped) its counters are too, and its bind is reported down. */
static void smpp_bearer_stats(struct bearer *b, struct bearer_stats *out)
{
    struct smpp_bearer *sb = smpp_bearer_of(b);
    for (unsigned i = 0; i < sb->nbinds && i < BEARER_LINKS_MAX; i++) {
        struct smpp_session_stats st;
        smpp_session_stats(sb->binds[i].sess, &st);
        out->binds += st.binds;
        out->reconnects += st.reconnects;
        out->link[i].up = st.bound;
        out->link[i].in_use = st.window_used;
        out->link[i].window = sb->cfg.window;
        out->nlinks = i + 1;
    }
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

int smpp_bearer_create(uv_loop_t *loop, const struct smpp_session_cfg *cfg, unsigned binds,
                       int pair, uint32_t retry_later_status, const struct bearer_events *ev,
                       void *ud, struct bearer **out)
{
    if (binds == 0 || binds > SMPP_BEARER_BINDS_MAX)
        return -EINVAL;
    struct smpp_bearer *sb = calloc(1, sizeof *sb);
    if (sb == NULL)
        return -ENOMEM;
    sb->pair = pair != 0;
    sb->nbinds = pair ? 2 * binds : binds;
    for (unsigned i = 0; i < sb->nbinds; i++) {
        sb->binds[i].sb = sb;
        sb->binds[i].index = i;
    }
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
