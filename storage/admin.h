/*
 * admin.h: the blocking administrative operations behind ermctl: products, employees and
 * code claims. Each operation is one transaction: it either commits whole or writes
 * nothing.
 *
 * Also: retiring and listing products, importing employees from a file, deactivating
 * leavers, virtual teams, the hand-out (派发) of codes with their promo pushes, and the list
 * of opted-out numbers.
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
struct commission_tier;

/* Bytes of a name of 40 characters of UTF-8 (4 bytes each at most) and its NUL. */
#define STOR_ADMIN_NAME_BYTES (40 * 4 + 1)

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
    uint32_t quota;                      /* 1..CODEPLAN_MAX_QUOTA */
    const char *starts_on;               /* "YYYY-MM-DD" or NULL */
    const char *ends_on;                 /* "YYYY-MM-DD" or NULL, not before starts_on */
    const struct commission_tier *tiers; /* NTIERS commission tiers (core/commission.h) */
    size_t ntiers;
    const char *cancel_days; /* customer's QX window in days, "0".."366"; NULL = 7 */
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

/* Retires product CODE (draft or active -> retired): its codes take no orders and no
 * claims from now on; claims and orders stay. *WAS_RETIRED (may be NULL) is set to 1 when
 * it already was. -ENOENT unknown. */
int stor_admin_product_retire(struct stor_admin *adm, const char *code, int *was_retired, char *err,
                              size_t errlen);

/* A product as listed; strings belong to storage and are valid during the callback only. */
struct stor_product_row {
    const char *code, *name, *status, *service, *intro, *fee_text;
    const char *starts_on, *ends_on; /* "YYYY-MM-DD", NULL when not set */
    uint32_t quota;
    int64_t commission_fen;
    long long claimed; /* codes given out */
    long long orders;  /* orders so far */
};

/* One holder of a code of a product, for "who got what"; strings as above. */
struct stor_holder_row {
    const char *code;
    int team;               /* 0: an employee, 1: a team */
    const char *holder;     /* the employee's id, or the team's name */
    const char *name;       /* the employee's name, or the team leader's */
    const char *dept;       /* the employee's department ("" for a team) */
    int active;             /* 0 for a deactivated employee */
    const char *claimed_at; /* "YYYY-MM-DD HH:MM", the session's time zone */
    long long orders;
    long long pushes_sent, pushes_queued, pushes_failed, pushes_optout;
};

typedef void (*stor_product_row_cb)(void *arg, const struct stor_product_row *row);
typedef void (*stor_holder_row_cb)(void *arg, const struct stor_holder_row *row);

/* Calls ROW for every product of the pool, by code. */
int stor_admin_product_list(struct stor_admin *adm, stor_product_row_cb row, void *arg, char *err,
                            size_t errlen);

/* Calls PRODUCT once for product CODE, then HOLDER (may be NULL) for each of its codes
 * given out, by sequence. -ENOENT unknown product. */
int stor_admin_product_show(struct stor_admin *adm, const char *code, stor_product_row_cb product,
                            stor_holder_row_cb holder, void *arg, char *err, size_t errlen);

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

/* One employee row of an import file: LINE is its line number, for the report. */
struct stor_import_row {
    unsigned line;
    struct stor_employee_spec spec;
};

/* Called for each bad row of an import with its LINE and the REASON (one line, naming the
 * column: "msisdn: \"1380000\" is not an 11-digit mobile number"); strings are valid
 * during the call only. */
typedef void (*stor_import_bad_cb)(void *arg, unsigned line, const char *reason);

struct stor_import_counts {
    unsigned added, updated, unchanged;
};

/* Checks the N ROWS of an import without the database: every field, and the same id or
 * number twice in the file (the later line is reported). Reports each bad row to BAD and
 * returns how many there were, or -ENOMEM. */
int stor_admin_import_check(const struct stor_import_row *rows, size_t n, stor_import_bad_cb bad,
                            void *arg);

/* Imports the N ROWS all or nothing: new ids are added, known ids get the row's name,
 * number and department (an unchanged row writes nothing; deactivated employees stay
 * deactivated). Numbers may move between employees of the file (a swap is fine); a number
 * that belongs to an employee who is not in the file is a bad row. On any bad row every
 * one is reported to BAD, nothing is written and -EINVAL is returned (ERR says how many).
 * COUNTS gets what was done; with DRY_RUN it is worked out and rolled back. */
int stor_admin_employee_import(struct stor_admin *adm, const struct stor_import_row *rows, size_t n,
                               int dry_run, stor_import_bad_cb bad, void *arg,
                               struct stor_import_counts *counts, char *err, size_t errlen);

/* Deactivates employee ID (a leaver): their codes take no new orders (customers are told
 * the code is no longer valid), they cannot claim, pushes skip them; history stays.
 * *CODES (may be NULL) gets how many codes they hold; *WAS_INACTIVE (may be NULL) 1 when
 * they already were. -ENOENT unknown. */
int stor_admin_employee_deactivate(struct stor_admin *adm, const char *id, int *was_inactive,
                                   long long *codes, char *err, size_t errlen);

/* Creates virtual team NAME (1..40 characters, one line) led by active employee LEADER,
 * who is its first member, sharing commission by SPLIT ("equal" or "leader"; NULL = equal).
 * -EEXIST when the name is taken, -ENOENT unknown leader, -EPERM deactivated leader. */
int stor_admin_team_create(struct stor_admin *adm, const char *name, const char *leader,
                           const char *split, char *err, size_t errlen);

/* A new member of a team: an employee (EMPLOYEE), or somebody who is not one (MSISDN and
 * NAME). Strings are the caller's. */
struct stor_member_spec {
    const char *team;
    const char *employee;
    const char *msisdn;
    const char *name;
};

/* Adds SPEC's member to its team. *ALREADY (may be NULL) is set to 1 when they already were
 * a member (nothing written). MSISDN (MSISDN_LEN + 1 bytes, may be NULL) gets the member's
 * number. -ENOENT unknown team or employee, -EPERM deactivated employee, -EEXIST a number
 * that is an employee's (add them with --employee) or already in the team under another
 * name, -EINVAL bad field. */
int stor_admin_team_add(struct stor_admin *adm, const struct stor_member_spec *spec, int *already,
                        char *msisdn, char *err, size_t errlen);

/* The hand-out: product PRODUCT to the active employees of department DEPT, or to team
 * TEAM, or to employee EMPLOYEE (exactly one of the three). */
struct stor_assign_spec {
    const char *product, *dept, *team, *employee;
};

enum stor_assign_outcome {
    STOR_ASSIGN_NEW,     /* a code was given and its promo push queued */
    STOR_ASSIGN_HELD,    /* skipped: the holder already had one */
    STOR_ASSIGN_REFUSED, /* refused: the quota was used up */
};

/* One holder's line of a hand-out. */
struct stor_assign_row {
    char holder[STOR_ADMIN_NAME_BYTES]; /* employee id or team name */
    char name[STOR_ADMIN_NAME_BYTES];   /* the employee's name, "" for a team */
    char code[CODEPLAN_MAX_CODE_LEN + 1];
    enum stor_assign_outcome outcome;
    int queued, optout; /* promo pushes queued, and left out (opted out) */
};

struct stor_assign_result {
    struct stor_assign_row *rows; /* malloc'd, in the order handed out */
    size_t n;
    unsigned assigned, skipped, refused;
    unsigned queued, optout; /* promo pushes */
    uint32_t quota;
};

/* Gives every holder of SPEC without a code of the product its own (one per holder per
 * product) and queues the promo push to it (to each member of a team), respecting
 * opt-outs; a holder that has one is skipped. Stops cleanly at the quota: the holders after
 * it are refused. One transaction. The product must be active and its campaign not over
 * (-EPERM). -ENOENT unknown product, team or employee, or a department without active
 * employees; -EPERM deactivated employee. OUT's rows are the caller's to free with
 * stor_admin_assign_free(), also after an error. */
int stor_admin_assign(struct stor_admin *adm, const struct stor_assign_spec *spec,
                      struct stor_assign_result *out, char *err, size_t errlen);

void stor_admin_assign_free(struct stor_assign_result *res);

/* Calls ROW for every opted-out number, oldest first, with the time as
 * "YYYY-MM-DD HH:MM:SS" in the session's time zone (valid during the call only). */
int stor_admin_optout_list(struct stor_admin *adm,
                           void (*row)(void *arg, const char *msisdn, const char *at), void *arg,
                           char *err, size_t errlen);

/* A claimed code. */
struct stor_claim {
    char product[CODEPLAN_MAX_PRODUCT_LEN + 1];
    char employee[33];
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
 * hand-out's (stor_admin_assign). -ENOENT unknown product or employee, -ENOSPC when the
 * quota is used up. */
int stor_admin_claim(struct stor_admin *adm, const char *product, const char *employee,
                     struct stor_claim *out, char *err, size_t errlen);

#endif
