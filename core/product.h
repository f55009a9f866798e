/*
 * product.h: a product of the pool as an operator defines it, and the check of a new one
 * that needs no database (storage/pool.h adds it, checking again, and refuses a code that
 * clashes with the pool). Pure functions, no I/O.
 */
#ifndef ERM_PRODUCT_H
#define ERM_PRODUCT_H

#include <stddef.h>
#include <stdint.h>

struct commission_tier;

#define PRODUCT_INTRO_MAX       1000 /* characters of a promo text */
#define PRODUCT_FEE_MAX         200  /* characters of a fee text */
#define PRODUCT_CANCEL_DAYS_MAX 366
#define PRODUCT_SERVICE_DEFAULT "10086"

/* A new product; strings are the caller's. */
struct product_spec {
    const char *code;     /* product code: 1..8 digits, not starting with 0 */
    const char *name;     /* 1..FIELD_NAME_MAX characters, no control characters */
    const char *intro;    /* promo text, at most PRODUCT_INTRO_MAX characters; NULL = "" */
    const char *fee_text; /* at most PRODUCT_FEE_MAX characters; NULL = "" */
    const char *service;  /* service number, NULL = PRODUCT_SERVICE_DEFAULT */
    int64_t commission_fen;
    uint32_t quota;                      /* 1..CODEPLAN_MAX_QUOTA */
    const char *starts_on;               /* "YYYY-MM-DD" or NULL */
    const char *ends_on;                 /* "YYYY-MM-DD" or NULL, not before starts_on */
    const struct commission_tier *tiers; /* NTIERS commission tiers (core/commission.h) */
    size_t ntiers;
    const char *cancel_days; /* customer's QX window in days, "0".."366"; NULL = 7 */
};

/* Checks SPEC: every field, codes of 3 digits or more, and a promo push (core/promo.h)
 * that fits in the SMS parts sent. Returns 0, -EINVAL with one line in ERR (ERRLEN bytes)
 * naming the option, e.g. "--quota: 0 is not a number from 1 to 99999", or -ENOMEM. */
int product_check(const struct product_spec *spec, char *err, size_t errlen);

#endif
