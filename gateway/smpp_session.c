/*
 * smpp_session.c: one ESME session (bind_transceiver, or bind_receiver or bind_transmitter) to
 * an SMSC on a libuv loop.
 *
 * The session is a small state machine (sess_state below, names for the logs): resolve,
 * connect, bind, bound, and back to a jittered exponential backoff after any loss. One
 * uv_tcp_t is reused for every connection (re-initialised only after its close callback),
 * so callbacks of an old connection (write, connect, shutdown) always run before the next
 * connection starts and cannot be confused with it; link_id tells the app which connection
 * an MO came on.
 *
 * Submits are paced (sess_pace_*): a generic cell rate algorithm caps them at
 * max_submit_rate per second, and a submit_sm_resp that says "later" (throttled, queue full)
 * pauses submits and halves the rate, which then doubles back as time passes. The app asks
 * smpp_session_can_submit and is woken by on_ready (t_rate) when the pacing allows again.
 *
 * The backoff, the write queue's default bounds and the peer's address are tcp_link.h's,
 * shared with the CMPP session. Bytes on the wire only go through smpp_pdu.h. Writes made in one
 * loop iteration are collected into one buffer and written from a prepare or check handle, so a
 * burst of deliver_sm_resp and submit_sm costs one write(2).
 *
 * An SMSC that sends but does not read our answers would make the write queue grow without
 * end: above wq_pause bytes queued we stop reading from it (it then cannot send more)
 * until the queue is below wq_resume, and drop the link above wq_max or when it reads
 * nothing for wq_stall_ms (sess_wq_*).
 *
 * Memory: the session owns everything it allocates and frees itself after on_stopped, once
 * every handle's close callback and the pending getaddrinfo (if any) have run; nothing is
 * freed inside a call made by the app or inside one of our own callbacks into the app.
 */
#include "gateway/smpp_session.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gateway/smpp_pdu.h"
#include "gateway/tcp_link.h"

#define SESS_MOD      "smpp"
#define SESS_SEQ_MAX  0x7FFFFFFFu
#define SESS_RBUF_LEN 16384
#define SESS_PDU_BUF  1024                  /* bind or submit_sm: both well under 400 bytes */
#define SESS_PEER_MAX 300                   /* "host:port" for logs */
#define SESS_WHY_MAX  (SESS_PEER_MAX + 200) /* one log line's reason */
/* the six handles that live as long as the session: state, keepalive, submit and pacing
 * timers, prepare and check (write flushing) */
#define SESS_FIXED_HANDLES 6
/* After a submit_sm_resp that says "later": no submit this long, then half the rate, which
 * doubles again after every SESS_SLOW_RECOVER_MS without another such answer. */
#define SESS_SLOW_PAUSE_MS   1000u
#define SESS_SLOW_RECOVER_MS 5000u
#define SESS_BURST_DIV       10u /* the pacing lets a tenth of a second's submits go at once */

/* Where the session is. Every state has at most one timer (t_state) with its own meaning. */
enum sess_state {
    SESS_ST_BACKOFF,    /* waiting to reconnect; t_state = the backoff delay */
    SESS_ST_RESOLVING,  /* uv_getaddrinfo in flight */
    SESS_ST_CONNECTING, /* uv_tcp_connect in flight; t_state = connect timeout */
    SESS_ST_BINDING,    /* bind_transceiver sent; t_state = response timeout */
    SESS_ST_BOUND,      /* submits flow; t_ka = keepalive; t_state = a PDU begun must end */
    SESS_ST_UNBINDING,  /* stop asked while bound: unbind sent; t_state = response timeout */
    SESS_ST_DRAINING,   /* SMSC unbound us: unbind_resp flushing before close; t_state guard */
    SESS_ST_CLOSING,    /* link lost: waiting for the TCP handle's close callback */
    SESS_ST_STOPPING,   /* every handle closing; on_stopped and free next */
    SESS_ST_IDLE,       /* link lost after smpp_session_drain(): no reconnect, waits for stop */
};

static const char *const sess_state_names[] = {
    [SESS_ST_BACKOFF] = "BACKOFF",
    [SESS_ST_RESOLVING] = "RESOLVING",
    [SESS_ST_CONNECTING] = "CONNECTING",
    [SESS_ST_BINDING] = "BINDING",
    [SESS_ST_BOUND] = "BOUND",
    [SESS_ST_UNBINDING] = "UNBINDING",
    [SESS_ST_DRAINING] = "DRAINING",
    [SESS_ST_CLOSING] = "CLOSING",
    [SESS_ST_IDLE] = "IDLE",
    [SESS_ST_STOPPING] = "STOPPING",
};

/* One outstanding submit_sm. All share one response timeout, so deadlines grow in submit
 * order and one timer armed at the earliest deadline serves the whole window. */
struct sess_slot {
    int used;
    uint32_t seq;
    uint64_t cookie;
    uint64_t deadline_ms; /* uv_now() based */
    uint64_t sent_us;     /* sess_now_us() when sent */
};

struct smpp_session {
    uv_loop_t *loop;
    struct smpp_session_cfg cfg; /* strings below are our copies */
    char *host, *system_id, *password, *system_type;
    char peer[SESS_PEER_MAX];
    struct smpp_session_events ev;
    void *ud;

    enum sess_state state;
    int stopping;     /* smpp_session_stop() was called */
    int no_reconnect; /* smpp_session_drain() was called: a lost link stays lost */
    int bound;        /* on_bound was called for the current link (on_unbound is owed) */

    /* connection */
    uv_getaddrinfo_t gai;
    int gai_pending;
    struct sockaddr_storage addr;
    int addr_known; /* host was one literal: no resolution needed */
    /* [smsc] host may name several hosts (comma-separated): each attempt that fails before a
     * bind moves on to the next address of the host, then to the next host. */
    char **hosts; /* each malloc'd, owned */
    unsigned nhosts;
    unsigned host_i; /* the next attempt resolves hosts[host_i] and takes its addr_i-th address */
    unsigned addr_i;
    unsigned naddrs; /* addresses hosts[host_i] resolved to last time (0: none) */
    uv_tcp_t tcp;
    int tcp_inited; /* uv_tcp_init done and its close callback not yet run */
    uv_connect_t connect_req;
    uv_shutdown_t shutdown_req;
    uint64_t link_id; /* of the current (or last) connection; 0 before the first */
    struct smpp_framer framer;
    uint8_t rbuf[SESS_RBUF_LEN];

    /* timers and write flushing */
    uv_timer_t t_state;
    uv_timer_t t_ka;
    uv_timer_t t_submit;
    uv_prepare_t prep;
    uv_check_t check;
    int open_handles;          /* handles whose close callback has not run yet */
    struct tcp_link_wbuf wbuf; /* pending bytes of this iteration, written by sess_flush */
    int flush_armed;
    int rd_paused; /* the SMSC does not read what we write: we stopped reading (sess_wq_*) */

    /* sequence numbers and outstanding requests */
    uint32_t next_seq;
    uint32_t bind_seq, unbind_seq, ka_seq;
    int ka_pending; /* enquire_link sent, nothing received since */
    struct sess_slot *slots;
    unsigned nslots_used;
    /* Submits given up on (timed out) on this link, the last window of them: a response that
     * comes late is still reported (SMPP_SESSION_TIMED_OUT says one may). */
    struct sess_slot *late;
    unsigned late_next;

    /* submit pacing, times in sess_now_us() microseconds */
    uv_timer_t t_rate;       /* wakes the app (on_ready) when the pacing allows again */
    int ready_owed;          /* the pacing refused the app: on_ready is owed */
    uint64_t tat_us;         /* earliest time of the next submit at the rate (GCRA) */
    uint64_t pause_until_us; /* no submit before this (after a "later" answer) */
    uint64_t slow_at_us;     /* the last slow-down step; 0 when not slowed down */
    unsigned slow_rate;      /* the rate that step set */
    unsigned slow_target;    /* the rate it climbs back to before the slow-down ends */
    uint64_t sec_start_us;   /* submits in the current and the previous second, for the */
    unsigned sent_this_sec;  /* rate to halve when there is no cap */
    unsigned sent_prev_sec;

    /* counted for smpp_session_stats */
    uint64_t binds;      /* bind_transceiver_resp with ESME_ROK */
    uint64_t reconnects; /* connection attempts after the backoff */

    /* backoff */
    struct tcp_link_backoff backoff;
    unsigned retry_ms; /* delay chosen for the pending reconnect */

    /* SESS_ST_DRAINING: why, for the link-lost line once the drain ends */
    enum erm_log_level drain_level;
    char drain_reason[SESS_WHY_MAX];
};

static void sess_connect_start(struct smpp_session *s);

/* The bind request of each enum smpp_bind_kind. */
static const uint32_t sess_bind_ids[] = {SMPP_BIND_TRANSCEIVER, SMPP_BIND_RECEIVER,
                                         SMPP_BIND_TRANSMITTER};
static void sess_next_addr(struct smpp_session *s);
static void sess_name_peer(struct smpp_session *s, const char *host);
static void sess_link_lost(struct smpp_session *s, enum erm_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sess_shutdown(struct smpp_session *s);
static void sess_flush(struct smpp_session *s);
static void sess_on_prepare(uv_prepare_t *h);
static void sess_on_check(uv_check_t *h);
static void sess_on_state_timer(uv_timer_t *t);
static void sess_on_ka_timer(uv_timer_t *t);
static void sess_on_submit_timer(uv_timer_t *t);
static void sess_on_rate_timer(uv_timer_t *t);
static void sess_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void sess_on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);
static void sess_watch_partial(struct smpp_session *s, int progressed);
static void sess_ka_touch(struct smpp_session *s);

static const char *sess_state_name(enum sess_state st)
{
    if ((unsigned)st < sizeof sess_state_names / sizeof sess_state_names[0] &&
        sess_state_names[st] != NULL)
        return sess_state_names[st];
    return "unknown";
}

static void sess_set_state(struct smpp_session *s, enum sess_state st)
{
    if (s->state != st)
        ERM_DEBUG(SESS_MOD, "%s: %s -> %s", s->peer, sess_state_name(s->state),
                  sess_state_name(st));
    s->state = st;
}

/* States in which the TCP link is up and we may still send PDUs. */
static int sess_can_send(const struct smpp_session *s)
{
    return s->tcp_inited && !uv_is_closing((const uv_handle_t *)&s->tcp) &&
           (s->state == SESS_ST_BINDING || s->state == SESS_ST_BOUND ||
            s->state == SESS_ST_UNBINDING);
}

static uint64_t sess_ms(unsigned seconds)
{
    return (uint64_t)seconds * 1000u;
}

/* (Re)arms the state timer; see sess_on_state_timer for what expiry means per state. */
static void sess_arm_state(struct smpp_session *s, uint64_t ms)
{
    uv_timer_start(&s->t_state, sess_on_state_timer, ms, 0);
}

/* Sequence numbers run 1..0x7FFFFFFF and wrap, never 0 (SMPP 3.4 5.1.4). */
static uint32_t sess_next_seq(struct smpp_session *s)
{
    uint32_t seq = s->next_seq;
    s->next_seq = seq >= SESS_SEQ_MAX ? 1 : seq + 1;
    return seq;
}

/* ---- submit pacing ---- */

static uint64_t sess_now_us(void)
{
    return uv_hrtime() / 1000u;
}

/* The slowed-down rate at NOW_US: the step's rate doubled once per SESS_SLOW_RECOVER_MS
 * since the step; 0 once it is back at its target (the slow-down is over). */
static unsigned sess_slow_rate(const struct smpp_session *s, uint64_t now_us)
{
    if (s->slow_at_us == 0)
        return 0;
    uint64_t steps = (now_us - s->slow_at_us) / ((uint64_t)SESS_SLOW_RECOVER_MS * 1000u);
    if (steps >= 32)
        return 0;
    uint64_t r = (uint64_t)s->slow_rate << steps;
    return r >= s->slow_target ? 0 : (unsigned)r;
}

/* Submits per second allowed at NOW_US; 0: no cap. */
static unsigned sess_rate(const struct smpp_session *s, uint64_t now_us)
{
    unsigned slow = sess_slow_rate(s, now_us);
    return slow != 0 ? slow : s->cfg.max_submit_rate;
}

/* Microseconds until the pacing lets the next submit go; 0: now. GCRA: one submit every
 * 1/rate s, up to a burst of rate/SESS_BURST_DIV (at least 1) ahead of that schedule. */
static uint64_t sess_pace_wait_us(const struct smpp_session *s, uint64_t now_us)
{
    uint64_t wait = s->pause_until_us > now_us ? s->pause_until_us - now_us : 0;
    unsigned rate = sess_rate(s, now_us);
    if (rate > 0) {
        uint64_t interval = 1000000u / rate;
        uint64_t ahead = (rate / SESS_BURST_DIV > 1 ? rate / SESS_BURST_DIV - 1 : 0) * interval;
        uint64_t allowed_at = s->tat_us > ahead ? s->tat_us - ahead : 0;
        if (allowed_at > now_us && allowed_at - now_us > wait)
            wait = allowed_at - now_us;
    }
    return wait;
}

/* The pacing refused the app: wake it (on_ready) when WAIT_US is over. */
static void sess_pace_owe(struct smpp_session *s, uint64_t wait_us)
{
    s->ready_owed = 1;
    uv_timer_start(&s->t_rate, sess_on_rate_timer, (wait_us + 999u) / 1000u, 0);
}

/* A submit goes now: advance the schedule and count it for the observed rate. */
static void sess_pace_take(struct smpp_session *s, uint64_t now_us)
{
    if (s->slow_at_us != 0 && sess_slow_rate(s, now_us) == 0) {
        s->slow_at_us = 0;
        if (s->cfg.max_submit_rate > 0)
            ERM_INFO(SESS_MOD, "%s: submit rate back to %u/s", s->peer, s->cfg.max_submit_rate);
        else
            ERM_INFO(SESS_MOD, "%s: submit rate back to normal (no cap)", s->peer);
    }
    unsigned rate = sess_rate(s, now_us);
    if (rate > 0)
        s->tat_us = (s->tat_us > now_us ? s->tat_us : now_us) + 1000000u / rate;
    if (now_us - s->sec_start_us >= 1000000u) {
        s->sent_prev_sec = now_us - s->sec_start_us < 2000000u ? s->sent_this_sec : 0;
        s->sent_this_sec = 0;
        s->sec_start_us = now_us;
    }
    s->sent_this_sec++;
}

/* The SMSC answered a submit sent at SENT_US with STATUS, which says "later": no submit for
 * SESS_SLOW_PAUSE_MS, then half the rate we were going at. Answers to submits sent before
 * the last step belong to that step: a full window of refusals is one step, one log line. */
static void sess_slow_down(struct smpp_session *s, uint64_t sent_us, uint32_t status)
{
    uint64_t now = sess_now_us();
    if (s->slow_at_us != 0 && sent_us < s->slow_at_us)
        return;
    unsigned cur = sess_rate(s, now);
    if (cur == 0) /* no cap: what we actually sent in the last second */
        cur = s->sent_this_sec > s->sent_prev_sec ? s->sent_this_sec : s->sent_prev_sec;
    if (cur == 0)
        cur = 1;
    if (sess_slow_rate(s, now) == 0) /* a new slow-down: climb back to where we were */
        s->slow_target = s->cfg.max_submit_rate > 0 ? s->cfg.max_submit_rate : cur;
    s->slow_rate = cur / 2 > 0 ? cur / 2 : 1;
    s->slow_at_us = now;
    s->pause_until_us = now + (uint64_t)SESS_SLOW_PAUSE_MS * 1000u;
    ERM_WARN(SESS_MOD,
             "%s: submit_sm answered %s (0x%08" PRIx32 "): slowing down: no submit for %.1f s, "
             "then at most %u/s, doubling every %u s",
             s->peer, smpp_status_name(status), status, SESS_SLOW_PAUSE_MS / 1000.0, s->slow_rate,
             SESS_SLOW_RECOVER_MS / 1000u);
}

/* t_rate: the pacing's wait is over; on_ready if the app was refused and we are bound (a
 * new bind calls on_bound instead). */
static void sess_on_rate_timer(uv_timer_t *t)
{
    struct smpp_session *s = t->data;
    if (!s->ready_owed || s->state != SESS_ST_BOUND)
        return;
    uint64_t wait = sess_pace_wait_us(s, sess_now_us());
    if (wait > 0) {
        sess_pace_owe(s, wait); /* the timer's millisecond rounding */
        return;
    }
    s->ready_owed = 0;
    if (s->ev.on_ready)
        s->ev.on_ready(s->ud);
}

int smpp_session_status_retries(int64_t status)
{
    return status < 0 || status == SMPP_ESME_RTHROTTLED || status == SMPP_ESME_RMSGQFUL ||
           status == SMPP_ESME_RX_T_APPN;
}

/* ---- writing ---- */

/* Queues LEN bytes for the current link; they go out at the end of this loop iteration.
 * DATA stays the caller's (copied). Returns 0, -ENOTCONN or -ENOMEM. */
static int sess_send(struct smpp_session *s, const uint8_t *data, size_t len)
{
    if (!sess_can_send(s))
        return -ENOTCONN;
    if (tcp_link_wbuf_append(&s->wbuf, data, len) < 0)
        return -ENOMEM;
    if (!s->flush_armed) {
        /* prepare runs before the loop blocks, check right after I/O callbacks: whichever
         * phase queued the bytes, one of them writes them before the loop sleeps */
        uv_prepare_start(&s->prep, sess_on_prepare);
        uv_check_start(&s->check, sess_on_check);
        s->flush_armed = 1;
    }
    return 0;
}

static void sess_disarm_flush(struct smpp_session *s)
{
    if (s->flush_armed) {
        uv_prepare_stop(&s->prep);
        uv_check_stop(&s->check);
        s->flush_armed = 0;
    }
}

/* ---- the write queue's bound ---- */

static size_t sess_wq_size(struct smpp_session *s)
{
    return uv_stream_get_write_queue_size((const uv_stream_t *)&s->tcp);
}

/* After a write was queued: above wq_max the link goes; above wq_pause we stop reading, so
 * that the SMSC's requests (each owed an answer we cannot send) stay in its socket, not in
 * our memory. Bound, the keepalive rests (its answer could not be read) and t_state, free
 * while nothing is read, watches for a queue that does not drain. */
static void sess_wq_check(struct smpp_session *s)
{
    size_t q = sess_wq_size(s);
    if (q > s->cfg.wq_max) {
        sess_link_lost(s, ERM_LOG_WARN,
                       "%s does not read: %zu bytes queued for it, above smpp_wq_max %zu; "
                       "link dropped",
                       s->peer, q, s->cfg.wq_max);
        return;
    }
    if (s->rd_paused || q <= s->cfg.wq_pause)
        return;
    uv_read_stop((uv_stream_t *)&s->tcp);
    s->rd_paused = 1;
    if (s->state == SESS_ST_BOUND) {
        uv_timer_stop(&s->t_ka);
        sess_arm_state(s, s->cfg.wq_stall_ms);
    }
    ERM_WARN(SESS_MOD,
             "%s does not read: %zu bytes queued for it, above smpp_wq_pause %zu; reading paused",
             s->peer, q, s->cfg.wq_pause);
}

/* A write reached the kernel: while paused, the SMSC reads again (the stall timer starts
 * over), and below wq_resume we read again too. */
static void sess_wq_drained(struct smpp_session *s)
{
    if (!s->rd_paused || !sess_can_send(s))
        return;
    size_t q = sess_wq_size(s);
    if (q > s->cfg.wq_resume) {
        if (s->state == SESS_ST_BOUND)
            sess_arm_state(s, s->cfg.wq_stall_ms);
        return;
    }
    int rc = uv_read_start((uv_stream_t *)&s->tcp, sess_on_alloc, sess_on_read);
    if (rc < 0) {
        sess_link_lost(s, ERM_LOG_WARN, "read from %s: %s", s->peer, uv_strerror(rc));
        return;
    }
    s->rd_paused = 0;
    ERM_INFO(SESS_MOD, "%s reads again (%zu bytes queued); reading resumed", s->peer, q);
    if (s->state == SESS_ST_BOUND) {
        uv_timer_stop(&s->t_state);
        sess_watch_partial(s, 1);
        sess_ka_touch(s);
    }
}

/* Write completion: frees the request. An error on the current link is a lost link;
 * UV_ECANCELED means we closed the handle ourselves. */
static void sess_on_write(uv_write_t *req, int status)
{
    struct tcp_link_wreq *w = (struct tcp_link_wreq *)req;
    struct smpp_session *s = w->owner;
    uint64_t link_id = w->link_id;
    free(w);
    if (status < 0 && status != UV_ECANCELED && link_id == s->link_id && sess_can_send(s))
        sess_link_lost(s, ERM_LOG_WARN, "write to %s: %s", s->peer, uv_strerror(status));
    else if (status == 0 && link_id == s->link_id)
        sess_wq_drained(s);
}

/* Writes the pending buffer as one uv_write (a copy owned by the write request). */
static void sess_flush(struct smpp_session *s)
{
    sess_disarm_flush(s);
    if (s->wbuf.len == 0)
        return;
    if (!s->tcp_inited || uv_is_closing((uv_handle_t *)&s->tcp)) {
        s->wbuf.len = 0;
        return;
    }
    int rc = tcp_link_wbuf_flush(&s->wbuf, (uv_stream_t *)&s->tcp, s, s->link_id, sess_on_write);
    if (rc == -ENOMEM) {
        sess_link_lost(s, ERM_LOG_ERROR, "write to %s: out of memory", s->peer);
        return;
    }
    if (rc < 0) {
        if (sess_can_send(s))
            sess_link_lost(s, ERM_LOG_WARN, "write to %s: %s", s->peer, uv_strerror(rc));
        return;
    }
    sess_wq_check(s);
}

static void sess_on_prepare(uv_prepare_t *h)
{
    sess_flush(h->data);
}

static void sess_on_check(uv_check_t *h)
{
    sess_flush(h->data);
}

/* Builds and queues a header-only or message_id response (see smpp_pdu_build_resp). */
static int sess_send_resp(struct smpp_session *s, uint32_t id, uint32_t status, uint32_t seq)
{
    uint8_t buf[32];
    size_t n = smpp_pdu_build_resp(buf, id, status, seq);
    ERM_DEBUG(SESS_MOD, "tx %s seq %" PRIu32 " status %s (0x%08" PRIx32 ")", smpp_command_name(id),
              seq, smpp_status_name(status), status);
    return sess_send(s, buf, n);
}

static int sess_send_simple(struct smpp_session *s, uint32_t id, uint32_t seq)
{
    uint8_t buf[SMPP_HEADER_LEN];
    size_t n = smpp_pdu_build_simple(buf, id, seq);
    ERM_DEBUG(SESS_MOD, "tx %s seq %" PRIu32, smpp_command_name(id), seq);
    return sess_send(s, buf, n);
}

/* ---- submit window ---- */

static struct sess_slot *sess_slot_find(struct smpp_session *s, uint32_t seq)
{
    for (unsigned i = 0; i < s->cfg.window; i++)
        if (s->slots[i].used && s->slots[i].seq == seq)
            return &s->slots[i];
    return NULL;
}

/* Arms t_submit at the earliest deadline in the window, or stops it when the window is
 * empty. */
static void sess_submit_timer_rearm(struct smpp_session *s)
{
    if (s->state == SESS_ST_STOPPING || uv_is_closing((uv_handle_t *)&s->t_submit))
        return;
    uint64_t first = UINT64_MAX;
    for (unsigned i = 0; i < s->cfg.window; i++)
        if (s->slots[i].used && s->slots[i].deadline_ms < first)
            first = s->slots[i].deadline_ms;
    if (first == UINT64_MAX) {
        uv_timer_stop(&s->t_submit);
        return;
    }
    uint64_t now = uv_now(s->loop);
    uv_timer_start(&s->t_submit, sess_on_submit_timer, first > now ? first - now : 0, 0);
}

/* Frees SLOT and reports STATUS to the app. The slot is released before the callback so
 * that the app may submit again from inside it. */
static void sess_slot_report(struct smpp_session *s, struct sess_slot *slot, int64_t status,
                             const char *message_id)
{
    uint64_t cookie = slot->cookie;
    slot->used = 0;
    s->nslots_used--;
    if (s->ev.on_submit_resp)
        s->ev.on_submit_resp(s->ud, cookie, status, message_id);
}

static void sess_on_submit_timer(uv_timer_t *t)
{
    struct smpp_session *s = t->data;
    uint64_t now = uv_now(s->loop);
    for (unsigned i = 0; i < s->cfg.window; i++) {
        struct sess_slot *slot = &s->slots[i];
        if (!slot->used || slot->deadline_ms > now)
            continue;
        ERM_WARN(SESS_MOD, "submit_sm seq %" PRIu32 " to %s: no response in %u s; given up",
                 slot->seq, s->peer, s->cfg.response_timeout_s);
        s->late[s->late_next++ % s->cfg.window] = *slot;
        /* the app may submit (taking a slot with a later deadline) or stop from here */
        sess_slot_report(s, slot, SMPP_SESSION_TIMED_OUT, "");
    }
    sess_submit_timer_rearm(s);
}

/* Every outstanding submit is answered -1: the link is gone, and its answer with it. */
static void sess_fail_submits(struct smpp_session *s)
{
    for (unsigned i = 0; i < s->cfg.window; i++)
        if (s->slots[i].used)
            sess_slot_report(s, &s->slots[i], -1, "");
    memset(s->late, 0, s->cfg.window * sizeof *s->late); /* their answers went with the link */
    if (!uv_is_closing((uv_handle_t *)&s->t_submit))
        uv_timer_stop(&s->t_submit);
}

/* ---- link up / down ---- */

static void sess_on_tcp_closed(uv_handle_t *h);

/* Takes the link down: timers of the link stopped, pending bytes dropped, the TCP handle
 * closing, outstanding submits failed, and on_unbound if on_bound had been said. The
 * state must already be CLOSING or STOPPING, so that the app, called from here, sees the
 * session as not bound (submit gives -ENOTCONN, acks are dropped). */
static void sess_drop_link(struct smpp_session *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->t_ka))
        uv_timer_stop(&s->t_ka);
    if (!uv_is_closing((uv_handle_t *)&s->t_state))
        uv_timer_stop(&s->t_state);
    s->wbuf.len = 0;
    s->ka_pending = 0;
    s->rd_paused = 0;
    if (!uv_is_closing((uv_handle_t *)&s->prep))
        sess_disarm_flush(s);
    if (s->tcp_inited && !uv_is_closing((uv_handle_t *)&s->tcp)) {
        uv_read_stop((uv_stream_t *)&s->tcp);
        uv_close((uv_handle_t *)&s->tcp, sess_on_tcp_closed);
    }
    int was_bound = s->bound;
    s->bound = 0;
    sess_fail_submits(s);
    if (was_bound && s->ev.on_unbound)
        s->ev.on_unbound(s->ud);
}

/* The link is down and the TCP handle closed (or never opened): wait, then reconnect;
 * or finish stopping. */
static void sess_after_close(struct smpp_session *s)
{
    if (s->state == SESS_ST_STOPPING)
        return;
    if (s->stopping) {
        sess_shutdown(s);
        return;
    }
    if (s->no_reconnect) {
        sess_set_state(s, SESS_ST_IDLE);
        return;
    }
    sess_set_state(s, SESS_ST_BACKOFF);
    sess_arm_state(s, s->retry_ms);
}

/* Moves the cursor to the next address: the host's next one, else the next host's first. */
static void sess_next_addr(struct smpp_session *s)
{
    if (++s->addr_i < s->naddrs)
        return;
    s->addr_i = 0;
    s->host_i = (s->host_i + 1) % s->nhosts;
}

/* The one place a link is given up: logs one line saying why and when we retry, then
 * drops the link. Safe from any of our callbacks, including while reading. */
static void sess_link_lost(struct smpp_session *s, enum erm_log_level level, const char *fmt, ...)
{
    char why[SESS_WHY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);

    if (s->state == SESS_ST_STOPPING || s->state == SESS_ST_CLOSING)
        return;
    if (s->stopping) {
        erm_log(level, SESS_MOD, "%s", why);
        sess_shutdown(s);
        return;
    }
    if (!s->bound)
        sess_next_addr(s); /* this address did not get us bound: the next one next time */
    if (s->no_reconnect) {
        erm_log(level, SESS_MOD, "%s; stopping: not connecting again", why);
    } else {
        s->retry_ms = tcp_link_backoff_next(&s->backoff);
        erm_log(level, SESS_MOD, "%s; retry in %.1f s", why, s->retry_ms / 1000.0);
    }
    sess_set_state(s, SESS_ST_CLOSING);
    sess_drop_link(s);
    /* without a TCP handle to wait for (resolution failed), go on now; otherwise its close
     * callback does. The app may have called stop from sess_drop_link's callbacks. */
    if (!s->tcp_inited)
        sess_after_close(s);
}

/* Frees the session once nothing of libuv refers to it any more. */
static void sess_maybe_free(struct smpp_session *s)
{
    if (s->state != SESS_ST_STOPPING || s->open_handles > 0 || s->gai_pending)
        return;
    ERM_INFO(SESS_MOD, "session to %s stopped", s->peer);
    if (s->ev.on_stopped)
        s->ev.on_stopped(s->ud);
    smpp_framer_free(&s->framer);
    tcp_link_wbuf_free(&s->wbuf);
    free(s->slots);
    free(s->late);
    free(s->host);
    for (unsigned i = 0; i < s->nhosts; i++)
        free(s->hosts[i]);
    free(s->hosts);
    free(s->system_id);
    free(s->password);
    free(s->system_type);
    free(s);
}

static void sess_on_handle_closed(uv_handle_t *h)
{
    struct smpp_session *s = h->data;
    s->open_handles--;
    sess_maybe_free(s);
}

static void sess_on_tcp_closed(uv_handle_t *h)
{
    struct smpp_session *s = h->data;
    s->tcp_inited = 0;
    s->open_handles--;
    if (s->state == SESS_ST_STOPPING)
        sess_maybe_free(s);
    else
        sess_after_close(s);
}

static void sess_close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, sess_on_handle_closed);
}

/* Final stop: the link (if any) dropped, every handle closed; the last close callback (or
 * the cancelled getaddrinfo) frees the session. Idempotent. */
static void sess_shutdown(struct smpp_session *s)
{
    if (s->state == SESS_ST_STOPPING)
        return;
    sess_set_state(s, SESS_ST_STOPPING);
    s->flush_armed = 0;
    sess_close_handle((uv_handle_t *)&s->prep);
    sess_close_handle((uv_handle_t *)&s->check);
    sess_close_handle((uv_handle_t *)&s->t_state);
    sess_close_handle((uv_handle_t *)&s->t_ka);
    sess_close_handle((uv_handle_t *)&s->t_rate);
    sess_drop_link(s); /* fails submits before t_submit goes; may call the app */
    sess_close_handle((uv_handle_t *)&s->t_submit);
    if (s->gai_pending)
        uv_cancel((uv_req_t *)&s->gai); /* if already running, its callback just comes */
}

/* Half-closes after the unbind_resp we just queued is written (uv_shutdown waits for the
 * write queue), then the link is lost with WHY. t_state guards against a peer that never
 * reads. */
static void sess_on_shutdown(uv_shutdown_t *req, int status)
{
    struct smpp_session *s = req->data;
    (void)status;
    if (s->state == SESS_ST_DRAINING)
        sess_link_lost(s, s->drain_level, "%s", s->drain_reason);
}

static void sess_drain(struct smpp_session *s, enum erm_log_level level, const char *why)
{
    snprintf(s->drain_reason, sizeof s->drain_reason, "%s", why);
    s->drain_level = level;
    sess_flush(s);
    if (s->state == SESS_ST_CLOSING || s->state == SESS_ST_STOPPING)
        return; /* the flush itself failed */
    uv_read_stop((uv_stream_t *)&s->tcp);
    uv_timer_stop(&s->t_ka);
    sess_set_state(s, SESS_ST_DRAINING);
    s->shutdown_req.data = s;
    int rc = uv_shutdown(&s->shutdown_req, (uv_stream_t *)&s->tcp, sess_on_shutdown);
    if (rc < 0) {
        sess_link_lost(s, level, "%s", why);
        return;
    }
    sess_arm_state(s, sess_ms(s->cfg.response_timeout_s));
}

/* ---- keepalive ---- */

/* Any PDU from the SMSC proves the link alive: forget the pending enquire_link and wait a
 * full idle interval again. */
static void sess_ka_touch(struct smpp_session *s)
{
    s->ka_pending = 0;
    if (s->state == SESS_ST_BOUND && s->cfg.enquire_link_s > 0)
        uv_timer_start(&s->t_ka, sess_on_ka_timer, sess_ms(s->cfg.enquire_link_s), 0);
}

static void sess_on_ka_timer(uv_timer_t *t)
{
    struct smpp_session *s = t->data;
    if (s->state != SESS_ST_BOUND)
        return;
    if (s->ka_pending) {
        sess_link_lost(s, ERM_LOG_WARN, "%s: no answer to enquire_link in %u s; link dead", s->peer,
                       s->cfg.response_timeout_s);
        return;
    }
    s->ka_seq = sess_next_seq(s);
    if (sess_send_simple(s, SMPP_ENQUIRE_LINK, s->ka_seq) < 0) {
        sess_link_lost(s, ERM_LOG_ERROR, "%s: cannot queue enquire_link", s->peer);
        return;
    }
    s->ka_pending = 1;
    uv_timer_start(&s->t_ka, sess_on_ka_timer, sess_ms(s->cfg.response_timeout_s), 0);
}

/* ---- reading ---- */

static void sess_on_bind_resp(struct smpp_session *s, const uint8_t *pdu, uint32_t len,
                              const struct smpp_hdr *h)
{
    if (s->state != SESS_ST_BINDING || h->seq != s->bind_seq) {
        ERM_WARN_RL(SESS_MOD, "%s: unexpected bind_transceiver_resp seq %" PRIu32 " in %s; ignored",
                    s->peer, h->seq, sess_state_name(s->state));
        return;
    }
    if (h->status != SMPP_ESME_ROK) {
        sess_link_lost(s, ERM_LOG_WARN, "bind refused by %s: %s (0x%08" PRIx32 ")", s->peer,
                       smpp_status_name(h->status), h->status);
        return;
    }
    char smsc_id[32];
    if (smpp_pdu_resp_cstring(pdu, len, smsc_id, sizeof smsc_id) < 0)
        snprintf(smsc_id, sizeof smsc_id, "?");
    uv_timer_stop(&s->t_state);
    tcp_link_backoff_reset(&s->backoff);
    sess_set_state(s, SESS_ST_BOUND);
    s->bound = 1;
    s->binds++;
    ERM_INFO(SESS_MOD, "bound to %s as %s (SMSC system_id \"%s\", link %" PRIu64 ")%s", s->peer,
             s->system_id, smsc_id, s->link_id,
             s->cfg.bind_kind == SMPP_BIND_KIND_RX   ? ", receiver"
             : s->cfg.bind_kind == SMPP_BIND_KIND_TX ? ", transmitter"
                                                     : "");
    sess_ka_touch(s);
    if (s->ev.on_bound)
        s->ev.on_bound(s->ud);
}

static void sess_on_submit_resp(struct smpp_session *s, const uint8_t *pdu, uint32_t len,
                                const struct smpp_hdr *h)
{
    struct sess_slot *slot = sess_slot_find(s, h->seq), *late = NULL;
    for (unsigned i = 0; slot == NULL && late == NULL && i < s->cfg.window; i++)
        if (s->late[i].used && s->late[i].seq == h->seq)
            late = &s->late[i];
    if (slot == NULL && late == NULL) {
        ERM_WARN_RL(SESS_MOD,
                    "%s: submit_sm_resp seq %" PRIu32 " matches no outstanding submit; ignored",
                    s->peer, h->seq);
        return;
    }
    char id[72] = "";
    if (h->status == SMPP_ESME_ROK && smpp_pdu_resp_cstring(pdu, len, id, sizeof id) < 0) {
        /* the SMSC accepted the message: report success (a failure would resend it) */
        ERM_WARN_RL(SESS_MOD, "%s: submit_sm_resp seq %" PRIu32 " has a malformed message_id",
                    s->peer, h->seq);
        id[0] = '\0';
    }
    if (h->status != SMPP_ESME_ROK)
        ERM_INFO(SESS_MOD, "%s: submit_sm seq %" PRIu32 " refused: %s (0x%08" PRIx32 ")", s->peer,
                 h->seq, smpp_status_name(h->status), h->status);
    if (late != NULL) {
        /* Its slot was freed at the timeout: the answer goes to the app as it is. */
        ERM_INFO(SESS_MOD, "%s: submit_sm_resp seq %" PRIu32 " came after its timeout", s->peer,
                 h->seq);
        late->used = 0;
        if (s->ev.on_submit_resp)
            s->ev.on_submit_resp(s->ud, late->cookie, h->status, id);
        return;
    }
    if (h->status != SMPP_ESME_ROK && smpp_session_status_retries(h->status))
        sess_slow_down(s, slot->sent_us, h->status); /* before the app submits again */
    sess_slot_report(s, slot, h->status, id);
    sess_submit_timer_rearm(s);
}

static void sess_on_generic_nack(struct smpp_session *s, const struct smpp_hdr *h)
{
    ERM_WARN_RL(SESS_MOD, "%s: generic_nack seq %" PRIu32 ": %s (0x%08" PRIx32 ")", s->peer, h->seq,
                smpp_status_name(h->status), h->status);
    struct sess_slot *slot = sess_slot_find(s, h->seq);
    if (slot != NULL) {
        /* a nack with status 0 makes no sense; never let it pass for an accepted submit */
        uint32_t st = h->status != SMPP_ESME_ROK ? h->status : SMPP_ESME_RUNKNOWNERR;
        if (smpp_session_status_retries(st))
            sess_slow_down(s, slot->sent_us, st);
        sess_slot_report(s, slot, st, "");
        sess_submit_timer_rearm(s);
    } else if (s->state == SESS_ST_BINDING && h->seq == s->bind_seq) {
        sess_link_lost(s, ERM_LOG_WARN, "bind refused by %s: generic_nack %s (0x%08" PRIx32 ")",
                       s->peer, smpp_status_name(h->status), h->status);
    } else if (s->state == SESS_ST_UNBINDING && h->seq == s->unbind_seq) {
        sess_shutdown(s);
    }
}

static void sess_on_deliver_sm(struct smpp_session *s, const uint8_t *pdu, uint32_t len,
                               const struct smpp_hdr *h)
{
    if (s->state != SESS_ST_BOUND) {
        /* binding: not bound yet; unbinding: we are going away, the SMSC delivers later */
        uint32_t st = s->state == SESS_ST_BINDING ? SMPP_ESME_RINVBNDSTS : SMPP_ESME_RX_T_APPN;
        ERM_INFO(SESS_MOD, "%s: deliver_sm seq %" PRIu32 " in %s; answered %s", s->peer, h->seq,
                 sess_state_name(s->state), smpp_status_name(st));
        sess_send_resp(s, SMPP_DELIVER_SM_RESP, st, h->seq);
        return;
    }
    struct gw_mo mo;
    memset(&mo, 0, sizeof mo);
    uint32_t st = smpp_pdu_decode_deliver_sm(pdu, len, &mo);
    if (st != SMPP_ESME_ROK) {
        ERM_WARN_RL(SESS_MOD, "%s: deliver_sm seq %" PRIu32 " refused: %s (0x%08" PRIx32 ")",
                    s->peer, h->seq, smpp_status_name(st), st);
        sess_send_resp(s, SMPP_DELIVER_SM_RESP, st, h->seq);
        return;
    }
    mo.link_id = s->link_id;
    mo.seq = h->seq;
    if (s->ev.on_mo)
        s->ev.on_mo(s->ud, &mo);
    else
        sess_send_resp(s, SMPP_DELIVER_SM_RESP, SMPP_ESME_RX_T_APPN, h->seq);
}

/* Answers every PDU the SMSC sends (responses are matched, never answered). */
static void sess_dispatch(struct smpp_session *s, const uint8_t *pdu, uint32_t len)
{
    struct smpp_hdr h;
    smpp_hdr_read(pdu, &h);
    ERM_DEBUG(SESS_MOD,
              "rx %s (0x%08" PRIx32 ") seq %" PRIu32 " status 0x%08" PRIx32 " len %" PRIu32,
              smpp_command_name(h.id), h.id, h.seq, h.status, h.len);
    sess_ka_touch(s);

    switch (h.id) {
    case SMPP_DELIVER_SM:
        sess_on_deliver_sm(s, pdu, len, &h);
        break;
    case SMPP_ENQUIRE_LINK:
        sess_send_resp(s, SMPP_ENQUIRE_LINK_RESP, SMPP_ESME_ROK, h.seq);
        break;
    case SMPP_UNBIND: {
        /* answer, let the answer reach the SMSC, then close (and reconnect unless stopping) */
        char why[SESS_WHY_MAX];
        snprintf(why, sizeof why, "%s: SMSC unbound", s->peer);
        sess_send_resp(s, SMPP_UNBIND_RESP, SMPP_ESME_ROK, h.seq);
        sess_drain(s, ERM_LOG_INFO, why);
        break;
    }
    case SMPP_BIND_TRANSCEIVER_RESP:
    case SMPP_BIND_RECEIVER_RESP:
    case SMPP_BIND_TRANSMITTER_RESP:
        sess_on_bind_resp(s, pdu, len, &h);
        break;
    case SMPP_SUBMIT_SM_RESP:
        sess_on_submit_resp(s, pdu, len, &h);
        break;
    case SMPP_ENQUIRE_LINK_RESP:
        break; /* sess_ka_touch did the work */
    case SMPP_UNBIND_RESP:
        if (s->state == SESS_ST_UNBINDING && h.seq == s->unbind_seq) {
            ERM_INFO(SESS_MOD, "unbound from %s", s->peer);
            sess_shutdown(s);
        } else {
            ERM_DEBUG(SESS_MOD, "%s: unexpected unbind_resp seq %" PRIu32 "; ignored", s->peer,
                      h.seq);
        }
        break;
    case SMPP_GENERIC_NACK:
        sess_on_generic_nack(s, &h);
        break;
    default:
        if (h.id & SMPP_RESP_BIT) {
            /* answering a response could start a nack ping-pong */
            ERM_WARN_RL(SESS_MOD, "%s: unexpected %s (0x%08" PRIx32 ") seq %" PRIu32 "; ignored",
                        s->peer, smpp_command_name(h.id), h.id, h.seq);
        } else {
            ERM_WARN_RL(SESS_MOD,
                        "%s: unsupported %s (0x%08" PRIx32 ") seq %" PRIu32
                        "; answered generic_nack ESME_RINVCMDID",
                        s->peer, smpp_command_name(h.id), h.id, h.seq);
            sess_send_resp(s, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, h.seq);
        }
        break;
    }
}

/* Bytes of a PDU begun but not complete (the framer has dropped what it handed out). */
static size_t sess_partial_len(const struct smpp_session *s)
{
    return s->framer.have - s->framer.off;
}

/* A PDU begun must end within response_timeout_s: a frame cut short (the SMSC lost its
 * tail) would otherwise swallow the PDUs after it, and only the keepalive would notice.
 * BOUND only, where t_state is free; PROGRESSED: a whole PDU was taken, so any partial one
 * is new and gets a full timeout. */
static void sess_watch_partial(struct smpp_session *s, int progressed)
{
    if (s->state != SESS_ST_BOUND)
        return;
    if (sess_partial_len(s) == 0)
        uv_timer_stop(&s->t_state);
    else if (progressed || !uv_is_active((uv_handle_t *)&s->t_state))
        sess_arm_state(s, sess_ms(s->cfg.response_timeout_s));
}

static void sess_on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct smpp_session *s = h->data;
    (void)suggested;
    *buf = uv_buf_init((char *)s->rbuf, sizeof s->rbuf);
}

/* Bytes in: through the framer, one PDU at a time. After each PDU (and the app callbacks it
 * caused) the link may be gone or the session stopping: then the rest is not for us. */
static void sess_on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct smpp_session *s = st->data;
    (void)buf;
    if (nread == 0)
        return;
    if (nread < 0) {
        if (nread == UV_EOF)
            sess_link_lost(s, ERM_LOG_WARN, "%s closed the connection", s->peer);
        else
            sess_link_lost(s, ERM_LOG_WARN, "read from %s: %s", s->peer, uv_strerror((int)nread));
        return;
    }
    if (smpp_framer_push(&s->framer, s->rbuf, (size_t)nread) < 0) {
        sess_link_lost(s, ERM_LOG_ERROR, "%s: out of memory reading", s->peer);
        return;
    }
    uint64_t link_id = s->link_id;
    int progressed = 0;
    for (;;) {
        const uint8_t *pdu;
        uint32_t len;
        int rc = smpp_framer_next(&s->framer, &pdu, &len);
        if (rc == 0)
            break;
        if (rc < 0) {
            sess_link_lost(s, ERM_LOG_WARN,
                           "framing error from %s: command_length %" PRIu32
                           " out of bounds [16, %" PRIu32 "]",
                           s->peer, len, s->cfg.max_pdu_len);
            return;
        }
        progressed = 1;
        sess_dispatch(s, pdu, len);
        if (s->link_id != link_id || (s->state != SESS_ST_BINDING && s->state != SESS_ST_BOUND &&
                                      s->state != SESS_ST_UNBINDING))
            return;
    }
    sess_watch_partial(s, progressed);
}

/* ---- connecting ---- */

static void sess_on_connect(uv_connect_t *req, int status)
{
    struct smpp_session *s = req->data;
    if (status == UV_ECANCELED || s->state != SESS_ST_CONNECTING)
        return; /* we closed the handle (stop or timeout) */
    if (status < 0) {
        sess_link_lost(s, ERM_LOG_WARN, "connect %s: %s", s->peer, uv_strerror(status));
        return;
    }
    uv_timer_stop(&s->t_state);
    int rc = uv_read_start((uv_stream_t *)&s->tcp, sess_on_alloc, sess_on_read);
    if (rc < 0) {
        sess_link_lost(s, ERM_LOG_WARN, "read from %s: %s", s->peer, uv_strerror(rc));
        return;
    }
    sess_set_state(s, SESS_ST_BINDING);
    uint8_t buf[SESS_PDU_BUF];
    s->bind_seq = sess_next_seq(s);
    int n = smpp_pdu_pack_bind(buf, sizeof buf, s->bind_seq, sess_bind_ids[s->cfg.bind_kind],
                               s->system_id, s->password, s->system_type);
    if (n < 0 || sess_send(s, buf, (size_t)n) < 0) {
        /* checked in smpp_session_start, so only memory can fail here */
        sess_link_lost(s, ERM_LOG_ERROR, "bind to %s: cannot build bind_transceiver", s->peer);
        return;
    }
    ERM_DEBUG(SESS_MOD, "connected to %s (link %" PRIu64 "); tx bind_transceiver seq %" PRIu32,
              s->peer, s->link_id, s->bind_seq);
    sess_arm_state(s, sess_ms(s->cfg.response_timeout_s));
}

/* A new link on ADDR: fresh TCP handle, framer and link_id. */
static void sess_connect_addr(struct smpp_session *s, const struct sockaddr *addr)
{
    s->link_id++;
    smpp_framer_free(&s->framer);
    smpp_framer_init(&s->framer, s->cfg.max_pdu_len);
    int rc = uv_tcp_init(s->loop, &s->tcp);
    if (rc < 0) {
        sess_link_lost(s, ERM_LOG_ERROR, "connect %s: %s", s->peer, uv_strerror(rc));
        return;
    }
    s->tcp.data = s;
    s->tcp_inited = 1;
    s->open_handles++;
    uv_tcp_nodelay(&s->tcp, 1);
    sess_set_state(s, SESS_ST_CONNECTING);
    s->connect_req.data = s;
    rc = uv_tcp_connect(&s->connect_req, &s->tcp, addr, sess_on_connect);
    if (rc < 0) {
        sess_link_lost(s, ERM_LOG_WARN, "connect %s: %s", s->peer, uv_strerror(rc));
        return;
    }
    /* a SYN into a black hole takes minutes to fail on its own */
    sess_arm_state(s, sess_ms(s->cfg.response_timeout_s));
}

static void sess_on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct smpp_session *s = req->data;
    s->gai_pending = 0;
    if (s->state != SESS_ST_RESOLVING) {
        /* stopped meanwhile (status is UV_EAI_CANCELED, or the answer came anyway) */
        if (res != NULL)
            uv_freeaddrinfo(res);
        sess_maybe_free(s);
        return;
    }
    const char *host = s->hosts[s->host_i];
    s->naddrs = 0;
    for (const struct addrinfo *a = res; status == 0 && a != NULL; a = a->ai_next)
        s->naddrs++;
    if (s->naddrs == 0) {
        if (res != NULL)
            uv_freeaddrinfo(res);
        sess_link_lost(s, ERM_LOG_WARN, "resolve %s: %s", host,
                       status < 0 ? uv_strerror(status) : "no address");
        return;
    }
    /* every address in turn, one per attempt (the list may change between resolutions) */
    const struct addrinfo *a = res;
    for (unsigned i = 0; i < s->addr_i % s->naddrs; i++)
        a = a->ai_next;
    memset(&s->addr, 0, sizeof s->addr);
    memcpy(&s->addr, a->ai_addr, a->ai_addrlen < sizeof s->addr ? a->ai_addrlen : sizeof s->addr);
    uv_freeaddrinfo(res);
    sess_name_peer(s, host);
    sess_connect_addr(s, (const struct sockaddr *)&s->addr);
}

/* Names the peer for logs: "address:port", or "name (address):port" for a name. */
static void sess_name_peer(struct smpp_session *s, const char *host)
{
    char ip[64] = "";
    const struct sockaddr *sa = (const struct sockaddr *)&s->addr;
    if (sa->sa_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)sa, ip, sizeof ip);
    else
        uv_ip4_name((const struct sockaddr_in *)sa, ip, sizeof ip);
    int v6 = sa->sa_family == AF_INET6;
    if (strcmp(ip, host) == 0)
        snprintf(s->peer, sizeof s->peer, v6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)s->cfg.port);
    else
        snprintf(s->peer, sizeof s->peer, v6 ? "%.200s ([%s]):%u" : "%.200s (%s):%u", host, ip,
                 (unsigned)s->cfg.port);
}

/* One connection attempt: straight to connect for a literal address, else resolve. */
static void sess_connect_start(struct smpp_session *s)
{
    if (s->addr_known) {
        sess_connect_addr(s, (const struct sockaddr *)&s->addr);
        return;
    }
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)s->cfg.port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    s->gai.data = s;
    sess_set_state(s, SESS_ST_RESOLVING);
    const char *host = s->hosts[s->host_i];
    int rc = uv_getaddrinfo(s->loop, &s->gai, sess_on_resolved, host, port, &hints);
    if (rc < 0) {
        sess_link_lost(s, ERM_LOG_WARN, "resolve %s: %s", host, uv_strerror(rc));
        return;
    }
    s->gai_pending = 1;
}

/* t_state: what its expiry means depends on the state. */
static void sess_on_state_timer(uv_timer_t *t)
{
    struct smpp_session *s = t->data;
    switch (s->state) {
    case SESS_ST_BACKOFF:
        s->reconnects++;
        sess_connect_start(s);
        break;
    case SESS_ST_CONNECTING:
        sess_link_lost(s, ERM_LOG_WARN, "connect %s: timed out after %u s", s->peer,
                       s->cfg.response_timeout_s);
        break;
    case SESS_ST_BINDING:
        sess_link_lost(s, ERM_LOG_WARN, "bind to %s: no bind_transceiver_resp in %u s", s->peer,
                       s->cfg.response_timeout_s);
        break;
    case SESS_ST_BOUND: {
        if (s->rd_paused) {
            sess_link_lost(s, ERM_LOG_WARN,
                           "%s read nothing for %u ms with %zu bytes queued for it (reading "
                           "paused, smpp_wq_stall); link dropped",
                           s->peer, s->cfg.wq_stall_ms, sess_wq_size(s));
            break;
        }
        size_t have = sess_partial_len(s);
        uint32_t want = have >= 4 ? (uint32_t)s->framer.buf[s->framer.off] << 24 |
                                        (uint32_t)s->framer.buf[s->framer.off + 1] << 16 |
                                        (uint32_t)s->framer.buf[s->framer.off + 2] << 8 |
                                        s->framer.buf[s->framer.off + 3]
                                  : 0;
        sess_link_lost(s, ERM_LOG_WARN,
                       "incomplete PDU from %s: %zu of %" PRIu32 " bytes after %u s; "
                       "the stream cannot be trusted",
                       s->peer, have, want, s->cfg.response_timeout_s);
        break;
    }
    case SESS_ST_UNBINDING:
        ERM_WARN(SESS_MOD, "%s: no unbind_resp in %u s; closing", s->peer,
                 s->cfg.response_timeout_s);
        sess_shutdown(s);
        break;
    case SESS_ST_DRAINING:
        sess_link_lost(s, s->drain_level, "%s", s->drain_reason);
        break;
    default:
        break;
    }
}

/* ---- public API ---- */

static char *sess_strdup(const char *v)
{
    return strdup(v != NULL ? v : "");
}

/* s->host, "a, b, c", into s->hosts. Returns 0, -EINVAL for an empty name, -ENOMEM. */
static int sess_split_hosts(struct smpp_session *s)
{
    size_t n = 1;
    for (const char *p = s->host; *p != '\0'; p++)
        n += *p == ',';
    s->hosts = calloc(n, sizeof *s->hosts);
    if (s->hosts == NULL)
        return -ENOMEM;
    for (const char *p = s->host;; p++) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strcspn(p, ",");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 0)
            return -EINVAL;
        s->hosts[s->nhosts] = strndup(p, len);
        if (s->hosts[s->nhosts] == NULL)
            return -ENOMEM;
        s->nhosts++;
        p = strchr(p, ',');
        if (p == NULL)
            return 0;
    }
}

int smpp_session_start(uv_loop_t *loop, const struct smpp_session_cfg *cfg,
                       const struct smpp_session_events *ev, void *ud, struct smpp_session **out)
{
    int rc = -ENOMEM;
    if (loop == NULL || cfg == NULL || ev == NULL || out == NULL || cfg->host == NULL ||
        cfg->host[0] == '\0' || cfg->system_id == NULL || cfg->port == 0 || cfg->window == 0 ||
        cfg->response_timeout_s == 0 || cfg->bind_kind > SMPP_BIND_KIND_TX)
        return -EINVAL;
    *out = NULL;

    struct smpp_session *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    s->loop = loop;
    s->cfg = *cfg;
    s->ev = *ev;
    s->ud = ud;
    s->host = sess_strdup(cfg->host);
    s->system_id = sess_strdup(cfg->system_id);
    s->password = sess_strdup(cfg->password);
    s->system_type = sess_strdup(cfg->system_type);
    s->slots = calloc(cfg->window, sizeof *s->slots);
    s->late = calloc(cfg->window, sizeof *s->late);
    if (s->host == NULL || s->system_id == NULL || s->password == NULL || s->system_type == NULL ||
        s->slots == NULL || s->late == NULL)
        goto fail;
    s->cfg.host = s->host;
    s->cfg.system_id = s->system_id;
    s->cfg.password = s->password;
    s->cfg.system_type = s->system_type;
    if (s->cfg.max_pdu_len < SMPP_HEADER_LEN)
        s->cfg.max_pdu_len = SMPP_DEFAULT_MAX_PDU;
    tcp_link_wq_defaults(&s->cfg.wq_pause, &s->cfg.wq_resume, &s->cfg.wq_max, &s->cfg.wq_stall_ms);

    /* a credential too long for bind_transceiver would fail every attempt: refuse now */
    uint8_t probe[SESS_PDU_BUF];
    rc = smpp_pdu_pack_bind_trx(probe, sizeof probe, 1, s->system_id, s->password, s->system_type);
    if (rc < 0) {
        ERM_ERROR(SESS_MOD, "cannot bind as \"%s\": system_id, password or system_type too long",
                  s->system_id);
        goto fail;
    }

    if (sess_split_hosts(s) < 0) {
        ERM_ERROR(SESS_MOD, "host \"%s\": an empty name in the list", s->host);
        rc = -EINVAL;
        goto fail;
    }
    /* one literal address is used as it is; names, and lists, are resolved at each connect */
    s->addr_known =
        tcp_link_addr(s->hosts[0], cfg->port, &s->addr, s->peer, sizeof s->peer) && s->nhosts == 1;

    s->next_seq = 1;
    /* a zero or inverted backoff would reconnect in a hot loop: tcp_link raises it */
    tcp_link_backoff_init(&s->backoff, cfg->reconnect_min_ms, cfg->reconnect_max_ms,
                          uv_hrtime() ^ (uint64_t)(uintptr_t)s);
    smpp_framer_init(&s->framer, s->cfg.max_pdu_len);

    /* these cannot fail on a live loop; init them all so that stop closes all six */
    uv_timer_init(loop, &s->t_state);
    uv_timer_init(loop, &s->t_ka);
    uv_timer_init(loop, &s->t_submit);
    uv_timer_init(loop, &s->t_rate);
    uv_prepare_init(loop, &s->prep);
    uv_check_init(loop, &s->check);
    s->t_state.data = s->t_ka.data = s->t_submit.data = s->t_rate.data = s;
    s->prep.data = s->check.data = s;
    s->open_handles = SESS_FIXED_HANDLES;
    s->state = SESS_ST_BACKOFF;

    ERM_INFO(SESS_MOD, "connecting to %s as %s", s->peer, s->system_id);
    sess_connect_start(s);
    *out = s;
    return 0;

fail:
    free(s->slots);
    free(s->late);
    free(s->host);
    for (unsigned i = 0; i < s->nhosts; i++)
        free(s->hosts[i]);
    free(s->hosts);
    free(s->system_id);
    free(s->password);
    free(s->system_type);
    free(s);
    return rc;
}

int smpp_session_can_submit(struct smpp_session *s)
{
    if (s == NULL || s->state != SESS_ST_BOUND || s->nslots_used >= s->cfg.window ||
        s->cfg.bind_kind == SMPP_BIND_KIND_RX)
        return 0;
    uint64_t wait = sess_pace_wait_us(s, sess_now_us());
    if (wait > 0) {
        sess_pace_owe(s, wait);
        return 0;
    }
    return 1;
}

int smpp_session_submit(struct smpp_session *s, const struct gw_submit *msg, uint64_t cookie)
{
    if (s == NULL || msg == NULL)
        return -EINVAL;
    if (s->state != SESS_ST_BOUND)
        return -ENOTCONN;
    if (s->nslots_used >= s->cfg.window)
        return -EAGAIN;
    struct sess_slot *slot = NULL;
    for (unsigned i = 0; i < s->cfg.window && slot == NULL; i++)
        if (!s->slots[i].used)
            slot = &s->slots[i];
    if (slot == NULL)
        return -EAGAIN;
    uint64_t now_us = sess_now_us();
    uint64_t wait = sess_pace_wait_us(s, now_us);
    if (wait > 0) {
        sess_pace_owe(s, wait);
        return -EAGAIN;
    }

    uint8_t buf[SESS_PDU_BUF];
    uint32_t seq = sess_next_seq(s);
    int n = smpp_pdu_pack_submit_sm(buf, sizeof buf, seq, msg);
    if (n < 0)
        return n;
    int rc = sess_send(s, buf, (size_t)n);
    if (rc < 0)
        return rc;
    ERM_DEBUG(SESS_MOD, "tx submit_sm seq %" PRIu32 " cookie %" PRIu64 " to %.*s (%u bytes)", seq,
              cookie, (int)strnlen(msg->dest, sizeof msg->dest), msg->dest, (unsigned)msg->len);
    slot->used = 1;
    slot->seq = seq;
    slot->cookie = cookie;
    slot->deadline_ms = uv_now(s->loop) + sess_ms(s->cfg.response_timeout_s);
    slot->sent_us = now_us;
    sess_pace_take(s, now_us);
    s->nslots_used++;
    if (!uv_is_active((uv_handle_t *)&s->t_submit))
        sess_submit_timer_rearm(s);
    return 0;
}

int smpp_session_ack_mo(struct smpp_session *s, uint64_t link_id, uint32_t seq, uint32_t status)
{
    if (s == NULL)
        return -EINVAL;
    if (link_id != s->link_id || (s->state != SESS_ST_BOUND && s->state != SESS_ST_UNBINDING)) {
        ERM_DEBUG(SESS_MOD,
                  "ack of deliver_sm seq %" PRIu32 " (link %" PRIu64 ") dropped: link %" PRIu64
                  " is %s",
                  seq, link_id, s->link_id, sess_state_name(s->state));
        return -ENOTCONN;
    }
    return sess_send_resp(s, SMPP_DELIVER_SM_RESP, status, seq);
}

void smpp_session_drain(struct smpp_session *s)
{
    if (s == NULL || s->stopping || s->no_reconnect)
        return;
    s->no_reconnect = 1;
    switch (s->state) {
    case SESS_ST_BACKOFF:
        uv_timer_stop(&s->t_state);
        ERM_INFO(SESS_MOD, "stopping: no reconnect to %s", s->peer);
        sess_set_state(s, SESS_ST_IDLE);
        return;
    case SESS_ST_RESOLVING:
    case SESS_ST_CONNECTING:
    case SESS_ST_BINDING:
        /* not bound yet: nothing outstanding to finish, and binding now is what a stop
         * must not do */
        sess_link_lost(s, ERM_LOG_INFO, "stopping: connection to %s given up (%s)", s->peer,
                       sess_state_name(s->state));
        return;
    default:
        return; /* bound, or the link going already: a loss is not followed by a reconnect */
    }
}

void smpp_session_stop(struct smpp_session *s)
{
    if (s == NULL || s->stopping)
        return;
    s->stopping = 1;
    switch (s->state) {
    case SESS_ST_BOUND:
        ERM_INFO(SESS_MOD, "stopping: unbinding from %s", s->peer);
        s->unbind_seq = sess_next_seq(s);
        if (sess_send_simple(s, SMPP_UNBIND, s->unbind_seq) < 0)
            break;
        uv_timer_stop(&s->t_ka);
        sess_set_state(s, SESS_ST_UNBINDING);
        sess_arm_state(s, sess_ms(s->cfg.response_timeout_s));
        return;
    case SESS_ST_DRAINING:
        return; /* the drain ends in sess_link_lost, which sees stopping */
    case SESS_ST_CLOSING:
        if (s->tcp_inited)
            return; /* the TCP close callback goes on to sess_shutdown */
        break;
    default:
        break;
    }
    ERM_INFO(SESS_MOD, "stopping session to %s (%s)", s->peer, sess_state_name(s->state));
    sess_shutdown(s);
}

void smpp_session_stats(const struct smpp_session *s, struct smpp_session_stats *out)
{
    memset(out, 0, sizeof *out);
    if (s == NULL)
        return;
    out->bound = s->state == SESS_ST_BOUND;
    out->window_used = s->nslots_used;
    out->window = s->cfg.window;
    out->binds = s->binds;
    out->reconnects = s->reconnects;
}
