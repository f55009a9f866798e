/*
 * outbox.h: every outgoing SMS is an outbox row first. States: queued -> sending (taken by a
 * sender) -> sent (the SMSC accepted every part; message ids stored) or failed (permanent
 * error status); a lost link puts sending rows back to queued. The daemon's sender drives
 * these calls; the order transaction and ermctl insert rows.
 */
#ifndef ERM_OUTBOX_H
#define ERM_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "core/reply.h"
#include "storage/db.h"
#include "storage/receipts.h"

/* Generic completion: RC 0 on commit, negative errno when nothing was changed. */
typedef void (*stor_done_cb)(void *arg, int rc);

/* Queues a reply TEXT (UTF-8) from SOURCE to DEST of KIND in its own transaction. */
int stor_outbox_queue(struct stor_db *db, const char *dest, const char *source,
                      enum reply_kind kind, const char *text, stor_done_cb cb, void *arg);

/* The take's two queues: replies (confirmations, notes, login codes: anything a person is
 * waiting for) go before pushes (a hand-out's promo rows, queued by the hundred thousand). */
enum stor_outbox_queue { STOR_OUTBOX_REPLIES, STOR_OUTBOX_PUSHES, STOR_OUTBOX_QUEUES };

struct stor_outbox_row {
    int64_t id;
    char dest[21];
    char source[21];
    const char *text; /* UTF-8, owned by storage, valid during the callback only */
    enum stor_outbox_queue queue;
};

typedef void (*stor_outbox_rows_cb)(void *arg, int rc, const struct stor_outbox_row *rows,
                                    size_t n);

/* Takes up to MAX queued rows and marks them sending in one transaction: the replies with
 * ids above AFTER[STOR_OUTBOX_REPLIES] first, then, in what room is left, the pushes with
 * ids above AFTER[STOR_OUTBOX_PUSHES] (each queue oldest first, FOR UPDATE SKIP LOCKED); CB
 * gets them, replies first, each queue in id order.
 *
 * AFTER is how a sender skips what it has taken, per queue: the queue's index keeps an entry for
 * every row taken until VACUUM removes it, and a take from the start walks all of them (measured:
 * 3 ms and 800 pages for 32 rows behind 200,000 taken ones). 0 takes from the start: rows
 * queued again (retries) or committed after rows with higher ids are below the last id
 * taken, so a sender goes back to 0 from time to time. The rows taken carry OWNER, the
 * gateway's id ([gateway] id): only it records their outcome, and another gateway puts them
 * back to the queue only once OWNER's lease (stor_outbox_lease) has run out. */
int stor_outbox_take(struct stor_db *db, size_t max, const int64_t after[STOR_OUTBOX_QUEUES],
                     const char *owner, stor_outbox_rows_cb cb, void *arg);

/* The SMSC accepted every part: MESSAGE_IDS (space-separated, one per part) stored, state
 * sent, and each part's id kept for its delivery receipt (receipts.h) in the forms that
 * receipts written the way WAYS can be looked up by, in one transaction. */
int stor_outbox_sent(struct stor_db *db, int64_t id, const char *message_ids, enum receipt_ids ways,
                     stor_done_cb cb, void *arg);

/* Back to queued for a later try (link lost, timeout, throttled); ERROR is kept for the
 * operator. Only while the row is OWNER's (-ENOENT when it was taken over meanwhile). */
int stor_outbox_retry(struct stor_db *db, int64_t id, const char *owner, const char *error,
                      stor_done_cb cb, void *arg);

/* A permanent error: state failed with the SMPP STATUS (a sending row only while OWNER's). */
int stor_outbox_failed(struct stor_db *db, int64_t id, const char *owner, uint32_t status,
                       stor_done_cb cb, void *arg);

/* Puts the rows OWNER's earlier run left in sending (a crash) back to queued, with the rows
 * of no owner and those of a gateway whose lease has run out. Called once at start, before
 * the first take; rows of a link lost while running go back one by one with retry. */
int stor_outbox_recover(struct stor_db *db, const char *owner, stor_done_cb cb, void *arg);

/* Renews OWNER's lease: its sending rows are its own for LEASE_S seconds from now (the
 * database's clock). Another gateway's stor_outbox_takeover leaves them alone till then. */
int stor_outbox_lease(struct stor_db *db, const char *owner, unsigned lease_s, stor_done_cb cb,
                      void *arg);

/* Puts back to queued the sending rows of gateways other than OWNER whose lease has run out
 * (died, or frozen): one statement, logged when it changes rows. */
int stor_outbox_takeover(struct stor_db *db, const char *owner, stor_done_cb cb, void *arg);

/* Puts back to queued OWNER's rows (and rows of no owner) that have been sending for more
 * than AGE_S seconds and are none of the N ids of HELD (the rows this process's sender has in
 * memory): rows of a take that committed but whose result was lost with the connection,
 * which no sender will ever record. Other gateways' rows are never touched here (their
 * lease says when: stor_outbox_takeover). One statement, logged when it changes rows. */
int stor_outbox_sweep(struct stor_db *db, const char *owner, unsigned age_s, const int64_t *held,
                      size_t n, stor_done_cb cb, void *arg);

#endif
