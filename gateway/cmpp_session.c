/*
 * cmpp_session.c: one SP link to an ISMG over CMPP (see cmpp_session.h).
 *
 * A small state machine like smpp_session.c's: backoff, resolving, connecting, login,
 * active, and back to a jittered exponential backoff after any loss; terminating when we
 * stop, peer_closing when the ISMG terminated us (our TERMINATE_RESP flushing before the
 * close). One uv_tcp_t is reused for every link (re-initialised only after its close
 * callback), so callbacks of an old link never mix with the next; link_id tells the app
 * which link a DELIVER came on, and an answer for an older link is dropped.
 *
 * Login: CMPP_CONNECT carries AuthenticatorSource (cmpp_codec_auth_source); the ISMG's
 * AuthenticatorISMG is checked against ours and a link that fails the check is dropped.
 * CONNECT_RESP Status 2, 3 and 4 (bad address, bad authenticator, version too high) are
 * configuration errors: logged as errors once per status in a row, retried with backoff.
 *
 * DELIVER_RESP must echo the DELIVER's Msg_Id, but the app answers by (link, Sequence_Id):
 * the Msg_Ids of the DELIVERs not yet answered are kept (cs_pending) until answered or the
 * link goes.
 *
 * Writes of one loop iteration are gathered into one uv_write (tcp_link.h, as the SMPP
 * session does), flushed from a prepare or check handle. The write queue is bounded as
 * SMPP's is (issue 15): above wq_pause queued bytes we stop reading, below wq_resume we read
 * again, above wq_max or wq_stall_ms paused without a write reaching the kernel the link
 * goes. Backoff, bounds' defaults and the peer's address are tcp_link.h's too.
 *
 * Memory: the session owns what it allocates and frees itself after on_stopped, once every
 * handle's close callback and a pending getaddrinfo have run.
 */
#include "gateway/cmpp_session.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "gateway/tcp_link.h"

#define CS_MOD           "cmpp"
#define CS_RBUF_LEN      16384
#define CS_PEER_MAX      300
#define CS_WHY_MAX       (CS_PEER_MAX + 200)
#define CS_FIXED_HANDLES 7     /* t_state, t_ka, t_submit, t_rate, t_stall, prep, check */
#define CS_THROTTLE_MS   1000u /* no submit this long after a Result 8 */

enum cs_state {
    CS_BACKOFF,      /* t_state: the backoff delay */
    CS_RESOLVING,    /* uv_getaddrinfo in flight */
    CS_CONNECTING,   /* t_state: connect timeout */
    CS_LOGIN,        /* CMPP_CONNECT sent; t_state: response timeout */
    CS_ACTIVE,       /* submits flow; t_ka: active test */
    CS_TERMINATING,  /* stop: CMPP_TERMINATE sent; t_state: response timeout */
    CS_PEER_CLOSING, /* the ISMG terminated: our response flushing; t_state guard */
    CS_CLOSING,      /* link lost: waiting for the TCP handle's close callback */
    CS_IDLE,         /* lost after drain: no reconnect, waits for stop */
    CS_STOPPING,     /* every handle closing; on_stopped and free next */
};

static const char *const cs_state_names[] = {
    "BACKOFF",     "RESOLVING",    "CONNECTING", "LOGIN", "ACTIVE",
    "TERMINATING", "PEER_CLOSING", "CLOSING",    "IDLE",  "STOPPING",
};

struct cs_slot {
    int used;
    uint32_t seq;
    uint64_t cookie;
    uint64_t deadline_ms;
};

struct cs_pending { /* a DELIVER not answered yet */
    uint32_t seq;
    uint64_t msg_id;
};

struct cmpp_session {
    uv_loop_t *loop;
    struct cmpp_session_cfg cfg;
    char *host, *sp_id, *secret;
    char peer[CS_PEER_MAX];
    struct cmpp_session_events ev;
    void *ud;

    enum cs_state state;
    int stopping, no_reconnect, bound;

    uv_getaddrinfo_t gai;
    int gai_pending;
    struct sockaddr_storage addr;
    int addr_known;
    uv_tcp_t tcp;
    int tcp_inited;
    uv_connect_t connect_req;
    uv_shutdown_t shutdown_req;
    uint64_t link_id;
    struct cmpp_codec_framer framer;
    uint8_t rbuf[CS_RBUF_LEN];
    int rd_paused;

    uv_timer_t t_state, t_ka, t_submit, t_rate, t_stall;
    uv_prepare_t prep; /* prep and check write what one loop iteration gathered */
    uv_check_t check;
    struct tcp_link_wbuf wbuf;
    int flush_armed;
    int open_handles;

    uint32_t next_seq, login_seq, term_seq;
    uint8_t auth_source[16];
    uint32_t last_login_status; /* the last refusal logged as an error (0: none) */
    unsigned refusals;          /* logins refused in a row */
    uint64_t binds, reconnects; /* logins, and reconnects scheduled, since start */
    int ka_pending;
    struct cs_slot *slots;
    unsigned nslots_used;
    struct cs_pending *pend;
    size_t npend, pend_cap;

    uint64_t next_ok_ms; /* pacing: no submit before this (uv_now) */
    int ready_owed;

    struct tcp_link_backoff backoff;
    unsigned retry_ms;
    char closing_why[CS_WHY_MAX];
};

static void cs_connect_start(struct cmpp_session *s);
static void cs_link_lost(struct cmpp_session *s, enum erm_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cs_shutdown(struct cmpp_session *s);
static void cs_on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);
static void cs_on_state_timer(uv_timer_t *t);
static void cs_on_submit_timer(uv_timer_t *t);

static const char *cs_state_name(enum cs_state st)
{
    return (unsigned)st < sizeof cs_state_names / sizeof cs_state_names[0] ? cs_state_names[st]
                                                                           : "unknown";
}

static void cs_set_state(struct cmpp_session *s, enum cs_state st)
{
    if (s->state != st)
        ERM_DEBUG(CS_MOD, "%s: %s -> %s", s->peer, cs_state_name(s->state), cs_state_name(st));
    s->state = st;
}

static uint64_t cs_ms(unsigned seconds)
{
    return (uint64_t)seconds * 1000u;
}

static void cs_arm_state(struct cmpp_session *s, uint64_t ms)
{
    uv_timer_start(&s->t_state, cs_on_state_timer, ms, 0);
}

/* Sequence_Id: 1.. and wrapping, never 0. */
static uint32_t cs_next_seq(struct cmpp_session *s)
{
    uint32_t seq = s->next_seq;
    s->next_seq = seq == UINT32_MAX ? 1 : seq + 1;
    return seq;
}

/* ---- writing, with the queue's bound ---- */

static int cs_link_up(const struct cmpp_session *s)
{
    return s->tcp_inited && !uv_is_closing((const uv_handle_t *)&s->tcp) &&
           (s->state == CS_LOGIN || s->state == CS_ACTIVE || s->state == CS_TERMINATING ||
            s->state == CS_PEER_CLOSING);
}

static size_t cs_wq_size(struct cmpp_session *s)
{
    return uv_stream_get_write_queue_size((const uv_stream_t *)&s->tcp);
}

static void cs_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct cmpp_session *s = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)s->rbuf, sizeof s->rbuf);
}

static void cs_on_stall(uv_timer_t *t)
{
    struct cmpp_session *s = t->data;
    if (s->rd_paused && cs_link_up(s))
        cs_link_lost(s, ERM_LOG_WARN,
                     "%s read nothing for %u ms with %zu bytes queued for it (reading paused); "
                     "link dropped",
                     s->peer, s->cfg.wq_stall_ms, cs_wq_size(s));
}

/* After a write was queued: above wq_max the link goes, above wq_pause we stop reading. */
static void cs_wq_check(struct cmpp_session *s)
{
    size_t q = cs_wq_size(s);
    if (q > s->cfg.wq_max) {
        cs_link_lost(s, ERM_LOG_WARN,
                     "%s does not read: %zu bytes queued for it, above the bound %zu; link "
                     "dropped",
                     s->peer, q, s->cfg.wq_max);
        return;
    }
    if (s->rd_paused || q <= s->cfg.wq_pause || s->state == CS_PEER_CLOSING)
        return;
    uv_read_stop((uv_stream_t *)&s->tcp);
    s->rd_paused = 1;
    uv_timer_start(&s->t_stall, cs_on_stall, s->cfg.wq_stall_ms, 0);
    ERM_WARN(CS_MOD, "%s does not read: %zu bytes queued for it; reading paused", s->peer, q);
}

/* A write reached the kernel: the stall clock starts over; below wq_resume we read again. */
static void cs_wq_drained(struct cmpp_session *s)
{
    if (!s->rd_paused || !cs_link_up(s) || s->state == CS_PEER_CLOSING)
        return;
    if (cs_wq_size(s) > s->cfg.wq_resume) {
        uv_timer_start(&s->t_stall, cs_on_stall, s->cfg.wq_stall_ms, 0);
        return;
    }
    uv_timer_stop(&s->t_stall);
    s->rd_paused = 0;
    int rc = uv_read_start((uv_stream_t *)&s->tcp, cs_on_alloc, cs_on_read);
    if (rc < 0)
        cs_link_lost(s, ERM_LOG_WARN, "read from %s: %s", s->peer, uv_strerror(rc));
    else
        ERM_INFO(CS_MOD, "%s reads again; reading resumed", s->peer);
}

static void cs_on_write(uv_write_t *req, int status)
{
    struct tcp_link_wreq *w = (struct tcp_link_wreq *)req;
    struct cmpp_session *s = w->owner;
    uint64_t link_id = w->link_id;
    free(w);
    if (link_id != s->link_id)
        return;
    if (status < 0 && status != UV_ECANCELED && cs_link_up(s))
        cs_link_lost(s, ERM_LOG_WARN, "write to %s: %s", s->peer, uv_strerror(status));
    else if (status == 0)
        cs_wq_drained(s);
}

static void cs_disarm_flush(struct cmpp_session *s)
{
    if (s->flush_armed && !uv_is_closing((uv_handle_t *)&s->prep)) {
        uv_prepare_stop(&s->prep);
        uv_check_stop(&s->check);
    }
    s->flush_armed = 0;
}

/* Writes what this loop iteration gathered as one uv_write. */
static void cs_flush(struct cmpp_session *s)
{
    cs_disarm_flush(s);
    if (!cs_link_up(s)) {
        s->wbuf.len = 0;
        return;
    }
    int rc = tcp_link_wbuf_flush(&s->wbuf, (uv_stream_t *)&s->tcp, s, s->link_id, cs_on_write);
    if (rc < 0) {
        cs_link_lost(s, ERM_LOG_WARN, "write to %s: %s", s->peer, uv_strerror(rc));
        return;
    }
    cs_wq_check(s);
}

static void cs_on_prepare(uv_prepare_t *h)
{
    cs_flush(h->data);
}

static void cs_on_check(uv_check_t *h)
{
    cs_flush(h->data);
}

/* Queues LEN bytes (copied) for the current link; they go out at the end of this loop
 * iteration (prepare runs before the loop blocks, check right after I/O callbacks). 0,
 * -ENOTCONN or -ENOMEM. */
static int cs_send(struct cmpp_session *s, const uint8_t *data, size_t len)
{
    if (!cs_link_up(s))
        return -ENOTCONN;
    if (tcp_link_wbuf_append(&s->wbuf, data, len) < 0)
        return -ENOMEM;
    if (!s->flush_armed) {
        uv_prepare_start(&s->prep, cs_on_prepare);
        uv_check_start(&s->check, cs_on_check);
        s->flush_armed = 1;
    }
    struct cmpp_hdr h;
    cmpp_codec_hdr_read(data, &h);
    ERM_DEBUG(CS_MOD, "tx %s seq %" PRIu32 " (%zu bytes)", cmpp_codec_command_name(h.id), h.seq,
              len);
    return 0;
}

static int cs_send_simple(struct cmpp_session *s, uint32_t id, uint32_t seq)
{
    uint8_t buf[CMPP_HEADER_LEN];
    int n = cmpp_codec_pack_simple(buf, sizeof buf, id, seq);
    return n < 0 ? n : cs_send(s, buf, (size_t)n);
}

/* ---- the submit window ---- */

static void cs_submit_timer_rearm(struct cmpp_session *s)
{
    if (s->state == CS_STOPPING || uv_is_closing((uv_handle_t *)&s->t_submit))
        return;
    uint64_t first = UINT64_MAX, now = uv_now(s->loop);
    for (unsigned i = 0; i < s->cfg.window; i++)
        if (s->slots[i].used && s->slots[i].deadline_ms < first)
            first = s->slots[i].deadline_ms;
    if (first == UINT64_MAX)
        uv_timer_stop(&s->t_submit);
    else
        uv_timer_start(&s->t_submit, cs_on_submit_timer, first > now ? first - now : 0, 0);
}

/* Frees SLOT, then reports (so that the app may submit again from the callback). */
static void cs_slot_report(struct cmpp_session *s, struct cs_slot *slot, int64_t status,
                           uint64_t msg_id)
{
    uint64_t cookie = slot->cookie;
    slot->used = 0;
    s->nslots_used--;
    if (s->ev.on_submit_resp)
        s->ev.on_submit_resp(s->ud, cookie, status, msg_id);
}

static void cs_on_submit_timer(uv_timer_t *t)
{
    struct cmpp_session *s = t->data;
    uint64_t now = uv_now(s->loop);
    for (unsigned i = 0; i < s->cfg.window; i++) {
        if (!s->slots[i].used || s->slots[i].deadline_ms > now)
            continue;
        ERM_WARN(CS_MOD, "CMPP_SUBMIT seq %" PRIu32 " to %s: no response in %u s; given up",
                 s->slots[i].seq, s->peer, s->cfg.response_timeout_s);
        cs_slot_report(s, &s->slots[i], -1, 0);
    }
    cs_submit_timer_rearm(s);
}

/* ---- the link going ---- */

static void cs_on_tcp_closed(uv_handle_t *h);

/* Down: timers of the link stopped, the TCP handle closing, submits failed, DELIVERs
 * forgotten (the ISMG delivers again), on_unbound if on_bound was said. */
static void cs_drop_link(struct cmpp_session *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->t_ka))
        uv_timer_stop(&s->t_ka);
    if (!uv_is_closing((uv_handle_t *)&s->t_state))
        uv_timer_stop(&s->t_state);
    if (!uv_is_closing((uv_handle_t *)&s->t_stall))
        uv_timer_stop(&s->t_stall);
    s->ka_pending = 0;
    s->rd_paused = 0;
    s->npend = 0;
    s->wbuf.len = 0;
    cs_disarm_flush(s);
    if (s->tcp_inited && !uv_is_closing((uv_handle_t *)&s->tcp)) {
        uv_read_stop((uv_stream_t *)&s->tcp);
        uv_close((uv_handle_t *)&s->tcp, cs_on_tcp_closed);
    }
    for (unsigned i = 0; i < s->cfg.window; i++)
        if (s->slots[i].used)
            cs_slot_report(s, &s->slots[i], -1, 0);
    if (!uv_is_closing((uv_handle_t *)&s->t_submit))
        uv_timer_stop(&s->t_submit);
    int was_bound = s->bound;
    s->bound = 0;
    if (was_bound && s->ev.on_unbound)
        s->ev.on_unbound(s->ud);
}

static void cs_after_close(struct cmpp_session *s)
{
    if (s->state == CS_STOPPING)
        return;
    if (s->stopping) {
        cs_shutdown(s);
        return;
    }
    if (s->no_reconnect) {
        cs_set_state(s, CS_IDLE);
        return;
    }
    cs_set_state(s, CS_BACKOFF);
    cs_arm_state(s, s->retry_ms);
}

/* The one place a link is given up: one line saying why and when we retry. */
static void cs_link_lost(struct cmpp_session *s, enum erm_log_level level, const char *fmt, ...)
{
    char why[CS_WHY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (s->state == CS_STOPPING || s->state == CS_CLOSING)
        return;
    if (s->stopping) {
        erm_log(level, CS_MOD, "%s", why);
        cs_shutdown(s);
        return;
    }
    if (s->no_reconnect) {
        erm_log(level, CS_MOD, "%s; stopping: not connecting again", why);
    } else {
        s->retry_ms = tcp_link_backoff_next(&s->backoff);
        s->reconnects++;
        erm_log(level, CS_MOD, "%s; retry in %.1f s", why, s->retry_ms / 1000.0);
    }
    cs_set_state(s, CS_CLOSING);
    cs_drop_link(s);
    if (!s->tcp_inited)
        cs_after_close(s);
}

static void cs_maybe_free(struct cmpp_session *s)
{
    if (s->state != CS_STOPPING || s->open_handles > 0 || s->gai_pending)
        return;
    ERM_INFO(CS_MOD, "session to %s stopped", s->peer);
    if (s->ev.on_stopped)
        s->ev.on_stopped(s->ud);
    cmpp_codec_framer_free(&s->framer);
    tcp_link_wbuf_free(&s->wbuf);
    free(s->slots);
    free(s->pend);
    free(s->host);
    free(s->sp_id);
    free(s->secret);
    free(s);
}

static void cs_on_handle_closed(uv_handle_t *h)
{
    struct cmpp_session *s = h->data;
    s->open_handles--;
    cs_maybe_free(s);
}

static void cs_on_tcp_closed(uv_handle_t *h)
{
    struct cmpp_session *s = h->data;
    s->tcp_inited = 0;
    s->open_handles--;
    if (s->state == CS_STOPPING)
        cs_maybe_free(s);
    else
        cs_after_close(s);
}

static void cs_close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, cs_on_handle_closed);
}

/* Final stop: every handle closed; the last close callback frees the session. */
static void cs_shutdown(struct cmpp_session *s)
{
    if (s->state == CS_STOPPING)
        return;
    cs_set_state(s, CS_STOPPING);
    cs_disarm_flush(s);
    cs_close_handle((uv_handle_t *)&s->prep);
    cs_close_handle((uv_handle_t *)&s->check);
    cs_close_handle((uv_handle_t *)&s->t_state);
    cs_close_handle((uv_handle_t *)&s->t_ka);
    cs_close_handle((uv_handle_t *)&s->t_rate);
    cs_close_handle((uv_handle_t *)&s->t_stall);
    cs_drop_link(s);
    cs_close_handle((uv_handle_t *)&s->t_submit);
    if (s->gai_pending)
        uv_cancel((uv_req_t *)&s->gai);
}

/* The ISMG terminated us: our TERMINATE_RESP is queued; close once it is written. */
static void cs_on_shutdown(uv_shutdown_t *req, int status)
{
    struct cmpp_session *s = req->data;
    (void)status;
    if (s->state == CS_PEER_CLOSING)
        cs_link_lost(s, ERM_LOG_INFO, "%s", s->closing_why);
}

static void cs_peer_terminated(struct cmpp_session *s, uint32_t seq)
{
    snprintf(s->closing_why, sizeof s->closing_why, "%s: the ISMG terminated the link", s->peer);
    if (cs_send_simple(s, CMPP_TERMINATE_RESP, seq) < 0) {
        cs_link_lost(s, ERM_LOG_INFO, "%s", s->closing_why);
        return;
    }
    cs_flush(s); /* the response goes before the half-close */
    if (!cs_link_up(s))
        return;
    uv_read_stop((uv_stream_t *)&s->tcp);
    uv_timer_stop(&s->t_ka);
    cs_set_state(s, CS_PEER_CLOSING);
    s->shutdown_req.data = s;
    if (uv_shutdown(&s->shutdown_req, (uv_stream_t *)&s->tcp, cs_on_shutdown) < 0) {
        cs_link_lost(s, ERM_LOG_INFO, "%s", s->closing_why);
        return;
    }
    cs_arm_state(s, cs_ms(s->cfg.response_timeout_s));
}

/* ---- active test ---- */

static void cs_on_ka_timer(uv_timer_t *t);

/* Anything from the ISMG proves the link alive. */
static void cs_ka_touch(struct cmpp_session *s)
{
    s->ka_pending = 0;
    if (s->state == CS_ACTIVE && s->cfg.active_test_s > 0)
        uv_timer_start(&s->t_ka, cs_on_ka_timer, cs_ms(s->cfg.active_test_s), 0);
}

static void cs_on_ka_timer(uv_timer_t *t)
{
    struct cmpp_session *s = t->data;
    if (s->state != CS_ACTIVE)
        return;
    if (s->ka_pending) {
        cs_link_lost(s, ERM_LOG_WARN, "%s: no answer to CMPP_ACTIVE_TEST in %u s; link dead",
                     s->peer, s->cfg.response_timeout_s);
        return;
    }
    if (cs_send_simple(s, CMPP_ACTIVE_TEST, cs_next_seq(s)) < 0) {
        cs_link_lost(s, ERM_LOG_ERROR, "%s: cannot send CMPP_ACTIVE_TEST", s->peer);
        return;
    }
    s->ka_pending = 1;
    uv_timer_start(&s->t_ka, cs_on_ka_timer, cs_ms(s->cfg.response_timeout_s), 0);
}

/* ---- reading ---- */

static const char *cs_login_status_name(uint32_t st)
{
    switch (st) {
    case CMPP_CONNECT_BAD_STRUCT:
        return "wrong message structure";
    case CMPP_CONNECT_BAD_ADDR:
        return "bad source address (sp_id)";
    case CMPP_CONNECT_BAD_AUTH:
        return "authentication failed (sp_id or secret)";
    case CMPP_CONNECT_BAD_VERSION:
        return "version too high";
    default:
        return "other error";
    }
}

static void cs_on_connect_resp(struct cmpp_session *s, const uint8_t *pdu, uint32_t len,
                               const struct cmpp_hdr *h)
{
    struct cmpp_connect_resp r;
    if (s->state != CS_LOGIN || h->seq != s->login_seq) {
        ERM_WARN_RL(CS_MOD, "%s: unexpected CMPP_CONNECT_RESP seq %" PRIu32 "; ignored", s->peer,
                    h->seq);
        return;
    }
    /* an ISMG of the other version answers in its own layout: read it so, for the Status */
    uint8_t other = s->cfg.version == CMPP_V30 ? CMPP_V20 : CMPP_V30;
    int theirs = 0;
    if (cmpp_codec_unpack_connect_resp(pdu, len, s->cfg.version, &r) < 0) {
        if (cmpp_codec_unpack_connect_resp(pdu, len, other, &r) < 0) {
            cs_link_lost(s, ERM_LOG_WARN,
                         "login to %s: malformed CMPP_CONNECT_RESP (%" PRIu32 " bytes)", s->peer,
                         len);
            return;
        }
        theirs = 1;
    }
    if (theirs && r.status == CMPP_CONNECT_OK) {
        cs_link_lost(s, ERM_LOG_ERROR,
                     "login to %s: the ISMG answered in CMPP %u.0, [cmpp] version is %u.0", s->peer,
                     other >> 4, s->cfg.version >> 4);
        return;
    }
    if (r.status != CMPP_CONNECT_OK) {
        /* 2, 3, 4 are our configuration: an error once, then quieter until it changes */
        enum erm_log_level lvl = r.status == s->last_login_status ? ERM_LOG_DEBUG : ERM_LOG_ERROR;
        s->last_login_status = r.status;
        s->refusals++;
        cs_link_lost(s, lvl, "login to %s as %s refused: Status %" PRIu32 " (%s), %u in a row",
                     s->peer, s->sp_id, r.status, cs_login_status_name(r.status), s->refusals);
        return;
    }
    uint8_t want[16];
    cmpp_codec_auth_ismg(s->cfg.version, r.status, s->auth_source, s->secret, want);
    if (memcmp(want, r.auth, 16) != 0) {
        cs_link_lost(s, ERM_LOG_ERROR,
                     "login to %s: AuthenticatorISMG does not match our secret; link dropped",
                     s->peer);
        return;
    }
    uv_timer_stop(&s->t_state);
    tcp_link_backoff_reset(&s->backoff);
    s->last_login_status = 0;
    cs_set_state(s, CS_ACTIVE);
    s->bound = 1;
    s->binds++;
    if (s->refusals > 0)
        ERM_INFO(CS_MOD, "logged in to %s as %s (CMPP %u.0, link %" PRIu64 ") after %u refused",
                 s->peer, s->sp_id, s->cfg.version >> 4, s->link_id, s->refusals);
    else
        ERM_INFO(CS_MOD, "logged in to %s as %s (CMPP %u.0, link %" PRIu64 ")", s->peer, s->sp_id,
                 s->cfg.version >> 4, s->link_id);
    s->refusals = 0;
    cs_ka_touch(s);
    if (s->ev.on_bound)
        s->ev.on_bound(s->ud);
}

static struct cs_slot *cs_slot_find(struct cmpp_session *s, uint32_t seq)
{
    for (unsigned i = 0; i < s->cfg.window; i++)
        if (s->slots[i].used && s->slots[i].seq == seq)
            return &s->slots[i];
    return NULL;
}

static void cs_on_submit_resp(struct cmpp_session *s, const uint8_t *pdu, uint32_t len,
                              const struct cmpp_hdr *h)
{
    struct cs_slot *slot = cs_slot_find(s, h->seq);
    struct cmpp_result r;
    if (slot == NULL) {
        ERM_WARN_RL(CS_MOD, "%s: CMPP_SUBMIT_RESP seq %" PRIu32 " matches no submit; ignored",
                    s->peer, h->seq);
        return;
    }
    if (cmpp_codec_unpack_result(pdu, len, s->cfg.version, &r) < 0) {
        ERM_WARN_RL(CS_MOD, "%s: malformed CMPP_SUBMIT_RESP seq %" PRIu32 "; counted unanswered",
                    s->peer, h->seq);
        r.result = UINT32_MAX;
        r.msg_id = 0;
    }
    if (r.result == CMPP_RESULT_THROTTLE) {
        s->next_ok_ms = uv_now(s->loop) + CS_THROTTLE_MS; /* before the app submits again */
        ERM_WARN_RL(CS_MOD, "%s: CMPP_SUBMIT answered Result 8 (flow control): no submit for %u ms",
                    s->peer, CS_THROTTLE_MS);
    } else if (r.result != CMPP_RESULT_OK) {
        ERM_INFO(CS_MOD, "%s: CMPP_SUBMIT seq %" PRIu32 " refused: Result %" PRIu32, s->peer,
                 h->seq, r.result);
    }
    cs_slot_report(s, slot, r.result == UINT32_MAX ? -1 : (int64_t)r.result, r.msg_id);
    cs_submit_timer_rearm(s);
}

static int cs_pend_add(struct cmpp_session *s, uint32_t seq, uint64_t msg_id)
{
    if (s->npend == s->pend_cap) {
        size_t cap = s->pend_cap ? s->pend_cap * 2 : 64;
        struct cs_pending *np = realloc(s->pend, cap * sizeof *np);
        if (np == NULL)
            return -ENOMEM;
        s->pend = np;
        s->pend_cap = cap;
    }
    s->pend[s->npend].seq = seq;
    s->pend[s->npend].msg_id = msg_id;
    s->npend++;
    return 0;
}

static void cs_answer_deliver(struct cmpp_session *s, uint32_t seq, uint64_t msg_id,
                              uint32_t result)
{
    uint8_t buf[32];
    struct cmpp_result r = {msg_id, result};
    int n = cmpp_codec_pack_result(buf, sizeof buf, s->cfg.version, CMPP_DELIVER_RESP, seq, &r);
    if (n > 0)
        (void)cs_send(s, buf, (size_t)n);
}

static void cs_on_deliver(struct cmpp_session *s, const uint8_t *pdu, uint32_t len,
                          const struct cmpp_hdr *h)
{
    struct cmpp_deliver d;
    if (cmpp_codec_unpack_deliver(pdu, len, s->cfg.version, &d) < 0) {
        ERM_WARN_RL(CS_MOD,
                    "%s: malformed CMPP_DELIVER seq %" PRIu32 " (%" PRIu32
                    " bytes); answered Result 1",
                    s->peer, h->seq, len);
        uint64_t id = len >= 20 ? (uint64_t)pdu[12] << 56 | (uint64_t)pdu[13] << 48 |
                                      (uint64_t)pdu[14] << 40 | (uint64_t)pdu[15] << 32 |
                                      (uint64_t)pdu[16] << 24 | (uint64_t)pdu[17] << 16 |
                                      (uint64_t)pdu[18] << 8 | pdu[19]
                                : 0;
        cs_answer_deliver(s, h->seq, id, CMPP_RESULT_BAD_CMD);
        return;
    }
    if (s->state != CS_ACTIVE || s->ev.on_deliver == NULL) {
        /* logging in or terminating: the ISMG delivers it again later */
        cs_answer_deliver(s, h->seq, d.msg_id, CMPP_RESULT_THROTTLE);
        return;
    }
    if (cs_pend_add(s, h->seq, d.msg_id) < 0) {
        cs_answer_deliver(s, h->seq, d.msg_id, CMPP_RESULT_THROTTLE);
        return;
    }
    s->ev.on_deliver(s->ud, s->link_id, h->seq, &d);
}

static void cs_dispatch(struct cmpp_session *s, const uint8_t *pdu, uint32_t len)
{
    struct cmpp_hdr h;
    cmpp_codec_hdr_read(pdu, &h);
    ERM_DEBUG(CS_MOD, "rx %s (0x%08" PRIx32 ") seq %" PRIu32 " len %" PRIu32,
              cmpp_codec_command_name(h.id), h.id, h.seq, h.len);
    cs_ka_touch(s);
    switch (h.id) {
    case CMPP_CONNECT_RESP:
        cs_on_connect_resp(s, pdu, len, &h);
        break;
    case CMPP_DELIVER:
        cs_on_deliver(s, pdu, len, &h);
        break;
    case CMPP_SUBMIT_RESP:
        cs_on_submit_resp(s, pdu, len, &h);
        break;
    case CMPP_ACTIVE_TEST: {
        uint8_t buf[CMPP_ACTIVE_RESP_LEN];
        int n = cmpp_codec_pack_active_test_resp(buf, sizeof buf, h.seq);
        if (n > 0)
            (void)cs_send(s, buf, (size_t)n);
        break;
    }
    case CMPP_ACTIVE_TEST_RESP:
        break; /* cs_ka_touch did the work */
    case CMPP_TERMINATE:
        cs_peer_terminated(s, h.seq);
        break;
    case CMPP_TERMINATE_RESP:
        if (s->state == CS_TERMINATING && h.seq == s->term_seq) {
            ERM_INFO(CS_MOD, "terminated the link to %s", s->peer);
            cs_shutdown(s);
        }
        break;
    default:
        /* CMPP has no generic_nack: an unknown request is logged and left unanswered */
        ERM_WARN_RL(CS_MOD, "%s: unexpected %s (0x%08" PRIx32 ") seq %" PRIu32 "; ignored", s->peer,
                    cmpp_codec_command_name(h.id), h.id, h.seq);
        break;
    }
}

/* A PDU begun must end within response_timeout_s: a frame cut short would swallow the PDUs
 * after it. ACTIVE only, where t_state is free; PROGRESSED: a whole PDU was taken, so a
 * partial one is new and gets a full timeout. */
static void cs_watch_partial(struct cmpp_session *s, int progressed)
{
    if (s->state != CS_ACTIVE)
        return;
    if (cmpp_codec_framer_partial(&s->framer) == 0)
        uv_timer_stop(&s->t_state);
    else if (progressed || !uv_is_active((uv_handle_t *)&s->t_state))
        cs_arm_state(s, cs_ms(s->cfg.response_timeout_s));
}

static void cs_on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct cmpp_session *s = st->data;
    (void)buf;
    if (nread == 0)
        return;
    if (nread < 0) {
        if (nread == UV_EOF)
            cs_link_lost(s, ERM_LOG_WARN, "%s closed the connection", s->peer);
        else
            cs_link_lost(s, ERM_LOG_WARN, "read from %s: %s", s->peer, uv_strerror((int)nread));
        return;
    }
    if (cmpp_codec_framer_push(&s->framer, s->rbuf, (size_t)nread) < 0) {
        cs_link_lost(s, ERM_LOG_ERROR, "%s: out of memory reading", s->peer);
        return;
    }
    uint64_t link_id = s->link_id;
    int progressed = 0;
    for (;;) {
        const uint8_t *pdu;
        uint32_t len;
        int rc = cmpp_codec_framer_next(&s->framer, &pdu, &len);
        if (rc == 0)
            break;
        if (rc < 0) {
            cs_link_lost(s, ERM_LOG_WARN,
                         "framing error from %s: Total_Length %" PRIu32 " out of [12, %u]", s->peer,
                         len, CMPP_MAX_LEN);
            return;
        }
        progressed = 1;
        cs_dispatch(s, pdu, len);
        if (s->link_id != link_id ||
            (s->state != CS_LOGIN && s->state != CS_ACTIVE && s->state != CS_TERMINATING))
            return;
    }
    cs_watch_partial(s, progressed);
}

/* ---- connecting and login ---- */

static int cs_send_login(struct cmpp_session *s)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    struct cmpp_connect c = {.version = s->cfg.version};
    snprintf(c.source_addr, sizeof c.source_addr, "%s", s->sp_id);
    c.timestamp = cmpp_codec_timestamp(tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cmpp_codec_auth_source(s->sp_id, s->secret, c.timestamp, s->auth_source);
    memcpy(c.auth, s->auth_source, 16);
    uint8_t buf[CMPP_CONNECT_LEN];
    s->login_seq = cs_next_seq(s);
    int n = cmpp_codec_pack_connect(buf, sizeof buf, s->login_seq, &c);
    return n < 0 ? n : cs_send(s, buf, (size_t)n);
}

static void cs_on_connect(uv_connect_t *req, int status)
{
    struct cmpp_session *s = req->data;
    if (status == UV_ECANCELED || s->state != CS_CONNECTING)
        return;
    if (status < 0) {
        cs_link_lost(s, ERM_LOG_WARN, "connect %s: %s", s->peer, uv_strerror(status));
        return;
    }
    uv_timer_stop(&s->t_state);
    int rc = uv_read_start((uv_stream_t *)&s->tcp, cs_on_alloc, cs_on_read);
    if (rc < 0) {
        cs_link_lost(s, ERM_LOG_WARN, "read from %s: %s", s->peer, uv_strerror(rc));
        return;
    }
    cs_set_state(s, CS_LOGIN);
    if (cs_send_login(s) < 0) {
        cs_link_lost(s, ERM_LOG_ERROR, "login to %s: cannot send CMPP_CONNECT", s->peer);
        return;
    }
    cs_arm_state(s, cs_ms(s->cfg.response_timeout_s));
}

static void cs_connect_addr(struct cmpp_session *s, const struct sockaddr *addr)
{
    s->link_id++;
    cmpp_codec_framer_free(&s->framer);
    cmpp_codec_framer_init(&s->framer, CMPP_MAX_LEN);
    int rc = uv_tcp_init(s->loop, &s->tcp);
    if (rc < 0) {
        cs_link_lost(s, ERM_LOG_ERROR, "connect %s: %s", s->peer, uv_strerror(rc));
        return;
    }
    s->tcp.data = s;
    s->tcp_inited = 1;
    s->open_handles++;
    uv_tcp_nodelay(&s->tcp, 1);
    cs_set_state(s, CS_CONNECTING);
    s->connect_req.data = s;
    rc = uv_tcp_connect(&s->connect_req, &s->tcp, addr, cs_on_connect);
    if (rc < 0) {
        cs_link_lost(s, ERM_LOG_WARN, "connect %s: %s", s->peer, uv_strerror(rc));
        return;
    }
    cs_arm_state(s, cs_ms(s->cfg.response_timeout_s));
}

static void cs_on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct cmpp_session *s = req->data;
    s->gai_pending = 0;
    if (s->state != CS_RESOLVING) {
        if (res != NULL)
            uv_freeaddrinfo(res);
        cs_maybe_free(s);
        return;
    }
    if (status < 0 || res == NULL) {
        if (res != NULL)
            uv_freeaddrinfo(res);
        cs_link_lost(s, ERM_LOG_WARN, "resolve %s: %s", s->host,
                     status < 0 ? uv_strerror(status) : "no address");
        return;
    }
    memset(&s->addr, 0, sizeof s->addr);
    memcpy(&s->addr, res->ai_addr,
           res->ai_addrlen < sizeof s->addr ? res->ai_addrlen : sizeof s->addr);
    uv_freeaddrinfo(res);
    cs_connect_addr(s, (const struct sockaddr *)&s->addr);
}

static void cs_connect_start(struct cmpp_session *s)
{
    if (s->addr_known) {
        cs_connect_addr(s, (const struct sockaddr *)&s->addr);
        return;
    }
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)s->cfg.port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    s->gai.data = s;
    cs_set_state(s, CS_RESOLVING);
    int rc = uv_getaddrinfo(s->loop, &s->gai, cs_on_resolved, s->host, port, &hints);
    if (rc < 0) {
        cs_link_lost(s, ERM_LOG_WARN, "resolve %s: %s", s->host, uv_strerror(rc));
        return;
    }
    s->gai_pending = 1;
}

static void cs_on_state_timer(uv_timer_t *t)
{
    struct cmpp_session *s = t->data;
    switch (s->state) {
    case CS_BACKOFF:
        cs_connect_start(s);
        break;
    case CS_CONNECTING:
        cs_link_lost(s, ERM_LOG_WARN, "connect %s: timed out after %u s", s->peer,
                     s->cfg.response_timeout_s);
        break;
    case CS_LOGIN:
        cs_link_lost(s, ERM_LOG_WARN, "login to %s: no CMPP_CONNECT_RESP in %u s", s->peer,
                     s->cfg.response_timeout_s);
        break;
    case CS_ACTIVE:
        if (s->rd_paused) /* we do not read: the PDU cannot end; t_stall watches */
            break;
        cs_link_lost(s, ERM_LOG_WARN,
                     "incomplete PDU from %s: %zu bytes after %u s; the stream cannot be trusted",
                     s->peer, cmpp_codec_framer_partial(&s->framer), s->cfg.response_timeout_s);
        break;
    case CS_TERMINATING:
        ERM_WARN(CS_MOD, "%s: no CMPP_TERMINATE_RESP in %u s; closing", s->peer,
                 s->cfg.response_timeout_s);
        cs_shutdown(s);
        break;
    case CS_PEER_CLOSING:
        cs_link_lost(s, ERM_LOG_INFO, "%s", s->closing_why);
        break;
    default:
        break;
    }
}

/* ---- pacing ---- */

static void cs_on_rate_timer(uv_timer_t *t)
{
    struct cmpp_session *s = t->data;
    if (!s->ready_owed || s->state != CS_ACTIVE)
        return;
    s->ready_owed = 0;
    if (s->ev.on_ready)
        s->ev.on_ready(s->ud);
}

/* 0 when the pacing allows a submit now, else owes on_ready and returns 1. */
static int cs_pace_wait(struct cmpp_session *s)
{
    uint64_t now = uv_now(s->loop);
    if (s->next_ok_ms <= now)
        return 0;
    s->ready_owed = 1;
    uv_timer_start(&s->t_rate, cs_on_rate_timer, s->next_ok_ms - now, 0);
    return 1;
}

/* ---- public API ---- */

int cmpp_session_start(uv_loop_t *loop, const struct cmpp_session_cfg *cfg,
                       const struct cmpp_session_events *ev, void *ud, struct cmpp_session **out)
{
    if (loop == NULL || cfg == NULL || ev == NULL || out == NULL || cfg->host == NULL ||
        cfg->host[0] == '\0' || cfg->sp_id == NULL || strlen(cfg->sp_id) != 6 ||
        cfg->secret == NULL || cfg->port == 0 || cfg->window == 0 || cfg->response_timeout_s == 0 ||
        !cmpp_codec_version_ok(cfg->version))
        return -EINVAL;
    *out = NULL;
    struct cmpp_session *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    s->loop = loop;
    s->cfg = *cfg;
    s->ev = *ev;
    s->ud = ud;
    s->host = strdup(cfg->host);
    s->sp_id = strdup(cfg->sp_id);
    s->secret = strdup(cfg->secret);
    s->slots = calloc(cfg->window, sizeof *s->slots);
    if (s->host == NULL || s->sp_id == NULL || s->secret == NULL || s->slots == NULL) {
        free(s->host);
        free(s->sp_id);
        free(s->secret);
        free(s->slots);
        free(s);
        return -ENOMEM;
    }
    s->cfg.host = s->host;
    s->cfg.sp_id = s->sp_id;
    s->cfg.secret = s->secret;
    tcp_link_wq_defaults(&s->cfg.wq_pause, &s->cfg.wq_resume, &s->cfg.wq_max, &s->cfg.wq_stall_ms);
    s->addr_known = tcp_link_addr(s->host, cfg->port, &s->addr, s->peer, sizeof s->peer);
    s->next_seq = 1;
    tcp_link_backoff_init(&s->backoff, cfg->reconnect_min_ms, cfg->reconnect_max_ms,
                          uv_hrtime() ^ (uint64_t)(uintptr_t)s);
    cmpp_codec_framer_init(&s->framer, CMPP_MAX_LEN);
    uv_timer_init(loop, &s->t_state);
    uv_timer_init(loop, &s->t_ka);
    uv_timer_init(loop, &s->t_submit);
    uv_timer_init(loop, &s->t_rate);
    uv_timer_init(loop, &s->t_stall);
    uv_prepare_init(loop, &s->prep);
    uv_check_init(loop, &s->check);
    s->t_state.data = s->t_ka.data = s->t_submit.data = s->t_rate.data = s->t_stall.data = s;
    s->prep.data = s->check.data = s;
    s->open_handles = CS_FIXED_HANDLES;
    s->state = CS_BACKOFF;
    ERM_INFO(CS_MOD, "connecting to %s as %s (CMPP %u.0)", s->peer, s->sp_id, s->cfg.version >> 4);
    cs_connect_start(s);
    *out = s;
    return 0;
}

int cmpp_session_can_submit(struct cmpp_session *s)
{
    if (s == NULL || s->state != CS_ACTIVE || s->nslots_used >= s->cfg.window)
        return 0;
    return !cs_pace_wait(s);
}

int cmpp_session_submit(struct cmpp_session *s, const struct cmpp_submit *m, uint64_t cookie)
{
    if (s == NULL || m == NULL)
        return -EINVAL;
    if (s->state != CS_ACTIVE)
        return -ENOTCONN;
    struct cs_slot *slot = NULL;
    for (unsigned i = 0; i < s->cfg.window && slot == NULL; i++)
        if (!s->slots[i].used)
            slot = &s->slots[i];
    if (slot == NULL || cs_pace_wait(s))
        return -EAGAIN;
    uint8_t buf[512];
    struct cmpp_submit w = *m;
    w.msg_id = 0;
    uint32_t seq = cs_next_seq(s);
    int n = cmpp_codec_pack_submit(buf, sizeof buf, s->cfg.version, seq, &w);
    if (n < 0)
        return n;
    int rc = cs_send(s, buf, (size_t)n);
    if (rc < 0)
        return rc;
    slot->used = 1;
    slot->seq = seq;
    slot->cookie = cookie;
    slot->deadline_ms = uv_now(s->loop) + cs_ms(s->cfg.response_timeout_s);
    s->nslots_used++;
    if (s->cfg.max_submit_rate > 0) {
        uint64_t now = uv_now(s->loop);
        uint64_t step = 1000u / s->cfg.max_submit_rate;
        s->next_ok_ms = (s->next_ok_ms > now ? s->next_ok_ms : now) + step;
    }
    if (!uv_is_active((uv_handle_t *)&s->t_submit))
        cs_submit_timer_rearm(s);
    return 0;
}

int cmpp_session_status_retries(int64_t status)
{
    return status < 0 || status == CMPP_RESULT_THROTTLE;
}

int cmpp_session_ack_deliver(struct cmpp_session *s, uint64_t link_id, uint32_t seq,
                             uint32_t result)
{
    if (s == NULL)
        return -EINVAL;
    if (link_id != s->link_id || (s->state != CS_ACTIVE && s->state != CS_TERMINATING)) {
        ERM_DEBUG(CS_MOD, "answer to CMPP_DELIVER seq %" PRIu32 " (link %" PRIu64 ") dropped", seq,
                  link_id);
        return -ENOTCONN;
    }
    for (size_t i = 0; i < s->npend; i++) {
        if (s->pend[i].seq != seq)
            continue;
        uint64_t msg_id = s->pend[i].msg_id;
        s->pend[i] = s->pend[--s->npend];
        cs_answer_deliver(s, seq, msg_id, result);
        return 0;
    }
    return -ENOENT;
}

void cmpp_session_stats(const struct cmpp_session *s, struct cmpp_session_stats *out)
{
    memset(out, 0, sizeof *out);
    if (s == NULL)
        return;
    out->bound = s->state == CS_ACTIVE;
    out->window_used = s->nslots_used;
    out->binds = s->binds;
    out->reconnects = s->reconnects;
}

void cmpp_session_drain(struct cmpp_session *s)
{
    if (s == NULL || s->stopping || s->no_reconnect)
        return;
    s->no_reconnect = 1;
    switch (s->state) {
    case CS_BACKOFF:
        uv_timer_stop(&s->t_state);
        ERM_INFO(CS_MOD, "stopping: no reconnect to %s", s->peer);
        cs_set_state(s, CS_IDLE);
        return;
    case CS_RESOLVING:
    case CS_CONNECTING:
    case CS_LOGIN:
        cs_link_lost(s, ERM_LOG_INFO, "stopping: connection to %s given up (%s)", s->peer,
                     cs_state_name(s->state));
        return;
    default:
        return;
    }
}

void cmpp_session_stop(struct cmpp_session *s)
{
    if (s == NULL || s->stopping)
        return;
    s->stopping = 1;
    switch (s->state) {
    case CS_ACTIVE:
        ERM_INFO(CS_MOD, "stopping: terminating the link to %s", s->peer);
        s->term_seq = cs_next_seq(s);
        if (cs_send_simple(s, CMPP_TERMINATE, s->term_seq) < 0)
            break;
        uv_timer_stop(&s->t_ka);
        cs_set_state(s, CS_TERMINATING);
        cs_arm_state(s, cs_ms(s->cfg.response_timeout_s));
        return;
    case CS_PEER_CLOSING:
        return; /* ends in cs_link_lost, which sees stopping */
    case CS_CLOSING:
        if (s->tcp_inited)
            return;
        break;
    default:
        break;
    }
    ERM_INFO(CS_MOD, "stopping session to %s (%s)", s->peer, cs_state_name(s->state));
    cs_shutdown(s);
}
