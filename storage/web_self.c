/*
 * web_self.c: an employee's own view of web_self.h. The claim runs the database's
 * erm_claim_by_msisdn() with the employee's registered number, the function behind RL10,
 * so the web and the SMS cannot drift apart; the push text comes from core/promo.h as for
 * the SMS claim (storage/claims.c).
 */
#include "storage/web_self.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/field.h"
#include "core/promo.h"
#include "storage/db_internal.h"

int stor_self_codes(struct stor_admin *adm, const char *employee,
                    void (*row)(void *arg, const struct stor_self_code *c), void *arg, char *err,
                    size_t errlen)
{
    const char *vals[] = {employee};
    PGresult *res = NULL;
    int rc = stor_admin_exec_prep(
        adm, &res, "my codes",
        "SELECT c.code, p.code, p.name, coalesce(p.intro, ''), coalesce(p.fee_text, ''),"
        " p.service, p.status,"
        /* the summary, not orders: orders has no index by holder (schema/010) */
        " (SELECT coalesce(sum(d.orders - d.cancelled), 0) FROM commission_daily d"
        "   WHERE d.employee_id = $1 AND d.team_id IS NULL AND d.product_code = p.code)"
        " FROM claims c JOIN products p ON p.code = c.product_code"
        " WHERE c.employee_id = $1 ORDER BY p.code",
        1, vals, err, errlen);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        struct stor_self_code c = {PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                   PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
                                   PQgetvalue(res, i, 4), PQgetvalue(res, i, 5),
                                   PQgetvalue(res, i, 6), atoll(PQgetvalue(res, i, 7))};
        row(arg, &c);
    }
    PQclear(res);
    return rc;
}

int stor_self_summary(struct stor_admin *adm, const char *employee, const char *period,
                      struct stor_self_summary *out, char *err, size_t errlen)
{
    const char *vals[] = {employee, period};
    PGresult *res = NULL;
    int rc = stor_admin_exec_prep(
        adm, &res, "my summary",
        /* the summary's key leads with (employee_id, team_id, order_day): one range */
        "WITH p AS (SELECT coalesce($2::text, erm_current_period()) AS period),"
        " r AS (SELECT p.period, to_date(p.period || '-01', 'YYYY-MM-DD') AS first,"
        "   (to_date(p.period || '-01', 'YYYY-MM-DD') + interval '1 month')::date AS next"
        "   FROM p)"
        " SELECT r.period, coalesce(sum(d.orders - d.cancelled), 0),"
        " coalesce(sum(d.amount_fen), 0),"
        " (SELECT count(*) FROM claims c WHERE c.employee_id = $1)"
        " FROM r LEFT JOIN commission_daily d ON d.employee_id = $1 AND d.team_id IS NULL"
        "  AND d.order_day >= r.first AND d.order_day < r.next"
        " GROUP BY r.period",
        2, vals, err, errlen);
    if (rc == 0 && PQntuples(res) != 1)
        rc = field_error(err, errlen, -EIO, "my summary: no row");
    if (rc == 0) {
        snprintf(out->period, sizeof out->period, "%s", PQgetvalue(res, 0, 0));
        out->orders = atoll(PQgetvalue(res, 0, 1));
        out->commission_fen = atoll(PQgetvalue(res, 0, 2));
        out->codes = atoll(PQgetvalue(res, 0, 3));
    }
    PQclear(res);
    return rc;
}

int stor_self_orders(struct stor_admin *adm, const char *employee, const char *period, int limit,
                     void (*row)(void *arg, const struct stor_self_order *o), void *arg,
                     int64_t *total_fen, char *period_out, char *err, size_t errlen)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *vals[] = {employee, period, lim};
    PGresult *res = NULL;
    int rc = stor_admin_exec_prep(
        adm, &res, "my orders",
        /* by the ledger's (employee, period) index: orders has none by holder (schema/010);
         * an order's credit and reversal share its period */
        "WITH p AS (SELECT coalesce($2::text, erm_current_period()) AS period),"
        " l AS (SELECT l.order_id, sum(l.amount_fen) AS fen FROM commission_ledger l, p"
        "   WHERE l.employee_id = $1 AND l.period = p.period GROUP BY l.order_id)"
        " SELECT to_char(o.created_at, 'YYYY-MM-DD HH24:MI'), o.customer, o.code, pr.name,"
        " o.cancelled_at IS NOT NULL, l.fen, p.period, erm_holder_total($1, NULL, p.period)"
        " FROM p LEFT JOIN l ON true LEFT JOIN orders o ON o.id = l.order_id"
        " LEFT JOIN products pr ON pr.code = o.product_code"
        " ORDER BY o.created_at DESC NULLS LAST, o.id DESC LIMIT $3::int",
        3, vals, err, errlen);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        if (i == 0) {
            snprintf(period_out, 8, "%s", PQgetvalue(res, 0, 6));
            *total_fen = atoll(PQgetvalue(res, 0, 7));
        }
        if (PQgetisnull(res, i, 1))
            continue; /* the period's row without orders */
        struct stor_self_order o = {PQgetvalue(res, i, 0),
                                    PQgetvalue(res, i, 1),
                                    PQgetvalue(res, i, 2),
                                    PQgetvalue(res, i, 3),
                                    strcmp(PQgetvalue(res, i, 4), "t") == 0,
                                    atoll(PQgetvalue(res, i, 5))};
        row(arg, &o);
    }
    PQclear(res);
    return rc;
}

/* Queues the promo push of the code just claimed (RES: erm_claim_by_msisdn()'s row). A
 * text that cannot be rendered is left out, as by SMS: the claim stands. */
static int web_self_push(struct stor_admin *adm, const PGresult *res, struct stor_self_claim *out,
                         char *err, size_t errlen)
{
    struct promo_fields f = {stor_admin_value(res, 0, 2), stor_admin_value(res, 0, 3),
                             stor_admin_value(res, 0, 4), stor_admin_value(res, 0, 5), out->code};
    char *text = malloc(PROMO_TEXT_MAX);
    if (text == NULL)
        return field_error(err, errlen, -ENOMEM, "claim: out of memory");
    int rc = 0;
    if (promo_render(&f, text, PROMO_TEXT_MAX) >= 0) {
        const char *vals[] = {out->code, f.service, text};
        PGresult *q = NULL;
        rc = stor_admin_exec(adm, &q, "claim", "SELECT queued FROM erm_queue_promo($1, $2, $3)", 3,
                             vals, err, errlen);
        if (rc == 0)
            out->queued = atoi(PQgetvalue(q, 0, 0));
        PQclear(q);
    }
    free(text);
    return rc;
}

int stor_self_claim(struct stor_admin *adm, const char *employee, const char *product,
                    struct stor_self_claim *out, char *err, size_t errlen)
{
    const char *vals[] = {employee, product};
    PGresult *res = NULL;
    memset(out, 0, sizeof *out);
    int rc = stor_admin_begin(adm, err, errlen);
    if (rc == 0)
        rc = stor_admin_exec(adm, &res, "claim",
                             "SELECT outcome, code, product_name, intro, fee_text, service"
                             " FROM erm_claim_by_msisdn("
                             "   (SELECT msisdn FROM employees WHERE id = $1), $2)",
                             2, vals, err, errlen);
    if (rc == 0 && PQntuples(res) != 1)
        rc = field_error(err, errlen, -EIO, "claim: no outcome");
    if (rc == 0) {
        snprintf(out->outcome, sizeof out->outcome, "%s", PQgetvalue(res, 0, 0));
        snprintf(out->code, sizeof out->code, "%s",
                 PQgetisnull(res, 0, 1) ? "" : PQgetvalue(res, 0, 1));
        if (strcmp(out->outcome, "new") == 0)
            rc = web_self_push(adm, res, out, err, errlen);
    }
    if (rc == 0)
        rc = stor_admin_commit(adm, err, errlen);
    return stor_admin_end(adm, res, rc);
}
