/*
 * admin.h: the blocking administrative operations behind ermctl: products, employees and
 * code claims. Each operation is one transaction: it either commits whole or writes
 * nothing.
 *
 * Errors: every function returns 0 or a negative errno and, on error, writes one line into
 * the caller's ERR buffer (ERRLEN bytes) with its context, e.g.
 *   --msisdn: "1380000" is not an 11-digit mobile number
 *   --code: 100 clashes with product 10 "流量包" (quota 100)
 *   connect: connection to server on socket "/tmp/.s.PGSQL.5432" failed: ...
 * Fields are named as ermctl's options name them, so the CLI prints the line as it is.
 * stor_admin_input_error() tells the input's fault (the field is named) from a runtime
 * failure (database unreachable, unexpected SQL error). Nothing is logged: the caller
 * decides where ERR goes.
 */
#ifndef ERM_ADMIN_H
#define ERM_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/codeplan.h"
#include "core/msisdn.h"

struct stor_admin;

/* Connects (blocking) with CONNINFO ("" or NULL = the PG* environment variables). On
 * success *OUT is the caller's until stor_admin_close(). -ECONNREFUSED when the database
 * cannot be reached, -EINVAL for a malformed CONNINFO, -ENOMEM. */
int stor_admin_connect(const char *conninfo, struct stor_admin **out, char *err, size_t errlen);

/* Closes the connection and frees ADM (NULL is fine). */
void stor_admin_close(struct stor_admin *adm);

/* 1 when RC (from a function below) is the input's fault: -EINVAL (invalid field),
 * -ENOENT (unknown product or employee), -EEXIST (duplicate, code clash), -ENOSPC (quota
 * exhausted), -EPERM (retired or ended product, inactive employee). 0 for runtime
 * failures: -EIO (SQL error), -ECONNREFUSED, -ENOMEM, ... */
int stor_admin_input_error(int rc);

/* A new product; strings are the caller's. */
struct stor_product_spec {
    const char *code;     /* product code: 1..8 digits, not starting with 0 */
    const char *name;     /* 1..40 characters, no control characters */
    const char *intro;    /* promo text, at most 1000 characters; NULL = "" */
    const char *fee_text; /* at most 200 characters; NULL = "" */
    const char *service;  /* service number, NULL = "10086" */
    int64_t commission_fen;
    uint32_t quota;        /* 1..CODEPLAN_MAX_QUOTA */
    const char *starts_on; /* "YYYY-MM-DD" or NULL */
    const char *ends_on;   /* "YYYY-MM-DD" or NULL, not before starts_on */
};

/* Checks SPEC without the database (stor_admin_product_add does it again). 0 or -EINVAL. */
int stor_admin_product_check(const struct stor_product_spec *spec, char *err, size_t errlen);

/* Adds SPEC as a draft. Refuses (-EEXIST) a code equal to or clashing with any product in
 * the pool under core's codeplan_clash(), naming that product; adds are serialised so two
 * clashing adds cannot both succeed. */
int stor_admin_product_add(struct stor_admin *adm, const struct stor_product_spec *spec, char *err,
                           size_t errlen);

/* Activates product CODE (draft -> active). *WAS_ACTIVE (may be NULL) is set to 1 when it
 * already was. -ENOENT unknown, -EPERM retired. */
int stor_admin_product_activate(struct stor_admin *adm, const char *code, int *was_active,
                                char *err, size_t errlen);

/* A new employee; strings are the caller's. */
struct stor_employee_spec {
    const char *id;     /* 1..32 printable ASCII characters, no spaces */
    const char *name;   /* 1..40 characters, no control characters */
    const char *msisdn; /* any form msisdn_normalize() accepts */
    const char *dept;   /* at most 100 characters; NULL = "" */
};

/* Checks SPEC without the database and writes the normalised number into MSISDN
 * (MSISDN_LEN + 1 bytes, may be NULL). 0 or -EINVAL. */
int stor_admin_employee_check(const struct stor_employee_spec *spec, char *msisdn, char *err,
                              size_t errlen);

/* Adds SPEC. MSISDN (may be NULL) gets the normalised number. -EEXIST when the id or the
 * number is taken (the message says by whom). */
int stor_admin_employee_add(struct stor_admin *adm, const struct stor_employee_spec *spec,
                            char *msisdn, char *err, size_t errlen);

/* A claimed code. */
struct stor_claim {
    char product[CODEPLAN_MAX_PRODUCT_LEN + 1];
    char employee[33];
    uint32_t seq;
    char sms_code[CODEPLAN_MAX_CODE_LEN + 1];                              /* "10001" */
    char phone_code[CODEPLAN_MAX_SERVICE_LEN + CODEPLAN_MAX_CODE_LEN + 1]; /* "1008610001" */
    int existing; /* 1 when the employee already held it: nothing new was written */
};

/* Gives EMPLOYEE the next code of PRODUCT, or the one they already hold. Claims are
 * serialised per product (the product row is locked). Draft and active products can be
 * claimed (a draft is tested before activation); a retired product or one whose campaign
 * ended cannot (-EPERM), nor can an inactive employee. -ENOENT unknown product or employee,
 * -ENOSPC when the quota is used up. */
int stor_admin_claim(struct stor_admin *adm, const char *product, const char *employee,
                     struct stor_claim *out, char *err, size_t errlen);

#endif
