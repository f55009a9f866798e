/*
 * ermgw.c: the daemon's entry point and the owner of its lifecycle. Reads the configuration,
 * opens the database connections and the bearers (the SMPP session for every SMS, and the
 * SIP trunk for calls when [sip] listen is set, behind gateway/bearer.h) on one libuv
 * loop, wires incoming messages to the intake and the order path and the outbox to the
 * sender, and is the only file that knows where the process is in its life:
 *
 *   running   taking messages, sending the outbox.
 *   draining  SIGTERM/SIGINT seen: each module is told (the order path answers new messages
 *             retry-later, the intake stops its timers, the sender puts rows not yet
 *             submitted back in the queue, the bearer never connects or binds again) and
 *             reports idle through the callback it was given; bounded by the stop_timeout
 *             tunable (core/tunables.c).
 *   closing   both idle (or the bound passed): the bearers stop (the SMPP bind unbinds, the
 *             phone lets calls in progress end), then every database connection closes.
 *   done      everything closed: "stopped", the loop ends, the process exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/readfile.h"
#include "core/config.h"
#include "core/tunables.h"
#include "daemon/admin_http.h"
#include "daemon/daemon_metrics.h"
#include "daemon/mo_intake.h"
#include "daemon/order_path.h"
#include "daemon/outbox_sender.h"
#include "gateway/bearer.h"
#include "gateway/cmpp_bearer.h"
#include "gateway/sip_bearer.h"
#include "gateway/smpp_bearer.h"
#include "storage/admin.h"
#include "storage/db.h"
#include "storage/migrate.h"
#include "storage/orders.h"
#include "storage/outbox.h"
#include "version.h"

enum ermgw_life { ERMGW_RUNNING, ERMGW_DRAINING, ERMGW_CLOSING, ERMGW_DONE };

/* The MO connections' names, for logs and the metrics. */
static const char *const ermgw_db_names[CONFIG_MO_CONNECTIONS_MAX] = {"mo",  "mo2", "mo3", "mo4",
                                                                      "mo5", "mo6", "mo7", "mo8"};

/* The process: one instance, one loop; nothing outside this file sees it. */
struct ermgw {
    uv_loop_t *loop;
    struct erm_config cfg;
    enum ermgw_life life;
    struct bearer *bearer;
    int bearer_started;
    /* The phone (the SIP trunk, gateway/sip_bearer.h) when [sip] listen is set: calls in,
     * nothing out; started with the SMS bearer once the database is up. */
    struct bearer *phone;
    int phone_started;
    unsigned bearers_stopping; /* closing: bearers whose on_stopped has not come */
    /* The MO connections ([database] connections): a customer's MOs and what they cause
     * on the same one while any is in progress (order_path.c, [database] spill); the first
     * also keeps the parts of long MOs
     * and the housekeeping. Slots are NULLed once closed (the modules read them). */
    struct stor_db *mo_db[CONFIG_MO_CONNECTIONS_MAX];
    unsigned n_mo_db;
    struct stor_db *db_out; /* the outbox connection: takes, rows sent, receipts */
    unsigned dbs_closing;   /* connections still closing */
    int dbs_all_up;         /* every MO connection is up */
    struct order_path *orders;
    struct mo_intake *intake;
    struct outbox_sender *sender;
    /* [admin] listen: GET /metrics and /healthz (NULL when not set). Served until every
     * connection is closed; the modules they read are freed after. */
    struct daemon_metrics *metrics;
    struct admin_http *admin;
    int orders_idle, sender_idle; /* draining: reported idle */
    int deadline_passed;          /* the drain's bound passed with work in flight */
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t stop_timer;    /* bounds the drain */
    uv_timer_t summary_timer; /* the traffic summary at info (log_summary) */
    /* The counters at the last summary, so each line says what happened since. */
    struct order_path_counts last_orders;
    struct mo_intake_counts last_intake;
    struct outbox_sender_counts last_sender;
    int outbox_recovered; /* sending rows of an earlier run put back, once per start */
    int exit_code;
};

static void ermgw_usage(FILE *out)
{
    fprintf(out, "usage: ermgw --config FILE [--check]\n"
                 "\n"
                 "The ermgw daemon: binds to the carrier's SMSC over SMPP 3.4 as a transceiver,\n"
                 "turns customers' SMS (product codes such as 10001 sent to the service number)\n"
                 "into orders stored in PostgreSQL, and sends the replies from the outbox.\n"
                 "With [sip] listen set it also answers calls to phone codes (1008610001) on\n"
                 "the carrier's SIP trunk: the order is placed, the caller hears its outcome.\n"
                 "\n"
                 "  -c, --config FILE  the INI configuration (see etc/ermgw.conf)\n"
                 "      --check        check the configuration, print it, and exit\n"
                 "      --tunables     the built-in timers and tunables, and exit\n"
                 "  -h, --help         this text\n"
                 "  -V, --version      the version\n"
                 "\n"
                 "Signals: SIGTERM/SIGINT stop gracefully (exit 0); SIGHUP reopens the log file.\n"
                 "Exit status: 0 stopped cleanly, 1 runtime failure, 2 bad command line or "
                 "configuration.\n");
}

/* [gateway] id not given: the host name, which must then be a good id. */
static int ermgw_default_id(const char *path, struct erm_config *cfg)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) < 0 || !config_gateway_id_ok(host)) {
        fprintf(stderr,
                "ermgw: %s: [gateway] id: missing, and the host name cannot stand for it; "
                "give one of 1 to %d of A-Z a-z 0-9 . _ -\n",
                path, CONFIG_GATEWAY_ID_MAX);
        return -EINVAL;
    }
    memcpy(cfg->gateway_id, host, strlen(host) + 1); /* fits: config_gateway_id_ok */
    return 0;
}

static int ermgw_load_config(const char *path, struct erm_config *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = readfile_all(path, &buf, &len);
    if (rc < 0) {
        fprintf(stderr, "ermgw: %s: %s\n", path, strerror(-rc));
        return rc;
    }
    char err[512];
    config_defaults(cfg);
    rc = config_parse(path, buf, len, cfg, err, sizeof err);
    free(buf);
    if (rc < 0) {
        /* The message quotes the file's bytes (a section name, a key): escaped like a log
         * record, so that an ESC or a newline in the file cannot reach the terminal. */
        char shown[4 * sizeof err];
        erm_log_escape(err, strlen(err), shown, sizeof shown);
        fprintf(stderr, "ermgw: %s\n", shown);
    }
    if (rc == 0 && cfg->gateway_id[0] == '\0')
        rc = ermgw_default_id(path, cfg);
    return rc;
}

/* The table of core/tunables.c, one line each. */
static void ermgw_tunables(FILE *out)
{
    fprintf(out, "%-20s %8s %-8s %s\n", "NAME", "DEFAULT", "UNIT", "WHAT IT BOUNDS");
    for (int i = 0; i < TUN_COUNT; i++) {
        const struct tunable *t = tun_entry((enum tun_id)i);
        fprintf(out, "%-20s %8llu %-8s %s\n", t->name, (unsigned long long)t->value, t->unit,
                t->bounds);
    }
}

static enum erm_log_level ermgw_level(const char *name)
{
    if (strcmp(name, "debug") == 0)
        return ERM_LOG_DEBUG;
    if (strcmp(name, "warn") == 0)
        return ERM_LOG_WARN;
    if (strcmp(name, "error") == 0)
        return ERM_LOG_ERROR;
    return ERM_LOG_INFO;
}

/* ---- the bearer's events ---- */

/* Bound, or the bearer's pacing allows submits again. */
static void ermgw_on_ready(void *ud, struct bearer *b)
{
    struct ermgw *d = ud;
    (void)b;
    outbox_sender_on_ready(d->sender);
}

static void ermgw_on_unbound(void *ud, struct bearer *b)
{
    struct ermgw *d = ud;
    (void)b;
    outbox_sender_on_unbound(d->sender);
}

static void ermgw_on_message(void *ud, struct bearer *b, const struct gw_mo *mo)
{
    struct ermgw *d = ud;
    mo_intake_message(d->intake, b, mo);
}

static void ermgw_on_submit_result(void *ud, struct bearer *b, uint64_t cookie, int64_t status,
                                   const char *message_id)
{
    struct ermgw *d = ud;
    (void)b;
    outbox_sender_on_result(d->sender, cookie, status, message_id);
}

/* One info line of what happened since the last one (nothing when nothing did): each
 * message's own lines are at debug, so that a busy carrier's log stays small and holds no
 * customer's text unless asked for. */
static void ermgw_summary(struct ermgw *d)
{
    if (d->orders == NULL || d->intake == NULL || d->sender == NULL)
        return;
    struct order_path_counts o = *order_path_counts(d->orders);
    struct mo_intake_counts in = *mo_intake_counts(d->intake);
    struct outbox_sender_counts out = *outbox_sender_counts(d->sender);
    uint64_t mo[] = {o.committed - d->last_orders.committed,
                     o.redelivered - d->last_orders.redelivered,
                     o.retry_later - d->last_orders.retry_later,
                     o.refused - d->last_orders.refused + in.refused - d->last_intake.refused,
                     in.parts - d->last_intake.parts,
                     in.receipts - d->last_intake.receipts};
    uint64_t mt[] = {out.sent - d->last_sender.sent, out.requeued - d->last_sender.requeued,
                     out.failed - d->last_sender.failed};
    uint64_t any = 0;
    for (size_t i = 0; i < sizeof mo / sizeof mo[0]; i++)
        any |= mo[i];
    for (size_t i = 0; i < sizeof mt / sizeof mt[0]; i++)
        any |= mt[i];
    d->last_orders = o;
    d->last_intake = in;
    d->last_sender = out;
    if (any == 0)
        return;
    ERM_INFO("ermgw",
             "since the last summary: MOs %" PRIu64 " committed, %" PRIu64 " redelivered, %" PRIu64
             " retry-later, %" PRIu64 " refused, %" PRIu64 " parts kept, %" PRIu64
             " receipts; replies %" PRIu64 " sent, %" PRIu64 " queued again, %" PRIu64 " failed",
             mo[0], mo[1], mo[2], mo[3], mo[4], mo[5], mt[0], mt[1], mt[2]);
}

static void ermgw_on_summary(uv_timer_t *t)
{
    ermgw_summary(t->data);
}

static void ermgw_close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Every connection closed (or never opened): the rest goes. */
static void ermgw_db_closed(void *ud)
{
    struct ermgw *d = ud;
    for (unsigned i = 0; i < d->n_mo_db; i++)
        d->mo_db[i] = NULL;
    d->db_out = NULL;
    ermgw_summary(d);          /* the last one: what happened since the one before */
    admin_http_stop(d->admin); /* before what its pages read goes */
    d->admin = NULL;
    daemon_metrics_destroy(d->metrics);
    d->metrics = NULL;
    if (d->sender != NULL)
        outbox_sender_destroy(d->sender);
    d->sender = NULL;
    if (d->intake != NULL)
        mo_intake_destroy(d->intake);
    d->intake = NULL;
    ermgw_close_handle((uv_handle_t *)&d->sig_term);
    ermgw_close_handle((uv_handle_t *)&d->sig_int);
    ermgw_close_handle((uv_handle_t *)&d->sig_hup);
    ermgw_close_handle((uv_handle_t *)&d->stop_timer);
    ermgw_close_handle((uv_handle_t *)&d->summary_timer);
    d->life = ERMGW_DONE;
    ERM_INFO("ermgw", "stopped");
}

static void ermgw_one_db_closed(void *ud)
{
    struct ermgw *d = ud;
    if (--d->dbs_closing == 0)
        ermgw_db_closed(d);
}

/* Closes the connections that are open (past the deadline, cancelling what is in flight);
 * ermgw_db_closed() once they all are. Each slot is emptied as its close starts: a
 * connection may be freed before the others are closed, and the modules read the slots. */
static void ermgw_close_dbs(struct ermgw *d)
{
    d->dbs_closing = 1; /* held until every close is started */
    for (unsigned i = 0; i <= d->n_mo_db; i++) {
        struct stor_db **slot = i < d->n_mo_db ? &d->mo_db[i] : &d->db_out;
        struct stor_db *db = *slot;
        *slot = NULL;
        if (db == NULL)
            continue;
        d->dbs_closing++;
        if (d->deadline_passed)
            stor_db_abort(db, ermgw_one_db_closed, d);
        else
            stor_db_close(db, ermgw_one_db_closed, d);
    }
    ermgw_one_db_closed(d);
}

/* A bearer stopped: the connections close once every bearer has. */
static void ermgw_on_stopped(void *ud, struct bearer *b)
{
    struct ermgw *d = ud;
    (void)b;
    if (d->bearers_stopping > 0 && --d->bearers_stopping == 0)
        ermgw_close_dbs(d);
}

/* ---- the phone bearer ---- */

/* Creates the phone bearer when [sip] listen is set (loading its prompts: a missing one
 * stops start-up). Returns 0 or a negative errno (logged). */
static int ermgw_phone_create(struct ermgw *d)
{
    static const struct bearer_events ev = {
        .on_message = ermgw_on_message,
        .on_stopped = ermgw_on_stopped,
    };
    if (d->cfg.sip_listen[0] == '\0')
        return 0;
    struct sip_bearer_cfg pc = {
        .trunk =
            {
                .listen = d->cfg.sip_listen,
                .peers = d->cfg.sip_peers,
                .rtp_ports = d->cfg.sip_rtp_ports,
                .strip_prefix = d->cfg.sip_strip_prefix,
                .max_calls = d->cfg.sip_max_calls,
            },
        .prompts = d->cfg.sip_prompts,
    };
    char err[512];
    int rc = sip_bearer_create(d->loop, &pc, &ev, d, &d->phone, err, sizeof err);
    if (rc < 0)
        ERM_ERROR("ermgw", "[sip] prompts: %s", err);
    return rc;
}

/* Starts listening for calls (once the database is up, like the SMPP bind). */
static int ermgw_phone_start(struct ermgw *d)
{
    if (d->phone == NULL || d->phone_started)
        return 0;
    int rc = bearer_start(d->phone);
    if (rc == 0)
        d->phone_started = 1;
    else
        ERM_ERROR("ermgw", "SIP trunk: %s", uv_strerror(rc));
    return rc;
}

/* Closing: the SMS bearer and the phone stop; the connections close once every bearer
 * started has reported on_stopped (ermgw_on_stopped counts them down). */
static void ermgw_bearers_stop(struct ermgw *d)
{
    d->bearers_stopping = (unsigned)d->bearer_started + (unsigned)d->phone_started;
    if (d->phone_started)
        bearer_stop(d->phone);
    if (d->bearer_started)
        bearer_stop(d->bearer);
}

/* draining -> closing: the bearer unbinds and stops, then the connections close. */
static void ermgw_close(struct ermgw *d)
{
    if (d->life != ERMGW_DRAINING)
        return;
    d->life = ERMGW_CLOSING;
    uv_timer_stop(&d->stop_timer);
    /* Consumers' timers first: nothing polls a connection about to close. */
    outbox_sender_stop_polling(d->sender);
    if (!d->bearer_started && !d->phone_started) {
        /* Never bound (the database never came up): only the database to close. */
        ermgw_close_dbs(d);
        return;
    }
    ERM_INFO("ermgw", "unbinding and closing");
    ermgw_bearers_stop(d);
}

/* Draining goes on to closing once the order path and the sender both reported idle. */
static void ermgw_maybe_close(struct ermgw *d)
{
    if (d->life == ERMGW_DRAINING && d->orders_idle && d->sender_idle)
        ermgw_close(d);
}

static void ermgw_orders_idle(void *ud)
{
    struct ermgw *d = ud;
    d->orders_idle = 1;
    ermgw_maybe_close(d);
}

static void ermgw_sender_idle(void *ud)
{
    struct ermgw *d = ud;
    d->sender_idle = 1;
    ermgw_maybe_close(d);
}

/* A reply committed: the outbox may have rows. */
static void ermgw_committed(void *ud)
{
    struct ermgw *d = ud;
    if (d->sender != NULL)
        outbox_sender_kick(d->sender);
}

/* running -> draining: every module told; each reports idle (maybe at once). */
static void ermgw_drain(struct ermgw *d)
{
    if (d->life != ERMGW_RUNNING)
        return;
    d->life = ERMGW_DRAINING;
    bearer_drain(d->bearer);
    if (d->phone != NULL)
        bearer_drain(d->phone);
    mo_intake_drain(d->intake);
    daemon_metrics_drain(d->metrics);
    outbox_sender_drain(d->sender);
    order_path_drain(d->orders);
}

static void ermgw_on_stop_timer(uv_timer_t *t)
{
    struct ermgw *d = t->data;
    if (d->life == ERMGW_RUNNING) { /* a failed start: stop at once */
        ermgw_drain(d);
        ermgw_close(d);
        return;
    }
    unsigned mos = order_path_inflight(d->orders);
    unsigned rows = outbox_sender_busy(d->sender);
    if (mos > 0 || rows > 0) {
        ERM_WARN("ermgw",
                 "stop: %u MO transaction(s) and %u outbox row(s) still running after %llu ms; "
                 "closing anyway: transactions in flight are cancelled, their MOs not "
                 "acknowledged (the SMSC delivers them again); rows left sending are queued "
                 "again at the next start",
                 mos, rows, (unsigned long long)tun_value(TUN_STOP_TIMEOUT));
        d->deadline_passed = 1;
    }
    ermgw_close(d);
}

static void ermgw_on_signal(uv_signal_t *h, int signum)
{
    struct ermgw *d = h->data;
    if (signum == SIGHUP) {
        if (d->cfg.log_file[0] == '\0') {
            ERM_INFO("ermgw", "SIGHUP: logging to stderr, no file to reopen");
            return;
        }
        /* erm_log_open keeps the file it had when the new one cannot be opened. */
        int rc = erm_log_open(d->cfg.log_file);
        if (rc < 0)
            ERM_WARN("ermgw",
                     "SIGHUP: cannot reopen %s (%s); logging goes on to the file opened "
                     "before",
                     d->cfg.log_file, strerror(-rc));
        else
            ERM_INFO("ermgw", "SIGHUP: log reopened");
        return;
    }
    if (d->life != ERMGW_RUNNING)
        return;
    ERM_INFO("ermgw", "%s: stopping (no new MOs, finishing %u in flight)",
             signum == SIGTERM ? "SIGTERM" : "SIGINT", order_path_inflight(d->orders));
    uv_timer_start(&d->stop_timer, ermgw_on_stop_timer, tun_value(TUN_STOP_TIMEOUT), 0);
    ermgw_drain(d); /* may close already */
}

/* An MO connection came up or went down. "database up" is logged (and waited for by
 * operators and tests) once every MO connection is up again. */
static void ermgw_on_db_state(void *ud, int up)
{
    struct ermgw *d = ud;
    unsigned n = 0;
    for (unsigned i = 0; i < d->n_mo_db; i++)
        n += d->mo_db[i] != NULL && stor_db_is_up(d->mo_db[i]);
    /* Parts of long MOs (kept on the first connection) may have waited: look now, without
     * waiting for the other connections. */
    if (up && d->intake != NULL && d->mo_db[0] != NULL && stor_db_is_up(d->mo_db[0]))
        mo_intake_on_db_up(d->intake);
    if (!up || n < d->n_mo_db) {
        d->dbs_all_up = 0;
        return;
    }
    if (!d->dbs_all_up)
        ERM_INFO("ermgw", "database up (%u MO connection%s)", n, n == 1 ? "" : "s");
    d->dbs_all_up = 1;
}

static void ermgw_recovered(void *ud, int rc)
{
    struct ermgw *d = ud;
    if (rc < 0)
        ERM_WARN("ermgw",
                 "outbox recovery failed (%s); rows left sending stay until the "
                 "next start",
                 strerror(-rc));
    outbox_sender_kick(d->sender);
}

/* The outbox connection: rows left sending by an earlier run are queued again once, when
 * it is first up, before the sender takes any. */
static void ermgw_on_out_change(void *ud, int up)
{
    struct ermgw *d = ud;
    if (!up)
        return;
    if (d->outbox_recovered) {
        outbox_sender_kick(d->sender);
        return;
    }
    d->outbox_recovered = 1;
    if (stor_outbox_recover(d->db_out, d->cfg.gateway_id, ermgw_recovered, d) < 0) {
        ERM_WARN("ermgw", "outbox recovery not started");
        outbox_sender_kick(d->sender);
    }
}

/* An MO connection: the first time one is up, the bearer starts (MOs take an MO connection
 * that is up, so one is enough to store them; a server short of connections for the others
 * does not keep ermgw unbound). While the database cannot store anything, the SMSC keeps the
 * MOs queued rather than having them refused. */
static void ermgw_on_db_change(void *ud, int up)
{
    struct ermgw *d = ud;
    ermgw_on_db_state(ud, up);
    if (!up || d->bearer_started || d->life != ERMGW_RUNNING)
        return;
    int rc = ermgw_phone_start(d);
    if (rc == 0 && (rc = bearer_start(d->bearer)) == 0) {
        d->bearer_started = 1;
        return;
    }
    if (d->phone == NULL || d->phone_started)
        ERM_ERROR("ermgw", "%s bearer: %s", d->bearer->ops->kind, uv_strerror(rc));
    /* Stop from the timer, not from inside the database's own callback. */
    d->exit_code = 1;
    uv_timer_start(&d->stop_timer, ermgw_on_stop_timer, 0, 0);
}

/* [cmpp] given: the ISMG carries every SMS in place of an SMSC. */
static int ermgw_cmpp_bearer(struct ermgw *d, const struct bearer_events *ev)
{
    struct cmpp_bearer_cfg cc = {
        .session =
            {
                .host = d->cfg.cmpp_host,
                .port = d->cfg.cmpp_port,
                .sp_id = d->cfg.cmpp_sp_id,
                .secret = d->cfg.cmpp_secret,
                .version = d->cfg.cmpp_version,
                .active_test_s = d->cfg.cmpp_active_test_s,
                .response_timeout_s = d->cfg.cmpp_response_timeout_s,
                .reconnect_min_ms = (unsigned)tun_value(TUN_SMPP_RECONNECT_MIN),
                .reconnect_max_ms = d->cfg.cmpp_reconnect_max_s * 1000u,
                .window = d->cfg.cmpp_window,
                .max_submit_rate = d->cfg.cmpp_max_submit_rate,
                .wq_pause = (size_t)tun_value(TUN_SMPP_WQ_PAUSE),
                .wq_resume = (size_t)tun_value(TUN_SMPP_WQ_RESUME),
                .wq_max = (size_t)tun_value(TUN_SMPP_WQ_MAX),
                .wq_stall_ms = (unsigned)tun_value(TUN_SMPP_WQ_STALL),
            },
        .service_id = d->cfg.cmpp_service_id,
        .src_id = d->cfg.cmpp_src_id,
    };
    return cmpp_bearer_create(d->loop, &cc, ev, d, &d->bearer);
}

/* The bearer, created now and started once the database is first up. */
static int ermgw_bearer(struct ermgw *d)
{
    static const struct bearer_events ev = {
        .on_bound = ermgw_on_ready,
        .on_ready = ermgw_on_ready,
        .on_unbound = ermgw_on_unbound,
        .on_message = ermgw_on_message,
        .on_submit_result = ermgw_on_submit_result,
        .on_stopped = ermgw_on_stopped,
    };
    if (d->cfg.cmpp_on)
        return ermgw_cmpp_bearer(d, &ev);
    struct smpp_session_cfg sc = {
        .host = d->cfg.smsc_host,
        .port = d->cfg.smsc_port,
        .system_id = d->cfg.system_id,
        .password = d->cfg.password,
        .system_type = d->cfg.system_type,
        .enquire_link_s = d->cfg.enquire_link_s,
        .response_timeout_s = d->cfg.response_timeout_s,
        .reconnect_min_ms = (unsigned)tun_value(TUN_SMPP_RECONNECT_MIN),
        .reconnect_max_ms = d->cfg.reconnect_max_s * 1000u,
        .max_pdu_len = d->cfg.max_pdu_len,
        .window = d->cfg.window,
        .max_submit_rate = d->cfg.max_submit_rate,
        .wq_pause = (size_t)tun_value(TUN_SMPP_WQ_PAUSE),
        .wq_resume = (size_t)tun_value(TUN_SMPP_WQ_RESUME),
        .wq_max = (size_t)tun_value(TUN_SMPP_WQ_MAX),
        .wq_stall_ms = (unsigned)tun_value(TUN_SMPP_WQ_STALL),
    };
    return smpp_bearer_create(d->loop, &sc, d->cfg.binds, d->cfg.bind_pair,
                              d->cfg.db_unavailable_status, &ev, d, &d->bearer);
}

/* The order path, the intake and the sender, each given what it uses. */
static int ermgw_modules(struct ermgw *d)
{
    struct order_path_cfg oc = {
        .dbs = d->mo_db,
        .n_dbs = d->cfg.mo_connections,
        .spill = d->cfg.mo_spill,
        .service_number = d->cfg.service_number,
        .on_committed = ermgw_committed,
        .on_idle = ermgw_orders_idle,
        .ud = d,
    };
    int rc = order_path_create(&oc, &d->orders);
    if (rc < 0)
        return rc;
    struct mo_intake_cfg ic = {
        .loop = d->loop,
        .orders = d->orders,
        .parts_db = &d->mo_db[0],
        .receipts_db = &d->db_out,
        .receipt_ids = d->cfg.message_ids,
        .concat_timeout_s = d->cfg.concat_timeout_s,
        .dedupe_window_s = d->cfg.dedupe_window_s,
    };
    if ((rc = mo_intake_create(&ic, &d->intake)) < 0)
        return rc;
    struct outbox_sender_cfg sc = {
        .loop = d->loop,
        .db = &d->db_out,
        .bearer = d->bearer,
        .receipt_ids = d->cfg.message_ids,
        .gateway_id = d->cfg.gateway_id,
        .lease_s = d->cfg.lease_s,
        .on_idle = ermgw_sender_idle,
        .ud = d,
    };
    return outbox_sender_create(&sc, &d->sender);
}

/* ---- GET /metrics and /healthz ---- */

static int ermgw_metrics_page(void *ud, char **body, size_t *len)
{
    struct ermgw *d = ud;
    return daemon_metrics_render(d->metrics, body, len);
}

/* Healthy: the SMS bearer bound, every database connection up, not stopping. */
static void ermgw_health(void *ud, struct admin_http_health *h)
{
    struct ermgw *d = ud;
    h->bound = d->bearer != NULL && bearer_is_up(d->bearer);
    h->db_up = d->db_out != NULL && stor_db_is_up(d->db_out) && d->n_mo_db > 0;
    for (unsigned i = 0; i < d->n_mo_db; i++)
        h->db_up = h->db_up && d->mo_db[i] != NULL && stor_db_is_up(d->mo_db[i]);
    h->stopping = d->life != ERMGW_RUNNING;
}

/* The metrics and the admin endpoint when [admin] listen is set. Returns 0 or a negative
 * errno (logged). */
static int ermgw_admin(struct ermgw *d)
{
    if (d->cfg.admin_listen[0] == '\0')
        return 0;
    struct daemon_metrics_cfg mc = {
        .loop = d->loop,
        .orders = &d->orders,
        .intake = &d->intake,
        .sender = &d->sender,
        .sms = &d->bearer,
        .phone = &d->phone,
        .mo_db = d->mo_db,
        .mo_db_names = ermgw_db_names,
        .n_mo_db = d->cfg.mo_connections,
        .db_out = &d->db_out,
    };
    int rc = daemon_metrics_create(&mc, &d->metrics);
    if (rc < 0) {
        ERM_ERROR("ermgw", "metrics: %s", strerror(-rc));
        return rc;
    }
    struct admin_http_cfg ac = {
        .loop = d->loop,
        .listen = d->cfg.admin_listen,
        .metrics = ermgw_metrics_page,
        .health = ermgw_health,
        .ud = d,
    };
    char err[256];
    rc = admin_http_start(&ac, &d->admin, err, sizeof err);
    if (rc < 0)
        ERM_ERROR("ermgw", "%s", err);
    return rc;
}

static int ermgw_start(struct ermgw *d)
{
    int rc = ermgw_bearer(d);
    if (rc == 0)
        rc = ermgw_phone_create(d);
    if (rc == 0)
        rc = ermgw_modules(d);
    if (rc == 0)
        rc = ermgw_admin(d);
    if (rc < 0)
        return rc;
    /* MOs and their orders on [database] connections of their own, the outbox (takes, rows
     * sent) and receipts on another, so that neither waits behind the other's work and
     * batches of different customers commit side by side, each on its PostgreSQL backend. */
    for (unsigned i = 0; rc == 0 && i < d->cfg.mo_connections; i++) {
        rc = stor_db_open(d->loop, d->cfg.conninfo, ermgw_db_names[i], ermgw_on_db_change, d,
                          &d->mo_db[i]);
        if (rc == 0) {
            stor_order_batch_max(d->mo_db[i], d->cfg.batch_max);
            stor_db_statement_timeout(d->mo_db[i], d->cfg.statement_timeout_s * 1000u);
            d->n_mo_db++;
        }
    }
    if (rc == 0)
        rc = stor_db_open(d->loop, d->cfg.conninfo, "outbox", ermgw_on_out_change, d, &d->db_out);
    if (rc == 0)
        stor_db_statement_timeout(d->db_out, d->cfg.statement_timeout_s * 1000u);
    if (rc < 0) {
        ERM_ERROR("ermgw", "database: %s", strerror(-rc));
        return rc;
    }
    ERM_INFO("ermgw", "waiting for the database before binding to the SMSC");
    return 0;
}

static int ermgw_signals(struct ermgw *d)
{
    uv_signal_t *sig[] = {&d->sig_term, &d->sig_int, &d->sig_hup};
    int num[] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        int rc = uv_signal_init(d->loop, sig[i]);
        if (rc < 0)
            return rc;
        sig[i]->data = d;
        rc = uv_signal_start(sig[i], ermgw_on_signal, num[i]);
        if (rc < 0)
            return rc;
    }
    int rc = uv_timer_init(d->loop, &d->stop_timer);
    d->stop_timer.data = d;
    if (rc == 0)
        rc = uv_timer_init(d->loop, &d->summary_timer);
    d->summary_timer.data = d;
    uint64_t every = tun_value(TUN_LOG_SUMMARY);
    if (rc == 0)
        rc = uv_timer_start(&d->summary_timer, ermgw_on_summary, every, every);
    return rc;
}

/* The conninfo as libpq will read it (values included, not the server): a mistake in it is
 * bad configuration (exit 2), at --check and at start, never an outage retried forever. The
 * line shows no password. */
static int ermgw_check_conninfo(const char *path, const struct erm_config *cfg)
{
    char msg[512];
    int rc = stor_conninfo_check(cfg->conninfo, msg, sizeof msg);
    if (rc < 0)
        fprintf(stderr, "ermgw: %s:%u: [database] conninfo: %s\n", path, cfg->conninfo_line, msg);
    return rc;
}

/* A database reached at start (within ERMGW_PROBE_S) must have this program's schema, or
 * ermgw stops at once saying what to run, rather than answer every MO with a temporary error
 * for a function the old schema lacks. A database not reached is left to the loop, which
 * waits for it as for any outage. */
#define ERMGW_PROBE_S 3
static int ermgw_check_schema(const struct erm_config *cfg)
{
    struct stor_admin *adm = NULL;
    char err[512];
    int rc = stor_admin_connect_as(cfg->conninfo, "ermgw", ERMGW_PROBE_S, &adm, err, sizeof err);
    if (rc == 0) {
        rc = stor_migrate_check(adm, NULL, err, sizeof err);
        if (rc == -ESTALE)
            ERM_ERROR("ermgw", "%s", err);
        else
            rc = 0; /* an error of the query itself: the loop's connections will say */
    } else {
        ERM_INFO("ermgw", "database not reached at start (%s): waiting for it", err);
        rc = 0;
    }
    stor_admin_close(adm);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
        {"tunables", no_argument, NULL, 't'},     {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    int check_only = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case 'k':
            check_only = 1;
            break;
        case 'h':
            ermgw_usage(stdout);
            return 0;
        case 't':
            ermgw_tunables(stdout);
            return 0;
        case 'V':
            printf("ermgw %s\n", ERM_VERSION);
            return 0;
        case ':':
            fprintf(stderr, "ermgw: %s: needs a value (see --help)\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "ermgw: %s: unknown option (see --help)\n", argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ermgw: %s: unexpected argument (see --help)\n", argv[optind]);
        return 2;
    }
    if (config == NULL) {
        fprintf(stderr, "ermgw: --config: missing; give the configuration file (see --help)\n");
        return 2;
    }
    struct ermgw d;
    memset(&d, 0, sizeof d);
    if (ermgw_load_config(config, &d.cfg) < 0 || ermgw_check_conninfo(config, &d.cfg) < 0)
        return 2;
    if (check_only) {
        if (d.cfg.cmpp_on)
            printf("%s: ok (ISMG %s:%u as %s, CMPP %u.0, service number %s)\n", config,
                   d.cfg.cmpp_host, d.cfg.cmpp_port, d.cfg.cmpp_sp_id, d.cfg.cmpp_version >> 4,
                   d.cfg.service_number);
        else
            printf("%s: ok (SMSC %s:%u as %s, service number %s)\n", config, d.cfg.smsc_host,
                   d.cfg.smsc_port, d.cfg.system_id, d.cfg.service_number);
        return 0;
    }
    erm_log_set_level(ermgw_level(d.cfg.log_level));
    if (d.cfg.log_file[0] != '\0') {
        int lrc = erm_log_open(d.cfg.log_file);
        if (lrc < 0) {
            fprintf(stderr, "ermgw: [log] file: cannot open %s: %s\n", d.cfg.log_file,
                    strerror(-lrc));
            return 2;
        }
    }
    ERM_INFO("ermgw", "ermgw %s starting as gateway %s: %s %s:%u, service number %s", ERM_VERSION,
             d.cfg.gateway_id, d.cfg.cmpp_on ? "ISMG (CMPP)" : "SMSC",
             d.cfg.cmpp_on ? d.cfg.cmpp_host : d.cfg.smsc_host,
             d.cfg.cmpp_on ? d.cfg.cmpp_port : d.cfg.smsc_port, d.cfg.service_number);
    if (ermgw_check_schema(&d.cfg) < 0)
        return 1;

    /* A peer that closes while we write must give EPIPE, not kill the process: libuv leaves
     * SIGPIPE to the program. */
    signal(SIGPIPE, SIG_IGN);
    d.loop = uv_default_loop();
    int rc = ermgw_signals(&d);
    if (rc == 0)
        rc = ermgw_start(&d);
    if (rc < 0) {
        d.exit_code = 1;
        /* Unwind what started: straight to closing the connections opened. */
        d.life = ERMGW_CLOSING;
        ermgw_close_dbs(&d);
    }
    uv_run(d.loop, UV_RUN_DEFAULT);
    /* Freed last: a transaction's late end may still answer through the bearer (refused
     * once stopped) or count down the order path. */
    if (d.orders != NULL)
        order_path_destroy(d.orders);
    bearer_destroy(d.bearer);
    bearer_destroy(d.phone);
    uv_loop_close(d.loop);
    erm_log_open(NULL);
    return d.exit_code;
}
