/*
 * report.h: the manager's side of commissions, blocking, for ermctl: cancelling an order,
 * closing a period (ranking and restriction), the ranking, and the report of orders,
 * cancellations and net commission by employee, team, department, product and day. Every
 * figure comes from the commission ledger (schema/004_commission.sql), so it equals what
 * the holders are told by SMS; the report reads it through its per-day summary
 * (schema/006_report_summary.sql), which the ledger's trigger keeps equal to it.
 */
#ifndef ERM_REPORT_H
#define ERM_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct stor_admin;

/* The report's dimensions, in the order of --by. */
enum stor_report_dim {
    STOR_DIM_EMPLOYEE = 0, /* columns employee, name (NULL for team-held orders) */
    STOR_DIM_TEAM,         /* team (NULL for employee-held orders) */
    STOR_DIM_DEPT,         /* dept of the employee (NULL for team-held orders) */
    STOR_DIM_PRODUCT,      /* product, product_name */
    STOR_DIM_DAY,          /* day: the order's day in Asia/Shanghai, YYYY-MM-DD */
    STOR_DIM_COUNT
};

#define STOR_REPORT_MAX_COLS 16

struct stor_report_spec {
    enum stor_report_dim by[STOR_DIM_COUNT];
    size_t nby;          /* 1..STOR_DIM_COUNT, no dimension twice */
    const char *from;    /* "YYYY-MM-DD" or NULL: orders placed on or after */
    const char *to;      /* "YYYY-MM-DD" or NULL: on or before */
    const char *product; /* product code or NULL */
    const char *dept;    /* department or NULL */
};

/* Parses "employee,product" into SPEC's BY. 0 or -EINVAL with ERR naming --by. */
int stor_report_parse_by(const char *text, struct stor_report_spec *spec, char *err, size_t errlen);

/* One row: NCOLS strings (the dimensions' columns, then orders, cancelled, commission in
 * yuan text); NAMES the column names (static). A dimension's value is NULL for the null
 * group (the orders of no employee, or of no team), a row of its own, sorted last. Valid
 * during the call only. */
typedef void (*stor_report_row_cb)(void *arg, size_t ncols, const char *const *names,
                                   const char *const *values);

/* Runs the report of SPEC; ROW is called for each group, ordered by the dimensions. 0 or
 * -errno (-EINVAL with ERR naming the field). */
int stor_report(struct stor_admin *adm, const struct stor_report_spec *spec, stor_report_row_cb row,
                void *arg, char *err, size_t errlen);

/* Checks what a cancellation is given, without the database: ID an order id, REASON one
 * line of text (field_check_text) of at most 200 bytes. 0 or -EINVAL with ERR naming the
 * field ("ID", "--reason"). */
int stor_order_cancel_check(const char *id, const char *reason, char *err, size_t errlen);

/* Cancels order ID for REASON (stor_order_cancel_check) as the manager (no window): the order is
 * marked and its commission reversed by a new ledger row; the holder is noted. *REVERSED_FEN gets
 * the (negative) reversal. -ENOENT no such order, -EALREADY cancelled before. */
int stor_order_cancel(struct stor_admin *adm, const char *id, const char *reason,
                      int64_t *reversed_fen, char *err, size_t errlen);

struct stor_period_close {
    int already; /* 1: closed before; the figures are the stored ones */
    int bottom_pct;
    int holders;
    int restricted;
};

/* Closes PERIOD ("YYYY-MM", ended) restricting the bottom BOTTOM_PCT percent (0..100).
 * -EINVAL bad field, -EPERM the period has not ended. */
int stor_period_close(struct stor_admin *adm, const char *period, int bottom_pct,
                      struct stor_period_close *out, char *err, size_t errlen);

/* One line of a ranking; RESTRICTED is -1 while the period is open (provisional). */
struct stor_rank_row {
    long rank;
    const char *holder; /* employee id or "team:N" */
    const char *name;
    long orders;
    int restricted;
    const char *dept; /* the employee's department, "" for a team */
};

/* Calls ROW for each holder of PERIOD by rank: the stored ranking of a closed period, else
 * the live one. *CLOSED (may be NULL) is set to 1 for a closed period. */
int stor_ranking(struct stor_admin *adm, const char *period,
                 void (*row)(void *arg, const struct stor_rank_row *r), void *arg, int *closed,
                 char *err, size_t errlen);

/* Checks "YYYY-MM" (month 01..12). 0 or -EINVAL. */
int stor_period_check(const char *period);

#endif
