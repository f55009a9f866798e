/*
 * sip_bearer.c: the SIP trunk as a bearer (see sip_bearer.h). A thin adapter like
 * smpp_bearer.c: a call goes up as a message, the daemon's answer comes down as the call's
 * answer, and the outcome of an accepted message picks the prompt here, so the daemon never
 * names one. The trunk frees itself after on_stopped; the adapter lives on (refusing every
 * call) until bearer_destroy, so that answers of transactions still finishing are dropped.
 *
 * Stopping waits for the calls in progress (their prompts end, each call ends by itself
 * within its bounds: the prompt and the pad, or 64*T1 without an ACK), at most stop_wait_ms;
 * then the trunk hangs up what is left. One timer does both the bound and the deferral
 * (never stopping the trunk from inside its own on_call_end).
 */
#include "gateway/sip_bearer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gateway/prompt_set.h"

#define SIP_BEARER_MOD       "sip"
#define SIP_BEARER_STOP_WAIT 10000u /* ms */
#define SIP_BEARER_REFUSED   400    /* refused for what it is: a malformed number */

struct sip_bearer {
    struct bearer b;
    uv_loop_t *loop;
    struct sip_bearer_cfg cfg;
    const struct bearer_events *ev;
    void *ud;
    struct prompt_set *prompts;
    struct sip_trunk *trunk; /* NULL before start and after on_stopped */
    uv_timer_t stop_timer;   /* initialised at start, closed once the stop is under way */
    int timer_open;
    int draining;  /* drain seen: start refuses */
    int stopping;  /* stop asked: waiting for calls, or the trunk stopping */
    int stop_sent; /* sip_trunk_stop called */
};

static struct sip_bearer *sip_bearer_of(struct bearer *b)
{
    return b->priv;
}

/* ---- the prompt of an answer ---- */

/* The prompt a caller hears for OUTCOME (NULL: none known, the help prompt). */
static enum prompt_kind sip_bearer_prompt_kind(const struct bearer_outcome *outcome)
{
    if (outcome == NULL)
        return PROMPT_HELP;
    switch (outcome->reply) {
    case REPLY_ORDER_OK:
        return PROMPT_ORDERED;
    case REPLY_ORDER_DUP:
        return PROMPT_ALREADY;
    case REPLY_CODE_UNKNOWN:
        return PROMPT_UNKNOWN;
    case REPLY_PRODUCT_INACTIVE:
    case REPLY_CAMPAIGN_NOT_STARTED:
    case REPLY_CAMPAIGN_ENDED:
        return PROMPT_CLOSED;
    case REPLY_CODE_INVALID:
        return PROMPT_LEAVER;
    default:
        return PROMPT_HELP;
    }
}

/* The prompt of KIND for order code CODE: a code is its product's code followed by a
 * sequence, so the product's own prompt is that of the longest proper prefix of CODE that
 * has one (the pool's clash rule keeps codes of different products apart); else the
 * default. PRODUCT gets the prefix used ("" for the default). */
static const struct rtp_audio *sip_bearer_prompt(const struct sip_bearer *sb, const char *code,
                                                 enum prompt_kind kind, char *product, size_t cap)
{
    const struct rtp_audio *dflt = prompt_set_get(sb->prompts, NULL, kind);
    size_t len = code != NULL ? strlen(code) : 0;
    product[0] = '\0';
    for (size_t n = len > 0 ? len - 1 : 0; n > 0; n--) {
        if (n >= cap)
            continue;
        memcpy(product, code, n);
        product[n] = '\0';
        const struct rtp_audio *own = prompt_set_get(sb->prompts, product, kind);
        if (own != NULL && own != dflt)
            return own;
    }
    product[0] = '\0';
    return dflt;
}

/* ---- the trunk's events, passed up ---- */

static void sip_bearer_on_call(void *ud, uint64_t call, const char *caller, const char *called,
                               const char *call_id)
{
    struct sip_bearer *sb = ud;
    struct gw_mo mo;
    memset(&mo, 0, sizeof mo);
    mo.channel = GW_CHANNEL_PHONE;
    mo.link_id = call;
    if (strlen(caller) >= sizeof mo.source || strlen(called) >= sizeof mo.dest) {
        ERM_WARN(SIP_BEARER_MOD, "call %" PRIu64 ": a number too long to store; %d", call,
                 SIP_BEARER_REFUSED);
        sip_trunk_reject(sb->trunk, call, SIP_BEARER_REFUSED, 0);
        return;
    }
    snprintf(mo.source, sizeof mo.source, "%s", caller);
    snprintf(mo.dest, sizeof mo.dest, "%s", called);
    /* The Call-ID tells two calls of one caller to one code apart in the dedupe key. */
    size_t n = strlen(call_id);
    mo.sm_len = n < sizeof mo.sm ? n : sizeof mo.sm;
    memcpy(mo.sm, call_id, mo.sm_len);
    sb->ev->on_message(sb->ud, &sb->b, &mo);
}

static void sip_bearer_on_stop_timer(uv_timer_t *h);

static void sip_bearer_on_call_end(void *ud, uint64_t call, enum sip_call_end why)
{
    struct sip_bearer *sb = ud;
    ERM_DEBUG(SIP_BEARER_MOD, "call %" PRIu64 " ended: %s", call, sip_call_end_name(why));
    /* Stopping and the last call ended: stop now (from the timer, not from in here). */
    if (sb->stopping && !sb->stop_sent && sb->trunk != NULL && sip_trunk_calls(sb->trunk) == 0)
        uv_timer_start(&sb->stop_timer, sip_bearer_on_stop_timer, 0, 0);
}

static void sip_bearer_on_trunk_stopped(void *ud)
{
    struct sip_bearer *sb = ud;
    sb->trunk = NULL; /* it freed itself */
    if (sb->ev->on_stopped)
        sb->ev->on_stopped(sb->ud, &sb->b);
}

/* ---- the bearer's operations ---- */

static int sip_bearer_start(struct bearer *b)
{
    static const struct sip_trunk_events ev = {
        .on_call = sip_bearer_on_call,
        .on_call_end = sip_bearer_on_call_end,
        .on_stopped = sip_bearer_on_trunk_stopped,
    };
    struct sip_bearer *sb = sip_bearer_of(b);
    if (sb->trunk != NULL || sb->draining || sb->stopping)
        return -EALREADY;
    int rc = uv_timer_init(sb->loop, &sb->stop_timer);
    if (rc < 0)
        return rc;
    sb->stop_timer.data = sb;
    sb->timer_open = 1;
    char err[256];
    rc = sip_trunk_start(sb->loop, &sb->cfg.trunk, &ev, sb, &sb->trunk, err, sizeof err);
    if (rc < 0) {
        ERM_ERROR(SIP_BEARER_MOD, "%s", err);
        sb->trunk = NULL;
        sb->timer_open = 0;
        uv_close((uv_handle_t *)&sb->stop_timer, NULL);
        return rc;
    }
    ERM_INFO(SIP_BEARER_MOD, "listening on %s (UDP and TCP), %zu prompts", sb->cfg.trunk.listen,
             prompt_set_count(sb->prompts));
    return 0;
}

static void sip_bearer_drain(struct bearer *b)
{
    struct sip_bearer *sb = sip_bearer_of(b);
    sb->draining = 1;
    if (sb->trunk != NULL)
        sip_trunk_drain(sb->trunk);
}

/* The calls ended (or the wait's bound passed): the trunk hangs up what is left and stops. */
static void sip_bearer_stop_now(struct sip_bearer *sb)
{
    if (sb->stop_sent)
        return;
    sb->stop_sent = 1;
    if (sb->timer_open) {
        sb->timer_open = 0;
        uv_close((uv_handle_t *)&sb->stop_timer, NULL);
    }
    sip_trunk_stop(sb->trunk); /* on_stopped follows once every handle is closed */
}

static void sip_bearer_on_stop_timer(uv_timer_t *h)
{
    struct sip_bearer *sb = h->data;
    if (sb->trunk != NULL && sip_trunk_calls(sb->trunk) > 0)
        ERM_WARN(SIP_BEARER_MOD, "stop: %u call(s) still in progress; hanging up",
                 sip_trunk_calls(sb->trunk));
    sip_bearer_stop_now(sb);
}

static void sip_bearer_stop(struct bearer *b)
{
    struct sip_bearer *sb = sip_bearer_of(b);
    sb->draining = 1;
    if (sb->stopping)
        return;
    sb->stopping = 1;
    if (sb->trunk == NULL) {
        if (sb->ev->on_stopped) /* never started: nothing to close */
            sb->ev->on_stopped(sb->ud, &sb->b);
        return;
    }
    sip_trunk_drain(sb->trunk);
    unsigned calls = sip_trunk_calls(sb->trunk);
    if (calls == 0) {
        sip_bearer_stop_now(sb);
        return;
    }
    unsigned wait = sb->cfg.stop_wait_ms != 0 ? sb->cfg.stop_wait_ms : SIP_BEARER_STOP_WAIT;
    ERM_INFO(SIP_BEARER_MOD, "stop: waiting up to %u ms for %u call(s) to end", wait, calls);
    uv_timer_start(&sb->stop_timer, sip_bearer_on_stop_timer, wait, 0);
}

static int sip_bearer_can_submit(struct bearer *b)
{
    (void)b;
    return 0;
}

static int sip_bearer_submit(struct bearer *b, const struct gw_submit *msg, uint64_t cookie)
{
    (void)b;
    (void)msg;
    (void)cookie;
    return -ENOTSUP;
}

/* Plays the prompt of OUTCOME to CALL. Returns 0 or -ENOTCONN (the call is gone). */
static int sip_bearer_play(struct sip_bearer *sb, uint64_t call,
                           const struct bearer_outcome *outcome)
{
    enum prompt_kind kind = sip_bearer_prompt_kind(outcome);
    char product[32]; /* a product code: at most CODEPLAN_MAX_PRODUCT_LEN digits */
    const struct rtp_audio *audio = sip_bearer_prompt(sb, outcome != NULL ? outcome->code : NULL,
                                                      kind, product, sizeof product);
    int rc = sip_trunk_answer(sb->trunk, call, audio);
    if (rc == 0) {
        ERM_DEBUG(SIP_BEARER_MOD, "call %" PRIu64 ": prompt %s%s%s", call,
                  product[0] != '\0' ? product : "", product[0] != '\0' ? "/" : "",
                  prompt_kind_name(kind));
        return 0;
    }
    if (rc == -EADDRINUSE)
        return 0; /* answered all the same: 503, no RTP port was free */
    ERM_DEBUG(SIP_BEARER_MOD, "call %" PRIu64 ": not answered (%s)", call, strerror(-rc));
    return -ENOTCONN;
}

static int sip_bearer_answer(struct bearer *b, uint64_t link_id, uint32_t seq, enum bearer_answer a,
                             const struct bearer_outcome *outcome)
{
    struct sip_bearer *sb = sip_bearer_of(b);
    (void)seq;
    if (sb->trunk == NULL)
        return -ENOTCONN;
    if (a == BEARER_ACCEPTED)
        return sip_bearer_play(sb, link_id, outcome);
    int rc = a == BEARER_RETRY_LATER
                 ? sip_trunk_reject(sb->trunk, link_id, 503, sb->cfg.trunk.retry_after_s)
                 : sip_trunk_reject(sb->trunk, link_id, SIP_BEARER_REFUSED, 0);
    return rc == 0 ? 0 : -ENOTCONN;
}

static const char *sip_bearer_answer_name(struct bearer *b, enum bearer_answer a)
{
    (void)b;
    if (a == BEARER_ACCEPTED)
        return "200 OK and the outcome's prompt";
    if (a == BEARER_REFUSED)
        return "400 Bad Request";
    return "503 Service Unavailable with Retry-After";
}

static int sip_bearer_status_retries(struct bearer *b, int64_t status)
{
    (void)b;
    (void)status;
    return 0;
}

static const char *sip_bearer_status_name(struct bearer *b, int64_t status)
{
    (void)b;
    (void)status;
    return "not sent (the phone bearer carries no SMS)";
}

/* The trunk as one link: up while it listens (not stopping), the calls in progress in the
 * "window" of [sip] max_calls. A trunk does not reconnect: it listens once. */
static void sip_bearer_stats(struct bearer *b, struct bearer_stats *out)
{
    struct sip_bearer *sb = sip_bearer_of(b);
    out->nlinks = 1;
    out->link[0].window = sb->cfg.trunk.max_calls;
    if (sb->trunk == NULL)
        return;
    out->binds = 1;
    out->link[0].up = !sb->stopping;
    out->link[0].in_use = sip_trunk_calls(sb->trunk);
}

static void sip_bearer_destroy(struct bearer *b)
{
    struct sip_bearer *sb = sip_bearer_of(b);
    prompt_set_free(sb->prompts);
    free(sb);
}

static const struct bearer_ops sip_bearer_ops = {
    .kind = "sip",
    .start = sip_bearer_start,
    .drain = sip_bearer_drain,
    .stop = sip_bearer_stop,
    .can_submit = sip_bearer_can_submit,
    .submit = sip_bearer_submit,
    .answer = sip_bearer_answer,
    .answer_name = sip_bearer_answer_name,
    .status_retries = sip_bearer_status_retries,
    .status_name = sip_bearer_status_name,
    .destroy = sip_bearer_destroy,
    .unsendable_status = 0,
    .stats = sip_bearer_stats,
};

int sip_bearer_create(uv_loop_t *loop, const struct sip_bearer_cfg *cfg,
                      const struct bearer_events *ev, void *ud, struct bearer **out, char *err,
                      size_t errlen)
{
    struct sip_bearer *sb = calloc(1, sizeof *sb);
    if (sb == NULL) {
        snprintf(err, errlen, "sip: out of memory");
        return -ENOMEM;
    }
    int rc = prompt_set_load(cfg->prompts, &sb->prompts, err, errlen);
    if (rc < 0) {
        free(sb);
        return rc;
    }
    sb->b.ops = &sip_bearer_ops;
    sb->b.priv = sb;
    sb->loop = loop;
    sb->cfg = *cfg;
    if (sb->cfg.trunk.retry_after_s == 0)
        sb->cfg.trunk.retry_after_s = 30; /* the trunk's own default, for our 503s too */
    sb->ev = ev;
    sb->ud = ud;
    *out = &sb->b;
    return 0;
}
