/*
 * admin_http.h: ermgw's operations endpoint ([admin] listen): GET /metrics (the Prometheus
 * text format, rendered by the caller) and GET /healthz (200 when the SMS bearer is bound
 * and the database is up and ermgw is not stopping, else 503; a small JSON body says
 * which). libmicrohttpd parses HTTP without a thread of its own: its epoll descriptor is
 * watched on ermgw's libuv loop, so both pages are made on the loop thread, reading the
 * modules' counters with no lock.
 */
#ifndef ERM_ADMIN_HTTP_H
#define ERM_ADMIN_HTTP_H

#include <stddef.h>
#include <uv.h>

/* What GET /healthz says. */
struct admin_http_health {
    int bound;    /* the SMS bearer has a link up */
    int db_up;    /* every database connection is up */
    int stopping; /* SIGTERM seen: going away */
};

struct admin_http_cfg {
    uv_loop_t *loop;
    const char *listen; /* address:port, checked by core/config.c (copied) */
    /* Renders the metrics into a malloc'd buffer the server frees. 0 or a negative errno
     * (then 500). */
    int (*metrics)(void *ud, char **body, size_t *len);
    /* Fills H. */
    void (*health)(void *ud, struct admin_http_health *h);
    void *ud;
};

struct admin_http;

/* Listens on CFG->listen. Returns 0, or a negative errno with one line in ERR (the address
 * taken, not an address). */
int admin_http_start(const struct admin_http_cfg *cfg, struct admin_http **out, char *err,
                     size_t errlen);

/* Stops listening, drops the connections open, and frees A once its handles are closed. */
void admin_http_stop(struct admin_http *a);

#endif
