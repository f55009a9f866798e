/*
 * csvline.c: the CSV line of csvline.h. A field cannot span lines: an HR file with a line
 * break inside a quoted field is rare, and refusing it names the line to fix rather than
 * shifting every row after it.
 */
#include "core/csvline.h"

#include <strings.h>

/* Copies the quoted field at *R (on its opening quote) to *W, unquoting; *R ends after the
 * blanks that follow the closing quote. 0, or -1 with *WHY. */
static int csvline_quoted(char **r, char **w, const char **why)
{
    char *p = *r, *q = *w;
    for (p++;; p++) {
        if (*p == '\0') {
            *why = "a quoted field is not closed (fields cannot span lines)";
            return -1;
        }
        if (*p == '"' && p[1] != '"')
            break;
        *q++ = *p;
        if (*p == '"')
            p++; /* "" is one quote */
    }
    for (p++; *p == ' ' || *p == '\t'; p++)
        ;
    *r = p;
    *w = q;
    if (*p != ',' && *p != '\0') {
        *why = "text after a closing quote";
        return -1;
    }
    return 0;
}

/* Copies the unquoted field at *R to *W, without the blanks at its end; *R ends on the comma
 * or the NUL after it. START is where the field begins in the output. 0, or -1 with *WHY. */
static int csvline_plain(char **r, char **w, const char *start, const char **why)
{
    char *p = *r, *q = *w;
    for (; *p != ',' && *p != '\0'; p++) {
        if (*p == '"') {
            *why = "a quote inside an unquoted field";
            return -1;
        }
        *q++ = *p;
    }
    while (q > start && (q[-1] == ' ' || q[-1] == '\t'))
        q--;
    *r = p;
    *w = q;
    return 0;
}

int csvline_split(char *line, char **fields, int max, const char **why)
{
    char *r = line, *w = line;
    int n = 0;
    for (;;) {
        while (*r == ' ' || *r == '\t')
            r++;
        char *start = w;
        int rc = *r == '"' ? csvline_quoted(&r, &w, why) : csvline_plain(&r, &w, start, why);
        if (rc < 0)
            return -1;
        char sep = *r; /* read before the NUL below, which may land on it */
        *w++ = '\0';
        if (n < max)
            fields[n] = start;
        n++;
        if (sep == '\0')
            return n;
        r++;
    }
}

int csvline_header_ok(char *const *fields, int n, const char *const *want, int nwant)
{
    if (n != nwant)
        return 0;
    for (int i = 0; i < nwant; i++)
        if (strcasecmp(fields[i], want[i]) != 0)
            return 0;
    return 1;
}
