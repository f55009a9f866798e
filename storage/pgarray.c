/*
 * pgarray.c: PostgreSQL array literals ('{"a","b",NULL}') written for the set-based
 * statements of the batch jobs (order_batch.c, receipts.c), which pass a whole batch as a
 * few text parameters instead of one statement per row. Every element is quoted and
 * escaped, so a value is data whatever it holds; NULL is the SQL NULL element.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "storage/db_internal.h"

/* Room for MORE bytes and the NUL. 0 or -ENOMEM (A unchanged). */
static int stor_arr_reserve(struct stor_arr *a, size_t more)
{
    if (a->len + more + 1 <= a->cap)
        return 0;
    size_t cap = a->cap > 0 ? a->cap : 256;
    while (cap < a->len + more + 1)
        cap *= 2;
    char *s = realloc(a->s, cap);
    if (s == NULL)
        return -ENOMEM;
    a->s = s;
    a->cap = cap;
    return 0;
}

int stor_arr_add(struct stor_arr *a, const char *v)
{
    size_t vlen = v != NULL ? strlen(v) : 4;
    if (stor_arr_reserve(a, 2 * vlen + 3) < 0)
        return -ENOMEM;
    char sep = a->len == 0 ? '{' : ',';
    a->s[a->len++] = sep;
    if (v == NULL) {
        memcpy(a->s + a->len, "NULL", 4);
        a->len += 4;
    } else {
        a->s[a->len++] = '"';
        for (const char *p = v; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                a->s[a->len++] = '\\';
            a->s[a->len++] = *p;
        }
        a->s[a->len++] = '"';
    }
    a->s[a->len] = '\0';
    return 0;
}

int stor_arr_end(struct stor_arr *a)
{
    if (stor_arr_reserve(a, 2) < 0)
        return -ENOMEM;
    if (a->len == 0)
        a->s[a->len++] = '{';
    a->s[a->len++] = '}';
    a->s[a->len] = '\0';
    return 0;
}

void stor_arr_free(struct stor_arr *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].s);
        a[i] = (struct stor_arr){0};
    }
}
