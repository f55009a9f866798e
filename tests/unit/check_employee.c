/*
 * check_employee.c: unit tests of core/employee.c: ids, one employee's fields with the
 * exact lines ermctl prints (named as its options), the name boundary in Chinese, the
 * normalised number, and an import file's rows (named as its columns) with the same id or
 * number twice reported on the later lines.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/employee.h"
#include "core/field.h"

#include "repeat.h"

static char err[512];

/* Checks E and expects -EINVAL with the line WANT. */
static void refused(struct employee_spec e, const char *want)
{
    err[0] = '\0';
    ck_assert_int_eq(employee_check(&e, NULL, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, want);
}

START_TEST(test_is_id)
{
    ck_assert_int_eq(employee_is_id("E001"), 1);
    ck_assert_int_eq(employee_is_id("zhang.san@hq"), 1);
    ck_assert_int_eq(employee_is_id(repeat("x", EMPLOYEE_ID_MAX)), 1);
    ck_assert_int_eq(employee_is_id(repeat("x", EMPLOYEE_ID_MAX + 1)), 0);
    ck_assert_int_eq(employee_is_id(""), 0);
    ck_assert_int_eq(employee_is_id(NULL), 0);
    ck_assert_int_eq(employee_is_id("E 001"), 0);
    ck_assert_int_eq(employee_is_id("E001\t"), 0);
    ck_assert_int_eq(employee_is_id("张三"), 0);
    ck_assert_int_eq(employee_is_id("E\x7f"), 0);
}
END_TEST

START_TEST(test_id_fits)
{
    ck_assert_int_eq(employee_id_fits("E001"), 1);
    ck_assert_int_eq(employee_id_fits("E 001"), 1); /* the length only */
    ck_assert_int_eq(employee_id_fits(repeat("x", EMPLOYEE_ID_MAX)), 1);
    ck_assert_int_eq(employee_id_fits(repeat("x", EMPLOYEE_ID_MAX + 1)), 0);
    ck_assert_int_eq(employee_id_fits(""), 0);
    ck_assert_int_eq(employee_id_fits(NULL), 0);
}
END_TEST

START_TEST(test_good)
{
    char num[MSISDN_LEN + 1] = "";
    struct employee_spec e = {"E001", "张三", "+86 138-0000-0001", "市场部"};
    ck_assert_int_eq(employee_check(&e, num, err, sizeof err), 0);
    ck_assert_str_eq(num, "13800000001");
    e.dept = NULL;
    ck_assert_int_eq(employee_check(&e, NULL, err, sizeof err), 0);
    e.name = repeat("张", FIELD_NAME_MAX);
    ck_assert_int_eq(employee_check(&e, num, err, sizeof err), 0);
}
END_TEST

START_TEST(test_bad)
{
    struct employee_spec e = {"E001", "张三", "13800000001", "市场部"};
    struct employee_spec b = e;
    b.id = "E 1";
    refused(b, "--id: \"E 1\" is not an employee id (1 to 32 printable ASCII characters, no "
               "spaces)");
    b.id = NULL;
    refused(b, "--id: \"\" is not an employee id (1 to 32 printable ASCII characters, no spaces)");
    /* An id that a spreadsheet would run as a formula. */
    static const char *const formulas[] = {"=1+1", "+E1", "-E1", "@SUM(A1)", "-"};
    for (size_t i = 0; i < sizeof formulas / sizeof formulas[0]; i++) {
        char want[128];
        b.id = formulas[i];
        snprintf(want, sizeof want,
                 "--id: \"%s\" is not an employee id (it may not start with =, +, - or @)",
                 formulas[i]);
        refused(b, want);
    }
    b.id = "E-1=@+"; /* inside an id they are fine */
    ck_assert_int_eq(employee_check(&b, NULL, err, sizeof err), 0);
    b.name = "=HYPERLINK(\"x\")"; /* a name may: it is neutralised on output */
    ck_assert_int_eq(employee_check(&b, NULL, err, sizeof err), 0);
    b.name = "张\xe2\x80\xae三";
    refused(b, "--name: holds U+202E, a control or bidirectional formatting character that "
               "disguises the text");
    b = e;
    b = e;
    b.name = "";
    refused(b, "--name: must not be empty");
    b.name = repeat("张", FIELD_NAME_MAX + 1);
    refused(b, "--name: 41 characters, at most 40");
    b.name = "张\x1b三";
    refused(b, "--name: not valid UTF-8 text on one line");
    b = e;
    b.dept = repeat("部", EMPLOYEE_DEPT_MAX + 1);
    refused(b, "--dept: 101 characters, at most 100");
    b = e;
    b.msisdn = "1380000";
    refused(b, "--msisdn: \"1380000\" is not an 11-digit mobile number");
    b.msisdn = "12800000001";
    refused(b, "--msisdn: \"12800000001\" is not an 11-digit mobile number");
    b.msisdn = NULL;
    refused(b, "--msisdn: \"\" is not an 11-digit mobile number");
}
END_TEST

START_TEST(test_columns)
{
    ck_assert_int_eq(EMPLOYEE_COLUMNS, 4);
    ck_assert_str_eq(employee_columns[0], "id");
    ck_assert_str_eq(employee_columns[1], "name");
    ck_assert_str_eq(employee_columns[2], "msisdn");
    ck_assert_str_eq(employee_columns[3], "dept");
}
END_TEST

/* What the rows check reported, as "LINE: reason" lines. */
static char report[4096];

static void bad(void *arg, unsigned line, const char *reason)
{
    int *n = arg;
    size_t len = strlen(report);
    snprintf(report + len, sizeof report - len, "%u: %s\n", line, reason);
    (*n)++;
}

START_TEST(test_rows_good)
{
    const struct employee_row rows[] = {
        {2, {"E001", "张三", "13800000001", "市场部"}},
        {3, {"E002", "李四", "+8613800000002", ""}},
        {5, {"E003", "王五", "8613800000003", NULL}},
    };
    char num[3][MSISDN_LEN + 1];
    int n = 0;
    report[0] = '\0';
    ck_assert_int_eq(employee_rows_check(rows, 3, bad, &n), 0);
    ck_assert_int_eq(employee_rows_check_numbers(rows, 3, num, bad, &n), 0);
    ck_assert_int_eq(n, 0);
    ck_assert_str_eq(num[0], "13800000001");
    ck_assert_str_eq(num[1], "13800000002");
    ck_assert_str_eq(num[2], "13800000003");
    ck_assert_int_eq(employee_rows_check(rows, 0, bad, &n), 0);
}
END_TEST

START_TEST(test_rows_fields)
{
    const struct employee_row rows[] = {
        {2, {"E001", "张三", "1380000", "市场部"}},
        {3, {"E 2", "李四", "13800000002", ""}},
        {4, {"E003", "", "13800000003", ""}},
        {6, {"E004", "赵六", "13800000004", "部\n门"}},
    };
    char num[4][MSISDN_LEN + 1];
    int n = 0;
    report[0] = '\0';
    ck_assert_int_eq(employee_rows_check_numbers(rows, 4, num, bad, &n), 4);
    ck_assert_int_eq(n, 4);
    ck_assert_str_eq(report,
                     "2: msisdn: \"1380000\" is not an 11-digit mobile number\n"
                     "3: id: \"E 2\" is not an employee id (1 to 32 printable ASCII characters, "
                     "no spaces)\n"
                     "4: name: must not be empty\n"
                     "6: dept: not valid UTF-8 text on one line\n");
    for (int i = 0; i < 4; i++)
        ck_assert_str_eq(num[i], "");
}
END_TEST

START_TEST(test_rows_duplicates)
{
    /* E001 three times, a number twice in two forms, and a bad row that takes no part. */
    const struct employee_row rows[] = {
        {2, {"E001", "张三", "13800000001", ""}}, {3, {"E002", "李四", "+86 138 0000 0001", ""}},
        {4, {"E001", "张三", "13800000003", ""}}, {5, {"E004", "赵六", "13800000004", ""}},
        {7, {"E001", "张三", "13800000005", ""}}, {8, {"E004", "", "13800000004", ""}},
    };
    int n = 0;
    report[0] = '\0';
    ck_assert_int_eq(employee_rows_check(rows, 6, bad, &n), 4);
    ck_assert_int_eq(n, 4);
    ck_assert_str_eq(report, "8: name: must not be empty\n"
                             "4: id: E001 is also on line 2\n"
                             "7: id: E001 is also on line 2\n"
                             "3: msisdn: 13800000001 is also on line 2\n");
}
END_TEST

static Suite *employee_suite(void)
{
    Suite *s = suite_create("employee");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_is_id);
    tcase_add_test(tc, test_id_fits);
    tcase_add_test(tc, test_good);
    tcase_add_test(tc, test_bad);
    tcase_add_test(tc, test_columns);
    tcase_add_test(tc, test_rows_good);
    tcase_add_test(tc, test_rows_fields);
    tcase_add_test(tc, test_rows_duplicates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(employee_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
