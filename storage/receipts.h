/*
 * receipts.h: delivery receipts. Each part of a sent outbox row keeps its SMSC message id
 * (recorded with the row's move to sent, see stor_outbox_sent); a receipt finds its part by
 * that id, in whichever base the SMSC wrote it (core/receipt.h), and the row's delivery is
 * set once every part has a final state: DELIVRD when all were delivered, else the first
 * part's failure (UNDELIV, EXPIRED, REJECTD, ...). A receipt that comes before its
 * submit_sm_resp was recorded waits in the database and is applied when it is. The id is
 * the receipted_message_id TLV when present, else the text's "id:" (as Kannel does, both
 * are taken to be written the receipts' way).
 */
#ifndef ERM_RECEIPTS_H
#define ERM_RECEIPTS_H

#include <stdint.h>

#include "core/receipt.h"
#include "storage/db.h"

/* A receipt as read from a deliver_sm; strings are the caller's. */
struct stor_receipt {
    enum receipt_ids ids;   /* how the SMSC writes message ids ([smsc] message_ids) */
    const char *message_id; /* as the receipt gives it */
    const char *stat;       /* normalised (receipt_stat_norm) */
    int final;              /* receipt_stat_final(stat) */
    const char *err;        /* "" when absent */
    const char *done_date;  /* "" when absent */
};

enum stor_receipt_outcome {
    STOR_RECEIPT_PENDING, /* no part has the id yet: kept until one does */
    STOR_RECEIPT_DUP,     /* the part had its final state already: nothing changed */
    STOR_RECEIPT_APPLIED, /* the part took it; other parts of the row wait */
    STOR_RECEIPT_SETTLED, /* the part took it and the row's delivery is now DELIVERY */
};

/* RC 0 (committed) with OUTCOME, the row concerned (0 for PENDING) and, for SETTLED, its
 * DELIVERY (storage's string, valid during the call; else NULL); or a negative errno when
 * nothing was stored. */
typedef void (*stor_receipt_cb)(void *arg, int rc, enum stor_receipt_outcome outcome,
                                int64_t outbox_id, const char *delivery);

/* Applies R in one transaction. -EINVAL (nothing queued) for a message id that is empty or
 * longer than 64 characters, or an empty stat. Returns 0 (CB follows, once) or -errno. */
int stor_receipt_apply(struct stor_db *db, const struct stor_receipt *r, stor_receipt_cb cb,
                       void *arg);

/* "pending", "dup", "applied", "settled" (static), for logs. */
const char *stor_receipt_outcome_name(enum stor_receipt_outcome outcome);

#endif
