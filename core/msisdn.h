/*
 * msisdn.h: mainland China mobile numbers. Pure functions, no I/O.
 */
#ifndef ERM_MSISDN_H
#define ERM_MSISDN_H

#include <stddef.h>

#define MSISDN_LEN 11
/* An address as a bearer delivers it (SMPP: at most 20 characters) and its NUL: the one
 * size for a source or destination number as received, in every room. */
#define MSISDN_ADDR_MAX 21

/* Normalises IN ("13800000001", "+8613800000001", "8613800000001", "008613800000001",
 * with spaces or dashes between digits, e.g. "+86 138-0000-0001", and spaces around) to
 * the 11-digit national form in OUT (at least MSISDN_LEN + 1 bytes).
 * Returns 0, -EINVAL when it is not an 11-digit number starting with 1[3-9] (a '+' other
 * than "+86" included), -ENOSPC when CAP is below MSISDN_LEN + 1. */
int msisdn_normalize(const char *in, char *out, size_t cap);

/* 1 when ADDR, an address as a bearer delivered it, is text that can be kept: 1 to
 * MSISDN_ADDR_MAX - 1 bytes of valid UTF-8 without control characters. Anything else (bytes
 * that are not UTF-8, a newline) can never be stored, so a message carrying it is refused
 * for good rather than delivered again and again. */
int msisdn_addr_ok(const char *addr);

/* Writes the masked form "138****0001" of an 11-digit number (any 11 ASCII digits) into
 * OUT. 0, -EINVAL, or -ENOSPC when CAP is below MSISDN_LEN + 1. */
int msisdn_mask(const char *msisdn, char *out, size_t cap);

#endif
