/*
 * check_log.c: unit tests of common/log.c's escaping: what came from outside cannot forge a
 * record (newline), reach the terminal (ESC), break a shipper (bytes that are not UTF-8) or
 * disguise itself (C1 controls, bidirectional overrides); Chinese text passes as it is. And
 * erm_log() itself: a message with those bytes is one escaped line in the file.
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

START_TEST(test_log_line_escaped)
{
    char path[] = "/tmp/check_log_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(erm_log_open(path), 0);
    erm_log(ERM_LOG_INFO, "mo", "from %s: \"%s\"", "1390000\n0001", "10001\x1b]0;x\xff");
    ck_assert_int_eq(erm_log_open(NULL), 0);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    unlink(path);
    buf[n] = '\0';
    ck_assert_ptr_nonnull(
        strstr(buf, " INFO  mo: from 1390000\\x0a0001: \"10001\\x1b]0;x\\xff\"\n"));
    ck_assert_ptr_eq(strchr(buf, '\n'), buf + n - 1); /* one line */
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
