/*
 * smpp_pdu.h: the fence around libsmpp34. Everything that reads or writes SMPP bytes goes
 * through here. We read the 16-byte header ourselves, walk and cap the TLVs and check the
 * lengths of the ones whose size is fixed before libsmpp34 sees a body, memset its structs
 * first, destroy its TLV lists even on failure, and build the small responses by hand
 * (libsmpp34 rejects sequence number 0, vendor statuses and error responses with a body).
 * libsmpp34 keeps global state: call these from the loop thread only.
 * All integers on the wire are big-endian. Every function returns 0 or a negative errno
 * unless it says otherwise; output buffers are the caller's.
 */
#ifndef ERM_SMPP_PDU_H
#define ERM_SMPP_PDU_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/gw.h"

#define SMPP_HEADER_LEN      16
#define SMPP_MAX_TLVS        16 /* more in one PDU is refused (libsmpp34 overruns at 34) */
#define SMPP_DEFAULT_MAX_PDU 4096

/* Command ids and statuses we use (the rest come from libsmpp34's smpp34.h inside
 * smpp_pdu.c only, so no other file includes libsmpp34). */
#define SMPP_GENERIC_NACK          0x80000000u
#define SMPP_BIND_TRANSCEIVER      0x00000009u
#define SMPP_BIND_TRANSCEIVER_RESP 0x80000009u
#define SMPP_BIND_RECEIVER         0x00000001u
#define SMPP_BIND_RECEIVER_RESP    0x80000001u
#define SMPP_BIND_TRANSMITTER      0x00000002u
#define SMPP_BIND_TRANSMITTER_RESP 0x80000002u
#define SMPP_SUBMIT_SM             0x00000004u
#define SMPP_SUBMIT_SM_RESP        0x80000004u
#define SMPP_DELIVER_SM            0x00000005u
#define SMPP_DELIVER_SM_RESP       0x80000005u
#define SMPP_UNBIND                0x00000006u
#define SMPP_UNBIND_RESP           0x80000006u
#define SMPP_ENQUIRE_LINK          0x00000015u
#define SMPP_ENQUIRE_LINK_RESP     0x80000015u
#define SMPP_RESP_BIT              0x80000000u

#define SMPP_ESME_ROK              0x00u
#define SMPP_ESME_RINVMSGLEN       0x01u
#define SMPP_ESME_RINVCMDLEN       0x02u
#define SMPP_ESME_RINVCMDID        0x03u
#define SMPP_ESME_RINVBNDSTS       0x04u
#define SMPP_ESME_RSYSERR          0x08u
#define SMPP_ESME_RBINDFAIL        0x0Du
#define SMPP_ESME_RINVPASWD        0x0Eu
#define SMPP_ESME_RINVSYSID        0x0Fu
#define SMPP_ESME_RMSGQFUL         0x14u
#define SMPP_ESME_RTHROTTLED       0x58u
#define SMPP_ESME_RX_T_APPN        0x64u
#define SMPP_ESME_RX_P_APPN        0x65u
#define SMPP_ESME_RINVOPTPARSTREAM 0xC0u
#define SMPP_ESME_RINVPARLEN       0xC2u
#define SMPP_ESME_RUNKNOWNERR      0xFFu

struct smpp_hdr {
    uint32_t len;
    uint32_t id;
    uint32_t status;
    uint32_t seq;
};

/* Reads the header at BUF (at least SMPP_HEADER_LEN bytes). Cannot fail. */
void smpp_hdr_read(const uint8_t *buf, struct smpp_hdr *h);

/* Framing state machine: bytes in, whole PDUs out. Length first, bounded: a command_length
 * below 16 or above max_len is a framing error (the stream cannot be trusted after it). */
struct smpp_framer {
    uint8_t *buf; /* owned by the framer (malloc): a partial PDU plus the last chunk pushed */
    size_t off;   /* start of the bytes not yet taken */
    size_t have;  /* end of the bytes received */
    size_t cap;
    size_t taken; /* length of the PDU last returned by next, dropped on the next call */
    uint32_t max_len;
};

/* MAX_LEN 0 means SMPP_DEFAULT_MAX_PDU. Allocates nothing (the first push does). */
void smpp_framer_init(struct smpp_framer *f, uint32_t max_len);
void smpp_framer_free(struct smpp_framer *f);
/* Appends LEN bytes. Returns 0, or -ENOMEM. */
int smpp_framer_push(struct smpp_framer *f, const uint8_t *data, size_t len);
/* Takes the next whole PDU: returns 1 and sets *PDU (pointing into the framer, valid until
 * the next push or next call) and *LEN; 0 when more bytes are needed; -EPROTO when the
 * command_length is out of bounds (then *LEN holds the offending length). */
int smpp_framer_next(struct smpp_framer *f, const uint8_t **pdu, uint32_t *len);

/* Checks the optional-parameter area BODY[0..LEN): every TLV complete, at most
 * SMPP_MAX_TLVS, known fixed-size tags with the right length, none longer than libsmpp34
 * takes (message_payload at most GW_SM_MAX). Returns 0, or the SMPP status to answer:
 * SMPP_ESME_RINVOPTPARSTREAM (truncated / too many) or SMPP_ESME_RINVPARLEN. */
uint32_t smpp_tlv_check(const uint8_t *body, size_t len);

/* Decodes a whole deliver_sm PDU into MO (link_id is left for the caller). short_message or,
 * when present, the message_payload TLV fills sm (in_payload says which); esm_class bit 0x04
 * or a receipted_message_id TLV marks a receipt; message_state and the SAR TLVs (has_sar
 * when all three came) are copied. Returns 0, or the SMPP status to answer
 * (never 0 on failure): a malformed body gives SMPP_ESME_RINVMSGLEN / RINVOPTPARSTREAM /
 * RINVPARLEN, a command_length other than LEN RINVCMDLEN, and nothing reaches libsmpp34
 * unchecked (should it still refuse one: RSYSERR). Sequence 0 is fine. */
uint32_t smpp_pdu_decode_deliver_sm(const uint8_t *pdu, size_t len, struct gw_mo *mo);

/* Builds a header-only or message_id-carrying response by hand: deliver_sm_resp (with an
 * empty message_id), enquire_link_resp, unbind_resp, generic_nack. OUT needs 17 bytes.
 * Returns the length written. */
size_t smpp_pdu_build_resp(uint8_t *out, uint32_t command_id, uint32_t status, uint32_t seq);

/* Header-only request: enquire_link, unbind. OUT needs 16 bytes. Returns 16. */
size_t smpp_pdu_build_simple(uint8_t *out, uint32_t command_id, uint32_t seq);

/* Packs bind_transceiver (interface_version 0x34) with libsmpp34. Returns the length or a
 * negative errno (-EINVAL when a field is too long). */
int smpp_pdu_pack_bind_trx(uint8_t *out, size_t cap, uint32_t seq, const char *system_id,
                           const char *password, const char *system_type);

/* The same as bind COMMAND_ID (SMPP_BIND_TRANSCEIVER, _RECEIVER or _TRANSMITTER: SMPP 3.4
 * gives the three one body). */
int smpp_pdu_pack_bind(uint8_t *out, size_t cap, uint32_t seq, uint32_t command_id,
                       const char *system_id, const char *password, const char *system_type);

/* Packs submit_sm for one part (a 254-octet part goes in message_payload: libsmpp34 will not
 * pack sm_length 254). Returns the length, -EINVAL for a field too long, -ENOSPC when CAP is
 * too small. */
int smpp_pdu_pack_submit_sm(uint8_t *out, size_t cap, uint32_t seq, const struct gw_submit *s);

/* Reads the message_id of a submit_sm_resp or the system_id of a bind_*_resp whose status
 * is 0 into OUT (CAP bytes, NUL-terminated, empty when the body is absent or the status is
 * not 0). Bounded by hand: the C-octet string must end within the PDU and fit OUT.
 * Returns 0 or -EPROTO. */
int smpp_pdu_resp_cstring(const uint8_t *pdu, size_t len, char *out, size_t cap);

/* Packs a deliver_sm (the simulator's side; the gateway never sends one). MO's fields are
 * used as is (a non-empty receipted_id becomes the receipted_message_id TLV, a non-zero
 * message_state and has_sar their TLVs); sm_len above 253, or in_payload, puts sm into
 * message_payload. Returns the length or -errno. */
int smpp_pdu_pack_deliver_sm(uint8_t *out, size_t cap, uint32_t seq, const struct gw_mo *mo);

/* Decodes a submit_sm (the simulator's side) into S, the same checks as for deliver_sm.
 * Returns 0 or the SMPP status to answer. */
uint32_t smpp_pdu_decode_submit_sm(const uint8_t *pdu, size_t len, struct gw_submit *s);

/* Decodes a bind_transceiver, bind_receiver or bind_transmitter (the simulator's side; the
 * header says which). A string that does not fit its buffer
 * is refused, never truncated. Returns 0 or the status to answer (RINVSYSID, RINVPASWD for
 * those fields, RINVCMDLEN for a truncated body). */
uint32_t smpp_pdu_decode_bind(const uint8_t *pdu, size_t len, char *system_id, size_t id_cap,
                              char *password, size_t pw_cap, char *system_type, size_t st_cap);

/* Packs a bind_transceiver_resp or submit_sm_resp carrying a C-octet string (system_id or
 * message_id) by hand; for a non-zero status the body is left out. Returns the length,
 * -EINVAL when STR is too long (15 / 64 characters), -ENOSPC when CAP is too small. */
int smpp_pdu_build_resp_cstring(uint8_t *out, size_t cap, uint32_t command_id, uint32_t status,
                                uint32_t seq, const char *str);

/* Static names from tables, for logs: "deliver_sm", "ESME_RINVPASWD"; an unknown value gives
 * "unknown" (never NULL). */
const char *smpp_command_name(uint32_t command_id);
const char *smpp_status_name(uint32_t status);

#endif
