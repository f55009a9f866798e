/*
 * textwidth.h: how many terminal columns UTF-8 text takes, so ermctl's tables line up with
 * Chinese names (a Han character is two columns wide, a Latin letter one). Pure functions,
 * no I/O.
 */
#ifndef ERM_TEXTWIDTH_H
#define ERM_TEXTWIDTH_H

#include <stddef.h>

/* Columns of UTF-8 string S: East Asian wide and full-width characters 2, combining marks
 * and zero-width characters 0, the rest 1; a malformed byte counts as one column. */
size_t textwidth(const char *s);

/* Writes S into OUT (the caller's, CAP bytes) padded with spaces to WIDTH columns, on the
 * right (RIGHT_ALIGN 0) or the left (1). S is never cut. Returns the length, or -ENOSPC. */
int textwidth_pad(const char *s, size_t width, int right_align, char *out, size_t cap);

#endif
