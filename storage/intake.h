/*
 * intake.h: storage's side of taking MOs in. Three things:
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
 * Concatenated MOs. Each part is stored (stor_mo_part_add) and acknowledged once stored, so
 * the SMSC's window never waits on a missing part; when the last part is in, the caller
 * joins the parts (core/concat.h) and runs the message's transaction with a key that names
 * the group, whose dedupe step deletes the parts and logs their keys (a part delivered
 * again later is then known, over any link: its bytes carry the message's reference, so the
 * same bytes are the same part). Parts still missing after the timeout are given up on:
 * stor_mo_parts_due hands the waiting parts to the caller, which handles what arrived.
 *
 * Housekeeping: forgetting keys older than the window and receipts that never found their
 * part.
 */
#ifndef ERM_INTAKE_H
#define ERM_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "core/concat.h"
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

/* A message's parts as stored, for joining. Storage's memory, valid during the callback. */
struct stor_mo_group {
    struct stor_mo_group_id id;
    uint8_t data_coding; /* of its first part */
    size_t nparts;
    const struct concat_part *parts; /* in seqnum order */
};

/* An MO answered by one reply only (the help text): BEGIN, dedupe step, the outbox insert
 * of TEXT from SOURCE to DEST of KIND, COMMIT. CB gets 0, -EALREADY for a redelivery (no
 * reply queued), or another negative errno (nothing stored). Strings and KEY are copied.
 * Returns 0 (CB follows, once) or -errno. */
typedef void (*stor_mo_done_cb)(void *arg, int rc);
int stor_mo_reply(struct stor_db *db, const struct stor_mo_key *key, const char *dest,
                  const char *source, enum reply_kind kind, const char *text, stor_mo_done_cb cb,
                  void *arg);

/* One part to store. BODY is the part's text (UDH left out), KEY its own dedupe key. */
struct stor_mo_part {
    struct stor_mo_group_id id;
    uint8_t seqnum;
    uint8_t data_coding;
    const uint8_t *body;
    size_t len;
    struct stor_mo_key key;
};

enum stor_part_outcome {
    STOR_PART_DUP,      /* a part of a message handled already: nothing stored */
    STOR_PART_STORED,   /* stored; the message still lacks parts */
    STOR_PART_COMPLETE, /* stored, and every part is here: GROUP has them */
};

/* RC 0 with OUTCOME (GROUP only for STOR_PART_COMPLETE, else NULL), or a negative errno
 * when nothing was stored. */
typedef void (*stor_part_cb)(void *arg, int rc, enum stor_part_outcome outcome,
                             const struct stor_mo_group *group);

/* Stores PART (copied) in its own transaction. Returns 0 (CB follows, once) or -errno. */
int stor_mo_part_add(struct stor_db *db, const struct stor_mo_part *part, stor_part_cb cb,
                     void *arg);

/* RC 0 with the N GROUPS whose first part came TIMEOUT_S seconds ago or more (at most the
 * LIMIT asked for) and NEXT_DUE_S, the seconds until the next waiting message is due
 * (negative when none waits), or a negative errno. */
typedef void (*stor_due_cb)(void *arg, int rc, const struct stor_mo_group *groups, size_t n,
                            double next_due_s);

/* Reads the messages given up on (it changes nothing: their transactions take the parts).
 * Returns 0 (CB follows, once) or -errno. */
int stor_mo_parts_due(struct stor_db *db, unsigned timeout_s, unsigned limit, stor_due_cb cb,
                      void *arg);

/* Forgets mo_log keys older than WINDOW_S and receipts that waited two days in vain; logs
 * what it removed. CB may be NULL. Returns 0 (CB follows, once) or -errno. */
int stor_mo_housekeeping(struct stor_db *db, unsigned window_s, stor_mo_done_cb cb, void *arg);

#endif
