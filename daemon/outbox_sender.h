/*
 * outbox_sender.h: drains the outbox through a bearer (see outbox_sender.c): takes queued
 * rows, submits their parts, records each row's outcome.
 */
#ifndef ERM_OUTBOX_SENDER_H
#define ERM_OUTBOX_SENDER_H

#include <stdint.h>
#include <uv.h>

#include "core/receipt.h"
#include "gateway/bearer.h"

struct stor_db;
struct outbox_sender;

struct outbox_sender_cfg {
    uv_loop_t *loop;
    /* The outbox connection's slot, borrowed (the caller NULLs it once closed). */
    struct stor_db *const *db;
    struct bearer *bearer;        /* borrowed; outlives the sender */
    enum receipt_ids receipt_ids; /* [smsc] message_ids: which forms of a sent id are kept */
    const char *gateway_id;       /* [gateway] id, borrowed: the owner of the rows taken */
    unsigned lease_s;             /* [gateway] lease_s: how long a renewal holds them */
    /* Draining, the last row is settled (called once, at once if idle when told). */
    void (*on_idle)(void *ud);
    void *ud;
};

/* Submit results counted apart by status, at most (the rest in OTHER). */
#define OUTBOX_SENDER_STATUSES 32

/* What the sender recorded since it started, for the traffic summary and the metrics. */
struct outbox_sender_counts {
    uint64_t sent;         /* rows whose every part the SMSC accepted */
    uint64_t requeued;     /* rows queued again (no answer, throttled) */
    uint64_t failed;       /* rows refused for good */
    uint64_t submitted;    /* parts handed to the bearer */
    uint64_t lease_lapses; /* times the gateway's lease lapsed while it held rows */
    /* Parts' results by the bearer's status (BEARER_NO_ANSWER included), in the order first
     * seen; statuses past the table in OTHER. */
    struct {
        int64_t status;
        uint64_t n;
    } results[OUTBOX_SENDER_STATUSES];
    unsigned nresults;
    uint64_t other_results;
};

/* Creates it (CFG copied) with its poll and lease timers started. Returns 0 or a negative errno. */
int outbox_sender_create(const struct outbox_sender_cfg *cfg, struct outbox_sender **out);

const struct outbox_sender_counts *outbox_sender_counts(const struct outbox_sender *s);

/* 1 while the gateway's lease holds (its sending rows are its own), else 0. */
int outbox_sender_lease_held(const struct outbox_sender *s);

/* Takes queued rows now if the bearer and the database allow (cheap when idle). */
void outbox_sender_kick(struct outbox_sender *s);

/* The bearer's events: submits may flow (bound, or pacing allows again); the link is gone;
 * a submit's result (bearer.h). */
void outbox_sender_on_ready(struct outbox_sender *s);
void outbox_sender_on_unbound(struct outbox_sender *s);
void outbox_sender_on_result(struct outbox_sender *s, uint64_t cookie, int64_t status,
                             const char *message_id);

/* Rows whose parts are submitted but not all answered, or being taken/marked/swept. */
unsigned outbox_sender_busy(const struct outbox_sender *s);

/* Draining: rows not yet submitted go back to the queue, no more takes or sweeps; the rest
 * finish, then on_idle. */
void outbox_sender_drain(struct outbox_sender *s);

/* Closing: the poll and lease timers stop (the connection is about to close); results still
 * recorded. */
void outbox_sender_stop_polling(struct outbox_sender *s);

/* Stops its timers (closing the handles) and frees it after the closes. */
void outbox_sender_destroy(struct outbox_sender *s);

#endif
