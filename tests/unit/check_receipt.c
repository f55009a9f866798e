/*
 * check_receipt.c: unit tests of core/receipt.c: the receipt text of SMPP 3.4 Appendix B in
 * the shapes SMSCs send it (key case, order, extra keys, truncated values, the text field
 * last), message_state values, stat words, and message ids in decimal and hex.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/receipt.h"

/* A receipt text and the fields it must give. */
struct parse_case {
    const char *text;
    const char *id, *stat, *err, *submit_date, *done_date;
};

static const struct parse_case parse_cases[] = {
    /* Appendix B as written; "stat:" inside the text field is the message's, not ours. */
    {"id:0123456789 sub:001 dlvrd:001 submit date:2311231200 done date:2311231201 "
     "stat:DELIVRD err:000 text:hello stat:UNDELIV",
     "0123456789", "DELIVRD", "000", "2311231200", "2311231201"},
    /* Keys in any case and order, tabs, keys we do not know, fields left out. */
    {"  Stat:undeliv  ID:7B\tSub:1 Err:21 vendor:x Done Date:2311231201", "7B", "UNDELIV", "21", "",
     "2311231201"},
    /* Only a stat (the id comes in the TLV). */
    {"stat:EXPIRED", "", "EXPIRED", "", "", ""},
};

START_TEST(test_parse)
{
    const struct parse_case *c = &parse_cases[_i];
    struct receipt r;
    ck_assert_int_eq(receipt_parse(c->text, strlen(c->text), &r), 0);
    ck_assert_str_eq(r.id, c->id);
    ck_assert_str_eq(r.stat, c->stat);
    ck_assert_str_eq(r.err, c->err);
    ck_assert_str_eq(r.submit_date, c->submit_date);
    ck_assert_str_eq(r.done_date, c->done_date);
}
END_TEST

START_TEST(test_parse_not_nul_terminated)
{
    /* LEN stops the parse: what follows in memory is not read. */
    static const char t[] = "id:12 stat:DELIVRD err:000";
    struct receipt r;
    ck_assert_int_eq(receipt_parse(t, 5, &r), 0);
    ck_assert_str_eq(r.id, "12");
    ck_assert_str_eq(r.stat, "");
}
END_TEST

START_TEST(test_parse_long_values_cut)
{
    char t[400];
    memset(t, 0, sizeof t);
    strcpy(t, "id:");
    memset(t + 3, '9', 100);
    strcat(t, " stat:AVERYLONGSTATWORDINDEED err:0000000000000000000000000");
    struct receipt r;
    ck_assert_int_eq(receipt_parse(t, strlen(t), &r), 0);
    ck_assert_uint_eq(strlen(r.id), RECEIPT_ID_MAX - 1);
    ck_assert_uint_eq(strlen(r.stat), RECEIPT_STAT_MAX - 1);
    ck_assert_uint_eq(strlen(r.err), RECEIPT_ERR_MAX - 1);
}
END_TEST

START_TEST(test_parse_nothing)
{
    struct receipt r;
    ck_assert_int_eq(receipt_parse("", 0, &r), -EINVAL);
    ck_assert_int_eq(receipt_parse("hello world", 11, &r), -EINVAL);
    ck_assert_int_eq(receipt_parse("text:id:1 stat:DELIVRD", 22, &r), -EINVAL);
    ck_assert_int_eq(receipt_parse("sub:001 dlvrd:001 err:000", 25, &r), -EINVAL);
    ck_assert_str_eq(r.err, "");
    ck_assert_int_eq(receipt_parse("id: stat:", 9, &r), -EINVAL);
}
END_TEST

START_TEST(test_states)
{
    static const char *const want[] = {NULL,      "ENROUTE", "DELIVRD", "EXPIRED", "DELETED",
                                       "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD", NULL};
    for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *s = receipt_state_stat(i);
        if (want[i] == NULL)
            ck_assert_ptr_null(s);
        else
            ck_assert_str_eq(s, want[i]);
    }
    ck_assert_ptr_null(receipt_state_stat(255));
}
END_TEST

START_TEST(test_stat_norm_final)
{
    char out[RECEIPT_STAT_MAX];
    ck_assert_int_eq(receipt_stat_norm("delivrd", out), 0);
    ck_assert_str_eq(out, "DELIVRD");
    ck_assert_int_eq(receipt_stat_norm("Delivered", out), 0);
    ck_assert_str_eq(out, "DELIVRD");
    ck_assert_int_eq(receipt_stat_norm("UNDELIVERABLE", out), 0);
    ck_assert_str_eq(out, "UNDELIV");
    ck_assert_int_eq(receipt_stat_norm("accepted", out), 0);
    ck_assert_str_eq(out, "ACCEPTD");
    ck_assert_int_eq(receipt_stat_norm("Rejected", out), 0);
    ck_assert_str_eq(out, "REJECTD");
    ck_assert_int_eq(receipt_stat_norm("MA:0054", out), 0);
    ck_assert_str_eq(out, "MA:0054");
    ck_assert_int_eq(receipt_stat_norm("", out), -EINVAL);
    ck_assert_int_eq(receipt_stat_norm("0123456789ABCDEF", out), -EINVAL);

    ck_assert_int_eq(receipt_stat_final("DELIVRD"), 1);
    ck_assert_int_eq(receipt_stat_final("UNDELIV"), 1);
    ck_assert_int_eq(receipt_stat_final("EXPIRED"), 1);
    ck_assert_int_eq(receipt_stat_final("REJECTD"), 1);
    ck_assert_int_eq(receipt_stat_final("DELETED"), 1);
    ck_assert_int_eq(receipt_stat_final("UNKNOWN"), 1);
    ck_assert_int_eq(receipt_stat_final("ACCEPTD"), 1);
    ck_assert_int_eq(receipt_stat_final("MA:0054"), 1);
    ck_assert_int_eq(receipt_stat_final("ENROUTE"), 0);
    ck_assert_int_eq(receipt_stat_final(""), 0);
}
END_TEST

struct id_case {
    const char *id;
    int rc;
    const char *text, *dec, *hex;
};

static const struct id_case id_cases[] = {
    {"123", 0, "123", "123", "291"},
    {"0000007B", 0, "7b", "", "123"},
    {"7b", 0, "7b", "", "123"},
    {"00000123", 0, "123", "123", "291"},
    {"000", 0, "0", "0", "0"},
    {"0x1F", 0, "0x1F", "", ""},
    {" 42 \r\n", 0, "42", "42", "66"},
    {"0", 0, "0", "0", "0"},
    {"18446744073709551615", 0, "18446744073709551615", "18446744073709551615", ""},
    {"18446744073709551616", 0, "18446744073709551616", "", ""},
    {"FFFFFFFFFFFFFFFF", 0, "ffffffffffffffff", "", "18446744073709551615"},
    {"1FFFFFFFFFFFFFFFF", 0, "1ffffffffffffffff", "", ""},
    {"msg-ABC_1", 0, "msg-ABC_1", "", ""},
    {"", -EINVAL, "", "", ""},
    {"   ", -EINVAL, "", "", ""},
    {"1234567890123456789012345678901234567890123456789012345678901234", 0,
     "1234567890123456789012345678901234567890123456789012345678901234", "", ""},
    {"12345678901234567890123456789012345678901234567890123456789012345", -EINVAL, "", "", ""},
};

START_TEST(test_id_norm)
{
    const struct id_case *c = &id_cases[_i];
    struct receipt_id id;
    ck_assert_msg(receipt_id_norm(c->id, &id) == c->rc, "\"%s\"", c->id);
    ck_assert_str_eq(id.text, c->text);
    ck_assert_str_eq(id.dec, c->dec);
    ck_assert_str_eq(id.hex, c->hex);
}
END_TEST

/* The rules of receipt.h: padding and case aside the same text; hex from one side and
 * decimal from the other meet in value. */
START_TEST(test_id_rules)
{
    struct receipt_id resp, rcpt;
    ck_assert_int_eq(receipt_id_norm("0000007B", &resp), 0);
    ck_assert_int_eq(receipt_id_norm("7b", &rcpt), 0);
    ck_assert_str_eq(resp.text, rcpt.text);
    ck_assert_int_eq(receipt_id_norm("0000007B", &resp), 0);
    ck_assert_int_eq(receipt_id_norm("123", &rcpt), 0);
    ck_assert_str_eq(resp.hex, rcpt.dec);
    ck_assert_int_eq(receipt_id_norm("10", &resp), 0);
    ck_assert_int_eq(receipt_id_norm("0000000A", &rcpt), 0);
    ck_assert_str_eq(resp.dec, rcpt.hex);
}
END_TEST

static Suite *receipt_suite(void)
{
    Suite *s = suite_create("receipt");
    TCase *text = tcase_create("text");
    TCase *stat = tcase_create("stat");
    TCase *ids = tcase_create("ids");

    tcase_add_loop_test(text, test_parse, 0, (int)(sizeof parse_cases / sizeof parse_cases[0]));
    tcase_add_test(text, test_parse_not_nul_terminated);
    tcase_add_test(text, test_parse_long_values_cut);
    tcase_add_test(text, test_parse_nothing);
    tcase_add_test(stat, test_states);
    tcase_add_test(stat, test_stat_norm_final);
    tcase_add_loop_test(ids, test_id_norm, 0, (int)(sizeof id_cases / sizeof id_cases[0]));
    tcase_add_test(ids, test_id_rules);
    suite_add_tcase(s, text);
    suite_add_tcase(s, stat);
    suite_add_tcase(s, ids);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(receipt_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
