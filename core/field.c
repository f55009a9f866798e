/*
 * field.c: the input field checks of field.h. Lengths are counted in characters, not
 * bytes, because the limits are the operator's (40 characters of Chinese is a name that
 * fits, whatever its UTF-8 bytes).
 */
#include "core/field.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int field_error(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* 1 for the code points that change or hide what a reader sees although they are valid
 * UTF-8: the C1 controls, the bidirectional marks, embeddings, overrides and isolates. */
int field_is_hidden(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* field_chars(); a code point refused by field_is_hidden() is also put in *HIDDEN (when
 * HIDDEN is not NULL; left alone otherwise). */
static long field_scan(const char *s, int newlines, unsigned *hidden)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p != '\0') {
        unsigned c = *p;
        int more;
        unsigned cp;
        if (c < 0x80) {
            if ((c < 0x20 && !(newlines && (c == '\n' || c == '\t'))) || c == 0x7f)
                return -1;
            p++;
            n++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            more = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            more = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3;
            cp = c & 0x07;
        } else {
            return -1;
        }
        p++;
        for (int i = 0; i < more; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (*p & 0x3f);
        }
        if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (more == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return -1;
        if (field_is_hidden(cp)) {
            if (hidden != NULL)
                *hidden = cp;
            return -1;
        }
        n++;
    }
    return n;
}

long field_chars(const char *s, int newlines)
{
    return field_scan(s, newlines, NULL);
}

int field_check_text(const char *field, const char *value, int required, long max, int newlines,
                     char *err, size_t errlen)
{
    if (value == NULL || value[0] == '\0') {
        if (required)
            return field_error(err, errlen, -EINVAL, "%s: must not be empty", field);
        return 0;
    }
    unsigned hidden = 0;
    long n = field_scan(value, newlines, &hidden);
    if (n < 0 && hidden != 0)
        return field_error(err, errlen, -EINVAL,
                           "%s: holds U+%04X, a control or bidirectional formatting character "
                           "that disguises the text",
                           field, hidden);
    if (n < 0)
        return field_error(err, errlen, -EINVAL, "%s: not valid UTF-8 text%s", field,
                           newlines ? "" : " on one line");
    if (n > max)
        return field_error(err, errlen, -EINVAL, "%s: %ld characters, at most %ld", field, n, max);
    return 0;
}

int field_is_date(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 2000 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

int field_is_small_uint(const char *text, unsigned max)
{
    size_t n = strlen(text);
    if (n == 0 || n > 3 || strspn(text, "0123456789") != n)
        return 0;
    return (unsigned)atoi(text) <= max;
}
