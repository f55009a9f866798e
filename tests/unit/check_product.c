/*
 * check_product.c: unit tests of core/product.c: a good product, each field refused with
 * the exact line ermctl prints (code, name, intro, fee, quota, the 3-digit rule,
 * commission, service, cancel days, dates), the 40-character name boundary in Chinese and
 * a promo push too long to send.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/codeplan.h"
#include "core/commission.h"
#include "core/field.h"
#include "core/money.h"
#include "core/product.h"

#include "repeat.h"

static char err[512];

static struct product_spec good(void)
{
    static const struct commission_tier tiers[] = {{1, 500}, {100, 800}};
    struct product_spec p = {
        .code = "10",
        .name = "畅享流量包",
        .intro = "每月30GB国内流量\n次月生效",
        .fee_text = "29元/月",
        .service = "10086",
        .commission_fen = 500,
        .quota = 100,
        .starts_on = "2024-01-01",
        .ends_on = "2024-12-31",
        .tiers = tiers,
        .ntiers = 2,
        .cancel_days = "7",
    };
    return p;
}

/* Checks P and expects -EINVAL with the line WANT. */
static void refused(struct product_spec p, const char *want)
{
    err[0] = '\0';
    ck_assert_int_eq(product_check(&p, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, want);
}

START_TEST(test_good)
{
    struct product_spec p = good();
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
    /* The optional fields left out. */
    struct product_spec q = {.code = "12345678", .name = "x", .quota = CODEPLAN_MAX_QUOTA};
    ck_assert_int_eq(product_check(&q, err, sizeof err), 0);
}
END_TEST

START_TEST(test_code)
{
    struct product_spec p = good();
    p.code = NULL;
    refused(p, "--code: \"\" is not a product code (1 to 8 digits, not starting with 0)");
    p.code = "010";
    refused(p, "--code: \"010\" is not a product code (1 to 8 digits, not starting with 0)");
    p.code = "123456789";
    refused(p, "--code: \"123456789\" is not a product code (1 to 8 digits, not starting with 0)");
    p.code = "1a";
    p.name = ""; /* the code is named first */
    refused(p, "--code: \"1a\" is not a product code (1 to 8 digits, not starting with 0)");
}
END_TEST

START_TEST(test_name)
{
    struct product_spec p = good();
    p.name = "";
    refused(p, "--name: must not be empty");
    p.name = NULL;
    refused(p, "--name: must not be empty");
    p.name = repeat("流", 41);
    refused(p, "--name: 41 characters, at most 40");
    p.name = repeat("流", 40);
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
    p.name = "流量\n包";
    refused(p, "--name: not valid UTF-8 text on one line");
    p.name = "流量\t包";
    refused(p, "--name: not valid UTF-8 text on one line");
}
END_TEST

START_TEST(test_intro_fee)
{
    struct product_spec p = good();
    p.intro = "每月\x01";
    refused(p, "--intro: not valid UTF-8 text");
    p.intro = repeat("a", PRODUCT_INTRO_MAX + 1);
    refused(p, "--intro: 1001 characters, at most 1000");
    p = good();
    p.fee_text = "29元\n每月";
    refused(p, "--fee: not valid UTF-8 text on one line");
    p.fee_text = repeat("a", PRODUCT_FEE_MAX + 1);
    refused(p, "--fee: 201 characters, at most 200");
}
END_TEST

START_TEST(test_promo_too_long)
{
    struct product_spec p = good();
    /* Within each field's limit, but 1200 characters of Chinese need more than 16 parts. */
    p.intro = repeat("流", PRODUCT_INTRO_MAX);
    p.fee_text = repeat("费", PRODUCT_FEE_MAX);
    refused(p, "--intro: the promo push (name, intro, fee and the ordering line) would not fit "
               "in 16 SMS parts; shorten --intro or --fee");
    p.fee_text = NULL;
    p.intro = repeat("流", 900);
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
}
END_TEST

START_TEST(test_quota)
{
    struct product_spec p = good();
    p.quota = 0;
    refused(p, "--quota: 0 is not a number from 1 to 9999999");
    p.quota = CODEPLAN_MAX_QUOTA + 1;
    refused(p, "--quota: 10000000 is not a number from 1 to 9999999");
    /* a carrier-wide campaign: six and seven sequence digits where the address holds them */
    p.quota = 100000;
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
    p.code = "12345678";
    p.quota = 9999999;
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0); /* 10086 + 8 + 7 = 20 digits */
    p.service = "100861";
    refused(p, "--quota: service number 100861, product code 12345678 and quota 9999999 give "
               "phone codes of 21 digits; an SMPP or CMPP address holds 20");
    p = good();
    p.code = "1";
    p.quota = 9;
    refused(p, "--quota: with product code 1, quota 9 gives codes of fewer than 3 digits; use a "
               "quota of 10 or more");
    p.quota = 10;
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
    p.code = "12";
    p.quota = 9;
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
}
END_TEST

START_TEST(test_commission_service)
{
    struct product_spec p = good();
    p.commission_fen = -1;
    refused(p, "--commission: out of range");
    p.commission_fen = MONEY_MAX_FEN + 1;
    refused(p, "--commission: out of range");
    p.commission_fen = 0;
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
    p.service = "12";
    refused(p, "--service: \"12\" is not a service number (3 to 20 digits)");
    p.service = "1008a";
    refused(p, "--service: \"1008a\" is not a service number (3 to 20 digits)");
    p.service = NULL; /* PRODUCT_SERVICE_DEFAULT */
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
}
END_TEST

START_TEST(test_cancel_days)
{
    struct product_spec p = good();
    p.cancel_days = "0";
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
    p.cancel_days = "366";
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
    p.cancel_days = "367";
    refused(p, "--cancel-days: \"367\" is not a number of days from 0 to 366");
    p.cancel_days = "-1";
    refused(p, "--cancel-days: \"-1\" is not a number of days from 0 to 366");
    p.cancel_days = "";
    refused(p, "--cancel-days: \"\" is not a number of days from 0 to 366");
}
END_TEST

START_TEST(test_dates)
{
    struct product_spec p = good();
    p.starts_on = "2024-02-30";
    refused(p, "--start: \"2024-02-30\" is not a date (YYYY-MM-DD)");
    p = good();
    p.ends_on = "2024-12-32";
    refused(p, "--end: \"2024-12-32\" is not a date (YYYY-MM-DD)");
    p = good();
    p.starts_on = "2024-02-01";
    p.ends_on = "2024-01-31";
    refused(p, "--end: 2024-01-31 is before --start 2024-02-01");
    p.ends_on = "2024-02-01"; /* one day */
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
    p.starts_on = NULL;
    p.ends_on = "2024-01-31";
    ck_assert_int_eq(product_check(&p, err, sizeof err), 0);
}
END_TEST

static Suite *product_suite(void)
{
    Suite *s = suite_create("product");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_good);
    tcase_add_test(tc, test_code);
    tcase_add_test(tc, test_name);
    tcase_add_test(tc, test_intro_fee);
    tcase_add_test(tc, test_promo_too_long);
    tcase_add_test(tc, test_quota);
    tcase_add_test(tc, test_commission_service);
    tcase_add_test(tc, test_cancel_days);
    tcase_add_test(tc, test_dates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(product_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
