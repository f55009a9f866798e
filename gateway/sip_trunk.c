/*
 * sip_trunk.c: the SIP user agent server of sip_trunk.h.
 *
 * libosip2 parses every message and runs the server transactions (IST for INVITE, NIST for
 * the rest) and the client transaction of our BYE (NICT); it owns no socket and no clock:
 * messages come in from our UDP and TCP handles, go out through cb_send_message, and one
 * uv_timer (armed from osip_timers_gettimeout) drives its timers. What RFC 3261 leaves to
 * the transaction user is here: the 2xx to an INVITE ends the IST, so we retransmit it
 * ourselves (T1 doubling to T2) until the ACK, and give up after 64*T1 with a BYE.
 * Transactions that osip kills are freed after its execute loop, never inside it.
 *
 * Cost per message stays flat with the calls in progress: osip's own osip_*_execute() and
 * osip_timers_*_execute() walk every transaction (a clock read each), so at 300 calls a
 * second (thousands of live transactions) calling them per message took most of the loop.
 * A message's event is given to the one transaction it belongs to and run there; the timers
 * run on the tick, every SIP_TICK_MS while any transaction lives.
 */
#include "gateway/sip_trunk.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <osip2/osip.h>
#include <osipparser2/osip_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/random.h>

#include "common/log.h"
#include "core/dialprefix.h"
#include "core/netaddr.h"
#include "gateway/media_clock.h"
#include "gateway/sip_sdp.h"

#define SIP_MOD         "sip"
#define SIP_NUM_MAX     32  /* caller and called numbers: longer ones are not numbers */
#define SIP_TAG_HEX     16  /* our To tags: 64 random bits */
#define SIP_TICK_MAX_MS 500 /* osip's timers are looked at at least this often */
#define SIP_TICK_MS     20  /* ... and this often while a transaction lives (T1 is 500 ms) */
#define SIP_ALLOW       "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"

/* Where a request came from, so that its answers go back the same way: UDP to the source
 * address (what rport asks for, and what a trunk behind NAT needs), TCP on the connection
 * it came on. One is kept per transaction (osip reserved1) and per call. */
struct sip_origin {
    int tcp;
    uint64_t conn; /* TCP: the connection's id (it may be gone when we answer) */
    struct sockaddr_storage addr;
};

enum sip_call_state {
    SIP_CALL_PENDING,  /* handed up, waiting for answer or reject */
    SIP_CALL_ANSWERED, /* 200 sent, retransmitted until the ACK */
    SIP_CALL_PLAYING,  /* ACK came, the prompt is playing */
    SIP_CALL_PADDING,  /* the prompt's last frame left: BYE after hangup_pad_ms */
};

struct sip_call {
    struct sip_trunk *t;
    LIST_ENTRY(sip_call) link;
    uint64_t id;
    enum sip_call_state state;
    osip_transaction_t *ist; /* the INVITE's server transaction while osip keeps it */
    osip_message_t *invite;  /* our copy of the INVITE: dialog data for the answer and BYE */
    struct sip_origin origin;
    char *call_id;    /* Call-ID as text */
    char *remote_tag; /* the caller's From tag */
    unsigned long invite_cseq;
    char local_tag[SIP_TAG_HEX + 1];
    char host[72];       /* our address as the caller reached it, for Contact and Via */
    char media_host[64]; /* the same without brackets, for SDP and the RTP socket */
    int media_family;
    struct sip_sdp_offer offer;
    char sdp[1024];
    char *ok200; /* our 200 OK as sent, for retransmission */
    size_t ok200_len;
    unsigned rt_interval_ms, rt_elapsed_ms;
    uv_timer_t timer; /* decide bound, then 2xx retransmission, then the hang-up pad */
    struct rtp_stream *rtp;
    const struct rtp_audio *audio;
};

struct sip_conn {
    struct sip_trunk *t;
    LIST_ENTRY(sip_conn) link;
    uv_tcp_t h;
    uint64_t id;
    struct sockaddr_storage peer;
    char *buf;
    size_t len;
    int closing;
};

struct sip_trunk {
    uv_loop_t *loop;
    struct sip_trunk_events ev;
    void *ud;
    osip_t *osip;
    uv_udp_t udp;
    uv_tcp_t tcp;
    uv_timer_t tick;
    unsigned handles; /* open libuv handles: the trunk is freed when the last one closes */
    int stopping, draining, notify_stopped;
    struct sockaddr_storage listen_addr;
    char host[72]; /* the listen address for SIP headers ("[::1]" for IPv6) */
    char bare_host[64];
    uint16_t port;
    int family, wildcard;
    struct netaddr_cidr acl[NETADDR_ACL_MAX];
    size_t nacl;
    struct dialprefix_set prefixes;
    struct rtp_port_pool ports;
    struct media_clock *clock; /* paces every call's RTP (its own thread) */
    unsigned max_calls, ncalls, decide_ms, retry_after_s, t1_ms, pad_ms, max_message;
    LIST_HEAD(, sip_call) calls;
    LIST_HEAD(, sip_conn) conns;
    uint64_t next_call, next_conn;
    osip_transaction_t **dead; /* killed by osip, freed after the execute loop */
    size_t ndead, capdead;
    int in_exec, scan_all;
    osip_transaction_t **busy; /* given an event since the last sip_execute */
    size_t nbusy, capbusy;
    char rx[65536];
};

static void sip_execute(struct sip_trunk *t);
static void sip_call_end(struct sip_call *c, enum sip_call_end why);
static void sip_handle_closed(uv_handle_t *h);

const char *sip_call_end_name(enum sip_call_end why)
{
    static const char *const names[] = {"played",    "caller_bye", "no_ack",  "rejected",
                                        "cancelled", "timeout",    "stopped", "media"};
    return (unsigned)why < sizeof names / sizeof names[0] ? names[why] : "?";
}

/* ---- small helpers ---- */

static void sip_random_hex(char *out, size_t hexlen)
{
    uint8_t b[32];
    size_t n = (hexlen + 1) / 2;
    if (n > sizeof b)
        n = sizeof b;
    if (getrandom(b, n, 0) != (ssize_t)n)
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)(uv_hrtime() >> (i % 8));
    for (size_t i = 0; i < hexlen && i / 2 < n; i++)
        out[i] = "0123456789abcdef"[(b[i / 2] >> (i % 2 ? 0 : 4)) & 0xF];
    out[hexlen] = '\0';
}

static void sip_addr_text(const struct sockaddr_storage *a, char *out, size_t cap)
{
    struct netaddr na;
    uint16_t port = 0;
    char ip[64] = "?";
    if (netaddr_from_sockaddr((const struct sockaddr *)a, &na, &port) == 0)
        netaddr_format(&na, ip, sizeof ip);
    snprintf(out, cap, na.family == 6 ? "[%s]:%u" : "%s:%u", ip, port);
}

/* The first place in S where WORD starts, ignoring case, or NULL. */
static const char *sip_find_nocase(const char *s, const char *word)
{
    for (size_t n = strlen(word); *s != '\0'; s++)
        if (strncasecmp(s, word, n) == 0)
            return s;
    return NULL;
}

/* Copies the user part of the SIP, SIPS or TEL URI inside V (a header value or a URI) into
 * OUT, or "" when there is none or it is longer than SIP_NUM_MAX. */
static void sip_uri_user(const char *v, char *out, size_t cap)
{
    out[0] = '\0';
    static const char *const schemes[] = {"sips:", "sip:", "tel:"};
    for (size_t i = 0; v != NULL && i < 3; i++) {
        const char *p = sip_find_nocase(v, schemes[i]);
        if (p == NULL)
            continue;
        p += strlen(schemes[i]);
        size_t n = strcspn(p, "@;>?, \t");
        if (i < 2 && p[n] != '@')
            return; /* a SIP URI without a user part */
        if (n > 0 && n <= SIP_NUM_MAX && n < cap) {
            memcpy(out, p, n);
            out[n] = '\0';
        }
        return;
    }
}

static int sip_via_clone(void *src, void **dst)
{
    return osip_via_clone(src, (osip_via_t **)dst);
}

static int sip_route_clone(void *src, void **dst)
{
    return osip_from_clone(src, (osip_from_t **)dst);
}

/* A request we can work with: the headers every transaction and response needs, and a
 * CSeq whose number is a number and whose method is the request's. */
static int sip_request_ok(const osip_message_t *m)
{
    if (m->sip_method == NULL || m->req_uri == NULL || m->from == NULL || m->from->url == NULL ||
        m->to == NULL || m->to->url == NULL || m->call_id == NULL || m->call_id->number == NULL ||
        m->cseq == NULL || m->cseq->number == NULL || m->cseq->method == NULL ||
        osip_list_size(&m->vias) < 1)
        return 0;
    size_t n = strlen(m->cseq->number);
    if (n == 0 || n > 10 || strspn(m->cseq->number, "0123456789") != n)
        return 0;
    return strcmp(m->cseq->method, m->sip_method) == 0;
}

static int sip_response_ok(const osip_message_t *m)
{
    return m->call_id != NULL && m->cseq != NULL && m->cseq->method != NULL &&
           m->cseq->number != NULL && osip_list_size(&m->vias) >= 1;
}

static const char *sip_tag_of(osip_from_t *h)
{
    osip_generic_param_t *p = NULL;
    if (h == NULL || osip_from_get_tag(h, &p) != 0 || p == NULL)
        return NULL;
    return p->gvalue;
}

/* ---- sending ---- */

static struct sip_conn *sip_conn_find(struct sip_trunk *t, uint64_t id)
{
    struct sip_conn *c;
    LIST_FOREACH(c, &t->conns, link)
    if (c->id == id && !c->closing)
        return c;
    return NULL;
}

struct sip_write {
    uv_write_t req;
    char data[];
};

static void sip_on_written(uv_write_t *req, int status)
{
    (void)status; /* a failed write closes the connection through its read side */
    free(req);
}

/* Sends LEN bytes to O. Returns 0 or a negative errno. */
static int sip_send_raw(struct sip_trunk *t, const struct sip_origin *o, const char *data,
                        size_t len)
{
    if (t->stopping > 1)
        return -ENOTCONN; /* the sockets are closing */
    if (o->tcp) {
        struct sip_conn *c = sip_conn_find(t, o->conn);
        if (c == NULL)
            return -ENOTCONN;
        struct sip_write *w = malloc(sizeof *w + len);
        if (w == NULL)
            return -ENOMEM;
        memcpy(w->data, data, len);
        uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
        int rc = uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, sip_on_written);
        if (rc < 0)
            free(w);
        return rc;
    }
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int rc = uv_udp_try_send(&t->udp, &b, 1, (const struct sockaddr *)&o->addr);
    return rc < 0 ? rc : 0;
}

static int sip_send_msg(struct sip_trunk *t, const struct sip_origin *o, osip_message_t *m)
{
    char *text = NULL;
    size_t len = 0;
    if (osip_message_to_str(m, &text, &len) != 0)
        return -EINVAL;
    int rc = sip_send_raw(t, o, text, len);
    if (rc < 0) {
        char where[80];
        sip_addr_text(&o->addr, where, sizeof where);
        ERM_WARN(SIP_MOD, "send to %s failed: %s", where, uv_strerror(rc));
    }
    osip_free(text);
    return rc;
}

/* osip's way out: every message a transaction sends. */
static int sip_cb_send(osip_transaction_t *tr, osip_message_t *m, char *host, int port, int sock)
{
    (void)host, (void)port, (void)sock; /* we answer where the request came from */
    struct sip_trunk *t = osip_get_application_context(tr->config);
    struct sip_origin *o = osip_transaction_get_reserved1(tr);
    if (o == NULL || sip_send_msg(t, o, m) < 0)
        return -1;
    return 0;
}

/* A response to REQ: its Via, From, To (with TAG added when it has none), Call-ID, CSeq. */
static osip_message_t *sip_response_new(const osip_message_t *req, int code, const char *tag)
{
    osip_message_t *r = NULL;
    if (osip_message_init(&r) != 0)
        return NULL;
    const char *reason = osip_message_get_reason(code);
    osip_message_set_version(r, osip_strdup("SIP/2.0"));
    osip_message_set_status_code(r, code);
    osip_message_set_reason_phrase(r, osip_strdup(reason != NULL ? reason : "Error"));
    osip_list_clone(&req->vias, &r->vias, sip_via_clone);
    if (req->from != NULL)
        osip_from_clone(req->from, &r->from);
    if (req->to != NULL) {
        osip_to_clone(req->to, &r->to);
        if (tag != NULL && code > 100 && sip_tag_of(r->to) == NULL)
            osip_to_set_tag(r->to, osip_strdup(tag));
    }
    if (req->call_id != NULL)
        osip_call_id_clone(req->call_id, &r->call_id);
    if (req->cseq != NULL)
        osip_cseq_clone(req->cseq, &r->cseq);
    osip_message_set_header(r, "Server", "ermgw");
    return r;
}

static void sip_set_retry_after(osip_message_t *r, unsigned s)
{
    if (s > 0) {
        char v[16];
        snprintf(v, sizeof v, "%u", s);
        osip_message_set_header(r, "Retry-After", v);
    }
}

static void sip_set_body(osip_message_t *r, const char *sdp)
{
    osip_message_set_content_type(r, "application/sdp");
    osip_message_set_body(r, sdp, strlen(sdp));
}

/* Answers REQ without a transaction (403 to strangers, 400 to garbage, ...). */
static void sip_reply_stateless(struct sip_trunk *t, const struct sip_origin *o,
                                const osip_message_t *req, int code, unsigned retry_after_s)
{
    char tag[SIP_TAG_HEX + 1];
    sip_random_hex(tag, SIP_TAG_HEX);
    osip_message_t *r = sip_response_new(req, code, tag);
    if (r == NULL)
        return;
    sip_set_retry_after(r, retry_after_s);
    sip_send_msg(t, o, r);
    osip_message_free(r);
}

/* Gives EVT (which TR then owns) to TR, to be run by the next sip_execute(). */
static void sip_tr_queue(struct sip_trunk *t, osip_transaction_t *tr, osip_event_t *evt)
{
    osip_transaction_add_event(tr, evt);
    if (t->nbusy == t->capbusy) {
        size_t cap = t->capbusy ? 2 * t->capbusy : 64;
        osip_transaction_t **b = realloc(t->busy, cap * sizeof *b);
        if (b == NULL) {
            t->scan_all = 1; /* out of memory: osip's own walk finds it */
            return;
        }
        t->busy = b;
        t->capbusy = cap;
    }
    t->busy[t->nbusy++] = tr;
}

/* The live transaction a received message belongs to (NULL: none), from the one list it
 * can be in: osip_find_transaction_and_add_event() would search all four. */
static osip_transaction_t *sip_tr_find(struct sip_trunk *t, osip_event_t *evt)
{
    osip_list_t *list;
    if (EVT_IS_INCOMINGREQ(evt))
        list = MSG_IS_INVITE(evt->sip) || MSG_IS_ACK(evt->sip) ? &t->osip->osip_ist_transactions
                                                               : &t->osip->osip_nist_transactions;
    else if (EVT_IS_INCOMINGRESP(evt))
        list = MSG_IS_RESPONSE_FOR(evt->sip, "INVITE") ? &t->osip->osip_ict_transactions
                                                       : &t->osip->osip_nict_transactions;
    else
        return NULL;
    return osip_transaction_find(list, evt);
}

/* Hands the response R (which osip then owns) to the server transaction TR. */
static void sip_tr_respond(struct sip_trunk *t, osip_transaction_t *tr, osip_message_t *r)
{
    if (r == NULL)
        return;
    if (tr == NULL) {
        osip_message_free(r);
        return;
    }
    osip_event_t *evt = osip_new_outgoing_sipmessage(r);
    if (evt == NULL) {
        osip_message_free(r);
        return;
    }
    evt->transactionid = tr->transactionid;
    sip_tr_queue(t, tr, evt);
}

static void sip_tr_reply(struct sip_trunk *t, osip_transaction_t *tr, const osip_message_t *req,
                         int code, const char *tag, unsigned retry_after_s)
{
    osip_message_t *r = sip_response_new(req, code, tag);
    if (r != NULL)
        sip_set_retry_after(r, retry_after_s);
    sip_tr_respond(t, tr, r);
}

/* ---- transactions ---- */

static struct sip_origin *sip_origin_dup(const struct sip_origin *o)
{
    struct sip_origin *d = malloc(sizeof *d);
    if (d != NULL)
        *d = *o;
    return d;
}

static void sip_tr_free(osip_transaction_t *tr)
{
    free(osip_transaction_get_reserved1(tr));
    struct sip_call *c = osip_transaction_get_reserved2(tr);
    if (c != NULL && c->ist == tr)
        c->ist = NULL;
    osip_transaction_free(tr);
}

static void sip_cb_kill(int type, osip_transaction_t *tr)
{
    (void)type;
    struct sip_trunk *t = osip_get_application_context(tr->config);
    if (t->ndead == t->capdead) {
        size_t cap = t->capdead ? 2 * t->capdead : 16;
        osip_transaction_t **d = realloc(t->dead, cap * sizeof *d);
        if (d == NULL)
            return; /* freed at stop with the rest */
        t->dead = d;
        t->capdead = cap;
    }
    t->dead[t->ndead++] = tr;
}

static void sip_free_dead(struct sip_trunk *t)
{
    for (size_t i = 0; i < t->ndead; i++)
        sip_tr_free(t->dead[i]);
    t->ndead = 0;
}

static int sip_has_transactions(const struct sip_trunk *t)
{
    return osip_list_size(&t->osip->osip_ist_transactions) > 0 ||
           osip_list_size(&t->osip->osip_nist_transactions) > 0 ||
           osip_list_size(&t->osip->osip_nict_transactions) > 0 ||
           osip_list_size(&t->osip->osip_ict_transactions) > 0;
}

static void sip_on_tick(uv_timer_t *h);

/* The tick comes within SIP_TICK_MS while a transaction lives, else within SIP_TICK_MAX_MS. */
static void sip_arm_tick(struct sip_trunk *t)
{
    if (t->stopping)
        return;
    uint64_t ms = sip_has_transactions(t) ? SIP_TICK_MS : SIP_TICK_MAX_MS;
    if (!uv_is_active((uv_handle_t *)&t->tick) || uv_timer_get_due_in(&t->tick) > ms)
        uv_timer_start(&t->tick, sip_on_tick, ms, 0);
}

/* osip's timers (each walks its transactions): their events are found by a full walk. */
static void sip_on_tick(uv_timer_t *h)
{
    struct sip_trunk *t = h->data;
    osip_timers_ist_execute(t->osip);
    osip_timers_nist_execute(t->osip);
    osip_timers_nict_execute(t->osip);
    osip_timers_ict_execute(t->osip);
    t->scan_all = 1;
    uv_timer_stop(&t->tick);
    sip_execute(t);
}

static int sip_tr_is_dead(const struct sip_trunk *t, const osip_transaction_t *tr)
{
    for (size_t i = 0; i < t->ndead; i++)
        if (t->dead[i] == tr)
            return 1;
    return 0;
}

/* Runs the events queued on TR, in order. */
static void sip_tr_run(osip_transaction_t *tr)
{
    osip_event_t *e;
    while ((e = osip_fifo_tryget(tr->transactionff)) != NULL)
        osip_transaction_execute(tr, e);
}

/* Runs every queued event until none is left (callbacks queue more), then frees what died. */
static void sip_execute(struct sip_trunk *t)
{
    if (t->in_exec)
        return; /* the running loop takes what was queued */
    t->in_exec = 1;
    while (t->nbusy > 0 || t->scan_all) {
        if (t->scan_all) {
            t->scan_all = 0;
            t->nbusy = 0;
            osip_ist_execute(t->osip);
            osip_nist_execute(t->osip);
            osip_nict_execute(t->osip);
            osip_ict_execute(t->osip);
            continue;
        }
        osip_transaction_t *tr = t->busy[--t->nbusy];
        if (!sip_tr_is_dead(t, tr))
            sip_tr_run(tr);
    }
    t->in_exec = 0;
    sip_free_dead(t);
    sip_arm_tick(t);
}

/* ---- calls ---- */

static struct sip_call *sip_call_by_id(struct sip_trunk *t, uint64_t id)
{
    struct sip_call *c;
    LIST_FOREACH(c, &t->calls, link)
    if (c->id == id)
        return c;
    return NULL;
}

/* The call M belongs to: same Call-ID and the caller's tag in From. */
static struct sip_call *sip_call_of(struct sip_trunk *t, osip_message_t *m)
{
    const char *tag = sip_tag_of(m->from);
    char *cid = NULL;
    if (tag == NULL || osip_call_id_to_str(m->call_id, &cid) != 0)
        return NULL;
    struct sip_call *c;
    LIST_FOREACH(c, &t->calls, link)
    if (strcmp(c->call_id, cid) == 0 && strcmp(c->remote_tag, tag) == 0)
        break;
    osip_free(cid);
    return c;
}

static void sip_call_closed(uv_handle_t *h)
{
    struct sip_call *c = h->data;
    struct sip_trunk *t = c->t;
    osip_message_free(c->invite);
    osip_free(c->call_id);
    free(c->remote_tag);
    free(c->ok200);
    free(c);
    sip_handle_closed((uv_handle_t *)&t->tick); /* counts the call's timer */
}

/* Sends a BYE in C's dialog (a client transaction of its own, which outlives C). */
static void sip_send_bye(struct sip_call *c)
{
    struct sip_trunk *t = c->t;
    osip_message_t *m = NULL;
    osip_contact_t *contact = NULL;
    osip_uri_t *uri = NULL;
    char via[160], branch[SIP_TAG_HEX + 1];
    if (osip_message_init(&m) != 0)
        return;
    osip_message_set_method(m, osip_strdup("BYE"));
    osip_message_set_version(m, osip_strdup("SIP/2.0"));
    osip_message_get_contact(c->invite, 0, &contact);
    osip_uri_clone(contact != NULL && contact->url != NULL ? contact->url : c->invite->from->url,
                   &uri);
    osip_message_set_uri(m, uri);
    sip_random_hex(branch, SIP_TAG_HEX);
    snprintf(via, sizeof via, "SIP/2.0/%s %s;rport;branch=z9hG4bK%s", c->origin.tcp ? "TCP" : "UDP",
             c->host, branch);
    osip_message_set_via(m, via);
    osip_from_clone(c->invite->to, &m->from);
    if (sip_tag_of(m->from) == NULL)
        osip_from_set_tag(m->from, osip_strdup(c->local_tag));
    osip_to_clone(c->invite->from, &m->to);
    osip_call_id_clone(c->invite->call_id, &m->call_id);
    osip_message_set_cseq(m, "1 BYE");
    osip_list_clone(&c->invite->record_routes, &m->routes, sip_route_clone);
    osip_message_set_max_forwards(m, "70");
    osip_message_set_header(m, "User-Agent", "ermgw");
    osip_transaction_t *tr = NULL;
    if (osip_transaction_init(&tr, NICT, t->osip, m) != 0) {
        osip_message_free(m);
        return;
    }
    osip_transaction_set_reserved1(tr, sip_origin_dup(&c->origin));
    osip_event_t *evt = osip_new_outgoing_sipmessage(m);
    evt->transactionid = tr->transactionid;
    sip_tr_queue(t, tr, evt);
}

/* Ends C: tells the upper layer, stops the media, and frees C once its timer is closed. */
static void sip_call_end(struct sip_call *c, enum sip_call_end why)
{
    struct sip_trunk *t = c->t;
    LIST_REMOVE(c, link);
    t->ncalls--;
    if (c->ist != NULL)
        osip_transaction_set_reserved2(c->ist, NULL);
    c->ist = NULL;
    uint64_t frames = 0, late_us = 0;
    if (c->rtp != NULL) {
        rtp_stream_stats(c->rtp, &frames, &late_us);
        rtp_stream_close(c->rtp);
    }
    c->rtp = NULL;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, sip_call_closed);
    ERM_INFO(SIP_MOD, "call %llu ended: %s (%llu RTP frames, the latest %.1f ms after its time)",
             (unsigned long long)c->id, sip_call_end_name(why), (unsigned long long)frames,
             late_us / 1000.0);
    if (t->ev.on_call_end != NULL)
        t->ev.on_call_end(t->ud, c->id, why);
}

/* Refuses the undecided call C with CODE through its INVITE transaction, and ends it. */
static void sip_call_refuse(struct sip_call *c, int code, unsigned retry_after_s,
                            enum sip_call_end why)
{
    sip_tr_reply(c->t, c->ist, c->invite, code, c->local_tag, retry_after_s);
    sip_call_end(c, why);
}

static void sip_on_decide_timeout(uv_timer_t *h)
{
    struct sip_call *c = h->data;
    ERM_WARN(SIP_MOD, "call %llu: no answer from the order path in %u ms: 503",
             (unsigned long long)c->id, c->t->decide_ms);
    struct sip_trunk *t = c->t;
    sip_call_refuse(c, 503, t->retry_after_s, SIP_END_TIMEOUT);
    sip_execute(t);
}

static void sip_on_hangup(uv_timer_t *h)
{
    struct sip_call *c = h->data;
    struct sip_trunk *t = c->t;
    sip_send_bye(c);
    sip_call_end(c, SIP_END_PLAYED);
    sip_execute(t);
}

static void sip_on_played(void *ud)
{
    struct sip_call *c = ud;
    c->state = SIP_CALL_PADDING;
    uv_timer_start(&c->timer, sip_on_hangup, c->t->pad_ms, 0);
}

/* Our 200 OK again, T1 doubling to T2, until the ACK or 64*T1. */
static void sip_on_retransmit(uv_timer_t *h)
{
    struct sip_call *c = h->data;
    struct sip_trunk *t = c->t;
    c->rt_elapsed_ms += c->rt_interval_ms;
    if (c->rt_elapsed_ms >= 64 * t->t1_ms) {
        ERM_WARN(SIP_MOD, "call %llu: no ACK to our 200 OK in %u ms: BYE",
                 (unsigned long long)c->id, c->rt_elapsed_ms);
        sip_send_bye(c);
        sip_call_end(c, SIP_END_NO_ACK);
        sip_execute(t);
        return;
    }
    sip_send_raw(t, &c->origin, c->ok200, c->ok200_len);
    c->rt_interval_ms *= 2;
    if (c->rt_interval_ms > 8 * t->t1_ms)
        c->rt_interval_ms = 8 * t->t1_ms;
    if (c->rt_interval_ms > 64 * t->t1_ms - c->rt_elapsed_ms)
        c->rt_interval_ms = 64 * t->t1_ms - c->rt_elapsed_ms;
    uv_timer_start(&c->timer, sip_on_retransmit, c->rt_interval_ms, 0);
}

/* The caller's ACK to our 200 OK: the media starts. */
static void sip_on_ack(struct sip_trunk *t, osip_message_t *ack)
{
    struct sip_call *c = sip_call_of(t, ack);
    if (c == NULL || c->state != SIP_CALL_ANSWERED)
        return; /* an ACK to a re-INVITE's 200, or one repeated: nothing to do */
    uv_timer_stop(&c->timer);
    struct sockaddr_storage dest;
    memset(&dest, 0, sizeof dest);
    int rc = c->offer.family == 6
                 ? uv_ip6_addr(c->offer.addr, c->offer.port, (struct sockaddr_in6 *)&dest)
                 : uv_ip4_addr(c->offer.addr, c->offer.port, (struct sockaddr_in *)&dest);
    if (rc == 0)
        rc = rtp_stream_play(c->rtp, (struct sockaddr *)&dest, c->offer.pt, c->audio, sip_on_played,
                             c);
    if (rc < 0) {
        ERM_WARN(SIP_MOD, "call %llu: cannot send RTP to %s: BYE", (unsigned long long)c->id,
                 c->offer.addr);
        sip_send_bye(c);
        sip_call_end(c, SIP_END_MEDIA);
        return;
    }
    c->state = SIP_CALL_PLAYING;
}

/* Our address as the caller reached it: the listen address, or when that is a wildcard the
 * Request-URI's host if it is an address of the same family. */
static void sip_call_set_host(struct sip_call *c, const osip_message_t *inv)
{
    struct sip_trunk *t = c->t;
    const char *h = t->bare_host;
    struct netaddr a;
    if (t->wildcard && inv->req_uri->host != NULL &&
        netaddr_parse_ip(inv->req_uri->host, &a) == 0 && (a.family == t->family || t->family == 6))
        h = inv->req_uri->host;
    else if (t->wildcard)
        h = t->family == 6 ? "::1" : "127.0.0.1";
    netaddr_parse_ip(h, &a);
    snprintf(c->media_host, sizeof c->media_host, "%s", h);
    c->media_family = a.family;
    snprintf(c->host, sizeof c->host, a.family == 6 ? "[%s]:%u" : "%s:%u", h, t->port);
}

/* The caller's number: P-Asserted-Identity's user (peers are trusted), else From's. */
static void sip_caller_of(const osip_message_t *inv, char *out, size_t cap)
{
    osip_header_t *pai = NULL;
    out[0] = '\0';
    if (osip_message_header_get_byname(inv, "p-asserted-identity", 0, &pai) >= 0 && pai != NULL &&
        pai->hvalue != NULL)
        sip_uri_user(pai->hvalue, out, cap);
    if (out[0] == '\0' && inv->from->url->username != NULL &&
        strlen(inv->from->url->username) <= SIP_NUM_MAX)
        snprintf(out, cap, "%s", inv->from->url->username);
}

/* Reads INV's offer into OFFER. Returns 0, or the status to refuse the call with. */
static int sip_read_offer(const osip_message_t *inv, struct sip_sdp_offer *offer)
{
    osip_body_t *body = NULL;
    osip_message_get_body(inv, 0, &body);
    if (body == NULL || body->body == NULL || body->length == 0)
        return 488; /* no offer (offer in the 200, answer in the ACK): not supported */
    int rc = sip_sdp_read_offer(body->body, body->length, offer);
    return rc == 0 ? 0 : 488;
}

static struct sip_call *sip_call_new(struct sip_trunk *t, osip_transaction_t *tr,
                                     osip_message_t *inv)
{
    struct sip_call *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->t = t;
    c->remote_tag = strdup(sip_tag_of(inv->from) != NULL ? sip_tag_of(inv->from) : "");
    if (c->remote_tag == NULL || osip_call_id_to_str(inv->call_id, &c->call_id) != 0 ||
        osip_message_clone(inv, &c->invite) != 0) {
        osip_free(c->call_id);
        free(c->remote_tag);
        free(c);
        return NULL;
    }
    c->id = ++t->next_call;
    c->invite_cseq = strtoul(inv->cseq->number, NULL, 10);
    c->origin = *(struct sip_origin *)osip_transaction_get_reserved1(tr);
    sip_random_hex(c->local_tag, SIP_TAG_HEX);
    sip_call_set_host(c, inv);
    c->ist = tr;
    osip_transaction_set_reserved2(tr, c);
    uv_timer_init(t->loop, &c->timer);
    c->timer.data = c;
    t->handles++;
    LIST_INSERT_HEAD(&t->calls, c, link);
    t->ncalls++;
    return c;
}

/* 200 OK to the INVITE REQ of C, with our Contact and C's SDP answer. */
static osip_message_t *sip_ok_with_sdp(struct sip_call *c, const osip_message_t *req)
{
    osip_message_t *r = sip_response_new(req, 200, c->local_tag);
    if (r == NULL)
        return NULL;
    char contact[128];
    snprintf(contact, sizeof contact, "<sip:ermgw@%s%s>", c->host,
             c->origin.tcp ? ";transport=tcp" : "");
    osip_message_set_contact(r, contact);
    osip_message_set_header(r, "Allow", SIP_ALLOW);
    sip_set_body(r, c->sdp);
    return r;
}

/* A re-INVITE in C's dialog: the same SDP again once answered; 500 while undecided. */
static void sip_on_reinvite(struct sip_trunk *t, struct sip_call *c, osip_transaction_t *tr,
                            osip_message_t *inv)
{
    if (c->state == SIP_CALL_PENDING) {
        sip_tr_reply(t, tr, inv, 500, c->local_tag, 1); /* RFC 3261 14.2 */
        return;
    }
    sip_tr_respond(t, tr, sip_ok_with_sdp(c, inv));
}

/* A new INVITE (osip made its IST): checks, then on_call. */
static void sip_on_invite(struct sip_trunk *t, osip_transaction_t *tr, osip_message_t *inv)
{
    struct sip_call *old = sip_call_of(t, inv);
    if (old != NULL) {
        sip_on_reinvite(t, old, tr, inv);
        return;
    }
    char tag[SIP_TAG_HEX + 1], called[SIP_NUM_MAX + 1] = "", caller[SIP_NUM_MAX + 1];
    sip_random_hex(tag, SIP_TAG_HEX);
    if (sip_tag_of(inv->to) != NULL) {
        sip_tr_reply(t, tr, inv, 481, NULL, 0); /* in a dialog we do not know */
        return;
    }
    if (t->draining || t->stopping || t->ncalls >= t->max_calls) {
        if (!t->draining && !t->stopping)
            ERM_WARN(SIP_MOD, "max_calls (%u) reached: 503", t->max_calls);
        sip_tr_reply(t, tr, inv, 503, tag, t->retry_after_s);
        return;
    }
    const char *user = inv->req_uri->username;
    if (user != NULL && strlen(user) <= SIP_NUM_MAX)
        snprintf(called, sizeof called, "%s", dialprefix_strip(&t->prefixes, user));
    if (called[0] == '\0') {
        sip_tr_reply(t, tr, inv, 404, tag, 0);
        return;
    }
    struct sip_sdp_offer offer;
    int code = sip_read_offer(inv, &offer);
    if (code != 0) {
        sip_tr_reply(t, tr, inv, code, tag, 0);
        return;
    }
    struct sip_call *c = sip_call_new(t, tr, inv);
    if (c == NULL) {
        sip_tr_reply(t, tr, inv, 500, tag, t->retry_after_s);
        return;
    }
    c->offer = offer;
    sip_caller_of(inv, caller, sizeof caller);
    sip_tr_reply(t, tr, inv, 100, NULL, 0);
    uv_timer_start(&c->timer, sip_on_decide_timeout, t->decide_ms, 0);
    char from[80];
    sip_addr_text(&c->origin.addr, from, sizeof from);
    ERM_INFO(SIP_MOD, "call %llu from %s (%s) to %s, %s", (unsigned long long)c->id, caller, from,
             called, offer.pt == RTP_PT_PCMA ? "PCMA" : "PCMU");
    if (t->ev.on_call != NULL)
        t->ev.on_call(t->ud, c->id, caller, called, c->call_id);
}

/* CANCEL: 200 to it, and 487 to the INVITE when it is still undecided. */
static void sip_on_cancel(struct sip_trunk *t, osip_transaction_t *tr, osip_message_t *req)
{
    struct sip_call *c = sip_call_of(t, req);
    if (c == NULL || c->invite_cseq != strtoul(req->cseq->number, NULL, 10)) {
        sip_tr_reply(t, tr, req, 481, NULL, 0);
        return;
    }
    sip_tr_reply(t, tr, req, 200, c->local_tag, 0);
    if (c->state == SIP_CALL_PENDING)
        sip_call_refuse(c, 487, 0, SIP_END_CANCELLED);
}

static void sip_on_bye(struct sip_trunk *t, osip_transaction_t *tr, osip_message_t *req)
{
    struct sip_call *c = sip_call_of(t, req);
    if (c == NULL || c->state == SIP_CALL_PENDING) {
        sip_tr_reply(t, tr, req, 481, NULL, 0);
        return;
    }
    sip_tr_reply(t, tr, req, 200, NULL, 0);
    sip_call_end(c, c->state == SIP_CALL_PADDING ? SIP_END_PLAYED : SIP_END_CALLER_BYE);
}

/* Every request but INVITE and ACK (osip made its NIST). */
static void sip_cb_request(int type, osip_transaction_t *tr, osip_message_t *req)
{
    (void)type;
    struct sip_trunk *t = osip_get_application_context(tr->config);
    const char *m = req->sip_method;
    if (strcmp(m, "CANCEL") == 0) {
        sip_on_cancel(t, tr, req);
    } else if (strcmp(m, "BYE") == 0) {
        sip_on_bye(t, tr, req);
    } else if (strcmp(m, "OPTIONS") == 0) {
        osip_message_t *r = sip_response_new(req, 200, NULL);
        if (r != NULL) {
            char tag[SIP_TAG_HEX + 1];
            sip_random_hex(tag, SIP_TAG_HEX);
            if (sip_tag_of(r->to) == NULL)
                osip_to_set_tag(r->to, osip_strdup(tag));
            osip_message_set_header(r, "Allow", SIP_ALLOW);
            osip_message_set_header(r, "Accept", "application/sdp");
        }
        sip_tr_respond(t, tr, r);
    } else if (strcmp(m, "INFO") == 0 || strcmp(m, "UPDATE") == 0) {
        struct sip_call *c = sip_call_of(t, req);
        osip_body_t *body = NULL;
        osip_message_get_body(req, 0, &body);
        if (c == NULL || (strcmp(m, "UPDATE") == 0 && body != NULL && c->sdp[0] == '\0')) {
            sip_tr_reply(t, tr, req, c == NULL ? 481 : 491, NULL, 0);
            return;
        }
        osip_message_t *r = sip_response_new(req, 200, c->local_tag);
        if (r != NULL && strcmp(m, "UPDATE") == 0 && body != NULL)
            sip_set_body(r, c->sdp); /* our media does not change */
        sip_tr_respond(t, tr, r);
    } else {
        osip_message_t *r = sip_response_new(req, 501, NULL);
        if (r != NULL)
            osip_message_set_header(r, "Allow", SIP_ALLOW);
        sip_tr_respond(t, tr, r);
    }
}

static void sip_cb_invite(int type, osip_transaction_t *tr, osip_message_t *inv)
{
    (void)type;
    sip_on_invite(osip_get_application_context(tr->config), tr, inv);
}

static void sip_cb_nict(int type, osip_transaction_t *tr, osip_message_t *m)
{
    (void)tr;
    if (type == OSIP_NICT_STATUS_TIMEOUT)
        ERM_WARN(SIP_MOD, "no answer to our BYE");
    else if (m != NULL && m->status_code >= 300)
        ERM_INFO(SIP_MOD, "our BYE answered %d", m->status_code);
}

/* ---- incoming messages ---- */

/* An INVITE that repeats the initial INVITE of a call whose IST is already gone (after our
 * 200): no new call; the 200 goes out again if the caller still waits for it. */
static int sip_absorb_repeat(struct sip_trunk *t, osip_message_t *inv)
{
    struct sip_call *c = sip_call_of(t, inv);
    if (c == NULL || c->invite_cseq != strtoul(inv->cseq->number, NULL, 10))
        return 0;
    if (c->state == SIP_CALL_ANSWERED && c->ok200 != NULL)
        sip_send_raw(t, &c->origin, c->ok200, c->ok200_len);
    return 1;
}

/* A new request with no transaction yet: an ACK to our 2xx, or a new server transaction. */
static void sip_new_request(struct sip_trunk *t, const struct sip_origin *o, osip_event_t *evt)
{
    osip_message_t *m = evt->sip;
    if (MSG_IS_ACK(m)) {
        sip_on_ack(t, m);
        osip_event_free(evt);
        return;
    }
    if (MSG_IS_INVITE(m) && sip_absorb_repeat(t, m)) {
        osip_event_free(evt);
        return;
    }
    osip_transaction_t *tr = osip_create_transaction(t->osip, evt);
    struct sip_origin *od = tr != NULL ? sip_origin_dup(o) : NULL;
    if (od == NULL) {
        if (tr != NULL)
            osip_transaction_free(tr);
        sip_reply_stateless(t, o, m, 500, t->retry_after_s);
        osip_event_free(evt);
        return;
    }
    osip_transaction_set_reserved1(tr, od);
    sip_tr_queue(t, tr, evt);
}

/* Peer check, size and sanity checks, then osip. */
static void sip_on_message(struct sip_trunk *t, const struct sip_origin *o, const char *buf,
                           size_t len)
{
    char where[80];
    sip_addr_text(&o->addr, where, sizeof where);
    struct netaddr peer;
    int allowed = netaddr_from_sockaddr((const struct sockaddr *)&o->addr, &peer, NULL) == 0 &&
                  netaddr_acl_match(t->acl, t->nacl, &peer);
    osip_event_t *evt = osip_parse(buf, len);
    if (evt == NULL || evt->sip == NULL) {
        ERM_WARN(SIP_MOD, "unparsable message of %zu bytes from %s: dropped", len, where);
        if (evt != NULL)
            osip_event_free(evt);
        return;
    }
    osip_message_t *m = evt->sip;
    int request = MSG_IS_REQUEST(m), answerable = request && m->sip_method != NULL &&
                                                  strcmp(m->sip_method, "ACK") != 0 &&
                                                  osip_list_size(&m->vias) >= 1;
    int code = !allowed ? 403 : len > t->max_message ? 513 : 0;
    if (code == 0 && request && !sip_request_ok(m))
        code = 400;
    if (code == 0 && !request && !sip_response_ok(m))
        code = -1;
    if (code != 0) {
        ERM_WARN(SIP_MOD, "%s %s from %s: %d", request ? "request" : "response",
                 request && m->sip_method != NULL ? m->sip_method : "", where, code);
        if (code > 0 && answerable)
            sip_reply_stateless(t, o, m, code, 0);
        osip_event_free(evt);
        return;
    }
    osip_transaction_t *tr = sip_tr_find(t, evt);
    if (tr != NULL)
        sip_tr_queue(t, tr, evt);
    else {
        if (request)
            sip_new_request(t, o, evt);
        else
            osip_event_free(evt); /* a response that belongs to nothing of ours */
    }
    sip_execute(t);
}

static void sip_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct sip_trunk *t = h->data;
    *buf = uv_buf_init(t->rx, sizeof t->rx);
}

static void sip_on_udp(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                       unsigned flags)
{
    struct sip_trunk *t = h->data;
    if (n <= 0 || from == NULL || t->stopping)
        return;
    struct sip_origin o = {.tcp = 0};
    memcpy(&o.addr, from,
           from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    ssize_t i = 0;
    while (i < n && (buf->base[i] == '\r' || buf->base[i] == '\n'))
        i++;
    if (i == n)
        return; /* a keep-alive (RFC 5626): nothing to answer */
    if (flags & UV_UDP_PARTIAL) {
        ERM_WARN(SIP_MOD, "datagram larger than %zu bytes: dropped", sizeof t->rx);
        return;
    }
    sip_on_message(t, &o, buf->base, (size_t)n);
}

/* ---- TCP ---- */

static void sip_conn_closed(uv_handle_t *h)
{
    struct sip_conn *c = h->data;
    struct sip_trunk *t = c->t;
    free(c->buf);
    free(c);
    sip_handle_closed((uv_handle_t *)&t->tick);
}

static void sip_conn_close(struct sip_conn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    LIST_REMOVE(c, link);
    uv_close((uv_handle_t *)&c->h, sip_conn_closed);
}

/* The Content-Length of the header block HDR (HLEN bytes), 0 when absent, -1 when bad. */
static long sip_content_length(const char *hdr, size_t hlen)
{
    const char *p = hdr, *end = hdr + hlen;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        size_t n = (size_t)(eol - p);
        const char *colon = memchr(p, ':', n);
        if (colon != NULL) {
            size_t name = (size_t)(colon - p);
            while (name > 0 && (p[name - 1] == ' ' || p[name - 1] == '\t'))
                name--;
            if ((name == 14 && strncasecmp(p, "content-length", 14) == 0) ||
                (name == 1 && (p[0] == 'l' || p[0] == 'L'))) {
                const char *v = colon + 1;
                while (v < eol && (*v == ' ' || *v == '\t'))
                    v++;
                long len = 0;
                for (; v < eol && isdigit((unsigned char)*v); v++)
                    if ((len = len * 10 + (*v - '0')) > 1000000)
                        return -1;
                return len;
            }
        }
        p = eol + 1;
    }
    return 0;
}

/* Cuts whole messages off the front of C's buffer. Returns -1 when C must be closed. */
static int sip_conn_frame(struct sip_conn *c)
{
    struct sip_trunk *t = c->t;
    for (;;) {
        size_t skip = 0;
        while (skip < c->len && (c->buf[skip] == '\r' || c->buf[skip] == '\n'))
            skip++; /* keep-alive CRLFs (RFC 5626) */
        memmove(c->buf, c->buf + skip, c->len - skip);
        c->len -= skip;
        if (c->len == 0)
            return 0;
        size_t hlen = 0;
        for (size_t i = 3; i < c->len && hlen == 0; i++)
            if (memcmp(c->buf + i - 3, "\r\n\r\n", 4) == 0)
                hlen = i + 1;
        if (hlen == 0)
            return c->len > t->max_message ? -1 : 0;
        long body = sip_content_length(c->buf, hlen);
        if (body < 0 || hlen + (size_t)body > t->max_message)
            return -1;
        size_t total = hlen + (size_t)body;
        if (c->len < total)
            return 0;
        struct sip_origin o = {.tcp = 1, .conn = c->id, .addr = c->peer};
        sip_on_message(t, &o, c->buf, total);
        if (c->closing)
            return 0;
        memmove(c->buf, c->buf + total, c->len - total);
        c->len -= total;
    }
}

static void sip_conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct sip_conn *c = h->data;
    *buf = uv_buf_init(c->t->rx, sizeof c->t->rx);
}

static void sip_on_tcp_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct sip_conn *c = s->data;
    (void)buf;
    if (n < 0) {
        sip_conn_close(c);
        return;
    }
    if (n == 0 || c->closing)
        return;
    if (c->len + (size_t)n > c->t->max_message + 4) {
        /* the frame check below refuses it; keep only what fits to find out */
        ERM_WARN(SIP_MOD, "TCP message over %u bytes: connection closed", c->t->max_message);
        sip_conn_close(c);
        return;
    }
    memcpy(c->buf + c->len, c->t->rx, (size_t)n);
    c->len += (size_t)n;
    if (sip_conn_frame(c) < 0) {
        ERM_WARN(SIP_MOD, "bad TCP framing: connection closed");
        sip_conn_close(c);
    }
}

static void sip_on_accept(uv_stream_t *server, int status)
{
    struct sip_trunk *t = server->data;
    if (status < 0 || t->stopping)
        return;
    struct sip_conn *c = calloc(1, sizeof *c);
    if (c != NULL)
        c->buf = malloc(t->max_message + 4);
    if (c == NULL || c->buf == NULL || uv_tcp_init(t->loop, &c->h) < 0) {
        if (c != NULL)
            free(c->buf);
        free(c);
        return;
    }
    c->t = t;
    c->h.data = c;
    c->id = ++t->next_conn;
    t->handles++;
    LIST_INSERT_HEAD(&t->conns, c, link);
    int len = sizeof c->peer;
    if (uv_accept(server, (uv_stream_t *)&c->h) < 0 ||
        uv_tcp_getpeername(&c->h, (struct sockaddr *)&c->peer, &len) < 0 ||
        uv_read_start((uv_stream_t *)&c->h, sip_conn_alloc, sip_on_tcp_read) < 0)
        sip_conn_close(c);
}

/* ---- the upper layer's answers ---- */

int sip_trunk_answer(struct sip_trunk *t, uint64_t call, const struct rtp_audio *audio)
{
    struct sip_call *c = sip_call_by_id(t, call);
    if (c == NULL)
        return -ENOENT;
    if (c->state != SIP_CALL_PENDING)
        return -EALREADY;
    if (audio == NULL || audio->samples == 0 || audio->samples % RTP_FRAME_SAMPLES != 0)
        return -EINVAL;
    struct sockaddr_storage local;
    memset(&local, 0, sizeof local);
    if (c->media_family == 6)
        uv_ip6_addr(t->wildcard ? "::" : c->media_host, 0, (struct sockaddr_in6 *)&local);
    else
        uv_ip4_addr(t->wildcard ? "0.0.0.0" : c->media_host, 0, (struct sockaddr_in *)&local);
    if (rtp_stream_open(t->loop, t->clock, &t->ports, (struct sockaddr *)&local, &c->rtp) < 0) {
        ERM_WARN(SIP_MOD, "call %llu: no free RTP port: 503", (unsigned long long)call);
        c->rtp = NULL;
        sip_call_refuse(c, 503, t->retry_after_s, SIP_END_MEDIA);
        sip_execute(t);
        return -EADDRINUSE;
    }
    uint64_t sess = (uv_hrtime() / 1000) ^ call;
    sip_sdp_write_answer(c->sdp, sizeof c->sdp, &c->offer, c->media_host, c->media_family,
                         rtp_stream_port(c->rtp), sess);
    osip_message_t *r = sip_ok_with_sdp(c, c->invite);
    char *text = NULL;
    if (r == NULL || osip_message_to_str(r, &text, &c->ok200_len) != 0 ||
        (c->ok200 = malloc(c->ok200_len)) == NULL) {
        osip_free(text);
        if (r != NULL)
            osip_message_free(r);
        sip_call_refuse(c, 500, t->retry_after_s, SIP_END_MEDIA);
        sip_execute(t);
        return -ENOMEM;
    }
    memcpy(c->ok200, text, c->ok200_len);
    osip_free(text);
    c->audio = audio;
    c->state = SIP_CALL_ANSWERED;
    sip_tr_respond(t, c->ist, r);
    c->rt_interval_ms = t->t1_ms;
    c->rt_elapsed_ms = 0;
    uv_timer_start(&c->timer, sip_on_retransmit, t->t1_ms, 0);
    ERM_INFO(SIP_MOD, "call %llu answered, RTP port %u", (unsigned long long)call,
             rtp_stream_port(c->rtp));
    sip_execute(t);
    return 0;
}

int sip_trunk_reject(struct sip_trunk *t, uint64_t call, int code, unsigned retry_after_s)
{
    if (code < 400 || code > 699)
        return -EINVAL;
    struct sip_call *c = sip_call_by_id(t, call);
    if (c == NULL)
        return -ENOENT;
    if (c->state != SIP_CALL_PENDING)
        return -EALREADY;
    sip_call_refuse(c, code, retry_after_s, SIP_END_REJECTED);
    sip_execute(t);
    return 0;
}

/* ---- start, drain, stop ---- */

static int sip_parse_cfg(struct sip_trunk *t, const struct sip_trunk_cfg *cfg, char *err,
                         size_t errlen)
{
    struct netaddr a;
    uint16_t lo, hi;
    if (cfg->listen == NULL || netaddr_parse_hostport(cfg->listen, &a, &t->port) < 0) {
        snprintf(err, errlen, "sip: listen \"%s\" is not an address:port",
                 cfg->listen != NULL ? cfg->listen : "");
        return -EINVAL;
    }
    if (netaddr_acl_parse(cfg->peers != NULL ? cfg->peers : "", t->acl, NETADDR_ACL_MAX, &t->nacl) <
        0) {
        snprintf(err, errlen, "sip: peers \"%s\" is not a list of addresses or CIDRs",
                 cfg->peers != NULL ? cfg->peers : "");
        return -EINVAL;
    }
    if (cfg->rtp_ports == NULL || netaddr_parse_port_range(cfg->rtp_ports, &lo, &hi) < 0 ||
        dialprefix_parse(cfg->strip_prefix != NULL ? cfg->strip_prefix : "", &t->prefixes) < 0) {
        snprintf(err, errlen, "sip: bad rtp_ports or strip_prefix");
        return -EINVAL;
    }
    if (rtp_port_pool_init(&t->ports, lo, hi) < 0) {
        snprintf(err, errlen, "sip: out of memory");
        return -ENOMEM;
    }
    static const uint8_t zero[16];
    t->family = a.family;
    t->wildcard = memcmp(a.bytes, zero, a.family == 4 ? 4 : 16) == 0;
    netaddr_format(&a, t->bare_host, sizeof t->bare_host);
    snprintf(t->host, sizeof t->host, a.family == 6 ? "[%s]" : "%s", t->bare_host);
    if (a.family == 6)
        uv_ip6_addr(t->bare_host, t->port, (struct sockaddr_in6 *)&t->listen_addr);
    else
        uv_ip4_addr(t->bare_host, t->port, (struct sockaddr_in *)&t->listen_addr);
    t->max_calls = cfg->max_calls > 0 ? cfg->max_calls : 100;
    t->decide_ms = cfg->decide_ms > 0 ? cfg->decide_ms : 8000;
    t->retry_after_s = cfg->retry_after_s > 0 ? cfg->retry_after_s : 30;
    t->t1_ms = cfg->t1_ms > 0 ? cfg->t1_ms : 500;
    t->pad_ms = cfg->hangup_pad_ms > 0 ? cfg->hangup_pad_ms : 600;
    t->max_message = cfg->max_message > 0 ? cfg->max_message : 16384;
    if (t->max_message > sizeof t->rx)
        t->max_message = sizeof t->rx;
    return 0;
}

/* libosip2's own trace (it prints "could not parse message" and the like to stdout by
 * default): into our log, at debug level, since each case is logged by us already. */
static void sip_osip_trace(const char *file, int line, osip_trace_level_t level, const char *fmt,
                           va_list ap)
{
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    text[strcspn(text, "\r\n")] = '\0';
    ERM_DEBUG(SIP_MOD, "osip %d %s:%d: %s", (int)level, file, line, text);
}

static int sip_osip_init(struct sip_trunk *t)
{
    osip_trace_initialize_func(OSIP_WARNING, sip_osip_trace);
    if (osip_init(&t->osip) != 0)
        return -ENOMEM;
    osip_set_application_context(t->osip, t);
    osip_set_cb_send_message(t->osip, sip_cb_send);
    osip_set_message_callback(t->osip, OSIP_IST_INVITE_RECEIVED, sip_cb_invite);
    static const int nist[] = {OSIP_NIST_REGISTER_RECEIVED,  OSIP_NIST_BYE_RECEIVED,
                               OSIP_NIST_OPTIONS_RECEIVED,   OSIP_NIST_INFO_RECEIVED,
                               OSIP_NIST_CANCEL_RECEIVED,    OSIP_NIST_NOTIFY_RECEIVED,
                               OSIP_NIST_SUBSCRIBE_RECEIVED, OSIP_NIST_UNKNOWN_REQUEST_RECEIVED};
    for (size_t i = 0; i < sizeof nist / sizeof nist[0]; i++)
        osip_set_message_callback(t->osip, nist[i], sip_cb_request);
    for (int type = OSIP_NICT_STATUS_1XX_RECEIVED; type <= OSIP_NICT_STATUS_3456XX_RECEIVED_AGAIN;
         type++)
        osip_set_message_callback(t->osip, type, sip_cb_nict);
    osip_set_message_callback(t->osip, OSIP_NICT_STATUS_TIMEOUT, sip_cb_nict);
    osip_set_kill_transaction_callback(t->osip, OSIP_IST_KILL_TRANSACTION, sip_cb_kill);
    osip_set_kill_transaction_callback(t->osip, OSIP_NIST_KILL_TRANSACTION, sip_cb_kill);
    osip_set_kill_transaction_callback(t->osip, OSIP_NICT_KILL_TRANSACTION, sip_cb_kill);
    osip_set_kill_transaction_callback(t->osip, OSIP_ICT_KILL_TRANSACTION, sip_cb_kill);
    return 0;
}

/* Frees every transaction osip still holds, then osip itself. */
static void sip_osip_free(struct sip_trunk *t)
{
    sip_free_dead(t);
    osip_list_t *lists[] = {&t->osip->osip_ist_transactions, &t->osip->osip_nist_transactions,
                            &t->osip->osip_nict_transactions, &t->osip->osip_ict_transactions};
    for (size_t i = 0; i < 4; i++)
        while (!osip_list_eol(lists[i], 0))
            sip_tr_free(osip_list_get(lists[i], 0));
    osip_release(t->osip);
    t->osip = NULL;
}

static void sip_trunk_handle_gone(struct sip_trunk *t)
{
    if (--t->handles > 0)
        return;
    int notify = t->notify_stopped;
    void (*stopped)(void *) = t->ev.on_stopped;
    void *ud = t->ud;
    if (t->osip != NULL)
        sip_osip_free(t);
    rtp_port_pool_free(&t->ports);
    free(t->dead);
    free(t->busy);
    free(t);
    if (notify && stopped != NULL)
        stopped(ud);
}

static void sip_handle_closed(uv_handle_t *h)
{
    sip_trunk_handle_gone(h->data);
}

static void sip_clock_closed(void *ud)
{
    sip_trunk_handle_gone(ud);
}

/* What the media clock saw over the trunk's life: the figure the benchmark reads. */
static void sip_log_media(struct sip_trunk *t)
{
    struct media_clock_stats st;
    media_clock_stats(t->clock, &st);
    ERM_INFO(SIP_MOD,
             "rtp: %llu streams, %llu frames sent, %llu lost to a full socket; frames left "
             "after their time by p50 %.2f ms, p99 %.2f ms, max %.2f ms",
             (unsigned long long)st.jobs, (unsigned long long)st.frames,
             (unsigned long long)st.unsent, st.late_p50_us / 1000.0, st.late_p99_us / 1000.0,
             st.late_max_us / 1000.0);
}

/* Closes the trunk's own handles (calls and connections close themselves). */
static void sip_close_handles(struct sip_trunk *t, int have_sockets)
{
    t->stopping = 2;
    uv_timer_stop(&t->tick);
    if (have_sockets) {
        uv_close((uv_handle_t *)&t->udp, sip_handle_closed);
        uv_close((uv_handle_t *)&t->tcp, sip_handle_closed);
    }
    uv_close((uv_handle_t *)&t->tick, sip_handle_closed);
    if (t->clock != NULL) {
        sip_log_media(t);
        t->handles++;
        media_clock_close(t->clock, sip_clock_closed, t);
        t->clock = NULL;
    }
}

static int sip_listen(struct sip_trunk *t, char *err, size_t errlen)
{
    const struct sockaddr *sa = (const struct sockaddr *)&t->listen_addr;
    int rc = uv_udp_bind(&t->udp, sa, UV_UDP_REUSEADDR);
    const char *what = "UDP";
    if (rc == 0)
        rc = uv_udp_recv_start(&t->udp, sip_alloc, sip_on_udp);
    if (rc == 0) {
        what = "TCP";
        rc = uv_tcp_bind(&t->tcp, sa, 0);
    }
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&t->tcp, 128, sip_on_accept);
    if (rc < 0)
        snprintf(err, errlen, "sip: listen %s:%u (%s): %s", t->host, t->port, what,
                 uv_strerror(rc));
    return rc;
}

int sip_trunk_start(uv_loop_t *loop, const struct sip_trunk_cfg *cfg,
                    const struct sip_trunk_events *ev, void *ud, struct sip_trunk **out, char *err,
                    size_t errlen)
{
    struct sip_trunk *t = calloc(1, sizeof *t);
    if (t == NULL) {
        snprintf(err, errlen, "sip: out of memory");
        return -ENOMEM;
    }
    t->loop = loop;
    t->ev = *ev;
    t->ud = ud;
    int rc = sip_parse_cfg(t, cfg, err, errlen);
    if (rc == 0 && (rc = sip_osip_init(t)) < 0)
        snprintf(err, errlen, "sip: osip_init failed");
    if (rc < 0) {
        rtp_port_pool_free(&t->ports);
        free(t);
        return rc;
    }
    uv_udp_init(loop, &t->udp);
    uv_tcp_init(loop, &t->tcp);
    uv_timer_init(loop, &t->tick);
    t->udp.data = t->tcp.data = t->tick.data = t;
    t->handles = 3;
    rc = sip_listen(t, err, errlen);
    if (rc == 0)
        rc = media_clock_start(loop, &t->clock, err, errlen);
    if (rc < 0) {
        sip_close_handles(t, 1); /* frees T without on_stopped */
        return rc;
    }
    ERM_INFO(SIP_MOD, "listening on %s:%u (UDP, TCP), %zu peer networks, max_calls %u", t->host,
             t->port, t->nacl, t->max_calls);
    sip_arm_tick(t);
    *out = t;
    return 0;
}

void sip_trunk_drain(struct sip_trunk *t)
{
    if (!t->draining)
        ERM_INFO(SIP_MOD, "draining: new calls get 503, %u in progress go on", t->ncalls);
    t->draining = 1;
}

unsigned sip_trunk_calls(const struct sip_trunk *t)
{
    return t->ncalls;
}

void sip_trunk_stop(struct sip_trunk *t)
{
    if (t->stopping)
        return;
    t->stopping = 1;
    t->notify_stopped = 1;
    while (!LIST_EMPTY(&t->calls)) {
        struct sip_call *c = LIST_FIRST(&t->calls);
        if (c->state == SIP_CALL_PENDING)
            sip_tr_reply(t, c->ist, c->invite, 503, c->local_tag, t->retry_after_s);
        else
            sip_send_bye(c);
        sip_call_end(c, SIP_END_STOPPED);
    }
    sip_execute(t); /* sends what was queued */
    while (!LIST_EMPTY(&t->conns))
        sip_conn_close(LIST_FIRST(&t->conns));
    sip_close_handles(t, 1);
    ERM_INFO(SIP_MOD, "stopped");
}
