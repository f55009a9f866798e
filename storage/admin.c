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

#include "core/money.h"
#include "storage/db_internal.h"

#define ADM_NAME_MAX  40   /* characters of a product or employee name */
#define ADM_INTRO_MAX 1000 /* characters of a promo text */
#define ADM_FEE_MAX   200
#define ADM_DEPT_MAX  100
#define ADM_ID_MAX    32

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
    if (p->starts_on != NULL && !adm_is_date(p->starts_on))
        return adm_fail(err, errlen, -EINVAL, "--start: \"%s\" is not a date (YYYY-MM-DD)",
                        p->starts_on);
    if (p->ends_on != NULL && !adm_is_date(p->ends_on))
        return adm_fail(err, errlen, -EINVAL, "--end: \"%s\" is not a date (YYYY-MM-DD)",
                        p->ends_on);
    if (p->starts_on != NULL && p->ends_on != NULL && strcmp(p->ends_on, p->starts_on) < 0)
        return adm_fail(err, errlen, -EINVAL, "--end: %s is before --start %s", p->ends_on,
                        p->starts_on);
    return 0;
}

int stor_admin_employee_check(const struct stor_employee_spec *e, char *msisdn, char *err,
                              size_t errlen)
{
    char num[MSISDN_LEN + 1];
    int rc;
    size_t idlen = e->id != NULL ? strlen(e->id) : 0;
    int id_ok = idlen >= 1 && idlen <= ADM_ID_MAX;
    for (size_t i = 0; id_ok && i < idlen; i++)
        id_ok = e->id[i] > ' ' && e->id[i] < 0x7f;
    if (!id_ok)
        return adm_fail(err, errlen, -EINVAL,
                        "--id: \"%s\" is not an employee id (1 to %d printable ASCII "
                        "characters, no spaces)",
                        e->id != NULL ? e->id : "", ADM_ID_MAX);
    if ((rc = adm_check_text("--name", e->name, 1, ADM_NAME_MAX, 0, err, errlen)) < 0 ||
        (rc = adm_check_text("--dept", e->dept, 0, ADM_DEPT_MAX, 0, err, errlen)) < 0)
        return rc;
    if (e->msisdn == NULL || msisdn_normalize(e->msisdn, num, sizeof num) < 0)
        return adm_fail(err, errlen, -EINVAL, "--msisdn: \"%s\" is not an 11-digit mobile number",
                        e->msisdn != NULL ? e->msisdn : "");
    if (msisdn != NULL)
        memcpy(msisdn, num, sizeof num);
    return 0;
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
                         "INSERT INTO products (code, name, intro, fee_text, commission_fen, quota,"
                         " width, service, starts_on, ends_on)"
                         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                         10, v, err, errlen);
    if (rc < 0)
        goto fail;
    if ((rc = adm_commit(adm, err, errlen)) < 0)
        goto fail;
    return 0;

fail:
    stor_admin_rollback(adm);
    return rc;
}

int stor_admin_product_activate(struct stor_admin *adm, const char *code, int *was_active,
                                char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {code};
    int rc;

    if (was_active != NULL)
        *was_active = 0;
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
    if (strcmp(status, "retired") == 0) {
        rc = adm_fail(err, errlen, -EPERM, "product %s: retired, cannot be activated again", code);
        goto fail;
    }
    if (strcmp(status, "active") == 0) {
        if (was_active != NULL)
            *was_active = 1;
    } else {
        rc = stor_admin_exec(adm, NULL, "activate",
                             "UPDATE products SET status = 'active' WHERE code = $1", 1, v, err,
                             errlen);
        if (rc < 0)
            goto fail;
    }
    if ((rc = adm_commit(adm, err, errlen)) < 0)
        goto fail;
    PQclear(res);
    return 0;

fail:
    PQclear(res);
    stor_admin_rollback(adm);
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

/* ---- claims ----------------------------------------------------------------------------- */

/* Fills OUT's codes from its product, sequence and the product's SERVICE and QUOTA. */
static int adm_claim_codes(struct stor_claim *out, uint32_t quota, const char *service, char *err,
                           size_t errlen)
{
    int rc = codeplan_sms_code(out->product, quota, out->seq, out->sms_code, sizeof out->sms_code);
    if (rc >= 0)
        rc = codeplan_phone_code(service, out->sms_code, out->phone_code, sizeof out->phone_code);
    if (rc < 0)
        return adm_fail(err, errlen, -EIO, "product %s: cannot make code %u: %s", out->product,
                        out->seq, strerror(-rc));
    return 0;
}

/* Allocates the next sequence of OUT->product (its row locked by the caller) to
 * OUT->employee, within the caller's transaction. PROD is the product row (quota, service,
 * status, ended, ends_on), EMP the employee's (active). */
static int adm_claim_new(struct stor_admin *adm, struct stor_claim *out, const PGresult *prod,
                         const PGresult *emp, char *err, size_t errlen)
{
    PGresult *last = NULL;
    const char *pv[] = {out->product};
    uint32_t quota = (uint32_t)strtoul(PQgetvalue(prod, 0, 0), NULL, 10);
    int rc;

    if (strcmp(PQgetvalue(prod, 0, 2), "retired") == 0) {
        rc = adm_fail(err, errlen, -EPERM, "--product: product %s is retired", out->product);
        goto fail;
    }
    if (strcmp(PQgetvalue(prod, 0, 3), "t") == 0) {
        rc = adm_fail(err, errlen, -EPERM, "--product: the campaign of product %s ended on %s",
                      out->product, PQgetvalue(prod, 0, 4));
        goto fail;
    }
    if (strcmp(PQgetvalue(emp, 0, 0), "t") != 0) {
        rc = adm_fail(err, errlen, -EPERM, "--employee: employee %s is not active", out->employee);
        goto fail;
    }
    rc = stor_admin_exec(adm, &last, "last claim",
                         "SELECT coalesce(max(seq), 0) FROM claims WHERE product_code = $1", 1, pv,
                         err, errlen);
    if (rc < 0)
        goto fail;
    out->seq = (uint32_t)strtoul(PQgetvalue(last, 0, 0), NULL, 10) + 1;
    if (out->seq > quota) {
        rc = adm_fail(err, errlen, -ENOSPC, "--product: all %u codes of product %s are claimed",
                      quota, out->product);
        goto fail;
    }
    if ((rc = adm_claim_codes(out, quota, PQgetvalue(prod, 0, 1), err, errlen)) < 0)
        goto fail;
    char seq[12];
    snprintf(seq, sizeof seq, "%u", out->seq);
    const char *iv[] = {out->sms_code, out->product, seq, out->employee};
    rc = stor_admin_exec(adm, NULL, "insert claim",
                         "INSERT INTO claims (code, product_code, seq, employee_id)"
                         " VALUES ($1, $2, $3, $4)",
                         4, iv, err, errlen);
fail:
    PQclear(last);
    return rc;
}

int stor_admin_claim(struct stor_admin *adm, const char *product, const char *employee,
                     struct stor_claim *out, char *err, size_t errlen)
{
    PGresult *prod = NULL, *emp = NULL, *mine = NULL;
    const char *pv[] = {product};
    const char *ev[] = {employee};
    const char *pev[] = {product, employee};
    int rc;

    memset(out, 0, sizeof *out);
    if (codeplan_check_product(product) < 0)
        return adm_fail(err, errlen, -EINVAL, "--product: \"%s\" is not a product code", product);
    if (employee[0] == '\0' || strlen(employee) > ADM_ID_MAX)
        return adm_fail(err, errlen, -EINVAL, "--employee: \"%s\" is not an employee id", employee);
    snprintf(out->product, sizeof out->product, "%s", product);
    snprintf(out->employee, sizeof out->employee, "%s", employee);

    if ((rc = adm_begin(adm, err, errlen)) < 0)
        goto fail;
    /* The product row lock serialises claims of one product. */
    rc = stor_admin_exec(adm, &prod, "product",
                         "SELECT quota, service, status, ends_on < current_date, ends_on"
                         " FROM products WHERE code = $1 FOR UPDATE",
                         1, pv, err, errlen);
    if (rc < 0)
        goto fail;
    if (PQntuples(prod) == 0) {
        rc = adm_fail(err, errlen, -ENOENT, "--product: no product %s", product);
        goto fail;
    }
    rc = stor_admin_exec(adm, &emp, "employee", "SELECT active FROM employees WHERE id = $1", 1, ev,
                         err, errlen);
    if (rc < 0)
        goto fail;
    if (PQntuples(emp) == 0) {
        rc = adm_fail(err, errlen, -ENOENT, "--employee: no employee %s", employee);
        goto fail;
    }
    /* Asking again returns the code already held; nothing is written. */
    rc = stor_admin_exec(adm, &mine, "claim",
                         "SELECT seq FROM claims WHERE product_code = $1 AND employee_id = $2", 2,
                         pev, err, errlen);
    if (rc < 0)
        goto fail;
    if (PQntuples(mine) > 0) {
        out->seq = (uint32_t)strtoul(PQgetvalue(mine, 0, 0), NULL, 10);
        out->existing = 1;
        rc = adm_claim_codes(out, (uint32_t)strtoul(PQgetvalue(prod, 0, 0), NULL, 10),
                             PQgetvalue(prod, 0, 1), err, errlen);
    } else {
        rc = adm_claim_new(adm, out, prod, emp, err, errlen);
    }
    if (rc < 0)
        goto fail;
    rc = adm_commit(adm, err, errlen);

fail:
    PQclear(prod);
    PQclear(emp);
    PQclear(mine);
    if (rc < 0)
        stor_admin_rollback(adm);
    return rc;
}
