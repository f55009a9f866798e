/*
 * web_mine.c: an employee's own page data of web_api.h: their codes with the promo text
 * (core/promo.h, as pushed by SMS), the sms: and tel: links and their QR codes, their
 * orders of a period with customers masked (core/msisdn.h, as in the SMS notes) and the
 * commission, the products open to claim, and the self-claim (RL10's rule,
 * storage/web_self.h). The employee is always the session's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codeplan.h"
#include "core/money.h"
#include "core/msisdn.h"
#include "core/promo.h"
#include "storage/pool.h"
#include "storage/report.h"
#include "storage/web_self.h"
#include "web/web_api.h"
#include "web/web_qr.h"
#include "web/web_rank.h"
#include "web/web_cache.h"

/* The links of code CODE of service SERVICE: "sms:10086?body=10001", "tel:1008610001". */
static void web_mine_links(const char *service, const char *code, char *sms, size_t scap, char *tel,
                           size_t tcap)
{
    snprintf(sms, scap, "sms:%s?body=%s", service, code);
    snprintf(tel, tcap, "tel:%s%s", service, code);
}

static void web_mine_code_row(void *arg, const struct stor_self_code *c)
{
    char sms[64], tel[64], *promo = malloc(PROMO_TEXT_MAX);
    struct promo_fields f = {c->name, c->intro, c->fee_text, c->service, c->code};
    if (promo != NULL && promo_render(&f, promo, PROMO_TEXT_MAX) < 0)
        promo[0] = '\0';
    web_mine_links(c->service, c->code, sms, sizeof sms, tel, sizeof tel);
    json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "code",
                                         c->code, "product", c->product, "name", c->name, "status",
                                         c->status, "promo", promo ? promo : "", "sms_link", sms,
                                         "tel_link", tel, "orders", (json_int_t)c->orders));
    free(promo);
}

void web_mine_codes(struct web_req *r)
{
    char err[512];
    json_t *rows = json_array();
    int rc = stor_self_codes(r->adm, r->sess.employee, web_mine_code_row, rows, err, sizeof err);
    web_rows(r, rc, err, rows, "codes");
}

/* Finds the session's code R->arg for the QR: its service into SERVICE when it is theirs. */
struct web_mine_find {
    const char *code;
    char service[CODEPLAN_MAX_SERVICE_LEN + 1];
    int found;
};

static void web_mine_find_row(void *arg, const struct stor_self_code *c)
{
    struct web_mine_find *f = arg;
    if (strcmp(c->code, f->code) == 0) {
        f->found = 1;
        snprintf(f->service, sizeof f->service, "%s", c->service);
    }
}

void web_mine_qr(struct web_req *r)
{
    char err[512], sms[64], tel[64];
    struct web_mine_find f = {.code = r->arg};
    const char *kind = web_query(r, "kind");
    int rc = stor_self_codes(r->adm, r->sess.employee, web_mine_find_row, &f, err, sizeof err);
    if (rc < 0) {
        web_fail_rc(r, rc, err);
        return;
    }
    if (!f.found) { /* another's code, or none: the same answer */
        web_error(r, 404, "not_found", "没有这个号码");
        return;
    }
    web_mine_links(f.service, f.code, sms, sizeof sms, tel, sizeof tel);
    char *svg = NULL;
    size_t len = 0;
    rc = web_qr_svg(kind != NULL && strcmp(kind, "tel") == 0 ? tel : sms, &svg, &len);
    if (rc < 0)
        web_error(r, 500, "internal", "二维码生成失败");
    else
        web_raw(r, 200, "image/svg+xml", svg, len);
}

static void web_mine_order_row(void *arg, const struct stor_self_order *o)
{
    char masked[32], yuan[32];
    if (msisdn_mask(o->customer, masked, sizeof masked) < 0)
        snprintf(masked, sizeof masked, "****");
    if (money_format(o->commission_fen, yuan, sizeof yuan) < 0)
        snprintf(yuan, sizeof yuan, "?");
    json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "at", o->at, "customer",
                                         masked, "code", o->code, "product",
                                         o->product_name ? o->product_name : "", "cancelled",
                                         o->cancelled, "commission", yuan));
}

#define WEB_MINE_ORDERS 500 /* the newest orders of a period shown */

/* The request's "period" (NULL: the current one); 0 with 400 answered when malformed. */
static int web_mine_period(struct web_req *r, const char **period)
{
    *period = web_query(r, "period");
    if (*period == NULL || stor_period_check(*period) == 0)
        return 1;
    web_error(r, 400, "invalid", "period: YYYY-MM");
    return 0;
}

void web_mine_orders(struct web_req *r)
{
    char err[512], period[8] = "", yuan[32];
    const char *want;
    if (!web_mine_period(r, &want))
        return;
    int64_t total = 0;
    json_t *rows = json_array();
    int rc = stor_self_orders(r->adm, r->sess.employee, want, WEB_MINE_ORDERS, web_mine_order_row,
                              rows, &total, period, err, sizeof err);
    if (rc < 0) {
        json_decref(rows);
        web_fail_rc(r, rc, err);
        return;
    }
    if (money_format(total, yuan, sizeof yuan) < 0)
        snprintf(yuan, sizeof yuan, "?");
    web_json(r, 200,
             json_pack("{s:s, s:s, s:o}", "period", period, "commission", yuan, "orders", rows));
}

void web_mine_rank(struct web_req *r)
{
    char err[512], now[8];
    const char *period;
    if (!web_mine_period(r, &period))
        return;
    if (period == NULL) {
        web_period_now(now);
        period = now;
    }
    struct web_rank k;
    int rc = web_rank_find(r->adm, period, r->sess.employee, &k, err, sizeof err);
    if (rc < 0) {
        web_fail_rc(r, rc, err);
        return;
    }
    web_json(r, 200,
             json_pack("{s:s, s:b, s:I, s:I, s:b}", "period", period, "closed", k.closed, "rank",
                       (json_int_t)k.rank, "ranked", (json_int_t)k.of, "restricted",
                       k.restricted == 1));
}

static void web_mine_product_row(void *arg, const struct stor_product_row *p)
{
    if (strcmp(p->status, "active") != 0)
        return;
    json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:I, s:I}", "code", p->code, "name",
                                         p->name, "intro", p->intro ? p->intro : "", "quota",
                                         (json_int_t)p->quota, "claimed", (json_int_t)p->claimed));
}

/* Employees' summaries, by "EMPLOYEE/PERIOD" (PERIOD "" for the current one), kept
 * WEB_MINE_SUMMARY_S: an employee's page polled or reloaded costs the database one
 * statement per employee every few seconds, however often it is asked (what lets the
 * console's load leave ermgw's order path alone). Freed by web_mine_free() at exit. */
#define WEB_MINE_SUMMARY_S     5
#define WEB_MINE_SUMMARY_SLOTS 8192
static struct web_cache web_mine_cache =
    WEB_CACHE_INIT(WEB_MINE_SUMMARY_SLOTS, sizeof(struct stor_self_summary), WEB_MINE_SUMMARY_S);

void web_mine_free(void)
{
    web_cache_free(&web_mine_cache);
}

/* R's summary of PERIOD (NULL: the current one) into S: cached, or read and kept. */
static int web_mine_summary_get(struct web_req *r, const char *period, struct stor_self_summary *s,
                                char *err, size_t errlen)
{
    char key[WEB_CACHE_KEY_MAX];
    snprintf(key, sizeof key, "%s/%s", r->sess.employee, period != NULL ? period : "");
    if (web_cache_get(&web_mine_cache, key, s))
        return 0;
    int rc = stor_self_summary(r->adm, r->sess.employee, period, s, err, errlen);
    if (rc == 0)
        web_cache_put(&web_mine_cache, key, s);
    return rc;
}

void web_mine_summary(struct web_req *r)
{
    char err[512], yuan[32];
    const char *period;
    if (!web_mine_period(r, &period))
        return;
    struct stor_self_summary s;
    struct web_rank k;
    int rc = web_mine_summary_get(r, period, &s, err, sizeof err);
    if (rc == 0)
        rc = web_rank_find(r->adm, s.period, r->sess.employee, &k, err, sizeof err);
    if (rc < 0) {
        web_fail_rc(r, rc, err);
        return;
    }
    if (money_format(s.commission_fen, yuan, sizeof yuan) < 0)
        snprintf(yuan, sizeof yuan, "?");
    web_json(r, 200,
             json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:b, s:b}", "employee",
                       r->sess.employee, "name", r->sess.name, "dept", r->sess.dept, "period",
                       s.period, "orders", (json_int_t)s.orders, "commission", yuan, "codes",
                       (json_int_t)s.codes, "rank", (json_int_t)k.rank, "ranked", (json_int_t)k.of,
                       "restricted", k.restricted == 1, "closed", k.closed));
}

void web_mine_products(struct web_req *r)
{
    char err[512];
    json_t *rows = json_array();
    int rc = stor_product_list(r->adm, web_mine_product_row, rows, err, sizeof err);
    web_rows(r, rc, err, rows, "products");
}

/* erm_claim_code()'s outcomes the page tells apart, with the text shown. */
static const struct {
    const char *outcome, *text;
    unsigned status;
} web_mine_claims[] = {
    {"new", "认领成功，推广短信已发送", 200}, {"held", "您已认领过该产品", 200},
    {"no_product", "没有这个产品", 404},      {"draft", "该产品尚未上线", 409},
    {"retired", "该产品已下线", 409},         {"ended", "该产品活动已结束", 409},
    {"full", "该产品的号码已认领完", 409},    {"restricted", "上期排名靠后，本期不能自行认领", 409},
};

void web_mine_claim(struct web_req *r)
{
    json_t *j = web_body_json(r);
    if (j == NULL)
        return;
    const char *product = web_str(j, "product");
    char err[512];
    struct stor_self_claim c;
    int rc = product != NULL && codeplan_check_product(product) == 0
                 ? stor_self_claim(r->adm, r->sess.employee, product, &c, err, sizeof err)
                 : field_error(err, sizeof err, -EINVAL, "product: not a product code");
    if (rc < 0) {
        web_fail_rc(r, rc, err);
    } else {
        size_t i = 0, n = sizeof web_mine_claims / sizeof web_mine_claims[0];
        while (i < n && strcmp(web_mine_claims[i].outcome, c.outcome) != 0)
            i++;
        web_json(r, i < n ? web_mine_claims[i].status : 409,
                 json_pack("{s:s, s:s, s:s}", "outcome", c.outcome, "code", c.code, "message",
                           i < n ? web_mine_claims[i].text : "不能认领"));
        web_audit(r, "claim", "%s: %s %s", product, c.outcome, c.code);
    }
    json_decref(j);
}
