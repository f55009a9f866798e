/*
 * mo_parts.h: the parts of concatenated MOs, kept until the message is whole. Each part is stored
 * (stor_mo_part_add) and acknowledged once stored, so the SMSC's window never waits on a missing
 * part; when the last part is in, the caller joins the parts (core/concat.h) and runs the message's
 * transaction with a key that names the group, whose dedupe step deletes the parts and logs their
 * keys (a part delivered again later is then known, over any link: its bytes carry the message's
 * reference, so the same bytes are the same part). Parts still missing after the timeout are given
 * up on: stor_mo_parts_due hands the waiting parts to the caller, which handles what arrived.
 */
#ifndef ERM_MO_PARTS_H
#define ERM_MO_PARTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/concat.h"
#include "storage/db.h"
#include "storage/mo_log.h"

/* A message's parts as stored, for joining. Storage's memory, valid during the callback. */
struct stor_mo_group {
    struct stor_mo_group_id id;
    uint8_t data_coding; /* of its first part */
    size_t nparts;
    const struct concat_part *parts; /* in seqnum order */
};

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

#endif
