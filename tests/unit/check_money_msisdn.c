/*
 * check_money_msisdn.c: unit tests of core/money.c (yuan text to integer fen and back, no
 * floating point, bounds, negatives) and core/msisdn.c (normalising +86/86/0086 prefixes,
 * spaces and dashes; the 1[3-9] rule; masking).
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/msisdn.h"

/* ---- money ---- */

struct yuan_case {
    const char *text;
    int rc;
    int64_t fen;
};

static const struct yuan_case yuan_cases[] = {
    {"5", 0, 500},
    {"5.0", 0, 500},
    {"5.00", 0, 500},
    {"0.05", 0, 5},
    {"0.5", 0, 50},
    {"0.29", 0, 29}, /* 0.29 * 100 is 28.999... in a double */
    {"12.34", 0, 1234},
    {"05.00", 0, 500},
    {"0", 0, 0},
    {"1000000000", 0, MONEY_MAX_FEN},
    {"1000000000.00", 0, MONEY_MAX_FEN},
    {"999999999.99", 0, MONEY_MAX_FEN - 1},
    {"1000000000.01", -ERANGE, 0},
    {"1000000001", -ERANGE, 0},
    {"99999999999999999999999999", -ERANGE, 0},     /* no int64 overflow on the way */
    {"99999999999999999999999999.999", -EINVAL, 0}, /* shape before range */
    {"", -EINVAL, 0},
    {"5.", -EINVAL, 0},
    {".5", -EINVAL, 0},
    {"5.000", -EINVAL, 0},
    {"-5", -EINVAL, 0},
    {"+5", -EINVAL, 0},
    {"5e2", -EINVAL, 0},
    {" 5", -EINVAL, 0},
    {"5 ", -EINVAL, 0},
    {"1,000", -EINVAL, 0},
    {"5.0.0", -EINVAL, 0},
    {"abc", -EINVAL, 0},
    {"５", -EINVAL, 0},
};

START_TEST(test_parse_yuan)
{
    const struct yuan_case *c = &yuan_cases[_i];
    int64_t fen = -7;

    ck_assert_msg(money_parse_yuan(c->text, &fen) == c->rc, "\"%s\"", c->text);
    ck_assert_msg(fen == (c->rc ? -7 : c->fen), "\"%s\": %lld", c->text, (long long)fen);
}
END_TEST

START_TEST(test_parse_yuan_null)
{
    int64_t fen;

    ck_assert_int_eq(money_parse_yuan(NULL, &fen), -EINVAL);
    ck_assert_int_eq(money_parse_yuan("5", NULL), -EINVAL);
}
END_TEST

START_TEST(test_format)
{
    char out[32];

    ck_assert_int_eq(money_format(500, out, sizeof out), 4);
    ck_assert_str_eq(out, "5.00");
    ck_assert_int_eq(money_format(5, out, sizeof out), 4);
    ck_assert_str_eq(out, "0.05");
    ck_assert_int_eq(money_format(0, out, sizeof out), 4);
    ck_assert_str_eq(out, "0.00");
    ck_assert_int_eq(money_format(-5, out, sizeof out), 5);
    ck_assert_str_eq(out, "-0.05");
    ck_assert_int_eq(money_format(-12345, out, sizeof out), 7);
    ck_assert_str_eq(out, "-123.45");
    ck_assert_int_gt(money_format(123456789012, out, sizeof out), 0);
    ck_assert_str_eq(out, "1234567890.12");
    ck_assert_int_gt(money_format(INT64_MAX, out, sizeof out), 0);
    ck_assert_str_eq(out, "92233720368547758.07");
    ck_assert_int_gt(money_format(INT64_MIN, out, sizeof out), 0);
    ck_assert_str_eq(out, "-92233720368547758.08");
}
END_TEST

START_TEST(test_format_nospace)
{
    char out[8];

    memset(out, 'z', sizeof out);
    ck_assert_int_eq(money_format(-5, out, 5), -ENOSPC);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(money_format(-5, out, 6), 5);
    ck_assert_int_eq(money_format(-5, out, 0), -ENOSPC);
    ck_assert_int_eq(money_format(-5, NULL, 6), -EINVAL);
}
END_TEST

/* format and parse are inverse on every non-negative amount up to the maximum. */
START_TEST(test_money_roundtrip)
{
    static const int64_t amounts[] = {0, 1, 9, 10, 99, 100, 101, 500, 12345, MONEY_MAX_FEN};
    char out[32];
    int64_t back;
    unsigned i;

    for (i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
        ck_assert_int_gt(money_format(amounts[i], out, sizeof out), 0);
        ck_assert_int_eq(money_parse_yuan(out, &back), 0);
        ck_assert_int_eq(back, amounts[i]);
    }
}
END_TEST

/* ---- msisdn ---- */

struct msisdn_case {
    const char *in;
    int rc;
    const char *want;
};

static const struct msisdn_case msisdn_cases[] = {
    {"13800000001", 0, "13800000001"},
    {"+8613800000001", 0, "13800000001"},
    {"8613800000001", 0, "13800000001"},
    {"008613800000001", 0, "13800000001"},
    {"138 0000 0001", 0, "13800000001"},
    {"138-0000-0001", 0, "13800000001"},
    {"+86 138-0000-0001", 0, "13800000001"},
    {"  19912345678 ", 0, "19912345678"},
    {"17012345678", 0, "17012345678"},
    {"12800000001", -EINVAL, NULL}, /* 1[3-9] only */
    {"10086", -EINVAL, NULL},
    {"23800000001", -EINVAL, NULL},
    {"1380000000", -EINVAL, NULL},
    {"138000000011", -EINVAL, NULL},
    {"+13800000001", -EINVAL, NULL}, /* +1 is not China */
    {"+008613800000001", -EINVAL, NULL},
    {"8513800000001", -EINVAL, NULL},
    {"86 12800000001", -EINVAL, NULL},
    {"138_0000_0001", -EINVAL, NULL},
    {"-13800000001", -EINVAL, NULL},
    {"13800000001-", -EINVAL, NULL},
    {"138.0000.0001", -EINVAL, NULL},
    {"1380000000a", -EINVAL, NULL},
    {"１３８００００００01", -EINVAL, NULL},
    {"", -EINVAL, NULL},
    {"+", -EINVAL, NULL},
    {"1380000000100000000000000000001", -EINVAL, NULL},
};

START_TEST(test_normalize)
{
    const struct msisdn_case *c = &msisdn_cases[_i];
    char out[MSISDN_LEN + 1];

    strcpy(out, "untouched");
    ck_assert_msg(msisdn_normalize(c->in, out, sizeof out) == c->rc, "\"%s\"", c->in);
    ck_assert_str_eq(out, c->rc ? "untouched" : c->want);
}
END_TEST

START_TEST(test_normalize_bounds)
{
    char out[MSISDN_LEN + 1];

    ck_assert_int_eq(msisdn_normalize("13800000001", out, MSISDN_LEN), -ENOSPC);
    ck_assert_int_eq(msisdn_normalize(NULL, out, sizeof out), -EINVAL);
    ck_assert_int_eq(msisdn_normalize("13800000001", NULL, sizeof out), -EINVAL);
}
END_TEST

START_TEST(test_mask)
{
    char out[MSISDN_LEN + 1];

    ck_assert_int_eq(msisdn_mask("13800000001", out, sizeof out), 0);
    ck_assert_str_eq(out, "138****0001");
    ck_assert_int_eq(msisdn_mask("19912345678", out, sizeof out), 0);
    ck_assert_str_eq(out, "199****5678");
    ck_assert_int_eq(msisdn_mask("1380000000", out, sizeof out), -EINVAL);
    ck_assert_int_eq(msisdn_mask("138000000012", out, sizeof out), -EINVAL);
    ck_assert_int_eq(msisdn_mask("+8613800000001", out, sizeof out), -EINVAL);
    ck_assert_int_eq(msisdn_mask(NULL, out, sizeof out), -EINVAL);
    ck_assert_int_eq(msisdn_mask("13800000001", out, MSISDN_LEN), -ENOSPC);
}
END_TEST

/* Addresses that can be stored; those that never can (refused for good, not retried). */
START_TEST(test_addr_ok)
{
    ck_assert_int_eq(msisdn_addr_ok("13900000001"), 1);
    ck_assert_int_eq(msisdn_addr_ok("+8613900000001"), 1);
    ck_assert_int_eq(msisdn_addr_ok("1008610001"), 1);
    ck_assert_int_eq(msisdn_addr_ok("1' OR '1'='1"), 1); /* text: storable, not a number */
    ck_assert_int_eq(msisdn_addr_ok("中国移动"), 1);
    ck_assert_int_eq(msisdn_addr_ok("12345678901234567890"), 1); /* 20 bytes */
    ck_assert_int_eq(msisdn_addr_ok("123456789012345678901"), 0);
    ck_assert_int_eq(msisdn_addr_ok(""), 0);
    ck_assert_int_eq(msisdn_addr_ok(NULL), 0);
    ck_assert_int_eq(msisdn_addr_ok("\xff\xfe\xfd"), 0);
    ck_assert_int_eq(msisdn_addr_ok("1390000\n0001"), 0);
    ck_assert_int_eq(msisdn_addr_ok("139\x1b[2J"), 0);
    ck_assert_int_eq(msisdn_addr_ok("139\x7f"), 0);
    ck_assert_int_eq(msisdn_addr_ok("139\xc2\x85"), 0); /* C1 NEL */
    ck_assert_int_eq(msisdn_addr_ok("\xe4\xb8"), 0);    /* a cut character */
}
END_TEST

static Suite *money_msisdn_suite(void)
{
    Suite *s = suite_create("money_msisdn");
    TCase *money = tcase_create("money");
    TCase *msisdn = tcase_create("msisdn");

    tcase_add_loop_test(money, test_parse_yuan, 0, (int)(sizeof yuan_cases / sizeof yuan_cases[0]));
    tcase_add_test(money, test_parse_yuan_null);
    tcase_add_test(money, test_format);
    tcase_add_test(money, test_format_nospace);
    tcase_add_test(money, test_money_roundtrip);
    tcase_add_loop_test(msisdn, test_normalize, 0,
                        (int)(sizeof msisdn_cases / sizeof msisdn_cases[0]));
    tcase_add_test(msisdn, test_normalize_bounds);
    tcase_add_test(msisdn, test_mask);
    tcase_add_test(msisdn, test_addr_ok);
    suite_add_tcase(s, money);
    suite_add_tcase(s, msisdn);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(money_msisdn_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
