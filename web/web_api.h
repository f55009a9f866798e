/*
 * web_api.h: the JSON API's handlers (docs/api.md), by who calls them: web_manager.c for
 * managers and admins, web_mine.c for an employee's own data. ermweb.c lists them in its
 * route table with their access.
 */
#ifndef ERM_WEB_API_H
#define ERM_WEB_API_H

#include "web/web_server.h"

/* web_manager.c: every action writes the audit table; a manager with a department sees
 * and acts on it only. */
void web_manager_products(struct web_req *r);         /* GET  /api/v1/products */
void web_manager_product_add(struct web_req *r);      /* POST /api/v1/products */
void web_manager_product_show(struct web_req *r);     /* GET  /api/v1/products/CODE */
void web_manager_product_activate(struct web_req *r); /* POST .../CODE/activate */
void web_manager_product_retire(struct web_req *r);   /* POST .../CODE/retire */
void web_manager_people_import(struct web_req *r);    /* POST /api/v1/people/import */
void web_manager_handout(struct web_req *r);          /* POST /api/v1/handout */
void web_manager_optouts(struct web_req *r);          /* GET  /api/v1/optouts */
void web_manager_report(struct web_req *r);           /* GET  /api/v1/report */
void web_manager_ranking(struct web_req *r);          /* GET  /api/v1/ranking */
void web_manager_audit(struct web_req *r);            /* GET  /api/v1/audit */
void web_manager_dashboard(struct web_req *r);        /* GET  /api/v1/dashboard */

/* web_admin.c: the admins' user management (audited). */
void web_admin_users(struct web_req *r);    /* GET  /api/v1/users */
void web_admin_user_add(struct web_req *r); /* POST /api/v1/users */

/* web_teams.c: virtual teams, for managers of every department (audited). */
void web_teams_create(struct web_req *r); /* POST /api/v1/teams */
void web_teams_add(struct web_req *r);    /* POST /api/v1/teams/members */

/* web_mine.c: the session's employee only; no id is ever read from the request. */
void web_mine_codes(struct web_req *r);    /* GET  /api/v1/my/codes */
void web_mine_qr(struct web_req *r);       /* GET  /api/v1/my/qr/CODE?kind=sms|tel */
void web_mine_orders(struct web_req *r);   /* GET  /api/v1/my/orders?period=YYYY-MM */
void web_mine_rank(struct web_req *r);     /* GET  /api/v1/my/rank?period=YYYY-MM */
void web_mine_summary(struct web_req *r);  /* GET  /api/v1/my/summary?period=YYYY-MM */
void web_mine_free(void);                  /* the summaries kept in memory (at exit) */
void web_mine_products(struct web_req *r); /* GET  /api/v1/my/products (open to claim) */
void web_mine_claim(struct web_req *r);    /* POST /api/v1/my/claim */

#endif
