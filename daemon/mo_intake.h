/*
 * mo_intake.h: what ermgw does with an incoming message before any command is parsed:
 * receipts applied to the outbox, parts of long messages kept until whole, dedupe keys made;
 * whole messages go on to the order path (daemon/order_path.h). See mo_intake.c.
 */
#ifndef ERM_MO_INTAKE_H
#define ERM_MO_INTAKE_H

#include <uv.h>

#include "core/receipt.h"
#include "gateway/bearer.h"

struct order_path;
struct stor_db;
struct mo_intake;

struct mo_intake_cfg {
    uv_loop_t *loop;
    struct order_path *orders; /* borrowed: admits messages, counts jobs, runs commands */
    /* Borrowed connection slots (the caller NULLs one once closed): the parts of long
     * messages and housekeeping on *PARTS_DB, receipts on *RECEIPTS_DB. */
    struct stor_db *const *parts_db;
    struct stor_db *const *receipts_db;
    enum receipt_ids receipt_ids; /* [smsc] message_ids */
    unsigned concat_timeout_s;    /* [service] */
    unsigned dedupe_window_s;     /* [service] */
};

/* Why a message was refused before any command (the metrics' reason label). */
enum mo_intake_refusal {
    MO_INTAKE_NOT_TEXT,   /* an address that is not text */
    MO_INTAKE_NOT_MOBILE, /* the source is not a mobile number (a call: the help prompt) */
    MO_INTAKE_RECEIPT_ID, /* a receipt whose message id is not text */
    MO_INTAKE_REFUSALS
};

/* The receipt states counted apart: 0 for a word of the SMSC's own, 1..8 the message_state
 * values (core/receipt.h's receipt_state_stat: ENROUTE .. REJECTD). */
#define MO_INTAKE_RECEIPT_STATES 9

/* What the intake took since it started, for the traffic summary and the metrics. */
struct mo_intake_counts {
    uint64_t receipts; /* receipts applied (committed) */
    uint64_t parts;    /* parts of long messages stored */
    uint64_t refused;  /* refused for good: not text, or not from a mobile number */
    uint64_t refused_by[MO_INTAKE_REFUSALS][2];        /* by reason and channel (enum gw_channel) */
    uint64_t receipt_states[MO_INTAKE_RECEIPT_STATES]; /* receipts applied by state */
};

/* The metrics' name of reason R ("not_text", "not_mobile", "receipt_id_not_text"; static). */
const char *mo_intake_refusal_name(enum mo_intake_refusal r);

/* The name of receipt state index I of receipt_states ("other", "ENROUTE", ...; static). */
const char *mo_intake_receipt_state_name(unsigned i);

/* Creates it (CFG copied) with its timers started. Returns 0 or a negative errno. */
int mo_intake_create(const struct mo_intake_cfg *cfg, struct mo_intake **out);

/* A message (or receipt) from B: taken, or answered retry-later when the order path does
 * not admit it. MO is valid during the call only. */
void mo_intake_message(struct mo_intake *in, struct bearer *b, const struct gw_mo *mo);

const struct mo_intake_counts *mo_intake_counts(const struct mo_intake *in);

/* The parts' connection is (back) up: parts that waited meanwhile are looked at. */
void mo_intake_on_db_up(struct mo_intake *in);

/* Draining: no more looking for parts due, no housekeeping. */
void mo_intake_drain(struct mo_intake *in);

/* Closes its timers; frees it after their close callbacks. */
void mo_intake_destroy(struct mo_intake *in);

#endif
