/*
 * check_smpp_pdu.c: unit tests of gateway/smpp_pdu.c, the fence around libsmpp34: framing,
 * the TLV walk and its caps, deliver_sm / submit_sm / bind round trips through libsmpp34,
 * the hand-built responses byte for byte, bounded C-octet reads and the name tables.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/smpp_pdu.h"

/* libsmpp34 clears its global log buffer on every pack/unpack. No file but smpp_pdu.c may
 * include its headers, so we declare the one symbol we watch: a sentinel written here and
 * still there afterwards proves a malformed PDU never reached the library. */
extern char smpp34_strerror[2048];

#define SENTINEL "untouched by libsmpp34"

static void sentinel_set(void)
{
    strcpy(smpp34_strerror, SENTINEL);
}

static int sentinel_intact(void)
{
    return strcmp(smpp34_strerror, SENTINEL) == 0;
}

/* ---- hand-built PDUs ------------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static size_t put_cstr(uint8_t *p, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(p, s, n);
    return n;
}

/* Appends one TLV at P; returns its size. */
static size_t put_tlv(uint8_t *p, uint16_t tag, uint16_t len, uint8_t fill)
{
    p[0] = (uint8_t)(tag >> 8);
    p[1] = (uint8_t)tag;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    memset(p + 4, fill, len);
    return 4 + (size_t)len;
}

/* A deliver_sm by hand (independent of the packer under test), with TLV bytes appended.
 * Returns its length; command_length is set. */
static size_t make_deliver(uint8_t *out, uint32_t seq, const char *src, const char *dst,
                           uint8_t esm, uint8_t dcs, const uint8_t *sm, uint8_t sm_len,
                           const uint8_t *tlv, size_t tlv_len)
{
    size_t n = 16;
    put32(out + 4, SMPP_DELIVER_SM);
    put32(out + 8, 0);
    put32(out + 12, seq);
    n += put_cstr(out + n, ""); /* service_type */
    out[n++] = 1;               /* source TON */
    out[n++] = 1;               /* source NPI */
    n += put_cstr(out + n, src);
    out[n++] = 0;
    out[n++] = 0;
    n += put_cstr(out + n, dst);
    out[n++] = esm;
    out[n++] = 0; /* protocol_id */
    out[n++] = 0; /* priority_flag */
    out[n++] = 0; /* schedule_delivery_time */
    out[n++] = 0; /* validity_period */
    out[n++] = 0; /* registered_delivery */
    out[n++] = 0; /* replace_if_present_flag */
    out[n++] = dcs;
    out[n++] = 0; /* sm_default_msg_id */
    out[n++] = sm_len;
    if (sm_len > 0)
        memcpy(out + n, sm, sm_len);
    n += sm_len;
    if (tlv_len > 0)
        memcpy(out + n, tlv, tlv_len);
    n += tlv_len;
    put32(out, (uint32_t)n);
    return n;
}

static size_t make_simple_deliver(uint8_t *out, const uint8_t *tlv, size_t tlv_len)
{
    return make_deliver(out, 5, "13800000001", "10086", 0, 0, (const uint8_t *)"10001", 5, tlv,
                        tlv_len);
}

/* N TLVs of user_message_reference (2 octets each) into OUT; returns the byte count. */
static size_t make_tlvs(uint8_t *out, unsigned n)
{
    size_t len = 0;
    for (unsigned i = 0; i < n; i++)
        len += put_tlv(out + len, 0x0204, 2, (uint8_t)i);
    return len;
}

/* ---- framer ------------------------------------------------------------------------------ */

/* Three PDUs back to back: enquire_link (16), deliver_sm_resp (17), submit_sm_resp "12" (19). */
static size_t make_stream(uint8_t *out)
{
    size_t n = smpp_pdu_build_simple(out, SMPP_ENQUIRE_LINK, 1);
    n += smpp_pdu_build_resp(out + n, SMPP_DELIVER_SM_RESP, 0, 2);
    n += (size_t)smpp_pdu_build_resp_cstring(out + n, 64, SMPP_SUBMIT_SM_RESP, 0, 3, "12");
    return n;
}

START_TEST(test_framer_byte_at_a_time)
{
    uint8_t s[64];
    size_t n = make_stream(s);
    const uint32_t want_len[] = {16, 17, 19};
    struct smpp_framer f;
    smpp_framer_init(&f, 0);
    ck_assert_uint_eq(f.max_len, SMPP_DEFAULT_MAX_PDU);
    unsigned got = 0;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *pdu;
        uint32_t len;
        ck_assert_int_eq(smpp_framer_push(&f, s + i, 1), 0);
        int rc = smpp_framer_next(&f, &pdu, &len);
        if (i + 1 == start + (got < 3 ? want_len[got] : 0)) {
            ck_assert_int_eq(rc, 1);
            ck_assert_uint_eq(len, want_len[got]);
            ck_assert_mem_eq(pdu, s + start, len);
            start += len;
            got++;
            ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), 0);
        } else {
            ck_assert_int_eq(rc, 0);
        }
    }
    ck_assert_uint_eq(got, 3);
    smpp_framer_free(&f);
}
END_TEST

START_TEST(test_framer_two_in_one_chunk)
{
    uint8_t s[64];
    size_t n = make_stream(s);
    struct smpp_framer f;
    const uint8_t *pdu;
    uint32_t len;
    smpp_framer_init(&f, 64);
    /* The first two whole and 3 bytes of the third in one chunk, then the rest. */
    ck_assert_int_eq(smpp_framer_push(&f, s, 16 + 17 + 3), 0);
    ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), 1);
    ck_assert_uint_eq(len, 16);
    ck_assert_mem_eq(pdu, s, 16);
    ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), 1);
    ck_assert_uint_eq(len, 17);
    ck_assert_mem_eq(pdu, s + 16, 17);
    ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), 0);
    ck_assert_int_eq(smpp_framer_push(&f, s + 36, n - 36), 0);
    ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), 1);
    ck_assert_uint_eq(len, 19);
    ck_assert_mem_eq(pdu, s + 33, 19);
    ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), 0);
    smpp_framer_free(&f);
}
END_TEST

/* Many PDUs of many sizes cut into chunks of many sizes come out whole and in order. */
START_TEST(test_framer_random_chunks)
{
    enum { NPDU = 200 };
    uint8_t *s = malloc(NPDU * 300);
    uint32_t lens[NPDU];
    size_t n = 0;
    unsigned r = 12345;
    for (int i = 0; i < NPDU; i++) {
        r = r * 1103515245u + 12345u;
        lens[i] = 16 + (r >> 16) % 280;
        put32(s + n, lens[i]);
        put32(s + n + 4, SMPP_SUBMIT_SM);
        put32(s + n + 8, 0);
        put32(s + n + 12, (uint32_t)i);
        memset(s + n + 16, i & 0xff, lens[i] - 16);
        n += lens[i];
    }
    struct smpp_framer f;
    smpp_framer_init(&f, 300);
    size_t pos = 0;
    int got = 0;
    while (pos < n) {
        r = r * 1103515245u + 12345u;
        size_t chunk = 1 + (r >> 16) % 700;
        if (chunk > n - pos)
            chunk = n - pos;
        ck_assert_int_eq(smpp_framer_push(&f, s + pos, chunk), 0);
        pos += chunk;
        const uint8_t *pdu;
        uint32_t len;
        int rc;
        while ((rc = smpp_framer_next(&f, &pdu, &len)) == 1) {
            struct smpp_hdr h;
            smpp_hdr_read(pdu, &h);
            ck_assert_uint_eq(h.seq, (uint32_t)got);
            ck_assert_uint_eq(len, lens[got]);
            ck_assert_uint_eq(pdu[len - 1], (uint8_t)(got & 0xff));
            got++;
        }
        ck_assert_int_eq(rc, 0);
    }
    ck_assert_int_eq(got, NPDU);
    smpp_framer_free(&f);
    free(s);
}
END_TEST

START_TEST(test_framer_len_below_16)
{
    static const uint32_t bad[] = {0, 1, 15};
    for (size_t i = 0; i < 3; i++) {
        uint8_t b[16] = {0};
        struct smpp_framer f;
        const uint8_t *pdu = NULL;
        uint32_t len = 0;
        put32(b, bad[i]);
        smpp_framer_init(&f, 0);
        ck_assert_int_eq(smpp_framer_push(&f, b, sizeof b), 0);
        ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), -EPROTO);
        ck_assert_uint_eq(len, bad[i]);
        ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), -EPROTO); /* it stays broken */
        smpp_framer_free(&f);
    }
}
END_TEST

START_TEST(test_framer_len_above_max)
{
    uint8_t b[4];
    struct smpp_framer f;
    const uint8_t *pdu;
    uint32_t len = 0;
    put32(b, 65);
    smpp_framer_init(&f, 64);
    /* Judged on the length alone: no waiting for 65 bytes that may never come. */
    ck_assert_int_eq(smpp_framer_push(&f, b, 3), 0);
    ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), 0);
    ck_assert_int_eq(smpp_framer_push(&f, b + 3, 1), 0);
    ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), -EPROTO);
    ck_assert_uint_eq(len, 65);
    smpp_framer_free(&f);

    put32(b, 0xffffffffu);
    smpp_framer_init(&f, 0);
    ck_assert_int_eq(smpp_framer_push(&f, b, 4), 0);
    ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), -EPROTO);
    ck_assert_uint_eq(len, 0xffffffffu);
    smpp_framer_free(&f);
}
END_TEST

START_TEST(test_framer_exactly_max)
{
    uint8_t b[64] = {0};
    struct smpp_framer f;
    const uint8_t *pdu;
    uint32_t len = 0;
    put32(b, 64);
    put32(b + 4, SMPP_SUBMIT_SM);
    smpp_framer_init(&f, 64);
    ck_assert_int_eq(smpp_framer_push(&f, b, 63), 0);
    ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), 0);
    ck_assert_int_eq(smpp_framer_push(&f, b + 63, 1), 0);
    ck_assert_int_eq(smpp_framer_next(&f, &pdu, &len), 1);
    ck_assert_uint_eq(len, 64);
    smpp_framer_free(&f);
}
END_TEST

START_TEST(test_hdr_read)
{
    static const uint8_t b[16] = {0, 0, 0, 17,   0x80, 0,    0,    5,
                                  0, 0, 0, 0x64, 0xde, 0xad, 0xbe, 0xef};
    struct smpp_hdr h;
    smpp_hdr_read(b, &h);
    ck_assert_uint_eq(h.len, 17);
    ck_assert_uint_eq(h.id, SMPP_DELIVER_SM_RESP);
    ck_assert_uint_eq(h.status, 0x64);
    ck_assert_uint_eq(h.seq, 0xdeadbeefu);
}
END_TEST

/* ---- TLV walk ------------------------------------------------------------------------------ */

START_TEST(test_tlv_16_ok_17_refused)
{
    uint8_t t[17 * 6];
    ck_assert_uint_eq(smpp_tlv_check(t, make_tlvs(t, 16)), 0);
    ck_assert_uint_eq(smpp_tlv_check(t, make_tlvs(t, 17)), SMPP_ESME_RINVOPTPARSTREAM);
    ck_assert_uint_eq(smpp_tlv_check(t, 0), 0);

    uint8_t pdu[512];
    struct gw_mo mo;
    size_t tl = make_tlvs(t, 16);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, make_simple_deliver(pdu, t, tl), &mo), 0);
    tl = make_tlvs(t, 17);
    sentinel_set();
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, make_simple_deliver(pdu, t, tl), &mo),
                      SMPP_ESME_RINVOPTPARSTREAM);
    ck_assert(sentinel_intact());
}
END_TEST

/* 40 TLVs overrun libsmpp34's log buffer and 100 crash it: they must never reach it. */
START_TEST(test_tlv_40_and_100_never_reach_libsmpp34)
{
    static const unsigned counts[] = {40, 100};
    uint8_t t[100 * 6];
    uint8_t pdu[1024];
    struct gw_mo mo;

    /* The sentinel works: a good PDU does reach the library and clears it. */
    size_t n = make_simple_deliver(pdu, NULL, 0);
    sentinel_set();
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, n, &mo), 0);
    ck_assert(!sentinel_intact());

    for (size_t i = 0; i < 2; i++) {
        size_t tl = make_tlvs(t, counts[i]);
        n = make_simple_deliver(pdu, t, tl);
        sentinel_set();
        ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, n, &mo), SMPP_ESME_RINVOPTPARSTREAM);
        ck_assert(sentinel_intact());
        ck_assert_uint_eq(smpp_tlv_check(t, tl), SMPP_ESME_RINVOPTPARSTREAM);
    }
}
END_TEST

START_TEST(test_tlv_truncated)
{
    uint8_t t[32] = {0};
    size_t n = put_tlv(t, 0x0204, 2, 0);
    /* A TLV header cut short. */
    ck_assert_uint_eq(smpp_tlv_check(t, n + 3), SMPP_ESME_RINVOPTPARSTREAM);
    /* A value cut short: length 10, 4 octets there. */
    put_tlv(t + n, 0x1401, 10, 0);
    ck_assert_uint_eq(smpp_tlv_check(t, n + 8), SMPP_ESME_RINVOPTPARSTREAM);
    ck_assert_uint_eq(smpp_tlv_check(t, n + 14), 0);

    uint8_t pdu[256];
    struct gw_mo mo;
    sentinel_set();
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, make_simple_deliver(pdu, t, n + 8), &mo),
                      SMPP_ESME_RINVOPTPARSTREAM);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, make_simple_deliver(pdu, t, n + 1), &mo),
                      SMPP_ESME_RINVOPTPARSTREAM);
    ck_assert(sentinel_intact());
}
END_TEST

START_TEST(test_tlv_fixed_lengths)
{
    static const struct {
        uint16_t tag;
        uint16_t good;
        uint16_t bad;
    } cases[] = {
        {0x020C, 2, 1},       /* sar_msg_ref_num */
        {0x020C, 2, 3},       /* sar_msg_ref_num */
        {0x020E, 1, 2},       /* sar_total_segments */
        {0x020F, 1, 0},       /* sar_segment_seqnum */
        {0x0204, 2, 4},       /* user_message_reference */
        {0x020A, 2, 1},       /* source_port */
        {0x020B, 2, 1},       /* destination_port */
        {0x0427, 1, 2},       /* message_state */
        {0x0030, 1, 2},       /* ms_msg_wait_facilities */
        {0x0423, 3, 4},       /* network_error_code */
        {0x001E, 65, 66},     /* receipted_message_id: at most 65 */
        {0x0424, 1024, 1025}, /* message_payload: at most GW_SM_MAX */
        {0x1401, 1024, 1025}, /* vendor tag: at most libsmpp34's 1024 */
    };
    uint8_t *t = malloc(2048);
    uint8_t *pdu = malloc(2048);
    struct gw_mo mo;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = put_tlv(t, cases[i].tag, cases[i].good, 1);
        ck_assert_msg(smpp_tlv_check(t, n) == 0, "tag 0x%04x len %u", cases[i].tag, cases[i].good);
        n = put_tlv(t, cases[i].tag, cases[i].bad, 1);
        ck_assert_msg(smpp_tlv_check(t, n) == SMPP_ESME_RINVPARLEN, "tag 0x%04x len %u",
                      cases[i].tag, cases[i].bad);
        sentinel_set();
        ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, make_simple_deliver(pdu, t, n), &mo),
                          SMPP_ESME_RINVPARLEN);
        ck_assert(sentinel_intact());
    }
    free(t);
    free(pdu);
}
END_TEST

/* ---- deliver_sm ------------------------------------------------------------------------- */

static void fill_mo(struct gw_mo *mo, const char *src, const char *dst, uint8_t dcs, const void *sm,
                    size_t sm_len)
{
    memset(mo, 0, sizeof *mo);
    snprintf(mo->source, sizeof mo->source, "%s", src);
    snprintf(mo->dest, sizeof mo->dest, "%s", dst);
    mo->data_coding = dcs;
    memcpy(mo->sm, sm, sm_len);
    mo->sm_len = sm_len;
}

START_TEST(test_deliver_round_trip_ucs2)
{
    /* "你好 10001" in UCS-2 */
    static const uint8_t ucs2[] = {0x4f, 0x60, 0x59, 0x7d, 0x00, 0x20, 0x00, 0x31,
                                   0x00, 0x30, 0x00, 0x30, 0x00, 0x30, 0x00, 0x31};
    struct gw_mo in, out;
    uint8_t pdu[512];
    fill_mo(&in, "8613800000001", "10086", 8, ucs2, sizeof ucs2);
    int n = smpp_pdu_pack_deliver_sm(pdu, sizeof pdu, 7, &in);
    ck_assert_int_gt(n, 0);
    struct smpp_hdr h;
    smpp_hdr_read(pdu, &h);
    ck_assert_uint_eq(h.len, (uint32_t)n);
    ck_assert_uint_eq(h.id, SMPP_DELIVER_SM);
    ck_assert_uint_eq(h.seq, 7);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, (size_t)n, &out), 0);
    ck_assert_uint_eq(out.seq, 7);
    ck_assert_str_eq(out.source, "8613800000001");
    ck_assert_str_eq(out.dest, "10086");
    ck_assert_uint_eq(out.data_coding, 8);
    ck_assert_uint_eq(out.esm_class, 0);
    ck_assert_uint_eq(out.sm_len, sizeof ucs2);
    ck_assert_mem_eq(out.sm, ucs2, sizeof ucs2);
    ck_assert_int_eq(out.is_receipt, 0);
    ck_assert_str_eq(out.receipted_id, "");
}
END_TEST

START_TEST(test_deliver_payload_500)
{
    uint8_t sm[500];
    for (size_t i = 0; i < sizeof sm; i++)
        sm[i] = (uint8_t)(i * 7);
    struct gw_mo in, out;
    uint8_t pdu[2048];
    fill_mo(&in, "13800000001", "10086", 8, sm, sizeof sm);
    int n = smpp_pdu_pack_deliver_sm(pdu, sizeof pdu, 9, &in);
    ck_assert_int_gt(n, 500);
    /* sm_length 0, then message_payload (0x0424) of 500 octets. */
    static const uint8_t tlv_hdr[] = {0x04, 0x24, 0x01, 0xf4};
    ck_assert_mem_eq(pdu + n - 504, tlv_hdr, 4);
    ck_assert_uint_eq(pdu[n - 505], 0);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, (size_t)n, &out), 0);
    ck_assert_uint_eq(out.sm_len, 500);
    ck_assert_mem_eq(out.sm, sm, 500);

    /* 254 octets fit short_message on the wire, but libsmpp34 will not pack them there. */
    fill_mo(&in, "13800000001", "10086", 8, sm, 254);
    n = smpp_pdu_pack_deliver_sm(pdu, sizeof pdu, 9, &in);
    ck_assert_int_gt(n, 254);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, (size_t)n, &out), 0);
    ck_assert_uint_eq(out.sm_len, 254);
    ck_assert_mem_eq(out.sm, sm, 254);

    /* Above GW_SM_MAX: refused when packing, and the TLV is refused when decoding. */
    in.sm_len = GW_SM_MAX + 1;
    ck_assert_int_eq(smpp_pdu_pack_deliver_sm(pdu, sizeof pdu, 9, &in), -EINVAL);
}
END_TEST

START_TEST(test_deliver_receipt)
{
    static const char text[] = "id:abc123 sub:001 dlvrd:001 submit date:2611231200 done "
                               "date:2611231201 stat:DELIVRD err:000 text:";
    struct gw_mo in, out;
    uint8_t pdu[512];
    fill_mo(&in, "13800000001", "10086", 0, text, strlen(text));
    in.esm_class = 0x04;
    strcpy(in.receipted_id, "abc123");
    int n = smpp_pdu_pack_deliver_sm(pdu, sizeof pdu, 11, &in);
    ck_assert_int_gt(n, 0);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, (size_t)n, &out), 0);
    ck_assert_int_eq(out.is_receipt, 1);
    ck_assert_str_eq(out.receipted_id, "abc123");
    ck_assert_uint_eq(out.esm_class, 0x04);
    ck_assert_uint_eq(out.sm_len, strlen(text));

    /* The TLV alone marks a receipt; esm_class 0x04 alone does too. */
    in.esm_class = 0;
    n = smpp_pdu_pack_deliver_sm(pdu, sizeof pdu, 12, &in);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, (size_t)n, &out), 0);
    ck_assert_int_eq(out.is_receipt, 1);
    in.esm_class = 0x04;
    in.receipted_id[0] = '\0';
    n = smpp_pdu_pack_deliver_sm(pdu, sizeof pdu, 13, &in);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, (size_t)n, &out), 0);
    ck_assert_int_eq(out.is_receipt, 1);
    ck_assert_str_eq(out.receipted_id, "");
}
END_TEST

/* libsmpp34 refuses sequence 0, a status in a request and TONs it has no name for; an SMSC
 * may still send them, and we take the message. */
START_TEST(test_deliver_seq0_status_ton)
{
    struct gw_mo in, out;
    uint8_t pdu[512];
    fill_mo(&in, "13800000001", "10086", 0, "CX", 2);
    int n = smpp_pdu_pack_deliver_sm(pdu, sizeof pdu, 0, &in);
    ck_assert_int_gt(n, 0);
    static const uint8_t zero[4] = {0};
    ck_assert_mem_eq(pdu + 12, zero, 4);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, (size_t)n, &out), 0);
    ck_assert_uint_eq(out.seq, 0);
    ck_assert_mem_eq(out.sm, "CX", 2);

    n = (int)make_simple_deliver(pdu, NULL, 0);
    put32(pdu + 8, 0x400); /* vendor status in the header */
    pdu[17] = 7;           /* source TON 7 */
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, (size_t)n, &out), 0);
    ck_assert_str_eq(out.source, "13800000001");
    ck_assert_uint_eq(pdu[17], 7); /* the caller's PDU is not modified */
}
END_TEST

START_TEST(test_deliver_truncated)
{
    uint8_t full[256], pdu[256];
    struct gw_mo mo;
    size_t n = make_simple_deliver(full, NULL, 0);
    /* Cut anywhere in the body (command_length agreeing): never a crash, always a status. */
    for (size_t cut = 16; cut < n; cut++) {
        memcpy(pdu, full, cut);
        put32(pdu, (uint32_t)cut);
        sentinel_set();
        ck_assert_msg(smpp_pdu_decode_deliver_sm(pdu, cut, &mo) == SMPP_ESME_RINVMSGLEN,
                      "cut at %zu", cut);
        ck_assert(sentinel_intact());
    }
    /* command_length disagreeing with the length handed in. */
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(full, n - 1, &mo), SMPP_ESME_RINVCMDLEN);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(full, 10, &mo), SMPP_ESME_RINVCMDLEN);
    /* Another command. */
    memcpy(pdu, full, n);
    put32(pdu + 4, SMPP_SUBMIT_SM);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, n, &mo), SMPP_ESME_RINVCMDID);
}
END_TEST

START_TEST(test_deliver_unterminated_strings)
{
    uint8_t pdu[256];
    struct gw_mo mo;
    /* source_addr of 21 characters: no NUL within its 21 octets. */
    size_t n = make_deliver(pdu, 1, "123456789012345678901", "10086", 0, 0, NULL, 0, NULL, 0);
    sentinel_set();
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, n, &mo), SMPP_ESME_RINVMSGLEN);
    ck_assert(sentinel_intact());
    /* 20 is the most that fits. */
    n = make_deliver(pdu, 1, "12345678901234567890", "10086", 0, 0, NULL, 0, NULL, 0);
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, n, &mo), 0);
    ck_assert_str_eq(mo.source, "12345678901234567890");
    /* A body that is one unterminated string up to its end. */
    memset(pdu + 16, 'A', 40);
    put32(pdu, 56);
    sentinel_set();
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, 56, &mo), SMPP_ESME_RINVMSGLEN);
    ck_assert(sentinel_intact());
    /* deliver_sm has no schedule_delivery_time: libsmpp34 takes only an empty one. */
    n = make_simple_deliver(pdu, NULL, 0);
    memmove(pdu + 43, pdu + 42, n - 42); /* schedule_delivery_time is at 42 */
    pdu[42] = '1';
    put32(pdu, (uint32_t)(n + 1));
    ck_assert_uint_eq(smpp_pdu_decode_deliver_sm(pdu, n + 1, &mo), SMPP_ESME_RINVMSGLEN);
}
END_TEST

/* ---- submit_sm ----------------------------------------------------------------------------- */

START_TEST(test_submit_round_trip)
{
    struct gw_submit in, out;
    uint8_t pdu[1024];
    memset(&in, 0, sizeof in);
    strcpy(in.source, "10086");
    strcpy(in.dest, "13800000001");
    in.esm_class = 0x40;
    in.data_coding = 8;
    in.registered_delivery = 1;
    static const uint8_t part[] = {0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 0x4f, 0x60, 0x59, 0x7d};
    memcpy(in.data, part, sizeof part);
    in.len = sizeof part;
    int n = smpp_pdu_pack_submit_sm(pdu, sizeof pdu, 0x01020304, &in);
    ck_assert_int_gt(n, 0);
    struct smpp_hdr h;
    smpp_hdr_read(pdu, &h);
    ck_assert_uint_eq(h.id, SMPP_SUBMIT_SM);
    ck_assert_uint_eq(h.seq, 0x01020304);
    ck_assert_uint_eq(h.len, (uint32_t)n);
    ck_assert_uint_eq(smpp_pdu_decode_submit_sm(pdu, (size_t)n, &out), 0);
    ck_assert_str_eq(out.source, "10086");
    ck_assert_str_eq(out.dest, "13800000001");
    ck_assert_uint_eq(out.esm_class, 0x40);
    ck_assert_uint_eq(out.data_coding, 8);
    ck_assert_uint_eq(out.registered_delivery, 1);
    ck_assert_uint_eq(out.len, sizeof part);
    ck_assert_mem_eq(out.data, part, sizeof part);

    /* 254 octets (message_payload) and an alphanumeric sender. */
    strcpy(in.source, "ERM Shop");
    for (int i = 0; i < 254; i++)
        in.data[i] = (uint8_t)i;
    in.len = 254;
    n = smpp_pdu_pack_submit_sm(pdu, sizeof pdu, 1, &in);
    ck_assert_int_gt(n, 254);
    ck_assert_uint_eq(smpp_pdu_decode_submit_sm(pdu, (size_t)n, &out), 0);
    ck_assert_str_eq(out.source, "ERM Shop");
    ck_assert_uint_eq(out.len, 254);
    ck_assert_mem_eq(out.data, in.data, 254);
}
END_TEST

START_TEST(test_submit_pack_errors)
{
    struct gw_submit in;
    uint8_t pdu[1024];
    memset(&in, 0, sizeof in);
    strcpy(in.source, "10086");
    strcpy(in.dest, "13800000001");
    in.len = 2;
    ck_assert_int_eq(smpp_pdu_pack_submit_sm(pdu, 20, 1, &in), -ENOSPC);
    in.len = 255;
    ck_assert_int_eq(smpp_pdu_pack_submit_sm(pdu, sizeof pdu, 1, &in), -EINVAL);
    in.len = 2;
    memset(in.dest, '9', sizeof in.dest); /* unterminated */
    ck_assert_int_eq(smpp_pdu_pack_submit_sm(pdu, sizeof pdu, 1, &in), -EINVAL);
}
END_TEST

START_TEST(test_submit_decode_bad)
{
    struct gw_submit in, out;
    uint8_t pdu[1024];
    memset(&in, 0, sizeof in);
    strcpy(in.source, "10086");
    strcpy(in.dest, "13800000001");
    memcpy(in.data, "hello", 5);
    in.len = 5;
    int n = smpp_pdu_pack_submit_sm(pdu, sizeof pdu, 3, &in);
    ck_assert_int_gt(n, 0);
    for (int cut = 16; cut < n; cut++) {
        uint8_t c[1024];
        memcpy(c, pdu, (size_t)cut);
        put32(c, (uint32_t)cut);
        ck_assert_uint_ne(smpp_pdu_decode_submit_sm(c, (size_t)cut, &out), 0);
    }
    /* A message_payload bigger than one part. */
    size_t m = (size_t)n;
    pdu[m - 6] = 0; /* sm_length 0 */
    m -= 5;
    m += put_tlv(pdu + m, 0x0424, 300, 'x');
    put32(pdu, (uint32_t)m);
    ck_assert_uint_eq(smpp_pdu_decode_submit_sm(pdu, m, &out), SMPP_ESME_RINVMSGLEN);
}
END_TEST

/* ---- bind ------------------------------------------------------------------------------- */

START_TEST(test_bind_round_trip)
{
    uint8_t pdu[128];
    char id[16], pw[9], st[13];
    int n = smpp_pdu_pack_bind_trx(pdu, sizeof pdu, 1, "ermgw", "secret", "");
    ck_assert_int_gt(n, 0);
    struct smpp_hdr h;
    smpp_hdr_read(pdu, &h);
    ck_assert_uint_eq(h.id, SMPP_BIND_TRANSCEIVER);
    ck_assert_uint_eq(h.len, (uint32_t)n);
    /* system_id, password, system_type, version 0x34, TON, NPI, address_range */
    static const uint8_t body[] = "ermgw\0secret\0\0\x34\0\0";
    ck_assert_int_eq(n, 16 + (int)sizeof body);
    ck_assert_mem_eq(pdu + 16, body, sizeof body);
    ck_assert_uint_eq(
        smpp_pdu_decode_bind(pdu, (size_t)n, id, sizeof id, pw, sizeof pw, st, sizeof st), 0);
    ck_assert_str_eq(id, "ermgw");
    ck_assert_str_eq(pw, "secret");
    ck_assert_str_eq(st, "");

    ck_assert_int_eq(smpp_pdu_pack_bind_trx(pdu, sizeof pdu, 1, "0123456789abcdef", "x", ""),
                     -EINVAL);
    ck_assert_int_eq(smpp_pdu_pack_bind_trx(pdu, sizeof pdu, 1, "a", "123456789", ""), -EINVAL);

    /* Too small a buffer for the password: refused, never truncated into a match. */
    n = smpp_pdu_pack_bind_trx(pdu, sizeof pdu, 0, "ermgw", "secretXY", "VMA");
    ck_assert_int_gt(n, 0);
    ck_assert_uint_eq(smpp_pdu_decode_bind(pdu, (size_t)n, id, sizeof id, pw, 7, st, sizeof st),
                      SMPP_ESME_RINVPASWD);
    ck_assert_uint_eq(
        smpp_pdu_decode_bind(pdu, (size_t)n, id, sizeof id, pw, sizeof pw, st, sizeof st), 0);
    ck_assert_str_eq(st, "VMA");

    /* A version 0x33 client, unterminated password, trailing junk. */
    n = smpp_pdu_pack_bind_trx(pdu, sizeof pdu, 2, "ermgw", "secret", "");
    pdu[n - 4] = 0x33;
    ck_assert_uint_eq(
        smpp_pdu_decode_bind(pdu, (size_t)n, id, sizeof id, pw, sizeof pw, st, sizeof st), 0);
    uint8_t bad[64];
    memcpy(bad, pdu, 16);
    memcpy(bad + 16, "ermgw\0secretsecret", 18);
    put32(bad, 34);
    ck_assert_uint_eq(smpp_pdu_decode_bind(bad, 34, id, sizeof id, pw, sizeof pw, st, sizeof st),
                      SMPP_ESME_RINVPASWD);
    memcpy(bad + 16, "ermgw\0secr", 10);
    put32(bad, 26);
    ck_assert_uint_eq(smpp_pdu_decode_bind(bad, 26, id, sizeof id, pw, sizeof pw, st, sizeof st),
                      SMPP_ESME_RINVCMDLEN);
    memcpy(bad, pdu, (size_t)n);
    bad[n] = 0;
    put32(bad, (uint32_t)n + 1);
    ck_assert_uint_eq(
        smpp_pdu_decode_bind(bad, (size_t)n + 1, id, sizeof id, pw, sizeof pw, st, sizeof st),
        SMPP_ESME_RINVCMDLEN);
}
END_TEST

/* ---- hand-built responses ----------------------------------------------------------------- */

START_TEST(test_build_resp_bytes)
{
    uint8_t b[64];
    static const uint8_t dsr[] = {0, 0, 0, 17, 0x80, 0, 0, 5, 0, 0, 0, 0x64, 1, 2, 3, 4, 0};
    ck_assert_uint_eq(smpp_pdu_build_resp(b, SMPP_DELIVER_SM_RESP, 0x64, 0x01020304), 17);
    ck_assert_mem_eq(b, dsr, 17);
    static const uint8_t dsr0[] = {0, 0, 0, 17, 0x80, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    ck_assert_uint_eq(smpp_pdu_build_resp(b, SMPP_DELIVER_SM_RESP, 0, 0), 17);
    ck_assert_mem_eq(b, dsr0, 17);
    static const uint8_t elr[] = {0, 0, 0, 16, 0x80, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 9};
    ck_assert_uint_eq(smpp_pdu_build_resp(b, SMPP_ENQUIRE_LINK_RESP, 0, 9), 16);
    ck_assert_mem_eq(b, elr, 16);
    static const uint8_t ubr[] = {0, 0, 0, 16, 0x80, 0, 0, 6, 0, 0, 0, 0, 0, 0, 1, 0};
    ck_assert_uint_eq(smpp_pdu_build_resp(b, SMPP_UNBIND_RESP, 0, 256), 16);
    ck_assert_mem_eq(b, ubr, 16);
    static const uint8_t gn[] = {0, 0, 0, 16, 0x80, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff};
    ck_assert_uint_eq(smpp_pdu_build_resp(b, SMPP_GENERIC_NACK, 3, 0xffffffffu), 16);
    ck_assert_mem_eq(b, gn, 16);
    static const uint8_t el[] = {0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 0x2a};
    ck_assert_uint_eq(smpp_pdu_build_simple(b, SMPP_ENQUIRE_LINK, 42), 16);
    ck_assert_mem_eq(b, el, 16);
    static const uint8_t ub[] = {0, 0, 0, 16, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0};
    ck_assert_uint_eq(smpp_pdu_build_simple(b, SMPP_UNBIND, 0), 16);
    ck_assert_mem_eq(b, ub, 16);
}
END_TEST

START_TEST(test_build_resp_cstring_bytes)
{
    uint8_t b[128];
    static const uint8_t ok[] = {0, 0, 0, 18, 0x80, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 7, '1', 0};
    ck_assert_int_eq(smpp_pdu_build_resp_cstring(b, sizeof b, SMPP_SUBMIT_SM_RESP, 0, 7, "1"), 18);
    ck_assert_mem_eq(b, ok, 18);
    static const uint8_t err[] = {0, 0, 0, 16, 0x80, 0, 0, 4, 0, 0, 0, 0x58, 0, 0, 0, 7};
    ck_assert_int_eq(
        smpp_pdu_build_resp_cstring(b, sizeof b, SMPP_SUBMIT_SM_RESP, 0x58, 7, "ignored"), 16);
    ck_assert_mem_eq(b, err, 16);
    static const uint8_t bind[] = {0, 0, 0, 21, 0x80, 0,   0,   9,   0,   0, 0,
                                   0, 0, 0, 0,  1,    's', 'm', 's', 'c', 0};
    ck_assert_int_eq(
        smpp_pdu_build_resp_cstring(b, sizeof b, SMPP_BIND_TRANSCEIVER_RESP, 0, 1, "smsc"), 21);
    ck_assert_mem_eq(b, bind, 21);
    static const uint8_t bindf[] = {0, 0, 0, 16, 0x80, 0, 0, 9, 0, 0, 0, 0x0e, 0, 0, 0, 1};
    ck_assert_int_eq(
        smpp_pdu_build_resp_cstring(b, sizeof b, SMPP_BIND_TRANSCEIVER_RESP, 0x0e, 1, "smsc"), 16);
    ck_assert_mem_eq(b, bindf, 16);
    ck_assert_int_eq(smpp_pdu_build_resp_cstring(b, 17, SMPP_SUBMIT_SM_RESP, 0, 7, "12"), -ENOSPC);
    ck_assert_int_eq(smpp_pdu_build_resp_cstring(b, sizeof b, SMPP_BIND_TRANSCEIVER_RESP, 0, 1,
                                                 "0123456789abcdef"),
                     -EINVAL);
}
END_TEST

START_TEST(test_resp_cstring_bounds)
{
    uint8_t b[128];
    char out[65];
    int n = smpp_pdu_build_resp_cstring(b, sizeof b, SMPP_SUBMIT_SM_RESP, 0, 7, "msg-0001");
    ck_assert_int_eq(smpp_pdu_resp_cstring(b, (size_t)n, out, sizeof out), 0);
    ck_assert_str_eq(out, "msg-0001");
    /* Unterminated within the PDU (the byte after it is a NUL the reader must not see). */
    b[n - 1] = 'X';
    b[n] = 0;
    ck_assert_int_eq(smpp_pdu_resp_cstring(b, (size_t)n, out, sizeof out), -EPROTO);
    /* Too long for the caller's buffer. */
    b[n - 1] = 0;
    ck_assert_int_eq(smpp_pdu_resp_cstring(b, (size_t)n, out, 8), -EPROTO);
    ck_assert_int_eq(smpp_pdu_resp_cstring(b, (size_t)n, out, 9), 0);
    /* No body: empty. An error status: empty whatever follows. */
    ck_assert_int_eq(smpp_pdu_resp_cstring(b, 16, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    b[n - 1] = 'X';
    put32(b + 8, 0x58);
    ck_assert_int_eq(smpp_pdu_resp_cstring(b, (size_t)n, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(smpp_pdu_resp_cstring(b, 15, out, sizeof out), -EPROTO);
    /* One exactly at the end. */
    ck_assert_int_eq(
        smpp_pdu_build_resp_cstring(b, sizeof b, SMPP_BIND_TRANSCEIVER_RESP, 0, 1, "SMSC"), 21);
    ck_assert_int_eq(smpp_pdu_resp_cstring(b, 21, out, sizeof out), 0);
    ck_assert_str_eq(out, "SMSC");
    ck_assert_int_eq(smpp_pdu_resp_cstring(b, 20, out, sizeof out), -EPROTO);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(smpp_command_name(SMPP_DELIVER_SM), "deliver_sm");
    ck_assert_str_eq(smpp_command_name(SMPP_DELIVER_SM_RESP), "deliver_sm_resp");
    ck_assert_str_eq(smpp_command_name(SMPP_SUBMIT_SM), "submit_sm");
    ck_assert_str_eq(smpp_command_name(SMPP_SUBMIT_SM_RESP), "submit_sm_resp");
    ck_assert_str_eq(smpp_command_name(SMPP_BIND_TRANSCEIVER), "bind_transceiver");
    ck_assert_str_eq(smpp_command_name(SMPP_BIND_TRANSCEIVER_RESP), "bind_transceiver_resp");
    ck_assert_str_eq(smpp_command_name(SMPP_ENQUIRE_LINK), "enquire_link");
    ck_assert_str_eq(smpp_command_name(SMPP_ENQUIRE_LINK_RESP), "enquire_link_resp");
    ck_assert_str_eq(smpp_command_name(SMPP_UNBIND), "unbind");
    ck_assert_str_eq(smpp_command_name(SMPP_UNBIND_RESP), "unbind_resp");
    ck_assert_str_eq(smpp_command_name(SMPP_GENERIC_NACK), "generic_nack");
    ck_assert_str_eq(smpp_command_name(0x00000103), "data_sm");
    ck_assert_str_eq(smpp_command_name(0), "unknown");
    ck_assert_str_eq(smpp_command_name(0x12345678), "unknown");
    ck_assert_str_eq(smpp_status_name(SMPP_ESME_ROK), "ESME_ROK");
    ck_assert_str_eq(smpp_status_name(SMPP_ESME_RINVPASWD), "ESME_RINVPASWD");
    ck_assert_str_eq(smpp_status_name(SMPP_ESME_RINVSYSID), "ESME_RINVSYSID");
    ck_assert_str_eq(smpp_status_name(SMPP_ESME_RX_T_APPN), "ESME_RX_T_APPN");
    ck_assert_str_eq(smpp_status_name(SMPP_ESME_RTHROTTLED), "ESME_RTHROTTLED");
    ck_assert_str_eq(smpp_status_name(SMPP_ESME_RINVOPTPARSTREAM), "ESME_RINVOPTPARSTREAM");
    ck_assert_str_eq(smpp_status_name(SMPP_ESME_RINVPARLEN), "ESME_RINVPARLEN");
    ck_assert_str_eq(smpp_status_name(SMPP_ESME_RUNKNOWNERR), "ESME_RUNKNOWNERR");
    ck_assert_str_eq(smpp_status_name(0x400), "unknown");
    ck_assert_str_eq(smpp_status_name(0xffffffffu), "unknown");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("smpp_pdu");
    TCase *f = tcase_create("framer");
    tcase_add_test(f, test_framer_byte_at_a_time);
    tcase_add_test(f, test_framer_two_in_one_chunk);
    tcase_add_test(f, test_framer_random_chunks);
    tcase_add_test(f, test_framer_len_below_16);
    tcase_add_test(f, test_framer_len_above_max);
    tcase_add_test(f, test_framer_exactly_max);
    tcase_add_test(f, test_hdr_read);
    suite_add_tcase(s, f);

    TCase *t = tcase_create("tlv");
    tcase_add_test(t, test_tlv_16_ok_17_refused);
    tcase_add_test(t, test_tlv_40_and_100_never_reach_libsmpp34);
    tcase_add_test(t, test_tlv_truncated);
    tcase_add_test(t, test_tlv_fixed_lengths);
    suite_add_tcase(s, t);

    TCase *d = tcase_create("pdus");
    tcase_add_test(d, test_deliver_round_trip_ucs2);
    tcase_add_test(d, test_deliver_payload_500);
    tcase_add_test(d, test_deliver_receipt);
    tcase_add_test(d, test_deliver_seq0_status_ton);
    tcase_add_test(d, test_deliver_truncated);
    tcase_add_test(d, test_deliver_unterminated_strings);
    tcase_add_test(d, test_submit_round_trip);
    tcase_add_test(d, test_submit_pack_errors);
    tcase_add_test(d, test_submit_decode_bad);
    tcase_add_test(d, test_bind_round_trip);
    suite_add_tcase(s, d);

    TCase *r = tcase_create("responses");
    tcase_add_test(r, test_build_resp_bytes);
    tcase_add_test(r, test_build_resp_cstring_bytes);
    tcase_add_test(r, test_resp_cstring_bounds);
    tcase_add_test(r, test_names);
    suite_add_tcase(s, r);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
