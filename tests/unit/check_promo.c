/*
 * check_promo.c: unit tests of core/promo.c: the exact text of a push, the optional fee
 * line and intro, the ordering line with the holder's codes last, refused fields, the
 * output buffer bound and the TEXT_MAX_PARTS boundary of the concatenated SMS.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/promo.h"
#include "core/textcodec.h"

static char out[8192];

static struct promo_fields promo_example(void)
{
    struct promo_fields f = {"畅享流量包", "每月30GB国内流量", "29元/月", "10086", "10001"};
    return f;
}

START_TEST(test_example)
{
    struct promo_fields f = promo_example();
    int n = promo_render(&f, out, sizeof out);

    ck_assert_int_eq(n, (int)strlen(out));
    ck_assert_str_eq(out, "【畅享流量包】每月30GB国内流量\n"
                          "资费：29元/月\n"
                          "发送10001到10086或拨打1008610001即可办理");
}
END_TEST

/* The last line tells how to order with this holder's codes, whatever the product. */
START_TEST(test_last_line_has_codes)
{
    struct promo_fields f = {"视频会员", "多行\n介绍", NULL, "12345", "20007"};

    ck_assert_int_gt(promo_render(&f, out, sizeof out), 0);
    ck_assert_str_eq(strrchr(out, '\n'), "\n发送20007到12345或拨打1234520007即可办理");
    ck_assert_ptr_null(strstr(out, "资费")); /* no fee, no fee line */
    ck_assert_ptr_nonnull(strstr(out, "多行\n介绍"));
}
END_TEST

START_TEST(test_optional_fields)
{
    struct promo_fields f = {"流量包", NULL, "", "10086", "10001"};

    ck_assert_int_gt(promo_render(&f, out, sizeof out), 0);
    ck_assert_str_eq(out, "【流量包】\n发送10001到10086或拨打1008610001即可办理");
    f.intro = "每月10GB \n\n";
    f.fee = "10元/月\n";
    ck_assert_int_gt(promo_render(&f, out, sizeof out), 0);
    ck_assert_str_eq(out,
                     "【流量包】每月10GB\n资费：10元/月\n发送10001到10086或拨打1008610001即可办理");
}
END_TEST

START_TEST(test_refused)
{
    struct promo_fields f = promo_example();

    f.name = "";
    ck_assert_int_eq(promo_render(&f, out, sizeof out), -EINVAL);
    f.name = NULL;
    ck_assert_int_eq(promo_render(&f, out, sizeof out), -EINVAL);
    f = promo_example();
    f.service = "10o86";
    ck_assert_int_eq(promo_render(&f, out, sizeof out), -EINVAL);
    f = promo_example();
    f.sms_code = "10 01";
    ck_assert_int_eq(promo_render(&f, out, sizeof out), -EINVAL);
    f.sms_code = "";
    ck_assert_int_eq(promo_render(&f, out, sizeof out), -EINVAL);
    f = promo_example();
    f.intro = "bad \xff byte";
    ck_assert_int_eq(promo_render(&f, out, sizeof out), -EINVAL);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(promo_render(NULL, out, sizeof out), -EINVAL);
    f = promo_example();
    ck_assert_int_eq(promo_render(&f, NULL, 10), -EINVAL);
}
END_TEST

START_TEST(test_bounds)
{
    struct promo_fields f = promo_example();
    char small[128];
    int n = promo_render(&f, out, sizeof out);

    ck_assert_int_gt(n, 0);
    memset(small, 'z', sizeof small);
    ck_assert_int_eq(promo_render(&f, small, (size_t)n), -ENOSPC);
    ck_assert_str_eq(small, "");
    ck_assert_int_eq(promo_render(&f, small, (size_t)n + 1), n);
    ck_assert_str_eq(small, out);
}
END_TEST

/* Fills BUF with N copies of "汉" (3 bytes each). */
static const char *promo_han(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        memcpy(buf + 3 * i, "汉", 3);
    buf[3 * n] = '\0';
    return buf;
}

/* "【X】" + intro + the 31-character ordering line: 34 + K UCS-2 characters. 16 parts of 67
 * take 1072, so an intro of 1038 characters is the longest that can be sent. */
START_TEST(test_max_parts)
{
    static char intro[3 * 1100 + 1];
    struct promo_fields f = {"X", NULL, NULL, "10086", "10001"};
    struct text_encoded enc;

    f.intro = promo_han(intro, 1038);
    int n = promo_render(&f, out, sizeof out);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(text_encode(out, (size_t)n, 1, &enc), 0);
    ck_assert_uint_eq(enc.nparts, TEXT_MAX_PARTS);
    ck_assert_uint_eq(enc.data_coding, TEXT_DCS_UCS2);

    f.intro = promo_han(intro, 1039);
    ck_assert_int_eq(promo_render(&f, out, sizeof out), -EMSGSIZE);
    ck_assert_str_eq(out, "");
}
END_TEST

static Suite *promo_suite(void)
{
    Suite *s = suite_create("promo");
    TCase *tc = tcase_create("promo");

    tcase_add_test(tc, test_example);
    tcase_add_test(tc, test_last_line_has_codes);
    tcase_add_test(tc, test_optional_fields);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_max_parts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(promo_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
