/*
 * cmpp_bearer.c: the CMPP session as a bearer (see cmpp_bearer.h). A thin adapter like
 * smpp_bearer.c: events up with the bearer, calls down to the session, and the mapping
 * between CMPP's fields and the bearer's messages (gw.h) here, so that the daemon never
 * names a CMPP field. The session frees itself after on_stopped; the adapter lives on
 * (refusing every call) until bearer_destroy.
 */
#include "gateway/cmpp_bearer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/textcodec.h"

#define CMPP_BEARER_FMT_ASCII 0
#define CMPP_BEARER_FMT_UCS2  8
#define CMPP_BEARER_FMT_GB    15

struct cmpp_bearer {
    struct bearer b;
    uv_loop_t *loop;
    struct cmpp_bearer_cfg cfg;
    const struct bearer_events *ev;
    void *ud;
    struct cmpp_session *sess; /* NULL before start and after on_stopped */
    int draining;
};

static struct cmpp_bearer *cmpp_bearer_of(struct bearer *b)
{
    return b->priv;
}

/* ---- DELIVER -> message ---- */

/* The message_state (SMPP's numbering, core/receipt.h) of a report's Stat word; 0 for a
 * word of the ISMG's own (the text then carries it). */
static uint8_t cmpp_bearer_state(const char *stat)
{
    static const char *const words[] = {"ENROUTE", "DELIVRD", "EXPIRED", "DELETED",
                                        "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD"};
    for (unsigned i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(stat, words[i]) == 0)
            return (uint8_t)(i + 1);
    return 0;
}

/* A status report as a receipt: the Msg_Id (hex) in receipted_id, the Stat as the state
 * and, in receipt text form, for a word of the ISMG's own. Returns 0 or -EBADMSG. */
static int cmpp_bearer_report(const struct cmpp_bearer *cb, const struct cmpp_deliver *d,
                              struct gw_mo *mo)
{
    struct cmpp_report r;
    if (cmpp_codec_unpack_report(d->msg_content, d->msg_length, cb->cfg.session.version, &r) < 0)
        return -EBADMSG;
    char id[17];
    cmpp_codec_msg_id_text(r.msg_id, id);
    mo->is_receipt = 1;
    snprintf(mo->receipted_id, sizeof mo->receipted_id, "%s", id);
    mo->message_state = cmpp_bearer_state(r.stat);
    int n = snprintf((char *)mo->sm, sizeof mo->sm, "id:%s stat:%s submit date:%s done date:%s", id,
                     r.stat[0] ? r.stat : "UNKNOWN", r.submit_time, r.done_time);
    mo->sm_len = n > 0 && (size_t)n < sizeof mo->sm ? (size_t)n : 0;
    mo->data_coding = TEXT_DCS_IA5;
    return 0;
}

/* D as a message. Returns 0, or -EBADMSG for one we refuse (an address too long, a report
 * that is not one). */
static int cmpp_bearer_mo(const struct cmpp_bearer *cb, const struct cmpp_deliver *d,
                          struct gw_mo *mo)
{
    memset(mo, 0, sizeof *mo);
    if (strlen(d->src_terminal_id) >= sizeof mo->source || strlen(d->dest_id) >= sizeof mo->dest)
        return -EBADMSG;
    memcpy(mo->source, d->src_terminal_id, strlen(d->src_terminal_id) + 1);
    memcpy(mo->dest, d->dest_id, strlen(d->dest_id) + 1);
    if (d->registered_delivery == 1)
        return cmpp_bearer_report(cb, d, mo);
    /* Msg_Fmt 0 is ASCII in CMPP, where SMPP's data_coding 0 is GSM 7-bit */
    mo->data_coding = d->msg_fmt == CMPP_BEARER_FMT_ASCII ? TEXT_DCS_IA5 : d->msg_fmt;
    mo->esm_class = d->tp_udhi ? 0x40 : 0x00;
    memcpy(mo->sm, d->msg_content, d->msg_length);
    mo->sm_len = d->msg_length;
    return 0;
}

/* ---- the session's events, passed up ---- */

static void cmpp_bearer_on_bound(void *ud)
{
    struct cmpp_bearer *cb = ud;
    if (cb->ev->on_bound)
        cb->ev->on_bound(cb->ud, &cb->b);
}

static void cmpp_bearer_on_ready(void *ud)
{
    struct cmpp_bearer *cb = ud;
    if (cb->ev->on_ready)
        cb->ev->on_ready(cb->ud, &cb->b);
}

static void cmpp_bearer_on_unbound(void *ud)
{
    struct cmpp_bearer *cb = ud;
    if (cb->ev->on_unbound)
        cb->ev->on_unbound(cb->ud, &cb->b);
}

static void cmpp_bearer_on_deliver(void *ud, uint64_t link_id, uint32_t seq,
                                   const struct cmpp_deliver *d)
{
    struct cmpp_bearer *cb = ud;
    struct gw_mo mo;
    if (cmpp_bearer_mo(cb, d, &mo) < 0) {
        ERM_WARN_RL("cmpp",
                    "CMPP_DELIVER seq %u refused: an address too long or a malformed "
                    "status report; answered Result 1",
                    (unsigned)seq);
        cmpp_session_ack_deliver(cb->sess, link_id, seq, CMPP_RESULT_BAD_CMD);
        return;
    }
    mo.link_id = link_id;
    mo.seq = seq;
    cb->ev->on_message(cb->ud, &cb->b, &mo);
}

static void cmpp_bearer_on_submit_resp(void *ud, uint64_t cookie, int64_t status, uint64_t msg_id)
{
    struct cmpp_bearer *cb = ud;
    char id[17] = "";
    if (status == 0)
        cmpp_codec_msg_id_text(msg_id, id);
    cb->ev->on_submit_result(cb->ud, &cb->b, cookie, status, id);
}

static void cmpp_bearer_on_stopped(void *ud)
{
    struct cmpp_bearer *cb = ud;
    cb->sess = NULL;
    if (cb->ev->on_stopped)
        cb->ev->on_stopped(cb->ud, &cb->b);
}

/* ---- the bearer's operations ---- */

static int cmpp_bearer_start(struct bearer *b)
{
    static const struct cmpp_session_events ev = {
        .on_bound = cmpp_bearer_on_bound,
        .on_unbound = cmpp_bearer_on_unbound,
        .on_deliver = cmpp_bearer_on_deliver,
        .on_submit_resp = cmpp_bearer_on_submit_resp,
        .on_ready = cmpp_bearer_on_ready,
        .on_stopped = cmpp_bearer_on_stopped,
    };
    struct cmpp_bearer *cb = cmpp_bearer_of(b);
    if (cb->sess != NULL || cb->draining)
        return -EALREADY;
    return cmpp_session_start(cb->loop, &cb->cfg.session, &ev, cb, &cb->sess);
}

static void cmpp_bearer_drain(struct bearer *b)
{
    struct cmpp_bearer *cb = cmpp_bearer_of(b);
    cb->draining = 1;
    cmpp_session_drain(cb->sess);
}

static void cmpp_bearer_stop(struct bearer *b)
{
    struct cmpp_bearer *cb = cmpp_bearer_of(b);
    cb->draining = 1;
    if (cb->sess != NULL) {
        cmpp_session_stop(cb->sess);
        return;
    }
    if (cb->ev->on_stopped)
        cb->ev->on_stopped(cb->ud, &cb->b);
}

static int cmpp_bearer_can_submit(struct bearer *b)
{
    return cmpp_session_can_submit(cmpp_bearer_of(b)->sess);
}

/* MSG as a CMPP_SUBMIT: one destination, a status report asked for as the part asks. */
static int cmpp_bearer_submit(struct bearer *b, const struct gw_submit *msg, uint64_t cookie)
{
    struct cmpp_bearer *cb = cmpp_bearer_of(b);
    struct cmpp_submit m;
    if (cb->sess == NULL)
        return -ENOTCONN;
    if (msg->len > CMPP_CONTENT_MAX)
        return -EMSGSIZE;
    memset(&m, 0, sizeof m);
    int udh = (msg->esm_class & 0x40) && msg->len >= 6 && msg->data[0] == 5;
    m.pk_total = udh ? msg->data[4] : 1;
    m.pk_number = udh ? msg->data[5] : 1;
    m.registered_delivery = msg->registered_delivery ? 1 : 0;
    m.msg_level = 1;
    snprintf(m.service_id, sizeof m.service_id, "%s", cb->cfg.service_id);
    m.tp_udhi = (msg->esm_class & 0x40) ? 1 : 0;
    m.msg_fmt = msg->data_coding == TEXT_DCS_UCS2 ? CMPP_BEARER_FMT_UCS2 : CMPP_BEARER_FMT_ASCII;
    snprintf(m.msg_src, sizeof m.msg_src, "%s", cb->cfg.session.sp_id);
    snprintf(m.fee_type, sizeof m.fee_type, "01"); /* free: the service charges nothing */
    snprintf(m.fee_code, sizeof m.fee_code, "000000");
    snprintf(m.src_id, sizeof m.src_id, "%s", msg->source[0] ? msg->source : cb->cfg.src_id);
    snprintf(m.dest, sizeof m.dest, "%s", msg->dest);
    m.dest_count = 1;
    m.msg_length = (uint8_t)msg->len;
    memcpy(m.msg_content, msg->data, msg->len);
    return cmpp_session_submit(cb->sess, &m, cookie);
}

static uint32_t cmpp_bearer_result(enum bearer_answer a)
{
    return a == BEARER_ACCEPTED  ? CMPP_RESULT_OK
           : a == BEARER_REFUSED ? CMPP_RESULT_OTHER
                                 : CMPP_RESULT_THROTTLE;
}

static int cmpp_bearer_answer(struct bearer *b, uint64_t link_id, uint32_t seq,
                              enum bearer_answer a, const struct bearer_outcome *outcome)
{
    struct cmpp_bearer *cb = cmpp_bearer_of(b);
    (void)outcome; /* the reply goes as an SMS through the outbox */
    if (cb->sess == NULL)
        return -ENOTCONN;
    return cmpp_session_ack_deliver(cb->sess, link_id, seq, cmpp_bearer_result(a));
}

static const char *cmpp_bearer_answer_name(struct bearer *b, enum bearer_answer a)
{
    (void)b;
    return a == BEARER_ACCEPTED  ? "Result 0"
           : a == BEARER_REFUSED ? "Result 9"
                                 : "Result 8 (flow control)";
}

static int cmpp_bearer_status_retries(struct bearer *b, int64_t status)
{
    (void)b;
    return cmpp_session_status_retries(status);
}

static const char *cmpp_bearer_status_name(struct bearer *b, int64_t status)
{
    static const char *const names[] = {
        "Result 0 (ok)",
        "Result 1 (wrong message structure)",
        "Result 2 (wrong command)",
        "Result 3 (repeated sequence)",
        "Result 4 (wrong message length)",
        "Result 5 (wrong fee code)",
        "Result 6 (message too long)",
        "Result 7 (wrong service code)",
        "Result 8 (flow control)",
    };
    (void)b;
    if (status < 0)
        return "no answer";
    if ((uint64_t)status < sizeof names / sizeof names[0])
        return names[status];
    return "Result 9+ (other error)";
}

/* The one link: its state, window and counters (down and zero once the session is gone). */
static void cmpp_bearer_stats(struct bearer *b, struct bearer_stats *out)
{
    struct cmpp_bearer *cb = cmpp_bearer_of(b);
    struct cmpp_session_stats st;
    cmpp_session_stats(cb->sess, &st);
    out->binds = st.binds;
    out->reconnects = st.reconnects;
    out->nlinks = 1;
    out->link[0].up = st.bound;
    out->link[0].in_use = st.window_used;
    out->link[0].window = cb->cfg.session.window;
}

static void cmpp_bearer_destroy(struct bearer *b)
{
    free(cmpp_bearer_of(b));
}

static const struct bearer_ops cmpp_bearer_ops = {
    .kind = "cmpp",
    .start = cmpp_bearer_start,
    .drain = cmpp_bearer_drain,
    .stop = cmpp_bearer_stop,
    .can_submit = cmpp_bearer_can_submit,
    .submit = cmpp_bearer_submit,
    .answer = cmpp_bearer_answer,
    .answer_name = cmpp_bearer_answer_name,
    .status_retries = cmpp_bearer_status_retries,
    .status_name = cmpp_bearer_status_name,
    .destroy = cmpp_bearer_destroy,
    .unsendable_status = CMPP_RESULT_OTHER,
    .ascii_text = 1,
    .stats = cmpp_bearer_stats,
};

int cmpp_bearer_create(uv_loop_t *loop, const struct cmpp_bearer_cfg *cfg,
                       const struct bearer_events *ev, void *ud, struct bearer **out)
{
    struct cmpp_bearer *cb = calloc(1, sizeof *cb);
    if (cb == NULL)
        return -ENOMEM;
    cb->b.ops = &cmpp_bearer_ops;
    cb->b.priv = cb;
    cb->loop = loop;
    cb->cfg = *cfg;
    cb->ev = ev;
    cb->ud = ud;
    *out = &cb->b;
    return 0;
}
