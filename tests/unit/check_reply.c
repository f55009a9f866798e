/*
 * check_reply.c: unit tests of core/reply.c: each template's text and slot, NULL and
 * hostile slot values, the one-part length budget (70 UCS-2 characters with a ten-character
 * product name and the longest code), buffer bounds and the kind names; the claim, campaign
 * and opt-out replies and their slots (product, code, service number).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/codeplan.h"
#include "core/reply.h"
#include "core/textcodec.h"

static char out[512];

START_TEST(test_order_ok)
{
    int n = reply_render(REPLY_ORDER_OK, "流量包10GB", "10001", "10086", out, sizeof out);

    ck_assert_int_eq(n, (int)strlen(out));
    ck_assert_str_eq(out, "您已成功订购流量包10GB，感谢您的支持！");
}
END_TEST

START_TEST(test_order_dup)
{
    ck_assert_int_gt(reply_render(REPLY_ORDER_DUP, "视频会员", "10001", "10086", out, sizeof out),
                     0);
    ck_assert_str_eq(out, "您已订购过视频会员，无需重复订购，本次不会重复收费。");
}
END_TEST

START_TEST(test_code_unknown)
{
    ck_assert_int_gt(reply_render(REPLY_CODE_UNKNOWN, NULL, "10999", "10086", out, sizeof out), 0);
    ck_assert_str_eq(out, "您发送的代码10999无效，请核对后重新发送，回复BZ查看帮助。");
}
END_TEST

START_TEST(test_product_inactive)
{
    ck_assert_int_gt(
        reply_render(REPLY_PRODUCT_INACTIVE, "视频会员", "20001", "10086", out, sizeof out), 0);
    ck_assert_str_eq(out, "您发送的代码20001对应的产品暂未开放订购，感谢您的关注。");
    ck_assert_ptr_null(strstr(out, "视频会员")); /* this template names the code only */
}
END_TEST

START_TEST(test_help)
{
    ck_assert_int_gt(reply_render(REPLY_HELP, NULL, NULL, NULL, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "10001")); /* order by code */
    ck_assert_ptr_nonnull(strstr(out, "RL"));    /* claim */
    ck_assert_ptr_nonnull(strstr(out, "认领"));
    ck_assert_ptr_nonnull(strstr(out, "CX")); /* query */
    ck_assert_ptr_nonnull(strstr(out, "TD")); /* opt-out */
    ck_assert_ptr_nonnull(strstr(out, "退订"));
}
END_TEST

START_TEST(test_claim_ok)
{
    int n = reply_render(REPLY_CLAIM_OK, "流量包", "10001", "10086", out, sizeof out);

    ck_assert_int_eq(n, (int)strlen(out));
    ck_assert_str_eq(out, "您已成功认领流量包，专属订购码10001，亲友发送10001到10086即可订购。");
}
END_TEST

/* Asking again names the same code and says it was already held. */
START_TEST(test_claim_held)
{
    ck_assert_int_gt(reply_render(REPLY_CLAIM_HELD, "流量包", "10001", "10086", out, sizeof out),
                     0);
    ck_assert_str_eq(out, "您已认领过流量包，专属订购码仍是10001，亲友发送10001到10086即可订购。");
}
END_TEST

/* A service "number" that is not one is left out, like a code that is not one. */
START_TEST(test_service_not_echoed)
{
    ck_assert_int_gt(reply_render(REPLY_CLAIM_OK, "X", "10001", "10o86", out, sizeof out), 0);
    ck_assert_ptr_null(strstr(out, "10o86"));
    ck_assert_int_gt(reply_render(REPLY_CLAIM_OK, "X", "10001", NULL, out, sizeof out), 0);
    ck_assert_str_eq(out, "您已成功认领X，专属订购码10001，亲友发送10001到即可订购。");
    ck_assert_int_gt(reply_render(REPLY_CLAIM_OK, "X", "10001", "12", out, sizeof out), 0);
    ck_assert_ptr_null(strstr(out, "到12"));
}
END_TEST

/* The refusals of a claim each say which: the product code echoed where the product has no
 * public name yet (unknown, draft), the name where it has. */
START_TEST(test_claim_refusals)
{
    ck_assert_int_gt(reply_render(REPLY_CLAIM_NO_PRODUCT, NULL, "99", NULL, out, sizeof out), 0);
    ck_assert_str_eq(out, "没有编码为99的产品，请核对后重新发送，如RL10。");
    ck_assert_int_gt(reply_render(REPLY_CLAIM_INACTIVE, "草稿产品", "20", NULL, out, sizeof out),
                     0);
    ck_assert_str_eq(out, "产品20暂未开放认领，感谢您的关注。");
    ck_assert_int_gt(reply_render(REPLY_CLAIM_FULL, "流量包", "10", NULL, out, sizeof out), 0);
    ck_assert_str_eq(out, "流量包的专属订购码已全部认领完毕，感谢您的参与。");
    ck_assert_int_gt(
        reply_render(REPLY_CLAIM_UNKNOWN_NUMBER, "流量包", "10", NULL, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "员工号码"));
    ck_assert_int_gt(reply_render(REPLY_CLAIM_RESTRICTED, "流量包", "10", NULL, out, sizeof out),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "排名"));
}
END_TEST

START_TEST(test_campaign_and_invalid)
{
    ck_assert_int_gt(
        reply_render(REPLY_CAMPAIGN_NOT_STARTED, "流量包", "10001", NULL, out, sizeof out), 0);
    ck_assert_str_eq(out, "流量包活动尚未开始，敬请期待。");
    ck_assert_int_gt(reply_render(REPLY_CAMPAIGN_ENDED, "流量包", "10001", NULL, out, sizeof out),
                     0);
    ck_assert_str_eq(out, "流量包活动已结束，感谢您的关注。");
    ck_assert_int_gt(reply_render(REPLY_CODE_INVALID, "流量包", "10001", NULL, out, sizeof out), 0);
    ck_assert_str_eq(out, "您发送的代码10001已失效，无法订购，感谢您的关注。");
    ck_assert_int_gt(reply_render(REPLY_CODE_INVALID, NULL, "<script>", NULL, out, sizeof out), 0);
    ck_assert_str_eq(out, "您发送的代码已失效，无法订购，感谢您的关注。");
}
END_TEST

START_TEST(test_optout_ok)
{
    ck_assert_int_gt(reply_render(REPLY_OPTOUT_OK, NULL, NULL, NULL, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "退订"));
    ck_assert_ptr_nonnull(strstr(out, "照常")); /* transactional replies still go */
}
END_TEST

/* A missing product name reads "该产品"; a missing code leaves the slot empty; no
 * "(null)" ever reaches a customer. */
START_TEST(test_null_slots)
{
    ck_assert_int_gt(reply_render(REPLY_ORDER_OK, NULL, NULL, NULL, out, sizeof out), 0);
    ck_assert_str_eq(out, "您已成功订购该产品，感谢您的支持！");
    ck_assert_int_gt(reply_render(REPLY_ORDER_DUP, "", NULL, NULL, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "该产品"));
    ck_assert_int_gt(reply_render(REPLY_CODE_UNKNOWN, NULL, NULL, NULL, out, sizeof out), 0);
    ck_assert_str_eq(out, "您发送的代码无效，请核对后重新发送，回复BZ查看帮助。");
    ck_assert_int_gt(reply_render(REPLY_PRODUCT_INACTIVE, NULL, NULL, NULL, out, sizeof out), 0);
    ck_assert_ptr_null(strstr(out, "null"));
}
END_TEST

/* A "code" that is not a code is never echoed back. */
START_TEST(test_code_not_echoed)
{
    static const char *const bad[] = {"<a href=x>", "10%s01", "1234567890123456", "一二三", ""};
    unsigned i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_gt(reply_render(REPLY_CODE_UNKNOWN, NULL, bad[i], NULL, out, sizeof out), 0);
        ck_assert_str_eq(out, "您发送的代码无效，请核对后重新发送，回复BZ查看帮助。");
    }
    ck_assert_int_gt(reply_render(REPLY_CODE_UNKNOWN, NULL, "1234567890123", NULL, out, sizeof out),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "1234567890123"));
}
END_TEST

/* Every reply fits one UCS-2 part with a ten-character product and the longest code. */
START_TEST(test_one_part)
{
    struct text_encoded enc;
    uint8_t ucs2[512];
    int n = reply_render((enum reply_kind)_i, "一二三四五六七八九十", "1234567890123", "10086", out,
                         sizeof out);

    ck_assert_int_gt(n, 0);
    n = text_utf8_to_ucs2(out, (size_t)n, ucs2, sizeof ucs2);
    ck_assert_msg(n > 0 && n <= 140, "%s: %d UCS-2 bytes", reply_kind_name(_i), n);
    ck_assert_int_eq(text_encode(out, strlen(out), 0, &enc), 0);
    ck_assert_uint_eq(enc.nparts, 1);
}
END_TEST

/* Every kind says something different. */
START_TEST(test_distinct)
{
    char seen[REPLY_KIND_COUNT][256];
    int a, b;

    for (a = 0; a < REPLY_KIND_COUNT; a++)
        ck_assert_int_gt(reply_render((enum reply_kind)a, "X", "10001", "10086", seen[a], 256), 0);
    for (a = 0; a < REPLY_KIND_COUNT; a++)
        for (b = a + 1; b < REPLY_KIND_COUNT; b++)
            ck_assert_str_ne(seen[a], seen[b]);
}
END_TEST

START_TEST(test_bounds)
{
    char small[64];
    int n = reply_render(REPLY_ORDER_OK, "X", NULL, NULL, out, sizeof out);

    ck_assert_int_gt(n, 0);
    memset(small, 'z', sizeof small);
    ck_assert_int_eq(reply_render(REPLY_ORDER_OK, "X", NULL, NULL, small, (size_t)n), -ENOSPC);
    ck_assert_str_eq(small, ""); /* never half a character */
    ck_assert_int_eq(reply_render(REPLY_ORDER_OK, "X", NULL, NULL, small, (size_t)n + 1), n);
    ck_assert_str_eq(small, out);
    ck_assert_int_eq(reply_render(REPLY_ORDER_OK, "X", NULL, NULL, small, 0), -ENOSPC);
    ck_assert_int_eq(reply_render(REPLY_KIND_COUNT, "X", NULL, NULL, out, sizeof out), -EINVAL);
    ck_assert_int_eq(reply_render((enum reply_kind) - 1, "X", NULL, NULL, out, sizeof out),
                     -EINVAL);
    ck_assert_int_eq(reply_render(REPLY_HELP, NULL, NULL, NULL, NULL, 10), -EINVAL);
}
END_TEST

START_TEST(test_kind_names)
{
    ck_assert_str_eq(reply_kind_name(REPLY_ORDER_OK), "order_ok");
    ck_assert_str_eq(reply_kind_name(REPLY_ORDER_DUP), "order_dup");
    ck_assert_str_eq(reply_kind_name(REPLY_CODE_UNKNOWN), "code_unknown");
    ck_assert_str_eq(reply_kind_name(REPLY_PRODUCT_INACTIVE), "product_inactive");
    ck_assert_str_eq(reply_kind_name(REPLY_HELP), "help");
    ck_assert_str_eq(reply_kind_name(REPLY_CODE_INVALID), "code_invalid");
    ck_assert_str_eq(reply_kind_name(REPLY_CAMPAIGN_NOT_STARTED), "campaign_not_started");
    ck_assert_str_eq(reply_kind_name(REPLY_CAMPAIGN_ENDED), "campaign_ended");
    ck_assert_str_eq(reply_kind_name(REPLY_CLAIM_OK), "claim_ok");
    ck_assert_str_eq(reply_kind_name(REPLY_CLAIM_HELD), "claim_held");
    ck_assert_str_eq(reply_kind_name(REPLY_CLAIM_UNKNOWN_NUMBER), "claim_unknown_number");
    ck_assert_str_eq(reply_kind_name(REPLY_CLAIM_NO_PRODUCT), "claim_no_product");
    ck_assert_str_eq(reply_kind_name(REPLY_CLAIM_INACTIVE), "claim_inactive");
    ck_assert_str_eq(reply_kind_name(REPLY_CLAIM_FULL), "claim_full");
    ck_assert_str_eq(reply_kind_name(REPLY_CLAIM_RESTRICTED), "claim_restricted");
    ck_assert_str_eq(reply_kind_name(REPLY_OPTOUT_OK), "optout_ok");
    ck_assert_str_eq(reply_kind_name(REPLY_KIND_COUNT), "invalid");
}
END_TEST

static Suite *reply_suite(void)
{
    Suite *s = suite_create("reply");
    TCase *tc = tcase_create("reply");

    tcase_add_test(tc, test_order_ok);
    tcase_add_test(tc, test_order_dup);
    tcase_add_test(tc, test_code_unknown);
    tcase_add_test(tc, test_product_inactive);
    tcase_add_test(tc, test_help);
    tcase_add_test(tc, test_claim_ok);
    tcase_add_test(tc, test_claim_held);
    tcase_add_test(tc, test_service_not_echoed);
    tcase_add_test(tc, test_claim_refusals);
    tcase_add_test(tc, test_campaign_and_invalid);
    tcase_add_test(tc, test_optout_ok);
    tcase_add_test(tc, test_null_slots);
    tcase_add_test(tc, test_code_not_echoed);
    tcase_add_loop_test(tc, test_one_part, 0, REPLY_KIND_COUNT);
    tcase_add_test(tc, test_distinct);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_kind_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(reply_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
