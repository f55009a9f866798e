/*
 * receipt.h: delivery receipts as SMSCs send them, and the message ids they name. A receipt
 * is a deliver_sm whose text follows SMPP 3.4 Appendix B,
 *   id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
 *   err:E text:...
 * often with the receipted_message_id and message_state TLVs as well (which win when
 * present). SMSCs differ in how they write their ids: most write an id the same way in
 * submit_sm_resp and in receipts (give or take leading zeros and case), some answer
 * submit_sm in hex ("0000007B") and report the receipt in decimal ("123"), or the other
 * way round. Which is a property of the SMSC, not of an id ("123" is a fine id in either
 * base), so it is configured, and receipt_id_norm gives each id the three forms the
 * configured rule compares. Pure functions, no I/O; buffers are the caller's.
 */
#ifndef ERM_RECEIPT_H
#define ERM_RECEIPT_H

#include <stddef.h>

#define RECEIPT_ID_MAX   65 /* a message_id: C-octet string of at most 64 characters */
#define RECEIPT_STAT_MAX 16 /* "DELIVRD"; room for an SMSC's own longer words */
#define RECEIPT_ERR_MAX  16
#define RECEIPT_DATE_MAX 16 /* YYMMDDhhmm, some SMSCs add ss */
#define RECEIPT_NUM_MAX  21 /* a 64-bit value in decimal */

/* How the SMSC writes message ids (the [smsc] message_ids setting, parsed by core/config.c):
 * which form of a part's id (receipt_id_norm) a receipt's id is compared with. The order is
 * that of receipt_ids_words. */
enum receipt_ids {
    RECEIPT_IDS_SAME,    /* the same in submit_sm_resp and receipts, padding and case aside */
    RECEIPT_IDS_HEX_DEC, /* submit_sm_resp in hex, receipts in decimal */
    RECEIPT_IDS_DEC_HEX, /* submit_sm_resp in decimal, receipts in hex */
};

/* The configuration words of enum receipt_ids, in its order, NULL-terminated (static). */
extern const char *const receipt_ids_words[];

/* The fields of a receipt's text; an absent field is "". */
struct receipt {
    char id[RECEIPT_ID_MAX];
    char stat[RECEIPT_STAT_MAX]; /* as sent, upper-cased; see receipt_stat_norm */
    char err[RECEIPT_ERR_MAX];
    char submit_date[RECEIPT_DATE_MAX];
    char done_date[RECEIPT_DATE_MAX];
};

/* Parses the receipt text TEXT (LEN bytes, ASCII; no NUL needed). Keys are matched without
 * regard to case, in any order, separated by white space; a value runs to the next white
 * space and is cut to its field's size; parsing stops at "text:" (the rest is the message's
 * first characters). Unknown keys are skipped. Returns 0 when an id or a stat was found,
 * -EINVAL when nothing of a receipt was (R is then all ""). */
int receipt_parse(const char *text, size_t len, struct receipt *r);

/* The stat of the message_state TLV value STATE (1 ENROUTE, 2 DELIVRD, 3 EXPIRED,
 * 4 DELETED, 5 UNDELIV, 6 ACCEPTD, 7 UNKNOWN, 8 REJECTD); NULL outside 1..8. Static. */
const char *receipt_state_stat(unsigned state);

/* Writes STAT in its 7-letter form into OUT (RECEIPT_STAT_MAX bytes): upper-cased, with the
 * long words some SMSCs send mapped ("DELIVERED" -> "DELIVRD", "UNDELIVERABLE" -> "UNDELIV",
 * "ACCEPTED" -> "ACCEPTD", "REJECTED" -> "REJECTD"); anything else upper-cased as is.
 * Returns 0, or -EINVAL for an empty STAT or one longer than RECEIPT_STAT_MAX - 1. */
int receipt_stat_norm(const char *stat, char *out);

/* 1 when STAT (normalised) is final: every stat but ENROUTE. An SMSC's own word (some
 * carriers send codes of their own for failures) is final too: receipts are sent when a
 * message's fate is known, and a row must not wait for ever on a word we do not know. */
int receipt_stat_final(const char *stat);

/* The three forms of an id. With the same form on both sides two ids name one message when
 * their TEXT are equal; when submit_sm_resp is in hex and receipts in decimal, when the
 * part's HEX equals the receipt's DEC; the other way round, the part's DEC the receipt's HEX.
 * (An id that has no form the rule asks for is compared by TEXT.) */
struct receipt_id {
    char text[RECEIPT_ID_MAX]; /* trimmed; when every character is a hex digit, lower-cased
                                * and without leading zeros ("0" stays) */
    char dec[RECEIPT_NUM_MAX]; /* the value read as decimal, "" unless all decimal digits and
                                * below 2^64 */
    char hex[RECEIPT_NUM_MAX]; /* the value read as hex, written in decimal; "" unless all
                                * hex digits and below 2^64 */
};

/* Normalises message id ID (white space around it is dropped) into OUT. Returns 0, or
 * -EINVAL for an empty id or one longer than RECEIPT_ID_MAX - 1. */
int receipt_id_norm(const char *id, struct receipt_id *out);

#endif
