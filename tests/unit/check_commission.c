/*
 * check_commission.c: unit tests of core/commission.c (tier selection, team splits that
 * never lose or invent a fen, remainders to the leader, parsing) and core/textwidth.c
 * (display width of Chinese and Latin text, padding).
 *
 * Run as `check_commission --calc`, it answers lines of stdin instead, for the integration
 * test that compares this arithmetic with the SQL of schema/004_commission.sql:
 *   split AMOUNT N LEADER RULE   -> the N shares, space-separated
 *   tier BASE NTH [FROM:FEN ...] -> the fen of the NTH order
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commission.h"
#include "core/textwidth.h"

/* ---- tiers ---- */

START_TEST(test_tier_none)
{
    ck_assert_int_eq(commission_tier_fen(500, NULL, 0, 1), 500);
    ck_assert_int_eq(commission_tier_fen(500, NULL, 0, 1000), 500);
}
END_TEST

START_TEST(test_tier_boundary)
{
    const struct commission_tier t[] = {{101, 1000}, {51, 800}}; /* any order */
    ck_assert_int_eq(commission_tier_fen(500, t, 2, 1), 500);
    ck_assert_int_eq(commission_tier_fen(500, t, 2, 50), 500);
    ck_assert_int_eq(commission_tier_fen(500, t, 2, 51), 800);
    ck_assert_int_eq(commission_tier_fen(500, t, 2, 100), 800);
    ck_assert_int_eq(commission_tier_fen(500, t, 2, 101), 1000);
    ck_assert_int_eq(commission_tier_fen(500, t, 2, 4000000000u), 1000);
}
END_TEST

START_TEST(test_tier_parse)
{
    struct commission_tier t;
    ck_assert_int_eq(commission_tier_parse("51:8.00", &t), 0);
    ck_assert_uint_eq(t.from_order, 51);
    ck_assert_int_eq(t.fen, 800);
    ck_assert_int_eq(commission_tier_parse("2:0.05", &t), 0);
    ck_assert_int_eq(t.fen, 5);
    ck_assert_int_eq(commission_tier_parse("1:8.00", &t), -ERANGE);
    ck_assert_int_eq(commission_tier_parse("1000001:8", &t), -ERANGE);
    ck_assert_int_eq(commission_tier_parse("51", &t), -EINVAL);
    ck_assert_int_eq(commission_tier_parse(":8", &t), -EINVAL);
    ck_assert_int_eq(commission_tier_parse("5x:8", &t), -EINVAL);
    ck_assert_int_eq(commission_tier_parse("-5:8", &t), -EINVAL);
    ck_assert_int_eq(commission_tier_parse("51:8.001", &t), -EINVAL);
    ck_assert_int_eq(commission_tier_parse("51:", &t), -EINVAL);
    ck_assert_int_eq(commission_tier_parse(NULL, &t), -EINVAL);
}
END_TEST

/* ---- splits ---- */

static int64_t sum(const int64_t *v, size_t n)
{
    int64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

START_TEST(test_split_equal_remainder_to_leader)
{
    int64_t out[3];
    ck_assert_int_eq(commission_split(1000, 3, 0, COMMISSION_SPLIT_EQUAL, out), 0);
    ck_assert_int_eq(out[0], 334);
    ck_assert_int_eq(out[1], 333);
    ck_assert_int_eq(out[2], 333);
    ck_assert_int_eq(commission_split(1000, 3, 2, COMMISSION_SPLIT_EQUAL, out), 0);
    ck_assert_int_eq(out[2], 334);
    ck_assert_int_eq(out[0], 333);
    ck_assert_int_eq(commission_split(2, 3, 1, COMMISSION_SPLIT_EQUAL, out), 0);
    ck_assert_int_eq(out[0], 0);
    ck_assert_int_eq(out[1], 2);
    ck_assert_int_eq(out[2], 0);
}
END_TEST

START_TEST(test_split_leader)
{
    int64_t out[4];
    ck_assert_int_eq(commission_split(801, 4, 3, COMMISSION_SPLIT_LEADER, out), 0);
    ck_assert_int_eq(out[3], 801);
    ck_assert_int_eq(out[0] + out[1] + out[2], 0);
}
END_TEST

/* Every amount and team size: the shares sum to the amount, differ by less than N, and
 * only the leader may have more than the others. */
START_TEST(test_split_never_loses_a_fen)
{
    int64_t out[17];
    for (size_t n = 1; n <= 17; n++) {
        for (int64_t a = 0; a <= 2000; a += 7) {
            size_t leader = (size_t)a % n;
            ck_assert_int_eq(commission_split(a, n, leader, COMMISSION_SPLIT_EQUAL, out), 0);
            ck_assert_int_eq(sum(out, n), a);
            for (size_t i = 0; i < n; i++) {
                ck_assert_int_eq(out[i],
                                 i == leader ? a / (int64_t)n + a % (int64_t)n : a / (int64_t)n);
            }
            ck_assert_int_eq(commission_split(a, n, leader, COMMISSION_SPLIT_LEADER, out), 0);
            ck_assert_int_eq(sum(out, n), a);
        }
    }
    /* Large amounts: no overflow on the way. */
    ck_assert_int_eq(commission_split(INT64_MAX, 7, 6, COMMISSION_SPLIT_EQUAL, out), 0);
    ck_assert_int_eq(sum(out, 7), INT64_MAX);
}
END_TEST

START_TEST(test_split_bad)
{
    int64_t out[2];
    ck_assert_int_eq(commission_split(-1, 2, 0, COMMISSION_SPLIT_EQUAL, out), -EINVAL);
    ck_assert_int_eq(commission_split(1, 0, 0, COMMISSION_SPLIT_EQUAL, out), -EINVAL);
    ck_assert_int_eq(commission_split(1, 2, 2, COMMISSION_SPLIT_EQUAL, out), -EINVAL);
    ck_assert_int_eq(commission_split(1, 2, 0, (enum commission_split_rule)9, out), -EINVAL);
    ck_assert_int_eq(commission_split(1, 2, 0, COMMISSION_SPLIT_EQUAL, NULL), -EINVAL);
}
END_TEST

START_TEST(test_split_names)
{
    enum commission_split_rule r;
    ck_assert_int_eq(commission_split_parse("equal", &r), 0);
    ck_assert_int_eq(r, COMMISSION_SPLIT_EQUAL);
    ck_assert_int_eq(commission_split_parse("leader", &r), 0);
    ck_assert_int_eq(r, COMMISSION_SPLIT_LEADER);
    ck_assert_int_eq(commission_split_parse("Leader", &r), -EINVAL);
    ck_assert_int_eq(commission_split_parse(NULL, &r), -EINVAL);
    ck_assert_str_eq(commission_split_name(COMMISSION_SPLIT_LEADER), "leader");
    ck_assert_str_eq(commission_split_name((enum commission_split_rule)5), "invalid");
}
END_TEST

/* ---- display width ---- */

START_TEST(test_width)
{
    ck_assert_uint_eq(textwidth(""), 0);
    ck_assert_uint_eq(textwidth("E001"), 4);
    ck_assert_uint_eq(textwidth("张三"), 4);
    ck_assert_uint_eq(textwidth("市场部A"), 7);
    ck_assert_uint_eq(textwidth("１０"), 4);             /* full-width digits */
    ck_assert_uint_eq(textwidth("e\xcc\x81"), 1);        /* e + combining acute */
    ck_assert_uint_eq(textwidth("\xff\xfe"), 2);         /* malformed bytes: one column each */
    ck_assert_uint_eq(textwidth("\xe5\xbc"), 2);         /* cut sequence */
    ck_assert_uint_eq(textwidth("，"), 2);               /* full-width comma */
    ck_assert_uint_eq(textwidth("\xf0\xa0\x80\x80"), 2); /* U+20000, CJK extension B */
}
END_TEST

START_TEST(test_pad)
{
    char out[32];
    ck_assert_int_eq(textwidth_pad("张三", 6, 0, out, sizeof out), 8);
    ck_assert_str_eq(out, "张三  ");
    ck_assert_int_eq(textwidth_pad("5.00", 7, 1, out, sizeof out), 7);
    ck_assert_str_eq(out, "   5.00");
    ck_assert_int_eq(textwidth_pad("李四光", 4, 0, out, sizeof out), 9); /* never cut */
    ck_assert_str_eq(out, "李四光");
    ck_assert_int_eq(textwidth_pad("abc", 10, 0, out, 5), -ENOSPC);
    ck_assert_str_eq(out, "");
}
END_TEST

static Suite *commission_suite(void)
{
    Suite *s = suite_create("commission");
    TCase *tc = tcase_create("commission");
    TCase *tw = tcase_create("textwidth");
    tcase_add_test(tc, test_tier_none);
    tcase_add_test(tc, test_tier_boundary);
    tcase_add_test(tc, test_tier_parse);
    tcase_add_test(tc, test_split_equal_remainder_to_leader);
    tcase_add_test(tc, test_split_leader);
    tcase_add_test(tc, test_split_never_loses_a_fen);
    tcase_add_test(tc, test_split_bad);
    tcase_add_test(tc, test_split_names);
    tcase_add_test(tw, test_width);
    tcase_add_test(tw, test_pad);
    suite_add_tcase(s, tc);
    suite_add_tcase(s, tw);
    return s;
}

/* One "split ..." line: prints the shares, or "error". */
static void calc_split(char *args)
{
    long long amount;
    size_t n, leader;
    char rule_name[16];
    enum commission_split_rule rule;
    int64_t out[64];
    if (sscanf(args, "%lld %zu %zu %15s", &amount, &n, &leader, rule_name) != 4 || n > 64 ||
        commission_split_parse(rule_name, &rule) < 0 ||
        commission_split(amount, n, leader, rule, out) < 0) {
        puts("error");
        return;
    }
    for (size_t i = 0; i < n; i++)
        printf("%s%" PRId64, i ? " " : "", out[i]);
    putchar('\n');
}

/* One "tier BASE NTH [FROM:FEN ...]" line (FEN in yuan text). */
static void calc_tier(char *args)
{
    struct commission_tier tiers[COMMISSION_MAX_TIERS];
    size_t n = 0;
    char *save = NULL;
    char *base = strtok_r(args, " \n", &save), *nth = strtok_r(NULL, " \n", &save);
    if (base == NULL || nth == NULL) {
        puts("error");
        return;
    }
    for (char *t; (t = strtok_r(NULL, " \n", &save)) != NULL && n < COMMISSION_MAX_TIERS;)
        if (commission_tier_parse(t, &tiers[n++]) < 0) {
            puts("error");
            return;
        }
    printf("%" PRId64 "\n", commission_tier_fen(strtoll(base, NULL, 10), tiers, n,
                                                (uint32_t)strtoul(nth, NULL, 10)));
}

static int calc(void)
{
    char line[1024];
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (strncmp(line, "split ", 6) == 0)
            calc_split(line + 6);
        else if (strncmp(line, "tier ", 5) == 0)
            calc_tier(line + 5);
        else
            puts("error");
        fflush(stdout);
    }
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--calc") == 0)
        return calc();
    SRunner *sr = srunner_create(commission_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
