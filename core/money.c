/*
 * money.c: yuan text <-> integer fen. Commission is money, so it is integer fen from the
 * edge inwards: no floating point anywhere, not even for parsing ("0.29" * 100 is 28.999...).
 */
#include "core/money.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Checks the shape DIGITS [ "." 1..2 DIGITS ] and returns the length of the integer part,
 * or -EINVAL. The shape is checked before any arithmetic so a long malformed text is
 * -EINVAL, not -ERANGE. */
static int money_shape(const char *text)
{
    size_t ip = strspn(text, "0123456789"), fp;

    if (ip == 0)
        return -EINVAL;
    if (text[ip] == '\0')
        return (int)ip;
    if (text[ip] != '.')
        return -EINVAL;
    fp = strspn(text + ip + 1, "0123456789");
    if (fp < 1 || fp > 2 || text[ip + 1 + fp] != '\0')
        return -EINVAL;
    return (int)ip;
}

int money_parse_yuan(const char *text, int64_t *fen)
{
    int64_t v = 0;
    int ip, i;

    if (!text || !fen)
        return -EINVAL;
    ip = money_shape(text);
    if (ip < 0)
        return ip;
    for (i = 0; i < ip; i++) {
        v = v * 10 + (text[i] - '0');
        if (v > MONEY_MAX_FEN / 100)
            return -ERANGE; /* checked each digit: v * 10 never overflows */
    }
    v *= 100;
    if (text[ip] == '.') {
        v += (text[ip + 1] - '0') * 10;
        if (text[ip + 2])
            v += text[ip + 2] - '0';
    }
    if (v > MONEY_MAX_FEN)
        return -ERANGE;
    *fen = v;
    return 0;
}

int money_format(int64_t fen, char *out, size_t cap)
{
    /* the magnitude in unsigned arithmetic: -INT64_MIN does not fit an int64_t */
    uint64_t mag = fen < 0 ? (uint64_t)0 - (uint64_t)fen : (uint64_t)fen;
    int n;

    if (!out)
        return -EINVAL;
    n = snprintf(out, cap, "%s%" PRIu64 ".%02" PRIu64, fen < 0 ? "-" : "", mag / 100, mag % 100);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            out[0] = '\0';
        return -ENOSPC;
    }
    return n;
}
