/*
 * dialprefix.h: the prefixes a carrier puts before a dialled number (+86, 86) and their
 * removal from a SIP Request-URI's user part, so "+861008610001" reaches the order path
 * as the phone code "1008610001". Pure.
 */
#ifndef ERM_DIALPREFIX_H
#define ERM_DIALPREFIX_H

#include <stddef.h>

#define DIALPREFIX_MAX 8 /* prefixes in a list at most */
#define DIALPREFIX_LEN 8 /* a prefix's bytes at most, with its NUL: "+" and 6 digits */

struct dialprefix_set {
    size_t n;
    char p[DIALPREFIX_MAX][DIALPREFIX_LEN];
};

/* Parses a comma-separated list such as "+86,86" (each an optional '+' and 1 to 6 digits;
 * spaces around entries allowed; an empty LIST is an empty set). Returns 0 or -EINVAL. */
int dialprefix_parse(const char *list, struct dialprefix_set *out);

/* Returns NUMBER past the longest prefix of SET it starts with, provided something is
 * left; else NUMBER itself. Points into NUMBER. */
const char *dialprefix_strip(const struct dialprefix_set *set, const char *number);

#endif
