/*
 * claims.h: the self-claim by SMS (认领). An employee texts "RL10" from their registered
 * number; one PostgreSQL transaction authenticates them by that number, checks that they
 * may claim (active product, campaign not over, not barred by the ranking, quota left),
 * allocates their code (or finds the one they hold), queues the reply with the code AND the
 * promo push to forward, so that the deliver_sm_resp can be sent after COMMIT.
 */
#ifndef ERM_CLAIMS_H
#define ERM_CLAIMS_H

#include "core/reply.h"
#include "storage/db.h"

struct stor_mo_key;

/* RC is 0 when the transaction committed (OUTCOME tells which reply was queued: a code was
 * allocated only for REPLY_CLAIM_OK), -EALREADY when the MO was a redelivery (nothing done:
 * acknowledge it), or another negative errno when nothing was stored (-ENOTCONN: database
 * down; -ECONNRESET: lost mid-way). */
typedef void (*stor_claim_cb)(void *arg, int rc, enum reply_kind outcome);

/* Claims product PRODUCT for the employee whose registered number is SENDER (as received;
 * normalised to the national form to find them). The reply goes to SENDER from SERVICE;
 * the promo push goes to the holder's registered number from the product's service
 * number, unless it opted out. A repeat claim answers the same code and pushes the promo
 * text again. MO is the dedupe key of the MO that claims (storage/mo_log.h; NULL for
 * none). Strings and MO are copied. Returns 0 (CB follows, exactly once) or -errno. */
int stor_claim_sms(struct stor_db *db, const struct stor_mo_key *mo, const char *sender,
                   const char *product, const char *service, stor_claim_cb cb, void *arg);

#endif
