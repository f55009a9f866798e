/*
 * check_command.c: unit tests of core/command.c: normalisation (full-width letters and
 * digits, the ideographic space, tabs and newlines, case, invalid UTF-8), every command
 * in ASCII and Chinese, garbage, empty and over-long texts, and cmd_parse_mo's rule that a
 * phone code's extension is the order whatever the text says.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/command.h"

/* ---- cmd_normalize ---- */

static void check_norm(const char *in, const char *want)
{
    char out[128];
    int n = cmd_normalize(in, strlen(in), out, sizeof out);

    ck_assert_msg(n >= 0, "normalize(\"%s\") = %d", in, n);
    ck_assert_str_eq(out, want);
    ck_assert_int_eq(n, (int)strlen(want));
}

START_TEST(test_normalize)
{
    check_norm("10001", "10001");
    check_norm("１０００１", "10001");   /* full-width digits */
    check_norm("ｒｌ１０", "RL10");      /* full-width lower-case letters */
    check_norm("ＲＬ　１０", "RL10");    /* U+3000 ideographic space */
    check_norm(" r l\t1\r\n0 ", "RL10"); /* ASCII white space anywhere */
    check_norm("\xc2\xa0"
               "10\xe2\x80\x8b"
               "001",
               "10001"); /* NBSP, zero-width space */
    check_norm("？", "?");
    check_norm("！＃～", "!#~");     /* both ends of the full-width block U+FF01..U+FF5E */
    check_norm("认领 10", "认领10"); /* Chinese kept as is */
    check_norm("Help", "HELP");
    check_norm("", "");
    check_norm(" \t\n　", "");
}
END_TEST

START_TEST(test_normalize_invalid)
{
    char out[32];

    /* an invalid byte and a truncated sequence become U+FFFD, never dropped */
    ck_assert_int_eq(cmd_normalize("1\xff"
                                   "2",
                                   3, out, sizeof out),
                     5);
    ck_assert_str_eq(out, "1\xef\xbf\xbd"
                          "2");
    ck_assert_int_eq(cmd_normalize("\xe4\xbd", 2, out, sizeof out), 6);
    ck_assert_str_eq(out, "\xef\xbf\xbd\xef\xbf\xbd");
    /* NUL inside the text: replaced, so the result stays one visible string */
    ck_assert_int_eq(cmd_normalize("10\0"
                                   "01",
                                   5, out, sizeof out),
                     7);
    ck_assert_str_eq(out, "10\xef\xbf\xbd"
                          "01");
    ck_assert_int_eq(cmd_normalize(NULL, 3, out, sizeof out), -EINVAL);
    ck_assert_int_eq(cmd_normalize("1", 1, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_normalize_nospace)
{
    char out[8];

    ck_assert_int_eq(cmd_normalize("10001", 5, out, 5), -ENOSPC); /* no room for the NUL */
    ck_assert_int_eq(cmd_normalize("10001", 5, out, 6), 5);
    ck_assert_int_eq(cmd_normalize("认领", 6, out, 6), -ENOSPC);
    ck_assert_int_eq(cmd_normalize("  1  ", 5, out, 2), 1); /* only what is kept counts */
    ck_assert_str_eq(out, "1");
}
END_TEST

/* ---- cmd_parse ---- */

struct parse_case {
    const char *text;
    enum cmd_kind kind;
    const char *arg;
};

static const struct parse_case parse_cases[] = {
    /* orders */
    {"10001", CMD_ORDER, "10001"},
    {"１０００１", CMD_ORDER, "10001"},
    {" 10 001 ", CMD_ORDER, "10001"},
    {"10001\r\n", CMD_ORDER, "10001"},
    {"\t1　0001", CMD_ORDER, "10001"},
    {"100", CMD_ORDER, "100"},
    {"1234567890123", CMD_ORDER, "1234567890123"},
    {"10", CMD_UNKNOWN, ""},
    {"1234567890123456", CMD_UNKNOWN, ""},
    {"10001。", CMD_UNKNOWN, ""},
    {"10 001 x", CMD_UNKNOWN, ""},
    /* claims */
    {"RL10", CMD_CLAIM, "10"},
    {"RL 10", CMD_CLAIM, "10"},
    {"rl10", CMD_CLAIM, "10"},
    {"Rl 1 0", CMD_CLAIM, "10"},
    {"ｒｌ１０", CMD_CLAIM, "10"},
    {"认领10", CMD_CLAIM, "10"},
    {"认领 １０", CMD_CLAIM, "10"},
    {"认领　10", CMD_CLAIM, "10"},
    {"RL12345678", CMD_CLAIM, "12345678"},
    {"RL", CMD_UNKNOWN, ""},
    {"认领", CMD_UNKNOWN, ""},
    {"RL0", CMD_UNKNOWN, ""},
    {"RL010", CMD_UNKNOWN, ""},
    {"RL123456789", CMD_UNKNOWN, ""},
    {"RL10A", CMD_UNKNOWN, ""},
    /* help */
    {"帮助", CMD_HELP, ""},
    {"BZ", CMD_HELP, ""},
    {"bz", CMD_HELP, ""},
    {"ｂｚ", CMD_HELP, ""},
    {"HELP", CMD_HELP, ""},
    {"help", CMD_HELP, ""},
    {" h e l p ", CMD_HELP, ""},
    {"?", CMD_HELP, ""},
    {"？", CMD_HELP, ""},
    {"HELP ME", CMD_UNKNOWN, ""},
    {"??", CMD_UNKNOWN, ""},
    /* query, opt-out, cancel */
    {"CX", CMD_QUERY, ""},
    {"cx", CMD_QUERY, ""},
    {"查询", CMD_QUERY, ""},
    {"CX1", CMD_UNKNOWN, ""},
    {"TD", CMD_OPTOUT, ""},
    {"t d", CMD_OPTOUT, ""},
    {"Ｔ　Ｄ", CMD_OPTOUT, ""},
    {"退订", CMD_OPTOUT, ""},
    {"QX10001", CMD_CANCEL, "10001"},
    {"qx 10001", CMD_CANCEL, "10001"},
    {"取消10001", CMD_CANCEL, "10001"},
    {"QX", CMD_UNKNOWN, ""},
    {"QX10", CMD_UNKNOWN, ""},
    /* empty and garbage */
    {"", CMD_EMPTY, ""},
    {"   ", CMD_EMPTY, ""},
    {"\t\r\n　 ", CMD_EMPTY, ""},
    {"hello", CMD_UNKNOWN, ""},
    {"你好", CMD_UNKNOWN, ""},
    {"\xff\xfe", CMD_UNKNOWN, ""},
    {"\xf0\x9f\x98\x80", CMD_UNKNOWN, ""},
};

#define PARSE_CASES ((int)(sizeof parse_cases / sizeof parse_cases[0]))

START_TEST(test_parse_table)
{
    const struct parse_case *c = &parse_cases[_i];
    struct cmd cmd;

    memset(&cmd, 'z', sizeof cmd); /* arg must be written even when empty */
    cmd_parse(c->text, strlen(c->text), &cmd);
    ck_assert_msg(cmd.kind == c->kind, "\"%s\": kind %s, want %s", c->text, cmd_kind_name(cmd.kind),
                  cmd_kind_name(c->kind));
    ck_assert_str_eq(cmd.arg, c->arg);
}
END_TEST

START_TEST(test_parse_len_honoured)
{
    struct cmd cmd;

    cmd_parse("10001TD", 5, &cmd); /* only LEN bytes are the message */
    ck_assert_int_eq(cmd.kind, CMD_ORDER);
    ck_assert_str_eq(cmd.arg, "10001");
    cmd_parse("10\0"
              "01",
              5, &cmd); /* a NUL inside is garbage, not an end */
    ck_assert_int_eq(cmd.kind, CMD_UNKNOWN);
    cmd_parse(NULL, 0, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_EMPTY);
    cmd_parse(NULL, 4, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_UNKNOWN);
}
END_TEST

/* Long texts: 160+ characters of garbage, a 300-digit number, and a valid code drowned in
 * 300 spaces (white space is dropped, however much). */
START_TEST(test_parse_long)
{
    char buf[1024];
    struct cmd cmd;
    size_t i;

    memset(buf, 'a', 200);
    cmd_parse(buf, 200, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_UNKNOWN);

    memset(buf, '1', 300);
    cmd_parse(buf, 300, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_UNKNOWN);
    ck_assert_str_eq(cmd.arg, "");

    for (i = 0; i + 3 <= 3 * 170; i += 3)
        memcpy(buf + i, "你", 3); /* 170 Chinese characters */
    cmd_parse(buf, 3 * 170, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_UNKNOWN);

    memset(buf, ' ', 300);
    memcpy(buf + 300, "10001", 5);
    memset(buf + 305, '\n', 100);
    cmd_parse(buf, 405, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_ORDER);
    ck_assert_str_eq(cmd.arg, "10001");
}
END_TEST

/* ---- cmd_parse_mo ---- */

START_TEST(test_parse_mo_extension)
{
    struct cmd cmd;

    /* the phone code's extension wins, whatever the text */
    cmd_parse_mo("10086", "1008610001", "hello", 5, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_ORDER);
    ck_assert_str_eq(cmd.arg, "10001");
    cmd_parse_mo("10086", "1008610001", "TD", 2, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_ORDER);
    ck_assert_str_eq(cmd.arg, "10001");
    cmd_parse_mo("10086", "1008610001", "20002", 5, &cmd);
    ck_assert_str_eq(cmd.arg, "10001");
    cmd_parse_mo("10086", "1008610001", "", 0, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_ORDER);
    /* an extension that cannot be an order code */
    cmd_parse_mo("10086", "1008612", "10001", 5, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_UNKNOWN);
    ck_assert_str_eq(cmd.arg, "");
    cmd_parse_mo("10086", "100861234567890123456", "10001", 5, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_UNKNOWN);
}
END_TEST

START_TEST(test_parse_mo_service)
{
    struct cmd cmd;

    cmd_parse_mo("10086", "10086", "TD", 2, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_OPTOUT);
    cmd_parse_mo("10086", "10086", "认领 10", strlen("认领 10"), &cmd);
    ck_assert_int_eq(cmd.kind, CMD_CLAIM);
    ck_assert_str_eq(cmd.arg, "10");
    /* not our number: refused, whatever the text */
    cmd_parse_mo("10086", "10010", "10001", 5, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_UNKNOWN);
    cmd_parse_mo("10086", NULL, "10001", 5, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_UNKNOWN);
    cmd_parse_mo(NULL, "10086", "10001", 5, &cmd);
    ck_assert_int_eq(cmd.kind, CMD_UNKNOWN);
}
END_TEST

START_TEST(test_kind_names)
{
    ck_assert_str_eq(cmd_kind_name(CMD_EMPTY), "empty");
    ck_assert_str_eq(cmd_kind_name(CMD_HELP), "help");
    ck_assert_str_eq(cmd_kind_name(CMD_ORDER), "order");
    ck_assert_str_eq(cmd_kind_name(CMD_CLAIM), "claim");
    ck_assert_str_eq(cmd_kind_name(CMD_QUERY), "query");
    ck_assert_str_eq(cmd_kind_name(CMD_OPTOUT), "optout");
    ck_assert_str_eq(cmd_kind_name(CMD_CANCEL), "cancel");
    ck_assert_str_eq(cmd_kind_name(CMD_UNKNOWN), "unknown");
    ck_assert_str_eq(cmd_kind_name((enum cmd_kind)99), "invalid");
}
END_TEST

static Suite *command_suite(void)
{
    Suite *s = suite_create("command");
    TCase *tc = tcase_create("command");

    tcase_add_test(tc, test_normalize);
    tcase_add_test(tc, test_normalize_invalid);
    tcase_add_test(tc, test_normalize_nospace);
    tcase_add_loop_test(tc, test_parse_table, 0, PARSE_CASES);
    tcase_add_test(tc, test_parse_len_honoured);
    tcase_add_test(tc, test_parse_long);
    tcase_add_test(tc, test_parse_mo_extension);
    tcase_add_test(tc, test_parse_mo_service);
    tcase_add_test(tc, test_kind_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(command_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
