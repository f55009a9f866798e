/*
 * outbox_gauge.h: how the outbox stands, for GET /metrics: rows queued and sending, and how
 * long the oldest queued row has waited (what an operator alerts on: replies not leaving).
 * One cheap statement on the daemon's connection (the partial indexes on queued and sending
 * rows), read on a timer by daemon/daemon_metrics.c.
 */
#ifndef ERM_OUTBOX_GAUGE_H
#define ERM_OUTBOX_GAUGE_H

#include <stdint.h>

struct stor_db;

struct stor_outbox_gauge {
    int64_t queued;
    int64_t sending;
    double oldest_queued_s; /* since the oldest queued row was made; 0 when none is queued */
};

/* Reads the outbox's gauge on DB; CB(ARG, 0, gauge) or CB(ARG, -errno, NULL) follows (the
 * gauge is valid during the call only). Returns 0, or -ENOTCONN / -ECANCELED / -ENOMEM
 * (then CB is not called). */
int stor_outbox_gauge(struct stor_db *db,
                      void (*cb)(void *arg, int rc, const struct stor_outbox_gauge *g), void *arg);

#endif
