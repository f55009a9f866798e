/*
 * smpp_pdu.c: SMPP 3.4 PDU bytes in and out for ermgw, and the fence around libsmpp34 (see
 * smpp_pdu.h). This is the only file of the project that includes libsmpp34's headers.
 *
 * What libsmpp34 (Debian 1.14.1) does badly, and what we do about it here:
 *  - it logs every field into a global 2048-byte buffer with an unchecked snprintf chain:
 *    34+ TLVs overrun it, 80+ crash. We refuse more than SMPP_MAX_TLVS before it looks.
 *  - it reads C-octet strings with strlen(): an unterminated one reads past the PDU. We find
 *    every NUL ourselves, within the field's size, before unpacking.
 *  - it ignores the length of fixed-size TLVs (reads 1 or 2 bytes whatever the length says)
 *    and leaks the TLV it was building when one is malformed. We walk the TLVs and check
 *    every length against smpp_tlv_rules first, and destroy_tlv() the list on any outcome.
 *  - it refuses sequence number 0, statuses it has no name for, TONs/NPIs it does not list
 *    and an interface_version other than 0x34. We unpack a private copy of the PDU whose
 *    header sequence (0 -> 1) and status (-> 0), and those TON/NPI/version octets (-> valid
 *    values) are patched: we read the real header ourselves and have no use for the rest.
 *    When packing, we pack with sequence 1 and write the real sequence afterwards.
 *  - its packer wants one spare byte after the PDU and refuses sm_length 254: we pack into a
 *    local buffer and put a 254-byte message into message_payload.
 *  - it keeps global state (the log buffer), so it is not thread-safe: loop thread only.
 * Small responses are built by hand (libsmpp34 refuses error responses carrying a body).
 */
#include "gateway/smpp_pdu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

#include "common/log.h"

#define SMPP_PDU_LOG "smpp"

/* Our pack buffer: a deliver_sm/submit_sm is at most ~370 bytes of header and mandatory
 * fields plus message_payload (GW_SM_MAX) and receipted_message_id TLVs. */
#define SMPP_PDU_PACK_MAX 2048

/* Sizes (with the NUL) of the C-octet strings, as SMPP 3.4 and libsmpp34's frames have them. */
#define SMPP_SERVICE_TYPE_MAX 6
#define SMPP_ADDR_MAX         21
#define SMPP_TIME_MAX         17
#define SMPP_SYSTEM_ID_MAX    16
#define SMPP_PASSWORD_MAX     9
#define SMPP_SYSTEM_TYPE_MAX  13
#define SMPP_ADDR_RANGE_MAX   41
#define SMPP_MESSAGE_ID_MAX   65
#define SMPP_SM_MAX           254 /* short_message octets */

/* ---- byte order helpers ------------------------------------------------------------- */

static uint32_t smpp_pdu_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t smpp_pdu_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void smpp_pdu_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void smpp_pdu_put_hdr(uint8_t *out, uint32_t len, uint32_t id, uint32_t status, uint32_t seq)
{
    smpp_pdu_put32(out, len);
    smpp_pdu_put32(out + 4, id);
    smpp_pdu_put32(out + 8, status);
    smpp_pdu_put32(out + 12, seq);
}

void smpp_hdr_read(const uint8_t *buf, struct smpp_hdr *h)
{
    h->len = smpp_pdu_get32(buf);
    h->id = smpp_pdu_get32(buf + 4);
    h->status = smpp_pdu_get32(buf + 8);
    h->seq = smpp_pdu_get32(buf + 12);
}

/* ---- framer ------------------------------------------------------------------------- */

void smpp_framer_init(struct smpp_framer *f, uint32_t max_len)
{
    memset(f, 0, sizeof *f);
    if (max_len == 0)
        max_len = SMPP_DEFAULT_MAX_PDU;
    if (max_len < SMPP_HEADER_LEN)
        max_len = SMPP_HEADER_LEN;
    f->max_len = max_len;
}

void smpp_framer_free(struct smpp_framer *f)
{
    free(f->buf);
    f->buf = NULL;
    f->off = f->have = f->cap = f->taken = 0;
}

/* Forgets the PDU handed out by the last next(); its pointer is no longer valid. */
static void smpp_framer_drop_taken(struct smpp_framer *f)
{
    f->off += f->taken;
    f->taken = 0;
    if (f->off == f->have)
        f->off = f->have = 0;
}

int smpp_framer_push(struct smpp_framer *f, const uint8_t *data, size_t len)
{
    smpp_framer_drop_taken(f);
    if (len == 0)
        return 0;
    /* Move the partial PDU to the front so the buffer never outgrows one PDU + one chunk. */
    if (f->off > 0) {
        memmove(f->buf, f->buf + f->off, f->have - f->off);
        f->have -= f->off;
        f->off = 0;
    }
    if (len > SIZE_MAX - f->have)
        return -ENOMEM;
    if (f->have + len > f->cap) {
        size_t cap = f->cap ? f->cap : 512;
        while (cap < f->have + len)
            cap = cap > SIZE_MAX / 2 ? f->have + len : cap * 2;
        uint8_t *nb = realloc(f->buf, cap);
        if (nb == NULL)
            return -ENOMEM;
        f->buf = nb;
        f->cap = cap;
    }
    memcpy(f->buf + f->have, data, len);
    f->have += len;
    return 0;
}

int smpp_framer_next(struct smpp_framer *f, const uint8_t **pdu, uint32_t *len)
{
    smpp_framer_drop_taken(f);
    size_t avail = f->have - f->off;
    if (avail < 4)
        return 0;
    /* Length first: judge it as soon as its four bytes are in, before waiting for more. */
    uint32_t l = smpp_pdu_get32(f->buf + f->off);
    if (l < SMPP_HEADER_LEN || l > f->max_len) {
        *len = l;
        return -EPROTO;
    }
    if (avail < l)
        return 0;
    *pdu = f->buf + f->off;
    *len = l;
    f->taken = l;
    return 1;
}

/* ---- TLV walk ----------------------------------------------------------------------- */

/* Lengths of the optional parameters we know: fixed (min == max) where SMPP 3.4 fixes them
 * (libsmpp34 reads those as integers whatever the length says), else the most libsmpp34's
 * deliver_sm/submit_sm frames accept. Tags not listed may be up to MAX_TLV_SIZE. */
struct smpp_tlv_rule {
    uint16_t tag;
    uint16_t min;
    uint16_t max;
};

static const struct smpp_tlv_rule smpp_tlv_rules[] = {
    {TLVID_dest_addr_subunit, 1, 1},
    {TLVID_dest_network_type, 1, 1},
    {TLVID_dest_bearer_type, 1, 1},
    {TLVID_dest_telematics_id, 2, 2},
    {TLVID_source_addr_subunit, 1, 1},
    {TLVID_source_network_type, 1, 1},
    {TLVID_source_bearer_type, 1, 1},
    {TLVID_qos_time_to_live, 4, 4},
    {TLVID_payload_type, 1, 1},
    {TLVID_additional_status_info_text, 0, 256},
    {TLVID_receipted_message_id, 0, SMPP_MESSAGE_ID_MAX},
    {TLVID_ms_msg_wait_facilities, 1, 1},
    {TLVID_privacy_indicator, 1, 1},
    {TLVID_source_subaddress, 0, 23},
    {TLVID_dest_subaddress, 0, 23},
    {TLVID_user_message_reference, 2, 2},
    {TLVID_user_response_code, 1, 1},
    {TLVID_source_port, 2, 2},
    {TLVID_destination_port, 2, 2},
    {TLVID_sar_msg_ref_num, 2, 2},
    {TLVID_language_indicator, 1, 1},
    {TLVID_sar_total_segments, 1, 1},
    {TLVID_sar_segment_seqnum, 1, 1},
    {TLVID_sc_interface_version, 1, 1},
    {TLVID_callback_num_pres_ind, 1, 1},
    {TLVID_callback_num_atag, 0, 65},
    {TLVID_number_of_messages, 1, 1},
    {TLVID_callback_num, 0, 19},
    {TLVID_dpf_result, 1, 1},
    {TLVID_set_dpf, 1, 1},
    {TLVID_ms_availability_status, 1, 1},
    {TLVID_network_error_code, 3, 3},
    {TLVID_message_payload, 0, GW_SM_MAX},
    {TLVID_delivery_failure_reason, 1, 1},
    {TLVID_more_messages_to_send, 1, 1},
    {TLVID_message_state, 1, 1},
    {TLVID_ussd_service_op, 1, 1},
    {TLVID_display_time, 1, 1},
    {TLVID_sms_signal, 2, 2},
    {TLVID_ms_validity, 1, 1},
    {TLVID_alert_on_message_delivery, 0, 0},
    {TLVID_its_reply_type, 1, 1},
    {TLVID_its_session_info, 2, 2},
};

uint32_t smpp_tlv_check(const uint8_t *body, size_t len)
{
    size_t pos = 0;
    unsigned n = 0;
    while (pos < len) {
        if (len - pos < 4) {
            ERM_WARN_RL(SMPP_PDU_LOG, "TLV header truncated (%zu bytes left)", len - pos);
            return SMPP_ESME_RINVOPTPARSTREAM;
        }
        if (++n > SMPP_MAX_TLVS) {
            ERM_WARN_RL(SMPP_PDU_LOG, "more than %d TLVs: refused", SMPP_MAX_TLVS);
            return SMPP_ESME_RINVOPTPARSTREAM;
        }
        uint16_t tag = smpp_pdu_get16(body + pos);
        uint16_t tl = smpp_pdu_get16(body + pos + 2);
        if (tl > len - pos - 4) {
            ERM_WARN_RL(SMPP_PDU_LOG, "TLV 0x%04x: length %u beyond the PDU", tag, tl);
            return SMPP_ESME_RINVOPTPARSTREAM;
        }
        uint16_t min = 0, max = MAX_TLV_SIZE;
        for (size_t i = 0; i < sizeof smpp_tlv_rules / sizeof smpp_tlv_rules[0]; i++) {
            if (smpp_tlv_rules[i].tag == tag) {
                min = smpp_tlv_rules[i].min;
                max = smpp_tlv_rules[i].max;
                break;
            }
        }
        if (tl < min || tl > max) {
            ERM_WARN_RL(SMPP_PDU_LOG, "TLV 0x%04x: length %u, want %u..%u", tag, tl, min, max);
            return SMPP_ESME_RINVPARLEN;
        }
        pos += 4 + (size_t)tl;
    }
    return 0;
}

/* ---- hand-checking mandatory fields -------------------------------------------------- */

/* A cursor over a PDU body; every read is bounded by len. */
struct smpp_pdu_cur {
    const uint8_t *p;
    size_t len;
    size_t pos;
};

/* Skips a C-octet string of at most MAX bytes with its NUL. Returns 0, -ENODATA when the PDU
 * ends first (truncated), -E2BIG when no NUL within MAX bytes. */
static int smpp_pdu_cur_cstr(struct smpp_pdu_cur *c, size_t max)
{
    size_t left = c->len - c->pos;
    size_t lim = left < max ? left : max;
    const uint8_t *nul = memchr(c->p + c->pos, 0, lim);
    if (nul == NULL)
        return left < max ? -ENODATA : -E2BIG;
    c->pos += (size_t)(nul - (c->p + c->pos)) + 1;
    return 0;
}

/* Skips N octets. Returns 0 or -ENODATA. */
static int smpp_pdu_cur_skip(struct smpp_pdu_cur *c, size_t n)
{
    if (c->len - c->pos < n)
        return -ENODATA;
    c->pos += n;
    return 0;
}

/* Where the octets libsmpp34 is picky about sit in a submit_sm / deliver_sm, and where the
 * optional part starts. */
struct smpp_pdu_sm_layout {
    size_t src_ton; /* source TON; NPI follows */
    size_t dst_ton; /* dest TON; NPI follows */
    size_t tlv;     /* first byte of the optional part */
    uint8_t sm_length;
};

/* Walks the mandatory part of a submit_sm (TIME_MAX 17) or deliver_sm (1: both times must be
 * empty there, as libsmpp34's frame has them). Returns 0 or the status to answer. */
static uint32_t smpp_pdu_walk_sm(const uint8_t *pdu, size_t len, size_t time_max,
                                 struct smpp_pdu_sm_layout *lay, const char *what)
{
    struct smpp_pdu_cur c = {pdu, len, SMPP_HEADER_LEN};
    const char *field = "service_type";
    int rc = smpp_pdu_cur_cstr(&c, SMPP_SERVICE_TYPE_MAX);
    if (rc < 0)
        goto fail;
    lay->src_ton = c.pos;
    field = "source_addr";
    if ((rc = smpp_pdu_cur_skip(&c, 2)) < 0 || (rc = smpp_pdu_cur_cstr(&c, SMPP_ADDR_MAX)) < 0)
        goto fail;
    lay->dst_ton = c.pos;
    field = "destination_addr";
    if ((rc = smpp_pdu_cur_skip(&c, 2)) < 0 || (rc = smpp_pdu_cur_cstr(&c, SMPP_ADDR_MAX)) < 0)
        goto fail;
    field = "schedule_delivery_time";
    if ((rc = smpp_pdu_cur_skip(&c, 3)) < 0 || (rc = smpp_pdu_cur_cstr(&c, time_max)) < 0)
        goto fail;
    field = "validity_period";
    if ((rc = smpp_pdu_cur_cstr(&c, time_max)) < 0)
        goto fail;
    field = "sm_length";
    if ((rc = smpp_pdu_cur_skip(&c, 5)) < 0)
        goto fail;
    lay->sm_length = pdu[c.pos - 1];
    field = "short_message";
    if (lay->sm_length > SMPP_SM_MAX) {
        rc = -E2BIG;
        goto fail;
    }
    if ((rc = smpp_pdu_cur_skip(&c, lay->sm_length)) < 0)
        goto fail;
    lay->tlv = c.pos;
    return 0;

fail:
    ERM_WARN_RL(SMPP_PDU_LOG, "%s seq %u: %s %s", what, smpp_pdu_get32(pdu + 12), field,
                rc == -ENODATA ? "truncated" : "too long");
    return SMPP_ESME_RINVMSGLEN;
}

/* Checks the header of a PDU handed to a decoder. Returns 0 or the status to answer. */
static uint32_t smpp_pdu_check_hdr(const uint8_t *pdu, size_t len, uint32_t want_id)
{
    if (len < SMPP_HEADER_LEN || len > INT32_MAX || smpp_pdu_get32(pdu) != len) {
        ERM_WARN_RL(SMPP_PDU_LOG, "%s: command_length does not match %zu bytes",
                    smpp_command_name(want_id), len);
        return SMPP_ESME_RINVCMDLEN;
    }
    if (smpp_pdu_get32(pdu + 4) != want_id)
        return SMPP_ESME_RINVCMDID;
    return 0;
}

/* Returns a copy of PDU (malloc, the caller frees) whose header libsmpp34 will accept:
 * sequence 0 becomes 1 and the status 0 (we have read both from the original). NULL when
 * out of memory. */
static uint8_t *smpp_pdu_lib_copy(const uint8_t *pdu, size_t len)
{
    uint8_t *copy = malloc(len);
    if (copy == NULL)
        return NULL;
    memcpy(copy, pdu, len);
    if (smpp_pdu_get32(copy + 12) == 0)
        smpp_pdu_put32(copy + 12, 1);
    smpp_pdu_put32(copy + 8, 0);
    return copy;
}

/* Makes the TON/NPI octet pair at AT one libsmpp34 lists (unknown/unknown): we do not use
 * them, and it would refuse a message for a TON it has no name for. */
static void smpp_pdu_lib_ton(uint8_t *copy, size_t at)
{
    copy[at] = TON_Unknown;
    copy[at + 1] = NPI_Unknown;
}

/* Copies C-octet string SRC (NUL within SRC_SIZE, checked before unpacking) into OUT. */
static void smpp_pdu_copy_cstr(char *out, size_t cap, const uint8_t *src, size_t src_size)
{
    size_t n = strnlen((const char *)src, src_size);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, src, n);
    out[n] = '\0';
}

/* ---- deliver_sm / submit_sm decoding --------------------------------------------------- */

uint32_t smpp_pdu_decode_deliver_sm(const uint8_t *pdu, size_t len, struct gw_mo *mo)
{
    struct smpp_pdu_sm_layout lay;
    deliver_sm_t d;
    uint8_t *copy = NULL;
    uint32_t st;

    memset(mo, 0, sizeof *mo);
    memset(&d, 0, sizeof d);
    if ((st = smpp_pdu_check_hdr(pdu, len, SMPP_DELIVER_SM)) != 0)
        return st;
    mo->seq = smpp_pdu_get32(pdu + 12);
    if ((st = smpp_pdu_walk_sm(pdu, len, 1, &lay, "deliver_sm")) != 0)
        return st;
    if ((st = smpp_tlv_check(pdu + lay.tlv, len - lay.tlv)) != 0)
        return st;

    copy = smpp_pdu_lib_copy(pdu, len);
    if (copy == NULL) {
        st = SMPP_ESME_RSYSERR;
        goto fail;
    }
    smpp_pdu_lib_ton(copy, lay.src_ton);
    smpp_pdu_lib_ton(copy, lay.dst_ton);
    if (smpp34_unpack(DELIVER_SM, &d, copy, (int)len) != 0) {
        ERM_WARN_RL(SMPP_PDU_LOG, "deliver_sm seq %u: libsmpp34 refused it: %.200s", mo->seq,
                    smpp34_strerror);
        st = SMPP_ESME_RSYSERR;
        goto fail;
    }

    smpp_pdu_copy_cstr(mo->source, sizeof mo->source, d.source_addr, sizeof d.source_addr);
    smpp_pdu_copy_cstr(mo->dest, sizeof mo->dest, d.destination_addr, sizeof d.destination_addr);
    mo->esm_class = d.esm_class;
    mo->data_coding = d.data_coding;
    memcpy(mo->sm, d.short_message, d.sm_length);
    mo->sm_len = d.sm_length;
    unsigned sar = 0; /* bits: which of the three SAR TLVs came */
    tlv_t *t;
    smpp34_tlv_for_each(t, d.tlv)
    {
        /* The list is in reverse PDU order; smpp_tlv_check bounded every length, and the
         * fixed-size ones (SAR, message_state) are exactly 1 or 2 octets. */
        if (t->tag == TLVID_message_payload && !mo->in_payload) {
            memcpy(mo->sm, t->value.octet, t->length);
            mo->sm_len = t->length;
            mo->in_payload = 1;
        } else if (t->tag == TLVID_receipted_message_id) {
            smpp_pdu_copy_cstr(mo->receipted_id, sizeof mo->receipted_id, t->value.octet,
                               t->length);
            mo->is_receipt = 1;
        } else if (t->tag == TLVID_message_state) {
            mo->message_state = t->value.val08;
        } else if (t->tag == TLVID_sar_msg_ref_num) {
            mo->sar_ref = t->value.val16;
            sar |= 1;
        } else if (t->tag == TLVID_sar_total_segments) {
            mo->sar_total = t->value.val08;
            sar |= 2;
        } else if (t->tag == TLVID_sar_segment_seqnum) {
            mo->sar_seqnum = t->value.val08;
            sar |= 4;
        }
    }
    mo->has_sar = sar == 7;
    if (mo->esm_class & SMPP34_DELIVERY_RECEIPT)
        mo->is_receipt = 1;
    st = 0;

fail:
    destroy_tlv(d.tlv);
    free(copy);
    return st;
}

uint32_t smpp_pdu_decode_submit_sm(const uint8_t *pdu, size_t len, struct gw_submit *s)
{
    struct smpp_pdu_sm_layout lay;
    submit_sm_t d;
    uint8_t *copy = NULL;
    uint32_t st;

    memset(s, 0, sizeof *s);
    memset(&d, 0, sizeof d);
    if ((st = smpp_pdu_check_hdr(pdu, len, SMPP_SUBMIT_SM)) != 0)
        return st;
    if ((st = smpp_pdu_walk_sm(pdu, len, SMPP_TIME_MAX, &lay, "submit_sm")) != 0)
        return st;
    if ((st = smpp_tlv_check(pdu + lay.tlv, len - lay.tlv)) != 0)
        return st;

    copy = smpp_pdu_lib_copy(pdu, len);
    if (copy == NULL) {
        st = SMPP_ESME_RSYSERR;
        goto fail;
    }
    smpp_pdu_lib_ton(copy, lay.src_ton);
    smpp_pdu_lib_ton(copy, lay.dst_ton);
    if (smpp34_unpack(SUBMIT_SM, &d, copy, (int)len) != 0) {
        ERM_WARN_RL(SMPP_PDU_LOG, "submit_sm seq %u: libsmpp34 refused it: %.200s",
                    smpp_pdu_get32(pdu + 12), smpp34_strerror);
        st = SMPP_ESME_RSYSERR;
        goto fail;
    }

    smpp_pdu_copy_cstr(s->source, sizeof s->source, d.source_addr, sizeof d.source_addr);
    smpp_pdu_copy_cstr(s->dest, sizeof s->dest, d.destination_addr, sizeof d.destination_addr);
    s->esm_class = d.esm_class;
    s->data_coding = d.data_coding;
    s->registered_delivery = d.registered_delivery;
    memcpy(s->data, d.short_message, d.sm_length);
    s->len = d.sm_length;
    tlv_t *t;
    smpp34_tlv_for_each(t, d.tlv)
    {
        if (t->tag != TLVID_message_payload)
            continue;
        /* A submit part is one short message: a payload above 254 octets has no room. */
        if (t->length > sizeof s->data) {
            ERM_WARN_RL(SMPP_PDU_LOG, "submit_sm: message_payload of %u octets", t->length);
            st = SMPP_ESME_RINVMSGLEN;
            goto fail;
        }
        memcpy(s->data, t->value.octet, t->length);
        s->len = t->length;
    }
    st = 0;

fail:
    destroy_tlv(d.tlv);
    free(copy);
    return st;
}

uint32_t smpp_pdu_decode_bind(const uint8_t *pdu, size_t len, char *system_id, size_t id_cap,
                              char *password, size_t pw_cap, char *system_type, size_t st_cap)
{
    bind_transceiver_t b;
    uint8_t *copy = NULL;
    uint32_t st;
    struct smpp_pdu_cur c = {pdu, len, SMPP_HEADER_LEN};
    int rc;

    memset(&b, 0, sizeof b);
    if (id_cap)
        system_id[0] = '\0';
    if (pw_cap)
        password[0] = '\0';
    if (st_cap)
        system_type[0] = '\0';
    uint32_t id = len >= SMPP_HEADER_LEN ? smpp_pdu_get32(pdu + 4) : 0;
    if (id != SMPP_BIND_RECEIVER && id != SMPP_BIND_TRANSMITTER)
        id = SMPP_BIND_TRANSCEIVER; /* the three have one body: read as the transceiver's */
    if ((st = smpp_pdu_check_hdr(pdu, len, id)) != 0)
        return st;
    if ((rc = smpp_pdu_cur_cstr(&c, SMPP_SYSTEM_ID_MAX)) < 0)
        return rc == -E2BIG ? SMPP_ESME_RINVSYSID : SMPP_ESME_RINVCMDLEN;
    if ((rc = smpp_pdu_cur_cstr(&c, SMPP_PASSWORD_MAX)) < 0)
        return rc == -E2BIG ? SMPP_ESME_RINVPASWD : SMPP_ESME_RINVCMDLEN;
    if ((rc = smpp_pdu_cur_cstr(&c, SMPP_SYSTEM_TYPE_MAX)) < 0)
        return rc == -E2BIG ? ESME_RINVSYSTYP : SMPP_ESME_RINVCMDLEN;
    size_t ver = c.pos;
    if ((rc = smpp_pdu_cur_skip(&c, 3)) < 0)
        return SMPP_ESME_RINVCMDLEN;
    if ((rc = smpp_pdu_cur_cstr(&c, SMPP_ADDR_RANGE_MAX)) < 0)
        return rc == -E2BIG ? SMPP_ESME_RBINDFAIL : SMPP_ESME_RINVCMDLEN;
    if (c.pos != len) /* SMPP 3.4 binds carry no optional part */
        return SMPP_ESME_RINVCMDLEN;

    copy = smpp_pdu_lib_copy(pdu, len);
    if (copy == NULL) {
        st = SMPP_ESME_RSYSERR;
        goto fail;
    }
    copy[ver] = SMPP_VERSION; /* a 3.3 client may still bind */
    smpp_pdu_lib_ton(copy, ver + 1);
    smpp_pdu_put32(copy + 4, SMPP_BIND_TRANSCEIVER);
    if (smpp34_unpack(BIND_TRANSCEIVER, &b, copy, (int)len) != 0) {
        ERM_WARN_RL(SMPP_PDU_LOG, "bind_transceiver: libsmpp34 refused it: %.200s",
                    smpp34_strerror);
        st = SMPP_ESME_RSYSERR;
        goto fail;
    }
    /* Never truncate credentials: "secretXY" cut to "secret" would match. */
    if (strnlen((char *)b.system_id, sizeof b.system_id) >= id_cap) {
        st = SMPP_ESME_RINVSYSID;
        goto fail;
    }
    if (strnlen((char *)b.password, sizeof b.password) >= pw_cap) {
        st = SMPP_ESME_RINVPASWD;
        goto fail;
    }
    if (strnlen((char *)b.system_type, sizeof b.system_type) >= st_cap) {
        st = ESME_RINVSYSTYP;
        goto fail;
    }
    smpp_pdu_copy_cstr(system_id, id_cap, b.system_id, sizeof b.system_id);
    smpp_pdu_copy_cstr(password, pw_cap, b.password, sizeof b.password);
    smpp_pdu_copy_cstr(system_type, st_cap, b.system_type, sizeof b.system_type);
    st = 0;

fail:
    free(copy);
    return st;
}

/* ---- responses by hand ---------------------------------------------------------------- */

size_t smpp_pdu_build_resp(uint8_t *out, uint32_t command_id, uint32_t status, uint32_t seq)
{
    if (command_id == SMPP_DELIVER_SM_RESP) {
        /* deliver_sm_resp always has its (unused, empty) message_id, error or not. */
        smpp_pdu_put_hdr(out, SMPP_HEADER_LEN + 1, command_id, status, seq);
        out[SMPP_HEADER_LEN] = '\0';
        return SMPP_HEADER_LEN + 1;
    }
    smpp_pdu_put_hdr(out, SMPP_HEADER_LEN, command_id, status, seq);
    return SMPP_HEADER_LEN;
}

size_t smpp_pdu_build_simple(uint8_t *out, uint32_t command_id, uint32_t seq)
{
    smpp_pdu_put_hdr(out, SMPP_HEADER_LEN, command_id, 0, seq);
    return SMPP_HEADER_LEN;
}

int smpp_pdu_build_resp_cstring(uint8_t *out, size_t cap, uint32_t command_id, uint32_t status,
                                uint32_t seq, const char *str)
{
    if (status != 0) {
        /* SMPP 3.4: the body of an error submit_sm_resp / bind_*_resp is not returned. */
        if (cap < SMPP_HEADER_LEN)
            return -ENOSPC;
        smpp_pdu_put_hdr(out, SMPP_HEADER_LEN, command_id, status, seq);
        return SMPP_HEADER_LEN;
    }
    size_t max =
        (command_id & ~SMPP_RESP_BIT) == SMPP_SUBMIT_SM ? SMPP_MESSAGE_ID_MAX : SMPP_SYSTEM_ID_MAX;
    size_t n = strlen(str);
    if (n >= max)
        return -EINVAL;
    if (cap < SMPP_HEADER_LEN + n + 1)
        return -ENOSPC;
    smpp_pdu_put_hdr(out, (uint32_t)(SMPP_HEADER_LEN + n + 1), command_id, 0, seq);
    memcpy(out + SMPP_HEADER_LEN, str, n + 1);
    return (int)(SMPP_HEADER_LEN + n + 1);
}

int smpp_pdu_resp_cstring(const uint8_t *pdu, size_t len, char *out, size_t cap)
{
    if (cap == 0)
        return -EINVAL;
    out[0] = '\0';
    if (len < SMPP_HEADER_LEN)
        return -EPROTO;
    /* An error response's body (if any) means nothing: leave OUT empty. */
    if (smpp_pdu_get32(pdu + 8) != 0 || len == SMPP_HEADER_LEN)
        return 0;
    const uint8_t *s = pdu + SMPP_HEADER_LEN;
    const uint8_t *nul = memchr(s, 0, len - SMPP_HEADER_LEN);
    if (nul == NULL)
        return -EPROTO;
    size_t n = (size_t)(nul - s);
    if (n >= cap)
        return -EPROTO;
    memcpy(out, s, n + 1);
    return 0;
}

/* ---- packing with libsmpp34 ------------------------------------------------------------- */

/* Copies NUL-terminated SRC into a libsmpp34 C-octet field of SIZE bytes. -EINVAL when it
 * does not fit (libsmpp34 would silently truncate it). */
static int smpp_pdu_set_cstr(uint8_t *field, size_t size, const char *src)
{
    size_t n = strnlen(src, size);
    if (n >= size)
        return -EINVAL;
    memcpy(field, src, n + 1);
    return 0;
}

/* TON/NPI for an address we send: digits are E.164 numbers of unknown type (the SMSC
 * decides national vs international), anything else an alphanumeric sender. */
static void smpp_pdu_addr_ton(const char *addr, uint8_t *ton, uint8_t *npi)
{
    size_t n = strlen(addr);
    if (n > 0 && strspn(addr, "0123456789") == n) {
        *ton = TON_Unknown;
        *npi = NPI_ISDN_E163_E164;
    } else if (n > 0) {
        *ton = TON_Alphanumeric;
        *npi = NPI_Unknown;
    } else {
        *ton = TON_Unknown;
        *npi = NPI_Unknown;
    }
}

/* Prepends a TLV to LIST (libsmpp34 packs the list in list order: add the last first).
 * Returns 0 or -ENOMEM. */
static int smpp_pdu_add_tlv(tlv_t **list, uint16_t tag, const void *val, uint16_t len)
{
    tlv_t t;
    memset(&t, 0, sizeof t);
    t.tag = tag;
    t.length = len;
    memcpy(t.value.octet, val, len);
    return build_tlv(list, &t) == 0 ? 0 : -ENOMEM;
}

/* Packs STRUCT_ (whose header fields are set, sequence 1) as TYPE into OUT, then writes the
 * real SEQ. libsmpp34 writes into a local buffer because it wants a spare byte at the end.
 * Returns the length or a negative errno. */
static int smpp_pdu_lib_pack(uint32_t type, void *struct_, uint8_t *out, size_t cap, uint32_t seq)
{
    uint8_t buf[SMPP_PDU_PACK_MAX];
    int len = 0;
    if (smpp34_pack(type, buf, (int)sizeof buf, &len, struct_) != 0) {
        ERM_WARN(SMPP_PDU_LOG, "%s: libsmpp34 refused to pack it: %.200s", smpp_command_name(type),
                 smpp34_strerror);
        return -EINVAL;
    }
    if (len < SMPP_HEADER_LEN)
        return -EINVAL;
    if ((size_t)len > cap)
        return -ENOSPC;
    memcpy(out, buf, (size_t)len);
    smpp_pdu_put32(out + 12, seq);
    return len;
}

int smpp_pdu_pack_bind_trx(uint8_t *out, size_t cap, uint32_t seq, const char *system_id,
                           const char *password, const char *system_type)
{
    bind_transceiver_t b;
    memset(&b, 0, sizeof b);
    b.command_id = BIND_TRANSCEIVER;
    b.sequence_number = 1;
    b.interface_version = SMPP_VERSION;
    b.addr_ton = TON_Unknown;
    b.addr_npi = NPI_Unknown;
    if (smpp_pdu_set_cstr(b.system_id, sizeof b.system_id, system_id ? system_id : "") < 0 ||
        smpp_pdu_set_cstr(b.password, sizeof b.password, password ? password : "") < 0 ||
        smpp_pdu_set_cstr(b.system_type, sizeof b.system_type, system_type ? system_type : "") < 0)
        return -EINVAL;
    return smpp_pdu_lib_pack(BIND_TRANSCEIVER, &b, out, cap, seq);
}

int smpp_pdu_pack_bind(uint8_t *out, size_t cap, uint32_t seq, uint32_t command_id,
                       const char *system_id, const char *password, const char *system_type)
{
    if (command_id != SMPP_BIND_TRANSCEIVER && command_id != SMPP_BIND_RECEIVER &&
        command_id != SMPP_BIND_TRANSMITTER)
        return -EINVAL;
    int n = smpp_pdu_pack_bind_trx(out, cap, seq, system_id, password, system_type);
    if (n >= SMPP_HEADER_LEN)
        smpp_pdu_put32(out + 4, command_id);
    return n;
}

int smpp_pdu_pack_submit_sm(uint8_t *out, size_t cap, uint32_t seq, const struct gw_submit *s)
{
    submit_sm_t d;
    int rc;
    memset(&d, 0, sizeof d);
    d.command_id = SUBMIT_SM;
    d.sequence_number = 1;
    if (s->len > sizeof s->data)
        return -EINVAL;
    if (smpp_pdu_set_cstr(d.source_addr, sizeof d.source_addr, s->source) < 0 ||
        smpp_pdu_set_cstr(d.destination_addr, sizeof d.destination_addr, s->dest) < 0)
        return -EINVAL;
    smpp_pdu_addr_ton(s->source, &d.source_addr_ton, &d.source_addr_npi);
    smpp_pdu_addr_ton(s->dest, &d.dest_addr_ton, &d.dest_addr_npi);
    d.esm_class = s->esm_class;
    d.data_coding = s->data_coding;
    d.registered_delivery = s->registered_delivery;
    if (s->len < SMPP_SM_MAX) {
        memcpy(d.short_message, s->data, s->len);
        d.sm_length = (uint8_t)s->len;
    } else if ((rc = smpp_pdu_add_tlv(&d.tlv, TLVID_message_payload, s->data, s->len)) < 0) {
        goto fail; /* libsmpp34 packs sm_length 254 as an error: 254 octets go here */
    }
    rc = smpp_pdu_lib_pack(SUBMIT_SM, &d, out, cap, seq);

fail:
    destroy_tlv(d.tlv);
    return rc;
}

/* Adds MO's SAR and message_state TLVs to LIST (fixed-size values go in as numbers:
 * libsmpp34 writes them big-endian). Returns 0 or -ENOMEM. */
static int smpp_pdu_add_mo_tlvs(tlv_t **list, const struct gw_mo *mo)
{
    tlv_t t[4];
    size_t n = 0;
    memset(t, 0, sizeof t);
    if (mo->message_state != 0) {
        t[n].tag = TLVID_message_state;
        t[n].length = 1;
        t[n++].value.val08 = mo->message_state;
    }
    if (mo->has_sar) {
        t[n].tag = TLVID_sar_segment_seqnum;
        t[n].length = 1;
        t[n++].value.val08 = mo->sar_seqnum;
        t[n].tag = TLVID_sar_total_segments;
        t[n].length = 1;
        t[n++].value.val08 = mo->sar_total;
        t[n].tag = TLVID_sar_msg_ref_num;
        t[n].length = 2;
        t[n++].value.val16 = mo->sar_ref;
    }
    for (size_t i = 0; i < n; i++)
        if (build_tlv(list, &t[i]) != 0)
            return -ENOMEM;
    return 0;
}

int smpp_pdu_pack_deliver_sm(uint8_t *out, size_t cap, uint32_t seq, const struct gw_mo *mo)
{
    deliver_sm_t d;
    int rc;
    memset(&d, 0, sizeof d);
    d.command_id = DELIVER_SM;
    d.sequence_number = 1;
    if (mo->sm_len > GW_SM_MAX)
        return -EINVAL;
    size_t rid = strnlen(mo->receipted_id, sizeof mo->receipted_id);
    if (rid >= sizeof mo->receipted_id ||
        smpp_pdu_set_cstr(d.source_addr, sizeof d.source_addr, mo->source) < 0 ||
        smpp_pdu_set_cstr(d.destination_addr, sizeof d.destination_addr, mo->dest) < 0)
        return -EINVAL;
    smpp_pdu_addr_ton(mo->source, &d.source_addr_ton, &d.source_addr_npi);
    smpp_pdu_addr_ton(mo->dest, &d.dest_addr_ton, &d.dest_addr_npi);
    d.esm_class = mo->esm_class;
    d.data_coding = mo->data_coding;
    /* Added last-first: receipted_message_id comes out after message_payload. */
    if (rid > 0 && (rc = smpp_pdu_add_tlv(&d.tlv, TLVID_receipted_message_id, mo->receipted_id,
                                          (uint16_t)(rid + 1))) < 0)
        goto fail;
    if ((rc = smpp_pdu_add_mo_tlvs(&d.tlv, mo)) < 0)
        goto fail;
    if (mo->sm_len < SMPP_SM_MAX && !mo->in_payload) {
        memcpy(d.short_message, mo->sm, mo->sm_len);
        d.sm_length = (uint8_t)mo->sm_len;
    } else if ((rc = smpp_pdu_add_tlv(&d.tlv, TLVID_message_payload, mo->sm,
                                      (uint16_t)mo->sm_len)) < 0) {
        goto fail;
    }
    rc = smpp_pdu_lib_pack(DELIVER_SM, &d, out, cap, seq);

fail:
    destroy_tlv(d.tlv);
    return rc;
}

/* ---- names ---------------------------------------------------------------------------- */

struct smpp_pdu_name {
    uint32_t value;
    const char *name;
};

static const struct smpp_pdu_name smpp_pdu_command_names[] = {
    {GENERIC_NACK, "generic_nack"},
    {BIND_RECEIVER, "bind_receiver"},
    {BIND_RECEIVER_RESP, "bind_receiver_resp"},
    {BIND_TRANSMITTER, "bind_transmitter"},
    {BIND_TRANSMITTER_RESP, "bind_transmitter_resp"},
    {QUERY_SM, "query_sm"},
    {QUERY_SM_RESP, "query_sm_resp"},
    {SUBMIT_SM, "submit_sm"},
    {SUBMIT_SM_RESP, "submit_sm_resp"},
    {DELIVER_SM, "deliver_sm"},
    {DELIVER_SM_RESP, "deliver_sm_resp"},
    {UNBIND, "unbind"},
    {UNBIND_RESP, "unbind_resp"},
    {REPLACE_SM, "replace_sm"},
    {REPLACE_SM_RESP, "replace_sm_resp"},
    {CANCEL_SM, "cancel_sm"},
    {CANCEL_SM_RESP, "cancel_sm_resp"},
    {BIND_TRANSCEIVER, "bind_transceiver"},
    {BIND_TRANSCEIVER_RESP, "bind_transceiver_resp"},
    {OUTBIND, "outbind"},
    {ENQUIRE_LINK, "enquire_link"},
    {ENQUIRE_LINK_RESP, "enquire_link_resp"},
    {SUBMIT_MULTI, "submit_multi"},
    {SUBMIT_MULTI_RESP, "submit_multi_resp"},
    {ALERT_NOTIFICATION, "alert_notification"},
    {DATA_SM, "data_sm"},
    {DATA_SM_RESP, "data_sm_resp"},
    {0, NULL},
};

static const struct smpp_pdu_name smpp_pdu_status_names[] = {
    {ESME_ROK, "ESME_ROK"},
    {ESME_RINVMSGLEN, "ESME_RINVMSGLEN"},
    {ESME_RINVCMDLEN, "ESME_RINVCMDLEN"},
    {ESME_RINVCMDID, "ESME_RINVCMDID"},
    {ESME_RINVBNDSTS, "ESME_RINVBNDSTS"},
    {ESME_RALYBND, "ESME_RALYBND"},
    {ESME_RINVPRTFLG, "ESME_RINVPRTFLG"},
    {ESME_RINVREGDLVFLG, "ESME_RINVREGDLVFLG"},
    {ESME_RSYSERR, "ESME_RSYSERR"},
    {ESME_RINVSRCADR, "ESME_RINVSRCADR"},
    {ESME_RINVDSTADR, "ESME_RINVDSTADR"},
    {ESME_RINVMSGID, "ESME_RINVMSGID"},
    {ESME_RBINDFAIL, "ESME_RBINDFAIL"},
    {ESME_RINVPASWD, "ESME_RINVPASWD"},
    {ESME_RINVSYSID, "ESME_RINVSYSID"},
    {ESME_RCANCELFAIL, "ESME_RCANCELFAIL"},
    {ESME_RREPLACEFAIL, "ESME_RREPLACEFAIL"},
    {ESME_RMSGQFUL, "ESME_RMSGQFUL"},
    {ESME_RINVSERTYP, "ESME_RINVSERTYP"},
    {ESME_RINVNUMDESTS, "ESME_RINVNUMDESTS"},
    {ESME_RINVDLNAME, "ESME_RINVDLNAME"},
    {ESME_RINVDESTFLAG, "ESME_RINVDESTFLAG"},
    {ESME_RINVSUBREP, "ESME_RINVSUBREP"},
    {ESME_RINVESMCLASS, "ESME_RINVESMCLASS"},
    {ESME_RCNTSUBDL, "ESME_RCNTSUBDL"},
    {ESME_RSUBMITFAIL, "ESME_RSUBMITFAIL"},
    {ESME_RINVSRCTON, "ESME_RINVSRCTON"},
    {ESME_RINVSRCNPI, "ESME_RINVSRCNPI"},
    {ESME_RINVDSTTON, "ESME_RINVDSTTON"},
    {ESME_RINVDSTNPI, "ESME_RINVDSTNPI"},
    {ESME_RINVSYSTYP, "ESME_RINVSYSTYP"},
    {ESME_RINVREPFLAG, "ESME_RINVREPFLAG"},
    {ESME_RINVNUMMSGS, "ESME_RINVNUMMSGS"},
    {ESME_RTHROTTLED, "ESME_RTHROTTLED"},
    {ESME_RINVSCHED, "ESME_RINVSCHED"},
    {ESME_RINVEXPIRY, "ESME_RINVEXPIRY"},
    {ESME_RINVDFTMSGID, "ESME_RINVDFTMSGID"},
    {ESME_RX_T_APPN, "ESME_RX_T_APPN"},
    {ESME_RX_P_APPN, "ESME_RX_P_APPN"},
    {ESME_RX_R_APPN, "ESME_RX_R_APPN"},
    {ESME_RQUERYFAIL, "ESME_RQUERYFAIL"},
    {ESME_RINVOPTPARSTREAM, "ESME_RINVOPTPARSTREAM"},
    {ESME_ROPTPARNOTALLWD, "ESME_ROPTPARNOTALLWD"},
    {ESME_RINVPARLEN, "ESME_RINVPARLEN"},
    {ESME_RMISSINGOPTPARAM, "ESME_RMISSINGOPTPARAM"},
    {ESME_RINVOPTPARAMVAL, "ESME_RINVOPTPARAMVAL"},
    {ESME_RDELIVERYFAILURE, "ESME_RDELIVERYFAILURE"},
    {ESME_RUNKNOWNERR, "ESME_RUNKNOWNERR"},
    {0, NULL},
};

static const char *smpp_pdu_name_of(const struct smpp_pdu_name *tab, uint32_t value)
{
    for (; tab->name != NULL; tab++)
        if (tab->value == value)
            return tab->name;
    return "unknown";
}

const char *smpp_command_name(uint32_t command_id)
{
    return smpp_pdu_name_of(smpp_pdu_command_names, command_id);
}

const char *smpp_status_name(uint32_t status)
{
    return smpp_pdu_name_of(smpp_pdu_status_names, status);
}
