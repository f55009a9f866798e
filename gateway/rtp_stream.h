/*
 * rtp_stream.h: the RTP sender of a phone call (RFC 3550): one UDP socket on an even port
 * taken from the [sip] rtp_ports range, 12-byte headers with a random SSRC, sequence number
 * and timestamp, the marker bit on the first packet, 20 ms G.711 frames (160 bytes, PCMA or
 * PCMU) paced by the trunk's media clock (media_clock.h: a thread of its own, so that frames
 * leave on time whatever the loop is doing). Incoming RTP is read and dropped (the caller
 * says nothing we use).
 */
#ifndef ERM_RTP_STREAM_H
#define ERM_RTP_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define RTP_PT_PCMU       0
#define RTP_PT_PCMA       8
#define RTP_FRAME_SAMPLES 160 /* 20 ms at 8 kHz */

/* A prompt in both laws, SAMPLES bytes each, a whole number of frames (the loader pads the
 * last one with silence). Owned by whoever loaded it (gateway/prompt_set.h), which keeps it
 * for the life of every stream that plays it. */
struct rtp_audio {
    const uint8_t *pcma;
    const uint8_t *pcmu;
    size_t samples;
};

/* The even ports of a range, each lent to one stream at a time. */
struct rtp_port_pool {
    uint16_t lo, hi;
    uint16_t next;  /* where the next search starts, so ports are not reused at once */
    uint8_t *taken; /* one byte per even port */
};

/* Sets POOL to the range LO..HI (LO even). Returns 0 or -ENOMEM. */
int rtp_port_pool_init(struct rtp_port_pool *pool, uint16_t lo, uint16_t hi);
void rtp_port_pool_free(struct rtp_port_pool *pool);

struct rtp_stream;
struct media_clock;

/* Binds a UDP socket on an even free port of POOL at the address LOCAL (its port is
 * ignored); CLOCK will pace its frames. POOL and CLOCK must outlive the stream. Returns 0 or a
 * negative errno (-EADDRINUSE when every port is taken). The caller owns *OUT and ends it with
 * rtp_stream_close(). */
int rtp_stream_open(uv_loop_t *loop, struct media_clock *clock, struct rtp_port_pool *pool,
                    const struct sockaddr *local, struct rtp_stream **out);

/* The local port, for the SDP answer. */
uint16_t rtp_stream_port(const struct rtp_stream *s);

/* Starts sending AUDIO's frames in payload type PT (RTP_PT_PCMA or RTP_PT_PCMU) to DEST
 * (copied). ON_DONE(UD) is called once after the last frame left (not after a close).
 * AUDIO must stay valid until then or until rtp_stream_close(). Returns 0, -EINVAL or
 * -ENOMEM. */
int rtp_stream_play(struct rtp_stream *s, const struct sockaddr *dest, int pt,
                    const struct rtp_audio *audio, void (*on_done)(void *ud), void *ud);

/* Stops sending, closes the socket, gives the port back to the pool and frees the stream
 * (once libuv has closed its handles). No callback follows. */
void rtp_stream_close(struct rtp_stream *s);

/* Frames sent so far and the latest any frame left after its schedule, in microseconds
 * (for logs and the benchmark). */
void rtp_stream_stats(const struct rtp_stream *s, uint64_t *frames, uint64_t *max_late_us);

#endif
