/*
 * web_server.c: the HTTP side of web_server.h on libmicrohttpd: the body gathered, the
 * route found, the session and CSRF token checked, the worker's database connection
 * lent, the answer sent with the security headers every answer carries; and the pages'
 * static files.
 */
#include "web/web_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "common/log.h"
#include "storage/admin.h"
#include "storage/audit_log.h"
#include "web/web_auth.h"

static const struct web_route *web_routes;
static size_t web_nroutes;
static const struct erm_config *web_config;

/* ---- the worker's database connection --------------------------------------------------- */

static pthread_key_t web_adm_key;
static pthread_once_t web_adm_once = PTHREAD_ONCE_INIT;

static void web_adm_free(void *adm)
{
    stor_admin_close(adm);
}

static void web_adm_key_make(void)
{
    (void)pthread_key_create(&web_adm_key, web_adm_free);
}

/* The calling worker's connection, opened when it has none. NULL when the database cannot
 * be reached (logged). */
static struct stor_admin *web_adm_get(void)
{
    struct stor_admin *adm = pthread_getspecific(web_adm_key);
    if (adm != NULL)
        return adm;
    char err[512];
    if (stor_admin_connect(web_config->conninfo, &adm, err, sizeof err) < 0) {
        ERM_ERROR("web", "database: %s", err);
        return NULL;
    }
    (void)pthread_setspecific(web_adm_key, adm);
    return adm;
}

/* Drops the worker's connection after a connection failure: the next request reconnects. */
static void web_adm_drop(void)
{
    stor_admin_close(pthread_getspecific(web_adm_key));
    (void)pthread_setspecific(web_adm_key, NULL);
}

/* ---- answers ---------------------------------------------------------------------------- */

void web_raw(struct web_req *r, unsigned status, const char *ctype, char *body, size_t len)
{
    free(r->out);
    r->status = status;
    r->ctype = ctype;
    r->out = body;
    r->out_len = len;
}

void web_json(struct web_req *r, unsigned status, json_t *j)
{
    char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(j);
    if (s == NULL) {
        s = strdup("{\"error\":\"internal\"}");
        status = 500;
    }
    web_raw(r, status, "application/json; charset=utf-8", s, s != NULL ? strlen(s) : 0);
}

void web_error(struct web_req *r, unsigned status, const char *code, const char *message)
{
    web_json(r, status, json_pack("{s:s, s:s}", "error", code, "message", message));
}

void web_fail_rc(struct web_req *r, int rc, const char *err)
{
    if (rc == -ECONNRESET || rc == -ECONNREFUSED)
        web_adm_drop();
    if (!stor_admin_input_error(rc)) {
        ERM_ERROR("web", "%s %s: %s", r->method, r->path, err);
        web_error(r, 500, "internal", "服务器内部错误");
        return;
    }
    unsigned status = rc == -ENOENT ? 404 : rc == -EINVAL ? 400 : 409;
    web_error(r, status, rc == -ENOENT ? "not_found" : rc == -EINVAL ? "invalid" : "refused", err);
}

void web_period_now(char *now)
{
    time_t t = time(NULL) + 8 * 3600; /* Asia/Shanghai has no summer time */
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, 8, "%Y-%m", &tm);
}

int web_scoped(struct web_req *r, const char *why)
{
    if (r->sess.dept[0] == '\0')
        return 0;
    web_error(r, 403, "scope", why);
    return 1;
}

void web_rows(struct web_req *r, int rc, const char *err, json_t *rows, const char *key)
{
    if (rc < 0) {
        json_decref(rows);
        web_fail_rc(r, rc, err);
        return;
    }
    web_json(r, 200, json_pack("{s:o}", key, rows));
}

json_t *web_body_json(struct web_req *r)
{
    /* A form of another site cannot send this type without CORS's preflight, which we
     * never answer: no login CSRF through the public endpoints. */
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0) {
        web_error(r, 415, "content_type", "the body must be application/json");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(r->body, r->body_len, 0, &je);
    if (j == NULL || !json_is_object(j)) {
        json_decref(j);
        web_error(r, 400, "bad_json", "the body must be a JSON object");
        return NULL;
    }
    return j;
}

const char *web_str(json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

const char *web_query(struct web_req *r, const char *name)
{
    const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

void web_audit(struct web_req *r, const char *what, const char *fmt, ...)
{
    char detail[1024], err[512], actor[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (r->sess.login[0] != '\0')
        snprintf(actor, sizeof actor, "%s", r->sess.login);
    else
        snprintf(actor, sizeof actor, "employee:%s", r->sess.employee);
    int rc = stor_audit_add(r->adm, actor, r->sess.dept, r->addr, what, detail, err, sizeof err);
    if (rc < 0)
        ERM_ERROR("web", "audit %s by %s: %s", what, actor, err);
}

/* ---- static files ----------------------------------------------------------------------- */

static const struct {
    const char *ext, *type;
} web_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
};

/* GET of a page file: "/" is index.html; names are one segment of [A-Za-z0-9._-] not
 * starting with a dot, so nothing outside the directory can be named. */
static void web_static(struct web_req *r)
{
    const char *name = strcmp(r->path, "/") == 0 ? "index.html" : r->path + 1;
    size_t n = strlen(name);
    const char *type = NULL;
    for (size_t i = 0; i < sizeof web_types / sizeof web_types[0]; i++) {
        size_t e = strlen(web_types[i].ext);
        if (n > e && strcmp(name + n - e, web_types[i].ext) == 0)
            type = web_types[i].type;
    }
    if (type == NULL || name[0] == '.' ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n) {
        web_error(r, 404, "not_found", "no such page");
        return;
    }
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", r->conf->web_static_dir, name);
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf = NULL;
    if (f != NULL && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size < (1 << 22))
        buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(buf);
        if (f != NULL)
            fclose(f);
        web_error(r, 404, "not_found", "no such page");
        return;
    }
    fclose(f);
    web_raw(r, 200, type, buf, (size_t)st.st_size);
}

/* ---- dispatch --------------------------------------------------------------------------- */

/* 1 when PATH matches PATTERN, whose one "*" matches a segment: its text into SEG. */
static int web_match(const char *pattern, const char *path, char *seg, size_t cap)
{
    const char *star = strchr(pattern, '*');
    if (star == NULL)
        return strcmp(pattern, path) == 0;
    size_t pre = (size_t)(star - pattern);
    if (strncmp(pattern, path, pre) != 0)
        return 0;
    const char *s = path + pre;
    size_t len = strcspn(s, "/");
    if (len == 0 || len >= cap || strcmp(s + len, star + 1) != 0)
        return 0;
    memcpy(seg, s, len);
    seg[len] = '\0';
    return 1;
}

/* Checks the route's access: the session (from the cookie), the role, and for every
 * request that changes something, the CSRF header. 1 to go on, 0 when answered. */
static int web_admit(struct web_req *r, const struct web_route *rt)
{
    if (rt->access == WEB_PUBLIC)
        return 1;
    if (!web_auth_session(r)) {
        web_error(r, 401, "login", "请先登录");
        return 0;
    }
    int employee = strcmp(r->sess.role, "employee") == 0;
    int ok = rt->access == WEB_SESSION    ? 1
             : rt->access == WEB_EMPLOYEE ? employee
             : rt->access == WEB_MANAGER  ? !employee
                                          : strcmp(r->sess.role, "admin") == 0;
    if (!ok) {
        web_error(r, 403, "forbidden", "没有权限");
        return 0;
    }
    if (r->sess.must_change && rt->access != WEB_SESSION) { /* a one-time password */
        web_error(r, 403, "password_change", "请先修改初始密码");
        return 0;
    }
    if (strcmp(r->method, "GET") != 0 && !web_auth_csrf_ok(r)) {
        web_error(r, 403, "csrf", "CSRF token missing or wrong");
        return 0;
    }
    return 1;
}

/* Runs the request R: the route of its method and path, or a page file. */
static void web_dispatch(struct web_req *r)
{
    char seg[256];
    int path_known = 0;
    if (strncmp(r->path, "/api/", 5) != 0) {
        if (strcmp(r->method, "GET") == 0)
            web_static(r);
        else
            web_error(r, 405, "method", "method not allowed");
        return;
    }
    for (size_t i = 0; i < web_nroutes; i++) {
        const struct web_route *rt = &web_routes[i];
        if (!web_match(rt->pattern, r->path, seg, sizeof seg))
            continue;
        path_known = 1;
        if (strcmp(rt->method, r->method) != 0)
            continue;
        r->arg = strchr(rt->pattern, '*') != NULL ? seg : NULL;
        r->adm = web_adm_get();
        if (r->adm == NULL) {
            web_error(r, 503, "database", "数据库暂时不可用");
            return;
        }
        if (web_admit(r, rt))
            rt->handler(r);
        return;
    }
    if (path_known)
        web_error(r, 405, "method", "method not allowed");
    else
        web_error(r, 404, "not_found", "no such endpoint");
}

/* The client's address: the peer's, or behind a trusted proxy the last X-Forwarded-For
 * entry (the one the proxy added). */
static void web_client_addr(struct web_req *r)
{
    const char *fwd = r->conf->web_trust_proxy
                          ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-For")
                          : NULL;
    if (fwd != NULL) {
        const char *last = strrchr(fwd, ',');
        last = last != NULL ? last + 1 : fwd;
        while (*last == ' ')
            last++;
        snprintf(r->addr, sizeof r->addr, "%.63s", last);
        return;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(r->addr, sizeof r->addr, "?");
    if (ci != NULL && ci->client_addr != NULL)
        getnameinfo(ci->client_addr,
                    ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : sizeof(struct sockaddr_in),
                    r->addr, sizeof r->addr, NULL, 0, NI_NUMERICHOST);
}

/* Adds the headers every answer carries, and the cookie. */
static void web_headers(struct MHD_Response *resp, const struct web_req *r)
{
    MHD_add_response_header(resp, "Content-Type", r->ctype);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    if (r->cookie[0] != '\0')
        MHD_add_response_header(resp, "Set-Cookie", r->cookie);
    if (r->disposition[0] != '\0')
        MHD_add_response_header(resp, "Content-Disposition", r->disposition);
}

/* A request's body being gathered. */
struct web_body {
    char *data;
    size_t len, cap;
    int too_big;
};

static int web_body_add(struct web_body *b, const char *data, size_t n)
{
    if (b->too_big || b->len + n > WEB_BODY_MAX) {
        b->too_big = 1;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL) {
            b->too_big = 1;
            return 0;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static enum MHD_Result web_access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version, const char *upload,
                                     size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct web_body *b = *con_cls;
    if (b == NULL) {
        *con_cls = b = calloc(1, sizeof *b);
        return b != NULL ? MHD_YES : MHD_NO;
    }
    if (*upload_size > 0) {
        web_body_add(b, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    struct web_req r = {.conn = conn,
                        .conf = web_config,
                        .method = method,
                        .path = url,
                        .body = b->data != NULL ? b->data : "",
                        .body_len = b->len};
    web_client_addr(&r);
    if (b->too_big)
        web_error(&r, 413, "too_big", "request body too large");
    else
        web_dispatch(&r);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r.out_len, r.out, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(r.out);
        return MHD_NO;
    }
    web_headers(resp, &r);
    enum MHD_Result ret = MHD_queue_response(conn, r.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void web_completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
                             enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct web_body *b = *con_cls;
    if (b != NULL) {
        free(b->data);
        free(b);
        *con_cls = NULL;
    }
}

static void web_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    ERM_WARN("web", "http: %s", msg);
}

/* See web_server.h. */
int web_listen_addr(const char *listen, struct sockaddr_storage *sa, unsigned *len)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon == listen || (size_t)(colon - listen) >= sizeof host)
        return -EINVAL;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *h = host;
    if (h[0] == '[' && h[strlen(h) - 1] == ']') {
        h[strlen(h) - 1] = '\0';
        h++;
    }
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || port < 1 || port > 65535)
        return -EINVAL;
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(h, colon + 1, &hints, &ai) != 0 || ai == NULL)
        return -EINVAL;
    memcpy(sa, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

struct MHD_Daemon *web_server_start(const struct erm_config *conf, const struct web_route *routes,
                                    size_t n, char *err, size_t errlen)
{
    struct sockaddr_storage sa;
    unsigned salen = 0;
    if (web_listen_addr(conf->web_listen, &sa, &salen) < 0) {
        snprintf(err, errlen, "[web] listen: \"%s\" is not HOST:PORT", conf->web_listen);
        return NULL;
    }
    (void)salen;
    web_routes = routes;
    web_nroutes = n;
    web_config = conf;
    pthread_once(&web_adm_once, web_adm_key_make);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_EPOLL;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, web_access_cb, NULL, MHD_OPTION_EXTERNAL_LOGGER, web_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)conf->web_threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED, web_completed_cb, NULL, MHD_OPTION_END);
    if (d == NULL)
        snprintf(err, errlen, "[web] listen: cannot listen on %s: %s", conf->web_listen,
                 strerror(errno));
    return d;
}

void web_server_stop(struct MHD_Daemon *d)
{
    if (d != NULL)
        MHD_stop_daemon(d);
}
