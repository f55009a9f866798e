/*
 * handout.c: codes given out by an operator (handout.h), on ermctl's blocking connection
 * (admin.c). Both the claim and the hand-out take their codes from the database's
 * erm_claim_code() (schema/002_pool.sql), the same function the daemon's self-claims use,
 * so the code plan has one allocator whoever asks.
 */
#include "storage/handout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/promo.h"
#include "storage/db_internal.h"

/* Fills OUT's codes from its product, sequence and the product's SERVICE and QUOTA, and
 * checks them against the code the database allocated (CODE): the SQL half of the code
 * plan must agree with core's. */
static int handout_claim_codes(struct stor_claim *out, uint32_t quota, const char *service,
                               const char *code, char *err, size_t errlen)
{
    int rc = codeplan_sms_code(out->product, quota, out->seq, out->sms_code, sizeof out->sms_code);
    if (rc >= 0)
        rc = codeplan_phone_code(service, out->sms_code, out->phone_code, sizeof out->phone_code);
    if (rc < 0)
        return field_error(err, errlen, -EIO, "product %s: cannot make code %u: %s", out->product,
                           out->seq, strerror(-rc));
    if (strcmp(out->sms_code, code) != 0)
        return field_error(err, errlen, -EIO,
                           "product %s: the database gave code %s for sequence %u", out->product,
                           code, out->seq);
    return 0;
}

/* What erm_claim_code() said, copied out of its result. */
struct handout_claimed {
    char outcome[20];
    char code[CODEPLAN_MAX_CODE_LEN + 1];
    uint32_t seq;
};

/* Runs erm_claim_code() for the holder (EMPLOYEE or TEAM_ID, the other NULL) of PRODUCT
 * within the open transaction, as a manager (drafts allowed, no ranking rule). */
static int handout_claim_code(struct stor_admin *adm, const char *product, const char *employee,
                              const char *team_id, struct handout_claimed *out, char *err,
                              size_t errlen)
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
static int handout_claim_refused(const char *outcome, const char *product, const char *employee,
                                 const PGresult *prod, char *err, size_t errlen)
{
    if (strcmp(outcome, "no_product") == 0 || PQntuples(prod) == 0)
        return field_error(err, errlen, -ENOENT, "--product: no product %s", product);
    if (strcmp(outcome, "no_holder") == 0)
        return field_error(err, errlen, -ENOENT, "--employee: no employee %s", employee);
    if (strcmp(outcome, "retired") == 0)
        return field_error(err, errlen, -EPERM, "--product: product %s is retired", product);
    if (strcmp(outcome, "ended") == 0)
        return field_error(err, errlen, -EPERM, "--product: the campaign of product %s ended on %s",
                           product, PQgetvalue(prod, 0, 2));
    if (strcmp(outcome, "holder_inactive") == 0)
        return field_error(err, errlen, -EPERM, "--employee: employee %s is not active", employee);
    if (strcmp(outcome, "full") == 0)
        return field_error(err, errlen, -ENOSPC,
                           "--product: all %s codes of product %s are claimed",
                           PQgetvalue(prod, 0, 0), product);
    return field_error(err, errlen, -EIO, "claim: unexpected outcome \"%s\"", outcome);
}

int stor_handout_claim(struct stor_admin *adm, const char *product, const char *employee,
                       struct stor_claim *out, char *err, size_t errlen)
{
    PGresult *prod = NULL;
    struct handout_claimed got;
    const char *pv[] = {product};
    int rc;

    memset(out, 0, sizeof *out);
    if (codeplan_check_product(product) < 0)
        return field_error(err, errlen, -EINVAL, "--product: \"%s\" is not a product code",
                           product);
    if (!employee_id_fits(employee))
        return field_error(err, errlen, -EINVAL, "--employee: \"%s\" is not an employee id",
                           employee);
    snprintf(out->product, sizeof out->product, "%s", product);
    snprintf(out->employee, sizeof out->employee, "%s", employee);

    if ((rc = stor_admin_begin(adm, err, errlen)) < 0 ||
        (rc = handout_claim_code(adm, product, employee, NULL, &got, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, &prod, "product",
                         "SELECT quota, service, ends_on FROM products WHERE code = $1", 1, pv, err,
                         errlen);
    if (rc < 0)
        goto fail;
    if (strcmp(got.outcome, "new") != 0 && strcmp(got.outcome, "held") != 0) {
        rc = handout_claim_refused(got.outcome, product, employee, prod, err, errlen);
        goto fail;
    }
    /* Asking again returns the code already held; nothing is written. */
    out->existing = strcmp(got.outcome, "held") == 0;
    out->seq = got.seq;
    rc = handout_claim_codes(out, (uint32_t)strtoul(PQgetvalue(prod, 0, 0), NULL, 10),
                             PQgetvalue(prod, 0, 1), got.code, err, errlen);
    if (rc == 0)
        rc = stor_admin_commit(adm, err, errlen);

fail:
    return stor_admin_end(adm, prod, rc);
}

/* ---- hand-out (派发) -------------------------------------------------------------------- */

/* The product's row as the hand-out needs it, locked: columns of HANDOUT_ASSIGN_PRODUCT. */
enum { AP_NAME, AP_INTRO, AP_FEE, AP_SERVICE, AP_STATUS, AP_ENDED, AP_ENDS_ON, AP_QUOTA };
#define HANDOUT_ASSIGN_PRODUCT                                                                     \
    "SELECT name, intro, fee_text, service, status, ends_on < current_date, ends_on, quota"        \
    " FROM products WHERE code = $1 FOR UPDATE"

/* Refuses a hand-out of product CODE in the state of PROD (HANDOUT_ASSIGN_PRODUCT's row). */
static int handout_assign_product_ok(const char *code, const PGresult *prod, char *err,
                                     size_t errlen)
{
    if (PQntuples(prod) == 0)
        return field_error(err, errlen, -ENOENT, "--product: no product %s", code);
    const char *status = PQgetvalue(prod, 0, AP_STATUS);
    if (strcmp(status, "draft") == 0)
        return field_error(err, errlen, -EPERM,
                           "--product: product %s is a draft; activate it before handing out codes",
                           code);
    if (strcmp(status, "retired") == 0)
        return field_error(err, errlen, -EPERM, "--product: product %s is retired", code);
    if (strcmp(PQgetvalue(prod, 0, AP_ENDED), "t") == 0)
        return field_error(err, errlen, -EPERM, "--product: the campaign of product %s ended on %s",
                           code, PQgetvalue(prod, 0, AP_ENDS_ON));
    return 0;
}

/* The holders SPEC names, as rows (employee id or NULL, team id or NULL, holder, name,
 * active), into *RES (the caller's to PQclear). */
static int handout_assign_holders(struct stor_admin *adm, const struct stor_assign_spec *spec,
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
            rc = field_error(err, errlen, -ENOENT,
                             "--dept: no active employee in department \"%s\"", spec->dept);
    } else if (spec->team != NULL) {
        v[0] = spec->team;
        rc = stor_admin_exec(adm, res, "team",
                             "SELECT NULL, id, name, '', true FROM teams WHERE name = $1", 1, v,
                             err, errlen);
        if (rc == 0 && PQntuples(*res) == 0)
            rc = field_error(err, errlen, -ENOENT, "--team: no team %s", spec->team);
    } else {
        v[0] = spec->employee;
        rc = stor_admin_exec(adm, res, "employee",
                             "SELECT id, NULL, id, name, active FROM employees WHERE id = $1", 1, v,
                             err, errlen);
        if (rc == 0 && PQntuples(*res) == 0)
            rc = field_error(err, errlen, -ENOENT, "--employee: no employee %s", spec->employee);
        else if (rc == 0 && strcmp(PQgetvalue(*res, 0, 4), "t") != 0)
            rc = field_error(err, errlen, -EPERM, "--employee: employee %s is not active",
                             spec->employee);
    }
    return rc;
}

/* The holders of HOLDERS as the two arrays erm_assign_codes() takes (employee ids, team
 * ids; NULL where the other is set): A[0] and A[1], the caller's to stor_arr_free. */
static int handout_holder_arrays(const PGresult *holders, struct stor_arr a[2])
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(holders); i++) {
        rc = stor_arr_add(&a[0], stor_admin_value(holders, i, 0));
        if (rc == 0)
            rc = stor_arr_add(&a[1], stor_admin_value(holders, i, 1));
    }
    if (rc == 0 && (rc = stor_arr_end(&a[0])) == 0)
        rc = stor_arr_end(&a[1]);
    return rc;
}

/* Fills OUT's row I (holder I of HOLDERS) from erm_assign_codes()'s OUTCOME and CODE. */
static int handout_assign_row(struct stor_assign_result *out, const PGresult *holders, int i,
                              const char *outcome, const char *code, char *err, size_t errlen)
{
    struct stor_assign_row *row = &out->rows[i];
    snprintf(row->holder, sizeof row->holder, "%s", PQgetvalue(holders, i, 2));
    snprintf(row->name, sizeof row->name, "%s", PQgetvalue(holders, i, 3));
    snprintf(row->code, sizeof row->code, "%s", code);
    if (strcmp(outcome, "new") == 0) {
        row->outcome = STOR_ASSIGN_NEW;
        out->assigned++;
    } else if (strcmp(outcome, "held") == 0) {
        row->outcome = STOR_ASSIGN_HELD;
        out->skipped++;
    } else if (strcmp(outcome, "full") == 0) {
        row->outcome = STOR_ASSIGN_REFUSED;
        out->refused++;
    } else if (strcmp(outcome, "restricted") == 0) {
        row->outcome = STOR_ASSIGN_RESTRICTED;
        out->refused++;
        out->restricted++;
    } else {
        return field_error(err, errlen, -EIO, "assign %s: unexpected outcome \"%s\"", row->holder,
                           outcome);
    }
    return 0;
}

/* Gives every holder of HOLDERS its code of PRODUCT in one statement; fills OUT's rows. */
static int handout_assign_codes(struct stor_admin *adm, const char *product,
                                const PGresult *holders, struct stor_assign_result *out, char *err,
                                size_t errlen)
{
    struct stor_arr a[2] = {{0}};
    PGresult *res = NULL;
    int n = PQntuples(holders), rc = handout_holder_arrays(holders, a);
    if (rc < 0) {
        rc = field_error(err, errlen, rc, "assign: out of memory");
        goto fail;
    }
    const char *v[] = {product, a[0].s, a[1].s};
    rc = stor_admin_exec(adm, &res, "assign",
                         "SELECT item, outcome, coalesce(code, '')"
                         " FROM erm_assign_codes($1, $2::text[], $3::integer[])",
                         3, v, err, errlen);
    if (rc == 0 && PQntuples(res) != n)
        rc =
            field_error(err, errlen, -EIO, "assign: %d outcomes for %d holders", PQntuples(res), n);
    for (int i = 0; rc == 0 && i < n; i++)
        rc = handout_assign_row(out, holders, i, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), err,
                                errlen);
    out->n = rc == 0 ? (size_t)n : 0;
fail:
    PQclear(res);
    stor_arr_free(a, 2);
    return rc;
}

/* Renders the promo push of each new code of OUT (PROD's product) into A[0] (codes) and
 * A[1] (texts). */
static int handout_promo_arrays(const PGresult *prod, const struct stor_assign_result *out,
                                struct stor_arr a[2], char *err, size_t errlen)
{
    char *text = malloc(PROMO_TEXT_MAX);
    int rc = text != NULL ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < out->n; i++) {
        const struct stor_assign_row *row = &out->rows[i];
        if (row->outcome != STOR_ASSIGN_NEW)
            continue;
        struct promo_fields f = {PQgetvalue(prod, 0, AP_NAME), PQgetvalue(prod, 0, AP_INTRO),
                                 PQgetvalue(prod, 0, AP_FEE), PQgetvalue(prod, 0, AP_SERVICE),
                                 row->code};
        rc = promo_render(&f, text, PROMO_TEXT_MAX);
        if (rc < 0) {
            rc = field_error(err, errlen, -EINVAL,
                             "--product: the promo push of code %s cannot be sent (%s); shorten "
                             "the product's intro",
                             row->code, strerror(-rc));
            break;
        }
        if ((rc = stor_arr_add(&a[0], row->code)) == 0)
            rc = stor_arr_add(&a[1], text);
    }
    if (rc == 0 && (rc = stor_arr_end(&a[0])) == 0)
        rc = stor_arr_end(&a[1]);
    if (rc == -ENOMEM)
        rc = field_error(err, errlen, -ENOMEM, "promo push: out of memory");
    free(text);
    return rc;
}

/* Queues the promo pushes of OUT's new codes in one statement; counts them into OUT. */
static int handout_assign_pushes(struct stor_admin *adm, const PGresult *prod,
                                 struct stor_assign_result *out, char *err, size_t errlen)
{
    struct stor_arr a[2] = {{0}};
    PGresult *res = NULL;
    int rc = handout_promo_arrays(prod, out, a, err, errlen);
    const char *v[] = {a[0].s, PQgetvalue(prod, 0, AP_SERVICE), a[1].s};
    if (rc == 0)
        rc = stor_admin_exec(adm, &res, "promo push",
                             "SELECT queued, skipped FROM erm_queue_promos($1::text[], $2,"
                             " $3::text[])",
                             3, v, err, errlen);
    int k = 0;
    for (size_t i = 0; rc == 0 && i < out->n; i++) {
        struct stor_assign_row *row = &out->rows[i];
        if (row->outcome != STOR_ASSIGN_NEW)
            continue;
        if (k >= PQntuples(res)) {
            rc = field_error(err, errlen, -EIO, "promo push: fewer results than codes");
            break;
        }
        row->queued = atoi(PQgetvalue(res, k, 0));
        row->optout = atoi(PQgetvalue(res, k, 1));
        out->queued += (unsigned)row->queued;
        out->optout += (unsigned)row->optout;
        k++;
    }
    PQclear(res);
    stor_arr_free(a, 2);
    return rc;
}

/* Checks SPEC without the database. */
static int handout_assign_check(const struct stor_assign_spec *spec, char *err, size_t errlen)
{
    int targets = (spec->dept != NULL) + (spec->team != NULL) + (spec->employee != NULL);
    if (spec->product == NULL || codeplan_check_product(spec->product) < 0)
        return field_error(err, errlen, -EINVAL, "--product: \"%s\" is not a product code",
                           spec->product != NULL ? spec->product : "");
    if (targets != 1)
        return field_error(err, errlen, -EINVAL,
                           "assign: give exactly one of --dept DEPT, --team NAME, --employee ID");
    if (spec->employee != NULL && !employee_is_id(spec->employee))
        return field_error(err, errlen, -EINVAL, "--employee: \"%s\" is not an employee id",
                           spec->employee);
    if (spec->dept != NULL)
        return field_check_text("--dept", spec->dept, 1, EMPLOYEE_DEPT_MAX, 0, err, errlen);
    if (spec->team != NULL)
        return field_check_text("--team", spec->team, 1, FIELD_NAME_MAX, 0, err, errlen);
    return 0;
}

int stor_handout_assign(struct stor_admin *adm, const struct stor_assign_spec *spec,
                        struct stor_assign_result *out, char *err, size_t errlen)
{
    PGresult *prod = NULL, *holders = NULL;
    const char *pv[] = {spec->product};
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = handout_assign_check(spec, err, errlen)) < 0)
        return rc;
    if ((rc = stor_admin_begin(adm, err, errlen)) < 0)
        goto fail;
    /* The product's row stays locked to the end: no claim slips in between. */
    rc = stor_admin_exec(adm, &prod, "product", HANDOUT_ASSIGN_PRODUCT, 1, pv, err, errlen);
    if (rc < 0 || (rc = handout_assign_product_ok(spec->product, prod, err, errlen)) < 0 ||
        (rc = handout_assign_holders(adm, spec, &holders, err, errlen)) < 0)
        goto fail;
    out->quota = (uint32_t)strtoul(PQgetvalue(prod, 0, AP_QUOTA), NULL, 10);
    out->rows = calloc((size_t)PQntuples(holders), sizeof *out->rows);
    if (out->rows == NULL) {
        rc = field_error(err, errlen, -ENOMEM, "assign: out of memory");
        goto fail;
    }
    rc = handout_assign_codes(adm, spec->product, holders, out, err, errlen);
    if (rc == 0 && out->assigned > 0)
        rc = handout_assign_pushes(adm, prod, out, err, errlen);
    if (rc == 0 && spec->dept == NULL && out->restricted > 0)
        rc = field_error(err, errlen, -EPERM,
                         "%s: %s is barred from new codes by last period's ranking",
                         spec->employee != NULL ? "--employee" : "--team",
                         spec->employee != NULL ? spec->employee : spec->team);
    if (rc == 0 && out->assigned == 0 && out->skipped == 0 && out->restricted == 0)
        rc = field_error(err, errlen, -ENOSPC,
                         "--product: all %u codes of product %s are claimed; nothing assigned",
                         out->quota, spec->product);
    if (rc == 0 && spec->dry_run)
        stor_admin_rollback(adm); /* the preview: codes, pushes and all undone */
    else if (rc == 0)
        rc = stor_admin_commit(adm, err, errlen);

fail:
    PQclear(prod);
    return stor_admin_end(adm, holders, rc);
}

void stor_handout_free(struct stor_assign_result *res)
{
    free(res->rows);
    res->rows = NULL;
    res->n = 0;
}
