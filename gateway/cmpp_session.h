/*
 * cmpp_session.h: one SP link to a China Mobile ISMG over CMPP 2.0 or 3.0 on a libuv loop:
 * connect, CMPP_CONNECT (login with the MD5 authenticator, the ISMG's checked),
 * CMPP_ACTIVE_TEST both ways, DELIVER in (MOs and status reports, answered by the app),
 * SUBMIT out within a window and a rate, CMPP_TERMINATE both ways, reconnect with capped
 * jittered backoff. Like smpp_session.h it knows nothing of products or databases.
 */
#ifndef ERM_CMPP_SESSION_H
#define ERM_CMPP_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gateway/cmpp_codec.h"

struct cmpp_session_cfg {
    const char *host; /* an IPv4/IPv6 literal or a name (resolved at each connect) */
    uint16_t port;
    const char *sp_id;           /* Source_Addr: 6 characters */
    const char *secret;          /* shared secret of the login */
    uint8_t version;             /* CMPP_V20 or CMPP_V30 */
    unsigned active_test_s;      /* idle interval between our ACTIVE_TESTs */
    unsigned response_timeout_s; /* a request unanswered this long: the link is dead */
    unsigned reconnect_min_ms, reconnect_max_ms;
    unsigned window;          /* SUBMITs outstanding at most */
    unsigned max_submit_rate; /* SUBMITs per second at most; 0: none */
    /* An ISMG that does not read: above wq_pause bytes queued we stop reading until below
     * wq_resume; above wq_max, or wq_stall_ms paused without a write draining, the link is
     * dropped. 0: the defaults (256 KiB, 64 KiB, 4 MiB, 30 s), as for SMPP. */
    size_t wq_pause, wq_resume, wq_max;
    unsigned wq_stall_ms;
};

struct cmpp_session_events {
    void (*on_bound)(void *ud);   /* logged in: submits may flow */
    void (*on_unbound)(void *ud); /* the link is gone; outstanding submits reported first */
    /* A DELIVER (MO or status report) came on LINK_ID with Sequence_Id SEQ: answer it with
     * cmpp_session_ack_deliver exactly once, now or later. D is valid during the call. */
    void (*on_deliver)(void *ud, uint64_t link_id, uint32_t seq, const struct cmpp_deliver *d);
    /* The answer to cmpp_session_submit(COOKIE): STATUS the Result, or -1 when none came;
     * MSG_ID the ISMG's when STATUS is 0. */
    void (*on_submit_resp)(void *ud, uint64_t cookie, int64_t status, uint64_t msg_id);
    void (*on_ready)(void *ud);   /* the pacing allows submits again */
    void (*on_stopped)(void *ud); /* after cmpp_session_stop: the session frees itself */
};

struct cmpp_session;

/* Creates a session on LOOP and starts connecting. CFG's strings are copied. Returns 0, or
 * -EINVAL for a bad CFG (sp_id not 6 characters, a bad version...). */
int cmpp_session_start(uv_loop_t *loop, const struct cmpp_session_cfg *cfg,
                       const struct cmpp_session_events *ev, void *ud, struct cmpp_session **out);

/* 1 when logged in, the window has room and the pacing allows a submit now; when only the
 * pacing says no, on_ready follows. */
int cmpp_session_can_submit(struct cmpp_session *s);

/* Sends one CMPP_SUBMIT (M's Msg_Id is ignored: 0 on the wire). 0 (on_submit_resp follows),
 * -ENOTCONN, -EAGAIN (window or pacing), or another negative errno. */
int cmpp_session_submit(struct cmpp_session *s, const struct cmpp_submit *m, uint64_t cookie);

/* 1 when a submit Result STATUS (or -1) should be tried later: -1 and 8 (flow control). */
int cmpp_session_status_retries(int64_t status);

/* Answers the DELIVER (LINK_ID, SEQ) with RESULT (0 = received, 8 = deliver again later).
 * -ENOTCONN when its link is gone (the ISMG delivers again). */
int cmpp_session_ack_deliver(struct cmpp_session *s, uint64_t link_id, uint32_t seq,
                             uint32_t result);

/* The link's state and counters since start, for metrics; all zero when S is NULL. */
struct cmpp_session_stats {
    int bound;
    unsigned window_used;
    uint64_t binds, reconnects;
};
void cmpp_session_stats(const struct cmpp_session *s, struct cmpp_session_stats *out);

/* No new links: a link lost from now on stays lost; a login in progress is given up. */
void cmpp_session_drain(struct cmpp_session *s);

/* CMPP_TERMINATE (waiting up to response_timeout_s for its response), close, on_stopped. */
void cmpp_session_stop(struct cmpp_session *s);

#endif
