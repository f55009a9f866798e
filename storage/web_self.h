/*
 * web_self.h: what an employee sees of their own on the web console (ermweb's "my codes"),
 * on the blocking connection of storage/admin.h: their codes with the product's texts,
 * their orders of a period (customers masked), their commission, and the self-claim of an
 * open product by the same rule as RL10 by SMS. Every function takes the employee's id
 * from the session, never from the request, and reads that employee's rows only. Errors
 * as admin.h says.
 */
#ifndef ERM_WEB_SELF_H
#define ERM_WEB_SELF_H

#include <stddef.h>
#include <stdint.h>

#include "core/codeplan.h"
#include "storage/admin.h"

/* One of the employee's codes; strings valid during the callback only. */
struct stor_self_code {
    const char *code, *product, *name, *intro, *fee_text, *service, *status;
    long long orders; /* orders of the code so far, cancelled ones not counted */
};

/* Calls ROW for each code EMPLOYEE holds, by product code. */
int stor_self_codes(struct stor_admin *adm, const char *employee,
                    void (*row)(void *arg, const struct stor_self_code *c), void *arg, char *err,
                    size_t errlen);

/* One order counted to the employee; CUSTOMER is the customer's number as stored (the
 * caller masks it). */
struct stor_self_order {
    const char *at; /* "YYYY-MM-DD HH:MM" */
    const char *customer, *code, *product_name;
    int cancelled;
    int64_t commission_fen; /* the order's net commission to the employee */
};

/* Calls ROW for the LIMIT newest orders of PERIOD ("YYYY-MM"; NULL = the current one)
 * counted to EMPLOYEE; *TOTAL_FEN gets the period's net commission and *PERIOD_OUT (8
 * bytes) the period. */
int stor_self_orders(struct stor_admin *adm, const char *employee, const char *period, int limit,
                     void (*row)(void *arg, const struct stor_self_order *o), void *arg,
                     int64_t *total_fen, char *period_out, char *err, size_t errlen);

/* An employee's figures of a period, for the top of their page. */
struct stor_self_summary {
    char period[8];         /* "YYYY-MM" */
    long long orders;       /* orders of the period counted to them, cancelled ones not */
    int64_t commission_fen; /* the period's net commission */
    long long codes;        /* codes they hold */
};

/* EMPLOYEE's figures of PERIOD ("YYYY-MM"; NULL = the current one) into OUT, from the
 * daily summary (schema/006) by its (employee, day) key: one indexed range, one prepared
 * statement, the request every page view of an employee makes. */
int stor_self_summary(struct stor_admin *adm, const char *employee, const char *period,
                      struct stor_self_summary *out, char *err, size_t errlen);

/* The self-claim's outcome: erm_claim_code()'s word ("new", "held", "full", "restricted",
 * "draft", "retired", "ended", "no_product", ...) and the code when one is held. */
struct stor_self_claim {
    char outcome[24];
    char code[CODEPLAN_MAX_CODE_LEN + 1];
    int queued; /* promo pushes queued */
};

/* Claims PRODUCT for EMPLOYEE through erm_claim_by_msisdn() (schema/002_pool.sql, with the
 * ranking rule of later migrations): exactly the rule of RL10 by SMS. A new code gets its
 * promo push (core/promo.h) through erm_queue_promo(), as by SMS; a held one is shown on
 * the page instead of pushed again. One transaction. */
int stor_self_claim(struct stor_admin *adm, const char *employee, const char *product,
                    struct stor_self_claim *out, char *err, size_t errlen);

#endif
