/*
 * reply.h: the texts ermgw sends back, one template per outcome, in Chinese (the customers'
 * language). Kept short enough for one UCS-2 part where the product name allows.
 * Pure functions, no I/O.
 */
#ifndef ERM_REPLY_H
#define ERM_REPLY_H

#include <stddef.h>

enum reply_kind {
    REPLY_ORDER_OK = 0,     /* order stored: names the product */
    REPLY_ORDER_DUP,        /* same customer, same product, already ordered */
    REPLY_CODE_UNKNOWN,     /* no claim has this code */
    REPLY_PRODUCT_INACTIVE, /* the code's product is not active (draft or retired) */
    REPLY_HELP,             /* what can be sent */
    REPLY_KIND_COUNT
};

/* Renders the reply of KIND into OUT (caller's buffer, CAP bytes, NUL-terminated UTF-8).
 * PRODUCT is the product's name (may be NULL for kinds that do not name one; ORDER_OK and
 * ORDER_DUP then say "该产品"), CODE the code the customer sent (may be NULL; CODE_UNKNOWN
 * and PRODUCT_INACTIVE echo it only when it is 1..CODEPLAN_MAX_CODE_LEN ASCII digits, so no
 * arbitrary text is ever sent back), SERVICE the service number (no template uses it today;
 * may be NULL). Returns the length, -ENOSPC (OUT then holds "") or -EINVAL (NULL OUT, bad
 * KIND). */
int reply_render(enum reply_kind kind, const char *product, const char *code, const char *service,
                 char *out, size_t cap);

/* Static English name of KIND for logs and the outbox's kind column: "order_ok",
 * "order_dup", "code_unknown", "product_inactive", "help"; "invalid" outside the enum. */
const char *reply_kind_name(enum reply_kind kind);

#endif
