/*
 * sip_trunk.h: the phone bearer: a SIP user agent server (RFC 3261) on a libuv loop, on the
 * carrier's trunk. It listens on UDP and TCP, takes calls only from the configured peers
 * (others get 403), answers OPTIONS, and hands each new INVITE up as on_call(caller,
 * called); the upper layer then answers it with a prompt (200 OK with an SDP answer, the
 * prompt over RTP, then BYE) or rejects it with a status. Parsing and the transaction state
 * machines are libosip2's; sockets, timers and the 2xx retransmission are ours. It knows
 * nothing of products or databases.
 *
 * Calls are named by a 64-bit id, never a pointer: an answer that comes back from the
 * database after the caller hung up finds the id gone (-ENOENT) instead of freed memory.
 */
#ifndef ERM_SIP_TRUNK_H
#define ERM_SIP_TRUNK_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gateway/rtp_stream.h"

struct sip_trunk_cfg {
    const char *listen;       /* "192.0.2.1:5060" or "[::]:5060": UDP and TCP */
    const char *peers;        /* comma-separated addresses or CIDRs allowed to call */
    const char *rtp_ports;    /* even-started range "20000-20999" */
    const char *strip_prefix; /* "+86,86" or "" (NULL: none) */
    unsigned max_calls;       /* calls at once; more get 503 + Retry-After, not on_call */
    unsigned decide_ms;       /* on_call not answered nor rejected this long: 503 (0: 8000) */
    unsigned retry_after_s;   /* Retry-After of the trunk's own 503s (0: 30) */
    unsigned t1_ms;           /* RFC 3261 T1 for our 2xx retransmission (0: 500); T2 = 8*T1 */
    unsigned hangup_pad_ms;   /* after the prompt's last frame, wait this before BYE (0: 600) */
    unsigned max_message;     /* bytes a SIP message may have (0: 16384); larger: 513/drop */
};

/* How a call that was handed up with on_call ended. */
enum sip_call_end {
    SIP_END_PLAYED = 0, /* the prompt played and we hung up with BYE */
    SIP_END_CALLER_BYE, /* the caller hung up (BYE) before the prompt's end: RTP stopped */
    SIP_END_NO_ACK,     /* our 200 OK was never acknowledged: BYE after 64*T1 */
    SIP_END_REJECTED,   /* sip_trunk_reject() answered it */
    SIP_END_CANCELLED,  /* CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE */
    SIP_END_TIMEOUT,    /* neither answered nor rejected within decide_ms: 503 */
    SIP_END_STOPPED,    /* sip_trunk_stop() ended it */
    SIP_END_MEDIA,      /* sip_trunk_answer() found no free RTP port: 503 */
};

struct sip_trunk_events {
    /* A new call from an allowed peer. CALLER is the P-Asserted-Identity user when the
     * INVITE has one, else the From user (as sent: the upper layer normalises it); CALLED
     * is the Request-URI user with the longest strip_prefix cut off; CALL_ID the INVITE's
     * Call-ID (unique per call, the same in a retransmission). The strings are valid during
     * the call only. The upper layer must call sip_trunk_answer() or sip_trunk_reject() with
     * CALL (now or later), unless on_call_end(CALL) comes first. */
    void (*on_call)(void *ud, uint64_t call, const char *caller, const char *called,
                    const char *call_id);
    /* CALL is over, for the reason WHY; its id is not used again. Exactly once for every
     * call that had an on_call, including those the upper layer answered or rejected. */
    void (*on_call_end)(void *ud, uint64_t call, enum sip_call_end why);
    /* After sip_trunk_stop(): every call has ended, sockets are closed; the trunk has
     * freed itself. */
    void (*on_stopped)(void *ud);
};

struct sip_trunk;

/* Starts listening on LOOP. CFG's strings are parsed here (and copied as needed); EV is
 * copied. The trunk is released by sip_trunk_stop(). Returns 0, or a negative errno with
 * the reason in ERR ("sip: listen 127.0.0.1:5060: address already in use"). */
int sip_trunk_start(uv_loop_t *loop, const struct sip_trunk_cfg *cfg,
                    const struct sip_trunk_events *ev, void *ud, struct sip_trunk **out, char *err,
                    size_t errlen);

/* Answers CALL with 200 OK and, once the caller's ACK comes, plays AUDIO in the law the
 * SDP answer chose, then hangs up with BYE (on_call_end SIP_END_PLAYED). AUDIO must stay
 * valid until on_call_end(CALL). Returns 0, -ENOENT (no such call: it ended meanwhile),
 * -EALREADY (already answered or rejected), -EINVAL (AUDIO not whole frames), or
 * -EADDRINUSE (no free RTP port: the call got 503 and on_call_end SIP_END_MEDIA came). */
int sip_trunk_answer(struct sip_trunk *t, uint64_t call, const struct rtp_audio *audio);

/* Refuses CALL with CODE (400..699; 503 for "try later"), with a Retry-After header of
 * RETRY_AFTER_S seconds when that is non-zero. on_call_end SIP_END_REJECTED follows at
 * once. Returns 0, -ENOENT, -EALREADY or -EINVAL (CODE out of range). */
int sip_trunk_reject(struct sip_trunk *t, uint64_t call, int code, unsigned retry_after_s);

/* From now on new INVITEs get 503 with Retry-After; calls in progress go on to their end.
 * OPTIONS are still answered (the carrier can see the trunk is alive but busy). */
void sip_trunk_drain(struct sip_trunk *t);

/* Calls in progress (handed up and not yet ended), for draining and the status line. */
unsigned sip_trunk_calls(const struct sip_trunk *t);

/* Ends every call (undecided ones get 503, answered ones a BYE, each with its
 * on_call_end SIP_END_STOPPED), closes the sockets and, once libuv has closed every
 * handle, frees the trunk and calls on_stopped. T must not be used after this call. */
void sip_trunk_stop(struct sip_trunk *t);

/* A short name for WHY ("played", "caller_bye", ...) for logs and events. */
const char *sip_call_end_name(enum sip_call_end why);

#endif
