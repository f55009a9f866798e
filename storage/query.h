/*
 * query.h: the employee's query (CX / 查询) and the customer's cancellation (QX10001 /
 * 取消10001) by SMS, each one transaction on the daemon's connection: the MO's dedupe step,
 * the SQL of schema/004_commission.sql (erm_query_reply, erm_cancel_by_customer: the reversal
 * ledger row and the holder's note come with it), the reply in the outbox, COMMIT.
 */
#ifndef ERM_QUERY_H
#define ERM_QUERY_H

#include "storage/db.h"

struct stor_mo_key;

/* RC is 0 when committed (OUTCOME is the SQL's outcome: "ok", "unknown", "no_order",
 * "already", "expired"; static storage), -EALREADY for a redelivered MO (nothing done:
 * acknowledge it), another negative errno when nothing was stored. */
typedef void (*stor_query_cb)(void *arg, int rc, const char *outcome);

/* CX from SENDER (as received; the employee is found by its national form), answered from
 * SERVICE. MO is its dedupe key (NULL for none). Copies everything. 0 (CB follows) or -errno. */
int stor_query_sms(struct stor_db *db, const struct stor_mo_key *mo, const char *sender,
                   const char *service, stor_query_cb cb, void *arg);

/* QX<CODE> from SENDER: cancels the sender's order made with CODE within the product's window.
 * As stor_query_sms otherwise. */
int stor_cancel_sms(struct stor_db *db, const struct stor_mo_key *mo, const char *sender,
                    const char *code, const char *service, stor_query_cb cb, void *arg);

#endif
