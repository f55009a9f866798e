/*
 * pool.c: the product pool of pool.h on ermctl's blocking connection (admin.c). A new
 * product's code is checked against every product of the pool under core's
 * codeplan_clash(), with the products table locked so two clashing adds cannot both pass.
 */
#include "storage/pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/codeplan.h"
#include "core/commission.h"
#include "core/field.h"
#include "storage/db_internal.h"

/* Refuses SPEC when its code equals or clashes with a product already in the pool; the
 * products table is locked against other adds for the rest of the transaction. */
static int pool_check_clash(struct stor_admin *adm, const struct product_spec *p, char *err,
                            size_t errlen)
{
    PGresult *res = NULL;
    int rc =
        stor_admin_exec(adm, NULL, "lock products",
                        "LOCK TABLE products IN SHARE ROW EXCLUSIVE MODE", 0, NULL, err, errlen);
    if (rc < 0)
        goto fail;
    rc = stor_admin_exec(adm, &res, "products",
                         "SELECT code, name, quota FROM products ORDER BY code", 0, NULL, err,
                         errlen);
    if (rc < 0)
        goto fail;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *code = PQgetvalue(res, i, 0), *name = PQgetvalue(res, i, 1);
        uint32_t quota = (uint32_t)strtoul(PQgetvalue(res, i, 2), NULL, 10);
        if (strcmp(code, p->code) == 0) {
            rc = field_error(err, errlen, -EEXIST, "--code: product %s already exists (\"%s\")",
                             code, name);
            goto fail;
        }
        if (codeplan_clash(p->code, p->quota, code, quota) > 0) {
            rc = field_error(err, errlen, -EEXIST,
                             "--code: %s with quota %u clashes with product %s \"%s\" (quota %u): "
                             "a code could be read as either",
                             p->code, p->quota, code, name, quota);
            goto fail;
        }
    }
    rc = 0;
fail:
    PQclear(res);
    return rc;
}

/* Stores P's commission tiers (schema/004_commission.sql) in the open transaction. */
static int pool_product_tiers(struct stor_admin *adm, const struct product_spec *p, char *err,
                              size_t errlen)
{
    for (size_t i = 0; i < p->ntiers; i++) {
        char from[12], fen[24];
        snprintf(from, sizeof from, "%u", p->tiers[i].from_order);
        snprintf(fen, sizeof fen, "%lld", (long long)p->tiers[i].fen);
        const char *v[] = {p->code, from, fen};
        int rc = stor_admin_exec(adm, NULL, "--tier",
                                 "INSERT INTO product_tiers (product_code, from_order,"
                                 " commission_fen) VALUES ($1, $2::integer, $3::bigint)",
                                 3, v, err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int stor_product_add(struct stor_admin *adm, const struct product_spec *p, char *err, size_t errlen)
{
    char commission[24], quota[12], width[4];
    int rc = product_check(p, err, errlen);
    if (rc < 0)
        return rc;
    snprintf(commission, sizeof commission, "%lld", (long long)p->commission_fen);
    snprintf(quota, sizeof quota, "%u", p->quota);
    snprintf(width, sizeof width, "%d", codeplan_width(p->quota));
    const char *v[] = {p->code,
                       p->cancel_days,
                       p->name,
                       p->intro != NULL ? p->intro : "",
                       p->fee_text != NULL ? p->fee_text : "",
                       commission,
                       quota,
                       width,
                       p->service != NULL ? p->service : PRODUCT_SERVICE_DEFAULT,
                       p->starts_on,
                       p->ends_on};

    if ((rc = stor_admin_begin(adm, err, errlen)) < 0)
        goto fail;
    if ((rc = pool_check_clash(adm, p, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, NULL, "insert product",
                         "INSERT INTO products (code, cancel_days, name, intro, fee_text,"
                         " commission_fen, quota, width, service, starts_on, ends_on)"
                         " VALUES ($1, coalesce($2::integer, 7), $3, $4, $5, $6, $7, $8, $9,"
                         " $10, $11)",
                         11, v, err, errlen);
    if (rc < 0 || (rc = pool_product_tiers(adm, p, err, errlen)) < 0)
        goto fail;
    if ((rc = stor_admin_commit(adm, err, errlen)) < 0)
        goto fail;
    return 0;

fail:
    stor_admin_rollback(adm);
    return rc;
}

/* Moves product CODE to status TO ("active" or "retired"); *WAS (may be NULL) is set to 1
 * when it already had it. Nothing leaves "retired". */
static int pool_product_move(struct stor_admin *adm, const char *code, const char *to, int *was,
                             char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {code, to};
    int rc;

    if (was != NULL)
        *was = 0;
    if (codeplan_check_product(code) < 0)
        return field_error(err, errlen, -EINVAL, "product \"%s\": not a product code", code);
    if ((rc = stor_admin_begin(adm, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, &res, "product",
                         "SELECT status FROM products WHERE code = $1 FOR UPDATE", 1, v, err,
                         errlen);
    if (rc < 0)
        goto fail;
    if (PQntuples(res) == 0) {
        rc = field_error(err, errlen, -ENOENT, "product %s: no such product", code);
        goto fail;
    }
    const char *status = PQgetvalue(res, 0, 0);
    if (strcmp(status, to) == 0) {
        if (was != NULL)
            *was = 1;
    } else if (strcmp(status, "retired") == 0) {
        rc = field_error(err, errlen, -EPERM, "product %s: retired, cannot be activated again",
                         code);
        goto fail;
    } else {
        rc = stor_admin_exec(adm, NULL, "status", "UPDATE products SET status = $2 WHERE code = $1",
                             2, v, err, errlen);
        if (rc < 0)
            goto fail;
    }
    rc = stor_admin_commit(adm, err, errlen);

fail:
    return stor_admin_end(adm, res, rc);
}

int stor_product_activate(struct stor_admin *adm, const char *code, int *was_active, char *err,
                          size_t errlen)
{
    return pool_product_move(adm, code, "active", was_active, err, errlen);
}

int stor_product_retire(struct stor_admin *adm, const char *code, int *was_retired, char *err,
                        size_t errlen)
{
    return pool_product_move(adm, code, "retired", was_retired, err, errlen);
}

/* The products (all, or the one of CODE when not NULL) with their counts. */
#define POOL_PRODUCTS_SQL                                                                          \
    "SELECT p.code, p.name, p.status, p.service, p.intro, p.fee_text, p.starts_on::text,"          \
    " p.ends_on::text, p.quota, p.commission_fen,"                                                 \
    " (SELECT count(*) FROM claims c WHERE c.product_code = p.code),"                              \
    " (SELECT count(*) FROM orders o WHERE o.product_code = p.code)"                               \
    " FROM products p WHERE $1::text IS NULL OR p.code = $1 ORDER BY p.code"

/* Calls CB for each product of RES (POOL_PRODUCTS_SQL's columns). */
static void pool_product_rows(const PGresult *res, stor_product_row_cb cb, void *arg)
{
    for (int i = 0; i < PQntuples(res); i++) {
        struct stor_product_row r = {
            .code = PQgetvalue(res, i, 0),
            .name = PQgetvalue(res, i, 1),
            .status = PQgetvalue(res, i, 2),
            .service = PQgetvalue(res, i, 3),
            .intro = PQgetvalue(res, i, 4),
            .fee_text = PQgetvalue(res, i, 5),
            .starts_on = stor_admin_value(res, i, 6),
            .ends_on = stor_admin_value(res, i, 7),
            .quota = (uint32_t)strtoul(PQgetvalue(res, i, 8), NULL, 10),
            .commission_fen = strtoll(PQgetvalue(res, i, 9), NULL, 10),
            .claimed = strtoll(PQgetvalue(res, i, 10), NULL, 10),
            .orders = strtoll(PQgetvalue(res, i, 11), NULL, 10),
        };
        cb(arg, &r);
    }
}

int stor_product_list(struct stor_admin *adm, stor_product_row_cb row, void *arg, char *err,
                      size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {NULL};
    int rc = stor_admin_exec(adm, &res, "products", POOL_PRODUCTS_SQL, 1, v, err, errlen);
    if (rc == 0)
        pool_product_rows(res, row, arg);
    PQclear(res);
    return rc;
}

/* Calls CB for each holder of RES (the holders query of stor_product_show). */
static void pool_holder_rows(const PGresult *res, stor_holder_row_cb cb, void *arg)
{
    for (int i = 0; i < PQntuples(res); i++) {
        struct stor_holder_row r = {
            .code = PQgetvalue(res, i, 0),
            .team = strcmp(PQgetvalue(res, i, 1), "t") == 0,
            .holder = PQgetvalue(res, i, 2),
            .name = PQgetvalue(res, i, 3),
            .dept = PQgetvalue(res, i, 4),
            .active = strcmp(PQgetvalue(res, i, 5), "t") == 0,
            .claimed_at = PQgetvalue(res, i, 6),
            .orders = strtoll(PQgetvalue(res, i, 7), NULL, 10),
            .pushes_sent = strtoll(PQgetvalue(res, i, 8), NULL, 10),
            .pushes_queued = strtoll(PQgetvalue(res, i, 9), NULL, 10),
            .pushes_failed = strtoll(PQgetvalue(res, i, 10), NULL, 10),
            .pushes_optout = strtoll(PQgetvalue(res, i, 11), NULL, 10),
        };
        cb(arg, &r);
    }
}

int stor_product_show(struct stor_admin *adm, const char *code, stor_product_row_cb product,
                      stor_holder_row_cb holder, void *arg, char *err, size_t errlen)
{
    PGresult *res = NULL, *hold = NULL;
    const char *v[] = {code};
    int rc;

    if (codeplan_check_product(code) < 0)
        return field_error(err, errlen, -EINVAL, "product \"%s\": not a product code", code);
    /* One snapshot for the product's counts and its holders. */
    rc = stor_admin_exec(adm, NULL, "BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
                         NULL, err, errlen);
    if (rc == 0)
        rc = stor_admin_exec(adm, &res, "product", POOL_PRODUCTS_SQL, 1, v, err, errlen);
    if (rc == 0 && PQntuples(res) == 0)
        rc = field_error(err, errlen, -ENOENT, "product %s: no such product", code);
    if (rc == 0)
        rc = stor_admin_exec(
            adm, &hold, "holders",
            "SELECT c.code, c.team_id IS NOT NULL, coalesce(c.employee_id, t.name),"
            " coalesce(e.name, l.name), coalesce(e.dept, ''), coalesce(e.active, true),"
            " to_char(c.claimed_at, 'YYYY-MM-DD HH24:MI'),"
            " (SELECT count(*) FROM orders o WHERE o.code = c.code),"
            " count(b.id) FILTER (WHERE b.state NOT IN ('queued', 'sending', 'failed')),"
            " count(b.id) FILTER (WHERE b.state IN ('queued', 'sending')),"
            " count(b.id) FILTER (WHERE b.state = 'failed'),"
            " count(pp.id) FILTER (WHERE pp.id IS NOT NULL AND pp.outbox_id IS NULL)"
            " FROM claims c LEFT JOIN employees e ON e.id = c.employee_id"
            " LEFT JOIN teams t ON t.id = c.team_id LEFT JOIN employees l ON l.id = t.leader_id"
            " LEFT JOIN promo_pushes pp ON pp.code = c.code"
            " LEFT JOIN outbox b ON b.id = pp.outbox_id"
            " WHERE c.product_code = $1"
            " GROUP BY c.code, c.seq, c.team_id, c.employee_id, t.name, e.name, l.name, e.dept,"
            " e.active, c.claimed_at ORDER BY c.seq",
            1, v, err, errlen);
    if (rc == 0)
        rc = stor_admin_commit(adm, err, errlen);
    if (rc == 0) {
        pool_product_rows(res, product, arg);
        if (holder != NULL)
            pool_holder_rows(hold, holder, arg);
    }
    if (rc < 0)
        stor_admin_rollback(adm);
    PQclear(res);
    PQclear(hold);
    return rc;
}
