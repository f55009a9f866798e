/*
 * ermweb.c: the web console of ermgw (issue 13): managers run the campaign and employees
 * follow theirs from a phone, through a JSON API under /api/v1/ (docs/api.md) and the
 * static pages that use it (web/static/). It reads the same INI file as ermgw with the same
 * parser (core/config.c: [web] and [database]) and speaks to the same database through
 * storage/, as ermctl does.
 *
 * Meant to sit behind the operator's TLS reverse proxy ([web] secure_cookies = yes there).
 * SIGTERM or SIGINT stops it: the listening socket closes, requests in flight finish.
 *
 * Exit status: 0 stopped cleanly, 1 runtime failure (cannot listen), 2 bad arguments or
 * configuration (one line naming FILE:LINE and the key).
 */
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/log.h"
#include "common/readfile.h"
#include "core/config.h"
#include "storage/admin.h"
#include "storage/migrate.h"
#include "storage/db.h"
#include "storage/web_sessions.h"
#include "version.h"
#include "web/web_api.h"
#include "web/web_auth.h"
#include "web/web_rank.h"
#include "web/web_server.h"

/* Every endpoint: method, path, who may call it, handler. Requests that change something
 * (not GET) need the session's CSRF token, except the public logins. */
static const struct web_route ermweb_routes[] = {
    {"POST", "/api/v1/login", WEB_PUBLIC, web_auth_login},
    {"POST", "/api/v1/code/send", WEB_PUBLIC, web_auth_code_send},
    {"POST", "/api/v1/code/verify", WEB_PUBLIC, web_auth_code_verify},
    {"POST", "/api/v1/logout", WEB_SESSION, web_auth_logout},
    {"GET", "/api/v1/me", WEB_SESSION, web_auth_me},
    {"POST", "/api/v1/password", WEB_SESSION, web_auth_password},
    {"GET", "/api/v1/session", WEB_PUBLIC, web_auth_session_get},
    {"GET", "/api/v1/dashboard", WEB_MANAGER, web_manager_dashboard},
    {"GET", "/api/v1/products", WEB_MANAGER, web_manager_products},
    {"POST", "/api/v1/products", WEB_MANAGER, web_manager_product_add},
    {"GET", "/api/v1/products/*", WEB_MANAGER, web_manager_product_show},
    {"POST", "/api/v1/products/*/activate", WEB_MANAGER, web_manager_product_activate},
    {"POST", "/api/v1/products/*/retire", WEB_MANAGER, web_manager_product_retire},
    {"POST", "/api/v1/people/import", WEB_MANAGER, web_manager_people_import},
    {"POST", "/api/v1/handout", WEB_MANAGER, web_manager_handout},
    {"GET", "/api/v1/optouts", WEB_MANAGER, web_manager_optouts},
    {"GET", "/api/v1/report", WEB_MANAGER, web_manager_report},
    {"GET", "/api/v1/ranking", WEB_MANAGER, web_manager_ranking},
    {"GET", "/api/v1/audit", WEB_MANAGER, web_manager_audit},
    {"POST", "/api/v1/teams", WEB_MANAGER, web_teams_create},
    {"POST", "/api/v1/teams/members", WEB_MANAGER, web_teams_add},
    {"GET", "/api/v1/users", WEB_ADMIN, web_admin_users},
    {"POST", "/api/v1/users", WEB_ADMIN, web_admin_user_add},
    {"GET", "/api/v1/my/codes", WEB_EMPLOYEE, web_mine_codes},
    {"GET", "/api/v1/my/qr/*", WEB_EMPLOYEE, web_mine_qr},
    {"GET", "/api/v1/my/orders", WEB_EMPLOYEE, web_mine_orders},
    {"GET", "/api/v1/my/rank", WEB_EMPLOYEE, web_mine_rank},
    {"GET", "/api/v1/my/summary", WEB_EMPLOYEE, web_mine_summary},
    {"GET", "/api/v1/my/products", WEB_EMPLOYEE, web_mine_products},
    {"POST", "/api/v1/my/claim", WEB_EMPLOYEE, web_mine_claim},
};
#define ERMWEB_NROUTES (sizeof ermweb_routes / sizeof ermweb_routes[0])

static void ermweb_usage(void)
{
    printf("usage: ermweb --config FILE [--check]\n"
           "\n"
           "The web console of ermgw: managers and employees over HTTP (JSON API under\n"
           "/api/v1/, pages from [web] static_dir). Reads [web] and [database] of FILE, the\n"
           "same file as ermgw's, checked as ermgw checks it. Put it behind a TLS reverse\n"
           "proxy.\n"
           "\n"
           "options:\n"
           "  --config FILE  the configuration file (required)\n"
           "  --check        check the configuration and exit\n"
           "  --help         this text\n"
           "  --version      print the version\n"
           "\n"
           "Exit status: 0 done, 1 runtime failure, 2 bad arguments or configuration.\n");
}

#define ERMWEB_HOUSEKEEPING_S 3600 /* expired sessions and old login codes go this often */

/* The main thread's own connection (the workers' are theirs): *ADM, opened when NULL.
 * 0, or -errno with ERR (the next round tries again). */
static int ermweb_connect(const struct erm_config *conf, struct stor_admin **adm, char *err,
                          size_t errlen)
{
    return *adm != NULL ? 0 : stor_admin_connect(conf->conninfo, adm, err, errlen);
}

/* Drops expired sessions and old login codes. A failure is logged; the next hour tries
 * again. */
static void ermweb_housekeeping(const struct erm_config *conf, struct stor_admin **adm)
{
    char err[512];
    long long sessions = 0, codes = 0;
    int rc = ermweb_connect(conf, adm, err, sizeof err);
    if (rc == 0)
        rc = stor_web_housekeeping(*adm, &sessions, &codes, err, sizeof err);
    if (rc < 0) {
        ERM_WARN("web", "housekeeping: %s", err);
        stor_admin_close(*adm);
        *adm = NULL;
    } else if (sessions + codes > 0)
        ERM_INFO("web", "housekeeping: %lld expired sessions, %lld old login codes dropped",
                 sessions, codes);
}

/* Reads the current period's ranking into web_rank.c's cache, so that no employee's
 * request waits for it. A failure is logged; workers then read it themselves. */
static void ermweb_rank(const struct erm_config *conf, struct stor_admin **adm)
{
    char err[512], period[8];
    web_period_now(period);
    int rc = ermweb_connect(conf, adm, err, sizeof err);
    if (rc == 0)
        rc = web_rank_refresh(*adm, period, err, sizeof err);
    if (rc < 0) {
        ERM_WARN("web", "ranking of %s: %s", period, err);
        stor_admin_close(*adm);
        *adm = NULL;
    }
}

/* Waits for SIGTERM or SIGINT (blocked in every thread: workers inherit the mask),
 * refreshing the current ranking every WEB_RANK_REFRESH_S and doing the housekeeping every
 * hour meanwhile, on its connection *ADM. Returns the signal. */
static int ermweb_wait(const sigset_t *set, const struct erm_config *conf, struct stor_admin **adm)
{
    for (time_t last = 0;;) {
        if (time(NULL) - last >= ERMWEB_HOUSEKEEPING_S) {
            ermweb_housekeeping(conf, adm);
            last = time(NULL);
        }
        struct timespec ts = {WEB_RANK_REFRESH_S, 0};
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig > 0)
            return sig;
        ermweb_rank(conf, adm);
    }
}

#ifndef ERM_WEB_STATIC_DIR
#define ERM_WEB_STATIC_DIR "/usr/local/share/ermgw/web"
#endif

/* Reads PATH into CONF with core/config.c, the parser of ermgw's file, requiring what
 * ermweb needs ([web] listen), and checks the conninfo as libpq reads it; an empty
 * static_dir is the installed pages. 0, or -errno with one line printed. */
static int ermweb_load_config(const char *path, struct erm_config *conf)
{
    char *buf = NULL, err[1024];
    size_t len = 0;
    int rc = readfile_all(path, &buf, &len);
    if (rc < 0) {
        fprintf(stderr, "ermweb: %s: %s\n", path, strerror(-rc));
        return rc;
    }
    config_defaults(conf);
    rc = config_parse_for(CONFIG_ERMWEB, path, buf, len, conf, err, sizeof err);
    free(buf);
    if (rc < 0) {
        /* as ermgw: the message quotes the file's bytes, escaped like a log record */
        char shown[4 * sizeof err];
        erm_log_escape(err, strlen(err), shown, sizeof shown);
        fprintf(stderr, "ermweb: %s\n", shown);
        return rc;
    }
    rc = stor_conninfo_check(conf->conninfo, err, sizeof err); /* as ermgw: exit 2, not retried */
    if (rc < 0) {
        fprintf(stderr, "ermweb: %s:%u: [database] conninfo: %s\n", path, conf->conninfo_line, err);
        return rc;
    }
    if (conf->web_static_dir[0] == '\0')
        snprintf(conf->web_static_dir, sizeof conf->web_static_dir, "%s", ERM_WEB_STATIC_DIR);
    return 0;
}

int main(int argc, char **argv)
{
    const char *config = NULL;
    int check = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            ermweb_usage();
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("ermweb %s\n", ERM_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--check") == 0) {
            check = 1;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else {
            fprintf(stderr, "ermweb: unknown option %s (see ermweb --help)\n", argv[i]);
            return 2;
        }
    }
    if (config == NULL) {
        fprintf(stderr, "ermweb: --config FILE is required (see ermweb --help)\n");
        return 2;
    }
    static struct erm_config conf;
    char err[1024];
    if (ermweb_load_config(config, &conf) < 0)
        return 2;
    if (check) {
        printf("ermweb: %s: configuration ok\n", config);
        return 0;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "ermweb: libsodium failed to initialise\n");
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct stor_admin *adm = NULL;
    /* A database reached at start must have this program's schema (unreachable: the workers
     * keep trying, and their errors say so). */
    if (ermweb_connect(&conf, &adm, err, sizeof err) == 0 &&
        stor_migrate_check(adm, NULL, err, sizeof err) == -ESTALE) {
        fprintf(stderr, "ermweb: %s\n", err);
        stor_admin_close(adm);
        return 1;
    }
    ermweb_rank(&conf, &adm); /* before the first request */
    struct MHD_Daemon *d = web_server_start(&conf, ermweb_routes, ERMWEB_NROUTES, err, sizeof err);
    if (d == NULL) {
        fprintf(stderr, "ermweb: %s\n", err);
        stor_admin_close(adm);
        web_rank_free();
        return 1;
    }
    ERM_INFO("web", "listening on %s (%u threads)", conf.web_listen, conf.web_threads);
    int sig = ermweb_wait(&set, &conf, &adm);
    ERM_INFO("web", "signal %d: stopping", sig);
    web_server_stop(d);
    stor_admin_close(adm);
    web_rank_free();
    web_auth_free();
    web_mine_free();
    ERM_INFO("web", "stopped");
    return 0;
}
