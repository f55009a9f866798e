/*
 * conninfo.c: passwords found in a conninfo or in a message about one, and hidden (see
 * conninfo.h). The finder follows libpq's two forms loosely on purpose: a message quotes
 * pieces of a conninfo libpq could not parse, so hiding a little too much is right and
 * showing a password never is.
 */
#include "core/conninfo.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define CI_SPANS      16 /* passwords found in one text at most; the rest are cut out */
#define CI_ANYWHERE   3  /* a password this long is hidden wherever it appears */
#define CI_KEYWORD    "password"
#define CI_KEYWORD_SZ (sizeof CI_KEYWORD - 1)

struct ci_span {
    size_t at, len;
};

static int ci_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The length of a value at P: a quoted one ('...' with backslash escapes, to its closing
 * quote or the end); in a URI's query (IN_QUERY), up to '&'; else up to white space. A
 * double quote ends it too: messages quote what they cite with it. */
static size_t ci_value_len(const char *p, int in_query)
{
    size_t i = 0;
    if (!in_query && p[0] == '\'') {
        for (i = 1; p[i] != '\0' && p[i] != '\''; i++)
            if (p[i] == '\\' && p[i + 1] != '\0')
                i++;
        return p[i] == '\'' ? i + 1 : i;
    }
    while (p[i] != '\0' && !ci_space(p[i]) && p[i] != '"' && !(in_query && p[i] == '&'))
        i++;
    return i;
}

/* Adds the span [AT, AT+LEN) to SP (N of them so far), when not empty. */
static void ci_add(struct ci_span *sp, size_t *n, size_t at, size_t len)
{
    if (len > 0 && *n < CI_SPANS)
        sp[(*n)++] = (struct ci_span){at, len};
}

/* "password" at I of S, as a keyword: not inside a longer word, followed by '='. */
static void ci_find_keyword(const char *s, size_t i, struct ci_span *sp, size_t *n)
{
    if (strncasecmp(s + i, CI_KEYWORD, CI_KEYWORD_SZ) != 0)
        return;
    if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_'))
        return;
    int in_query = i > 0 && (s[i - 1] == '?' || s[i - 1] == '&');
    size_t j = i + CI_KEYWORD_SZ;
    while (!in_query && ci_space(s[j]))
        j++;
    if (s[j] != '=')
        return;
    j++;
    while (!in_query && ci_space(s[j]))
        j++;
    ci_add(sp, n, j, ci_value_len(s + j, in_query));
}

/* "://" at I of S: the password of "user:password@" before the host, taking the last '@'
 * before the query or the end (a password may hold an '@' libpq wanted encoded). */
static void ci_find_uri(const char *s, size_t i, struct ci_span *sp, size_t *n)
{
    if (strncmp(s + i, "://", 3) != 0)
        return;
    size_t start = i + 3, end = start, at = 0;
    int has_at = 0;
    for (; s[end] != '\0' && s[end] != '?' && s[end] != '"' && !ci_space(s[end]); end++)
        if (s[end] == '@')
            at = end, has_at = 1;
    if (!has_at)
        return;
    const char *colon = memchr(s + start, ':', at - start);
    if (colon != NULL)
        ci_add(sp, n, (size_t)(colon + 1 - s), at - (size_t)(colon + 1 - s));
}

/* The passwords of S, in order of position. */
static size_t ci_find(const char *s, struct ci_span *sp)
{
    size_t n = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        size_t before = n;
        ci_find_keyword(s, i, sp, &n);
        ci_find_uri(s, i, sp, &n);
        if (n > before) /* go on after it: a password may hold "password=" or "://" */
            i = sp[n - 1].at + sp[n - 1].len - 1;
    }
    return n;
}

/* The length of the password of CONNINFO (spans SP, N of them) that TEXT starts with, or 0. */
static size_t ci_known_at(const char *conninfo, const struct ci_span *sp, size_t n,
                          const char *text)
{
    for (size_t k = 0; k < n; k++)
        if (sp[k].len >= CI_ANYWHERE && strncmp(text, conninfo + sp[k].at, sp[k].len) == 0)
            return sp[k].len;
    return 0;
}

size_t conninfo_mask(const char *conninfo, const char *text, char *out, size_t cap)
{
    struct ci_span own[CI_SPANS], known[CI_SPANS];
    size_t n_own = ci_find(text, own), n_known = conninfo != NULL ? ci_find(conninfo, known) : 0;
    size_t o = 0, k = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; text[i] != '\0';) {
        size_t skip = 0;
        if (k < n_own && own[k].at == i)
            skip = own[k++].len;
        else if ((skip = ci_known_at(conninfo, known, n_known, text + i)) == 0) {
            if (o + 1 >= cap)
                break;
            out[o++] = text[i++];
            continue;
        }
        if (o + sizeof CONNINFO_MASK > cap)
            break;
        memcpy(out + o, CONNINFO_MASK, sizeof CONNINFO_MASK - 1);
        o += sizeof CONNINFO_MASK - 1;
        i += skip;
        while (k < n_own && own[k].at < i) /* a known password covered one of its own */
            k++;
    }
    out[o] = '\0';
    return o;
}
