/*
 * check_codeplan.c: unit tests of core/codeplan.c: widths, composing and parsing codes,
 * quota bounds, product and service checks, the clash rule (checked against the
 * requirement itself: no code may parse two ways) and splitting a destination address.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/codeplan.h"

START_TEST(test_width)
{
    ck_assert_int_eq(codeplan_width(1), 1);
    ck_assert_int_eq(codeplan_width(9), 1);
    ck_assert_int_eq(codeplan_width(10), 2);
    ck_assert_int_eq(codeplan_width(99), 2);
    ck_assert_int_eq(codeplan_width(100), 3);
    ck_assert_int_eq(codeplan_width(999), 3);
    ck_assert_int_eq(codeplan_width(1000), 4);
    ck_assert_int_eq(codeplan_width(CODEPLAN_MAX_QUOTA), 7);
    ck_assert_int_eq(codeplan_width(100000), 6);
    ck_assert_int_eq(codeplan_width(0), -ERANGE);
    ck_assert_int_eq(codeplan_width(CODEPLAN_MAX_QUOTA + 1), -ERANGE);
}
END_TEST

START_TEST(test_check_product)
{
    ck_assert_int_eq(codeplan_check_product("10"), 0);
    ck_assert_int_eq(codeplan_check_product("1"), 0);
    ck_assert_int_eq(codeplan_check_product("12345678"), 0);
    ck_assert_int_eq(codeplan_check_product("123456789"), -EINVAL);
    ck_assert_int_eq(codeplan_check_product(""), -EINVAL);
    ck_assert_int_eq(codeplan_check_product("0"), -EINVAL);
    ck_assert_int_eq(codeplan_check_product("010"), -EINVAL);
    ck_assert_int_eq(codeplan_check_product("1a"), -EINVAL);
    ck_assert_int_eq(codeplan_check_product(" 10"), -EINVAL);
    ck_assert_int_eq(codeplan_check_product(NULL), -EINVAL);
}
END_TEST

START_TEST(test_check_service)
{
    ck_assert_int_eq(codeplan_check_service("10086"), 0);
    ck_assert_int_eq(codeplan_check_service("100"), 0);
    ck_assert_int_eq(codeplan_check_service("12345678901234567890"), 0);
    ck_assert_int_eq(codeplan_check_service("123456789012345678901"), -EINVAL);
    ck_assert_int_eq(codeplan_check_service("10"), -EINVAL);
    ck_assert_int_eq(codeplan_check_service("1008a"), -EINVAL);
    ck_assert_int_eq(codeplan_check_service("+10086"), -EINVAL);
    ck_assert_int_eq(codeplan_check_service(NULL), -EINVAL);
}
END_TEST

START_TEST(test_sms_code)
{
    char out[32];

    ck_assert_int_eq(codeplan_sms_code("10", 100, 1, out, sizeof out), 0);
    ck_assert_str_eq(out, "10001");
    ck_assert_int_eq(codeplan_sms_code("10", 100, 100, out, sizeof out), 0);
    ck_assert_str_eq(out, "10100");
    ck_assert_int_eq(codeplan_sms_code("10", 99, 7, out, sizeof out), 0);
    ck_assert_str_eq(out, "1007");
    ck_assert_int_eq(codeplan_sms_code("7", 9, 9, out, sizeof out), 0);
    ck_assert_str_eq(out, "79");
    ck_assert_int_eq(codeplan_sms_code("12345678", CODEPLAN_MAX_QUOTA, 42, out, sizeof out), 0);
    ck_assert_str_eq(out, "123456780000042");
    ck_assert_uint_eq(strlen(out), CODEPLAN_MAX_CODE_LEN);
}
END_TEST

START_TEST(test_sms_code_bounds)
{
    char out[32];

    ck_assert_int_eq(codeplan_sms_code("10", 100, 0, out, sizeof out), -ERANGE);
    ck_assert_int_eq(codeplan_sms_code("10", 100, 101, out, sizeof out), -ERANGE);
    ck_assert_int_eq(codeplan_sms_code("10", 0, 1, out, sizeof out), -ERANGE);
    ck_assert_int_eq(codeplan_sms_code("10", CODEPLAN_MAX_QUOTA + 1, 1, out, sizeof out), -ERANGE);
    ck_assert_int_eq(codeplan_sms_code("010", 100, 1, out, sizeof out), -EINVAL);
    ck_assert_int_eq(codeplan_sms_code(NULL, 100, 1, out, sizeof out), -EINVAL);
    ck_assert_int_eq(codeplan_sms_code("10", 100, 1, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_sms_code_nospace)
{
    char out[8];

    memset(out, 'x', sizeof out);
    ck_assert_int_eq(codeplan_sms_code("10", 100, 1, out, 5), -ENOSPC);
    ck_assert_str_eq(out, ""); /* never a cut code */
    ck_assert_int_eq(codeplan_sms_code("10", 100, 1, out, 6), 0);
    ck_assert_str_eq(out, "10001");
}
END_TEST

START_TEST(test_phone_code)
{
    char out[40];

    ck_assert_int_eq(codeplan_phone_code("10086", "10001", out, sizeof out), 0);
    ck_assert_str_eq(out, "1008610001");
    ck_assert_int_eq(codeplan_phone_code("10086", "", out, sizeof out), -EINVAL);
    ck_assert_int_eq(codeplan_phone_code("10086", "10a01", out, sizeof out), -EINVAL);
    ck_assert_int_eq(codeplan_phone_code("10086", "1234567890123456", out, sizeof out), -EINVAL);
    ck_assert_int_eq(codeplan_phone_code("10", "10001", out, sizeof out), -EINVAL);
    ck_assert_int_eq(codeplan_phone_code(NULL, "10001", out, sizeof out), -EINVAL);
    ck_assert_int_eq(codeplan_phone_code("10086", "10001", out, 10), -ENOSPC);
    ck_assert_int_eq(codeplan_phone_code("10086", "10001", out, 11), 0);
    ck_assert_str_eq(out, "1008610001");
}
END_TEST

START_TEST(test_parse)
{
    uint32_t seq = 0;

    ck_assert_int_eq(codeplan_parse("10001", "10", 100, &seq), 0);
    ck_assert_uint_eq(seq, 1);
    ck_assert_int_eq(codeplan_parse("10100", "10", 100, &seq), 0);
    ck_assert_uint_eq(seq, 100);
    ck_assert_int_eq(codeplan_parse("10057", "10", 100, &seq), 0);
    ck_assert_uint_eq(seq, 57);
    /* the design's ambiguity: the same text is also product 100's sequence 01 */
    ck_assert_int_eq(codeplan_parse("10001", "100", 10, &seq), 0);
    ck_assert_uint_eq(seq, 1);
}
END_TEST

START_TEST(test_parse_refused)
{
    uint32_t seq = 77;

    ck_assert_int_eq(codeplan_parse("10000", "10", 100, &seq), -ERANGE);
    ck_assert_int_eq(codeplan_parse("10101", "10", 100, &seq), -ERANGE);
    ck_assert_int_eq(codeplan_parse("10999", "10", 100, &seq), -ERANGE);
    ck_assert_int_eq(codeplan_parse("1001", "10", 100, &seq), -EINVAL);   /* too short */
    ck_assert_int_eq(codeplan_parse("100001", "10", 100, &seq), -EINVAL); /* too long */
    ck_assert_int_eq(codeplan_parse("11001", "10", 100, &seq), -EINVAL);  /* other product */
    ck_assert_int_eq(codeplan_parse("10a01", "10", 100, &seq), -EINVAL);
    ck_assert_int_eq(codeplan_parse("", "10", 100, &seq), -EINVAL);
    ck_assert_int_eq(codeplan_parse(NULL, "10", 100, &seq), -EINVAL);
    ck_assert_int_eq(codeplan_parse("10001", "010", 100, &seq), -EINVAL);
    ck_assert_int_eq(codeplan_parse("10001", "10", 0, &seq), -ERANGE);
    ck_assert_uint_eq(seq, 77); /* untouched on failure */
}
END_TEST

/* Every sequence of several quotas composes and parses back to itself. */
START_TEST(test_roundtrip)
{
    static const uint32_t quotas[] = {1, 9, 10, 11, 99, 100, 101, 999, 1000};
    char code[CODEPLAN_MAX_CODE_LEN + 1];
    uint32_t q = quotas[_i], s, got;

    for (s = 1; s <= q; s++) {
        ck_assert_int_eq(codeplan_sms_code("86", q, s, code, sizeof code), 0);
        ck_assert_uint_eq(strlen(code), 2 + (size_t)codeplan_width(q));
        ck_assert_int_eq(codeplan_parse(code, "86", q, &got), 0);
        ck_assert_uint_eq(got, s);
    }
}
END_TEST

START_TEST(test_clash_rule)
{
    /* equal codes clash whatever the quotas */
    ck_assert_int_eq(codeplan_clash("10", 100, "10", 100), 1);
    ck_assert_int_eq(codeplan_clash("10", 100, "10", 5), 1);
    /* prefix with a different width: 10001 parses both ways */
    ck_assert_int_eq(codeplan_clash("10", 100, "100", 10), 1);
    ck_assert_int_eq(codeplan_clash("100", 10, "10", 100), 1);
    ck_assert_int_eq(codeplan_clash("1", 1000, "10", 100), 1);
    /* prefix with a different width but different code lengths: refused all the same */
    ck_assert_int_eq(codeplan_clash("10", 99, "100", 1000), 1);
    /* prefix with the same width: 5- and 6-digit codes, no ambiguity */
    ck_assert_int_eq(codeplan_clash("10", 100, "100", 100), 0);
    ck_assert_int_eq(codeplan_clash("100", 999, "10", 100), 0);
    /* no prefix relation */
    ck_assert_int_eq(codeplan_clash("10", 100, "20", 10), 0);
    ck_assert_int_eq(codeplan_clash("11", 100, "12", 10), 0);
    ck_assert_int_eq(codeplan_clash("10", 100, "210", 10), 0); /* a suffix is no prefix */
}
END_TEST

START_TEST(test_clash_invalid)
{
    ck_assert_int_eq(codeplan_clash("010", 100, "10", 100), -EINVAL);
    ck_assert_int_eq(codeplan_clash("10", 100, NULL, 100), -EINVAL);
    ck_assert_int_eq(codeplan_clash("10", 0, "20", 100), -EINVAL);
    ck_assert_int_eq(codeplan_clash("10", 100, "20", CODEPLAN_MAX_QUOTA + 1), -EINVAL);
}
END_TEST

/* 1 when some code of (A, QA) also parses as a code of (B, QB). */
static int ambiguous(const char *a, uint32_t qa, const char *b, uint32_t qb)
{
    char code[CODEPLAN_MAX_CODE_LEN + 1];
    uint32_t s, got;

    for (s = 1; s <= qa; s++) {
        ck_assert_int_eq(codeplan_sms_code(a, qa, s, code, sizeof code), 0);
        if (codeplan_parse(code, b, qb, &got) == 0)
            return 1;
    }
    return 0;
}

/* The requirement itself, exhaustively over a small pool: two products the rule lets live
 * together (0) never share a code, whatever the pair. */
START_TEST(test_clash_requirement)
{
    static const char *const products[] = {"1", "10", "100", "1000", "101", "11", "2"};
    static const uint32_t quotas[] = {9, 10, 99, 100, 999, 1000};
    const size_t np = sizeof products / sizeof products[0], nq = sizeof quotas / sizeof quotas[0];
    size_t a, b, qa, qb;
    int refused = 0, allowed = 0;

    for (a = 0; a < np; a++)
        for (b = 0; b < np; b++)
            for (qa = 0; qa < nq; qa++)
                for (qb = 0; qb < nq; qb++) {
                    int c = codeplan_clash(products[a], quotas[qa], products[b], quotas[qb]);
                    if (c == 0) {
                        ck_assert_msg(!ambiguous(products[a], quotas[qa], products[b], quotas[qb]),
                                      "%s/%u and %s/%u share a code", products[a], quotas[qa],
                                      products[b], quotas[qb]);
                        allowed++;
                    } else {
                        ck_assert_int_eq(c, 1);
                        refused++;
                    }
                }
    /* the pool is neither all refused nor all allowed: the test checked something */
    ck_assert_int_gt(allowed, 0);
    ck_assert_int_gt(refused, 0);
}
END_TEST

START_TEST(test_split_dest)
{
    char ext[CODEPLAN_MAX_CODE_LEN + 1];

    ck_assert_int_eq(codeplan_split_dest("10086", "1008610001", ext, sizeof ext), 1);
    ck_assert_str_eq(ext, "10001");
    ck_assert_int_eq(codeplan_split_dest("10086", "100861", ext, sizeof ext), 1);
    ck_assert_str_eq(ext, "1");
    ck_assert_int_eq(codeplan_split_dest("10086", "10086", ext, sizeof ext), 0);
    ck_assert_int_eq(codeplan_split_dest("10086", "10010", ext, sizeof ext), -EINVAL);
    ck_assert_int_eq(codeplan_split_dest("10086", "1008", ext, sizeof ext), -EINVAL);
    ck_assert_int_eq(codeplan_split_dest("10086", "2008610001", ext, sizeof ext), -EINVAL);
    ck_assert_int_eq(codeplan_split_dest("10086", "+861008610001", ext, sizeof ext), -EINVAL);
    ck_assert_int_eq(codeplan_split_dest("10086", "10086100a1", ext, sizeof ext), -EINVAL);
    ck_assert_int_eq(codeplan_split_dest("10086", "", ext, sizeof ext), -EINVAL);
    ck_assert_int_eq(codeplan_split_dest("10086", NULL, ext, sizeof ext), -EINVAL);
    ck_assert_int_eq(codeplan_split_dest("10", "1010001", ext, sizeof ext), -EINVAL);
}
END_TEST

START_TEST(test_split_dest_nospace)
{
    char ext[8];

    ck_assert_int_eq(codeplan_split_dest("10086", "1008610001", ext, 5), -ENOSPC);
    ck_assert_int_eq(codeplan_split_dest("10086", "1008610001", ext, 6), 1);
    ck_assert_str_eq(ext, "10001");
}
END_TEST

static Suite *codeplan_suite(void)
{
    Suite *s = suite_create("codeplan");
    TCase *tc = tcase_create("codeplan");

    tcase_add_test(tc, test_width);
    tcase_add_test(tc, test_check_product);
    tcase_add_test(tc, test_check_service);
    tcase_add_test(tc, test_sms_code);
    tcase_add_test(tc, test_sms_code_bounds);
    tcase_add_test(tc, test_sms_code_nospace);
    tcase_add_test(tc, test_phone_code);
    tcase_add_test(tc, test_parse);
    tcase_add_test(tc, test_parse_refused);
    tcase_add_loop_test(tc, test_roundtrip, 0, 9);
    tcase_add_test(tc, test_clash_rule);
    tcase_add_test(tc, test_clash_invalid);
    tcase_add_test(tc, test_clash_requirement);
    tcase_add_test(tc, test_split_dest);
    tcase_add_test(tc, test_split_dest_nospace);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codeplan_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
