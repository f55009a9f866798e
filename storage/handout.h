/*
 * handout.h: codes given out on ermctl's blocking connection (storage/admin.h): the
 * hand-out (派发) of a product's codes to a department, a team or an employee with their
 * promo pushes, and the claim of one code for an employee by an operator (the employee's
 * own claim by SMS is storage/claims.h). Errors as admin.h says.
 */
#ifndef ERM_HANDOUT_H
#define ERM_HANDOUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/codeplan.h"
#include "core/employee.h"
#include "core/field.h"
#include "storage/admin.h"

/* The hand-out: product PRODUCT to the active employees of department DEPT, or to team
 * TEAM, or to employee EMPLOYEE (exactly one of the three). DRY_RUN: the whole hand-out is
 * worked out (who gets a code, who is skipped or refused) and rolled back, the web
 * console's preview. */
struct stor_assign_spec {
    const char *product, *dept, *team, *employee;
    int dry_run;
};

enum stor_assign_outcome {
    STOR_ASSIGN_NEW,        /* a code was given and its promo push queued */
    STOR_ASSIGN_HELD,       /* skipped: the holder already had one */
    STOR_ASSIGN_REFUSED,    /* refused: the quota was used up */
    STOR_ASSIGN_RESTRICTED, /* refused: barred by last period's ranking */
};

/* One holder's line of a hand-out. */
struct stor_assign_row {
    char holder[FIELD_NAME_BYTES]; /* employee id or team name */
    char name[FIELD_NAME_BYTES];   /* the employee's name, "" for a team */
    char code[CODEPLAN_MAX_CODE_LEN + 1];
    enum stor_assign_outcome outcome;
    int queued, optout; /* promo pushes queued, and left out (opted out) */
};

struct stor_assign_result {
    struct stor_assign_row *rows; /* malloc'd, in the order handed out */
    size_t n;
    unsigned assigned, skipped, refused; /* refused counts the restricted too */
    unsigned restricted;
    unsigned queued, optout; /* promo pushes */
    uint32_t quota;
};

/* Gives every holder of SPEC without a code of the product its own (one per holder per
 * product) and queues the promo push to it (to each member of a team), respecting
 * opt-outs; a holder that has one is skipped, one barred by last period's ranking refused.
 * Stops cleanly at the quota: the holders after it that need a code are refused. One
 * transaction, two statements whatever the number of holders (schema/017). The product must be
 * active and its campaign not over
 * (-EPERM). -ENOENT unknown product, team or employee, or a department without active
 * employees; -EPERM deactivated employee. With SPEC->dry_run nothing is written (OUT says
 * what would be). OUT's rows are the caller's to free with
 * stor_handout_free(), also after an error. */
int stor_handout_assign(struct stor_admin *adm, const struct stor_assign_spec *spec,
                        struct stor_assign_result *out, char *err, size_t errlen);

void stor_handout_free(struct stor_assign_result *res);

/* A claimed code. */
struct stor_claim {
    char product[CODEPLAN_MAX_PRODUCT_LEN + 1];
    char employee[EMPLOYEE_ID_MAX + 1];
    uint32_t seq;
    char sms_code[CODEPLAN_MAX_CODE_LEN + 1];                              /* "10001" */
    char phone_code[CODEPLAN_MAX_SERVICE_LEN + CODEPLAN_MAX_CODE_LEN + 1]; /* "1008610001" */
    int existing; /* 1 when the employee already held it: nothing new was written */
};

/* Gives EMPLOYEE the next code of PRODUCT, or the one they already hold, through the
 * database's erm_claim_code() (schema/002_pool.sql), which serialises claims per product
 * (the product row is locked) with the daemon's self-claims. Draft and active products can
 * be claimed (a draft is tested before activation); a retired product or one whose
 * campaign ended cannot (-EPERM), nor can an inactive employee. No promo push: that is the
 * hand-out's (stor_handout_assign). -ENOENT unknown product or employee, -ENOSPC when the
 * quota is used up. */
int stor_handout_claim(struct stor_admin *adm, const char *product, const char *employee,
                       struct stor_claim *out, char *err, size_t errlen);

#endif
