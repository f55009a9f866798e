/*
 * dialprefix.c: parsing and stripping of the carrier's dialling prefixes (see dialprefix.h).
 */
#include "core/dialprefix.h"

#include <errno.h>
#include <string.h>

/* 1 when the LEN bytes of S are an optional '+' and 1 to 6 digits. */
static int dialprefix_valid(const char *s, size_t len)
{
    size_t i = len > 0 && s[0] == '+' ? 1 : 0;
    if (len - i < 1 || len - i > 6)
        return 0;
    for (; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int dialprefix_parse(const char *list, struct dialprefix_set *out)
{
    memset(out, 0, sizeof *out);
    const char *p = list;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0')
        return 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strcspn(p, ","), elen = len;
        while (elen > 0 && (p[elen - 1] == ' ' || p[elen - 1] == '\t'))
            elen--;
        if (out->n == DIALPREFIX_MAX || !dialprefix_valid(p, elen))
            return -EINVAL;
        memcpy(out->p[out->n], p, elen);
        out->p[out->n++][elen] = '\0';
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

const char *dialprefix_strip(const struct dialprefix_set *set, const char *number)
{
    size_t best = 0, nlen = strlen(number);
    for (size_t i = 0; i < set->n; i++) {
        size_t plen = strlen(set->p[i]);
        if (plen > best && plen < nlen && strncmp(number, set->p[i], plen) == 0)
            best = plen;
    }
    return number + best;
}
