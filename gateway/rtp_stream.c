/*
 * rtp_stream.c: the RTP sender of rtp_stream.h. The socket and its port are the loop
 * thread's; the pace is the media clock's (media_clock.h): frame N is due at start + N * 20
 * ms and leaves from the media thread, which reads only the stream's fixed fields (payload,
 * SSRC, first sequence number and timestamp) to build it.
 */
#include "gateway/rtp_stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/log.h"
#include "gateway/media_clock.h"

#define RTP_HEADER_LEN 12

struct rtp_stream {
    struct media_job job; /* first: the media clock's callbacks find the stream from it */
    struct media_clock *clock;
    struct rtp_port_pool *pool;
    uv_udp_t sock;
    uint16_t port;
    int pt;
    const uint8_t *payload; /* the prompt in the chosen law */
    uint32_t ssrc, ts0;
    uint16_t seq0;
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

int rtp_stream_open(uv_loop_t *loop, struct media_clock *clock, struct rtp_port_pool *pool,
                    const struct sockaddr *local, struct rtp_stream **out)
{
    struct rtp_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    s->clock = clock;
    s->pool = pool;
    int rc = uv_udp_init(loop, &s->sock);
    if (rc < 0) {
        free(s);
        return rc;
    }
    s->sock.data = s;
    rc = rtp_bind_port(s, local);
    if (rc == 0)
        rc = uv_udp_recv_start(&s->sock, rtp_alloc, rtp_on_read);
    if (rc == 0)
        rc = uv_fileno((uv_handle_t *)&s->sock, &s->job.fd);
    if (rc < 0) {
        rtp_stream_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

uint16_t rtp_stream_port(const struct rtp_stream *s)
{
    return s->port;
}

/* Frame I's packet, on the media thread: reads only what rtp_stream_play() fixed. */
static size_t rtp_build(const struct media_job *job, size_t i, uint8_t *pkt)
{
    const struct rtp_stream *s = (const struct rtp_stream *)job;
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
    return RTP_HEADER_LEN + RTP_FRAME_SAMPLES;
}

/* The last frame left (on the loop thread). */
static void rtp_on_job_done(struct media_job *job)
{
    struct rtp_stream *s = (struct rtp_stream *)job;
    void (*done)(void *) = s->on_done;
    s->on_done = NULL;
    if (done != NULL)
        done(s->ud);
}

int rtp_stream_play(struct rtp_stream *s, const struct sockaddr *dest, int pt,
                    const struct rtp_audio *audio, void (*on_done)(void *ud), void *ud)
{
    if ((pt != RTP_PT_PCMA && pt != RTP_PT_PCMU) || audio->samples == 0 ||
        audio->samples % RTP_FRAME_SAMPLES != 0)
        return -EINVAL;
    s->job.dest_len =
        dest->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    memcpy(&s->job.dest, dest, s->job.dest_len);
    s->pt = pt;
    s->payload = pt == RTP_PT_PCMA ? audio->pcma : audio->pcmu;
    s->job.frames = audio->samples / RTP_FRAME_SAMPLES;
    s->job.build = rtp_build;
    s->job.on_done = rtp_on_job_done;
    s->ssrc = rtp_random32();
    s->ts0 = rtp_random32();
    s->seq0 = (uint16_t)rtp_random32();
    s->on_done = on_done;
    s->ud = ud;
    return media_clock_add(s->clock, &s->job);
}

static void rtp_on_closed(uv_handle_t *h)
{
    free(h->data);
}

void rtp_stream_close(struct rtp_stream *s)
{
    if (s->port != 0) {
        s->pool->taken[(s->port - s->pool->lo) / 2] = 0;
        s->port = 0;
    }
    /* The media thread lets go of the job before the socket it sends on is closed. */
    media_clock_remove(s->clock, &s->job);
    s->on_done = NULL;
    uv_close((uv_handle_t *)&s->sock, rtp_on_closed);
}

void rtp_stream_stats(const struct rtp_stream *s, uint64_t *frames, uint64_t *max_late_us)
{
    size_t sent = 0;
    media_clock_job_progress(s->clock, &s->job, &sent, max_late_us);
    *frames = sent;
}
