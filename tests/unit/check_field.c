/*
 * check_field.c: unit tests of core/field.c: characters counted in UTF-8 (malformed,
 * overlong, surrogate and control characters refused), the free text check with its exact
 * error lines and its boundary in characters (40 of Chinese fit, 41 do not), calendar
 * dates, small numbers and the error writer.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/field.h"

#include "repeat.h"

static char err[256];

START_TEST(test_chars)
{
    ck_assert_int_eq(field_chars("", 0), 0);
    ck_assert_int_eq(field_chars("abc", 0), 3);
    ck_assert_int_eq(field_chars("流量包", 0), 3);
    ck_assert_int_eq(field_chars("a流b", 0), 3);
    ck_assert_int_eq(field_chars("\xc3\xa9", 0), 1);         /* é, 2 bytes */
    ck_assert_int_eq(field_chars("\xf0\x9f\x98\x80", 0), 1); /* an emoji, 4 bytes */
}
END_TEST

START_TEST(test_chars_control)
{
    ck_assert_int_eq(field_chars("a\nb", 0), -1);
    ck_assert_int_eq(field_chars("a\tb", 0), -1);
    ck_assert_int_eq(field_chars("a\nb", 1), 3);
    ck_assert_int_eq(field_chars("a\tb", 1), 3);
    ck_assert_int_eq(field_chars("a\rb", 1), -1);
    ck_assert_int_eq(field_chars("a\x01", 1), -1);
    ck_assert_int_eq(field_chars("a\x1b[31m", 0), -1);
    ck_assert_int_eq(field_chars("a\x7f", 1), -1);
}
END_TEST

START_TEST(test_chars_malformed)
{
    ck_assert_int_eq(field_chars("\xc0\x80", 0), -1);         /* overlong NUL */
    ck_assert_int_eq(field_chars("\xe0\x80\xaf", 0), -1);     /* overlong '/' */
    ck_assert_int_eq(field_chars("\xf0\x80\x80\xaf", 0), -1); /* overlong, 4 bytes */
    ck_assert_int_eq(field_chars("\xed\xa0\x80", 0), -1);     /* a surrogate */
    ck_assert_int_eq(field_chars("\xf4\x90\x80\x80", 0), -1); /* above U+10FFFF */
    ck_assert_int_eq(field_chars("\xf5\x80\x80\x80", 0), -1); /* never a lead byte */
    ck_assert_int_eq(field_chars("\xe6\xb5", 0), -1);         /* cut short */
    ck_assert_int_eq(field_chars("\x80", 0), -1);             /* a lone continuation */
    ck_assert_int_eq(field_chars("\xe6\xb5\x41", 0), -1);     /* continuation missing */
    ck_assert_int_eq(field_chars("\xef\xbf\xbf", 0), 1);      /* U+FFFF is fine */
    ck_assert_int_eq(field_chars("\xf4\x8f\xbf\xbf", 0), 1);  /* U+10FFFF is fine */
}
END_TEST

START_TEST(test_text_required)
{
    ck_assert_int_eq(field_check_text("--name", "", 1, 40, 0, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "--name: must not be empty");
    ck_assert_int_eq(field_check_text("--name", NULL, 1, 40, 0, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "--name: must not be empty");
    strcpy(err, "untouched");
    ck_assert_int_eq(field_check_text("--fee", NULL, 0, 200, 0, err, sizeof err), 0);
    ck_assert_int_eq(field_check_text("--fee", "", 0, 200, 0, err, sizeof err), 0);
    ck_assert_str_eq(err, "untouched");
}
END_TEST

START_TEST(test_text_boundary)
{
    ck_assert_int_eq(field_check_text("--name", repeat("流", FIELD_NAME_MAX), 1, FIELD_NAME_MAX, 0,
                                      err, sizeof err),
                     0);
    ck_assert_int_eq(field_check_text("--name", repeat("流", FIELD_NAME_MAX + 1), 1, FIELD_NAME_MAX,
                                      0, err, sizeof err),
                     -EINVAL);
    ck_assert_str_eq(err, "--name: 41 characters, at most 40");
    ck_assert_int_eq(field_check_text("--name", repeat("a", 40), 1, 40, 0, err, sizeof err), 0);
    ck_assert_int_eq(field_check_text("--name", repeat("a", 41), 1, 40, 0, err, sizeof err),
                     -EINVAL);
    ck_assert_str_eq(err, "--name: 41 characters, at most 40");
    /* A name of 40 characters of 4 bytes fills FIELD_NAME_BYTES exactly. */
    ck_assert_int_eq(strlen(repeat("\xf0\x9f\x98\x80", FIELD_NAME_MAX)) + 1, FIELD_NAME_BYTES);
}
END_TEST

START_TEST(test_text_control)
{
    ck_assert_int_eq(field_check_text("--name", "流量\n包", 1, 40, 0, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "--name: not valid UTF-8 text on one line");
    ck_assert_int_eq(field_check_text("--intro", "每月\n30GB", 0, 1000, 1, err, sizeof err), 0);
    ck_assert_int_eq(field_check_text("--intro", "每月\x01", 0, 1000, 1, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "--intro: not valid UTF-8 text");
    ck_assert_int_eq(field_check_text("dept", "\xe6\xb5", 0, 100, 0, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "dept: not valid UTF-8 text on one line");
}
END_TEST

START_TEST(test_text_hidden)
{
    /* C1 controls and the bidirectional marks, embeddings, overrides and isolates disguise
     * what a manager reads (U+202E shows "gpj.exe" as "exe.jpg"): refused by code point. */
    static const struct {
        const char *text;
        const char *cp;
    } hidden[] = {
        {"a\xc2\x80", "0080"},
        {"a\xc2\x9b[31m", "009B"},
        {"a\xc2\x9f", "009F"},
        {"a\xe2\x80\x8e", "200E"},
        {"a\xe2\x80\x8f", "200F"},
        {"a\xe2\x80\xaa", "202A"},
        {"a\xe2\x80\xab", "202B"},
        {"a\xe2\x80\xac", "202C"},
        {"a\xe2\x80\xad", "202D"},
        {"\xe2\x80\xaegpj.exe", "202E"},
        {"a\xe2\x81\xa6", "2066"},
        {"a\xe2\x81\xa7", "2067"},
        {"a\xe2\x81\xa8", "2068"},
        {"a\xe2\x81\xa9"
         "b",
         "2069"},
    };
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
        char want[160];
        ck_assert_int_eq(field_chars(hidden[i].text, 1), -1);
        ck_assert_int_eq(field_check_text("--name", hidden[i].text, 1, 40, 1, err, sizeof err),
                         -EINVAL);
        snprintf(want, sizeof want,
                 "--name: holds U+%s, a control or bidirectional formatting character that "
                 "disguises the text",
                 hidden[i].cp);
        ck_assert_str_eq(err, want);
    }
    /* Their neighbours are ordinary characters. */
    ck_assert_int_eq(field_chars("\xc2\xa0", 0), 1);     /* U+00A0, no-break space */
    ck_assert_int_eq(field_chars("\xe2\x80\x8d", 0), 1); /* U+200D, zero-width joiner */
    ck_assert_int_eq(field_chars("\xe2\x80\xaf", 0), 1); /* U+202F */
    ck_assert_int_eq(field_chars("\xe2\x81\xa5", 0), 1); /* U+2065 */
    ck_assert_int_eq(field_chars("\xe2\x81\xaa", 0), 1); /* U+206A */
    ck_assert_int_eq(field_is_hidden(0x7f), 0);
    ck_assert_int_eq(field_is_hidden(0x202e), 1);
}
END_TEST

START_TEST(test_date)
{
    ck_assert_int_eq(field_is_date("2024-01-31"), 1);
    ck_assert_int_eq(field_is_date("2024-02-29"), 1); /* leap year */
    ck_assert_int_eq(field_is_date("2000-02-29"), 1); /* divisible by 400 */
    ck_assert_int_eq(field_is_date("2023-02-29"), 0);
    ck_assert_int_eq(field_is_date("2100-02-29"), 0); /* divisible by 100 */
    ck_assert_int_eq(field_is_date("2024-04-30"), 1);
    ck_assert_int_eq(field_is_date("2024-04-31"), 0);
    ck_assert_int_eq(field_is_date("2024-12-31"), 1);
    ck_assert_int_eq(field_is_date("2024-13-01"), 0);
    ck_assert_int_eq(field_is_date("2024-00-10"), 0);
    ck_assert_int_eq(field_is_date("2024-01-00"), 0);
    ck_assert_int_eq(field_is_date("1999-12-31"), 0);
    ck_assert_int_eq(field_is_date("2024-4-01"), 0);
    ck_assert_int_eq(field_is_date("2024/04/01"), 0);
    ck_assert_int_eq(field_is_date("2024-04-01 "), 0);
    ck_assert_int_eq(field_is_date("2024-0a-01"), 0);
    ck_assert_int_eq(field_is_date("+024-04-01"), 0);
    ck_assert_int_eq(field_is_date(""), 0);
}
END_TEST

START_TEST(test_small_uint)
{
    ck_assert_int_eq(field_is_small_uint("0", 366), 1);
    ck_assert_int_eq(field_is_small_uint("7", 366), 1);
    ck_assert_int_eq(field_is_small_uint("007", 366), 1);
    ck_assert_int_eq(field_is_small_uint("366", 366), 1);
    ck_assert_int_eq(field_is_small_uint("367", 366), 0);
    ck_assert_int_eq(field_is_small_uint("0366", 366), 0); /* at most 3 digits */
    ck_assert_int_eq(field_is_small_uint("", 366), 0);
    ck_assert_int_eq(field_is_small_uint("-1", 366), 0);
    ck_assert_int_eq(field_is_small_uint("+1", 366), 0);
    ck_assert_int_eq(field_is_small_uint("7d", 366), 0);
    ck_assert_int_eq(field_is_small_uint(" 7", 366), 0);
}
END_TEST

START_TEST(test_error)
{
    char small[8];
    ck_assert_int_eq(field_error(err, sizeof err, -EPERM, "%s %d", "x", 5), -EPERM);
    ck_assert_str_eq(err, "x 5");
    ck_assert_int_eq(field_error(NULL, 0, -EINVAL, "%s", "nowhere"), -EINVAL);
    ck_assert_int_eq(field_error(small, sizeof small, -EINVAL, "%s", "a long line"), -EINVAL);
    ck_assert_str_eq(small, "a long ");
}
END_TEST

static Suite *field_suite(void)
{
    Suite *s = suite_create("field");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_chars);
    tcase_add_test(tc, test_chars_control);
    tcase_add_test(tc, test_chars_malformed);
    tcase_add_test(tc, test_text_required);
    tcase_add_test(tc, test_text_boundary);
    tcase_add_test(tc, test_text_control);
    tcase_add_test(tc, test_text_hidden);
    tcase_add_test(tc, test_date);
    tcase_add_test(tc, test_small_uint);
    tcase_add_test(tc, test_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(field_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
