/*
 * textwidth.c: display width of UTF-8 text (textwidth.h), after Unicode's East Asian Width
 * (W and F classes) for the ranges a Chinese deployment meets; no locale, no wcwidth().
 */
#include "core/textwidth.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

struct textwidth_range {
    uint32_t lo, hi;
};

/* Two columns: Hangul Jamo, CJK radicals .. Yi, Hangul syllables, CJK compatibility,
 * vertical forms, CJK compatibility forms, full-width forms, emoji, CJK extensions. */
static const struct textwidth_range textwidth_wide[] = {
    {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
    {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
    {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},
    {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

/* Zero columns: combining marks, zero-width space and joiners, variation selectors. */
static const struct textwidth_range textwidth_zero[] = {
    {0x0300, 0x036F}, {0x200B, 0x200F}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
};

static int textwidth_in(uint32_t cp, const struct textwidth_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].lo && cp <= r[i].hi)
            return 1;
    return 0;
}

/* Decodes one code point at S into *CP; returns its length in bytes (a malformed byte is
 * one byte, *CP = '?'). */
static size_t textwidth_decode(const unsigned char *s, uint32_t *cp)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (len == 0) {
        *cp = '?';
        return 1;
    }
    uint32_t v = len == 1 ? s[0] : (uint32_t)(s[0] & (0x7F >> len));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = '?';
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

size_t textwidth(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        p += textwidth_decode(p, &cp);
        if (textwidth_in(cp, textwidth_zero, sizeof textwidth_zero / sizeof textwidth_zero[0]))
            continue;
        w += textwidth_in(cp, textwidth_wide, sizeof textwidth_wide / sizeof textwidth_wide[0]) ? 2
                                                                                                : 1;
    }
    return w;
}

int textwidth_pad(const char *s, size_t width, int right_align, char *out, size_t cap)
{
    size_t len = strlen(s), w = textwidth(s);
    size_t pad = w < width ? width - w : 0;
    if (len + pad >= cap) {
        if (cap)
            out[0] = '\0';
        return -ENOSPC;
    }
    size_t at = right_align ? pad : 0;
    memset(out, ' ', len + pad);
    memcpy(out + at, s, len);
    out[len + pad] = '\0';
    return (int)(len + pad);
}
