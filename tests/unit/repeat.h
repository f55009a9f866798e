/*
 * repeat.h: a helper of the unit tests of core/'s checks: a text made of one character
 * repeated, for the boundaries counted in characters (40 of Chinese fit, 41 do not).
 */
#ifndef ERM_TEST_REPEAT_H
#define ERM_TEST_REPEAT_H

#include <string.h>

/* N copies of the UTF-8 character C (N * strlen(C) below 8 KiB), in one of two static
 * buffers used in turn: valid until the call after the next. */
static inline const char *repeat(const char *c, int n)
{
    static char bufs[2][8192];
    static int k;
    char *buf = bufs[k++ % 2];
    size_t len = strlen(c);
    for (int i = 0; i < n; i++)
        memcpy(buf + (size_t)i * len, c, len);
    buf[(size_t)n * len] = '\0';
    return buf;
}

#endif
