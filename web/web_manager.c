/*
 * web_manager.c: the managers' API of web_api.h over the same storage/ functions as
 * ermctl (products, the HR import, the hand-out, opt-outs, the report, the ranking) and
 * the audit page. Each action that changes something is audited, whatever its outcome.
 *
 * Scope: a manager with a department (web_users.dept) sees and acts on that department
 * only: the holders, report rows, ranking lines, opt-outs (its employees' numbers) and
 * audit entries of it; hands out to it only; imports rows of it only (a row
 * of another department is a bad line). What concerns every department (adding,
 * activating or retiring the pool's products, virtual teams) is for managers without one
 * and admins (403 otherwise).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csvline.h"
#include "core/money.h"
#include "storage/audit_log.h"
#include "storage/dashboard.h"
#include "storage/handout.h"
#include "storage/optout.h"
#include "storage/people.h"
#include "storage/pool.h"
#include "storage/report.h"
#include "storage/report_text.h"
#include "web/web_api.h"

/* ---- products --------------------------------------------------------------------------- */

static json_t *web_manager_product_json(const struct stor_product_row *p)
{
    char yuan[32];
    if (money_format(p->commission_fen, yuan, sizeof yuan) < 0)
        snprintf(yuan, sizeof yuan, "?");
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:s, s:I, s:I}", "code",
                     p->code, "name", p->name, "status", p->status, "service", p->service, "intro",
                     p->intro ? p->intro : "", "fee", p->fee_text ? p->fee_text : "", "start",
                     p->starts_on, "end", p->ends_on, "quota", (json_int_t)p->quota, "commission",
                     yuan, "claimed", (json_int_t)p->claimed, "orders", (json_int_t)p->orders);
}

static void web_manager_product_row(void *arg, const struct stor_product_row *p)
{
    json_array_append_new(arg, web_manager_product_json(p));
}

void web_manager_products(struct web_req *r)
{
    char err[512];
    json_t *rows = json_array();
    int rc = stor_product_list(r->adm, web_manager_product_row, rows, err, sizeof err);
    web_rows(r, rc, err, rows, "products");
}

/* The quota of the JSON body: a number or digits, 1..CODEPLAN_MAX_QUOTA. 0 or -EINVAL. */
static int web_manager_quota(json_t *j, uint32_t *out)
{
    json_t *q = json_object_get(j, "quota");
    long long v = 0;
    if (json_is_integer(q)) {
        v = json_integer_value(q);
    } else if (json_is_string(q)) {
        /* digits only: "12abc" or " 12" is not a quota (strtoll alone would take 12) */
        const char *t = json_string_value(q);
        size_t n = strspn(t, "0123456789");
        if (n == 0 || n > 7 || t[n] != '\0')
            return -EINVAL;
        v = strtoll(t, NULL, 10);
    }
    if (v < 1 || v > CODEPLAN_MAX_QUOTA)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

void web_manager_product_add(struct web_req *r)
{
    if (web_scoped(r, "部门经理不能进行此操作"))
        return;
    json_t *j = web_body_json(r);
    if (j == NULL)
        return;
    struct product_spec s = {.code = web_str(j, "code"),
                             .name = web_str(j, "name"),
                             .intro = web_str(j, "intro"),
                             .fee_text = web_str(j, "fee"),
                             .service = web_str(j, "service"),
                             .starts_on = web_str(j, "start"),
                             .ends_on = web_str(j, "end")};
    const char *money = web_str(j, "commission");
    char err[512];
    int rc = 0;
    if (web_manager_quota(j, &s.quota) < 0)
        rc = field_error(err, sizeof err, -EINVAL, "quota: a number from 1 to %u",
                         (unsigned)CODEPLAN_MAX_QUOTA);
    else if (money == NULL || money_parse_yuan(money, &s.commission_fen) < 0)
        rc = field_error(err, sizeof err, -EINVAL, "commission: yuan, e.g. 5.00");
    else
        rc = stor_product_add(r->adm, &s, err, sizeof err);
    web_audit(r, "product.add", "%s: %s", s.code ? s.code : "", rc == 0 ? "draft" : err);
    if (rc < 0)
        web_fail_rc(r, rc, err);
    else
        web_json(r, 201, json_pack("{s:s, s:s}", "code", s.code, "status", "draft"));
    json_decref(j);
}

/* What product_show gathers: the product, and its holders in the session's scope. */
struct web_manager_show {
    json_t *product, *holders;
    const char *dept; /* "" for every department */
};

static void web_manager_show_product(void *arg, const struct stor_product_row *p)
{
    struct web_manager_show *s = arg;
    s->product = web_manager_product_json(p);
}

static void web_manager_show_holder(void *arg, const struct stor_holder_row *h)
{
    struct web_manager_show *s = arg;
    if (s->dept[0] != '\0' && (h->team || strcmp(h->dept, s->dept) != 0))
        return;
    json_array_append_new(
        s->holders, json_pack("{s:s, s:b, s:s, s:s, s:s, s:b, s:s, s:I, s:I, s:I}", "code", h->code,
                              "team", h->team, "holder", h->holder, "name", h->name, "dept",
                              h->dept, "active", h->active, "claimed_at", h->claimed_at, "orders",
                              (json_int_t)h->orders, "pushes_sent", (json_int_t)h->pushes_sent,
                              "pushes_optout", (json_int_t)h->pushes_optout));
}

void web_manager_product_show(struct web_req *r)
{
    char err[512];
    struct web_manager_show s = {NULL, json_array(), r->sess.dept};
    int rc = stor_product_show(r->adm, r->arg, web_manager_show_product, web_manager_show_holder,
                               &s, err, sizeof err);
    if (rc < 0 || s.product == NULL) {
        json_decref(s.product);
        json_decref(s.holders);
        web_fail_rc(r, rc < 0 ? rc : -ENOENT, rc < 0 ? err : "product: no such product");
        return;
    }
    json_object_set_new(s.product, "holders", s.holders);
    web_json(r, 200, s.product);
}

/* Activates or retires product R->arg. */
static void web_manager_product_state(struct web_req *r, int activate)
{
    if (web_scoped(r, "部门经理不能进行此操作"))
        return;
    char err[512];
    int was = 0;
    int rc = activate ? stor_product_activate(r->adm, r->arg, &was, err, sizeof err)
                      : stor_product_retire(r->adm, r->arg, &was, err, sizeof err);
    const char *state = activate ? "active" : "retired";
    web_audit(r, activate ? "product.activate" : "product.retire", "%s: %s", r->arg,
              rc < 0 ? err
              : was  ? "already"
                     : "done");
    if (rc < 0)
        web_fail_rc(r, rc, err);
    else
        web_json(r, 200,
                 json_pack("{s:s, s:s, s:b}", "code", r->arg, "status", state, "already", was));
}

void web_manager_product_activate(struct web_req *r)
{
    web_manager_product_state(r, 1);
}

void web_manager_product_retire(struct web_req *r)
{
    web_manager_product_state(r, 0);
}

/* ---- people ------------------------------------------------------------------------------ */

static void web_manager_bad(void *arg, unsigned line, const char *why)
{
    json_array_append_new(arg, json_pack("{s:I, s:s}", "line", (json_int_t)line, "reason", why));
}

/* The HR file BUF (modified in place) into ROWS, as `ermctl employee import` reads it:
 * BOM, CRLF, blank lines, the header id,name,msisdn,dept checked; lines that are not rows
 * go to BAD. 0, or -EINVAL with ERR for a file that is not an HR file at all. */
static int web_manager_csv(char *buf, struct employee_row **rows, size_t *n, json_t *bad, char *err,
                           size_t errlen)
{
    size_t cap = 0;
    int header = 0;
    char *p = strncmp(buf, "\xEF\xBB\xBF", 3) == 0 ? buf + 3 : buf;
    *rows = NULL;
    *n = 0;
    for (unsigned line = 1; *p != '\0'; line++) {
        char *end = p + strcspn(p, "\n"), *next = *end != '\0' ? end + 1 : end;
        if (end > p && end[-1] == '\r')
            end[-1] = '\0';
        *end = '\0';
        char *f[EMPLOYEE_COLUMNS];
        const char *why = NULL;
        int nf = strspn(p, " \t") == strlen(p) ? 0 : csvline_split(p, f, EMPLOYEE_COLUMNS, &why);
        p = next;
        if (nf == 0)
            continue;
        if (!header) {
            header = 1;
            if (nf < 0 || !csvline_header_ok(f, nf, employee_columns, EMPLOYEE_COLUMNS))
                return field_error(err, errlen, -EINVAL,
                                   "line %u: the first line must be the header "
                                   "id,name,msisdn,dept",
                                   line);
            continue;
        }
        if (nf != EMPLOYEE_COLUMNS) {
            web_manager_bad(bad, line, nf < 0 ? why : "expected 4 fields (id,name,msisdn,dept)");
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct employee_row *v = realloc(*rows, cap * sizeof *v);
            if (v == NULL)
                return field_error(err, errlen, -ENOMEM, "import: out of memory");
            *rows = v;
        }
        (*rows)[(*n)++] = (struct employee_row){line, {f[0], f[1], f[2], f[3]}};
    }
    if (!header || (*n == 0 && json_array_size(bad) == 0))
        return field_error(err, errlen, -EINVAL, "the file has no employees");
    return 0;
}

/* Sorts the bad lines BAD by line number (stable: a line's reasons keep their order). */
static void web_manager_sort_bad(json_t *bad)
{
    size_t n = json_array_size(bad);
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0; k--) {
            json_t *a = json_array_get(bad, k - 1), *b = json_array_get(bad, k);
            if (json_integer_value(json_object_get(a, "line")) <=
                json_integer_value(json_object_get(b, "line")))
                break;
            json_incref(a);
            json_array_set(bad, k - 1, b);
            json_array_set_new(bad, k, a);
        }
}

void web_manager_people_import(struct web_req *r)
{
    const char *dry = web_query(r, "dry_run");
    int dry_run = dry == NULL || strcmp(dry, "0") != 0; /* a dry run unless told otherwise */
    char err[512];
    char *buf = strdup(r->body);
    struct employee_row *rows = NULL;
    size_t n = 0;
    json_t *bad = json_array();
    struct stor_import_counts counts = {0, 0, 0};
    int rc = buf == NULL ? field_error(err, sizeof err, -ENOMEM, "import: out of memory")
                         : web_manager_csv(buf, &rows, &n, bad, err, sizeof err);
    /* As ermctl: the rows are checked (and looked at by the database) also when some lines
     * were not rows, so every bad line is named at once; nothing is written then. */
    if (rc == 0)
        rc =
            stor_employee_import(r->adm, r->sess.dept, rows, n, dry_run || json_array_size(bad) > 0,
                                 web_manager_bad, bad, &counts, err, sizeof err);
    if (rc == 0 && json_array_size(bad) > 0)
        rc = field_error(err, sizeof err, -EINVAL, "%zu bad lines; nothing imported",
                         json_array_size(bad));
    web_manager_sort_bad(bad);
    if (!dry_run)
        web_audit(r, "people.import", "%zu rows: %s", n, rc < 0 ? err : "imported");
    if (rc < 0 && json_array_size(bad) == 0) {
        json_decref(bad);
        web_fail_rc(r, rc, err);
    } else {
        /* bad lines are the check's answer, not a failed request: 200 with ok false */
        web_json(r, 200,
                 json_pack("{s:b, s:b, s:I, s:I, s:I, s:o}", "dry_run", dry_run, "ok", rc == 0,
                           "added", (json_int_t)counts.added, "updated", (json_int_t)counts.updated,
                           "unchanged", (json_int_t)counts.unchanged, "bad", bad));
    }
    free(rows);
    free(buf);
}

/* ---- hand-out ----------------------------------------------------------------------------- */

static const char *const web_manager_outcomes[] = {"assigned", "held", "refused", "restricted"};

void web_manager_handout(struct web_req *r)
{
    json_t *j = web_body_json(r);
    if (j == NULL)
        return;
    struct stor_assign_spec s = {web_str(j, "product"), web_str(j, "dept"), web_str(j, "team"),
                                 web_str(j, "employee"),
                                 json_is_true(json_object_get(j, "dry_run"))};
    if (r->sess.dept[0] != '\0') { /* a department's manager hands out to it only */
        if (s.team != NULL || s.employee != NULL) {
            json_decref(j);
            web_error(r, 403, "scope", "部门经理只能向本部门派发");
            return;
        }
        s.dept = r->sess.dept;
    }
    char err[512];
    struct stor_assign_result res = {0};
    int rc = (s.dept != NULL) + (s.team != NULL) + (s.employee != NULL) != 1 || s.product == NULL
                 ? field_error(err, sizeof err, -EINVAL,
                               "give product and exactly one of dept, team, employee")
                 : stor_handout_assign(r->adm, &s, &res, err, sizeof err);
    if (!s.dry_run)
        web_audit(r, "handout", "product %s to %s: %s", s.product ? s.product : "",
                  s.dept       ? s.dept
                  : s.team     ? s.team
                  : s.employee ? s.employee
                               : "",
                  rc < 0 ? err : "done");
    if (rc < 0) {
        web_fail_rc(r, rc, err);
    } else {
        json_t *rows = json_array();
        for (size_t i = 0; i < res.n; i++)
            json_array_append_new(
                rows, json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "holder", res.rows[i].holder,
                                "name", res.rows[i].name, "code", res.rows[i].code, "outcome",
                                web_manager_outcomes[res.rows[i].outcome], "queued",
                                res.rows[i].queued, "optout", res.rows[i].optout));
        web_json(r, 200,
                 json_pack("{s:b, s:o, s:i, s:i, s:i, s:i, s:i}", "dry_run", s.dry_run, "rows",
                           rows, "assigned", (int)res.assigned, "skipped", (int)res.skipped,
                           "refused", (int)res.refused, "queued", (int)res.queued, "optout",
                           (int)res.optout));
    }
    stor_handout_free(&res);
    json_decref(j);
}

/* ---- lists --------------------------------------------------------------------------------- */

static void web_manager_optout_row(void *arg, const char *msisdn, const char *at)
{
    json_array_append_new(arg, json_pack("{s:s, s:s}", "msisdn", msisdn, "at", at));
}

void web_manager_optouts(struct web_req *r)
{
    char err[512];
    json_t *rows = json_array();
    int rc = stor_optout_list(r->adm, r->sess.dept, web_manager_optout_row, rows, err, sizeof err);
    web_rows(r, rc, err, rows, "optouts");
}

/* GET /api/v1/report: the report rendered by core/report_out (storage/report_text.h) as
 * ermctl renders it: format=csv is the very bytes of `ermctl report --format csv` (formula
 * cells neutralised), as a download; else its JSON rows under "rows". */
void web_manager_report(struct web_req *r)
{
    struct stor_report_spec s = {.from = web_query(r, "from"),
                                 .to = web_query(r, "to"),
                                 .product = web_query(r, "product"),
                                 .dept = web_query(r, "dept")};
    const char *by = web_query(r, "by"), *format = web_query(r, "format");
    int csv = format != NULL && strcmp(format, "csv") == 0;
    char err[512], *text = NULL;
    size_t len = 0;
    if (r->sess.dept[0] != '\0')
        s.dept = r->sess.dept; /* whatever was asked */
    int rc = format != NULL && !csv && strcmp(format, "json") != 0
                 ? field_error(err, sizeof err, -EINVAL, "format: csv or json")
                 : stor_report_parse_by(by != NULL ? by : "employee", &s, err, sizeof err);
    if (rc == 0)
        rc = stor_report_render(r->adm, &s, csv ? REPORT_OUT_CSV : REPORT_OUT_JSON, &text, &len,
                                err, sizeof err);
    if (rc < 0) {
        web_fail_rc(r, rc, err);
    } else if (csv) {
        web_audit(r, "report.csv", "by %s, %s to %s", by ? by : "employee", s.from ? s.from : "-",
                  s.to ? s.to : "-");
        web_raw(r, 200, "text/csv; charset=utf-8", text, len);
        snprintf(r->disposition, sizeof r->disposition, "attachment; filename=\"report.csv\"");
        return;
    } else {
        json_t *rows = json_loadb(text, len, 0, NULL);
        web_json(r, rows != NULL ? 200 : 500, json_pack("{s:o*}", "rows", rows));
    }
    free(text);
}

/* The ranking's lines in the session's scope: a department's manager sees the lines of
 * its employees only, with their places in the whole ranking (the bottom 10% is the
 * company's, as RL10 applies it). */
struct web_manager_rank {
    json_t *rows;
    const char *dept; /* "" for every department */
    long total;       /* lines of the whole ranking */
};

static void web_manager_rank_row(void *arg, const struct stor_rank_row *k)
{
    struct web_manager_rank *g = arg;
    g->total++;
    if (g->dept[0] != '\0' && strcmp(k->dept, g->dept) != 0)
        return;
    json_array_append_new(g->rows, json_pack("{s:I, s:s, s:s, s:s, s:I, s:i}", "rank",
                                             (json_int_t)k->rank, "holder", k->holder, "name",
                                             k->name ? k->name : "", "dept", k->dept, "orders",
                                             (json_int_t)k->orders, "restricted", k->restricted));
}

void web_manager_ranking(struct web_req *r)
{
    const char *period = web_query(r, "period");
    char err[512], now[8];
    if (period == NULL) {
        web_period_now(now);
        period = now;
    }
    if (stor_period_check(period) < 0) {
        web_error(r, 400, "invalid", "period: YYYY-MM");
        return;
    }
    int closed = 0;
    struct web_manager_rank g = {json_array(), r->sess.dept, 0};
    int rc = stor_ranking(r->adm, period, web_manager_rank_row, &g, &closed, err, sizeof err);
    if (rc < 0) {
        json_decref(g.rows);
        web_fail_rc(r, rc, err);
        return;
    }
    web_json(r, 200,
             json_pack("{s:s, s:s, s:b, s:I, s:o}", "period", period, "dept", r->sess.dept,
                       "closed", closed, "ranked", (json_int_t)g.total, "rows", g.rows));
}

static void web_manager_audit_row(void *arg, const struct stor_audit_row *a)
{
    json_array_append_new(arg,
                          json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)a->id,
                                    "at", a->at, "actor", a->actor, "dept", a->dept, "address",
                                    a->address, "what", a->what, "detail", a->detail));
}

void web_manager_audit(struct web_req *r)
{
    char err[512];
    json_t *rows = json_array();
    int rc =
        stor_audit_list(r->adm, r->sess.dept, 200, web_manager_audit_row, rows, err, sizeof err);
    web_rows(r, rc, err, rows, "audit");
}

/* ---- dashboard ----------------------------------------------------------------------------- */

#define WEB_DASH_TOP 10 /* the top employees shown */

struct web_manager_dash {
    json_t *products, *employees; /* every active employee of the scope, most orders first */
};

static void web_manager_dash_product(void *arg, const struct stor_dash_product *p)
{
    struct web_manager_dash *d = arg;
    json_array_append_new(
        d->products, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "code", p->code, "name", p->name,
                               "status", p->status, "quota", (json_int_t)p->quota, "claimed",
                               (json_int_t)p->claimed, "orders", (json_int_t)p->orders));
}

static void web_manager_dash_employee(void *arg, const struct stor_dash_employee *e)
{
    struct web_manager_dash *d = arg;
    json_array_append_new(d->employees,
                          json_pack("{s:s, s:s, s:s, s:I}", "id", e->id, "name", e->name, "dept",
                                    e->dept, "orders", (json_int_t)e->orders));
}

/* Elements FROM .. FROM + N - 1 of A as a new array. */
static json_t *web_manager_slice(json_t *a, size_t from, size_t n)
{
    json_t *out = json_array();
    for (size_t i = from; i < from + n && i < json_array_size(a); i++)
        json_array_append(out, json_array_get(a, i));
    return out;
}

void web_manager_dashboard(struct web_req *r)
{
    char err[512];
    struct stor_dashboard d;
    struct web_manager_dash g = {json_array(), json_array()};
    struct stor_dash_cbs cbs = {web_manager_dash_product, web_manager_dash_employee, &g};
    int rc = stor_dashboard(r->adm, r->sess.dept, &d, &cbs, err, sizeof err);
    if (rc < 0) {
        json_decref(g.products);
        json_decref(g.employees);
        web_fail_rc(r, rc, err);
        return;
    }
    json_t *hours = json_array();
    for (int h = 0; h < 24; h++)
        json_array_append_new(hours, json_integer(d.hours[h]));
    size_t n = json_array_size(g.employees), bottom = (n + 9) / 10; /* 10%, rounded up */
    web_json(r, 200,
             json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o}", "period", d.period, "dept",
                       r->sess.dept, "today", (json_int_t)d.today, "period_orders",
                       (json_int_t)d.period_orders, "hours", hours, "products", g.products, "top",
                       web_manager_slice(g.employees, 0, WEB_DASH_TOP), "bottom",
                       web_manager_slice(g.employees, n - bottom, bottom)));
    json_decref(g.employees);
}
