/*
 * web_server.h: ermweb's HTTP side on libmicrohttpd: one request as the handlers see it
 * (its session, its body, its database connection) and what they answer with, the route
 * table's row, and starting and stopping the server.
 *
 * Threads: libmicrohttpd runs a pool of CONF->threads workers; each has its own blocking
 * database connection (storage/admin.h), opened at its first request and again after a
 * connection failure, closed when the worker ends. libpq connections are never shared.
 *
 * Ownership: a handler fills R->out (malloc'd, freed by the server) through web_json() or
 * web_raw(); everything else in R belongs to the server.
 */
#ifndef ERM_WEB_SERVER_H
#define ERM_WEB_SERVER_H

#include <stddef.h>

#include <jansson.h>

#include "storage/web_sessions.h"
#include "core/config.h"

struct MHD_Connection;
struct MHD_Daemon;
struct stor_admin;

/* The body of a request at most (an HR file of some thousand lines fits). */
#define WEB_BODY_MAX (8u * 1024 * 1024)

struct web_req {
    struct MHD_Connection *conn;
    const struct erm_config *conf;
    const char *method, *path;
    const char *arg;  /* the route's one "*" segment, or NULL */
    const char *body; /* NUL-terminated, BODY_LEN bytes */
    size_t body_len;
    char addr[64]; /* the client's address */
    struct stor_admin *adm;
    int has_session;
    struct stor_web_session sess;
    char token_hash[WEB_TOKEN_HEX];
    /* the answer */
    unsigned status;
    const char *ctype;
    char *out;
    size_t out_len;
    char cookie[256];      /* a Set-Cookie value, "" for none */
    char disposition[128]; /* a Content-Disposition value, "" for none */
};

/* Who may call a route. */
enum web_access { WEB_PUBLIC, WEB_SESSION, WEB_EMPLOYEE, WEB_MANAGER, WEB_ADMIN };
/* WEB_SESSION: anyone logged in, also a user who must change a one-time password first
 * (for them only these routes work); WEB_MANAGER: managers and admins. */

struct web_route {
    const char *method;
    const char *pattern; /* "/api/v1/products/x/activate": one "*" segment at most */
    enum web_access access;
    void (*handler)(struct web_req *r);
};

/* Answers J (a reference is stolen) as JSON with STATUS. */
void web_json(struct web_req *r, unsigned status, json_t *j);

/* Answers {"error": CODE, "message": MESSAGE} with STATUS. */
void web_error(struct web_req *r, unsigned status, const char *code, const char *message);

/* Answers a storage failure RC with its ERR line: 400/404/409 for the input's fault
 * (stor_admin_input_error), 500 otherwise (ERR logged, not shown). */
void web_fail_rc(struct web_req *r, int rc, const char *err);

/* 1 when the session's user is a department's manager, with 403 "scope" and WHY answered:
 * for what concerns every department. 0 for managers of all and admins. */
int web_scoped(struct web_req *r, const char *why);

/* The current period "YYYY-MM" (China's month, as erm_current_period()) into NOW (8
 * bytes). */
void web_period_now(char *now);

/* Answers {KEY: ROWS} (ROWS: a new array the handler filled, taken over) when RC is 0, else
 * drops ROWS and answers the failure RC with ERR as web_fail_rc(). */
void web_rows(struct web_req *r, int rc, const char *err, json_t *rows, const char *key);

/* Answers the malloc'd BODY (LEN bytes, taken over) of content type CTYPE. */
void web_raw(struct web_req *r, unsigned status, const char *ctype, char *body, size_t len);

/* The request's JSON body as an object (new reference), or NULL with a 400 answered (415
 * when its Content-Type is not application/json). */
json_t *web_body_json(struct web_req *r);

/* A string member KEY of object J, or NULL when absent or not a string. */
const char *web_str(json_t *j, const char *key);

/* The query argument NAME, or NULL. */
const char *web_query(struct web_req *r, const char *name);

/* Writes an audit entry for the session's user: WHAT and the printf DETAIL. A failure is
 * logged (the action itself stands). */
__attribute__((format(printf, 3, 4))) void web_audit(struct web_req *r, const char *what,
                                                     const char *fmt, ...);

/* Resolves LISTEN ("HOST:PORT", "[V6]:PORT", numeric) into SA and LEN. 0 or -EINVAL. */
struct sockaddr_storage;
int web_listen_addr(const char *listen, struct sockaddr_storage *sa, unsigned *len);

/* Starts the server on CONF->listen with ROUTES (N of them). NULL with ERR on failure. */
struct MHD_Daemon *web_server_start(const struct erm_config *conf, const struct web_route *routes,
                                    size_t n, char *err, size_t errlen);

/* Stops it: in-flight requests finish, workers end, their connections close. */
void web_server_stop(struct MHD_Daemon *d);

#endif
