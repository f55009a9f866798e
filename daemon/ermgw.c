/*
 * ermgw.c: the daemon's entry point. Reads the configuration, opens the database connection
 * and the SMPP session on one libuv loop, wires MOs to the handler and the outbox to the
 * sender, and stops gracefully on SIGTERM/SIGINT: new MOs get a temporary error, MO
 * transactions in flight finish, outbox rows not yet submitted go back to the queue and
 * outstanding submits wait for their responses (all bounded by ERMGW_STOP_TIMEOUT_MS), the
 * bind is unbound, and the process exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/config.h"
#include "daemon/daemon.h"
#include "gateway/smpp_pdu.h"
#include "gateway/smpp_session.h"
#include "storage/db.h"
#include "storage/orders.h"
#include "storage/outbox.h"
#include "version.h"

#define ERMGW_STOP_TIMEOUT_MS 10000

static void ermgw_usage(FILE *out)
{
    fprintf(out, "usage: ermgw --config FILE [--check]\n"
                 "\n"
                 "The ermgw daemon: binds to the carrier's SMSC over SMPP 3.4 as a transceiver,\n"
                 "turns customers' SMS (product codes such as 10001 sent to the service number)\n"
                 "into orders stored in PostgreSQL, and sends the replies from the outbox.\n"
                 "\n"
                 "  -c, --config FILE  the INI configuration (see etc/ermgw.conf)\n"
                 "      --check        check the configuration, print it, and exit\n"
                 "  -h, --help         this text\n"
                 "  -V, --version      the version\n"
                 "\n"
                 "Signals: SIGTERM/SIGINT stop gracefully (exit 0); SIGHUP reopens the log file.\n"
                 "Exit status: 0 stopped cleanly, 1 runtime failure, 2 bad command line or "
                 "configuration.\n");
}

/* Reads FILE whole into a malloc'd buffer the caller frees. Returns 0 or a negative errno. */
static int ermgw_read_file(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -errno;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    int rc = 0;
    while (b != NULL) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        if (cap >= (1u << 20)) {
            rc = -EFBIG;
            break;
        }
        cap *= 2;
        char *nb = realloc(b, cap);
        if (nb == NULL)
            free(b);
        b = nb;
    }
    if (b == NULL)
        rc = -ENOMEM;
    else if (ferror(f))
        rc = -EIO;
    fclose(f);
    if (rc < 0) {
        free(b);
        return rc;
    }
    *buf = b;
    *len = n;
    return 0;
}

static int ermgw_load_config(const char *path, struct erm_config *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = ermgw_read_file(path, &buf, &len);
    if (rc < 0) {
        fprintf(stderr, "ermgw: %s: %s\n", path, strerror(-rc));
        return rc;
    }
    char err[512];
    config_defaults(cfg);
    rc = config_parse(path, buf, len, cfg, err, sizeof err);
    free(buf);
    if (rc < 0)
        fprintf(stderr, "ermgw: %s\n", err);
    return rc;
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

/* Bound, or the session's pacing allows submits again. */
static void ermgw_on_ready(void *ud)
{
    struct erm_daemon *d = ud;
    erm_sender_on_ready(d->sender);
}

static void ermgw_on_unbound(void *ud)
{
    struct erm_daemon *d = ud;
    erm_sender_on_unbound(d->sender);
}

static void ermgw_on_mo(void *ud, const struct gw_mo *mo)
{
    erm_mo_handle(ud, mo);
}

static void ermgw_on_submit_resp(void *ud, uint64_t cookie, int64_t status, const char *message_id)
{
    struct erm_daemon *d = ud;
    erm_sender_on_submit_resp(d->sender, cookie, status, message_id);
}

static void ermgw_close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Every connection closed (or never opened): the rest goes. */
static void ermgw_db_closed(void *ud)
{
    struct erm_daemon *d = ud;
    for (unsigned i = 0; i < d->n_mo_db; i++)
        d->mo_db[i] = NULL;
    d->db = NULL;
    d->db_out = NULL;
    if (d->sender != NULL)
        erm_sender_destroy(d->sender);
    d->sender = NULL;
    if (d->intake != NULL)
        erm_intake_destroy(d->intake);
    d->intake = NULL;
    ermgw_close_handle((uv_handle_t *)&d->sig_term);
    ermgw_close_handle((uv_handle_t *)&d->sig_int);
    ermgw_close_handle((uv_handle_t *)&d->sig_hup);
    ermgw_close_handle((uv_handle_t *)&d->stop_timer);
    ERM_INFO("ermgw", "stopped");
}

static void ermgw_one_db_closed(void *ud)
{
    struct erm_daemon *d = ud;
    if (--d->dbs_closing == 0)
        ermgw_db_closed(d);
}

/* Closes the connections that are open; ermgw_db_closed() once they all are. */
static void ermgw_close_dbs(struct erm_daemon *d)
{
    d->dbs_closing = 1; /* held until every close is started */
    for (unsigned i = 0; i <= d->n_mo_db; i++) {
        struct stor_db *db = i < d->n_mo_db ? d->mo_db[i] : d->db_out;
        if (db != NULL) {
            d->dbs_closing++;
            stor_db_close(db, ermgw_one_db_closed, d);
        }
    }
    ermgw_one_db_closed(d);
}

static void ermgw_on_stopped(void *ud)
{
    struct erm_daemon *d = ud;
    d->smpp = NULL;
    ermgw_close_dbs(d);
}

/* The last step of a stop: unbind once nothing is in flight (or the stop timer fired). */
static void ermgw_finish_stop(struct erm_daemon *d)
{
    if (d->stopping != 1)
        return;
    d->stopping = 2;
    uv_timer_stop(&d->stop_timer);
    if (d->smpp == NULL) {
        /* Never bound (the database never came up): only the database to close. */
        ermgw_close_dbs(d);
        return;
    }
    ERM_INFO("ermgw", "unbinding and closing");
    smpp_session_stop(d->smpp);
}

/* Stopping goes on to the unbind once no MO transaction runs and the sender is idle. */
static void ermgw_maybe_finish_stop(struct erm_daemon *d)
{
    if (d->stopping == 1 && d->mo_inflight == 0 &&
        (d->sender == NULL || erm_sender_busy(d->sender) == 0))
        ermgw_finish_stop(d);
}

void erm_daemon_mo_done(struct erm_daemon *d)
{
    ermgw_maybe_finish_stop(d);
}

void erm_daemon_sender_idle(struct erm_daemon *d)
{
    ermgw_maybe_finish_stop(d);
}

static void ermgw_on_stop_timer(uv_timer_t *t)
{
    struct erm_daemon *d = t->data;
    unsigned rows = d->sender != NULL ? erm_sender_busy(d->sender) : 0;
    if (d->mo_inflight > 0 || rows > 0)
        ERM_WARN("ermgw",
                 "stop: %u MO transaction(s) and %u outbox row(s) still running after %d ms; "
                 "closing anyway (rows left sending are queued again at the next start)",
                 d->mo_inflight, rows, ERMGW_STOP_TIMEOUT_MS);
    ermgw_finish_stop(d);
}

static void ermgw_on_signal(uv_signal_t *h, int signum)
{
    struct erm_daemon *d = h->data;
    if (signum == SIGHUP) {
        int rc = erm_log_open(d->cfg.log_file[0] ? d->cfg.log_file : NULL);
        ERM_INFO("ermgw", "SIGHUP: log reopened%s", rc < 0 ? " (failed, using stderr)" : "");
        return;
    }
    if (d->stopping)
        return;
    ERM_INFO("ermgw", "%s: stopping (no new MOs, finishing %u in flight)",
             signum == SIGTERM ? "SIGTERM" : "SIGINT", d->mo_inflight);
    d->stopping = 1;
    uv_timer_start(&d->stop_timer, ermgw_on_stop_timer, ERMGW_STOP_TIMEOUT_MS, 0);
    if (d->sender != NULL)
        erm_sender_stop(d->sender); /* may finish the stop already */
    ermgw_maybe_finish_stop(d);
}

/* An MO connection came up or went down. "database up" is logged (and waited for by
 * operators and tests) once every MO connection is up again. */
static void ermgw_on_db_state(void *ud, int up)
{
    struct erm_daemon *d = ud;
    unsigned n = 0;
    for (unsigned i = 0; i < d->n_mo_db; i++)
        n += d->mo_db[i] != NULL && stor_db_is_up(d->mo_db[i]);
    /* Parts of long MOs (kept on the first connection) may have waited: look now, without
     * waiting for the other connections. */
    if (up && d->intake != NULL && stor_db_is_up(d->db))
        erm_intake_on_db_up(d->intake);
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
    struct erm_daemon *d = ud;
    if (rc < 0)
        ERM_WARN("ermgw",
                 "outbox recovery failed (%s); rows left sending stay until the "
                 "next start",
                 strerror(-rc));
    erm_sender_kick(d->sender);
}

static int ermgw_start_session(struct erm_daemon *d);

/* The outbox connection: rows left sending by an earlier run are queued again once, when
 * it is first up, before the sender takes any. */
static void ermgw_on_out_change(void *ud, int up)
{
    struct erm_daemon *d = ud;
    if (!up)
        return;
    if (d->outbox_recovered) {
        erm_sender_kick(d->sender);
        return;
    }
    d->outbox_recovered = 1;
    if (stor_outbox_recover(d->db_out, ermgw_recovered, d) < 0) {
        ERM_WARN("ermgw", "outbox recovery not started");
        erm_sender_kick(d->sender);
    }
}

/* An MO connection: the first time one is up, the bind starts (MOs take an MO connection
 * that is up, so one is enough to store them; a server short of connections for the others
 * does not keep ermgw unbound). */
static void ermgw_on_db_change(void *ud, int up)
{
    struct erm_daemon *d = ud;
    ermgw_on_db_state(ud, up);
    if (!up || d->smpp != NULL || d->stopping)
        return;
    if (ermgw_start_session(d) < 0) {
        /* Stop from the timer, not from inside the database's own callback. */
        d->exit_code = 1;
        d->stopping = 1;
        uv_timer_start(&d->stop_timer, ermgw_on_stop_timer, 0, 0);
    }
}

/* Binds to the SMSC. Called once the database is first up: while it cannot store anything,
 * the SMSC keeps the MOs queued rather than having them refused. */
static int ermgw_start_session(struct erm_daemon *d)
{
    static const struct smpp_session_events ev = {
        .on_bound = ermgw_on_ready,
        .on_ready = ermgw_on_ready,
        .on_unbound = ermgw_on_unbound,
        .on_mo = ermgw_on_mo,
        .on_submit_resp = ermgw_on_submit_resp,
        .on_stopped = ermgw_on_stopped,
    };
    struct smpp_session_cfg sc = {
        .host = d->cfg.smsc_host,
        .port = d->cfg.smsc_port,
        .system_id = d->cfg.system_id,
        .password = d->cfg.password,
        .system_type = d->cfg.system_type,
        .enquire_link_s = d->cfg.enquire_link_s,
        .response_timeout_s = d->cfg.response_timeout_s,
        .reconnect_min_ms = 500,
        .reconnect_max_ms = d->cfg.reconnect_max_s * 1000u,
        .max_pdu_len = d->cfg.max_pdu_len,
        .window = d->cfg.window,
        .max_submit_rate = d->cfg.max_submit_rate,
    };
    int rc = smpp_session_start(d->loop, &sc, &ev, d, &d->smpp);
    if (rc < 0)
        ERM_ERROR("ermgw", "SMPP session: %s", uv_strerror(rc));
    return rc;
}

static int ermgw_start(struct erm_daemon *d)
{
    int rc = erm_sender_create(d, &d->sender);
    if (rc < 0)
        return rc;
    if ((rc = erm_intake_create(d, &d->intake)) < 0)
        return rc;
    /* MOs and their orders on [database] connections of their own, the outbox (takes, rows
     * sent) and receipts on another, so that neither waits behind the other's work and
     * batches of different customers commit side by side, each on its PostgreSQL backend. */
    static const char *const names[CONFIG_MO_CONNECTIONS_MAX] = {"mo",  "mo2", "mo3", "mo4",
                                                                 "mo5", "mo6", "mo7", "mo8"};
    for (unsigned i = 0; rc == 0 && i < d->cfg.mo_connections; i++) {
        rc = stor_db_open(d->loop, d->cfg.conninfo, names[i], ermgw_on_db_change, d, &d->mo_db[i]);
        if (rc == 0) {
            stor_order_batch_max(d->mo_db[i], d->cfg.batch_max);
            d->n_mo_db++;
        }
    }
    d->db = d->mo_db[0];
    if (rc == 0)
        rc = stor_db_open(d->loop, d->cfg.conninfo, "outbox", ermgw_on_out_change, d, &d->db_out);
    if (rc < 0) {
        ERM_ERROR("ermgw", "database: %s", strerror(-rc));
        return rc;
    }
    ERM_INFO("ermgw", "waiting for the database before binding to the SMSC");
    return 0;
}

static int ermgw_signals(struct erm_daemon *d)
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
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
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
    struct erm_daemon d;
    memset(&d, 0, sizeof d);
    if (ermgw_load_config(config, &d.cfg) < 0)
        return 2;
    if (check_only) {
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
    ERM_INFO("ermgw", "ermgw %s starting: SMSC %s:%u, service number %s", ERM_VERSION,
             d.cfg.smsc_host, d.cfg.smsc_port, d.cfg.service_number);

    d.loop = uv_default_loop();
    int rc = ermgw_signals(&d);
    if (rc == 0)
        rc = ermgw_start(&d);
    if (rc < 0) {
        d.exit_code = 1;
        /* Unwind what started: stopping runs the same path as a signal. */
        d.stopping = 2;
        ermgw_close_dbs(&d);
    }
    uv_run(d.loop, UV_RUN_DEFAULT);
    uv_loop_close(d.loop);
    erm_log_open(NULL);
    return d.exit_code;
}
