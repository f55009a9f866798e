/*
 * pool.h: the product pool (产品池) on ermctl's blocking connection (storage/admin.h):
 * adding a product (core/product.h checks it; here its code is checked against the pool's),
 * activating and retiring it, listing the pool and showing one product with who holds its
 * codes. Errors as admin.h says.
 */
#ifndef ERM_POOL_H
#define ERM_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/product.h"
#include "storage/admin.h"

/* Adds SPEC as a draft, checked with product_check() first. Refuses (-EEXIST) a code equal
 * to or clashing with any product in the pool under core's codeplan_clash(), naming that
 * product; adds are serialised so two clashing adds cannot both succeed. */
int stor_product_add(struct stor_admin *adm, const struct product_spec *spec, char *err,
                     size_t errlen);

/* Activates product CODE (draft -> active). *WAS_ACTIVE (may be NULL) is set to 1 when it
 * already was. -ENOENT unknown, -EPERM retired. */
int stor_product_activate(struct stor_admin *adm, const char *code, int *was_active, char *err,
                          size_t errlen);

/* Retires product CODE (draft or active -> retired): its codes take no orders and no
 * claims from now on; claims and orders stay. *WAS_RETIRED (may be NULL) is set to 1 when
 * it already was. -ENOENT unknown. */
int stor_product_retire(struct stor_admin *adm, const char *code, int *was_retired, char *err,
                        size_t errlen);

/* A product as listed; strings belong to storage and are valid during the callback only. */
struct stor_product_row {
    const char *code, *name, *status, *service, *intro, *fee_text;
    const char *starts_on, *ends_on; /* "YYYY-MM-DD", NULL when not set */
    uint32_t quota;
    int64_t commission_fen;
    long long claimed; /* codes given out */
    long long orders;  /* orders so far */
};

/* One holder of a code of a product, for "who got what"; strings as above. */
struct stor_holder_row {
    const char *code;
    int team;               /* 0: an employee, 1: a team */
    const char *holder;     /* the employee's id, or the team's name */
    const char *name;       /* the employee's name, or the team leader's */
    const char *dept;       /* the employee's department ("" for a team) */
    int active;             /* 0 for a deactivated employee */
    const char *claimed_at; /* "YYYY-MM-DD HH:MM", the session's time zone */
    long long orders;
    long long pushes_sent, pushes_queued, pushes_failed, pushes_optout;
};

typedef void (*stor_product_row_cb)(void *arg, const struct stor_product_row *row);
typedef void (*stor_holder_row_cb)(void *arg, const struct stor_holder_row *row);

/* Calls ROW for every product of the pool, by code. */
int stor_product_list(struct stor_admin *adm, stor_product_row_cb row, void *arg, char *err,
                      size_t errlen);

/* Calls PRODUCT once for product CODE, then HOLDER (may be NULL) for each of its codes
 * given out, by sequence. -ENOENT unknown product. */
int stor_product_show(struct stor_admin *adm, const char *code, stor_product_row_cb product,
                      stor_holder_row_cb holder, void *arg, char *err, size_t errlen);

#endif
