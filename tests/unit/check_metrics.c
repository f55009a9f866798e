/*
 * check_metrics.c: unit tests of core/metrics.c, the registry behind GET /metrics: names
 * checked when declared, series made per label set, histograms cumulative with +Inf, sum and
 * count, label values and help lines escaped, values in the format's spelling, and the whole
 * text exactly as Prometheus 0.0.4 wants it.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"

static struct metrics_reg *reg_new(void)
{
    struct metrics_reg *r = NULL;
    ck_assert_int_eq(metrics_reg_create(&r), 0);
    return r;
}

static char *render(struct metrics_reg *r)
{
    char *out = NULL;
    size_t len = 0;
    ck_assert_int_eq(metrics_render(r, &out, &len), 0);
    ck_assert_uint_eq(len, strlen(out));
    return out;
}

START_TEST(test_names_checked)
{
    struct metrics_reg *r = reg_new();
    ck_assert_int_eq(metrics_family(r, "ermgw_mo_total", METRICS_COUNTER, "MOs", "outcome"), 0);
    ck_assert_int_eq(metrics_family(r, "ermgw_mo_total", METRICS_COUNTER, "again", NULL), -EEXIST);
    /* a counter must end in _total */
    ck_assert_int_eq(metrics_family(r, "ermgw_mo", METRICS_COUNTER, "x", NULL), -EINVAL);
    ck_assert_int_eq(metrics_family(r, "9lives", METRICS_GAUGE, "x", NULL), -EINVAL);
    ck_assert_int_eq(metrics_family(r, "a-b", METRICS_GAUGE, "x", NULL), -EINVAL);
    ck_assert_int_eq(metrics_family(r, "", METRICS_GAUGE, "x", NULL), -EINVAL);
    ck_assert_int_eq(metrics_family(r, "g1", METRICS_GAUGE, "x", "__reserved"), -EINVAL);
    ck_assert_int_eq(metrics_family(r, "g2", METRICS_GAUGE, "x", "a:b"), -EINVAL);
    ck_assert_int_eq(metrics_family(r, "g3", METRICS_GAUGE, "x", "a,a"), -EINVAL);
    ck_assert_int_eq(metrics_family(r, "g4", METRICS_GAUGE, "x", "a,"), -EINVAL);
    ck_assert_int_eq(metrics_family(r, "g5", METRICS_GAUGE, "x", "a,b,c,d"), -EINVAL);
    ck_assert_int_eq(metrics_family(r, "h1", METRICS_HISTOGRAM, "x", "le"), -EINVAL);
    ck_assert_int_eq(metrics_family(r, "ns:sub_gauge", METRICS_GAUGE, "x", "a,b,c"), 0);
    /* the refused ones left nothing behind */
    char *out = render(r);
    ck_assert_ptr_null(strstr(out, "g1"));
    ck_assert_ptr_null(strstr(out, "h1"));
    free(out);
    metrics_reg_free(r);
}
END_TEST

START_TEST(test_set_add_and_types)
{
    struct metrics_reg *r = reg_new();
    ck_assert_int_eq(metrics_family(r, "c_total", METRICS_COUNTER, "c", "k"), 0);
    ck_assert_int_eq(metrics_family(r, "g", METRICS_GAUGE, "g", NULL), 0);
    ck_assert_int_eq(metrics_family(r, "h", METRICS_HISTOGRAM, "h", NULL), 0);
    const char *a[] = {"a"}, *b[] = {"b"};
    ck_assert_int_eq(metrics_add(r, "c_total", a, 2), 0);
    ck_assert_int_eq(metrics_add(r, "c_total", a, 3), 0);
    ck_assert_int_eq(metrics_set(r, "c_total", b, 7), 0);
    ck_assert_int_eq(metrics_set(r, "c_total", b, -1), -EINVAL);   /* counters never go down */
    ck_assert_int_eq(metrics_add(r, "c_total", NULL, 1), -EINVAL); /* its label is missing */
    ck_assert_int_eq(metrics_set(r, "g", NULL, -2.5), 0);
    ck_assert_int_eq(metrics_set(r, "nope", NULL, 1), -ENOENT);
    ck_assert_int_eq(metrics_set(r, "h", NULL, 1), -EINVAL);
    struct metrics_hist hist;
    metrics_hist_init(&hist, (const double[]){1}, 1);
    ck_assert_int_eq(metrics_set_hist(r, "g", NULL, &hist), -EINVAL);
    char *out = render(r);
    ck_assert_str_eq(out, "# HELP c_total c\n# TYPE c_total counter\n"
                          "c_total{k=\"a\"} 5\nc_total{k=\"b\"} 7\n"
                          "# HELP g g\n# TYPE g gauge\ng -2.5\n"
                          "# HELP h h\n# TYPE h histogram\n");
    free(out);
    metrics_reg_free(r);
}
END_TEST

START_TEST(test_histogram_cumulative)
{
    static const double bounds[] = {0.125, 0.5, 1}; /* binary fractions: sums exact */
    struct metrics_hist h, h2;
    metrics_hist_init(&h, bounds, 3);
    metrics_hist_observe(&h, 0.0625);
    metrics_hist_observe(&h, 0.125); /* on the bound: in it (le) */
    metrics_hist_observe(&h, 0.75);
    metrics_hist_observe(&h, 2.5); /* above every bound: +Inf only */
    ck_assert_uint_eq(h.count, 4);
    metrics_hist_init(&h2, bounds, 3);
    metrics_hist_observe(&h2, 0.25);
    ck_assert_int_eq(metrics_hist_merge(&h, &h2), 0);
    struct metrics_hist other;
    metrics_hist_init(&other, bounds, 2);
    ck_assert_int_eq(metrics_hist_merge(&h, &other), -EINVAL);

    struct metrics_reg *r = reg_new();
    ck_assert_int_eq(metrics_family(r, "ermgw_lat_seconds", METRICS_HISTOGRAM, "latency", "ch"), 0);
    ck_assert_int_eq(metrics_set_hist(r, "ermgw_lat_seconds", (const char *[]){"sms"}, &h), 0);
    char *out = render(r);
    ck_assert_str_eq(out, "# HELP ermgw_lat_seconds latency\n"
                          "# TYPE ermgw_lat_seconds histogram\n"
                          "ermgw_lat_seconds_bucket{ch=\"sms\",le=\"0.125\"} 2\n"
                          "ermgw_lat_seconds_bucket{ch=\"sms\",le=\"0.5\"} 3\n"
                          "ermgw_lat_seconds_bucket{ch=\"sms\",le=\"1\"} 4\n"
                          "ermgw_lat_seconds_bucket{ch=\"sms\",le=\"+Inf\"} 5\n"
                          "ermgw_lat_seconds_sum{ch=\"sms\"} 3.6875\n"
                          "ermgw_lat_seconds_count{ch=\"sms\"} 5\n");
    free(out);
    metrics_reg_free(r);
}
END_TEST

START_TEST(test_escaping)
{
    struct metrics_reg *r = reg_new();
    ck_assert_int_eq(metrics_family(r, "x", METRICS_GAUGE, "a \\ b\nc \"q\"", "v"), 0);
    /* backslash, quote, newline escaped; a control character and a byte that is not UTF-8
     * become U+FFFD; Chinese text passes as it is */
    ck_assert_int_eq(metrics_set(r, "x", (const char *[]){"a\"b\\c\nd\x1b\xff中"}, 1), 0);
    char *out = render(r);
    ck_assert_str_eq(out, "# HELP x a \\\\ b\\nc \"q\"\n# TYPE x gauge\n"
                          "x{v=\"a\\\"b\\\\c\\nd\xEF\xBF\xBD\xEF\xBF\xBD中\"} 1\n");
    free(out);
    metrics_reg_free(r);
}
END_TEST

START_TEST(test_values_spelled)
{
    char buf[32];
    metrics_format_value(3, buf, sizeof buf);
    ck_assert_str_eq(buf, "3");
    metrics_format_value(0.1, buf, sizeof buf);
    ck_assert_str_eq(buf, "0.1");
    metrics_format_value(-0.25, buf, sizeof buf);
    ck_assert_str_eq(buf, "-0.25");
    metrics_format_value(1e300, buf, sizeof buf);
    ck_assert_str_eq(buf, "1e+300");
    metrics_format_value(18446744073709551616.0, buf, sizeof buf);
    ck_assert_str_eq(buf, "1.8446744073709552e+19");
    metrics_format_value(1.0 / 0.0, buf, sizeof buf);
    ck_assert_str_eq(buf, "+Inf");
    metrics_format_value(-1.0 / 0.0, buf, sizeof buf);
    ck_assert_str_eq(buf, "-Inf");
    metrics_format_value(0.0 / 0.0, buf, sizeof buf);
    ck_assert_str_eq(buf, "NaN");
}
END_TEST

START_TEST(test_series_bounded)
{
    struct metrics_reg *r = reg_new();
    ck_assert_int_eq(metrics_family(r, "s_total", METRICS_COUNTER, "s", "n"), 0);
    char name[16];
    for (int i = 0; i < METRICS_SERIES_MAX; i++) {
        snprintf(name, sizeof name, "%d", i);
        ck_assert_int_eq(metrics_add(r, "s_total", (const char *[]){name}, 1), 0);
    }
    ck_assert_int_eq(metrics_add(r, "s_total", (const char *[]){"one more"}, 1), -ENOSPC);
    ck_assert_int_eq(metrics_add(r, "s_total", (const char *[]){"0"}, 1), 0); /* known: fine */
    metrics_reg_free(r);
}
END_TEST

START_TEST(test_empty)
{
    struct metrics_reg *r = reg_new();
    char *out = render(r);
    ck_assert_str_eq(out, "");
    free(out);
    metrics_reg_free(r);
    metrics_reg_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, test_names_checked);
    tcase_add_test(tc, test_set_add_and_types);
    tcase_add_test(tc, test_histogram_cumulative);
    tcase_add_test(tc, test_escaping);
    tcase_add_test(tc, test_values_spelled);
    tcase_add_test(tc, test_series_bounded);
    tcase_add_test(tc, test_empty);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
