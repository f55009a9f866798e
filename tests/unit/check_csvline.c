/*
 * check_csvline.c: unit tests of core/csvline.c: plain and quoted fields, commas and
 * doubled quotes inside quotes, blanks around fields, empty fields, more fields than kept,
 * the three refusals with their exact reasons, and the header check.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvline.h"

static char line[512];
static char *f[8];
static const char *why;

/* Splits a copy of TEXT keeping at most MAX fields. */
static int split(const char *text, int max)
{
    strcpy(line, text);
    why = NULL;
    memset(f, 0, sizeof f);
    return csvline_split(line, f, max, &why);
}

START_TEST(test_plain)
{
    ck_assert_int_eq(split("E001,张三,13800000001,市场部", 4), 4);
    ck_assert_str_eq(f[0], "E001");
    ck_assert_str_eq(f[1], "张三");
    ck_assert_str_eq(f[2], "13800000001");
    ck_assert_str_eq(f[3], "市场部");
    ck_assert_ptr_null(why);
}
END_TEST

START_TEST(test_blanks)
{
    ck_assert_int_eq(split("  E001 ,\t张 三\t, 138 0000 0001 ,", 4), 4);
    ck_assert_str_eq(f[0], "E001");
    ck_assert_str_eq(f[1], "张 三"); /* inner blanks stay */
    ck_assert_str_eq(f[2], "138 0000 0001");
    ck_assert_str_eq(f[3], "");
    ck_assert_int_eq(split("a", 4), 1);
    ck_assert_str_eq(f[0], "a");
    ck_assert_int_eq(split(",,", 4), 3);
    ck_assert_str_eq(f[0], "");
    ck_assert_str_eq(f[1], "");
    ck_assert_str_eq(f[2], "");
    ck_assert_int_eq(split("", 4), 1);
    ck_assert_str_eq(f[0], "");
}
END_TEST

START_TEST(test_quoted)
{
    ck_assert_int_eq(split("E001,\"张三, 二组\",\"13800000001\",\"\"", 4), 4);
    ck_assert_str_eq(f[0], "E001");
    ck_assert_str_eq(f[1], "张三, 二组");
    ck_assert_str_eq(f[2], "13800000001");
    ck_assert_str_eq(f[3], "");
    ck_assert_int_eq(split("\"say \"\"hi\"\"\" , \" x \"", 4), 2);
    ck_assert_str_eq(f[0], "say \"hi\"");
    ck_assert_str_eq(f[1], " x "); /* blanks inside quotes stay */
    ck_assert_int_eq(split("\"\"\"\"", 4), 1);
    ck_assert_str_eq(f[0], "\"");
}
END_TEST

START_TEST(test_more_than_max)
{
    ck_assert_int_eq(split("a,b,c,d,e,f", 4), 6);
    ck_assert_str_eq(f[0], "a");
    ck_assert_str_eq(f[3], "d");
    ck_assert_ptr_null(f[4]);
    ck_assert_int_eq(split("a,b", 0), 2);
    ck_assert_ptr_null(f[0]);
}
END_TEST

START_TEST(test_refused)
{
    ck_assert_int_eq(split("E001,\"张三,13800000001", 4), -1);
    ck_assert_str_eq(why, "a quoted field is not closed (fields cannot span lines)");
    ck_assert_int_eq(split("E001,\"张三\"x,13800000001", 4), -1);
    ck_assert_str_eq(why, "text after a closing quote");
    ck_assert_int_eq(split("E001,张\"三,13800000001", 4), -1);
    ck_assert_str_eq(why, "a quote inside an unquoted field");
    ck_assert_int_eq(split("E001,张三 \"x\"", 4), -1);
    ck_assert_str_eq(why, "a quote inside an unquoted field");
    ck_assert_int_eq(split("\"", 4), -1);
    ck_assert_str_eq(why, "a quoted field is not closed (fields cannot span lines)");
}
END_TEST

START_TEST(test_header)
{
    static const char *const want[] = {"id", "name", "msisdn", "dept"};
    ck_assert_int_eq(split("id,name,msisdn,dept", 4), 4);
    ck_assert_int_eq(csvline_header_ok(f, 4, want, 4), 1);
    ck_assert_int_eq(split("ID, Name ,\"MSISDN\",Dept", 4), 4);
    ck_assert_int_eq(csvline_header_ok(f, 4, want, 4), 1);
    ck_assert_int_eq(split("id,name,dept,msisdn", 4), 4);
    ck_assert_int_eq(csvline_header_ok(f, 4, want, 4), 0);
    ck_assert_int_eq(split("id,name,msisdn", 4), 3);
    ck_assert_int_eq(csvline_header_ok(f, 3, want, 4), 0);
    ck_assert_int_eq(split("id,name,msisdn,dept,extra", 4), 5);
    ck_assert_int_eq(csvline_header_ok(f, 5, want, 4), 0);
    ck_assert_int_eq(split("工号,姓名,手机,部门", 4), 4);
    ck_assert_int_eq(csvline_header_ok(f, 4, want, 4), 0);
}
END_TEST

static Suite *csvline_suite(void)
{
    Suite *s = suite_create("csvline");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_plain);
    tcase_add_test(tc, test_blanks);
    tcase_add_test(tc, test_quoted);
    tcase_add_test(tc, test_more_than_max);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_header);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(csvline_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
