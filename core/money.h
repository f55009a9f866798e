/*
 * money.h: money is integer fen (1 yuan = 100 fen) everywhere; yuan text only at the edges.
 * Pure functions, no floating point.
 */
#ifndef ERM_MONEY_H
#define ERM_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define MONEY_MAX_FEN 100000000000LL /* one billion yuan: far above any commission */

/* Parses yuan text "5", "5.0", "5.00", "0.05" (no sign, at most two decimals, no exponent,
 * at most MONEY_MAX_FEN) into fen. Leading zeros are accepted ("05.00"); a bare point
 * ("5.", ".5"), white space, a sign or a thousands separator are not. Returns 0, -EINVAL
 * for a malformed amount (checked before the range), -ERANGE when too large. */
int money_parse_yuan(const char *text, int64_t *fen);

/* Formats FEN (any int64_t, INT64_MIN included) as yuan with two decimals ("5.00",
 * "-0.05") into OUT (caller's buffer). Returns the length, -ENOSPC (OUT then holds "") or
 * -EINVAL for a NULL OUT. */
int money_format(int64_t fen, char *out, size_t cap);

#endif
