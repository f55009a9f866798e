/*
 * daemon_metrics.c: ermgw's metrics (see daemon_metrics.h). Each scrape declares every
 * family in a fresh registry (core/metrics.h) and copies the counters in: the modules keep
 * plain counters of their own (what the traffic summary logs too), so nothing here is
 * counted twice and nothing outlives a scrape. The only state is the outbox's gauge: a query
 * every metrics_outbox ms on the outbox connection while running, its last answer kept.
 *
 * Names follow Prometheus' conventions: ermgw_ prefix, counters in _total, times in
 * _seconds; label values come from closed sets (reply kinds, refusal reasons, receipt
 * states, the bearer's status names), never from a message.
 */
#include "daemon/daemon_metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/metrics.h"
#include "core/reply.h"
#include "core/tunables.h"
#include "daemon/mo_intake.h"
#include "daemon/order_path.h"
#include "daemon/outbox_sender.h"
#include "gateway/bearer.h"
#include "storage/db.h"
#include "storage/orders.h"
#include "storage/outbox_gauge.h"
#include "version.h"

struct daemon_metrics {
    struct daemon_metrics_cfg cfg;
    uv_timer_t timer;
    int reading; /* a gauge read in flight */
    int draining;
    struct stor_outbox_gauge gauge; /* the last read */
};

/* The families, declared in this order at each scrape. */
static const struct {
    const char *name;
    enum metrics_type type;
    const char *labels;
    const char *help;
} daemon_metrics_families[] = {
    {"ermgw_build_info", METRICS_GAUGE, "version", "ermgw's version (always 1)"},
    {"ermgw_mo_total", METRICS_COUNTER, "outcome",
     "Whole MOs answered: committed, redelivered (handled before), retry_later (nothing "
     "stored), refused (for good)"},
    {"ermgw_mo_refused_total", METRICS_COUNTER, "channel,reason",
     "Messages refused before any command: an address that is not text, a source that is not "
     "a mobile number, a receipt whose id is not text"},
    {"ermgw_mo_replies_total", METRICS_COUNTER, "reply", "Committed MOs by the reply they caused"},
    {"ermgw_orders_total", METRICS_COUNTER, "channel", "Orders placed, by channel"},
    {"ermgw_mo_parts_total", METRICS_COUNTER, "", "Parts of long MOs stored"},
    {"ermgw_mo_in_flight", METRICS_GAUGE, "", "MO jobs not yet answered"},
    {"ermgw_mo_ack_latency_seconds", METRICS_HISTOGRAM, "",
     "From an MO's arrival to its acceptance after commit"},
    {"ermgw_receipts_total", METRICS_COUNTER, "state", "Delivery receipts applied, by state"},
    {"ermgw_replies_submitted_total", METRICS_COUNTER, "", "Reply parts handed to the bearer"},
    {"ermgw_submit_results_total", METRICS_COUNTER, "status",
     "Results of submitted parts, by the bearer's status"},
    {"ermgw_replies_total", METRICS_COUNTER, "result",
     "Outbox rows settled: sent, requeued (tried again later), failed"},
    {"ermgw_bearer_binds_total", METRICS_COUNTER, "bearer", "Links brought up (bound, listening)"},
    {"ermgw_bearer_reconnects_total", METRICS_COUNTER, "bearer",
     "Connection attempts after a link was lost or failed"},
    {"ermgw_bearer_link_up", METRICS_GAUGE, "bearer,link", "1 when the link is bound (listening)"},
    {"ermgw_bearer_window_in_use", METRICS_GAUGE, "bearer,link",
     "Submits awaiting their response (SIP: calls in progress)"},
    {"ermgw_bearer_window_size", METRICS_GAUGE, "bearer,link",
     "The window's size (SIP: calls at once at most)"},
    {"ermgw_outbox_rows", METRICS_GAUGE, "state", "Outbox rows queued and sending"},
    {"ermgw_outbox_oldest_queued_age_seconds", METRICS_GAUGE, "",
     "How long the oldest queued outbox row has waited (0: none queued)"},
    {"ermgw_lease_held", METRICS_GAUGE, "",
     "1 while this gateway's lease holds (its sending outbox rows are its own)"},
    {"ermgw_lease_lapses_total", METRICS_COUNTER, "",
     "Times the lease lapsed (frozen, or the database out of reach for a whole lease)"},
    {"ermgw_db_connections", METRICS_GAUGE, "", "Database connections ermgw keeps"},
    {"ermgw_db_connection_up", METRICS_GAUGE, "connection", "1 when the connection is up"},
    {"ermgw_order_batch_size", METRICS_HISTOGRAM, "", "Orders per group-commit transaction"},
    {"ermgw_order_batch_duration_seconds", METRICS_HISTOGRAM, "",
     "Group-commit transactions, from BEGIN to COMMIT"},
};

#define DAEMON_METRICS_NFAM (sizeof daemon_metrics_families / sizeof daemon_metrics_families[0])

/* ---- the outbox's gauge ---- */

static void daemon_metrics_gauge_read(void *arg, int rc, const struct stor_outbox_gauge *g)
{
    struct daemon_metrics *m = arg;
    m->reading = 0;
    if (rc == 0)
        m->gauge = *g;
    else
        ERM_DEBUG("metrics", "outbox gauge not read: %s", strerror(-rc));
}

static void daemon_metrics_on_timer(uv_timer_t *t)
{
    struct daemon_metrics *m = t->data;
    struct stor_db *db = *m->cfg.db_out;
    if (m->reading || m->draining || db == NULL || !stor_db_is_up(db))
        return;
    m->reading = 1;
    if (stor_outbox_gauge(db, daemon_metrics_gauge_read, m) < 0)
        m->reading = 0;
}

/* ---- rendering ---- */

/* One value into R; a failure (out of memory) is counted in *RC. */
static void daemon_metrics_put(struct metrics_reg *r, const char *name, const char *const *labels,
                               double v, int *rc)
{
    int e = metrics_set(r, name, labels, v);
    if (e < 0 && *rc == 0)
        *rc = e;
}

static void daemon_metrics_put_hist(struct metrics_reg *r, const char *name,
                                    const struct metrics_hist *h, int *rc)
{
    int e = metrics_set_hist(r, name, NULL, h);
    if (e < 0 && *rc == 0)
        *rc = e;
}

static const char *daemon_metrics_channel(unsigned ch)
{
    return ch == 1 ? "phone" : "sms";
}

static void daemon_metrics_orders(struct metrics_reg *r, const struct order_path *op,
                                  const struct mo_intake_counts *in, int *rc)
{
    const struct order_path_counts *c = order_path_counts(op);
    double refused = (double)(c->refused + (in != NULL ? in->refused : 0));
    daemon_metrics_put(r, "ermgw_mo_total", (const char *[]){"committed"}, (double)c->committed,
                       rc);
    daemon_metrics_put(r, "ermgw_mo_total", (const char *[]){"redelivered"}, (double)c->redelivered,
                       rc);
    daemon_metrics_put(r, "ermgw_mo_total", (const char *[]){"retry_later"}, (double)c->retry_later,
                       rc);
    daemon_metrics_put(r, "ermgw_mo_total", (const char *[]){"refused"}, refused, rc);
    for (int k = 0; k < REPLY_KIND_COUNT; k++)
        daemon_metrics_put(r, "ermgw_mo_replies_total",
                           (const char *[]){reply_kind_name((enum reply_kind)k)},
                           (double)c->replies[k], rc);
    for (unsigned ch = 0; ch < ORDER_PATH_CHANNELS; ch++)
        daemon_metrics_put(r, "ermgw_orders_total", (const char *[]){daemon_metrics_channel(ch)},
                           (double)c->orders[ch], rc);
    daemon_metrics_put(r, "ermgw_mo_in_flight", NULL, (double)order_path_inflight(op), rc);
    daemon_metrics_put_hist(r, "ermgw_mo_ack_latency_seconds", &c->ack_latency, rc);
}

static void daemon_metrics_intake(struct metrics_reg *r, const struct mo_intake_counts *c, int *rc)
{
    for (unsigned ch = 0; ch < 2; ch++)
        for (int why = 0; why < MO_INTAKE_REFUSALS; why++)
            daemon_metrics_put(
                r, "ermgw_mo_refused_total",
                (const char *[]){daemon_metrics_channel(ch),
                                 mo_intake_refusal_name((enum mo_intake_refusal)why)},
                (double)c->refused_by[why][ch], rc);
    daemon_metrics_put(r, "ermgw_mo_parts_total", NULL, (double)c->parts, rc);
    for (unsigned i = 0; i < MO_INTAKE_RECEIPT_STATES; i++)
        daemon_metrics_put(r, "ermgw_receipts_total",
                           (const char *[]){mo_intake_receipt_state_name(i)},
                           (double)c->receipt_states[i], rc);
}

static void daemon_metrics_sender(struct metrics_reg *r, const struct outbox_sender_counts *c,
                                  struct bearer *b, int *rc)
{
    daemon_metrics_put(r, "ermgw_replies_submitted_total", NULL, (double)c->submitted, rc);
    for (unsigned i = 0; i < c->nresults; i++) {
        /* Two statuses may share a name ("unknown"): added up. */
        const char *name = bearer_status_name(b, c->results[i].status);
        int e = metrics_add(r, "ermgw_submit_results_total", (const char *[]){name},
                            (double)c->results[i].n);
        if (e < 0 && *rc == 0)
            *rc = e;
    }
    if (c->other_results > 0)
        daemon_metrics_put(r, "ermgw_submit_results_total", (const char *[]){"other"},
                           (double)c->other_results, rc);
    daemon_metrics_put(r, "ermgw_replies_total", (const char *[]){"sent"}, (double)c->sent, rc);
    daemon_metrics_put(r, "ermgw_replies_total", (const char *[]){"requeued"}, (double)c->requeued,
                       rc);
    daemon_metrics_put(r, "ermgw_replies_total", (const char *[]){"failed"}, (double)c->failed, rc);
    daemon_metrics_put(r, "ermgw_lease_lapses_total", NULL, (double)c->lease_lapses, rc);
}

static void daemon_metrics_bearer(struct metrics_reg *r, struct bearer *b, int *rc)
{
    struct bearer_stats st;
    bearer_stats(b, &st);
    const char *kind = b->ops->kind;
    daemon_metrics_put(r, "ermgw_bearer_binds_total", (const char *[]){kind}, (double)st.binds, rc);
    daemon_metrics_put(r, "ermgw_bearer_reconnects_total", (const char *[]){kind},
                       (double)st.reconnects, rc);
    for (unsigned i = 0; i < st.nlinks && i < BEARER_LINKS_MAX; i++) {
        char link[16];
        snprintf(link, sizeof link, "%u", i);
        const char *lv[] = {kind, link};
        daemon_metrics_put(r, "ermgw_bearer_link_up", lv, st.link[i].up ? 1 : 0, rc);
        daemon_metrics_put(r, "ermgw_bearer_window_in_use", lv, (double)st.link[i].in_use, rc);
        daemon_metrics_put(r, "ermgw_bearer_window_size", lv, (double)st.link[i].window, rc);
    }
}

/* The connections' states, and the group commit's histograms summed over them. */
static void daemon_metrics_db(struct metrics_reg *r, const struct daemon_metrics_cfg *cfg, int *rc)
{
    struct metrics_hist size, secs;
    metrics_hist_init(&size, metrics_size_bounds, METRICS_SIZE_NBOUNDS);
    metrics_hist_init(&secs, metrics_seconds_bounds, METRICS_SECONDS_NBOUNDS);
    daemon_metrics_put(r, "ermgw_db_connections", NULL, (double)cfg->n_mo_db + 1, rc);
    for (unsigned i = 0; i <= cfg->n_mo_db; i++) {
        struct stor_db *db = i < cfg->n_mo_db ? cfg->mo_db[i] : *cfg->db_out;
        const char *name = i < cfg->n_mo_db ? cfg->mo_db_names[i] : "outbox";
        daemon_metrics_put(r, "ermgw_db_connection_up", (const char *[]){name},
                           db != NULL && stor_db_is_up(db) ? 1 : 0, rc);
        if (db != NULL && i < cfg->n_mo_db)
            stor_order_batch_stats(db, &size, &secs);
    }
    daemon_metrics_put_hist(r, "ermgw_order_batch_size", &size, rc);
    daemon_metrics_put_hist(r, "ermgw_order_batch_duration_seconds", &secs, rc);
}

int daemon_metrics_render(struct daemon_metrics *m, char **out, size_t *len)
{
    const struct daemon_metrics_cfg *cfg = &m->cfg;
    struct metrics_reg *r = NULL;
    int rc = metrics_reg_create(&r);
    for (size_t i = 0; rc == 0 && i < DAEMON_METRICS_NFAM; i++)
        rc = metrics_family(r, daemon_metrics_families[i].name, daemon_metrics_families[i].type,
                            daemon_metrics_families[i].help, daemon_metrics_families[i].labels);
    if (rc == 0) {
        const struct mo_intake_counts *in =
            *cfg->intake != NULL ? mo_intake_counts(*cfg->intake) : NULL;
        daemon_metrics_put(r, "ermgw_build_info", (const char *[]){ERM_VERSION}, 1, &rc);
        if (*cfg->orders != NULL)
            daemon_metrics_orders(r, *cfg->orders, in, &rc);
        if (in != NULL)
            daemon_metrics_intake(r, in, &rc);
        if (*cfg->sender != NULL && *cfg->sms != NULL) {
            daemon_metrics_sender(r, outbox_sender_counts(*cfg->sender), *cfg->sms, &rc);
            daemon_metrics_put(r, "ermgw_lease_held", NULL,
                               (double)outbox_sender_lease_held(*cfg->sender), &rc);
        }
        if (*cfg->sms != NULL)
            daemon_metrics_bearer(r, *cfg->sms, &rc);
        if (cfg->phone != NULL && *cfg->phone != NULL)
            daemon_metrics_bearer(r, *cfg->phone, &rc);
        daemon_metrics_put(r, "ermgw_outbox_rows", (const char *[]){"queued"},
                           (double)m->gauge.queued, &rc);
        daemon_metrics_put(r, "ermgw_outbox_rows", (const char *[]){"sending"},
                           (double)m->gauge.sending, &rc);
        daemon_metrics_put(r, "ermgw_outbox_oldest_queued_age_seconds", NULL,
                           m->gauge.oldest_queued_s, &rc);
        daemon_metrics_db(r, cfg, &rc);
    }
    if (rc == 0)
        rc = metrics_render(r, out, len);
    metrics_reg_free(r);
    return rc;
}

/* ---- life ---- */

int daemon_metrics_create(const struct daemon_metrics_cfg *cfg, struct daemon_metrics **out)
{
    struct daemon_metrics *m = calloc(1, sizeof *m);
    if (m == NULL)
        return -ENOMEM;
    m->cfg = *cfg;
    int rc = uv_timer_init(cfg->loop, &m->timer);
    if (rc < 0) {
        free(m);
        return rc;
    }
    m->timer.data = m;
    uint64_t every = tun_value(TUN_METRICS_OUTBOX);
    uv_timer_start(&m->timer, daemon_metrics_on_timer, every, every);
    *out = m;
    return 0;
}

void daemon_metrics_drain(struct daemon_metrics *m)
{
    if (m == NULL)
        return;
    m->draining = 1;
    uv_timer_stop(&m->timer);
}

static void daemon_metrics_closed(uv_handle_t *h)
{
    free(h->data);
}

void daemon_metrics_destroy(struct daemon_metrics *m)
{
    if (m == NULL)
        return;
    uv_close((uv_handle_t *)&m->timer, daemon_metrics_closed);
}
