/*
 * promo.c: renders the promo push of promo.h. The text is built line by line into the
 * caller's buffer, then encoded once with core/textcodec to make sure the sender will be
 * able to send it (valid UTF-8, at most TEXT_MAX_PARTS parts).
 */
#include "core/promo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/codeplan.h"
#include "core/textcodec.h"

/* Appends LEN bytes of S to OUT (CAP bytes) at *POS, keeping it NUL-terminated. 0 or
 * -ENOSPC. */
static int promo_put(char *out, size_t cap, size_t *pos, const char *s, size_t len)
{
    if (len >= cap - *pos)
        return -ENOSPC;
    memcpy(out + *pos, s, len);
    *pos += len;
    out[*pos] = '\0';
    return 0;
}

static int promo_puts(char *out, size_t cap, size_t *pos, const char *s)
{
    return promo_put(out, cap, pos, s, strlen(s));
}

/* Length of S without the white space at its end (a trailing newline of an intro typed in
 * a file would otherwise leave an empty line). */
static size_t promo_trimmed(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return n;
}

/* Writes the lines of F into OUT; PHONE is the holder's phone code. 0 or -ENOSPC. */
static int promo_lines(const struct promo_fields *f, const char *phone, char *out, size_t cap,
                       size_t *pos)
{
    size_t fee = promo_trimmed(f->fee);
    int rc = promo_puts(out, cap, pos, "【");
    if (rc == 0)
        rc = promo_puts(out, cap, pos, f->name);
    if (rc == 0)
        rc = promo_puts(out, cap, pos, "】");
    if (rc == 0)
        rc = promo_put(out, cap, pos, f->intro != NULL ? f->intro : "", promo_trimmed(f->intro));
    if (rc == 0 && fee > 0) {
        rc = promo_puts(out, cap, pos, "\n资费：");
        if (rc == 0)
            rc = promo_put(out, cap, pos, f->fee, fee);
    }
    char last[128];
    int n =
        snprintf(last, sizeof last, "\n发送%s到%s或拨打%s即可办理", f->sms_code, f->service, phone);
    if (rc == 0)
        rc = n > 0 && (size_t)n < sizeof last ? promo_put(out, cap, pos, last, (size_t)n) : -ENOSPC;
    return rc;
}

int promo_render(const struct promo_fields *f, char *out, size_t cap)
{
    char phone[CODEPLAN_MAX_SERVICE_LEN + CODEPLAN_MAX_CODE_LEN + 1];
    struct text_encoded enc;
    size_t pos = 0;
    int rc;

    if (out == NULL || cap == 0)
        return -EINVAL;
    out[0] = '\0';
    if (f == NULL || f->name == NULL || f->name[0] == '\0' || f->service == NULL ||
        f->sms_code == NULL)
        return -EINVAL;
    if (codeplan_phone_code(f->service, f->sms_code, phone, sizeof phone) < 0)
        return -EINVAL;
    rc = promo_lines(f, phone, out, cap, &pos);
    if (rc == 0) {
        rc = text_encode(out, pos, 0, &enc);
        if (rc == -EILSEQ)
            rc = -EINVAL;
    }
    if (rc < 0) {
        out[0] = '\0';
        return rc;
    }
    return (int)pos;
}
