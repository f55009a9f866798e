/*
 * check_log_limit.c: unit tests of common/log.c's rate limit (struct erm_log_limit,
 * ERM_WARN_RL): a burst is written, the rest of the window counted, and the first record
 * after the window says how many were held back; with the clock injected, through the file.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
    return fake_now;
}

START_TEST(test_pass_burst_then_held)
{
    struct erm_log_limit l = {0};
    unsigned held = 99;
    uint64_t since = 99;
    ck_assert_int_eq(erm_log_limit_pass(&l, 1000, &held, &since), 1);
    ck_assert_uint_eq(held, 0);
    ck_assert_uint_eq(since, 1000);
    for (unsigned i = 1; i < ERM_LOG_LIMIT_BURST; i++)
        ck_assert_int_eq(erm_log_limit_pass(&l, 1000 + i, &held, &since), 1);
    for (unsigned i = 0; i < 997; i++)
        ck_assert_int_eq(erm_log_limit_pass(&l, 2000 + i, &held, &since), 0);
    /* the window's last millisecond still holds back */
    ck_assert_int_eq(erm_log_limit_pass(&l, 1000 + ERM_LOG_LIMIT_MS - 1, &held, &since), 0);
    /* the first after the window: written, with the count and the window's start */
    ck_assert_int_eq(erm_log_limit_pass(&l, 1000 + ERM_LOG_LIMIT_MS, &held, &since), 1);
    ck_assert_uint_eq(held, 998);
    ck_assert_uint_eq(since, 1000);
    /* a new window: nothing held back in it yet */
    ck_assert_int_eq(erm_log_limit_pass(&l, 40000, &held, &since), 1);
    ck_assert_uint_eq(held, 0);
}
END_TEST

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static unsigned count_lines(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void warn_nack(unsigned seq)
{
    ERM_WARN_RL("smpp", "generic_nack seq %u", seq);
}

START_TEST(test_macro_through_the_file)
{
    char path[] = "/tmp/check_log_limit_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(erm_log_open(path), 0);
    erm_log_set_clock(fake_clock);
    fake_now = 500000;
    for (unsigned i = 0; i < 1000; i++)
        warn_nack(i);
    const char *text = read_all(path);
    ck_assert_uint_eq(count_lines(text, "\n"), ERM_LOG_LIMIT_BURST);
    ck_assert_uint_eq(count_lines(text, "more like it"), 0);
    fake_now += 12000;
    warn_nack(5000);
    text = read_all(path);
    ck_assert_uint_eq(count_lines(text, "\n"), ERM_LOG_LIMIT_BURST + 1);
    ck_assert_ptr_nonnull(
        strstr(text, "WARN  smpp: generic_nack seq 5000 (997 more like it in the last 12 s)\n"));
    /* another call site has its own limit */
    ERM_WARN_RL("smpp", "other");
    ck_assert_ptr_nonnull(strstr(read_all(path), "smpp: other\n"));
    /* below the level in force: neither written nor counted */
    erm_log_set_level(ERM_LOG_ERROR);
    for (unsigned i = 0; i < 10; i++)
        warn_nack(6000 + i);
    erm_log_set_level(ERM_LOG_INFO);
    warn_nack(7000);
    warn_nack(7001);
    text = read_all(path);
    ck_assert_ptr_nonnull(strstr(text, "seq 7001\n"));
    ck_assert_ptr_null(strstr(text, "seq 6000"));
    erm_log_set_clock(NULL);
    erm_log_open(NULL);
    unlink(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log_limit");
    TCase *tc = tcase_create("limit");
    tcase_add_test(tc, test_pass_burst_then_held);
    tcase_add_test(tc, test_macro_through_the_file);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
