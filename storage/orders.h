/*
 * orders.h: the order transaction. One MO order = one PostgreSQL transaction that resolves
 * the code to its claim, stores the order (unless the customer already ordered the product)
 * and queues the reply in the outbox, so that the deliver_sm_resp can be sent after COMMIT.
 */
#ifndef ERM_ORDERS_H
#define ERM_ORDERS_H

#include "core/reply.h"
#include "storage/db.h"

struct stor_mo_key;
struct metrics_hist;

/* RC is 0 when the transaction committed (OUTCOME tells which reply was queued; an order
 * row exists only for REPLY_ORDER_OK), -EALREADY when the MO was a redelivery (nothing
 * done: acknowledge it), or another negative errno when nothing was stored (-ENOTCONN:
 * database down; -ECONNRESET: lost mid-way). */
typedef void (*stor_order_cb)(void *arg, int rc, enum reply_kind outcome);

/* Places the order of CUSTOMER (11 digits or as received) for SMS code CODE, sent to
 * SERVICE (the reply's source address), by CHANNEL ("sms" or "phone": how it came, stored
 * with the order; anything else is -EINVAL). MO is the dedupe key of the MO that orders
 * (storage/mo_log.h; NULL for none). Strings and MO are copied. Returns 0 (CB follows,
 * exactly once) or -errno. */
int stor_order_place(struct stor_db *db, const struct stor_mo_key *mo, const char *customer,
                     const char *code, const char *service, const char *channel, stor_order_cb cb,
                     void *arg);

/* Group commit (storage/order_batch.c): with MAX > 1, orders that come while DB's
 * connection is busy are placed together in its next transaction, at most MAX of them, each
 * MO with its own dedupe step and outcome, one bad MO never failing the others; an idle
 * connection starts a lone order at once. 0 or 1: one transaction per order. */
void stor_order_batch_max(struct stor_db *db, unsigned max);

/* Adds the group commit's histograms of DB (every batch committed: its orders, and its
 * seconds from BEGIN to COMMIT) into SIZE and SECONDS, which the caller made with
 * metrics_hist_init(metrics_size_bounds) and (metrics_seconds_bounds). */
void stor_order_batch_stats(struct stor_db *db, struct metrics_hist *size,
                            struct metrics_hist *seconds);

#endif
