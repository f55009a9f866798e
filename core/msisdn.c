/*
 * msisdn.c: mainland China mobile numbers as ermgw stores them: 11 national digits starting
 * with 1[3-9]. SMSCs, CSV files and managers write them with +86, 86 or 0086 in front and
 * with spaces or dashes; one normal form keeps "one customer orders once" true.
 * Pure functions, no I/O, no allocation.
 */
#include "core/msisdn.h"

#include <errno.h>
#include <string.h>

#include "core/textcodec.h"

/* Longest digit run worth looking at: "0086" + 11 digits. */
#define MSISDN_MAX_DIGITS 15

static int msisdn_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int msisdn_is_sep(char c)
{
    return c == ' ' || c == '-';
}

/* Collects the digits of IN into DIGITS (MSISDN_MAX_DIGITS + 1 bytes): surrounding spaces,
 * one leading '+' (reported in *PLUS), and spaces or dashes between two digits are allowed;
 * anything else is -EINVAL. Returns the digit count. */
static int msisdn_collect(const char *in, char *digits, int *plus)
{
    size_t n = 0;
    const char *p = in + strspn(in, " ");

    *plus = *p == '+';
    p += *plus;
    while (msisdn_is_digit(*p)) {
        if (n == MSISDN_MAX_DIGITS)
            return -EINVAL;
        digits[n++] = *p++;
        if (msisdn_is_sep(*p) && msisdn_is_digit(p[strspn(p, " -")]))
            p += strspn(p, " -");
    }
    p += strspn(p, " ");
    if (*p != '\0' || n == 0)
        return -EINVAL;
    digits[n] = '\0';
    return (int)n;
}

/* 1 when S is exactly 11 digits starting with 1[3-9]. */
static int msisdn_is_national(const char *s)
{
    return strspn(s, "0123456789") == MSISDN_LEN && s[MSISDN_LEN] == '\0' && s[0] == '1' &&
           s[1] >= '3' && s[1] <= '9';
}

int msisdn_normalize(const char *in, char *out, size_t cap)
{
    char digits[MSISDN_MAX_DIGITS + 1];
    const char *national = digits;
    int plus, n;

    if (!in || !out)
        return -EINVAL;
    n = msisdn_collect(in, digits, &plus);
    if (n < 0)
        return n;
    if (n == MSISDN_LEN + 2 && strncmp(digits, "86", 2) == 0)
        national = digits + 2;
    else if (!plus && n == MSISDN_LEN + 4 && strncmp(digits, "0086", 4) == 0)
        national = digits + 4;
    else if (plus)
        return -EINVAL; /* "+" must be followed by 86: another country's number */
    if (!msisdn_is_national(national))
        return -EINVAL;
    if (cap < MSISDN_LEN + 1)
        return -ENOSPC;
    memcpy(out, national, MSISDN_LEN + 1);
    return 0;
}

int msisdn_mask(const char *msisdn, char *out, size_t cap)
{
    if (!msisdn || !out || strspn(msisdn, "0123456789") != MSISDN_LEN || msisdn[MSISDN_LEN] != '\0')
        return -EINVAL;
    if (cap < MSISDN_LEN + 1)
        return -ENOSPC;
    memcpy(out, msisdn, 3);
    memcpy(out + 3, "****", 4);
    memcpy(out + 7, msisdn + 7, 4);
    out[MSISDN_LEN] = '\0';
    return 0;
}

int msisdn_addr_ok(const char *addr)
{
    size_t len = addr != NULL ? strlen(addr) : 0;
    return len > 0 && len < MSISDN_ADDR_MAX && text_is_clean(addr, len);
}
