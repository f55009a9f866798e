/*
 * reply.c: the Chinese texts ermgw sends back to the sender of an MO, one template per
 * outcome. A template is fixed text with slots: {p} the product's name, {c} the code, {s}
 * the service number. Each is kept short enough for one UCS-2 part (70 characters) with a
 * product name of about ten characters. Pure functions, no I/O, no allocation.
 */
#include "core/reply.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/codeplan.h"

static const struct {
    const char *name; /* for logs and the outbox's kind column */
    const char *text;
} reply_templates[REPLY_KIND_COUNT] = {
    [REPLY_ORDER_OK] = {"order_ok", "您已成功订购{p}，感谢您的支持！"},
    [REPLY_ORDER_DUP] = {"order_dup", "您已订购过{p}，无需重复订购，本次不会重复收费。"},
    [REPLY_CODE_UNKNOWN] = {"code_unknown",
                            "您发送的代码{c}无效，请核对后重新发送，回复BZ查看帮助。"},
    [REPLY_PRODUCT_INACTIVE] = {"product_inactive",
                                "您发送的代码{c}对应的产品暂未开放订购，感谢您的关注。"},
    [REPLY_HELP] = {"help",
                    "发送订购码(如10001)即可订购；员工发送RL+产品编码(如RL10)认领、CX查询业绩；"
                    "发送TD退订推广短信。"},
    [REPLY_CODE_INVALID] = {"code_invalid", "您发送的代码{c}已失效，无法订购，感谢您的关注。"},
    [REPLY_CAMPAIGN_NOT_STARTED] = {"campaign_not_started", "{p}活动尚未开始，敬请期待。"},
    [REPLY_CAMPAIGN_ENDED] = {"campaign_ended", "{p}活动已结束，感谢您的关注。"},
    [REPLY_CLAIM_OK] = {"claim_ok", "您已成功认领{p}，专属订购码{c}，亲友发送{c}到{s}即可订购。"},
    [REPLY_CLAIM_HELD] = {"claim_held",
                          "您已认领过{p}，专属订购码仍是{c}，亲友发送{c}到{s}即可订购。"},
    [REPLY_CLAIM_UNKNOWN_NUMBER] = {"claim_unknown_number",
                                    "您的号码不是登记的员工号码，无法认领，请联系营销经理。"},
    [REPLY_CLAIM_NO_PRODUCT] = {"claim_no_product",
                                "没有编码为{c}的产品，请核对后重新发送，如RL10。"},
    [REPLY_CLAIM_INACTIVE] = {"claim_inactive", "产品{c}暂未开放认领，感谢您的关注。"},
    [REPLY_CLAIM_FULL] = {"claim_full", "{p}的专属订购码已全部认领完毕，感谢您的参与。"},
    [REPLY_CLAIM_RESTRICTED] = {"claim_restricted",
                                "根据上期业绩排名，您本期暂不能认领新产品，感谢您的理解。"},
    [REPLY_OPTOUT_OK] = {"optout_ok",
                         "您已退订推广短信，今后不再收到营销推送；订购确认和查询回复照常发送。"},
};

/* The product's name, or a neutral "this product" when the caller has none. */
static const char *reply_product(const char *product)
{
    return product && product[0] ? product : "该产品";
}

/* S when it is MIN..MAX ASCII digits, so a reply never repeats arbitrary text back to the
 * sender; else "" ("您发送的代码无效"). */
static const char *reply_digits(const char *s, size_t min, size_t max)
{
    size_t n;

    if (!s)
        return "";
    n = strspn(s, "0123456789");
    return s[n] == '\0' && n >= min && n <= max ? s : "";
}

/* What slot letter L stands for; NULL when "{L}" is not a slot. */
static const char *reply_slot(char l, const char *product, const char *code, const char *service)
{
    switch (l) {
    case 'p':
        return reply_product(product);
    case 'c':
        return reply_digits(code, 1, CODEPLAN_MAX_CODE_LEN);
    case 's':
        return reply_digits(service, 3, CODEPLAN_MAX_SERVICE_LEN);
    default:
        return NULL;
    }
}

/* Fails a render: never a text cut in the middle of a character. */
static int reply_nospace(char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    return -ENOSPC;
}

int reply_render(enum reply_kind kind, const char *product, const char *code, const char *service,
                 char *out, size_t cap)
{
    size_t n = 0; /* bytes written; n < cap keeps room for the NUL */

    if (!out || (unsigned)kind >= REPLY_KIND_COUNT)
        return -EINVAL;
    if (cap == 0)
        return -ENOSPC;
    for (const char *t = reply_templates[kind].text; *t != '\0';) {
        const char *fill = NULL;
        size_t len = 1;
        if (t[0] == '{' && t[1] != '\0' && t[2] == '}')
            fill = reply_slot(t[1], product, code, service);
        if (fill != NULL) {
            len = strlen(fill);
            t += 3;
        } else {
            fill = t++;
        }
        if (len >= cap - n)
            return reply_nospace(out, cap);
        memcpy(out + n, fill, len);
        n += len;
    }
    out[n] = '\0';
    return (int)n;
}

const char *reply_kind_name(enum reply_kind kind)
{
    if ((unsigned)kind >= REPLY_KIND_COUNT)
        return "invalid";
    return reply_templates[kind].name;
}
