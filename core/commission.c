/*
 * commission.c: tier selection and team splits in integer fen (commission.h). The SQL of
 * schema/004_commission.sql mirrors these rules; keep them in step.
 */
#include "core/commission.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"

#define COMMISSION_TIER_MAX_FROM 1000000u

static const char *const commission_split_names[] = {
    [COMMISSION_SPLIT_EQUAL] = "equal",
    [COMMISSION_SPLIT_LEADER] = "leader",
};

int64_t commission_tier_fen(int64_t base_fen, const struct commission_tier *tiers, size_t n,
                            uint32_t nth)
{
    int64_t fen = base_fen;
    uint32_t best = 0;
    for (size_t i = 0; i < n; i++) {
        if (tiers[i].from_order <= nth && tiers[i].from_order > best) {
            best = tiers[i].from_order;
            fen = tiers[i].fen;
        }
    }
    return fen;
}

int commission_split(int64_t amount_fen, size_t n, size_t leader, enum commission_split_rule rule,
                     int64_t *out)
{
    if (amount_fen < 0 || n == 0 || leader >= n || out == NULL ||
        (rule != COMMISSION_SPLIT_EQUAL && rule != COMMISSION_SPLIT_LEADER))
        return -EINVAL;
    /* Equal: everybody the floor of the share; what division leaves over (fewer than N fen)
     * goes to the leader, so the sum is exact. */
    int64_t share = rule == COMMISSION_SPLIT_EQUAL ? amount_fen / (int64_t)n : 0;
    for (size_t i = 0; i < n; i++)
        out[i] = share;
    out[leader] += amount_fen - share * (int64_t)n;
    return 0;
}

int commission_split_parse(const char *name, enum commission_split_rule *rule)
{
    for (size_t i = 0; i < sizeof commission_split_names / sizeof commission_split_names[0]; i++) {
        if (name != NULL && strcmp(name, commission_split_names[i]) == 0) {
            *rule = (enum commission_split_rule)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *commission_split_name(enum commission_split_rule rule)
{
    if ((unsigned)rule >= sizeof commission_split_names / sizeof commission_split_names[0])
        return "invalid";
    return commission_split_names[rule];
}

int commission_tier_parse(const char *text, struct commission_tier *tier)
{
    const char *colon = text ? strchr(text, ':') : NULL;
    if (colon == NULL || colon == text || (size_t)(colon - text) > 7 ||
        strspn(text, "0123456789") != (size_t)(colon - text))
        return -EINVAL;
    unsigned long from = strtoul(text, NULL, 10);
    if (from < 2 || from > COMMISSION_TIER_MAX_FROM)
        return -ERANGE;
    int64_t fen;
    int rc = money_parse_yuan(colon + 1, &fen);
    if (rc < 0)
        return rc;
    tier->from_order = (uint32_t)from;
    tier->fen = fen;
    return 0;
}
