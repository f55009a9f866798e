/*
 * concat.h: concatenated mobile-originated messages. A long SMS arrives as parts, each a
 * deliver_sm of its own, tied together by a reference number that comes either in a user
 * data header (IE 0x00 with an 8-bit reference, IE 0x08 with a 16-bit one; esm_class bit
 * 0x40 says the header is there) or in the SAR TLVs (sar_msg_ref_num, sar_total_segments,
 * sar_segment_seqnum). A message is known by its source, destination, reference and total;
 * its parts are joined in order of their sequence numbers before the text is decoded
 * (decoding after joining keeps a character split between parts whole).
 *
 * Pure: no I/O and no clock. Where parts wait and for how long is the caller's (ermgw keeps
 * them in PostgreSQL, see storage/mo_parts.h, and its clock is the database's).
 */
#ifndef ERM_CONCAT_H
#define ERM_CONCAT_H

#include <stddef.h>
#include <stdint.h>

/* Added to a reference so that 8-bit UDH, 16-bit UDH and SAR references never meet. */
#define CONCAT_REF_UDH16 0x10000u
#define CONCAT_REF_SAR   0x20000u

#define CONCAT_ESM_UDHI 0x40u /* esm_class: short_message starts with a UDH */

struct concat_info {
    int is_part;    /* 1: one part of a message of TOTAL parts (2..255) */
    uint32_t ref;   /* with CONCAT_REF_UDH16 / CONCAT_REF_SAR added */
    uint8_t total;  /* parts in the whole message */
    uint8_t seqnum; /* this part, 1..total */
    size_t skip;    /* bytes of UDH before the text (0 without one) */
};

/* Reads the UDH of a short message SM (LEN bytes) when ESM_CLASS has CONCAT_ESM_UDHI.
 * INFO->skip is the UDH's length (0 without one); INFO->is_part is 1 when a concatenation IE
 * says this is part SEQNUM of TOTAL, 0 for a whole message (no UDH, a UDH without that IE,
 * or a "message" of one part). Returns 0, or -EINVAL for a UDH that claims more bytes than
 * SM has or an IE that overruns the UDH, or a concatenation IE with seqnum 0, seqnum above
 * total, or total 0 (INFO then says a whole message with skip 0: the bytes are text as
 * far as anybody can tell). */
int concat_from_udh(uint8_t esm_class, const uint8_t *sm, size_t len, struct concat_info *info);

/* The same from the SAR TLVs' values. TOTAL 1 is a whole message. Returns 0, or -EINVAL for
 * seqnum 0, seqnum above total, or total 0 (INFO then says a whole message). */
int concat_from_sar(uint16_t ref, uint8_t total, uint8_t seqnum, struct concat_info *info);

/* One part's text bytes (after the UDH), borrowed. */
struct concat_part {
    uint8_t seqnum;
    const uint8_t *data;
    size_t len;
};

/* Joins the N PARTS of a message of TOTAL parts, given in any order, into OUT (CAP bytes)
 * in order of seqnum. A seqnum given twice counts once (the first); parts absent are left
 * out and counted in *MISSING (the text then has a gap: better than no text at all, see
 * daemon/mo_intake.c). Returns the length, -EINVAL for a seqnum of 0 or above TOTAL, -ENOSPC
 * when OUT is too small. */
int concat_join(const struct concat_part *parts, size_t n, uint8_t total, uint8_t *out, size_t cap,
                unsigned *missing);

#endif
