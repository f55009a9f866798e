/*
 * check_cmpp_codec.c: unit tests of gateway/cmpp_codec.c: the login's MD5 authenticators
 * against Python's hashlib (values computed outside this code), byte layouts of CONNECT,
 * ACTIVE_TEST_RESP (13 bytes), SUBMIT/DELIVER in 2.0 and 3.0 at the offsets the
 * specification gives, round trips, every truncation refused, counts out of range, the
 * framer's bounds and splits.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/cmpp_codec.h"

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* python3: hashlib.md5(b'901234' + b'\0'*9 + b's3cret' + b'1205071130') */
START_TEST(test_auth_source)
{
    uint8_t a[16];
    char h[33];
    uint32_t ts = cmpp_codec_timestamp(12, 5, 7, 11, 30);
    ck_assert_uint_eq(ts, 1205071130u);
    cmpp_codec_auth_source("901234", "s3cret", ts, a);
    hex(a, 16, h);
    ck_assert_str_eq(h, "5028c3c5a6f396169d29842c67cf6e12");
}
END_TEST

/* hashlib.md5(status (4 bytes in 3.0, 1 in 2.0) + AuthenticatorSource + b's3cret') */
START_TEST(test_auth_ismg)
{
    uint8_t a[16], i[16];
    char h[33];
    cmpp_codec_auth_source("901234", "s3cret", 1205071130u, a);
    cmpp_codec_auth_ismg(CMPP_V30, 0, a, "s3cret", i);
    hex(i, 16, h);
    ck_assert_str_eq(h, "2cc0c118839b2b448fb442cb3fc95564");
    cmpp_codec_auth_ismg(CMPP_V20, 0, a, "s3cret", i);
    hex(i, 16, h);
    ck_assert_str_eq(h, "54c14dd60b41f0e16d37d6d8a9d30d7b");
}
END_TEST

START_TEST(test_connect_layout)
{
    struct cmpp_connect c = {.version = CMPP_V30, .timestamp = 1205071130u}, d;
    uint8_t buf[64];
    strcpy(c.source_addr, "901234");
    memset(c.auth, 0xAB, 16);
    int n = cmpp_codec_pack_connect(buf, sizeof buf, 7, &c);
    ck_assert_int_eq(n, CMPP_CONNECT_LEN);
    ck_assert_uint_eq(get32(buf), 39);
    ck_assert_uint_eq(get32(buf + 4), CMPP_CONNECT);
    ck_assert_uint_eq(get32(buf + 8), 7);
    ck_assert_int_eq(memcmp(buf + 12, "901234", 6), 0);
    ck_assert_uint_eq(buf[18], 0xAB);
    ck_assert_uint_eq(buf[34], 0x30);
    ck_assert_uint_eq(get32(buf + 35), 1205071130u);
    ck_assert_int_eq(cmpp_codec_unpack_connect(buf, (size_t)n, &d), 0);
    ck_assert_str_eq(d.source_addr, "901234");
    ck_assert_uint_eq(d.timestamp, 1205071130u);
    for (size_t cut = 0; cut < (size_t)n; cut++)
        ck_assert_int_eq(cmpp_codec_unpack_connect(buf, cut, &d), -EBADMSG);
    ck_assert_int_eq(cmpp_codec_pack_connect(buf, 38, 7, &c), -ENOSPC);
    c.version = 0x31;
    ck_assert_int_eq(cmpp_codec_pack_connect(buf, sizeof buf, 7, &c), -EINVAL);
}
END_TEST

START_TEST(test_connect_resp_versions)
{
    struct cmpp_connect_resp r = {.status = 3, .version = 0x30}, d;
    uint8_t buf[64];
    memset(r.auth, 0x5A, 16);
    int n = cmpp_codec_pack_connect_resp(buf, sizeof buf, CMPP_V30, 1, &r);
    ck_assert_int_eq(n, 33);
    ck_assert_uint_eq(get32(buf + 12), 3);
    ck_assert_int_eq(cmpp_codec_unpack_connect_resp(buf, 33, CMPP_V30, &d), 0);
    ck_assert_uint_eq(d.status, 3);
    ck_assert_int_eq(cmpp_codec_unpack_connect_resp(buf, 33, CMPP_V20, &d), -EBADMSG);
    r.version = 0x20;
    n = cmpp_codec_pack_connect_resp(buf, sizeof buf, CMPP_V20, 1, &r);
    ck_assert_int_eq(n, 30);
    ck_assert_uint_eq(buf[12], 3);
    ck_assert_int_eq(cmpp_codec_unpack_connect_resp(buf, 30, CMPP_V20, &d), 0);
    ck_assert_uint_eq(d.status, 3);
    ck_assert_uint_eq(d.auth[15], 0x5A);
    r.status = 256; /* does not fit 2.0's byte */
    ck_assert_int_eq(cmpp_codec_pack_connect_resp(buf, sizeof buf, CMPP_V20, 1, &r), -EINVAL);
}
END_TEST

START_TEST(test_simple_and_active_resp)
{
    uint8_t buf[16];
    ck_assert_int_eq(cmpp_codec_pack_simple(buf, sizeof buf, CMPP_ACTIVE_TEST, 9), 12);
    ck_assert_uint_eq(get32(buf), 12);
    ck_assert_int_eq(cmpp_codec_pack_active_test_resp(buf, sizeof buf, 9), CMPP_ACTIVE_RESP_LEN);
    ck_assert_uint_eq(get32(buf), 13);
    ck_assert_uint_eq(get32(buf + 4), CMPP_ACTIVE_TEST_RESP);
    ck_assert_int_eq(cmpp_codec_pack_active_test_resp(buf, 12, 9), -ENOSPC);
}
END_TEST

START_TEST(test_result_versions)
{
    struct cmpp_result r = {0x0102030405060708ull, 8}, d;
    uint8_t buf[32];
    ck_assert_int_eq(cmpp_codec_pack_result(buf, sizeof buf, CMPP_V30, CMPP_SUBMIT_RESP, 4, &r),
                     24);
    ck_assert_uint_eq(get32(buf + 20), 8);
    ck_assert_int_eq(cmpp_codec_unpack_result(buf, 24, CMPP_V30, &d), 0);
    ck_assert(d.msg_id == r.msg_id && d.result == 8);
    ck_assert_int_eq(cmpp_codec_pack_result(buf, sizeof buf, CMPP_V20, CMPP_DELIVER_RESP, 4, &r),
                     21);
    ck_assert_uint_eq(buf[20], 8);
    ck_assert_int_eq(cmpp_codec_unpack_result(buf, 21, CMPP_V20, &d), 0);
    ck_assert_int_eq(cmpp_codec_unpack_result(buf, 21, CMPP_V30, &d), -EBADMSG);
    ck_assert_int_eq(cmpp_codec_pack_result(buf, sizeof buf, CMPP_V20, CMPP_SUBMIT, 4, &r),
                     -EINVAL);
}
END_TEST

static void fill_submit(struct cmpp_submit *m)
{
    memset(m, 0, sizeof *m);
    m->pk_total = 2;
    m->pk_number = 1;
    m->registered_delivery = 1;
    strcpy(m->service_id, "ERM");
    strcpy(m->msg_src, "901234");
    strcpy(m->fee_type, "01");
    strcpy(m->src_id, "1008610001");
    strcpy(m->dest, "13800138000");
    m->tp_udhi = 1;
    m->msg_fmt = 8;
    m->msg_length = 10;
    memcpy(m->msg_content, "\x05\x00\x03\x2A\x02\x01\x4F\x60\x59\x7D", 10);
    strcpy(m->link_id, "L1");
}

/* Offsets from the specification: 3.0 has 32-byte terminal ids and their types, LinkID 20;
 * 2.0 21-byte ids, no types, Reserve 8. */
START_TEST(test_submit_layouts)
{
    struct cmpp_submit m, d;
    uint8_t buf[512];
    fill_submit(&m);
    int n = cmpp_codec_pack_submit(buf, sizeof buf, CMPP_V30, 3, &m);
    ck_assert_int_eq(n, 12 + 129 + 32 + 1 + 1 + 10 + 20);
    ck_assert_uint_eq(buf[12 + 8 + 2], 1);                              /* Registered_Delivery */
    ck_assert_uint_eq(buf[12 + 8 + 4 + 10 + 1 + 32 + 1 + 1], 1);        /* TP_udhi */
    ck_assert_uint_eq(buf[12 + 8 + 4 + 10 + 1 + 32 + 1 + 2], 8);        /* Msg_Fmt */
    ck_assert_int_eq(memcmp(buf + 12 + 129 - 22, "1008610001", 10), 0); /* Src_Id */
    ck_assert_uint_eq(buf[12 + 128], 1);                                /* DestUsr_tl */
    ck_assert_int_eq(memcmp(buf + 12 + 129, "13800138000", 11), 0);
    ck_assert_uint_eq(buf[12 + 129 + 33], 10); /* Msg_Length */
    ck_assert_int_eq(cmpp_codec_unpack_submit(buf, (size_t)n, CMPP_V30, &d), 0);
    ck_assert_str_eq(d.dest, "13800138000");
    ck_assert_str_eq(d.src_id, "1008610001");
    ck_assert_str_eq(d.link_id, "L1");
    ck_assert_int_eq(memcmp(d.msg_content, m.msg_content, 10), 0);
    for (size_t cut = 0; cut < (size_t)n; cut++)
        ck_assert_int_eq(cmpp_codec_unpack_submit(buf, cut, CMPP_V30, &d), -EBADMSG);
    ck_assert_int_eq(cmpp_codec_unpack_submit(buf, (size_t)n, CMPP_V20, &d), -EBADMSG);

    n = cmpp_codec_pack_submit(buf, sizeof buf, CMPP_V20, 3, &m);
    ck_assert_int_eq(n, 12 + 117 + 21 + 1 + 10 + 8);
    ck_assert_uint_eq(buf[12 + 116], 1); /* DestUsr_tl */
    ck_assert_int_eq(cmpp_codec_unpack_submit(buf, (size_t)n, CMPP_V20, &d), 0);
    ck_assert_str_eq(d.dest, "13800138000");
    ck_assert_str_eq(d.link_id, "");
    buf[12 + 116] = 0; /* no destination */
    ck_assert_int_eq(cmpp_codec_unpack_submit(buf, (size_t)n, CMPP_V20, &d), -EBADMSG);
    buf[12 + 116] = 101;
    ck_assert_int_eq(cmpp_codec_unpack_submit(buf, (size_t)n, CMPP_V20, &d), -EBADMSG);
    strcpy(m.dest, "1234567890123456789012"); /* 22: one too many for 2.0 */
    ck_assert_int_eq(cmpp_codec_pack_submit(buf, sizeof buf, CMPP_V20, 3, &m), -EINVAL);
}
END_TEST

static void fill_deliver(struct cmpp_deliver *m, const char *text)
{
    memset(m, 0, sizeof *m);
    m->msg_id = 0xFEDCBA9876543210ull;
    strcpy(m->dest_id, "1008610001");
    strcpy(m->service_id, "ERM");
    strcpy(m->src_terminal_id, "13800138000");
    m->msg_length = (uint8_t)strlen(text);
    memcpy(m->msg_content, text, m->msg_length);
}

START_TEST(test_deliver_layouts)
{
    struct cmpp_deliver m, d;
    uint8_t buf[512];
    fill_deliver(&m, "10001");
    int n = cmpp_codec_pack_deliver(buf, sizeof buf, CMPP_V30, 5, &m);
    ck_assert_int_eq(n, 12 + 8 + 21 + 10 + 3 + 32 + 1 + 1 + 1 + 5 + 20);
    ck_assert_int_eq(memcmp(buf + 20, "1008610001", 10), 0);
    ck_assert_int_eq(memcmp(buf + 12 + 42, "13800138000", 11), 0);
    ck_assert_int_eq(cmpp_codec_unpack_deliver(buf, (size_t)n, CMPP_V30, &d), 0);
    ck_assert_str_eq(d.src_terminal_id, "13800138000");
    ck_assert_str_eq(d.dest_id, "1008610001");
    ck_assert(d.msg_id == m.msg_id);
    ck_assert_uint_eq(d.msg_length, 5);
    for (size_t cut = 0; cut < (size_t)n; cut++)
        ck_assert_int_eq(cmpp_codec_unpack_deliver(buf, cut, CMPP_V30, &d), -EBADMSG);
    /* a Msg_Length that says more than there is */
    buf[12 + 8 + 21 + 10 + 3 + 32 + 2] = 200;
    ck_assert_int_eq(cmpp_codec_unpack_deliver(buf, (size_t)n, CMPP_V30, &d), -EBADMSG);

    n = cmpp_codec_pack_deliver(buf, sizeof buf, CMPP_V20, 5, &m);
    ck_assert_int_eq(n, 12 + 8 + 21 + 10 + 3 + 21 + 1 + 1 + 5 + 8);
    ck_assert_int_eq(cmpp_codec_unpack_deliver(buf, (size_t)n, CMPP_V20, &d), 0);
    ck_assert_str_eq(d.src_terminal_id, "13800138000");
    /* a terminal id that fills its width has no NUL: still one C string */
    memset(buf + 12 + 42, '9', 21);
    ck_assert_int_eq(cmpp_codec_unpack_deliver(buf, (size_t)n, CMPP_V20, &d), 0);
    ck_assert_uint_eq(strlen(d.src_terminal_id), 21);
}
END_TEST

START_TEST(test_report_versions)
{
    struct cmpp_report r = {.msg_id = 42, .smsc_sequence = 77}, d;
    uint8_t buf[128];
    strcpy(r.stat, "DELIVRD");
    strcpy(r.submit_time, "2612050711");
    strcpy(r.done_time, "2612050712");
    strcpy(r.dest_terminal_id, "13800138000");
    ck_assert_int_eq(cmpp_codec_pack_report(buf, sizeof buf, CMPP_V30, &r), CMPP_REPORT_LEN30);
    ck_assert_int_eq(cmpp_codec_unpack_report(buf, CMPP_REPORT_LEN30, CMPP_V30, &d), 0);
    ck_assert_str_eq(d.stat, "DELIVRD");
    ck_assert_str_eq(d.done_time, "2612050712");
    ck_assert_uint_eq(d.smsc_sequence, 77);
    ck_assert_int_eq(cmpp_codec_unpack_report(buf, CMPP_REPORT_LEN30, CMPP_V20, &d), -EBADMSG);
    ck_assert_int_eq(cmpp_codec_pack_report(buf, sizeof buf, CMPP_V20, &r), CMPP_REPORT_LEN20);
    ck_assert_int_eq(cmpp_codec_unpack_report(buf, CMPP_REPORT_LEN20, CMPP_V20, &d), 0);
    ck_assert(d.msg_id == 42);
    ck_assert_int_eq(cmpp_codec_unpack_report(buf, CMPP_REPORT_LEN20 - 1, CMPP_V20, &d), -EBADMSG);
    char id[17];
    cmpp_codec_msg_id_text(42, id);
    ck_assert_str_eq(id, "000000000000002a");
}
END_TEST

START_TEST(test_framer)
{
    struct cmpp_codec_framer f;
    uint8_t two[25];
    const uint8_t *p;
    uint32_t len;
    cmpp_codec_pack_simple(two, 12, CMPP_ACTIVE_TEST, 1);
    cmpp_codec_pack_active_test_resp(two + 12, 13, 2);
    cmpp_codec_framer_init(&f, CMPP_MAX_LEN);
    for (size_t i = 0; i < sizeof two; i++) /* a byte at a time */
        ck_assert_int_eq(cmpp_codec_framer_push(&f, two + i, 1), 0);
    ck_assert_int_eq(cmpp_codec_framer_next(&f, &p, &len), 1);
    ck_assert_uint_eq(len, 12);
    ck_assert_int_eq(cmpp_codec_framer_next(&f, &p, &len), 1);
    ck_assert_uint_eq(len, 13);
    ck_assert_uint_eq(get32(p + 8), 2);
    ck_assert_int_eq(cmpp_codec_framer_next(&f, &p, &len), 0);
    ck_assert_uint_eq(cmpp_codec_framer_partial(&f), 0);
    uint8_t bad[4] = {0, 0, 0x0D, 0x08}; /* 3336: one above the bound */
    cmpp_codec_framer_push(&f, bad, 4);
    ck_assert_int_eq(cmpp_codec_framer_next(&f, &p, &len), -EBADMSG);
    ck_assert_uint_eq(len, 3336);
    cmpp_codec_framer_free(&f);
    cmpp_codec_framer_init(&f, 0);
    uint8_t small[4] = {0, 0, 0, 11};
    cmpp_codec_framer_push(&f, small, 4);
    ck_assert_int_eq(cmpp_codec_framer_next(&f, &p, &len), -EBADMSG);
    cmpp_codec_framer_free(&f);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(cmpp_codec_command_name(CMPP_DELIVER_RESP), "CMPP_DELIVER_RESP");
    ck_assert_str_eq(cmpp_codec_command_name(0x77), "unknown");
    ck_assert(cmpp_codec_version_ok(0x20) && cmpp_codec_version_ok(0x30));
    ck_assert(!cmpp_codec_version_ok(0x21));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cmpp_codec");
    TCase *t = tcase_create("codec");
    tcase_add_test(t, test_auth_source);
    tcase_add_test(t, test_auth_ismg);
    tcase_add_test(t, test_connect_layout);
    tcase_add_test(t, test_connect_resp_versions);
    tcase_add_test(t, test_simple_and_active_resp);
    tcase_add_test(t, test_result_versions);
    tcase_add_test(t, test_submit_layouts);
    tcase_add_test(t, test_deliver_layouts);
    tcase_add_test(t, test_report_versions);
    tcase_add_test(t, test_framer);
    tcase_add_test(t, test_names);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
