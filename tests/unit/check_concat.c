/*
 * check_concat.c: unit tests of core/concat.c (concatenation IEs with 8- and 16-bit
 * references, other IEs around them, SAR values, malformed headers, joining parts in any
 * order with duplicates and gaps) and core/mokey.c (SHA-256 against FIPS 180-4 vectors, and
 * which fields make two MOs' keys differ).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/concat.h"
#include "core/mokey.h"

/* ---- UDH and SAR ---- */

START_TEST(test_udh_8bit)
{
    static const uint8_t sm[] = {0x05, 0x00, 0x03, 0xA7, 0x03, 0x02, 'h', 'i'};
    struct concat_info ci;
    ck_assert_int_eq(concat_from_udh(0x40, sm, sizeof sm, &ci), 0);
    ck_assert_int_eq(ci.is_part, 1);
    ck_assert_uint_eq(ci.ref, 0xA7);
    ck_assert_uint_eq(ci.total, 3);
    ck_assert_uint_eq(ci.seqnum, 2);
    ck_assert_uint_eq(ci.skip, 6);
}
END_TEST

START_TEST(test_udh_16bit_among_others)
{
    /* A port-addressing IE (05, 4 bytes) before the 16-bit concatenation IE. */
    static const uint8_t sm[] = {0x0C, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0,
                                 0x08, 0x04, 0x12, 0x34, 0x02, 0x01, 'x'};
    struct concat_info ci;
    ck_assert_int_eq(concat_from_udh(0x43, sm, sizeof sm, &ci), 0);
    ck_assert_int_eq(ci.is_part, 1);
    ck_assert_uint_eq(ci.ref, CONCAT_REF_UDH16 | 0x1234);
    ck_assert_uint_eq(ci.total, 2);
    ck_assert_uint_eq(ci.seqnum, 1);
    ck_assert_uint_eq(ci.skip, 13);
}
END_TEST

START_TEST(test_udh_whole_messages)
{
    static const uint8_t plain[] = {0x05, 0x00, 0x03, 0x01, 0x02, 0x01};
    static const uint8_t ports[] = {0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 'a'};
    static const uint8_t one[] = {0x05, 0x00, 0x03, 0x09, 0x01, 0x01, 'z'};
    struct concat_info ci;
    /* Without the UDHI bit the bytes are text, whatever they look like. */
    ck_assert_int_eq(concat_from_udh(0x00, plain, sizeof plain, &ci), 0);
    ck_assert_int_eq(ci.is_part, 0);
    ck_assert_uint_eq(ci.skip, 0);
    ck_assert_int_eq(concat_from_udh(0x40, ports, sizeof ports, &ci), 0);
    ck_assert_int_eq(ci.is_part, 0);
    ck_assert_uint_eq(ci.skip, 7);
    ck_assert_int_eq(concat_from_udh(0x40, one, sizeof one, &ci), 0);
    ck_assert_int_eq(ci.is_part, 0);
    ck_assert_uint_eq(ci.skip, 6);
}
END_TEST

START_TEST(test_udh_malformed)
{
    static const uint8_t too_long[] = {0x09, 0x00, 0x03, 0x01, 0x02, 0x01};
    static const uint8_t ie_over[] = {0x03, 0x00, 0x05, 0x01, 'a', 'b'};
    static const uint8_t seq0[] = {0x05, 0x00, 0x03, 0x01, 0x02, 0x00};
    static const uint8_t seq_over[] = {0x05, 0x00, 0x03, 0x01, 0x02, 0x03};
    static const uint8_t total0[] = {0x05, 0x00, 0x03, 0x01, 0x00, 0x00};
    static const uint8_t half_ie[] = {0x01, 0x00, 'a'};
    const struct {
        const uint8_t *p;
        size_t len;
    } cases[] = {{too_long, sizeof too_long},
                 {ie_over, sizeof ie_over},
                 {seq0, sizeof seq0},
                 {seq_over, sizeof seq_over},
                 {total0, sizeof total0},
                 {half_ie, sizeof half_ie},
                 {too_long, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct concat_info ci;
        ck_assert_msg(concat_from_udh(0x40, cases[i].p, cases[i].len, &ci) == -EINVAL, "case %zu",
                      i);
        ck_assert_int_eq(ci.is_part, 0);
        ck_assert_uint_eq(ci.skip, 0);
    }
}
END_TEST

START_TEST(test_sar)
{
    struct concat_info ci;
    ck_assert_int_eq(concat_from_sar(0xBEEF, 4, 4, &ci), 0);
    ck_assert_int_eq(ci.is_part, 1);
    ck_assert_uint_eq(ci.ref, CONCAT_REF_SAR | 0xBEEF);
    ck_assert_uint_eq(ci.total, 4);
    ck_assert_uint_eq(ci.seqnum, 4);
    ck_assert_uint_eq(ci.skip, 0);
    ck_assert_int_eq(concat_from_sar(7, 1, 1, &ci), 0);
    ck_assert_int_eq(ci.is_part, 0);
    ck_assert_int_eq(concat_from_sar(7, 2, 0, &ci), -EINVAL);
    ck_assert_int_eq(concat_from_sar(7, 2, 3, &ci), -EINVAL);
    ck_assert_int_eq(concat_from_sar(7, 0, 0, &ci), -EINVAL);
    ck_assert_int_eq(ci.is_part, 0);
    /* The three kinds of reference never meet. */
    struct concat_info a, b, c;
    static const uint8_t u8[] = {0x05, 0x00, 0x03, 0x07, 0x02, 0x01};
    static const uint8_t u16[] = {0x06, 0x08, 0x04, 0x00, 0x07, 0x02, 0x01};
    concat_from_udh(0x40, u8, sizeof u8, &a);
    concat_from_udh(0x40, u16, sizeof u16, &b);
    concat_from_sar(7, 2, 1, &c);
    ck_assert_uint_ne(a.ref, b.ref);
    ck_assert_uint_ne(b.ref, c.ref);
    ck_assert_uint_ne(a.ref, c.ref);
}
END_TEST

/* ---- joining ---- */

START_TEST(test_join_out_of_order_dups)
{
    const struct concat_part parts[] = {
        {3, (const uint8_t *)"ghi", 3},
        {1, (const uint8_t *)"abc", 3},
        {3, (const uint8_t *)"XXX", 3},
        {2, (const uint8_t *)"def", 3},
    };
    uint8_t out[16];
    unsigned missing = 9;
    ck_assert_int_eq(concat_join(parts, 4, 3, out, sizeof out, &missing), 9);
    ck_assert_int_eq(memcmp(out, "abcdefghi", 9), 0);
    ck_assert_uint_eq(missing, 0);
}
END_TEST

START_TEST(test_join_gaps)
{
    const struct concat_part parts[] = {{4, (const uint8_t *)"d", 1}, {1, (const uint8_t *)"a", 1}};
    uint8_t out[16];
    unsigned missing = 0;
    ck_assert_int_eq(concat_join(parts, 2, 5, out, sizeof out, &missing), 2);
    ck_assert_int_eq(memcmp(out, "ad", 2), 0);
    ck_assert_uint_eq(missing, 3);
    ck_assert_int_eq(concat_join(NULL, 0, 2, out, sizeof out, &missing), 0);
    ck_assert_uint_eq(missing, 2);
}
END_TEST

START_TEST(test_join_ucs2_split_character)
{
    /* U+1F600 as a surrogate pair split between two parts: joined bytes are whole again. */
    static const uint8_t p1[] = {0x00, 'a', 0xD8, 0x3D};
    static const uint8_t p2[] = {0xDE, 0x00};
    const struct concat_part parts[] = {{2, p2, 2}, {1, p1, 4}};
    static const uint8_t want[] = {0x00, 'a', 0xD8, 0x3D, 0xDE, 0x00};
    uint8_t out[8];
    unsigned missing;
    ck_assert_int_eq(concat_join(parts, 2, 2, out, sizeof out, &missing), 6);
    ck_assert_int_eq(memcmp(out, want, 6), 0);
}
END_TEST

START_TEST(test_join_bounds)
{
    const struct concat_part parts[] = {{1, (const uint8_t *)"abcd", 4},
                                        {2, (const uint8_t *)"efgh", 4}};
    const struct concat_part bad[] = {{3, (const uint8_t *)"x", 1}};
    const struct concat_part zero[] = {{0, (const uint8_t *)"x", 1}};
    uint8_t out[8];
    unsigned missing;
    ck_assert_int_eq(concat_join(parts, 2, 2, out, 7, &missing), -ENOSPC);
    ck_assert_int_eq(concat_join(parts, 2, 2, out, 8, &missing), 8);
    ck_assert_int_eq(concat_join(bad, 1, 2, out, 8, &missing), -EINVAL);
    ck_assert_int_eq(concat_join(zero, 1, 2, out, 8, &missing), -EINVAL);
}
END_TEST

/* ---- keys ---- */

static void hex32(const uint8_t d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

START_TEST(test_sha256_vectors)
{
    uint8_t d[32];
    char h[65];
    mokey_sha256((const uint8_t *)"", 0, d);
    hex32(d, h);
    ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    mokey_sha256((const uint8_t *)"abc", 3, d);
    hex32(d, h);
    ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    mokey_sha256((const uint8_t *)two, strlen(two), d);
    hex32(d, h);
    ck_assert_str_eq(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    uint8_t *million = malloc(1000000);
    ck_assert_ptr_nonnull(million);
    memset(million, 'a', 1000000);
    mokey_sha256(million, 1000000, d);
    free(million);
    hex32(d, h);
    ck_assert_str_eq(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(test_mokey_fields)
{
    static const uint8_t text[] = "10001";
    const struct mokey_in base = {"13900000001", "10086", 0, 0, 0, 0, 0, text, 5};
    char k0[MOKEY_HEX_LEN + 1], k[MOKEY_HEX_LEN + 1];
    mokey_make(&base, k0);
    ck_assert_uint_eq(strlen(k0), MOKEY_HEX_LEN);
    mokey_make(&base, k);
    ck_assert_str_eq(k, k0); /* the same MO: the same key */

    struct mokey_in v[9];
    for (int i = 0; i < 9; i++)
        v[i] = base;
    v[0].source = "13900000002";
    v[1].dest = "1008610001";
    v[2].data_coding = 8;
    v[3].esm_class = 0x40;
    v[4].ref = 1;
    v[5].total = 2;
    v[6].seqnum = 1;
    v[7].len = 4;
    /* Fields cannot slide into each other: "1390000000" + "110086" is not the same. */
    v[8].source = "1390000000";
    v[8].dest = "110086";
    for (int i = 0; i < 9; i++) {
        mokey_make(&v[i], k);
        ck_assert_msg(strcmp(k, k0) != 0, "field %d makes no difference", i);
    }
}
END_TEST

static Suite *concat_suite(void)
{
    Suite *s = suite_create("concat");
    TCase *udh = tcase_create("udh_sar");
    TCase *join = tcase_create("join");
    TCase *key = tcase_create("mokey");

    tcase_add_test(udh, test_udh_8bit);
    tcase_add_test(udh, test_udh_16bit_among_others);
    tcase_add_test(udh, test_udh_whole_messages);
    tcase_add_test(udh, test_udh_malformed);
    tcase_add_test(udh, test_sar);
    tcase_add_test(join, test_join_out_of_order_dups);
    tcase_add_test(join, test_join_gaps);
    tcase_add_test(join, test_join_ucs2_split_character);
    tcase_add_test(join, test_join_bounds);
    tcase_add_test(key, test_sha256_vectors);
    tcase_add_test(key, test_mokey_fields);
    suite_add_tcase(s, udh);
    suite_add_tcase(s, join);
    suite_add_tcase(s, key);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(concat_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
