/*
 * admin_http.c: GET /metrics and GET /healthz on ermgw's loop (see admin_http.h).
 *
 * libmicrohttpd runs in its "external" mode with epoll (MHD_USE_EPOLL, no internal thread):
 * every socket it has (the listener and the connections) sits in one epoll descriptor of
 * its own, which a uv_poll_t watches for readability; when it is ready MHD_run() does what
 * is due without blocking, and a uv_timer_t set from MHD_get_timeout() runs it again when
 * MHD has work without an event (a connection's timeout, a reply not yet written). Nothing
 * here runs on another thread, so the callbacks read ermgw's counters as they are.
 *
 * Every answer is small and made whole at once (MHD_RESPMEM_MUST_FREE: MHD frees it); an
 * error is a JSON object {"error": "..."} with its 4xx or 5xx status.
 *
 * Memory: the server owns its struct and frees it after the two handles' close callbacks.
 */
#include "daemon/admin_http.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/netaddr.h"

#define ADMIN_HTTP_MOD     "admin"
#define ADMIN_HTTP_CONNS   32 /* connections at once at most: scrapers and probes */
#define ADMIN_HTTP_IDLE_S  10 /* a connection idle this long is closed */
#define ADMIN_HTTP_MEM     (32 * 1024)
#define ADMIN_HTTP_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define ADMIN_HTTP_JSON    "application/json"

struct admin_http {
    struct admin_http_cfg cfg;
    struct MHD_Daemon *mhd;
    uv_poll_t poll;   /* MHD's epoll descriptor */
    uv_timer_t timer; /* MHD_get_timeout() */
    int open_handles;
    int stopping;
};

static void admin_http_log(void *cls, const char *fmt, va_list ap)
{
    const struct admin_http *a = cls;
    if (a->mhd == NULL)
        return; /* starting: a failure is said once, by admin_http_start */
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    ERM_WARN_RL(ADMIN_HTTP_MOD, "http: %s", msg);
}

/* Queues BODY (malloc'd, LEN bytes; NULL: an allocation failed) with STATUS and TYPE. */
static enum MHD_Result admin_http_reply(struct MHD_Connection *conn, unsigned status,
                                        const char *type, char *body, size_t len)
{
    if (body == NULL)
        return MHD_NO; /* out of memory: MHD closes the connection */
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* Queues the JSON object OBJ (taken) with STATUS. */
static enum MHD_Result admin_http_json(struct MHD_Connection *conn, unsigned status, json_t *obj)
{
    char *body = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    return admin_http_reply(conn, status, ADMIN_HTTP_JSON, body, body != NULL ? strlen(body) : 0);
}

static enum MHD_Result admin_http_error(struct MHD_Connection *conn, unsigned status,
                                        const char *why)
{
    return admin_http_json(conn, status, json_pack("{s:s}", "error", why));
}

static enum MHD_Result admin_http_metrics(struct admin_http *a, struct MHD_Connection *conn)
{
    char *body = NULL;
    size_t len = 0;
    int rc = a->cfg.metrics(a->cfg.ud, &body, &len);
    if (rc < 0) {
        ERM_WARN_RL(ADMIN_HTTP_MOD, "GET /metrics: %s", strerror(-rc));
        return admin_http_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics not rendered");
    }
    return admin_http_reply(conn, MHD_HTTP_OK, ADMIN_HTTP_METRICS, body, len);
}

static enum MHD_Result admin_http_health(struct admin_http *a, struct MHD_Connection *conn)
{
    struct admin_http_health h = {0};
    a->cfg.health(a->cfg.ud, &h);
    int ok = h.bound && h.db_up && !h.stopping;
    json_t *obj = json_pack("{s:s, s:s, s:s, s:b}", "status", ok ? "ok" : "unavailable", "bearer",
                            h.bound ? "bound" : "unbound", "database", h.db_up ? "up" : "down",
                            "stopping", h.stopping);
    return admin_http_json(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, obj);
}

static enum MHD_Result admin_http_access(void *cls, struct MHD_Connection *conn, const char *url,
                                         const char *method, const char *version,
                                         const char *upload_data, size_t *upload_data_size,
                                         void **con_cls)
{
    struct admin_http *a = cls;
    (void)version;
    (void)upload_data;
    (void)con_cls;
    int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    int known = strcmp(url, "/metrics") == 0 || strcmp(url, "/healthz") == 0;
    if (!known)
        return admin_http_error(conn, MHD_HTTP_NOT_FOUND, "no such page: GET /metrics or /healthz");
    if (!get || *upload_data_size != 0)
        return admin_http_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET");
    if (strcmp(url, "/metrics") == 0)
        return admin_http_metrics(a, conn);
    return admin_http_health(a, conn);
}

/* ---- MHD on the loop ---- */

static void admin_http_on_timer(uv_timer_t *t);

/* Runs what MHD has due, then sets the timer to when it wants to run again. */
static void admin_http_run(struct admin_http *a)
{
    if (a->stopping)
        return;
    MHD_run(a->mhd);
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(a->mhd, &ms) == MHD_YES)
        uv_timer_start(&a->timer, admin_http_on_timer, (uint64_t)ms, 0);
    else
        uv_timer_stop(&a->timer);
}

static void admin_http_on_timer(uv_timer_t *t)
{
    admin_http_run(t->data);
}

static void admin_http_on_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    admin_http_run(p->data);
}

/* The listening address of LISTEN in SA. Returns 0 or -EINVAL. */
static int admin_http_addr(const char *listen, struct sockaddr_storage *sa)
{
    struct netaddr a;
    uint16_t port;
    char host[64];
    if (netaddr_parse_hostport(listen, &a, &port) < 0)
        return -EINVAL;
    netaddr_format(&a, host, sizeof host);
    memset(sa, 0, sizeof *sa);
    if (a.family == 6)
        return uv_ip6_addr(host, port, (struct sockaddr_in6 *)sa) == 0 ? 0 : -EINVAL;
    return uv_ip4_addr(host, port, (struct sockaddr_in *)sa) == 0 ? 0 : -EINVAL;
}

static void admin_http_closed(uv_handle_t *h)
{
    struct admin_http *a = h->data;
    if (--a->open_handles == 0)
        free(a);
}

int admin_http_start(const struct admin_http_cfg *cfg, struct admin_http **out, char *err,
                     size_t errlen)
{
    struct sockaddr_storage sa;
    if (admin_http_addr(cfg->listen, &sa) < 0) {
        snprintf(err, errlen, "[admin] listen: \"%s\" is not an address:port", cfg->listen);
        return -EINVAL;
    }
    struct admin_http *a = calloc(1, sizeof *a);
    if (a == NULL) {
        snprintf(err, errlen, "[admin] listen: out of memory");
        return -ENOMEM;
    }
    a->cfg = *cfg;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    a->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, admin_http_access, a, MHD_OPTION_EXTERNAL_LOGGER, admin_http_log, a,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)ADMIN_HTTP_CONNS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ADMIN_HTTP_IDLE_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)ADMIN_HTTP_MEM, MHD_OPTION_END);
    if (a->mhd == NULL) {
        int rc = errno != 0 ? -errno : -EIO;
        snprintf(err, errlen, "[admin] listen: cannot listen on %s: %s", cfg->listen,
                 strerror(-rc));
        free(a);
        return rc;
    }
    a->cfg.listen = NULL; /* borrowed only for the start */
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    int rc = info != NULL ? uv_poll_init(cfg->loop, &a->poll, info->epoll_fd) : -EIO;
    if (rc < 0) {
        snprintf(err, errlen, "[admin] listen: cannot watch the HTTP server: %s", uv_strerror(rc));
        MHD_stop_daemon(a->mhd);
        free(a);
        return rc;
    }
    uv_timer_init(cfg->loop, &a->timer); /* cannot fail on a live loop */
    a->poll.data = a->timer.data = a;
    a->open_handles = 2;
    uv_poll_start(&a->poll, UV_READABLE, admin_http_on_poll);
    admin_http_run(a);
    ERM_INFO(ADMIN_HTTP_MOD, "serving GET /metrics and /healthz on %s", cfg->listen);
    *out = a;
    return 0;
}

void admin_http_stop(struct admin_http *a)
{
    if (a == NULL || a->stopping)
        return;
    a->stopping = 1;
    /* Out of the loop's epoll set (uv_close stops the poll at once) before MHD closes the
     * descriptor; the struct goes in the close callbacks. */
    uv_close((uv_handle_t *)&a->poll, admin_http_closed);
    uv_close((uv_handle_t *)&a->timer, admin_http_closed);
    MHD_stop_daemon(a->mhd);
    a->mhd = NULL;
}
