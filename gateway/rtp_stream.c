/*
 * rtp_stream.c: the RTP sender of rtp_stream.h. Frame N is due at start + N * 20 ms; each
 * tick sends every frame that is due (at most a few, after a stall) and arms the timer for
 * the next one's due time, so the pace follows the wall clock and not the tick count.
 */
#include "gateway/rtp_stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/log.h"

#define RTP_HEADER_LEN 12
#define RTP_FRAME_NS   20000000ull
#define RTP_MAX_BURST  5 /* frames sent in one tick at most after a stall */

struct rtp_stream {
    uv_loop_t *loop;
    struct rtp_port_pool *pool;
    uv_udp_t sock;
    uv_timer_t timer;
    int handles_open;
    uint16_t port;
    struct sockaddr_storage dest;
    int pt;
    const uint8_t *payload; /* the prompt in the chosen law */
    size_t frames, next_frame;
    uint64_t start_ns;
    uint32_t ssrc, ts0;
    uint16_t seq0;
    uint64_t max_late_us;
    void (*on_done)(void *ud);
    void *ud;
    uint8_t rx[1500];
};

int rtp_port_pool_init(struct rtp_port_pool *pool, uint16_t lo, uint16_t hi)
{
    pool->lo = lo;
    pool->hi = hi;
    pool->next = 0;
    pool->taken = calloc((size_t)(hi - lo) / 2 + 1, 1);
    return pool->taken != NULL ? 0 : -ENOMEM;
}

void rtp_port_pool_free(struct rtp_port_pool *pool)
{
    free(pool->taken);
    pool->taken = NULL;
}

/* Even ports of the pool: the RTCP port (odd, the next one) must fit in the range too. */
static size_t rtp_pool_size(const struct rtp_port_pool *pool)
{
    return (size_t)(pool->hi - pool->lo + 1) / 2;
}

static uint32_t rtp_random32(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint32_t)uv_hrtime() * 2654435761u; /* getrandom cannot fail here in practice */
    return v;
}

/* Binds S's socket to the next free even port that the system lets us have. */
static int rtp_bind_port(struct rtp_stream *s, const struct sockaddr *local)
{
    struct rtp_port_pool *pool = s->pool;
    size_t n = rtp_pool_size(pool);
    struct sockaddr_storage addr;
    memcpy(&addr, local,
           local->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    for (size_t tries = 0; tries < n; tries++) {
        size_t i = (pool->next + tries) % n;
        if (pool->taken[i])
            continue;
        uint16_t port = (uint16_t)(pool->lo + 2 * i);
        if (addr.ss_family == AF_INET6)
            ((struct sockaddr_in6 *)&addr)->sin6_port = htons(port);
        else
            ((struct sockaddr_in *)&addr)->sin_port = htons(port);
        if (uv_udp_bind(&s->sock, (struct sockaddr *)&addr, 0) == 0) {
            pool->taken[i] = 1;
            pool->next = (uint16_t)((i + 1) % n);
            s->port = port;
            return 0;
        }
    }
    return -EADDRINUSE;
}

static void rtp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    struct rtp_stream *s = h->data;
    *buf = uv_buf_init((char *)s->rx, sizeof s->rx);
}

static void rtp_on_read(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                        unsigned flags)
{
    (void)h, (void)n, (void)buf, (void)from, (void)flags; /* the caller's audio: not used */
}

int rtp_stream_open(uv_loop_t *loop, struct rtp_port_pool *pool, const struct sockaddr *local,
                    struct rtp_stream **out)
{
    struct rtp_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    s->loop = loop;
    s->pool = pool;
    int rc = uv_udp_init(loop, &s->sock);
    if (rc < 0) {
        free(s);
        return rc;
    }
    s->sock.data = s;
    s->handles_open = 1;
    rc = rtp_bind_port(s, local);
    if (rc == 0)
        rc = uv_udp_recv_start(&s->sock, rtp_alloc, rtp_on_read);
    if (rc == 0)
        rc = uv_timer_init(loop, &s->timer);
    if (rc < 0) {
        rtp_stream_close(s);
        return rc;
    }
    s->timer.data = s;
    s->handles_open = 2;
    *out = s;
    return 0;
}

uint16_t rtp_stream_port(const struct rtp_stream *s)
{
    return s->port;
}

/* Sends frame S->next_frame. */
static void rtp_send_frame(struct rtp_stream *s)
{
    uint8_t pkt[RTP_HEADER_LEN + RTP_FRAME_SAMPLES];
    size_t i = s->next_frame;
    uint16_t seq = (uint16_t)(s->seq0 + i);
    uint32_t ts = s->ts0 + (uint32_t)(i * RTP_FRAME_SAMPLES);
    pkt[0] = 0x80; /* version 2, no padding, no extension, no CSRC */
    pkt[1] = (uint8_t)((i == 0 ? 0x80 : 0) | s->pt);
    pkt[2] = (uint8_t)(seq >> 8);
    pkt[3] = (uint8_t)seq;
    for (int b = 0; b < 4; b++) {
        pkt[4 + b] = (uint8_t)(ts >> (24 - 8 * b));
        pkt[8 + b] = (uint8_t)(s->ssrc >> (24 - 8 * b));
    }
    memcpy(pkt + RTP_HEADER_LEN, s->payload + i * RTP_FRAME_SAMPLES, RTP_FRAME_SAMPLES);
    uv_buf_t buf = uv_buf_init((char *)pkt, sizeof pkt);
    /* A full socket buffer loses this frame: a late frame is worth no more than a lost one. */
    if (uv_udp_try_send(&s->sock, &buf, 1, (struct sockaddr *)&s->dest) < 0)
        ERM_DEBUG("rtp", "port %u: frame %zu not sent", s->port, i);
    s->next_frame++;
}

static void rtp_on_tick(uv_timer_t *t)
{
    struct rtp_stream *s = t->data;
    uint64_t now = uv_hrtime();
    for (int burst = 0; burst < RTP_MAX_BURST && s->next_frame < s->frames; burst++) {
        uint64_t due = s->start_ns + s->next_frame * RTP_FRAME_NS;
        if (due > now)
            break;
        uint64_t late_us = (now - due) / 1000;
        if (late_us > s->max_late_us)
            s->max_late_us = late_us;
        rtp_send_frame(s);
    }
    if (s->next_frame >= s->frames) {
        void (*done)(void *) = s->on_done;
        s->on_done = NULL;
        if (done != NULL)
            done(s->ud);
        return;
    }
    uint64_t due = s->start_ns + s->next_frame * RTP_FRAME_NS;
    now = uv_hrtime();
    /* uv timers count whole milliseconds: round the wait up (a frame at most 1 ms late)
     * rather than down, which would wake early and spin until the frame is due. */
    uint64_t wait_ms = due > now ? (due - now + 999999) / 1000000 : 0;
    uv_update_time(s->loop);
    uv_timer_start(&s->timer, rtp_on_tick, wait_ms, 0);
}

int rtp_stream_play(struct rtp_stream *s, const struct sockaddr *dest, int pt,
                    const struct rtp_audio *audio, void (*on_done)(void *ud), void *ud)
{
    if ((pt != RTP_PT_PCMA && pt != RTP_PT_PCMU) || audio->samples == 0 ||
        audio->samples % RTP_FRAME_SAMPLES != 0)
        return -EINVAL;
    memcpy(&s->dest, dest,
           dest->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    s->pt = pt;
    s->payload = pt == RTP_PT_PCMA ? audio->pcma : audio->pcmu;
    s->frames = audio->samples / RTP_FRAME_SAMPLES;
    s->next_frame = 0;
    s->ssrc = rtp_random32();
    s->ts0 = rtp_random32();
    s->seq0 = (uint16_t)rtp_random32();
    s->on_done = on_done;
    s->ud = ud;
    s->start_ns = uv_hrtime();
    rtp_on_tick(&s->timer);
    return 0;
}

static void rtp_on_closed(uv_handle_t *h)
{
    struct rtp_stream *s = h->data;
    if (--s->handles_open == 0)
        free(s);
}

void rtp_stream_close(struct rtp_stream *s)
{
    if (s->port != 0) {
        s->pool->taken[(s->port - s->pool->lo) / 2] = 0;
        s->port = 0;
    }
    s->on_done = NULL;
    int handles = s->handles_open;
    uv_close((uv_handle_t *)&s->sock, rtp_on_closed);
    if (handles == 2)
        uv_close((uv_handle_t *)&s->timer, rtp_on_closed);
}

void rtp_stream_stats(const struct rtp_stream *s, uint64_t *frames, uint64_t *max_late_us)
{
    *frames = s->next_frame;
    *max_late_us = s->max_late_us;
}
