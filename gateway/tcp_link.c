/*
 * tcp_link.c: the parts of a bearer's TCP link that are not its protocol (see tcp_link.h),
 * shared by the SMPP and the CMPP sessions so that both back off, bound their write queue
 * and name their peer the same way.
 */
#include "gateway/tcp_link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define TCP_LINK_WQ_PAUSE    (256u * 1024u)
#define TCP_LINK_WQ_MAX      (4u * 1024u * 1024u)
#define TCP_LINK_WQ_STALL_MS 30000u

void tcp_link_backoff_init(struct tcp_link_backoff *b, unsigned min_ms, unsigned max_ms,
                           uint64_t seed)
{
    b->min_ms = min_ms < TCP_LINK_MIN_BACKOFF_MS ? TCP_LINK_MIN_BACKOFF_MS : min_ms;
    b->max_ms = max_ms < b->min_ms ? b->min_ms : max_ms;
    b->last_ms = 0;
    b->rng = seed != 0 ? seed : 0x9E3779B97F4A7C15ULL;
}

/* xorshift64*: jitter only, no need for anything better. */
static uint32_t tcp_link_rand(struct tcp_link_backoff *b)
{
    b->rng ^= b->rng >> 12;
    b->rng ^= b->rng << 25;
    b->rng ^= b->rng >> 27;
    return (uint32_t)((b->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

unsigned tcp_link_backoff_next(struct tcp_link_backoff *b)
{
    unsigned base;
    if (b->last_ms == 0)
        base = b->min_ms;
    else if (b->last_ms >= b->max_ms / 2)
        base = b->max_ms;
    else
        base = b->last_ms * 2;
    b->last_ms = base;
    unsigned spread = base / 5;
    unsigned delay = base - spread + (spread ? tcp_link_rand(b) % (2 * spread + 1) : 0);
    return delay < TCP_LINK_MIN_BACKOFF_MS ? TCP_LINK_MIN_BACKOFF_MS : delay;
}

void tcp_link_backoff_reset(struct tcp_link_backoff *b)
{
    b->last_ms = 0;
}

void tcp_link_wq_defaults(size_t *pause, size_t *resume, size_t *max, unsigned *stall_ms)
{
    if (*max == 0)
        *max = TCP_LINK_WQ_MAX;
    if (*pause == 0 || *pause >= *max)
        *pause = *max / 4 < TCP_LINK_WQ_PAUSE ? *max / 4 : TCP_LINK_WQ_PAUSE;
    if (*resume == 0 || *resume >= *pause)
        *resume = *pause / 4;
    if (*stall_ms == 0)
        *stall_ms = TCP_LINK_WQ_STALL_MS;
}

int tcp_link_addr(const char *host, uint16_t port, struct sockaddr_storage *addr, char *peer,
                  size_t peer_len)
{
    snprintf(peer, peer_len, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
    memset(addr, 0, sizeof *addr);
    return uv_ip4_addr(host, port, (struct sockaddr_in *)addr) == 0 ||
           uv_ip6_addr(host, port, (struct sockaddr_in6 *)addr) == 0;
}

int tcp_link_wbuf_append(struct tcp_link_wbuf *w, const uint8_t *data, size_t len)
{
    if (w->len + len > w->cap) {
        size_t cap = w->cap ? w->cap : 512;
        while (cap < w->len + len)
            cap *= 2;
        uint8_t *nb = realloc(w->data, cap);
        if (nb == NULL)
            return -ENOMEM;
        w->data = nb;
        w->cap = cap;
    }
    memcpy(w->data + w->len, data, len);
    w->len += len;
    return 0;
}

int tcp_link_wbuf_flush(struct tcp_link_wbuf *w, uv_stream_t *st, void *owner, uint64_t link_id,
                        uv_write_cb cb)
{
    size_t n = w->len;
    w->len = 0;
    if (n == 0)
        return 0;
    struct tcp_link_wreq *r = malloc(sizeof *r + n);
    if (r == NULL)
        return -ENOMEM;
    r->owner = owner;
    r->link_id = link_id;
    memcpy(r->data, w->data, n);
    uv_buf_t b = uv_buf_init((char *)r->data, (unsigned)n);
    int rc = uv_write(&r->req, st, &b, 1, cb);
    if (rc < 0)
        free(r);
    return rc;
}

void tcp_link_wbuf_free(struct tcp_link_wbuf *w)
{
    free(w->data);
    memset(w, 0, sizeof *w);
}
