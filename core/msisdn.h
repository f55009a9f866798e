/*
 * msisdn.h: mainland China mobile numbers. Pure functions, no I/O.
 */
#ifndef ERM_MSISDN_H
#define ERM_MSISDN_H

#include <stddef.h>

#define MSISDN_LEN 11

/* Normalises IN ("13800000001", "+8613800000001", "8613800000001", with spaces or dashes
 * between digits) to the 11-digit national form in OUT (at least MSISDN_LEN + 1 bytes).
 * Returns 0, or -EINVAL when it is not an 11-digit number starting with 1[3-9]. */
int msisdn_normalize(const char *in, char *out, size_t cap);

/* Writes the masked form "138****0001" of an 11-digit number into OUT. 0 or -EINVAL. */
int msisdn_mask(const char *msisdn, char *out, size_t cap);

#endif
