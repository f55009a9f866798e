/*
 * dashboard.c: the figures of dashboard.h, three read-only statements in one snapshot
 * (REPEATABLE READ), so the totals, the products and the employees agree with each other.
 */
#include "storage/dashboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "storage/db_internal.h"

/* The scope's orders of this period (not cancelled): $1 the department or NULL. */
#define DASH_ORDERS                                                                                \
    "WITH o AS (SELECT o.created_at, o.product_code FROM orders o"                                 \
    "   LEFT JOIN employees e ON e.id = o.employee_id"                                             \
    "  WHERE o.cancelled_at IS NULL"                                                               \
    "    AND o.created_at >= erm_period_start(erm_current_period())"                               \
    "    AND ($1::text IS NULL OR e.dept = $1))"

static int dashboard_totals(struct stor_admin *adm, const char *const *v,
                            struct stor_dashboard *out, char *err, size_t errlen)
{
    PGresult *res = NULL;
    int rc = stor_admin_exec(
        adm, &res, "dashboard",
        DASH_ORDERS " SELECT erm_current_period(), h.h,"
                    " (SELECT count(*) FROM o),"
                    " (SELECT count(*) FROM o WHERE erm_day_of(o.created_at) = erm_day_of(now())"
                    "   AND extract(hour FROM o.created_at AT TIME ZONE 'Asia/Shanghai') = h.h)"
                    " FROM generate_series(0, 23) AS h(h) ORDER BY h.h",
        1, v, err, errlen);
    memset(out, 0, sizeof *out);
    for (int i = 0; rc == 0 && i < PQntuples(res) && i < 24; i++) {
        snprintf(out->period, sizeof out->period, "%s", PQgetvalue(res, i, 0));
        out->period_orders = atoll(PQgetvalue(res, i, 2));
        out->hours[i] = atoll(PQgetvalue(res, i, 3));
        out->today += out->hours[i];
    }
    PQclear(res);
    return rc;
}

static int dashboard_products(struct stor_admin *adm, const char *const *v,
                              const struct stor_dash_cbs *cbs, char *err, size_t errlen)
{
    PGresult *res = NULL;
    int rc = stor_admin_exec(
        adm, &res, "dashboard",
        DASH_ORDERS " SELECT p.code, p.name, p.status, p.quota,"
                    " (SELECT count(*) FROM claims c LEFT JOIN employees e ON e.id = c.employee_id"
                    "   WHERE c.product_code = p.code AND ($1::text IS NULL OR e.dept = $1)),"
                    " (SELECT count(*) FROM o WHERE o.product_code = p.code)"
                    " FROM products p WHERE p.status <> 'retired' ORDER BY p.code",
        1, v, err, errlen);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        struct stor_dash_product p = {PQgetvalue(res, i, 0),        PQgetvalue(res, i, 1),
                                      PQgetvalue(res, i, 2),        atoll(PQgetvalue(res, i, 3)),
                                      atoll(PQgetvalue(res, i, 4)), atoll(PQgetvalue(res, i, 5))};
        cbs->product(cbs->arg, &p);
    }
    PQclear(res);
    return rc;
}

static int dashboard_employees(struct stor_admin *adm, const char *const *v,
                               const struct stor_dash_cbs *cbs, char *err, size_t errlen)
{
    PGresult *res = NULL;
    int rc =
        stor_admin_exec(adm, &res, "dashboard",
                        "SELECT e.id, e.name, e.dept, count(o.id) FROM employees e"
                        " LEFT JOIN orders o ON o.employee_id = e.id AND o.cancelled_at IS NULL"
                        "  AND o.created_at >= erm_period_start(erm_current_period())"
                        " WHERE e.active AND ($1::text IS NULL OR e.dept = $1)"
                        " GROUP BY e.id ORDER BY count(o.id) DESC, e.id",
                        1, v, err, errlen);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        struct stor_dash_employee e = {PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                       PQgetvalue(res, i, 2), atoll(PQgetvalue(res, i, 3))};
        cbs->employee(cbs->arg, &e);
    }
    PQclear(res);
    return rc;
}

int stor_dashboard(struct stor_admin *adm, const char *dept, struct stor_dashboard *out,
                   const struct stor_dash_cbs *cbs, char *err, size_t errlen)
{
    const char *v[] = {dept != NULL && dept[0] != '\0' ? dept : NULL};
    int rc =
        stor_admin_exec(adm, NULL, "dashboard", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                        0, NULL, err, errlen);
    if (rc == 0)
        rc = dashboard_totals(adm, v, out, err, errlen);
    if (rc == 0)
        rc = dashboard_products(adm, v, cbs, err, errlen);
    if (rc == 0)
        rc = dashboard_employees(adm, v, cbs, err, errlen);
    if (rc == 0)
        rc = stor_admin_commit(adm, err, errlen);
    return stor_admin_end(adm, NULL, rc);
}
