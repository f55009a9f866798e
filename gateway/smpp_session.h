/*
 * smpp_session.h: one ESME session to an SMSC on a libuv loop: connect, bind_transceiver,
 * enquire_link, MO intake, submit_sm with their responses, reconnect with capped backoff.
 * It knows nothing of products or databases: MOs go up through callbacks and come back as
 * acknowledgements, submits go down and come back as responses.
 */
#ifndef ERM_SMPP_SESSION_H
#define ERM_SMPP_SESSION_H

#include <stdint.h>
#include <uv.h>

#include "gateway/gw.h"

struct smpp_session_cfg {
    const char *host; /* IPv4/IPv6 literal or name (resolved with uv_getaddrinfo) */
    uint16_t port;
    const char *system_id;
    const char *password;
    const char *system_type;
    unsigned enquire_link_s;     /* idle interval between our enquire_links */
    unsigned response_timeout_s; /* a request unanswered this long: the link is dead */
    unsigned reconnect_min_ms;   /* first backoff step, doubled each failure, with jitter */
    unsigned reconnect_max_ms;
    uint32_t max_pdu_len;     /* command_length above this closes the session */
    unsigned window;          /* submit_sm outstanding at most */
    unsigned max_submit_rate; /* submit_sm per second at most (burst: a tenth of it); 0: none */
    /* An SMSC that does not read our answers: bytes queued for it above wq_pause stop our
     * reading until below wq_resume; above wq_max, or wq_stall_ms with reading paused and
     * nothing drained, the link is dropped. 0: the defaults (256 KiB, 64 KiB, 4 MiB, 30 s). */
    size_t wq_pause, wq_resume, wq_max;
    unsigned wq_stall_ms;
};

struct smpp_session_events {
    /* Bound (again); submits may flow. */
    void (*on_bound)(void *ud);
    /* The link is gone (closed, refused, timed out). Every submit still outstanding has had
     * its on_submit_resp with status -1 first. MOs not yet acknowledged are forgotten: the
     * SMSC will deliver them again. */
    void (*on_unbound)(void *ud);
    /* An MO (or receipt) arrived. The handler must call smpp_session_ack_mo() exactly once,
     * now or later, with mo->link_id and mo->seq. MO is valid during the call only. */
    void (*on_mo)(void *ud, const struct gw_mo *mo);
    /* The answer to smpp_session_submit(COOKIE): STATUS is the SMPP status, or -1 when the
     * link went away (or the response timed out) before an answer; MESSAGE_ID is the SMSC's
     * id when STATUS is 0, else "". */
    void (*on_submit_resp)(void *ud, uint64_t cookie, int64_t status, const char *message_id);
    /* Submits may flow again: an earlier smpp_session_can_submit() or smpp_session_submit()
     * was refused for the submit rate or a throttle pause, and that wait is over. (A full
     * window needs no such call: every on_submit_resp frees a slot.) */
    void (*on_ready)(void *ud);
    /* The session has stopped after smpp_session_stop(); it may be freed now. */
    void (*on_stopped)(void *ud);
};

struct smpp_session;

/* Creates a session on LOOP and starts connecting. CFG strings are copied. The session is
 * owned by the caller and released by smpp_session_stop(). Returns 0 or a negative errno. */
int smpp_session_start(uv_loop_t *loop, const struct smpp_session_cfg *cfg,
                       const struct smpp_session_events *ev, void *ud, struct smpp_session **out);

/* 1 when bound, the window has room for another submit and the pacing allows one now: at
 * most max_submit_rate per second, and after the SMSC answered a submit with a status that
 * means "later" (smpp_session_status_retries) no submit for a second, then half the rate,
 * doubling back every 5 s. When only the pacing says no, on_ready follows once it says yes. */
int smpp_session_can_submit(struct smpp_session *s);

/* Sends one submit_sm. Returns 0 (on_submit_resp follows), -ENOTCONN when not bound,
 * -EAGAIN when the window is full or the pacing says wait (then on_ready follows, as for
 * smpp_session_can_submit), or another negative errno. */
int smpp_session_submit(struct smpp_session *s, const struct gw_submit *msg, uint64_t cookie);

/* 1 when a submit answered STATUS (an SMPP status, or -1 for no answer: link lost or timed
 * out) should be tried again later: -1, ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RX_T_APPN. Any
 * other non-zero status is permanent. The session slows down on those SMPP statuses. */
int smpp_session_status_retries(int64_t status);

/* Answers the MO (LINK_ID, SEQ) with STATUS (0 = accepted). An ack for a link that is gone
 * is dropped (the SMSC redelivers). Returns 0 or -ENOTCONN. */
int smpp_session_ack_mo(struct smpp_session *s, uint64_t link_id, uint32_t seq, uint32_t status);

/* What the session tells of itself (for metrics): bound now, submits outstanding and the
 * window, binds and reconnect attempts since it started. S NULL: all zero. */
struct smpp_session_stats {
    int bound;
    unsigned window_used, window;
    uint64_t binds, reconnects;
};
void smpp_session_stats(const struct smpp_session *s, struct smpp_session_stats *out);

/* Stops taking new links: a link lost from now on is not connected or bound again (a
 * connection or bind in progress is given up); the bound link, if any, stays until
 * smpp_session_stop, so outstanding submits and MO acks finish. */
void smpp_session_drain(struct smpp_session *s);

/* Unbinds (waiting up to response_timeout_s for unbind_resp), closes, and calls on_stopped;
 * after that the caller frees nothing more: the session frees itself after on_stopped. */
void smpp_session_stop(struct smpp_session *s);

#endif
