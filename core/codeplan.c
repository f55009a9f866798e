/*
 * codeplan.c: the code plan of DESIGN.md: composing and parsing employee codes (product
 * code + zero-padded sequence), phone codes (service number + SMS code), the pool's clash
 * rule, and splitting a destination address into service number and extension.
 * Pure functions, no I/O, no allocation: output buffers are the caller's.
 */
#include "core/codeplan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Length of S when it is MIN..MAX ASCII digits, else -1. Bounded scan: S may be long. */
static int codeplan_digits(const char *s, size_t min, size_t max)
{
    size_t n = 0;

    if (!s)
        return -1;
    while (s[n] >= '0' && s[n] <= '9' && n <= max)
        n++;
    if (s[n] != '\0' || n < min || n > max)
        return -1;
    return (int)n;
}

int codeplan_width(uint32_t quota)
{
    int w = 0;

    if (quota == 0 || quota > CODEPLAN_MAX_QUOTA)
        return -ERANGE;
    for (; quota; quota /= 10)
        w++;
    return w;
}

int codeplan_check_product(const char *product)
{
    if (codeplan_digits(product, 1, CODEPLAN_MAX_PRODUCT_LEN) < 0 || product[0] == '0')
        return -EINVAL;
    return 0;
}

int codeplan_check_service(const char *service)
{
    return codeplan_digits(service, 3, CODEPLAN_MAX_SERVICE_LEN) < 0 ? -EINVAL : 0;
}

/* snprintf's result as this module's contract: the length, or -ENOSPC when truncated (OUT
 * is then emptied so no caller ever uses a cut code). */
static int codeplan_fit(int n, char *out, size_t cap)
{
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            out[0] = '\0';
        return -ENOSPC;
    }
    return 0;
}

int codeplan_sms_code(const char *product, uint32_t quota, uint32_t seq, char *out, size_t cap)
{
    int w;

    if (!out || codeplan_check_product(product) < 0)
        return -EINVAL;
    w = codeplan_width(quota);
    if (w < 0)
        return w;
    if (seq == 0 || seq > quota)
        return -ERANGE;
    return codeplan_fit(snprintf(out, cap, "%s%0*u", product, w, (unsigned)seq), out, cap);
}

int codeplan_phone_code(const char *service, const char *sms_code, char *out, size_t cap)
{
    if (!out || codeplan_check_service(service) < 0 ||
        codeplan_digits(sms_code, 1, CODEPLAN_MAX_CODE_LEN) < 0)
        return -EINVAL;
    return codeplan_fit(snprintf(out, cap, "%s%s", service, sms_code), out, cap);
}

int codeplan_parse(const char *code, const char *product, uint32_t quota, uint32_t *seq)
{
    size_t plen;
    uint32_t v = 0;
    int w, i;

    if (!seq || codeplan_check_product(product) < 0)
        return -EINVAL;
    w = codeplan_width(quota);
    if (w < 0)
        return w;
    plen = strlen(product);
    if (codeplan_digits(code, plen + (size_t)w, plen + (size_t)w) < 0 ||
        strncmp(code, product, plen) != 0)
        return -EINVAL;
    for (i = 0; i < w; i++)
        v = v * 10 + (uint32_t)(code[plen + (size_t)i] - '0');
    if (v == 0 || v > quota)
        return -ERANGE;
    *seq = v;
    return 0;
}

/* 1 when the shorter of A and B is a prefix of the longer (equal counts). */
static int codeplan_is_prefix(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    return strncmp(a, b, la < lb ? la : lb) == 0;
}

int codeplan_clash(const char *product_a, uint32_t quota_a, const char *product_b, uint32_t quota_b)
{
    int wa, wb;

    if (codeplan_check_product(product_a) < 0 || codeplan_check_product(product_b) < 0)
        return -EINVAL;
    wa = codeplan_width(quota_a);
    wb = codeplan_width(quota_b);
    if (wa < 0 || wb < 0)
        return -EINVAL;
    if (strcmp(product_a, product_b) == 0)
        return 1;
    return codeplan_is_prefix(product_a, product_b) && wa != wb;
}

int codeplan_split_dest(const char *service, const char *dest, char *ext, size_t cap)
{
    size_t slen;
    int dlen;

    if (!ext || codeplan_check_service(service) < 0)
        return -EINVAL;
    slen = strlen(service);
    /* Any all-digit address; its length is bounded only to keep the scan short. */
    dlen = codeplan_digits(dest, 1, 64);
    if (dlen < 0 || (size_t)dlen < slen || strncmp(dest, service, slen) != 0)
        return -EINVAL;
    if ((size_t)dlen == slen)
        return 0;
    if ((size_t)dlen - slen >= cap)
        return -ENOSPC;
    memcpy(ext, dest + slen, (size_t)dlen - slen + 1);
    return 1;
}
