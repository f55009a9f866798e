/*
 * admin.c: the blocking administrative operations of admin.h (ermctl's side of the
 * database). Plain blocking libpq is right here: one operator, one command, one
 * transaction. Statements are constants with parameters; every failure fills the caller's
 * error buffer through adm_fail() so the one line that reaches the operator has context.
 */
#include "storage/admin.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/commission.h"
#include "core/money.h"
#include "core/promo.h"
#include "core/textcodec.h"
#include "storage/db_internal.h"

#define ADM_NAME_MAX  40   /* characters of a product or employee name */
#define ADM_INTRO_MAX 1000 /* characters of a promo text */
#define ADM_FEE_MAX   200
#define ADM_DEPT_MAX  100
#define ADM_ID_MAX    32
#define ADM_PROMO_MAX 8192 /* bytes of a rendered promo push (TEXT_MAX_PARTS parts) */

struct stor_admin {
    PGconn *conn;
};

PGconn *stor_admin_pg(struct stor_admin *adm)
{
    return adm->conn;
}

/* Writes the error line into ERR and returns RC: the one way errors leave this file. */
__attribute__((format(printf, 4, 5))) static int adm_fail(char *err, size_t errlen, int rc,
                                                          const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int stor_admin_input_error(int rc)
{
    return rc == -EINVAL || rc == -ENOENT || rc == -EEXIST || rc == -ENOSPC || rc == -EPERM;
}

/* ermctl's stderr carries one line per failure: notices (CREATE ... IF NOT EXISTS) are
 * dropped. */
static void adm_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int stor_admin_connect(const char *conninfo, struct stor_admin **out, char *err, size_t errlen)
{
    const char *ci = conninfo != NULL ? conninfo : "";
    char msg[512];
    struct stor_admin *adm = NULL;
    int rc = stor_conninfo_check(ci, msg, sizeof msg);

    if (rc < 0) {
        rc = adm_fail(err, errlen, rc, "--db: %s", msg);
        goto fail;
    }
    adm = calloc(1, sizeof *adm);
    if (adm == NULL) {
        rc = adm_fail(err, errlen, -ENOMEM, "connect: out of memory");
        goto fail;
    }
    const char *const keys[] = {"dbname", "fallback_application_name", NULL};
    const char *const vals[] = {ci, "ermctl", NULL};
    adm->conn = PQconnectdbParams(keys, vals, 1);
    if (adm->conn == NULL) {
        rc = adm_fail(err, errlen, -ENOMEM, "connect: out of memory");
        goto fail;
    }
    if (PQstatus(adm->conn) != CONNECTION_OK) {
        stor_pg_oneline(PQerrorMessage(adm->conn), msg, sizeof msg);
        rc = adm_fail(err, errlen, -ECONNREFUSED, "connect: %s", msg);
        goto fail;
    }
    PQsetNoticeProcessor(adm->conn, adm_notice, NULL);
    *out = adm;
    return 0;

fail:
    stor_admin_close(adm);
    return rc;
}

void stor_admin_close(struct stor_admin *adm)
{
    if (adm == NULL)
        return;
    if (adm->conn != NULL)
        PQfinish(adm->conn);
    free(adm);
}

/* See db_internal.h. */
int stor_admin_exec(struct stor_admin *adm, PGresult **res, const char *what, const char *sql,
                    int n, const char *const *vals, char *err, size_t errlen)
{
    PGresult *r = PQexecParams(adm->conn, sql, n, NULL, vals, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r); /* PGRES_FATAL_ERROR for NULL */
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char msg[512];
        stor_pg_oneline(r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(adm->conn), msg,
                        sizeof msg);
        rc = adm_fail(err, errlen, PQstatus(adm->conn) == CONNECTION_BAD ? -ECONNRESET : -EIO,
                      "%s: %s", what, msg);
    }
    if (res != NULL)
        *res = r;
    else
        PQclear(r);
    return rc;
}

static int adm_begin(struct stor_admin *adm, char *err, size_t errlen)
{
    return stor_admin_exec(adm, NULL, "BEGIN", "BEGIN", 0, NULL, err, errlen);
}

static int adm_commit(struct stor_admin *adm, char *err, size_t errlen)
{
    return stor_admin_exec(adm, NULL, "COMMIT", "COMMIT", 0, NULL, err, errlen);
}

/* See db_internal.h. */
void stor_admin_rollback(struct stor_admin *adm)
{
    PGTransactionStatusType ts = PQtransactionStatus(adm->conn);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR)
        PQclear(PQexecParams(adm->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
}

/* ---- input checks ----------------------------------------------------------------------- */

/* Characters (code points) of UTF-8 S, or -1 when S is not valid UTF-8 or, unless
 * NEWLINES, holds a control character (newlines too). */
static long adm_utf8_chars(const char *s, int newlines)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p != '\0') {
        unsigned c = *p;
        int more;
        unsigned cp;
        if (c < 0x80) {
            if ((c < 0x20 && !(newlines && (c == '\n' || c == '\t'))) || c == 0x7f)
                return -1;
            p++;
            n++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            more = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            more = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3;
            cp = c & 0x07;
        } else {
            return -1;
        }
        p++;
        for (int i = 0; i < more; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (*p & 0x3f);
        }
        if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (more == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return -1;
        n++;
    }
    return n;
}

/* Checks free text VALUE of option FIELD: 1 (or 0 when !REQUIRED) to MAX characters. */
static int adm_check_text(const char *field, const char *value, int required, long max,
                          int newlines, char *err, size_t errlen)
{
    if (value == NULL || value[0] == '\0') {
        if (required)
            return adm_fail(err, errlen, -EINVAL, "%s: must not be empty", field);
        return 0;
    }
    long n = adm_utf8_chars(value, newlines);
    if (n < 0)
        return adm_fail(err, errlen, -EINVAL, "%s: not valid UTF-8 text%s", field,
                        newlines ? "" : " on one line");
    if (n > max)
        return adm_fail(err, errlen, -EINVAL, "%s: %ld characters, at most %ld", field, n, max);
    return 0;
}

/* 1 when S is a real calendar date written YYYY-MM-DD. */
static int adm_is_date(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 2000 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* Renders the promo push of product P for the holder of code SMS_CODE into OUT (ADM_PROMO_MAX
 * bytes). Returns the length or promo_render()'s negative errno. */
static int adm_render_promo(const char *name, const char *intro, const char *fee,
                            const char *service, const char *sms_code, char *out)
{
    struct promo_fields f = {name, intro, fee, service, sms_code};
    return promo_render(&f, out, ADM_PROMO_MAX);
}

/* Every holder's promo push has the same length (codes of one product have one width):
 * renders the one of the last code to see that it can be sent. */
static int adm_check_promo(const struct stor_product_spec *p, char *err, size_t errlen)
{
    char code[CODEPLAN_MAX_CODE_LEN + 1], *text = malloc(ADM_PROMO_MAX);
    int rc = text != NULL ? 0 : -ENOMEM;
    if (rc == 0)
        rc = codeplan_sms_code(p->code, p->quota, p->quota, code, sizeof code);
    if (rc == 0)
        rc = adm_render_promo(p->name, p->intro, p->fee_text,
                              p->service != NULL ? p->service : "10086", code, text);
    free(text);
    if (rc == -EMSGSIZE || rc == -ENOSPC)
        return adm_fail(err, errlen, -EINVAL,
                        "--intro: the promo push (name, intro, fee and the ordering line) would "
                        "not fit in %d SMS parts; shorten --intro or --fee",
                        TEXT_MAX_PARTS);
    if (rc < 0)
        return adm_fail(err, errlen, rc == -ENOMEM ? rc : -EINVAL,
                        "--intro: the promo push cannot be made: %s", strerror(-rc));
    return 0;
}

/* 1 when TEXT is 1 to 3 ASCII digits worth at most MAX. */
static int adm_is_small_uint(const char *text, unsigned max)
{
    size_t n = strlen(text);
    if (n == 0 || n > 3 || strspn(text, "0123456789") != n)
        return 0;
    return (unsigned)atoi(text) <= max;
}

int stor_admin_product_check(const struct stor_product_spec *p, char *err, size_t errlen)
{
    int rc;
    if (p->code == NULL || codeplan_check_product(p->code) < 0)
        return adm_fail(err, errlen, -EINVAL,
                        "--code: \"%s\" is not a product code (1 to %d digits, not starting "
                        "with 0)",
                        p->code != NULL ? p->code : "", CODEPLAN_MAX_PRODUCT_LEN);
    if ((rc = adm_check_text("--name", p->name, 1, ADM_NAME_MAX, 0, err, errlen)) < 0 ||
        (rc = adm_check_text("--intro", p->intro, 0, ADM_INTRO_MAX, 1, err, errlen)) < 0 ||
        (rc = adm_check_text("--fee", p->fee_text, 0, ADM_FEE_MAX, 0, err, errlen)) < 0)
        return rc;
    if (codeplan_width(p->quota) < 0)
        return adm_fail(err, errlen, -EINVAL, "--quota: %u is not a number from 1 to %u", p->quota,
                        CODEPLAN_MAX_QUOTA);
    /* The order parser takes codes of 3 digits or more (shorter texts are too easily sent by
     * mistake), so a plan whose codes would be shorter could never be ordered by SMS. */
    if (strlen(p->code) + (size_t)codeplan_width(p->quota) < 3)
        return adm_fail(err, errlen, -EINVAL,
                        "--quota: with product code %s, quota %u gives codes of fewer than 3 "
                        "digits; use a quota of 10 or more",
                        p->code, p->quota);
    if (p->commission_fen < 0 || p->commission_fen > MONEY_MAX_FEN)
        return adm_fail(err, errlen, -EINVAL, "--commission: out of range");
    if (p->service != NULL && codeplan_check_service(p->service) < 0)
        return adm_fail(err, errlen, -EINVAL,
                        "--service: \"%s\" is not a service number (3 to %d digits)", p->service,
                        CODEPLAN_MAX_SERVICE_LEN);
    if (p->cancel_days != NULL && !adm_is_small_uint(p->cancel_days, 366))
        return adm_fail(err, errlen, -EINVAL,
                        "--cancel-days: \"%s\" is not a number of days from 0 to 366",
                        p->cancel_days);
    if (p->starts_on != NULL && !adm_is_date(p->starts_on))
        return adm_fail(err, errlen, -EINVAL, "--start: \"%s\" is not a date (YYYY-MM-DD)",
                        p->starts_on);
    if (p->ends_on != NULL && !adm_is_date(p->ends_on))
        return adm_fail(err, errlen, -EINVAL, "--end: \"%s\" is not a date (YYYY-MM-DD)",
                        p->ends_on);
    if (p->starts_on != NULL && p->ends_on != NULL && strcmp(p->ends_on, p->starts_on) < 0)
        return adm_fail(err, errlen, -EINVAL, "--end: %s is before --start %s", p->ends_on,
                        p->starts_on);
    return adm_check_promo(p, err, errlen);
}

/* What the fields of an employee are called: ermctl's options, or an import file's
 * columns. */
enum adm_field { ADM_F_ID, ADM_F_NAME, ADM_F_MSISDN, ADM_F_DEPT, ADM_NFIELDS };
static const char *const adm_option_names[ADM_NFIELDS] = {"--id", "--name", "--msisdn", "--dept"};
static const char *const adm_column_names[ADM_NFIELDS] = {"id", "name", "msisdn", "dept"};

/* 1 when ID is an employee id: 1..ADM_ID_MAX printable ASCII characters, no spaces. */
static int adm_is_id(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;
    int ok = n >= 1 && n <= ADM_ID_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = id[i] > ' ' && id[i] < 0x7f;
    return ok;
}

/* Checks E with its fields called NAMES; the normalised number goes to NUM. */
static int adm_employee_fields(const struct stor_employee_spec *e, const char *const *names,
                               char *num, char *err, size_t errlen)
{
    int rc;
    if (!adm_is_id(e->id))
        return adm_fail(err, errlen, -EINVAL,
                        "%s: \"%s\" is not an employee id (1 to %d printable ASCII "
                        "characters, no spaces)",
                        names[ADM_F_ID], e->id != NULL ? e->id : "", ADM_ID_MAX);
    if ((rc = adm_check_text(names[ADM_F_NAME], e->name, 1, ADM_NAME_MAX, 0, err, errlen)) < 0 ||
        (rc = adm_check_text(names[ADM_F_DEPT], e->dept, 0, ADM_DEPT_MAX, 0, err, errlen)) < 0)
        return rc;
    if (e->msisdn == NULL || msisdn_normalize(e->msisdn, num, MSISDN_LEN + 1) < 0)
        return adm_fail(err, errlen, -EINVAL, "%s: \"%s\" is not an 11-digit mobile number",
                        names[ADM_F_MSISDN], e->msisdn != NULL ? e->msisdn : "");
    return 0;
}

int stor_admin_employee_check(const struct stor_employee_spec *e, char *msisdn, char *err,
                              size_t errlen)
{
    char num[MSISDN_LEN + 1];
    int rc = adm_employee_fields(e, adm_option_names, num, err, errlen);
    if (rc == 0 && msisdn != NULL)
        memcpy(msisdn, num, sizeof num);
    return rc;
}

/* ---- products --------------------------------------------------------------------------- */

/* Refuses SPEC when its code equals or clashes with a product already in the pool; the
 * products table is locked against other adds for the rest of the transaction. */
static int adm_check_clash(struct stor_admin *adm, const struct stor_product_spec *p, char *err,
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
            rc = adm_fail(err, errlen, -EEXIST, "--code: product %s already exists (\"%s\")", code,
                          name);
            goto fail;
        }
        if (codeplan_clash(p->code, p->quota, code, quota) > 0) {
            rc = adm_fail(err, errlen, -EEXIST,
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
static int adm_product_tiers(struct stor_admin *adm, const struct stor_product_spec *p, char *err,
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

int stor_admin_product_add(struct stor_admin *adm, const struct stor_product_spec *p, char *err,
                           size_t errlen)
{
    char commission[24], quota[12], width[4];
    int rc = stor_admin_product_check(p, err, errlen);
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
                       p->service != NULL ? p->service : "10086",
                       p->starts_on,
                       p->ends_on};

    if ((rc = adm_begin(adm, err, errlen)) < 0)
        goto fail;
    if ((rc = adm_check_clash(adm, p, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, NULL, "insert product",
                         "INSERT INTO products (code, cancel_days, name, intro, fee_text,"
                         " commission_fen, quota, width, service, starts_on, ends_on)"
                         " VALUES ($1, coalesce($2::integer, 7), $3, $4, $5, $6, $7, $8, $9,"
                         " $10, $11)",
                         11, v, err, errlen);
    if (rc < 0 || (rc = adm_product_tiers(adm, p, err, errlen)) < 0)
        goto fail;
    if ((rc = adm_commit(adm, err, errlen)) < 0)
        goto fail;
    return 0;

fail:
    stor_admin_rollback(adm);
    return rc;
}

/* Moves product CODE to status TO ("active" or "retired"); *WAS (may be NULL) is set to 1
 * when it already had it. Nothing leaves "retired". */
static int adm_product_move(struct stor_admin *adm, const char *code, const char *to, int *was,
                            char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {code, to};
    int rc;

    if (was != NULL)
        *was = 0;
    if (codeplan_check_product(code) < 0)
        return adm_fail(err, errlen, -EINVAL, "product \"%s\": not a product code", code);
    if ((rc = adm_begin(adm, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, &res, "product",
                         "SELECT status FROM products WHERE code = $1 FOR UPDATE", 1, v, err,
                         errlen);
    if (rc < 0)
        goto fail;
    if (PQntuples(res) == 0) {
        rc = adm_fail(err, errlen, -ENOENT, "product %s: no such product", code);
        goto fail;
    }
    const char *status = PQgetvalue(res, 0, 0);
    if (strcmp(status, to) == 0) {
        if (was != NULL)
            *was = 1;
    } else if (strcmp(status, "retired") == 0) {
        rc = adm_fail(err, errlen, -EPERM, "product %s: retired, cannot be activated again", code);
        goto fail;
    } else {
        rc = stor_admin_exec(adm, NULL, "status", "UPDATE products SET status = $2 WHERE code = $1",
                             2, v, err, errlen);
        if (rc < 0)
            goto fail;
    }
    rc = adm_commit(adm, err, errlen);

fail:
    PQclear(res);
    if (rc < 0)
        stor_admin_rollback(adm);
    return rc;
}

int stor_admin_product_activate(struct stor_admin *adm, const char *code, int *was_active,
                                char *err, size_t errlen)
{
    return adm_product_move(adm, code, "active", was_active, err, errlen);
}

int stor_admin_product_retire(struct stor_admin *adm, const char *code, int *was_retired, char *err,
                              size_t errlen)
{
    return adm_product_move(adm, code, "retired", was_retired, err, errlen);
}

/* The products (all, or the one of CODE when not NULL) with their counts. */
#define ADM_PRODUCTS_SQL                                                                           \
    "SELECT p.code, p.name, p.status, p.service, p.intro, p.fee_text, p.starts_on::text,"          \
    " p.ends_on::text, p.quota, p.commission_fen,"                                                 \
    " (SELECT count(*) FROM claims c WHERE c.product_code = p.code),"                              \
    " (SELECT count(*) FROM orders o WHERE o.product_code = p.code)"                               \
    " FROM products p WHERE $1::text IS NULL OR p.code = $1 ORDER BY p.code"

static const char *adm_value(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Calls CB for each product of RES (ADM_PRODUCTS_SQL's columns). */
static void adm_product_rows(const PGresult *res, stor_product_row_cb cb, void *arg)
{
    for (int i = 0; i < PQntuples(res); i++) {
        struct stor_product_row r = {
            .code = PQgetvalue(res, i, 0),
            .name = PQgetvalue(res, i, 1),
            .status = PQgetvalue(res, i, 2),
            .service = PQgetvalue(res, i, 3),
            .intro = PQgetvalue(res, i, 4),
            .fee_text = PQgetvalue(res, i, 5),
            .starts_on = adm_value(res, i, 6),
            .ends_on = adm_value(res, i, 7),
            .quota = (uint32_t)strtoul(PQgetvalue(res, i, 8), NULL, 10),
            .commission_fen = strtoll(PQgetvalue(res, i, 9), NULL, 10),
            .claimed = strtoll(PQgetvalue(res, i, 10), NULL, 10),
            .orders = strtoll(PQgetvalue(res, i, 11), NULL, 10),
        };
        cb(arg, &r);
    }
}

int stor_admin_product_list(struct stor_admin *adm, stor_product_row_cb row, void *arg, char *err,
                            size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {NULL};
    int rc = stor_admin_exec(adm, &res, "products", ADM_PRODUCTS_SQL, 1, v, err, errlen);
    if (rc == 0)
        adm_product_rows(res, row, arg);
    PQclear(res);
    return rc;
}

/* Calls CB for each holder of RES (the holders query of stor_admin_product_show). */
static void adm_holder_rows(const PGresult *res, stor_holder_row_cb cb, void *arg)
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

int stor_admin_product_show(struct stor_admin *adm, const char *code, stor_product_row_cb product,
                            stor_holder_row_cb holder, void *arg, char *err, size_t errlen)
{
    PGresult *res = NULL, *hold = NULL;
    const char *v[] = {code};
    int rc;

    if (codeplan_check_product(code) < 0)
        return adm_fail(err, errlen, -EINVAL, "product \"%s\": not a product code", code);
    /* One snapshot for the product's counts and its holders. */
    rc = stor_admin_exec(adm, NULL, "BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
                         NULL, err, errlen);
    if (rc == 0)
        rc = stor_admin_exec(adm, &res, "product", ADM_PRODUCTS_SQL, 1, v, err, errlen);
    if (rc == 0 && PQntuples(res) == 0)
        rc = adm_fail(err, errlen, -ENOENT, "product %s: no such product", code);
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
        rc = adm_commit(adm, err, errlen);
    if (rc == 0) {
        adm_product_rows(res, product, arg);
        if (holder != NULL)
            adm_holder_rows(hold, holder, arg);
    }
    if (rc < 0)
        stor_admin_rollback(adm);
    PQclear(res);
    PQclear(hold);
    return rc;
}

/* ---- employees -------------------------------------------------------------------------- */

int stor_admin_employee_add(struct stor_admin *adm, const struct stor_employee_spec *e,
                            char *msisdn, char *err, size_t errlen)
{
    char num[MSISDN_LEN + 1];
    PGresult *res = NULL, *who = NULL;
    int rc = stor_admin_employee_check(e, num, err, errlen);
    if (rc < 0)
        return rc;
    const char *v[] = {e->id, e->name, num, e->dept != NULL ? e->dept : ""};
    rc = stor_admin_exec(adm, &res, "insert employee",
                         "INSERT INTO employees (id, name, msisdn, dept) VALUES ($1, $2, $3, $4)",
                         4, v, err, errlen);
    if (rc < 0) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
        if (state == NULL || strcmp(state, "23505") != 0 || constraint == NULL)
            goto fail;
        if (strcmp(constraint, "employees_pkey") == 0) {
            rc = adm_fail(err, errlen, -EEXIST, "--id: employee %s already exists", e->id);
            goto fail;
        }
        if (strcmp(constraint, "employees_msisdn_key") == 0) {
            const char *w[] = {num};
            rc = stor_admin_exec(adm, &who, "employee by number",
                                 "SELECT id FROM employees WHERE msisdn = $1", 1, w, err, errlen);
            if (rc < 0)
                goto fail;
            rc = adm_fail(err, errlen, -EEXIST, "--msisdn: %s is already registered to employee %s",
                          num, PQntuples(who) > 0 ? PQgetvalue(who, 0, 0) : "(gone)");
        }
        goto fail;
    }
    if (msisdn != NULL)
        memcpy(msisdn, num, sizeof num);
    PQclear(res);
    return 0;

fail:
    PQclear(who);
    PQclear(res);
    return rc;
}

/* ---- employee import -------------------------------------------------------------------- */

/* An import under way: the rows and their normalised numbers ("" for a row whose fields are
 * bad: it takes no further part). */
struct adm_import {
    const struct stor_import_row *rows;
    size_t n;
    char (*num)[MSISDN_LEN + 1];
    stor_import_bad_cb bad;
    void *arg;
};

/* A key of one row (its id or number), for finding the same key twice. */
struct adm_key {
    const char *key;
    unsigned line;
};

static int adm_key_cmp(const void *a, const void *b)
{
    const struct adm_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Reports every row whose key (its id, or with NUMBERS its number) an earlier line of the
 * file already has. KEYS has room for every row. Returns how many were reported. */
static int adm_import_dups(struct adm_import *im, struct adm_key *keys, int numbers)
{
    size_t k = 0;
    int nbad = 0;
    for (size_t i = 0; i < im->n; i++) {
        if (im->num[i][0] == '\0')
            continue;
        keys[k].key = numbers ? im->num[i] : im->rows[i].spec.id;
        keys[k++].line = im->rows[i].line;
    }
    qsort(keys, k, sizeof *keys, adm_key_cmp);
    for (size_t i = 1; i < k; i++) {
        char why[160];
        if (strcmp(keys[i].key, keys[i - 1].key) != 0)
            continue;
        size_t first = i - 1;
        while (first > 0 && strcmp(keys[first - 1].key, keys[i].key) == 0)
            first--;
        snprintf(why, sizeof why, "%s: %s is also on line %u", numbers ? "msisdn" : "id",
                 keys[i].key, keys[first].line);
        im->bad(im->arg, keys[i].line, why);
        nbad++;
    }
    return nbad;
}

/* Checks the fields of every row (normalising the numbers) and the keys twice in the file.
 * Returns how many problems were reported, or -ENOMEM. */
static int adm_import_check(struct adm_import *im)
{
    int nbad = 0;
    for (size_t i = 0; i < im->n; i++) {
        char why[512];
        if (adm_employee_fields(&im->rows[i].spec, adm_column_names, im->num[i], why, sizeof why) <
            0) {
            im->bad(im->arg, im->rows[i].line, why);
            im->num[i][0] = '\0';
            nbad++;
        }
    }
    struct adm_key *keys = malloc((im->n > 0 ? im->n : 1) * sizeof *keys);
    if (keys == NULL)
        return -ENOMEM;
    nbad += adm_import_dups(im, keys, 0);
    nbad += adm_import_dups(im, keys, 1);
    free(keys);
    return nbad;
}

int stor_admin_import_check(const struct stor_import_row *rows, size_t n, stor_import_bad_cb bad,
                            void *arg)
{
    struct adm_import im = {rows, n, calloc(n > 0 ? n : 1, MSISDN_LEN + 1), bad, arg};
    if (im.num == NULL)
        return -ENOMEM;
    int rc = adm_import_check(&im);
    free(im.num);
    return rc;
}

/* Loads the good rows into the temporary table erm_import of the open transaction. */
static int adm_import_load(struct stor_admin *adm, struct adm_import *im, char *err, size_t errlen)
{
    int rc = stor_admin_exec(adm, NULL, "import table",
                             "CREATE TEMP TABLE erm_import (line integer, id text, name text,"
                             " msisdn text, dept text) ON COMMIT DROP",
                             0, NULL, err, errlen);
    for (size_t i = 0; rc == 0 && i < im->n; i++) {
        const struct stor_employee_spec *e = &im->rows[i].spec;
        char line[12];
        if (im->num[i][0] == '\0')
            continue;
        snprintf(line, sizeof line, "%u", im->rows[i].line);
        const char *v[] = {line, e->id, e->name, im->num[i], e->dept != NULL ? e->dept : ""};
        rc = stor_admin_exec(adm, NULL, "import row",
                             "INSERT INTO erm_import VALUES ($1, $2, $3, $4, $5)", 5, v, err,
                             errlen);
    }
    return rc;
}

/* Reports the rows whose number belongs to an employee who is not in the file (a number
 * moving between employees of the file is fine). Returns how many, or a negative errno. */
static int adm_import_conflicts(struct stor_admin *adm, struct adm_import *im, char *err,
                                size_t errlen)
{
    PGresult *res = NULL;
    int rc = stor_admin_exec(adm, &res, "import numbers",
                             "SELECT i.line, i.msisdn, e.id FROM erm_import i"
                             " JOIN employees e ON e.msisdn = i.msisdn AND e.id <> i.id"
                             " WHERE NOT EXISTS (SELECT 1 FROM erm_import j WHERE j.id = e.id)"
                             " ORDER BY i.line",
                             0, NULL, err, errlen);
    if (rc == 0) {
        for (int i = 0; i < PQntuples(res); i++) {
            char why[160];
            snprintf(why, sizeof why,
                     "msisdn: %s is registered to employee %s, who is not in this file",
                     PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
            im->bad(im->arg, (unsigned)strtoul(PQgetvalue(res, i, 0), NULL, 10), why);
        }
        rc = PQntuples(res);
    }
    PQclear(res);
    return rc;
}

/* Writes the loaded rows: new ids added, changed rows updated, the rest left alone. */
static int adm_import_write(struct stor_admin *adm, size_t n, struct stor_import_counts *counts,
                            char *err, size_t errlen)
{
    PGresult *res = NULL;
    int rc = stor_admin_exec(adm, NULL, "defer numbers",
                             "SET CONSTRAINTS employees_msisdn_key DEFERRED", 0, NULL, err, errlen);
    if (rc == 0)
        rc = stor_admin_exec(
            adm, &res, "import",
            "INSERT INTO employees (id, name, msisdn, dept)"
            " SELECT id, name, msisdn, dept FROM erm_import ORDER BY line"
            " ON CONFLICT (id) DO UPDATE"
            " SET name = excluded.name, msisdn = excluded.msisdn, dept = excluded.dept"
            " WHERE (employees.name, employees.msisdn, employees.dept)"
            "       IS DISTINCT FROM (excluded.name, excluded.msisdn, excluded.dept)"
            " RETURNING xmax = 0",
            0, NULL, err, errlen);
    if (rc == 0) {
        for (int i = 0; i < PQntuples(res); i++) {
            if (strcmp(PQgetvalue(res, i, 0), "t") == 0)
                counts->added++;
            else
                counts->updated++;
        }
        counts->unchanged = (unsigned)n - counts->added - counts->updated;
    }
    PQclear(res);
    return rc;
}

int stor_admin_employee_import(struct stor_admin *adm, const struct stor_import_row *rows, size_t n,
                               int dry_run, stor_import_bad_cb bad, void *arg,
                               struct stor_import_counts *counts, char *err, size_t errlen)
{
    struct adm_import im = {rows, n, calloc(n > 0 ? n : 1, MSISDN_LEN + 1), bad, arg};
    int rc, nbad;

    memset(counts, 0, sizeof *counts);
    if (im.num == NULL)
        return adm_fail(err, errlen, -ENOMEM, "import: out of memory");
    nbad = adm_import_check(&im);
    if (nbad < 0) {
        rc = adm_fail(err, errlen, nbad, "import: out of memory");
        goto fail;
    }
    if ((rc = adm_begin(adm, err, errlen)) < 0 || (rc = adm_import_load(adm, &im, err, errlen)) < 0)
        goto fail;
    if ((rc = adm_import_conflicts(adm, &im, err, errlen)) < 0)
        goto fail;
    nbad += rc;
    if (nbad > 0) {
        rc = adm_fail(err, errlen, -EINVAL, "%d bad line%s; nothing imported", nbad,
                      nbad == 1 ? "" : "s");
        goto fail;
    }
    if ((rc = adm_import_write(adm, n, counts, err, errlen)) < 0)
        goto fail;
    if (dry_run)
        stor_admin_rollback(adm);
    else
        rc = adm_commit(adm, err, errlen);

fail:
    if (rc < 0) {
        stor_admin_rollback(adm);
        memset(counts, 0, sizeof *counts);
    }
    free(im.num);
    return rc;
}

int stor_admin_employee_deactivate(struct stor_admin *adm, const char *id, int *was_inactive,
                                   long long *codes, char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {id};
    int rc;

    if (was_inactive != NULL)
        *was_inactive = 0;
    if (!adm_is_id(id))
        return adm_fail(err, errlen, -EINVAL, "employee \"%s\": not an employee id", id);
    if ((rc = adm_begin(adm, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, &res, "employee",
                         "SELECT active, (SELECT count(*) FROM claims c WHERE c.employee_id = $1)"
                         " FROM employees WHERE id = $1 FOR UPDATE",
                         1, v, err, errlen);
    if (rc < 0)
        goto fail;
    if (PQntuples(res) == 0) {
        rc = adm_fail(err, errlen, -ENOENT, "employee %s: no such employee", id);
        goto fail;
    }
    if (codes != NULL)
        *codes = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        if (was_inactive != NULL)
            *was_inactive = 1;
    } else {
        rc =
            stor_admin_exec(adm, NULL, "deactivate",
                            "UPDATE employees SET active = false WHERE id = $1", 1, v, err, errlen);
        if (rc < 0)
            goto fail;
    }
    rc = adm_commit(adm, err, errlen);

fail:
    PQclear(res);
    if (rc < 0)
        stor_admin_rollback(adm);
    return rc;
}

/* ---- teams ------------------------------------------------------------------------------ */

/* Looks up employee ID (option FIELD names it) within the open transaction: -ENOENT when
 * unknown, -EPERM when deactivated. *RES (may be NULL) keeps the row (active, msisdn,
 * name) for the caller to PQclear(). */
static int adm_active_employee(struct stor_admin *adm, const char *field, const char *id,
                               PGresult **res, char *err, size_t errlen)
{
    PGresult *r = NULL;
    const char *v[] = {id};
    int rc = stor_admin_exec(adm, &r, "employee",
                             "SELECT active, msisdn, name FROM employees WHERE id = $1", 1, v, err,
                             errlen);
    if (rc == 0 && PQntuples(r) == 0)
        rc = adm_fail(err, errlen, -ENOENT, "%s: no employee %s", field, id);
    else if (rc == 0 && strcmp(PQgetvalue(r, 0, 0), "t") != 0)
        rc = adm_fail(err, errlen, -EPERM, "%s: employee %s is not active", field, id);
    if (res != NULL && rc == 0)
        *res = r;
    else
        PQclear(r);
    return rc;
}

int stor_admin_team_create(struct stor_admin *adm, const char *name, const char *leader,
                           const char *split, char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {name, leader, split != NULL ? split : "equal"};
    int rc = adm_check_text("team name", name, 1, ADM_NAME_MAX, 0, err, errlen);
    if (rc < 0)
        return rc;
    if (!adm_is_id(leader))
        return adm_fail(err, errlen, -EINVAL, "--leader: \"%s\" is not an employee id", leader);
    if ((rc = adm_begin(adm, err, errlen)) < 0 ||
        (rc = adm_active_employee(adm, "--leader", leader, NULL, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, &res, "team",
                         "INSERT INTO teams (name, leader_id, split) VALUES ($1, $2, $3)"
                         " ON CONFLICT (name) DO NOTHING RETURNING id",
                         3, v, err, errlen);
    if (rc < 0)
        goto fail;
    if (PQntuples(res) == 0) {
        rc = adm_fail(err, errlen, -EEXIST, "team %s already exists", name);
        goto fail;
    }
    const char *mv[] = {PQgetvalue(res, 0, 0), leader};
    rc = stor_admin_exec(adm, NULL, "leader",
                         "INSERT INTO team_members (team_id, employee_id) VALUES ($1, $2)", 2, mv,
                         err, errlen);
    if (rc == 0)
        rc = adm_commit(adm, err, errlen);

fail:
    PQclear(res);
    if (rc < 0)
        stor_admin_rollback(adm);
    return rc;
}

/* Checks SPEC without the database; NUM gets the normalised number of a non-employee. */
static int adm_member_check(const struct stor_member_spec *m, char *num, char *err, size_t errlen)
{
    int rc = adm_check_text("team name", m->team, 1, ADM_NAME_MAX, 0, err, errlen);
    if (rc < 0)
        return rc;
    if ((m->employee != NULL) == (m->msisdn != NULL))
        return adm_fail(err, errlen, -EINVAL,
                        "team add: give --employee ID, or --msisdn NUMBER with --name NAME");
    if (m->employee != NULL) {
        if (m->name != NULL)
            return adm_fail(err, errlen, -EINVAL,
                            "--name: only with --msisdn (an employee's name is on file)");
        if (!adm_is_id(m->employee))
            return adm_fail(err, errlen, -EINVAL, "--employee: \"%s\" is not an employee id",
                            m->employee);
        return 0;
    }
    if (msisdn_normalize(m->msisdn, num, MSISDN_LEN + 1) < 0)
        return adm_fail(err, errlen, -EINVAL, "--msisdn: \"%s\" is not an 11-digit mobile number",
                        m->msisdn);
    if (m->name == NULL)
        return adm_fail(err, errlen, -EINVAL, "--name: missing (who is %s?)", num);
    return adm_check_text("--name", m->name, 1, ADM_NAME_MAX, 0, err, errlen);
}

/* Adds employee M->employee to team TEAM_ID; NUM gets their number. */
static int adm_member_employee(struct stor_admin *adm, const char *team_id,
                               const struct stor_member_spec *m, int *already, char *num, char *err,
                               size_t errlen)
{
    PGresult *emp = NULL, *ins = NULL;
    const char *v[] = {team_id, m->employee};
    int rc = adm_active_employee(adm, "--employee", m->employee, &emp, err, errlen);
    if (rc < 0)
        return rc;
    snprintf(num, MSISDN_LEN + 1, "%s", PQgetvalue(emp, 0, 1));
    rc = stor_admin_exec(adm, &ins, "member",
                         "INSERT INTO team_members (team_id, employee_id) VALUES ($1, $2)"
                         " ON CONFLICT DO NOTHING RETURNING 1",
                         2, v, err, errlen);
    if (rc == 0)
        *already = PQntuples(ins) == 0;
    PQclear(emp);
    PQclear(ins);
    return rc;
}

/* Adds somebody who is not an employee, NUM, to team TEAM_ID. */
static int adm_member_other(struct stor_admin *adm, const char *team_id,
                            const struct stor_member_spec *m, int *already, const char *num,
                            char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *ev[] = {num};
    const char *mv[] = {team_id, num, m->name};
    int rc = stor_admin_exec(adm, &res, "number", "SELECT id FROM employees WHERE msisdn = $1", 1,
                             ev, err, errlen);
    if (rc == 0 && PQntuples(res) > 0)
        rc = adm_fail(err, errlen, -EEXIST,
                      "--msisdn: %s is employee %s's number; add them with --employee %s", num,
                      PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 0));
    PQclear(res);
    res = NULL;
    if (rc == 0)
        rc = stor_admin_exec(adm, &res, "member",
                             "SELECT name FROM team_members WHERE team_id = $1 AND msisdn = $2", 2,
                             mv, err, errlen);
    if (rc == 0 && PQntuples(res) > 0) {
        if (strcmp(PQgetvalue(res, 0, 0), m->name) == 0)
            *already = 1;
        else
            rc = adm_fail(err, errlen, -EEXIST, "--msisdn: %s is already in team %s as %s", num,
                          m->team, PQgetvalue(res, 0, 0));
    } else if (rc == 0) {
        rc = stor_admin_exec(adm, NULL, "member",
                             "INSERT INTO team_members (team_id, msisdn, name) VALUES ($1, $2, $3)",
                             3, mv, err, errlen);
    }
    PQclear(res);
    return rc;
}

int stor_admin_team_add(struct stor_admin *adm, const struct stor_member_spec *m, int *already,
                        char *msisdn, char *err, size_t errlen)
{
    PGresult *team = NULL;
    char num[MSISDN_LEN + 1] = "";
    const char *v[] = {m->team};
    int dummy, rc = adm_member_check(m, num, err, errlen);

    if (already == NULL)
        already = &dummy;
    *already = 0;
    if (rc < 0)
        return rc;
    if ((rc = adm_begin(adm, err, errlen)) < 0)
        goto fail;
    /* The team's row lock serialises adds to one team. */
    rc = stor_admin_exec(adm, &team, "team", "SELECT id FROM teams WHERE name = $1 FOR UPDATE", 1,
                         v, err, errlen);
    if (rc == 0 && PQntuples(team) == 0)
        rc = adm_fail(err, errlen, -ENOENT, "team %s: no such team", m->team);
    if (rc < 0)
        goto fail;
    if (m->employee != NULL)
        rc = adm_member_employee(adm, PQgetvalue(team, 0, 0), m, already, num, err, errlen);
    else
        rc = adm_member_other(adm, PQgetvalue(team, 0, 0), m, already, num, err, errlen);
    if (rc == 0)
        rc = adm_commit(adm, err, errlen);
    if (rc == 0 && msisdn != NULL)
        memcpy(msisdn, num, sizeof num);

fail:
    PQclear(team);
    if (rc < 0)
        stor_admin_rollback(adm);
    return rc;
}

/* ---- claims ----------------------------------------------------------------------------- */

/* Fills OUT's codes from its product, sequence and the product's SERVICE and QUOTA, and
 * checks them against the code the database allocated (CODE): the SQL half of the code
 * plan must agree with core's. */
static int adm_claim_codes(struct stor_claim *out, uint32_t quota, const char *service,
                           const char *code, char *err, size_t errlen)
{
    int rc = codeplan_sms_code(out->product, quota, out->seq, out->sms_code, sizeof out->sms_code);
    if (rc >= 0)
        rc = codeplan_phone_code(service, out->sms_code, out->phone_code, sizeof out->phone_code);
    if (rc < 0)
        return adm_fail(err, errlen, -EIO, "product %s: cannot make code %u: %s", out->product,
                        out->seq, strerror(-rc));
    if (strcmp(out->sms_code, code) != 0)
        return adm_fail(err, errlen, -EIO, "product %s: the database gave code %s for sequence %u",
                        out->product, code, out->seq);
    return 0;
}

/* What erm_claim_code() said, copied out of its result. */
struct adm_claimed {
    char outcome[20];
    char code[CODEPLAN_MAX_CODE_LEN + 1];
    uint32_t seq;
};

/* Runs erm_claim_code() for the holder (EMPLOYEE or TEAM_ID, the other NULL) of PRODUCT
 * within the open transaction, as a manager (drafts allowed, no ranking rule). */
static int adm_claim_code(struct stor_admin *adm, const char *product, const char *employee,
                          const char *team_id, struct adm_claimed *out, char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {product, employee, team_id};
    int rc = stor_admin_exec(adm, &res, "claim",
                             "SELECT outcome, coalesce(code, ''), coalesce(seq, 0)"
                             " FROM erm_claim_code($1, $2, $3::integer, false)",
                             3, v, err, errlen);
    if (rc == 0) {
        snprintf(out->outcome, sizeof out->outcome, "%s", PQgetvalue(res, 0, 0));
        snprintf(out->code, sizeof out->code, "%s", PQgetvalue(res, 0, 1));
        out->seq = (uint32_t)strtoul(PQgetvalue(res, 0, 2), NULL, 10);
    }
    PQclear(res);
    return rc;
}

/* The error of a claim erm_claim_code() refused with OUTCOME; PROD is the product's row
 * (quota, service, ends_on; no row when unknown). */
static int adm_claim_refused(const char *outcome, const char *product, const char *employee,
                             const PGresult *prod, char *err, size_t errlen)
{
    if (strcmp(outcome, "no_product") == 0 || PQntuples(prod) == 0)
        return adm_fail(err, errlen, -ENOENT, "--product: no product %s", product);
    if (strcmp(outcome, "no_holder") == 0)
        return adm_fail(err, errlen, -ENOENT, "--employee: no employee %s", employee);
    if (strcmp(outcome, "retired") == 0)
        return adm_fail(err, errlen, -EPERM, "--product: product %s is retired", product);
    if (strcmp(outcome, "ended") == 0)
        return adm_fail(err, errlen, -EPERM, "--product: the campaign of product %s ended on %s",
                        product, PQgetvalue(prod, 0, 2));
    if (strcmp(outcome, "holder_inactive") == 0)
        return adm_fail(err, errlen, -EPERM, "--employee: employee %s is not active", employee);
    if (strcmp(outcome, "full") == 0)
        return adm_fail(err, errlen, -ENOSPC, "--product: all %s codes of product %s are claimed",
                        PQgetvalue(prod, 0, 0), product);
    return adm_fail(err, errlen, -EIO, "claim: unexpected outcome \"%s\"", outcome);
}

int stor_admin_claim(struct stor_admin *adm, const char *product, const char *employee,
                     struct stor_claim *out, char *err, size_t errlen)
{
    PGresult *prod = NULL;
    struct adm_claimed got;
    const char *pv[] = {product};
    int rc;

    memset(out, 0, sizeof *out);
    if (codeplan_check_product(product) < 0)
        return adm_fail(err, errlen, -EINVAL, "--product: \"%s\" is not a product code", product);
    if (employee[0] == '\0' || strlen(employee) > ADM_ID_MAX)
        return adm_fail(err, errlen, -EINVAL, "--employee: \"%s\" is not an employee id", employee);
    snprintf(out->product, sizeof out->product, "%s", product);
    snprintf(out->employee, sizeof out->employee, "%s", employee);

    if ((rc = adm_begin(adm, err, errlen)) < 0 ||
        (rc = adm_claim_code(adm, product, employee, NULL, &got, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, &prod, "product",
                         "SELECT quota, service, ends_on FROM products WHERE code = $1", 1, pv, err,
                         errlen);
    if (rc < 0)
        goto fail;
    if (strcmp(got.outcome, "new") != 0 && strcmp(got.outcome, "held") != 0) {
        rc = adm_claim_refused(got.outcome, product, employee, prod, err, errlen);
        goto fail;
    }
    /* Asking again returns the code already held; nothing is written. */
    out->existing = strcmp(got.outcome, "held") == 0;
    out->seq = got.seq;
    rc = adm_claim_codes(out, (uint32_t)strtoul(PQgetvalue(prod, 0, 0), NULL, 10),
                         PQgetvalue(prod, 0, 1), got.code, err, errlen);
    if (rc == 0)
        rc = adm_commit(adm, err, errlen);

fail:
    PQclear(prod);
    if (rc < 0)
        stor_admin_rollback(adm);
    return rc;
}

/* ---- hand-out (派发) -------------------------------------------------------------------- */

/* The product's row as the hand-out needs it, locked: columns of ADM_ASSIGN_PRODUCT. */
enum { AP_NAME, AP_INTRO, AP_FEE, AP_SERVICE, AP_STATUS, AP_ENDED, AP_ENDS_ON, AP_QUOTA };
#define ADM_ASSIGN_PRODUCT                                                                         \
    "SELECT name, intro, fee_text, service, status, ends_on < current_date, ends_on, quota"        \
    " FROM products WHERE code = $1 FOR UPDATE"

/* Refuses a hand-out of product CODE in the state of PROD (ADM_ASSIGN_PRODUCT's row). */
static int adm_assign_product_ok(const char *code, const PGresult *prod, char *err, size_t errlen)
{
    if (PQntuples(prod) == 0)
        return adm_fail(err, errlen, -ENOENT, "--product: no product %s", code);
    const char *status = PQgetvalue(prod, 0, AP_STATUS);
    if (strcmp(status, "draft") == 0)
        return adm_fail(err, errlen, -EPERM,
                        "--product: product %s is a draft; activate it before handing out codes",
                        code);
    if (strcmp(status, "retired") == 0)
        return adm_fail(err, errlen, -EPERM, "--product: product %s is retired", code);
    if (strcmp(PQgetvalue(prod, 0, AP_ENDED), "t") == 0)
        return adm_fail(err, errlen, -EPERM, "--product: the campaign of product %s ended on %s",
                        code, PQgetvalue(prod, 0, AP_ENDS_ON));
    return 0;
}

/* The holders SPEC names, as rows (employee id or NULL, team id or NULL, holder, name,
 * active), into *RES (the caller's to PQclear). */
static int adm_assign_holders(struct stor_admin *adm, const struct stor_assign_spec *spec,
                              PGresult **res, char *err, size_t errlen)
{
    const char *v[1];
    int rc;
    if (spec->dept != NULL) {
        v[0] = spec->dept;
        rc = stor_admin_exec(adm, res, "department",
                             "SELECT id, NULL, id, name, active FROM employees"
                             " WHERE dept = $1 AND active ORDER BY id",
                             1, v, err, errlen);
        if (rc == 0 && PQntuples(*res) == 0)
            rc = adm_fail(err, errlen, -ENOENT, "--dept: no active employee in department \"%s\"",
                          spec->dept);
    } else if (spec->team != NULL) {
        v[0] = spec->team;
        rc = stor_admin_exec(adm, res, "team",
                             "SELECT NULL, id, name, '', true FROM teams WHERE name = $1", 1, v,
                             err, errlen);
        if (rc == 0 && PQntuples(*res) == 0)
            rc = adm_fail(err, errlen, -ENOENT, "--team: no team %s", spec->team);
    } else {
        v[0] = spec->employee;
        rc = stor_admin_exec(adm, res, "employee",
                             "SELECT id, NULL, id, name, active FROM employees WHERE id = $1", 1, v,
                             err, errlen);
        if (rc == 0 && PQntuples(*res) == 0)
            rc = adm_fail(err, errlen, -ENOENT, "--employee: no employee %s", spec->employee);
        else if (rc == 0 && strcmp(PQgetvalue(*res, 0, 4), "t") != 0)
            rc = adm_fail(err, errlen, -EPERM, "--employee: employee %s is not active",
                          spec->employee);
    }
    return rc;
}

/* Queues the promo push of ROW's new code of product CODE (PROD's row) to its holder. */
static int adm_assign_push(struct stor_admin *adm, const PGresult *prod,
                           struct stor_assign_row *row, char *err, size_t errlen)
{
    PGresult *res = NULL;
    char *text = malloc(ADM_PROMO_MAX);
    int rc;
    if (text == NULL)
        return adm_fail(err, errlen, -ENOMEM, "promo push: out of memory");
    const char *service = PQgetvalue(prod, 0, AP_SERVICE);
    rc = adm_render_promo(PQgetvalue(prod, 0, AP_NAME), PQgetvalue(prod, 0, AP_INTRO),
                          PQgetvalue(prod, 0, AP_FEE), service, row->code, text);
    if (rc < 0) {
        rc = adm_fail(err, errlen, -EINVAL,
                      "--product: the promo push of code %s cannot be sent (%s); shorten the "
                      "product's intro",
                      row->code, strerror(-rc));
        goto fail;
    }
    const char *v[] = {row->code, service, text};
    rc = stor_admin_exec(adm, &res, "promo push",
                         "SELECT queued, skipped FROM erm_queue_promo($1, $2, $3)", 3, v, err,
                         errlen);
    if (rc == 0) {
        row->queued = atoi(PQgetvalue(res, 0, 0));
        row->optout = atoi(PQgetvalue(res, 0, 1));
    }
fail:
    PQclear(res);
    free(text);
    return rc;
}

/* Hands a code of PRODUCT to the holder of row I of HOLDERS, unless the quota is known to be
 * used up (*FULL); fills ROW and the totals of OUT. */
static int adm_assign_one(struct stor_admin *adm, const char *product, const PGresult *prod,
                          const PGresult *holders, int i, int *full, struct stor_assign_result *out,
                          char *err, size_t errlen)
{
    struct stor_assign_row *row = &out->rows[out->n++];
    struct adm_claimed got = {"full", "", 0};
    int rc = 0;

    snprintf(row->holder, sizeof row->holder, "%s", PQgetvalue(holders, i, 2));
    snprintf(row->name, sizeof row->name, "%s", PQgetvalue(holders, i, 3));
    if (!*full)
        rc = adm_claim_code(adm, product, adm_value(holders, i, 0), adm_value(holders, i, 1), &got,
                            err, errlen);
    if (rc < 0)
        return rc;
    snprintf(row->code, sizeof row->code, "%s", got.code);
    if (strcmp(got.outcome, "new") == 0) {
        row->outcome = STOR_ASSIGN_NEW;
        out->assigned++;
        rc = adm_assign_push(adm, prod, row, err, errlen);
        out->queued += (unsigned)row->queued;
        out->optout += (unsigned)row->optout;
    } else if (strcmp(got.outcome, "held") == 0) {
        row->outcome = STOR_ASSIGN_HELD;
        out->skipped++;
    } else if (strcmp(got.outcome, "full") == 0) {
        row->outcome = STOR_ASSIGN_REFUSED;
        out->refused++;
        *full = 1;
    } else {
        rc = adm_fail(err, errlen, -EIO, "assign %s: unexpected outcome \"%s\"", row->holder,
                      got.outcome);
    }
    return rc;
}

/* Checks SPEC without the database. */
static int adm_assign_check(const struct stor_assign_spec *spec, char *err, size_t errlen)
{
    int targets = (spec->dept != NULL) + (spec->team != NULL) + (spec->employee != NULL);
    if (spec->product == NULL || codeplan_check_product(spec->product) < 0)
        return adm_fail(err, errlen, -EINVAL, "--product: \"%s\" is not a product code",
                        spec->product != NULL ? spec->product : "");
    if (targets != 1)
        return adm_fail(err, errlen, -EINVAL,
                        "assign: give exactly one of --dept DEPT, --team NAME, --employee ID");
    if (spec->employee != NULL && !adm_is_id(spec->employee))
        return adm_fail(err, errlen, -EINVAL, "--employee: \"%s\" is not an employee id",
                        spec->employee);
    if (spec->dept != NULL)
        return adm_check_text("--dept", spec->dept, 1, ADM_DEPT_MAX, 0, err, errlen);
    if (spec->team != NULL)
        return adm_check_text("--team", spec->team, 1, ADM_NAME_MAX, 0, err, errlen);
    return 0;
}

int stor_admin_assign(struct stor_admin *adm, const struct stor_assign_spec *spec,
                      struct stor_assign_result *out, char *err, size_t errlen)
{
    PGresult *prod = NULL, *holders = NULL;
    const char *pv[] = {spec->product};
    int full = 0, rc;

    memset(out, 0, sizeof *out);
    if ((rc = adm_assign_check(spec, err, errlen)) < 0)
        return rc;
    if ((rc = adm_begin(adm, err, errlen)) < 0)
        goto fail;
    /* The product's row stays locked to the end: no claim slips in between. */
    rc = stor_admin_exec(adm, &prod, "product", ADM_ASSIGN_PRODUCT, 1, pv, err, errlen);
    if (rc < 0 || (rc = adm_assign_product_ok(spec->product, prod, err, errlen)) < 0 ||
        (rc = adm_assign_holders(adm, spec, &holders, err, errlen)) < 0)
        goto fail;
    out->quota = (uint32_t)strtoul(PQgetvalue(prod, 0, AP_QUOTA), NULL, 10);
    out->rows = calloc((size_t)PQntuples(holders), sizeof *out->rows);
    if (out->rows == NULL) {
        rc = adm_fail(err, errlen, -ENOMEM, "assign: out of memory");
        goto fail;
    }
    for (int i = 0; rc == 0 && i < PQntuples(holders); i++)
        rc = adm_assign_one(adm, spec->product, prod, holders, i, &full, out, err, errlen);
    if (rc == 0 && out->assigned == 0 && out->skipped == 0)
        rc = adm_fail(err, errlen, -ENOSPC,
                      "--product: all %u codes of product %s are claimed; nothing assigned",
                      out->quota, spec->product);
    if (rc == 0)
        rc = adm_commit(adm, err, errlen);

fail:
    PQclear(prod);
    PQclear(holders);
    if (rc < 0)
        stor_admin_rollback(adm);
    return rc;
}

void stor_admin_assign_free(struct stor_assign_result *res)
{
    free(res->rows);
    res->rows = NULL;
    res->n = 0;
}

/* ---- opt-outs --------------------------------------------------------------------------- */

int stor_admin_optout_list(struct stor_admin *adm,
                           void (*row)(void *arg, const char *msisdn, const char *at), void *arg,
                           char *err, size_t errlen)
{
    PGresult *res = NULL;
    int rc = stor_admin_exec(adm, &res, "opt-outs",
                             "SELECT msisdn, to_char(at, 'YYYY-MM-DD HH24:MI:SS') FROM optouts"
                             " ORDER BY at, msisdn",
                             0, NULL, err, errlen);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++)
        row(arg, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
    PQclear(res);
    return rc;
}
