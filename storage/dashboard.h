/*
 * dashboard.h: the managers' dashboard of the web console, on the blocking connection of
 * storage/admin.h: orders today and this period, orders per hour today, products by claims
 * and orders, and every active employee's orders this period (the page shows the top and
 * the bottom 10%; live figures, the closed ranking is storage/report.h's). Orders cancelled
 * are not counted; days and hours are Asia/Shanghai's, as the periods. Errors as admin.h
 * says.
 */
#ifndef ERM_DASHBOARD_H
#define ERM_DASHBOARD_H

#include <stddef.h>

#include "storage/admin.h"

struct stor_dashboard {
    char period[8];  /* "YYYY-MM" */
    long long today; /* orders today */
    long long period_orders;
    long long hours[24]; /* orders today by hour */
};

/* One product's line; strings valid during the callback only. */
struct stor_dash_product {
    const char *code, *name, *status;
    long long quota, claimed, orders; /* claims and orders of the scope, this period's orders */
};

/* One active employee's line. */
struct stor_dash_employee {
    const char *id, *name, *dept;
    long long orders; /* this period */
};

struct stor_dash_cbs {
    void (*product)(void *arg, const struct stor_dash_product *p);
    void (*employee)(void *arg, const struct stor_dash_employee *e); /* most orders first */
    void *arg;
};

/* Fills OUT and calls CBS's callbacks. DEPT (NULL or "" = every department) limits every
 * figure to the orders and claims of that department's employees (team-held ones left
 * out). */
int stor_dashboard(struct stor_admin *adm, const char *dept, struct stor_dashboard *out,
                   const struct stor_dash_cbs *cbs, char *err, size_t errlen);

#endif
