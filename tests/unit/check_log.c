/*
 * check_log.c: unit tests of common/log.c's escaping: what came from outside cannot forge a
 * record (newline), reach the terminal (ESC), break a shipper (bytes that are not UTF-8) or
 * disguise itself (C1 controls, bidirectional overrides); Chinese text passes as it is. And
 * erm_log() itself: a message with those bytes is one escaped line in the file. And the rate
 * limit of what a peer can repeat (ERM_WARN_RL): a burst is written, the rest of the window
 * counted, and the first record after it says how many were held back.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

struct esc_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *out;
};

static const struct esc_case esc_cases[] = {
    {"13900000001", 0, "13900000001"},
    {"订购10001", 0, "订购10001"},
    {"a\nERROR forged", 0, "a\\x0aERROR forged"},
    {"\r\t\x1b[31mred", 0, "\\x0d\\x09\\x1b[31mred"},
    {"\x7f", 0, "\\x7f"},
    {"\xff\xfe\xfd", 0, "\\xff\\xfe\\xfd"},
    {"back\\slash", 0, "back\\\\slash"},
    {"\\x41", 0, "\\\\x41"},                              /* a literal escape is not one */
    {"\xc2\x85next", 0, "\\u{0085}next"},                 /* C1 NEL */
    {"abc\xe2\x80\xaetxt.exe", 0, "abc\\u{202e}txt.exe"}, /* right-to-left override */
    {"\xe2\x81\xa6x", 0, "\\u{2066}x"},
    {"\xe2\x80\x8fx", 0, "\\u{200f}x"},              /* right-to-left mark */
    {"\xc0\xaf", 0, "\\xc0\\xaf"},                   /* overlong '/' */
    {"\xed\xa0\x80", 0, "\\xed\\xa0\\x80"},          /* a surrogate */
    {"\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80"}, /* above U+10FFFF */
    {"\xe8\xae", 0, "\\xe8\\xae"},                   /* cut sequence */
    {"\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80"},     /* an emoji passes */
    {"a\0b", 3, "a\\x00b"},
};

START_TEST(test_escape)
{
    const struct esc_case *c = &esc_cases[_i];
    char out[256];
    size_t len = c->len ? c->len : strlen(c->in);
    size_t n = erm_log_escape(c->in, len, out, sizeof out);
    ck_assert_str_eq(out, c->out);
    ck_assert_uint_eq(n, strlen(c->out));
}
END_TEST

START_TEST(test_escape_short_buffer)
{
    char out[8];
    /* "订" is 3 bytes: two fit in 7 bytes and a NUL, a third would be cut. */
    size_t n = erm_log_escape("订订订", 9, out, sizeof out);
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(out, "订订");
    /* An escape is never cut either. */
    n = erm_log_escape("abc\n", 4, out, 7);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(out, "abc");
    ck_assert_uint_eq(erm_log_escape("x", 1, out, 1), 0);
    ck_assert_str_eq(out, "");
}
END_TEST

/* Sends the records to a new temporary file, named in PATH (a mkstemp template). */
static void log_to_temp(char *path)
{
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(erm_log_open(path), 0);
}

/* The file PATH's text so far in BUF (CAP bytes), NUL-terminated. */
static char *log_read(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

START_TEST(test_log_line_escaped)
{
    char path[] = "/tmp/check_log_XXXXXX";
    log_to_temp(path);
    erm_log(ERM_LOG_INFO, "mo", "from %s: \"%s\"", "1390000\n0001", "10001\x1b]0;x\xff");
    ck_assert_int_eq(erm_log_open(NULL), 0);
    char buf[512];
    log_read(path, buf, sizeof buf);
    size_t n = strlen(buf);
    unlink(path);
    ck_assert_ptr_nonnull(
        strstr(buf, " INFO  mo: from 1390000\\x0a0001: \"10001\\x1b]0;x\\xff\"\n"));
    ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1); /* one line */
}
END_TEST

/* ---- the rate limit (struct erm_log_limit, ERM_WARN_RL), the clock injected ---- */

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

static unsigned count_of(const char *text, const char *needle)
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
    char path[] = "/tmp/check_log_XXXXXX";
    static char buf[1 << 16];
    log_to_temp(path);
    erm_log_set_clock(fake_clock);
    fake_now = 500000;
    for (unsigned i = 0; i < 1000; i++)
        warn_nack(i);
    const char *text = log_read(path, buf, sizeof buf);
    ck_assert_uint_eq(count_of(text, "\n"), ERM_LOG_LIMIT_BURST);
    ck_assert_uint_eq(count_of(text, "more like it"), 0);
    fake_now += 12000;
    warn_nack(5000);
    text = log_read(path, buf, sizeof buf);
    ck_assert_uint_eq(count_of(text, "\n"), ERM_LOG_LIMIT_BURST + 1);
    ck_assert_ptr_nonnull(
        strstr(text, "WARN  smpp: generic_nack seq 5000 (997 more like it in the last 12 s)\n"));
    /* another call site has its own limit */
    ERM_WARN_RL("smpp", "other");
    ck_assert_ptr_nonnull(strstr(log_read(path, buf, sizeof buf), "smpp: other\n"));
    /* below the level in force: neither written nor counted */
    erm_log_set_level(ERM_LOG_ERROR);
    for (unsigned i = 0; i < 10; i++)
        warn_nack(6000 + i);
    erm_log_set_level(ERM_LOG_INFO);
    warn_nack(7000);
    warn_nack(7001);
    text = log_read(path, buf, sizeof buf);
    ck_assert_ptr_nonnull(strstr(text, "seq 7001\n"));
    ck_assert_ptr_null(strstr(text, "seq 6000"));
    erm_log_set_clock(NULL);
    erm_log_open(NULL);
    unlink(path);
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("escape");
    tcase_add_loop_test(tc, test_escape, 0, (int)(sizeof esc_cases / sizeof esc_cases[0]));
    tcase_add_test(tc, test_escape_short_buffer);
    tcase_add_test(tc, test_log_line_escaped);
    suite_add_tcase(s, tc);
    TCase *lim = tcase_create("limit");
    tcase_add_test(lim, test_pass_burst_then_held);
    tcase_add_test(lim, test_macro_through_the_file);
    suite_add_tcase(s, lim);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(log_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
