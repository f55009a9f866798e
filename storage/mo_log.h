/*
 * mo_log.h: the log of MOs taken in (mo_log), and what uses it alone. Three things:
 *
 * Redelivered MOs. SMPP 3.4 gives an MO no id, and an SMSC that did not see our
 * deliver_sm_resp (the link dropped after our COMMIT, or the response came after its timer)
 * delivers the MO again. Every MO transaction (order, help reply, claim, opt-out, ...)
 * therefore carries a struct stor_mo_key and takes one dedupe step right after its BEGIN
 * (stor_mo_dedupe_send / stor_mo_dedupe_check in db_internal.h): the MO is logged in mo_log
 * in the same transaction as what it causes, and an MO found there is answered with
 * -EALREADY: nothing done, acknowledge it. "Found" means the same key (core/mokey.h: source,
 * destination, coding and bytes) within the window, arriving on another link than the
 * earlier one or with the same sequence number on the same link. The trade-off: a customer
 * who sends the very same text twice, and whose second copy comes over another bind (a
 * reconnect, a second gateway) within the window, is answered once; the same text twice on
 * one link is two messages.
 *
 * The help reply: an MO answered by one reply only, logged with its reply in one
 * transaction.
 *
 * Housekeeping: forgetting keys older than the window and receipts that never found their
 * part.
 *
 * The parts of concatenated MOs are storage/mo_parts.h's.
 */
#ifndef ERM_MO_LOG_H
#define ERM_MO_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/mokey.h"
#include "core/msisdn.h"
#include "core/reply.h"
#include "storage/db.h"

#define STOR_LINK_MAX 48

/* A concatenated message: source, destination, reference (core/concat.h) and total. */
struct stor_mo_group_id {
    char source[MSISDN_ADDR_MAX];
    char dest[MSISDN_ADDR_MAX];
    uint32_t ref;
    uint8_t total;
};

/* What an MO transaction's dedupe step needs. Plain data: copy it freely. */
struct stor_mo_key {
    char key[MOKEY_HEX_LEN + 1]; /* of the MO as it came (mokey_make) */
    char link[STOR_LINK_MAX];    /* the bind it came on: "<gateway instance>:<link id>" */
    uint32_t seq;                /* its deliver_sm's sequence number */
    unsigned window_s;           /* how long a key is remembered */
    /* A reassembled message (NPARTS > 0): the step takes its NPARTS stored parts instead;
     * fewer there (another transaction took them) is -EALREADY, a different number -EAGAIN. */
    struct stor_mo_group_id group;
    unsigned nparts;
};

/* An MO answered by one reply only (the help text): BEGIN, dedupe step, the outbox insert
 * of TEXT from SOURCE to DEST of KIND, COMMIT. CB gets 0, -EALREADY for a redelivery (no
 * reply queued), or another negative errno (nothing stored). Strings and KEY are copied.
 * Returns 0 (CB follows, once) or -errno. */
typedef void (*stor_mo_done_cb)(void *arg, int rc);
int stor_mo_reply(struct stor_db *db, const struct stor_mo_key *key, const char *dest,
                  const char *source, enum reply_kind kind, const char *text, stor_mo_done_cb cb,
                  void *arg);

/* Forgets mo_log keys older than WINDOW_S and receipts that waited two days in vain; logs
 * what it removed. CB may be NULL. Returns 0 (CB follows, once) or -errno. */
int stor_mo_housekeeping(struct stor_db *db, unsigned window_s, stor_mo_done_cb cb, void *arg);

#endif
