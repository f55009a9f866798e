/*
 * commission.h: the commission arithmetic, in integer fen: which tier a holder's N-th order
 * of a product in a period earns, and how a team's commission is shared among its members
 * without losing or inventing a fen. Pure functions, no I/O. schema/004_commission.sql does
 * the same in SQL (erm_tier_fen, erm_split); tests/integration/test_commission.py checks
 * that both agree.
 */
#ifndef ERM_COMMISSION_H
#define ERM_COMMISSION_H

#include <stddef.h>
#include <stdint.h>

#define COMMISSION_MAX_TIERS 16

/* From the FROM_ORDER-th order of a period on (2 or more), FEN per order. */
struct commission_tier {
    uint32_t from_order;
    int64_t fen;
};

/* How a team shares: equal shares (remainder to the leader) or all to the leader. */
enum commission_split_rule { COMMISSION_SPLIT_EQUAL = 0, COMMISSION_SPLIT_LEADER };

/* The commission of the NTH (1 = first) order: the tier of TIERS (N entries, any order, the
 * caller's) with the greatest from_order <= NTH, else BASE_FEN. */
int64_t commission_tier_fen(int64_t base_fen, const struct commission_tier *tiers, size_t n,
                            uint32_t nth);

/* Shares AMOUNT_FEN (>= 0) among N members (N >= 1) by RULE into OUT (the caller's, N
 * entries); member LEADER (< N) gets the remainder of an equal split, or everything. The
 * shares always sum to AMOUNT_FEN. Returns 0 or -EINVAL. */
int commission_split(int64_t amount_fen, size_t n, size_t leader, enum commission_split_rule rule,
                     int64_t *out);

/* Parses a split rule's name "equal" / "leader" into *RULE: 0 or -EINVAL. */
int commission_split_parse(const char *name, enum commission_split_rule *rule);

/* The static name of RULE ("equal", "leader"; "invalid" otherwise). */
const char *commission_split_name(enum commission_split_rule rule);

/* Parses a tier "N:YUAN" ("51:8.00"; N from 2 to 1000000) into *TIER: 0, -EINVAL or
 * -ERANGE (money_parse_yuan's). */
int commission_tier_parse(const char *text, struct commission_tier *tier);

#endif
