/*
 * promo.h: the promo push (推广短信), the text an employee gets with their code and forwards
 * into their circles. One template for every product, filled with the product's name,
 * intro and fee text; its last line says how to order with the holder's own codes:
 *
 *   【畅享流量包】每月30GB国内流量
 *   资费：29元/月
 *   发送10001到10086或拨打1008610001即可办理
 *
 * Pure functions, no I/O, no allocation.
 */
#ifndef ERM_PROMO_H
#define ERM_PROMO_H

#include <stddef.h>

/* The outbox kind of a promo push: marketing, stopped by TD / 退订 (storage keeps the same
 * literal in schema/002_pool.sql's erm_queue_promo). */
#define PROMO_OUTBOX_KIND "promo"

/* Bytes of a rendered promo push: room for TEXT_MAX_PARTS parts of any coding. */
#define PROMO_TEXT_MAX 8192

/* What fills the template; strings are the caller's. */
struct promo_fields {
    const char *name;     /* product name, not empty */
    const char *intro;    /* product intro, may be NULL or "" (white space at its end is
                             dropped) */
    const char *fee;      /* fee text, may be NULL or "" (then no fee line) */
    const char *service;  /* service number the customer texts, 3..20 digits */
    const char *sms_code; /* the holder's SMS code, e.g. "10001" */
};

/* Renders the promo text of F into OUT (caller's buffer, CAP bytes, NUL-terminated UTF-8).
 * Returns the length; -EINVAL for a missing name, a malformed service number or code, or
 * text that is not valid UTF-8; -ENOSPC when OUT is too small (OUT then holds ""); -EMSGSIZE
 * when the text would need more concatenated SMS parts than core/textcodec.h sends
 * (TEXT_MAX_PARTS). */
int promo_render(const struct promo_fields *f, char *out, size_t cap);

#endif
