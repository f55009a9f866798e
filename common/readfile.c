/*
 * readfile.c: readfile.h, a file read whole, growing the buffer by doubling.
 */
#include "common/readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int readfile_all(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -errno;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    int rc = 0;
    while (b != NULL) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        if (cap >= READFILE_MAX) {
            rc = -EFBIG;
            break;
        }
        cap *= 2;
        char *nb = realloc(b, cap);
        if (nb == NULL)
            free(b);
        b = nb;
    }
    if (b == NULL)
        rc = -ENOMEM;
    else if (ferror(f))
        rc = -EIO;
    fclose(f);
    if (rc < 0) {
        free(b);
        return rc;
    }
    *buf = b;
    *len = n;
    return 0;
}
