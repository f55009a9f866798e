/*
 * reply.c: the Chinese texts ermgw sends back to the sender of an MO, one template per
 * outcome. Each template is a fixed head, at most one slot (the product's name or the code
 * the customer sent) and a fixed tail, kept short enough for one UCS-2 part (70 characters)
 * with a product name of about ten characters. Pure functions, no I/O, no allocation.
 */
#include "core/reply.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/codeplan.h"

/* What fills a template's slot. */
enum reply_slot {
    REPLY_SLOT_NONE,
    REPLY_SLOT_PRODUCT,
    REPLY_SLOT_CODE,
};

static const struct {
    const char *name; /* for logs and the outbox's kind column */
    const char *head;
    enum reply_slot slot;
    const char *tail;
} reply_templates[REPLY_KIND_COUNT] = {
    [REPLY_ORDER_OK] = {"order_ok", "您已成功订购", REPLY_SLOT_PRODUCT, "，感谢您的支持！"},
    [REPLY_ORDER_DUP] = {"order_dup", "您已订购过", REPLY_SLOT_PRODUCT,
                         "，无需重复订购，本次不会重复收费。"},
    [REPLY_CODE_UNKNOWN] = {"code_unknown", "您发送的代码", REPLY_SLOT_CODE,
                            "无效，请核对后重新发送，回复BZ查看帮助。"},
    [REPLY_PRODUCT_INACTIVE] = {"product_inactive", "您发送的代码", REPLY_SLOT_CODE,
                                "对应的产品暂未开放订购，感谢您的关注。"},
    [REPLY_HELP] = {"help",
                    "发送订购码(如10001)即可订购；员工发送RL+产品编码(如RL10)认领、CX查询业绩；"
                    "发送TD退订推广短信。",
                    REPLY_SLOT_NONE, ""},
};

/* The product's name, or a neutral "this product" when the caller has none. */
static const char *reply_product(const char *product)
{
    return product && product[0] ? product : "该产品";
}

/* The code to echo: only when it is 1..CODEPLAN_MAX_CODE_LEN ASCII digits, so a reply
 * never repeats arbitrary text back to the sender; else nothing ("您发送的代码无效"). */
static const char *reply_code(const char *code)
{
    size_t n;

    if (!code)
        return "";
    n = strspn(code, "0123456789");
    return code[n] == '\0' && n >= 1 && n <= CODEPLAN_MAX_CODE_LEN ? code : "";
}

int reply_render(enum reply_kind kind, const char *product, const char *code, const char *service,
                 char *out, size_t cap)
{
    const char *fill = "";
    int n;

    (void)service; /* no template names the number: replies come from it already */
    if (!out || (unsigned)kind >= REPLY_KIND_COUNT)
        return -EINVAL;
    if (reply_templates[kind].slot == REPLY_SLOT_PRODUCT)
        fill = reply_product(product);
    else if (reply_templates[kind].slot == REPLY_SLOT_CODE)
        fill = reply_code(code);
    n = snprintf(out, cap, "%s%s%s", reply_templates[kind].head, fill, reply_templates[kind].tail);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            out[0] = '\0'; /* never a text cut in the middle of a character */
        return -ENOSPC;
    }
    return n;
}

const char *reply_kind_name(enum reply_kind kind)
{
    if ((unsigned)kind >= REPLY_KIND_COUNT)
        return "invalid";
    return reply_templates[kind].name;
}
