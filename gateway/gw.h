/*
 * gw.h: the messages a bearer carries (an SMPP bind today, a SIP line or CMPP next):
 * mobile-originated messages in, submits out. Nothing in here is specific to SMPP; the
 * operations and answers are gateway/bearer.h's.
 */
#ifndef ERM_GW_H
#define ERM_GW_H

#include <stddef.h>
#include <stdint.h>

#include "core/msisdn.h"

#define GW_SM_MAX 1024 /* short_message (254) or message_payload (bounded by us) */

/* How a message came: a text, or a call (the called number is the destination, there is no
 * text, and the bearer's answer plays the outcome to the caller). Stored as the order's
 * channel. */
enum gw_channel {
    GW_CHANNEL_SMS = 0, /* SMS bearers (SMPP, CMPP): zeroed messages are SMS */
    GW_CHANNEL_PHONE,   /* a call on the SIP trunk: sm holds the call's unique id (its
                         * Call-ID), for the dedupe key only, never as text */
};

/* A mobile-originated message as received. Owned by the bearer; valid only during the
 * on_mo callback: copy what you keep. */
struct gw_mo {
    uint64_t link_id; /* which connection it came on; acks for an older link are dropped */
    uint32_t seq;     /* the deliver_sm's sequence number, to acknowledge it */
    char source[MSISDN_ADDR_MAX];
    char dest[MSISDN_ADDR_MAX];
    uint8_t esm_class;
    uint8_t data_coding;
    uint8_t sm[GW_SM_MAX]; /* raw bytes, undecoded */
    size_t sm_len;
    int is_receipt;        /* a delivery receipt rather than a customer's message */
    char receipted_id[65]; /* the receipted_message_id TLV, when present */
    uint8_t message_state; /* a receipt's message_state TLV (1..8), 0 when absent */
    int in_payload;        /* sm came in (or goes out in) the message_payload TLV */
    int has_sar;           /* the three SAR TLVs were present: one part of a long message */
    uint16_t sar_ref;      /* sar_msg_ref_num */
    uint8_t sar_total;     /* sar_total_segments */
    uint8_t sar_seqnum;    /* sar_segment_seqnum */
    enum gw_channel channel;
};

/* One message part to submit. The caller keeps it; the bearer copies what it sends. */
struct gw_submit {
    char source[MSISDN_ADDR_MAX];
    char dest[MSISDN_ADDR_MAX];
    uint8_t esm_class;   /* 0x40 when data starts with a UDH */
    uint8_t data_coding; /* 0 GSM 7-bit unpacked, 8 UCS-2 */
    uint8_t registered_delivery;
    uint8_t data[254]; /* short_message bytes (UDH first when esm_class has 0x40) */
    uint16_t len;
};

#endif
