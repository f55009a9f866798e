/*
 * tcp_link.h: what every TCP link of an SMS bearer shares that is not its protocol (an SMPP
 * bind in smpp_session.c, a CMPP link in cmpp_session.c): the reconnect backoff with
 * jitter, the write queue's bounds (issue 15: pause reading past a limit, drop a link that
 * does not read), the peer's address and its name for logs, and the gathered writes (the
 * PDUs one loop iteration makes go out in one uv_write). Helpers over the caller's structs:
 * no handle of their own.
 */
#ifndef ERM_TCP_LINK_H
#define ERM_TCP_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define TCP_LINK_MIN_BACKOFF_MS 100u /* never reconnect faster than this, whatever the config */

/* The reconnect backoff: MIN_MS doubling to MAX_MS, each delay +-20 % so that several
 * gateways that lost their peer together do not come back in lockstep. */
struct tcp_link_backoff {
    unsigned min_ms, max_ms;
    unsigned last_ms; /* the last base step; 0 after a success */
    uint64_t rng;     /* xorshift64* state: jitter only */
};

/* MIN_MS below TCP_LINK_MIN_BACKOFF_MS is raised to it, MAX_MS below MIN_MS to MIN_MS (a
 * zero or inverted backoff would reconnect in a hot loop). SEED 0 is replaced. */
void tcp_link_backoff_init(struct tcp_link_backoff *b, unsigned min_ms, unsigned max_ms,
                           uint64_t seed);
/* The next delay in milliseconds (at least TCP_LINK_MIN_BACKOFF_MS). */
unsigned tcp_link_backoff_next(struct tcp_link_backoff *b);
/* A link came up: the next loss starts from MIN_MS again. */
void tcp_link_backoff_reset(struct tcp_link_backoff *b);

/* The write queue's bounds not given (0), or in the wrong order, become the defaults:
 * MAX 4 MiB, PAUSE the smaller of 256 KiB and a quarter of MAX, RESUME a quarter of PAUSE,
 * STALL_MS 30 s. */
void tcp_link_wq_defaults(size_t *pause, size_t *resume, size_t *max, unsigned *stall_ms);

/* PEER (PEER_LEN bytes) gets "host:port" ("[v6]:port" for an IPv6 host), for logs. When
 * HOST is an IPv4 or IPv6 literal, ADDR gets it with PORT and 1 is returned (no resolution
 * needed); else 0. */
int tcp_link_addr(const char *host, uint16_t port, struct sockaddr_storage *addr, char *peer,
                  size_t peer_len);

/* Bytes gathered for one write. DATA is owned (malloc), freed by tcp_link_wbuf_free. */
struct tcp_link_wbuf {
    uint8_t *data;
    size_t len, cap;
};

/* One uv_write of gathered bytes: the request and its copy in one allocation. The write
 * callback gets it as its uv_write_t (the first member), reads OWNER and LINK_ID, and frees
 * it with free(). */
struct tcp_link_wreq {
    uv_write_t req;
    void *owner;
    uint64_t link_id;
    uint8_t data[];
};

/* Appends LEN bytes of DATA (copied). Returns 0 or -ENOMEM. */
int tcp_link_wbuf_append(struct tcp_link_wbuf *w, const uint8_t *data, size_t len);

/* Writes what W holds on ST as one uv_write with CB (a copy owned by the request; W is
 * emptied whatever happens). Returns 0 (nothing to write, or written), -ENOMEM, or uv's
 * error. */
int tcp_link_wbuf_flush(struct tcp_link_wbuf *w, uv_stream_t *st, void *owner, uint64_t link_id,
                        uv_write_cb cb);

void tcp_link_wbuf_free(struct tcp_link_wbuf *w);

#endif
