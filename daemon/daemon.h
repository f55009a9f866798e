/*
 * daemon.h: the ermgw process's shared state and the glue between the rooms: the bearer
 * (gateway/), the database (storage/) and the rules (core/). One instance, one loop.
 */
#ifndef ERM_DAEMON_H
#define ERM_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "gateway/gw.h"
#include "storage/receipts.h"

struct smpp_session;
struct stor_db;
struct erm_sender;
struct erm_intake;
struct stor_mo_key;

struct erm_daemon {
    uv_loop_t *loop;
    struct erm_config cfg;
    struct smpp_session *smpp;
    /* The MO connections ([database] connections): a customer's MOs and what they cause
     * always on the same one (erm_mo_db); DB is the first, which also keeps the parts of
     * concatenated MOs and the housekeeping. */
    struct stor_db *mo_db[CONFIG_MO_CONNECTIONS_MAX];
    unsigned n_mo_db;
    struct stor_db *db;
    struct stor_db *db_out; /* the outbox connection: takes, rows sent, receipts */
    unsigned dbs_closing;   /* connections still closing (ermgw.c) */
    int dbs_all_up;         /* every MO connection is up (ermgw.c) */
    struct erm_sender *sender;
    struct erm_intake *intake;
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t stop_timer; /* bounds the graceful stop */
    int stopping;          /* SIGTERM/SIGINT seen: new MOs get a temporary error */
    unsigned mo_inflight;  /* MO transactions not yet finished */
    int outbox_recovered;  /* sending rows of an earlier run put back, once per start */
    int exit_code;
};

/* mo_handler.c: the MO connection for CUSTOMER's MOs: always the same one while it is up
 * (so one customer's commands run in the order they came), another one that is up while
 * it is not; NULL when none is up. */
struct stor_db *erm_mo_db(struct erm_daemon *d, const char *customer);

/* mo_handler.c: takes one MO from the bearer; acknowledges it after its transaction
 * commits, or with the configured temporary status when nothing could be stored. */
void erm_mo_handle(struct erm_daemon *d, const struct gw_mo *mo);

/* A whole message ready for its command: text bytes (UDH left out, parts joined), its
 * dedupe key (storage/mo_log.h), and the deliver_sm to answer when ACK. Borrowed. */
struct erm_mo_msg {
    const char *source;
    const char *dest;
    uint8_t data_coding;
    const uint8_t *sm;
    size_t len;
    const struct stor_mo_key *key;
    int ack; /* 0: nothing to answer (a message whose missing parts were given up on) */
    uint64_t link_id;
    uint32_t seq;
};

/* mo_handler.c: decodes and parses M, runs its command's transaction (copying what it
 * keeps), and answers M's deliver_sm after it: 0 once committed or found redelivered, else
 * the temporary status. */
void erm_mo_run(struct erm_daemon *d, const struct erm_mo_msg *m);

/* intake.c: receipts, parts of concatenated MOs and dedupe keys (see intake.c). Called by
 * erm_mo_handle once the database is up and ermgw not stopping. */
int erm_intake_create(struct erm_daemon *d, struct erm_intake **out);
void erm_intake_receipt(struct erm_intake *in, const struct gw_mo *mo);
void erm_intake_mo(struct erm_intake *in, const struct gw_mo *mo);
/* The database is (back) up: parts that waited meanwhile are looked at. */
void erm_intake_on_db_up(struct erm_intake *in);
/* Closes its timers; frees it after their close callbacks. */
void erm_intake_destroy(struct erm_intake *in);
/* How the SMSC writes message ids, from [smsc] message_ids (core/config.c checked the word):
 * what receipts are compared by, and which forms of a sent part's id are kept. */
enum stor_receipt_ids erm_receipt_ways(const struct erm_config *cfg);

/* sender.c: drains the outbox through the bearer. */
int erm_sender_create(struct erm_daemon *d, struct erm_sender **out);
/* Takes queued rows now if the bind and the database allow (cheap when idle). */
void erm_sender_kick(struct erm_sender *s);
/* Submits may flow: bound, or the bearer's pacing allows again. */
void erm_sender_on_ready(struct erm_sender *s);
void erm_sender_on_unbound(struct erm_sender *s);
void erm_sender_on_submit_resp(struct erm_sender *s, uint64_t cookie, int64_t status,
                               const char *message_id);
/* Rows whose parts are submitted but not all answered, or being taken/marked. */
unsigned erm_sender_busy(const struct erm_sender *s);
/* Stopping: rows not yet submitted go back to the queue; the rest finish, then
 * erm_daemon_sender_idle is called (at once if idle already). */
void erm_sender_stop(struct erm_sender *s);
/* Stops its timer (closing the handle) and frees it after the close. */
void erm_sender_destroy(struct erm_sender *s);

/* ermgw.c: called when an MO transaction finishes, so a pending stop can go on. */
void erm_daemon_mo_done(struct erm_daemon *d);
/* ermgw.c: called by the sender when, stopping, its last row is settled. */
void erm_daemon_sender_idle(struct erm_daemon *d);

#endif
