/*
 * daemon_metrics.h: what GET /metrics says of ermgw: the modules' counters (order path,
 * intake, sender), the bearers' links (gateway/bearer.h's bearer_stats), the database
 * connections, the group commit's histograms, and the outbox's gauge, read from storage on
 * a timer. Rendered into a fresh core/metrics.h registry at each scrape, on the loop thread.
 */
#ifndef ERM_DAEMON_METRICS_H
#define ERM_DAEMON_METRICS_H

#include <stddef.h>
#include <uv.h>

struct bearer;
struct mo_intake;
struct order_path;
struct outbox_sender;
struct stor_db;
struct daemon_metrics;

/* Borrowed slots of ermgw's (each may be NULL, or become NULL once closed); read at each
 * scrape, never kept. */
struct daemon_metrics_cfg {
    uv_loop_t *loop;
    struct order_path *const *orders;
    struct mo_intake *const *intake;
    struct outbox_sender *const *sender;
    struct bearer *const *sms;    /* the SMS bearer (SMPP) */
    struct bearer *const *phone;  /* the phone (SIP), NULL when none */
    struct stor_db *const *mo_db; /* the MO connections, N_MO_DB of them */
    const char *const *mo_db_names;
    unsigned n_mo_db;
    struct stor_db *const *db_out; /* the outbox connection: also the gauge's */
};

/* Creates it (CFG copied) with the gauge's timer started. Returns 0 or a negative errno. */
int daemon_metrics_create(const struct daemon_metrics_cfg *cfg, struct daemon_metrics **out);

/* Renders every metric into a malloc'd buffer (the caller frees it). 0 or -ENOMEM. */
int daemon_metrics_render(struct daemon_metrics *m, char **out, size_t *len);

/* Draining: the gauge's timer stops (its connection is about to close). */
void daemon_metrics_drain(struct daemon_metrics *m);

/* Closes its timer and frees it after the close; a gauge read in flight must be over (its
 * connection closed). */
void daemon_metrics_destroy(struct daemon_metrics *m);

#endif
