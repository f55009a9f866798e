/*
 * order_path.h: a whole message from any bearer to its command's COMMIT and its answer.
 * Decodes the text, parses the command (core/), runs its transaction on the customer's MO
 * connection (storage/), and answers the message through the bearer it came from only
 * after COMMIT; without knowing which bearer that is. It owns the count of MO jobs in flight
 * (its own transactions and those daemon/mo_intake.c holds with order_path_hold), refuses
 * new messages once told to drain, and reports idle once the last job is done.
 */
#ifndef ERM_ORDER_PATH_H
#define ERM_ORDER_PATH_H

#include <stddef.h>
#include <stdint.h>

#include "core/metrics.h"
#include "gateway/bearer.h"

struct stor_db;
struct stor_mo_key;
struct order_path;

struct order_path_cfg {
    /* The MO connections, borrowed: the array is the caller's and outlives the order path;
     * an entry may be NULL (closed); at most CONFIG_MO_CONNECTIONS_MAX. While a customer
     * has an MO in progress, the next goes to the same connection (while it is up), so one
     * customer's commands run in the order they came. A customer with none in progress goes
     * to the first connection up with fewer than SPILL MOs in progress, else to the one with
     * the fewest: batches fill one connection before the next takes any (issue 16). */
    struct stor_db *const *dbs;
    unsigned n_dbs;
    unsigned spill;
    const char *service_number; /* borrowed */
    /* A command committed: replies may wait in the outbox. */
    void (*on_committed)(void *ud);
    /* Draining, the last MO job is done (called once, at once if idle when told). */
    void (*on_idle)(void *ud);
    void *ud;
};

/* Channels counted apart (enum gw_channel: sms, phone). */
#define ORDER_PATH_CHANNELS 2

/* What the order path answered since it started, for the traffic summary and the metrics. */
struct order_path_counts {
    uint64_t committed;   /* a command's transaction committed */
    uint64_t redelivered; /* found handled already: accepted, nothing done twice */
    uint64_t retry_later; /* nothing stored: database down, stopping, failed */
    uint64_t refused;     /* refused for what it is */
    /* Committed MOs by the reply they caused (a command with no such reply, CX or QX, in
     * none); orders placed by channel (the reply REPLY_ORDER_OK). */
    uint64_t replies[REPLY_KIND_COUNT];
    uint64_t orders[ORDER_PATH_CHANNELS];
    /* From an MO's arrival to its acceptance (committed or found redelivered, and the
     * answer sent), in seconds. */
    struct metrics_hist ack_latency;
};

/* Creates it (CFG copied). Returns 0 or a negative errno. */
int order_path_create(const struct order_path_cfg *cfg, struct order_path **out);
void order_path_destroy(struct order_path *op);

const struct order_path_counts *order_path_counts(const struct order_path *op);

/* The MO connection CUSTOMER's next message would take now (see order_path_cfg), NULL when
 * none is up. */
struct stor_db *order_path_db(struct order_path *op, const char *customer);

/* Whether a new message from SOURCE on B (link LINK_ID, SEQ) is taken: 1, or 0 after
 * answering it retry-later (draining, or no database for it). */
int order_path_admit(struct order_path *op, struct bearer *b, const char *source, uint64_t link_id,
                     uint32_t seq);

/* Counts a job of someone else's (a receipt, a part being stored) as in flight until
 * order_path_release; a drain waits for it. */
void order_path_hold(struct order_path *op);
void order_path_release(struct order_path *op);

/* MO jobs in flight now. */
unsigned order_path_inflight(const struct order_path *op);

/* A whole message ready for its command: text bytes (UDH left out, parts joined), its
 * dedupe key (storage/mo_log.h), and what to answer (BEARER NULL: nothing to answer, a
 * message whose missing parts were given up on). Borrowed. */
struct order_msg {
    const char *source;
    const char *dest;
    uint8_t data_coding;
    const uint8_t *sm;
    size_t len;
    const struct stor_mo_key *key;
    struct bearer *bearer;
    uint64_t link_id;
    uint32_t seq;
    /* A call (GW_CHANNEL_PHONE) has no text: its command comes from DEST alone (an extended
     * destination: service number + SMS code), SM being the call's id for the key only; its
     * order is stored with channel 'phone', and its answer carries the outcome. */
    enum gw_channel channel;
    uint64_t arrived_ns; /* uv_hrtime() when the message (its last part) came; 0: unknown */
};

/* Decodes and parses M, runs its command's transaction (copying what it keeps), and
 * answers M after it: accepted once committed (with the reply it caused as the outcome) or
 * found redelivered (no outcome known), refused when malformed, else retry later. */
void order_path_run(struct order_path *op, const struct order_msg *m);

/* No new messages from now on (order_path_admit answers retry-later); on_idle once the
 * jobs in flight are done. */
void order_path_drain(struct order_path *op);

#endif
