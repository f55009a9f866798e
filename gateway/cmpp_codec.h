/*
 * cmpp_codec.h: China Mobile's CMPP (SP <-> ISMG), versions 2.0 and 3.0, as bytes: the
 * 12-byte header, a framer for the TCP stream, and the PDUs an SP sends and receives
 * (CONNECT, ACTIVE_TEST, TERMINATE, SUBMIT, DELIVER with its status report, and their
 * responses). No Debian package implements CMPP, so this codec is ours; one codec serves
 * both versions, the version a parameter of every call whose layout depends on it:
 *
 *   field               2.0        3.0
 *   terminal ids        21 bytes   32 bytes (+ a 1-byte *_terminal_type after each)
 *   tail of SUBMIT/DELIVER  Reserve 8  LinkID 20
 *   CONNECT_RESP Status u8         u32
 *   SUBMIT_RESP / DELIVER_RESP Result  u8  u32
 *   status report       60 bytes   71 bytes
 *
 * Fixed-width fields are read and written by one small set of helpers (cmpp_codec.c);
 * every length is checked before anything is read, and Total_Length is bounded by the
 * caller's maximum (CMPP_MAX_LEN, the largest PDU 3.0 defines). Pure functions, no I/O;
 * every buffer is the caller's (the framer owns its own, see below).
 */
#ifndef ERM_CMPP_CODEC_H
#define ERM_CMPP_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define CMPP_V20        0x20
#define CMPP_V30        0x30
#define CMPP_HEADER_LEN 12
#define CMPP_MAX_LEN    3335u /* Total_Length bound (3.0) */

#define CMPP_CONNECT          0x00000001u
#define CMPP_CONNECT_RESP     0x80000001u
#define CMPP_TERMINATE        0x00000002u
#define CMPP_TERMINATE_RESP   0x80000002u
#define CMPP_SUBMIT           0x00000004u
#define CMPP_SUBMIT_RESP      0x80000004u
#define CMPP_DELIVER          0x00000005u
#define CMPP_DELIVER_RESP     0x80000005u
#define CMPP_ACTIVE_TEST      0x00000008u
#define CMPP_ACTIVE_TEST_RESP 0x80000008u
#define CMPP_RESP_BIT         0x80000000u

#define CMPP_CONNECT_LEN     39 /* header + Source_Addr 6 + Authenticator 16 + Version + Timestamp */
#define CMPP_ACTIVE_RESP_LEN 13 /* header + Reserved */

/* SUBMIT_RESP / DELIVER_RESP Results (the ISMG's and ours) */
#define CMPP_RESULT_OK       0
#define CMPP_RESULT_BAD_CMD  1 /* wrong message structure */
#define CMPP_RESULT_BAD_LEN  4 /* wrong message length */
#define CMPP_RESULT_THROTTLE 8 /* flow control: over the rate, deliver again later */
#define CMPP_RESULT_OTHER    9

/* CONNECT_RESP Status */
#define CMPP_CONNECT_OK          0
#define CMPP_CONNECT_BAD_STRUCT  1
#define CMPP_CONNECT_BAD_ADDR    2
#define CMPP_CONNECT_BAD_AUTH    3
#define CMPP_CONNECT_BAD_VERSION 4

#define CMPP_TERMINAL_MAX 33  /* a terminal id as a C string (32 bytes in 3.0) */
#define CMPP_CONTENT_MAX  255 /* Msg_Length is one byte */
#define CMPP_REPORT_LEN20 60
#define CMPP_REPORT_LEN30 71

struct cmpp_hdr {
    uint32_t len; /* Total_Length */
    uint32_t id;  /* Command_Id */
    uint32_t seq; /* Sequence_Id */
};

struct cmpp_connect {
    char source_addr[7]; /* SP id, 6 characters */
    uint8_t auth[16];    /* AuthenticatorSource */
    uint8_t version;
    uint32_t timestamp; /* MMDDHHMMSS as a number */
};

struct cmpp_connect_resp {
    uint32_t status;  /* u8 in 2.0 */
    uint8_t auth[16]; /* AuthenticatorISMG */
    uint8_t version;
};

/* SUBMIT_RESP and DELIVER_RESP share a layout: Msg_Id and Result (u8 in 2.0). */
struct cmpp_result {
    uint64_t msg_id;
    uint32_t result;
};

/* CMPP_SUBMIT with one destination (the count is kept; only the first is returned). */
struct cmpp_submit {
    uint64_t msg_id;
    uint8_t pk_total, pk_number;
    uint8_t registered_delivery, msg_level;
    char service_id[11];
    uint8_t fee_user_type;
    char fee_terminal_id[CMPP_TERMINAL_MAX];
    uint8_t fee_terminal_type; /* 3.0 only */
    uint8_t tp_pid, tp_udhi, msg_fmt;
    char msg_src[7];
    char fee_type[3];
    char fee_code[7];
    char valid_time[18], at_time[18];
    char src_id[22];
    uint8_t dest_count; /* 1..100 */
    char dest[CMPP_TERMINAL_MAX];
    uint8_t dest_terminal_type; /* 3.0 only */
    uint8_t msg_length;
    uint8_t msg_content[CMPP_CONTENT_MAX];
    char link_id[21]; /* 3.0 only */
};

/* CMPP_DELIVER: an MO (registered_delivery 0) or a status report (1, the report in
 * msg_content: cmpp_codec_unpack_report). */
struct cmpp_deliver {
    uint64_t msg_id;
    char dest_id[22];
    char service_id[11];
    uint8_t tp_pid, tp_udhi, msg_fmt;
    char src_terminal_id[CMPP_TERMINAL_MAX];
    uint8_t src_terminal_type; /* 3.0 only */
    uint8_t registered_delivery;
    uint8_t msg_length;
    uint8_t msg_content[CMPP_CONTENT_MAX];
    char link_id[21]; /* 3.0 only */
};

/* A status report, carried in a DELIVER's Msg_Content. */
struct cmpp_report {
    uint64_t msg_id;
    char stat[8];
    char submit_time[11], done_time[11]; /* YYMMDDHHMM */
    char dest_terminal_id[CMPP_TERMINAL_MAX];
    uint32_t smsc_sequence;
};

/* 1 for CMPP_V20 and CMPP_V30. */
int cmpp_codec_version_ok(uint8_t version);

/* Reads the header of the LEN bytes at BUF (LEN >= CMPP_HEADER_LEN). */
void cmpp_codec_hdr_read(const uint8_t *buf, struct cmpp_hdr *h);

/* The name of a Command_Id for logs (static; "unknown" for others). */
const char *cmpp_codec_command_name(uint32_t id);

/* ---- login ---- */

/* MMDDHHMMSS of the broken-down local time given, as CONNECT's Timestamp. */
uint32_t cmpp_codec_timestamp(int mon1, int mday, int hour, int min, int sec);

/* AuthenticatorSource = MD5(Source_Addr + 9 zero bytes + secret + timestamp as 10 digits). */
void cmpp_codec_auth_source(const char *sp_id, const char *secret, uint32_t timestamp,
                            uint8_t out[16]);

/* AuthenticatorISMG = MD5(Status (its version's width) + AuthenticatorSource + secret). */
void cmpp_codec_auth_ismg(uint8_t version, uint32_t status, const uint8_t auth_source[16],
                          const char *secret, uint8_t out[16]);

/* ---- packing: each returns the PDU's length, or -ENOSPC (CAP too small) or -EINVAL (a
 * field longer than its width, a bad version). ---- */

int cmpp_codec_pack_connect(uint8_t *buf, size_t cap, uint32_t seq, const struct cmpp_connect *c);
int cmpp_codec_pack_connect_resp(uint8_t *buf, size_t cap, uint8_t version, uint32_t seq,
                                 const struct cmpp_connect_resp *r);
/* A header-only PDU: ACTIVE_TEST, TERMINATE, TERMINATE_RESP. */
int cmpp_codec_pack_simple(uint8_t *buf, size_t cap, uint32_t id, uint32_t seq);
int cmpp_codec_pack_active_test_resp(uint8_t *buf, size_t cap, uint32_t seq);
/* ID is CMPP_SUBMIT_RESP or CMPP_DELIVER_RESP. */
int cmpp_codec_pack_result(uint8_t *buf, size_t cap, uint8_t version, uint32_t id, uint32_t seq,
                           const struct cmpp_result *r);
int cmpp_codec_pack_submit(uint8_t *buf, size_t cap, uint8_t version, uint32_t seq,
                           const struct cmpp_submit *m);
int cmpp_codec_pack_deliver(uint8_t *buf, size_t cap, uint8_t version, uint32_t seq,
                            const struct cmpp_deliver *m);
/* A status report's bytes (CMPP_REPORT_LEN20/30) for a DELIVER's Msg_Content. */
int cmpp_codec_pack_report(uint8_t *buf, size_t cap, uint8_t version, const struct cmpp_report *r);

/* ---- unpacking: PDU is a whole PDU of LEN bytes (header included, Total_Length == LEN).
 * Each returns 0, or -EBADMSG when the length does not match the layout or a count is out
 * of range. Text fields are NUL-terminated at their first NUL or their width. ---- */

int cmpp_codec_unpack_connect(const uint8_t *pdu, size_t len, struct cmpp_connect *c);
int cmpp_codec_unpack_connect_resp(const uint8_t *pdu, size_t len, uint8_t version,
                                   struct cmpp_connect_resp *r);
int cmpp_codec_unpack_result(const uint8_t *pdu, size_t len, uint8_t version,
                             struct cmpp_result *r);
int cmpp_codec_unpack_submit(const uint8_t *pdu, size_t len, uint8_t version,
                             struct cmpp_submit *m);
int cmpp_codec_unpack_deliver(const uint8_t *pdu, size_t len, uint8_t version,
                              struct cmpp_deliver *m);
/* The status report in D's Msg_Content; -EBADMSG unless it is one of VERSION's size. */
int cmpp_codec_unpack_report(const uint8_t *content, size_t len, uint8_t version,
                             struct cmpp_report *r);

/* Msg_Id as 16 lower-case hex digits (what the outbox stores and reports are matched by):
 * OUT holds 17 bytes. */
void cmpp_codec_msg_id_text(uint64_t msg_id, char out[17]);

/* ---- framing ---- */

/* Cuts the TCP stream into PDUs: Total_Length read, checked against [12, max_len] before
 * anything else, and the PDU handed out whole. */
struct cmpp_codec_framer {
    uint8_t *buf; /* owned (malloc): a partial PDU plus the last chunk pushed */
    size_t have, off, cap;
    uint32_t max_len;
};

void cmpp_codec_framer_init(struct cmpp_codec_framer *f, uint32_t max_len);
void cmpp_codec_framer_free(struct cmpp_codec_framer *f);
/* Appends LEN bytes. Returns 0 or -ENOMEM. */
int cmpp_codec_framer_push(struct cmpp_codec_framer *f, const uint8_t *data, size_t len);
/* Takes the next whole PDU: 1 with *PDU (into the framer, valid until the next push) and
 * *LEN; 0 when none is whole yet; -EBADMSG when Total_Length is out of bounds (*LEN holds
 * it): the stream cannot be trusted after that. */
int cmpp_codec_framer_next(struct cmpp_codec_framer *f, const uint8_t **pdu, uint32_t *len);
/* Bytes of a PDU begun but not whole. */
size_t cmpp_codec_framer_partial(const struct cmpp_codec_framer *f);

#endif
