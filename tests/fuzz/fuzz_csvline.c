/*
 * fuzz_csvline.c: libFuzzer target for the CSV line of the HR import (core/csvline.c): any
 * bytes up to the first NUL as one line, split keeping 4 fields and keeping none. Checks:
 * a refusal has its reason; the fields lie inside the line and are no longer than it; the
 * fields written back quoted (quotes doubled) and split again give the same fields; the
 * header check agrees with the fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvline.h"

#define FUZZ_CSVLINE_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_csvline_check(int cond)
{
    if (!cond)
        abort();
}

/* FIELDS (N) quoted and joined by commas into a new string (the caller frees). */
static char *fuzz_csvline_join(char *const *fields, int n, size_t size)
{
    char *out = malloc(2 * size + 3 * (size_t)n + 1), *w = out;
    if (out == NULL)
        return NULL;
    for (int i = 0; i < n; i++) {
        if (i > 0)
            *w++ = ',';
        *w++ = '"';
        for (const char *p = fields[i]; *p; p++) {
            if (*p == '"')
                *w++ = '"';
            *w++ = *p;
        }
        *w++ = '"';
    }
    *w = '\0';
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const want[] = {"id", "name", "msisdn", "dept"};
    char *line = malloc(size + 1), *copy = malloc(size + 1);
    char *fields[FUZZ_CSVLINE_MAX], *again[FUZZ_CSVLINE_MAX];
    const char *why = NULL;
    if (line == NULL || copy == NULL)
        goto done;
    memcpy(line, data, size);
    line[size] = '\0';
    size = strlen(line);
    memcpy(copy, line, size + 1);
    fuzz_csvline_check(csvline_split(copy, NULL, 0, &why) == -1 ? why != NULL : 1);
    int n = csvline_split(line, fields, FUZZ_CSVLINE_MAX, &why);
    if (n < 0) {
        fuzz_csvline_check(why != NULL);
        goto done;
    }
    fuzz_csvline_check(n >= 1);
    int kept = n < FUZZ_CSVLINE_MAX ? n : FUZZ_CSVLINE_MAX;
    for (int i = 0; i < kept; i++)
        fuzz_csvline_check(fields[i] >= line && fields[i] + strlen(fields[i]) <= line + size);
    if (n == kept) {
        char *joined = fuzz_csvline_join(fields, n, size);
        if (joined != NULL) {
            fuzz_csvline_check(csvline_split(joined, again, FUZZ_CSVLINE_MAX, &why) == n);
            for (int i = 0; i < n; i++)
                fuzz_csvline_check(strcmp(again[i], fields[i]) == 0);
            free(joined);
        }
    }
    if (csvline_header_ok(fields, n, want, 4))
        fuzz_csvline_check(n == 4);
done:
    free(line);
    free(copy);
    return 0;
}
