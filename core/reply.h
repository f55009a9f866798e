/*
 * reply.h: the texts ermgw sends back, one template per outcome, in Chinese (the customers'
 * language). Kept short enough for one UCS-2 part where the product name allows.
 * Pure functions, no I/O.
 */
#ifndef ERM_REPLY_H
#define ERM_REPLY_H

#include <stddef.h>

enum reply_kind {
    REPLY_ORDER_OK = 0,         /* order stored: names the product */
    REPLY_ORDER_DUP,            /* same customer, same product, already ordered */
    REPLY_CODE_UNKNOWN,         /* no claim has this code */
    REPLY_PRODUCT_INACTIVE,     /* the code's product is not active (draft or retired) */
    REPLY_HELP,                 /* what can be sent */
    REPLY_CODE_INVALID,         /* the code's employee has left: it counts no new orders */
    REPLY_CAMPAIGN_NOT_STARTED, /* the product's campaign has not begun (order) */
    REPLY_CAMPAIGN_ENDED,       /* the product's campaign is over (order or claim) */
    REPLY_CLAIM_OK,             /* a new code: product, code, service number */
    REPLY_CLAIM_HELD,           /* asked again: the same code */
    REPLY_CLAIM_UNKNOWN_NUMBER, /* the sender is not an active employee's number */
    REPLY_CLAIM_NO_PRODUCT,     /* no product has this code (CODE = the product code) */
    REPLY_CLAIM_INACTIVE,       /* draft or retired product (CODE = the product code) */
    REPLY_CLAIM_FULL,           /* every code of the quota is taken */
    REPLY_CLAIM_RESTRICTED,     /* barred by last period's ranking */
    REPLY_OPTOUT_OK,            /* TD recorded: no more promo pushes */
    REPLY_KIND_COUNT
};

/* Renders the reply of KIND into OUT (caller's buffer, CAP bytes, NUL-terminated UTF-8).
 * PRODUCT is the product's name (may be NULL; kinds that name it then say "该产品"), CODE
 * the code concerned (the code the customer sent, the code claimed, or the product code of
 * a claim; may be NULL; echoed only when it is 1..CODEPLAN_MAX_CODE_LEN ASCII digits, so no
 * arbitrary text is ever sent back), SERVICE the service number (CLAIM_OK and CLAIM_HELD
 * say where to order; echoed only when it is a service number, else left out; may be
 * NULL). Returns the length, -ENOSPC (OUT then holds "") or -EINVAL (NULL OUT, bad KIND). */
int reply_render(enum reply_kind kind, const char *product, const char *code, const char *service,
                 char *out, size_t cap);

/* Static English name of KIND for logs and the outbox's kind column: "order_ok",
 * "order_dup", "code_unknown", "product_inactive", "help", "code_invalid",
 * "campaign_not_started", "campaign_ended", "claim_ok", "claim_held",
 * "claim_unknown_number", "claim_no_product", "claim_inactive", "claim_full",
 * "claim_restricted", "optout_ok"; "invalid" outside the enum. */
const char *reply_kind_name(enum reply_kind kind);

#endif
