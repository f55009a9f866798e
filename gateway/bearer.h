/*
 * bearer.h: what the daemon sees of a bearer (an SMPP bind today, a SIP phone line or a CMPP
 * link next): one struct of operations per kind of bearer, as libuv's uv_stream_t hides TCP,
 * pipes and TTYs behind one set of calls and Kannel's SMSCConn holds one set of function
 * pointers per SMSC type. Messages come up as events, submits go down; answers to incoming
 * messages are abstract outcomes (accepted, retry later, refused) that each bearer maps to
 * its own status (SMPP: 0, [service] db_unavailable_status, ESME_RX_P_APPN; SIP: the
 * outcome's prompt, 503 with Retry-After, a 4xx). An accepted answer may carry what the
 * message led to (the reply kind of core/reply.h): a phone plays it, SMS bearers ignore it
 * (the reply goes as an SMS through the outbox). Nothing in here is specific to one bearer.
 *
 * Life: created (not connected) by its kind's constructor (e.g. smpp_bearer_create), then
 * start (connect, bind, reconnect when lost), drain (no new links: never connects or binds
 * again; what is outstanding finishes), stop (closes; on_stopped follows once), and
 * bearer_destroy after on_stopped (or when never started). Between on_stopped and destroy
 * every call is safe and refused (-ENOTCONN, can_submit 0).
 */
#ifndef ERM_BEARER_H
#define ERM_BEARER_H

#include <stdint.h>
#include <string.h>

#include "core/reply.h"
#include "gateway/gw.h"

struct bearer;

/* How an incoming message is answered. */
enum bearer_answer {
    BEARER_ACCEPTED,    /* stored (or known already): the peer may forget it */
    BEARER_RETRY_LATER, /* nothing stored: the peer delivers it again later */
    BEARER_REFUSED,     /* refused for what it is: delivering it again would fail again */
};

/* What an accepted message led to, for a bearer that tells it to its peer (the phone plays
 * the outcome's prompt). Borrowed for the call only. A NULL outcome means none is known (a
 * redelivery, a receipt, a part): a phone then plays its help prompt. */
struct bearer_outcome {
    enum reply_kind reply; /* the reply the message caused (REPLY_ORDER_OK, ...) */
    const char *code;      /* the order code it concerned ("10001"), or NULL */
};

/* A submit's result when no answer came (link lost, stopping). */
#define BEARER_NO_ANSWER (-1)
/* A submit's result when its answer did not come in time. The answer may still come late
 * (on the same link): it is then a second on_submit_result for the same cookie. */
#define BEARER_TIMED_OUT (-2)

/* Events up; UD is the one given to the constructor, B the bearer that speaks. */
struct bearer_events {
    /* Bound (again): submits may flow. */
    void (*on_bound)(void *ud, struct bearer *b);
    /* The link is gone. Every outstanding submit has had its on_submit_result with
     * BEARER_NO_ANSWER first; unanswered messages are forgotten (the peer delivers again). */
    void (*on_unbound)(void *ud, struct bearer *b);
    /* A message (or receipt) came in: answer it exactly once, now or later, with
     * bearer_answer(B, mo->link_id, mo->seq, ...). MO is valid during the call only. */
    void (*on_message)(void *ud, struct bearer *b, const struct gw_mo *mo);
    /* The result of bearer_submit(COOKIE): STATUS is 0 (accepted), BEARER_NO_ANSWER,
     * BEARER_TIMED_OUT (a late answer may follow), or the
     * bearer's own code (bearer_status_retries and bearer_status_name tell what it means);
     * MESSAGE_ID is the peer's id when STATUS is 0, else "". */
    void (*on_submit_result)(void *ud, struct bearer *b, uint64_t cookie, int64_t status,
                             const char *message_id);
    /* Submits may flow again after a refusal for pacing (a full window needs no such call:
     * every result frees a slot). */
    void (*on_ready)(void *ud, struct bearer *b);
    /* Stopped after bearer_stop; nothing more comes. */
    void (*on_stopped)(void *ud, struct bearer *b);
};

/* What a bearer tells of itself for metrics and health (GET /metrics, GET /healthz): its
 * links (an SMPP bind, a CMPP link, the SIP trunk's listener) and its counters since it
 * started. A bearer that does not fill it (stats NULL) reports no link. */
#define BEARER_LINKS_MAX 16

struct bearer_link_stats {
    int up;          /* bound (SMPP, CMPP), listening (SIP) */
    unsigned in_use; /* the window in use: submits awaiting their response; calls (SIP) */
    unsigned window; /* the window's size (SIP: calls at once at most) */
};

struct bearer_stats {
    uint64_t binds;      /* links brought up (bound, listening) since start */
    uint64_t reconnects; /* connection attempts after a link was lost or failed */
    unsigned nlinks;     /* entries of LINK used (at most BEARER_LINKS_MAX) */
    struct bearer_link_stats link[BEARER_LINKS_MAX];
};

/* One kind of bearer. PRIV of struct bearer is the kind's own state. */
struct bearer_ops {
    const char *kind; /* "smpp", "sip", for logs */
    /* Starts connecting. Returns 0 or a negative errno. */
    int (*start)(struct bearer *b);
    /* No new links from now on: a lost link stays lost; the open one, if any, stays for what
     * is outstanding until stop. */
    void (*drain)(struct bearer *b);
    /* Closes (unbinding politely when bound); on_stopped follows, at once when idle. */
    void (*stop)(struct bearer *b);
    /* 1 when a submit may go now (bound, window and pacing allow); when only the pacing
     * says no, on_ready follows once it says yes. A bearer that carries no SMS (the phone)
     * always says 0, and its submit -ENOTSUP. */
    int (*can_submit)(struct bearer *b);
    /* Sends one part. 0 (on_submit_result follows), -ENOTCONN, -EAGAIN (window or pacing:
     * on_ready follows), or another negative errno. */
    int (*submit)(struct bearer *b, const struct gw_submit *msg, uint64_t cookie);
    /* Answers the incoming message (LINK_ID, SEQ) with A; OUTCOME (NULL: none known) says
     * what an accepted one led to. -ENOTCONN when its link is gone (the peer delivers
     * again). */
    int (*answer)(struct bearer *b, uint64_t link_id, uint32_t seq, enum bearer_answer a,
                  const struct bearer_outcome *outcome);
    /* The bearer's name of answer A, for logs ("ESME_RX_T_APPN"; static). */
    const char *(*answer_name)(struct bearer *b, enum bearer_answer a);
    /* 1 when a submit result STATUS (BEARER_NO_ANSWER included) should be tried later. */
    int (*status_retries)(struct bearer *b, int64_t status);
    /* The name of a submit result STATUS, for logs (static). */
    const char *(*status_name)(struct bearer *b, int64_t status);
    /* Frees the bearer (after on_stopped, or never started). */
    void (*destroy)(struct bearer *b);
    /* The status recorded for a message that cannot be sent at all (its text encodes to
     * nothing this bearer carries). */
    int64_t unsendable_status;
    /* 1 when a text that is not UCS-2 goes as ASCII (CMPP's Msg_Fmt 0), 0 as GSM 7-bit
     * (SMPP's data_coding 0): how the sender encodes it (core/textcodec.h). */
    int ascii_text;
    /* Fills OUT (zeroed by the caller) with what it tells of itself; NULL: nothing. Cheap:
     * called on every scrape. */
    void (*stats)(struct bearer *b, struct bearer_stats *out);
};

struct bearer {
    const struct bearer_ops *ops;
    void *priv;
};

static inline int bearer_start(struct bearer *b)
{
    return b->ops->start(b);
}

static inline void bearer_drain(struct bearer *b)
{
    b->ops->drain(b);
}

static inline void bearer_stop(struct bearer *b)
{
    b->ops->stop(b);
}

static inline int bearer_can_submit(struct bearer *b)
{
    return b->ops->can_submit(b);
}

static inline int bearer_submit(struct bearer *b, const struct gw_submit *msg, uint64_t cookie)
{
    return b->ops->submit(b, msg, cookie);
}

static inline int bearer_answer(struct bearer *b, uint64_t link_id, uint32_t seq,
                                enum bearer_answer a, const struct bearer_outcome *outcome)
{
    return b->ops->answer(b, link_id, seq, a, outcome);
}

static inline const char *bearer_answer_name(struct bearer *b, enum bearer_answer a)
{
    return b->ops->answer_name(b, a);
}

static inline int bearer_status_retries(struct bearer *b, int64_t status)
{
    return b->ops->status_retries(b, status);
}

static inline const char *bearer_status_name(struct bearer *b, int64_t status)
{
    return b->ops->status_name(b, status);
}

/* B's stats (all zero when it gives none). */
static inline void bearer_stats(struct bearer *b, struct bearer_stats *out)
{
    memset(out, 0, sizeof *out);
    if (b->ops->stats != NULL)
        b->ops->stats(b, out);
}

/* 1 when one of B's links is up. */
static inline int bearer_is_up(struct bearer *b)
{
    struct bearer_stats st;
    bearer_stats(b, &st);
    for (unsigned i = 0; i < st.nlinks && i < BEARER_LINKS_MAX; i++)
        if (st.link[i].up)
            return 1;
    return 0;
}

static inline void bearer_destroy(struct bearer *b)
{
    if (b != NULL)
        b->ops->destroy(b);
}

#endif
