/*
 * report.c: report.h on the admin connection. The report's SQL is put together from the
 * constant fragments of report_dims[] chosen by --by (never from input); every value the
 * operator gives is a parameter.
 *
 * The report reads commission_daily (schema/006_report_summary.sql: the ledger summed per
 * holder, product and day, kept by a trigger in the ledger row's transaction), not the
 * ledger itself: a million orders are some hundred thousand summary rows. It first sums
 * those by the raw keys the --by needs (ids, product code, day) and only then joins the
 * names onto the groups, so the joins run once per group rather than once per row. The
 * outer grouping is by the same columns as the output, so groups that share a display
 * value (employees of one dept) are added up exactly as a grouping of the ledger would.
 *
 * Orders of no employee (team-held) or no team keep SQL NULL as their group through to the
 * row callback: a NULL group is its own row, never merged with an employee, team or
 * department really named "-" (as coalesce(id, '-') once did). It sorts last.
 */
#include "storage/report.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codeplan.h"
#include "core/field.h"
#include "storage/db_internal.h"

#define REPORT_SQL_MAX 4096

/* The raw keys of commission_daily a dimension needs, as bits of a mask. */
enum {
    REPORT_KEY_EMPLOYEE = 1 << 0,
    REPORT_KEY_TEAM = 1 << 1,
    REPORT_KEY_PRODUCT = 1 << 2,
    REPORT_KEY_DAY = 1 << 3,
};

/* Per raw key, in this order: its column in the inner (per-key) sum, and the join that
 * brings its names to the groups (g is the inner sum). */
static const struct {
    unsigned key;
    const char *column;
    const char *join;
} report_keys[] = {
    {REPORT_KEY_EMPLOYEE, "s.employee_id", " LEFT JOIN employees e ON e.id = g.employee_id"},
    {REPORT_KEY_TEAM, "s.team_id", " LEFT JOIN teams t ON t.id = g.team_id"},
    /* Inner joins as before: the product row is always there (a ledger entry copies its
     * order's product, the order its claim's, and the claim keeps a key to products). */
    {REPORT_KEY_PRODUCT, "s.product_code", " JOIN products p ON p.code = g.product_code"},
    {REPORT_KEY_DAY, "s.order_day", ""},
};

static const struct {
    const char *name;   /* as --by says it */
    const char *select; /* its columns, over the inner sum g and the joined names */
    unsigned keys;      /* the raw keys SELECT uses */
    const char *cols[2];
    size_t ncols;
} report_dims[STOR_DIM_COUNT] = {
    [STOR_DIM_EMPLOYEE] =
        {"employee", "g.employee_id, e.name", REPORT_KEY_EMPLOYEE, {"employee", "name"}, 2},
    [STOR_DIM_TEAM] = {"team", "t.name", REPORT_KEY_TEAM, {"team", NULL}, 1},
    [STOR_DIM_DEPT] = {"dept", "e.dept", REPORT_KEY_EMPLOYEE, {"dept", NULL}, 1},
    [STOR_DIM_PRODUCT] =
        {"product", "g.product_code, p.name", REPORT_KEY_PRODUCT, {"product", "product_name"}, 2},
    [STOR_DIM_DAY] = {"day", "g.order_day::text", REPORT_KEY_DAY, {"day", NULL}, 1},
};

static const char *const report_measures[] = {"orders", "cancelled", "commission"};

__attribute__((format(printf, 4, 5))) static int report_fail(char *err, size_t errlen, int rc,
                                                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

int stor_period_check(const char *p)
{
    if (p == NULL || strlen(p) != 7 || strspn(p, "0123456789") != 4 || p[4] != '-' ||
        strspn(p + 5, "0123456789") != 2)
        return -EINVAL;
    int month = atoi(p + 5);
    return month >= 1 && month <= 12 && p[0] != '0' ? 0 : -EINVAL;
}

/* "YYYY-MM-DD" shape; the database checks the calendar. */
static int report_date_ok(const char *d)
{
    return d == NULL ||
           (strlen(d) == 10 && strspn(d, "0123456789") == 4 && d[4] == '-' &&
            strspn(d + 5, "0123456789") == 2 && d[7] == '-' && strspn(d + 8, "0123456789") == 2);
}

int stor_report_parse_by(const char *text, struct stor_report_spec *spec, char *err, size_t errlen)
{
    spec->nby = 0;
    const char *s = text;
    while (s != NULL && *s != '\0') {
        size_t len = strcspn(s, ",");
        size_t d;
        for (d = 0; d < STOR_DIM_COUNT; d++)
            if (strlen(report_dims[d].name) == len && strncmp(s, report_dims[d].name, len) == 0)
                break;
        if (d == STOR_DIM_COUNT)
            return report_fail(err, errlen, -EINVAL,
                               "--by: \"%.*s\" is not one of employee, team, dept, product, day",
                               (int)len, s);
        for (size_t i = 0; i < spec->nby; i++)
            if (spec->by[i] == (enum stor_report_dim)d)
                return report_fail(err, errlen, -EINVAL, "--by: %s given twice",
                                   report_dims[d].name);
        spec->by[spec->nby++] = (enum stor_report_dim)d;
        s += len;
        if (*s == ',' && *++s == '\0')
            break;
    }
    if (spec->nby == 0)
        return report_fail(err, errlen, -EINVAL,
                           "--by: give one or more of employee, team, "
                           "dept, product, day");
    return 0;
}

/* Appends FMT's text to BUF (CAP bytes) at *OFF. Past CAP nothing more is written and *OFF
 * keeps counting, so one check at the end tells whether it all fitted. */
__attribute__((format(printf, 4, 5))) static void report_cat(char *buf, size_t cap, size_t *off,
                                                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(*off < cap ? buf + *off : NULL, *off < cap ? cap - *off : 0, fmt, ap);
    va_end(ap);
    *off += len > 0 ? (size_t)len : 0;
}

/* Writes the report's SQL for SPEC into SQL (CAP bytes, the caller's) and its column names
 * (static strings) into NAMES; *NCOLS. 0 or -ENOSPC. */
static int report_sql(const struct stor_report_spec *spec, char *sql, size_t cap,
                      const char **names, size_t *ncols)
{
    size_t n = 0, off = 0, nkeys = 0;
    unsigned keys = 0;
    const size_t nraw = sizeof report_keys / sizeof report_keys[0];
    for (size_t i = 0; i < spec->nby; i++)
        keys |= report_dims[spec->by[i]].keys;
    /* The outer query's columns: each dimension's, then the measures over the inner sum. */
    report_cat(sql, cap, &off, "SELECT ");
    for (size_t i = 0; i < spec->nby; i++) {
        enum stor_report_dim d = spec->by[i];
        report_cat(sql, cap, &off, "%s, ", report_dims[d].select);
        for (size_t c = 0; c < report_dims[d].ncols; c++)
            names[n++] = report_dims[d].cols[c];
    }
    report_cat(sql, cap, &off,
               "sum(g.orders)::bigint, sum(g.cancelled)::bigint, erm_yuan(sum(g.fen)::bigint)"
               " FROM (SELECT ");
    /* The inner sum: commission_daily by the raw keys, filtered. */
    for (size_t i = 0; i < nraw; i++)
        if (keys & report_keys[i].key) {
            report_cat(sql, cap, &off, "%s, ", report_keys[i].column);
            nkeys++;
        }
    report_cat(sql, cap, &off,
               "sum(s.orders) AS orders, sum(s.cancelled) AS cancelled,"
               " sum(s.amount_fen) AS fen FROM commission_daily s"
               " WHERE ($1::date IS NULL OR s.order_day >= $1::date)"
               " AND ($2::date IS NULL OR s.order_day <= $2::date)"
               " AND ($3::text IS NULL OR s.product_code = $3)"
               " AND ($4::text IS NULL OR s.employee_id IN"
               " (SELECT e4.id FROM employees e4 WHERE e4.dept = $4))"
               " GROUP BY ");
    for (size_t c = 1; c <= nkeys; c++)
        report_cat(sql, cap, &off, "%s%zu", c > 1 ? ", " : "", c);
    report_cat(sql, cap, &off, ") g");
    /* The names, joined to the groups. */
    for (size_t i = 0; i < nraw; i++)
        if (keys & report_keys[i].key)
            report_cat(sql, cap, &off, "%s", report_keys[i].join);
    for (size_t k = 0; k < 2; k++) {
        report_cat(sql, cap, &off, k == 0 ? " GROUP BY " : " ORDER BY ");
        for (size_t c = 1; c <= n; c++)
            report_cat(sql, cap, &off, "%s%zu%s", c > 1 ? ", " : "", c, k ? " NULLS LAST" : "");
    }
    for (size_t m = 0; m < 3; m++)
        names[n++] = report_measures[m];
    *ncols = n;
    return off < cap ? 0 : -ENOSPC;
}

int stor_report(struct stor_admin *adm, const struct stor_report_spec *spec, stor_report_row_cb row,
                void *arg, char *err, size_t errlen)
{
    char sql[REPORT_SQL_MAX];
    const char *names[STOR_REPORT_MAX_COLS];
    size_t ncols;
    PGresult *res = NULL;
    if (!report_date_ok(spec->from))
        return report_fail(err, errlen, -EINVAL, "--from: \"%s\" is not a date (YYYY-MM-DD)",
                           spec->from);
    if (!report_date_ok(spec->to))
        return report_fail(err, errlen, -EINVAL, "--to: \"%s\" is not a date (YYYY-MM-DD)",
                           spec->to);
    if (spec->product != NULL && codeplan_check_product(spec->product) < 0)
        return report_fail(err, errlen, -EINVAL, "--product: \"%s\" is not a product code",
                           spec->product);
    int rc = report_sql(spec, sql, sizeof sql, names, &ncols);
    if (rc < 0)
        return report_fail(err, errlen, rc, "report: query too long");
    const char *v[] = {spec->from, spec->to, spec->product, spec->dept};
    rc = stor_admin_exec(adm, &res, "report", sql, 4, v, err, errlen);
    if (rc < 0) {
        /* A date of the right shape but not in the calendar (2026-02-30). */
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        if (state != NULL && strncmp(state, "22", 2) == 0)
            rc = report_fail(err, errlen, -EINVAL, "--from/--to: not a calendar date");
        PQclear(res);
        return rc;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        const char *vals[STOR_REPORT_MAX_COLS];
        for (size_t c = 0; c < ncols; c++)
            vals[c] = PQgetisnull(res, r, (int)c) ? NULL : PQgetvalue(res, r, (int)c);
        row(arg, ncols, names, vals);
    }
    PQclear(res);
    return 0;
}

int stor_order_cancel_check(const char *id, const char *reason, char *err, size_t errlen)
{
    if (id == NULL || id[0] == '\0' || strlen(id) > 18 || strspn(id, "0123456789") != strlen(id))
        return report_fail(err, errlen, -EINVAL, "ID: \"%s\" is not an order id", id);
    if (reason == NULL || reason[0] == '\0' || strlen(reason) > 200 || strpbrk(reason, "\r\n"))
        return report_fail(err, errlen, -EINVAL,
                           "--reason: give one line of at most 200 bytes saying why");
    /* Text like every other: valid UTF-8 (PostgreSQL refuses anything else), no controls. */
    return field_check_text("--reason", reason, 1, 200, 0, err, errlen);
}

int stor_order_cancel(struct stor_admin *adm, const char *id, const char *reason,
                      int64_t *reversed_fen, char *err, size_t errlen)
{
    PGresult *res = NULL;
    int rc = stor_order_cancel_check(id, reason, err, errlen);
    if (rc < 0)
        return rc;
    const char *v[] = {id, reason};
    rc = stor_admin_exec(adm, &res, "cancel",
                         "SELECT outcome, coalesce(reversed_fen, 0)"
                         " FROM erm_cancel_order($1::bigint, $2, 'manager')",
                         2, v, err, errlen);
    if (rc < 0)
        goto fail;
    const char *outcome = PQgetvalue(res, 0, 0);
    if (strcmp(outcome, "no_order") == 0)
        rc = report_fail(err, errlen, -ENOENT, "ID: no order %s", id);
    else if (strcmp(outcome, "already") == 0)
        rc = report_fail(err, errlen, -EALREADY, "order %s was cancelled before", id);
    else
        *reversed_fen = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
fail:
    PQclear(res);
    return rc;
}

int stor_period_close(struct stor_admin *adm, const char *period, int bottom_pct,
                      struct stor_period_close *out, char *err, size_t errlen)
{
    PGresult *res = NULL;
    char pct[12];
    if (stor_period_check(period) < 0)
        return report_fail(err, errlen, -EINVAL, "PERIOD: \"%s\" is not a month (YYYY-MM)", period);
    if (bottom_pct < 0 || bottom_pct > 100)
        return report_fail(err, errlen, -EINVAL, "--bottom: a percentage from 0 to 100");
    snprintf(pct, sizeof pct, "%d", bottom_pct);
    const char *v[] = {period, pct};
    int rc = stor_admin_exec(adm, &res, "close",
                             "SELECT outcome, bottom_pct, holders, restricted"
                             " FROM erm_close_period($1, $2::integer)",
                             2, v, err, errlen);
    if (rc < 0)
        goto fail;
    if (strcmp(PQgetvalue(res, 0, 0), "open") == 0) {
        rc = report_fail(err, errlen, -EPERM,
                         "PERIOD: %s has not ended yet (periods are months in Asia/Shanghai time)",
                         period);
        goto fail;
    }
    out->already = strcmp(PQgetvalue(res, 0, 0), "already") == 0;
    out->bottom_pct = atoi(PQgetvalue(res, 0, 1));
    out->holders = atoi(PQgetvalue(res, 0, 2));
    out->restricted = atoi(PQgetvalue(res, 0, 3));
fail:
    PQclear(res);
    return rc;
}

int stor_ranking(struct stor_admin *adm, const char *period,
                 void (*row)(void *arg, const struct stor_rank_row *r), void *arg, int *closed,
                 char *err, size_t errlen)
{
    PGresult *res = NULL;
    if (stor_period_check(period) < 0)
        return report_fail(err, errlen, -EINVAL, "PERIOD: \"%s\" is not a month (YYYY-MM)", period);
    const char *v[] = {period};
    int rc = stor_admin_exec(
        adm, &res, "ranking",
        "SELECT q.*, coalesce(e.dept, '') FROM ("
        " SELECT r.rank, coalesce(r.employee_id, 'team:' || r.team_id) AS holder, r.name,"
        "       r.orders, CASE WHEN r.restricted THEN 1 ELSE 0 END, true"
        "  FROM period_ranking r WHERE r.period = $1"
        " UNION ALL"
        " SELECT k.rank, k.holder, k.name, k.orders, -1, false FROM erm_ranking($1) k"
        "  WHERE NOT EXISTS (SELECT 1 FROM period_closes c WHERE c.period = $1)"
        ") q LEFT JOIN employees e ON e.id = q.holder"
        " ORDER BY 1, 2",
        1, v, err, errlen);
    if (rc < 0)
        goto fail;
    if (closed != NULL)
        *closed = PQntuples(res) > 0 && strcmp(PQgetvalue(res, 0, 5), "t") == 0;
    for (int i = 0; i < PQntuples(res); i++) {
        struct stor_rank_row r = {
            .rank = strtol(PQgetvalue(res, i, 0), NULL, 10),
            .holder = PQgetvalue(res, i, 1),
            .name = PQgetvalue(res, i, 2),
            .orders = strtol(PQgetvalue(res, i, 3), NULL, 10),
            .restricted = atoi(PQgetvalue(res, i, 4)),
            .dept = PQgetvalue(res, i, 6),
        };
        row(arg, &r);
    }
fail:
    PQclear(res);
    return rc;
}
