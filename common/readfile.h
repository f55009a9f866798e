/*
 * readfile.h: a small file (a configuration) read whole into memory, for ermgw and ermweb
 * alike, so that the parser (core/config.c, pure) gets a buffer.
 */
#ifndef ERM_READFILE_H
#define ERM_READFILE_H

#include <stddef.h>

/* The largest file readfile_all() reads. */
#define READFILE_MAX (1u << 20)

/* Reads PATH whole into *BUF (malloc'd, the caller frees it; not NUL-terminated) and its
 * size into *LEN. 0, or -errno of opening or reading it, -EFBIG over READFILE_MAX,
 * -ENOMEM. */
int readfile_all(const char *path, char **buf, size_t *len);

#endif
