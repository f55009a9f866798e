/*
 * check_report_out.c: unit tests of core/report_out.c: the CSV (BOM, every field quoted,
 * quotes doubled, CRLF), formula neutralisation (= + - @ tab CR get a leading ', figures
 * such as -5.00 do not), the null group ("-" in table and CSV, null in JSON, a real "-"
 * shown as '-), JSON escaping, the table's alignment of Chinese names by display width, no
 * rows, the format names and a row of another width refused.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/report_out.h"

static const char *const names3[] = {"employee", "name", "orders", "cancelled", "commission"};

/* A report of the rows ROWS (N of them, 5 columns each: employee, name, figures). */
static struct report_out *make(const char *const (*rows)[5], size_t n)
{
    struct report_out *o = report_out_new();
    ck_assert_ptr_nonnull(o);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(report_out_row(o, 5, names3, rows[i]), 0);
    return o;
}

/* O rendered as FMT; the caller frees. */
static char *render(const struct report_out *o, enum report_out_format fmt)
{
    char *text = NULL;
    size_t len = 0;
    ck_assert_int_eq(report_out_render(o, fmt, &text, &len), 0);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(len, strlen(text));
    return text;
}

/* The report of ROWS (N) rendered as FMT is WANT. */
static void renders(const char *const (*rows)[5], size_t n, enum report_out_format fmt,
                    const char *want)
{
    struct report_out *o = make(rows, n);
    char *text = render(o, fmt);
    ck_assert_str_eq(text, want);
    free(text);
    report_out_free(o);
}

START_TEST(test_csv_quotes_bom_crlf)
{
    static const char *const rows[][5] = {{"E01", "张\"三\"", "3", "1", "10.00"},
                                          {"E02", "a,b", "0", "0", "0.00"}};
    renders(rows, 2, REPORT_OUT_CSV,
            "\xEF\xBB\xBF\"employee\",\"name\",\"orders\",\"cancelled\",\"commission\"\r\n"
            "\"E01\",\"张\"\"三\"\"\",\"3\",\"1\",\"10.00\"\r\n"
            "\"E02\",\"a,b\",\"0\",\"0\",\"0.00\"\r\n");
}
END_TEST

START_TEST(test_csv_formulas_neutralised)
{
    static const char *const rows[][5] = {
        {"E01", "=cmd|' /C calc'!A0", "1", "1", "-5.00"},
        {"E02", "+SUM(A1:A9)", "2", "0", "10.00"},
        {"E03", "@SUM(A1:A9)", "1", "0", "5.00"},
        {"E04", "=HYPERLINK(\"http://x\",\"y\")", "1", "0", "5.00"},
        {"E05", "-2+3", "1", "0", "5.00"},
        {"E06", "\tx", "1", "0", "5.00"},
        {"E07", "\rx", "1", "0", "5.00"},
        {"E08", "a=b", "1", "2", "-10.00"},
    };
    struct report_out *o = make(rows, 8);
    char *csv = render(o, REPORT_OUT_CSV);
    ck_assert_ptr_nonnull(strstr(csv, "\"E01\",\"'=cmd|' /C calc'!A0\",\"1\",\"1\",\"-5.00\"\r\n"));
    ck_assert_ptr_nonnull(strstr(csv, "\"E02\",\"'+SUM(A1:A9)\","));
    ck_assert_ptr_nonnull(strstr(csv, "\"E03\",\"'@SUM(A1:A9)\","));
    ck_assert_ptr_nonnull(strstr(csv, "\"E04\",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","));
    ck_assert_ptr_nonnull(strstr(csv, "\"E05\",\"'-2+3\","));
    ck_assert_ptr_nonnull(strstr(csv, "\"E06\",\"'\tx\","));
    ck_assert_ptr_nonnull(strstr(csv, "\"E07\",\"'\rx\","));
    ck_assert_ptr_nonnull(strstr(csv, "\"E08\",\"a=b\",\"1\",\"2\",\"-10.00\"\r\n"));
    free(csv);
    /* JSON is for programs: values as they are. */
    char *json = render(o, REPORT_OUT_JSON);
    ck_assert_ptr_nonnull(strstr(json, "\"name\": \"=cmd|' /C calc'!A0\""));
    ck_assert_ptr_nonnull(strstr(json, "\"commission\": \"-5.00\""));
    free(json);
    report_out_free(o);
    ck_assert_int_eq(report_out_is_formula("=1"), 1);
    ck_assert_int_eq(report_out_is_formula(""), 0);
    ck_assert_int_eq(report_out_is_formula("E-1"), 0);
    ck_assert_int_eq(report_out_is_formula("'=1"), 0);
}
END_TEST

START_TEST(test_null_group)
{
    static const char *const rows[][5] = {{"-", "-", "2", "0", "10.00"},
                                          {NULL, NULL, "1", "1", "0.00"}};
    struct report_out *o = make(rows, 2);
    char *csv = render(o, REPORT_OUT_CSV);
    ck_assert_ptr_nonnull(strstr(csv, "\r\n\"'-\",\"'-\",\"2\",\"0\",\"10.00\"\r\n"
                                      "\"-\",\"-\",\"1\",\"1\",\"0.00\"\r\n"));
    free(csv);
    char *table = render(o, REPORT_OUT_TABLE);
    ck_assert_str_eq(table, "employee  name  orders  cancelled  commission\n"
                            "'-        '-         2          0       10.00\n"
                            "-         -          1          1        0.00\n");
    free(table);
    char *json = render(o, REPORT_OUT_JSON);
    ck_assert_str_eq(json, "[\n"
                           "  {\"employee\": \"-\", \"name\": \"-\", \"orders\": 2, "
                           "\"cancelled\": 0, \"commission\": \"10.00\"},\n"
                           "  {\"employee\": null, \"name\": null, \"orders\": 1, "
                           "\"cancelled\": 1, \"commission\": \"0.00\"}\n"
                           "]\n");
    free(json);
    report_out_free(o);
}
END_TEST

START_TEST(test_json_escaping)
{
    static const char *const rows[][5] = {{"E\"1", "a\\b\x01\x1f张", "1", "0", "5.00"}};
    renders(rows, 1, REPORT_OUT_JSON,
            "[\n  {\"employee\": \"E\\\"1\", \"name\": \"a\\\\b\\u0001\\u001f张\","
            " \"orders\": 1, \"cancelled\": 0, \"commission\": \"5.00\"}\n]\n");
}
END_TEST

START_TEST(test_table_chinese_alignment)
{
    static const char *const rows[][5] = {{"E01", "张三", "12", "1", "40.00"},
                                          {"E02", "欧阳娜娜", "3", "0", "-5.00"},
                                          {"E03", "Li Lei", "100", "10", "500.00"}};
    renders(rows, 3, REPORT_OUT_TABLE,
            "employee  name      orders  cancelled  commission\n"
            "E01       张三          12          1       40.00\n"
            "E02       欧阳娜娜       3          0       -5.00\n"
            "E03       Li Lei       100         10      500.00\n");
}
END_TEST

START_TEST(test_no_rows)
{
    struct report_out *o = report_out_new();
    char *t = render(o, REPORT_OUT_TABLE);
    ck_assert_str_eq(t, "no orders\n");
    free(t);
    t = render(o, REPORT_OUT_CSV);
    ck_assert_str_eq(t, "\xEF\xBB\xBF");
    free(t);
    t = render(o, REPORT_OUT_JSON);
    ck_assert_str_eq(t, "[]\n");
    free(t);
    ck_assert_uint_eq(report_out_rows(o), 0);
    report_out_free(o);
}
END_TEST

START_TEST(test_formats_and_widths)
{
    enum report_out_format f = REPORT_OUT_JSON;
    ck_assert_int_eq(report_out_parse_format(NULL, &f), 0);
    ck_assert_int_eq(f, REPORT_OUT_TABLE);
    ck_assert_int_eq(report_out_parse_format("csv", &f), 0);
    ck_assert_int_eq(f, REPORT_OUT_CSV);
    ck_assert_int_eq(report_out_parse_format("json", &f), 0);
    ck_assert_int_eq(f, REPORT_OUT_JSON);
    ck_assert_int_eq(report_out_parse_format("xml", &f), -EINVAL);
    ck_assert_int_eq(report_out_parse_format("CSV", &f), -EINVAL);
    static const char *const names4[] = {"day", "orders", "cancelled", "commission"};
    static const char *const v4[] = {"2026-11-01", "1", "0", "5.00"};
    static const char *const v5[] = {"E01", "x", "1", "0", "5.00"};
    struct report_out *o = report_out_new();
    ck_assert_int_eq(report_out_row(o, 4, names4, v4), 0);
    ck_assert_int_eq(report_out_row(o, 5, names3, v5), -EINVAL);
    ck_assert_int_eq(report_out_row(o, 0, names4, v4), -EINVAL);
    ck_assert_int_eq(report_out_row(o, REPORT_OUT_MAX_COLS + 1, names4, v4), -EINVAL);
    ck_assert_uint_eq(report_out_rows(o), 1);
    report_out_free(o);
}
END_TEST

START_TEST(test_many_rows)
{
    /* Past the first allocations: 1000 rows, every one rendered. */
    static const char *const names2[] = {"day", "orders", "cancelled", "commission"};
    struct report_out *o = report_out_new();
    for (int i = 0; i < 1000; i++) {
        const char *v[] = {i % 2 ? "2026-11-01" : NULL, "1", "0", "5.00"};
        ck_assert_int_eq(report_out_row(o, 4, names2, v), 0);
    }
    char *csv = render(o, REPORT_OUT_CSV);
    size_t lines = 0;
    for (const char *p = csv; (p = strstr(p, "\r\n")) != NULL; p += 2)
        lines++;
    ck_assert_uint_eq(lines, 1001);
    free(csv);
    report_out_free(o);
}
END_TEST

static Suite *report_out_suite(void)
{
    Suite *s = suite_create("report_out");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_csv_quotes_bom_crlf);
    tcase_add_test(tc, test_csv_formulas_neutralised);
    tcase_add_test(tc, test_null_group);
    tcase_add_test(tc, test_json_escaping);
    tcase_add_test(tc, test_table_chinese_alignment);
    tcase_add_test(tc, test_no_rows);
    tcase_add_test(tc, test_formats_and_widths);
    tcase_add_test(tc, test_many_rows);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(report_out_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
