/*
 * media_clock.h: the pace of every RTP stream of a trunk, kept by one dedicated thread.
 *
 * Why a thread: a 20 ms frame must leave on time (the target is a p99 under 2 ms at
 * 60,000 frames a second) while the loop thread parses SIP, reads PostgreSQL's answers and
 * runs the SMS bearers; a uv_timer counts whole milliseconds and waits behind whatever
 * callback runs. The media thread sleeps until the earliest frame is due (an absolute
 * CLOCK_MONOTONIC deadline, the clock uv_hrtime() reads), sends every frame that is due with
 * one sendto() each on the stream's own socket, and sleeps again. It touches nothing but the
 * jobs it was given and their sockets' file descriptors; libuv handles, SIP and the
 * database stay on the loop thread. A job's end is handed back to the loop thread through a
 * uv_async_t, so on_done always runs there.
 *
 * Ownership: the caller owns each struct media_job (it lives inside the stream) and keeps it
 * valid from media_clock_add() until media_clock_remove() has returned; after that the thread
 * never touches it again and its on_done is not called. The clock owns its thread, mutex and
 * async handle, freed by media_clock_close().
 */
#ifndef ERM_MEDIA_CLOCK_H
#define ERM_MEDIA_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define MEDIA_FRAME_NS     20000000ull /* one 20 ms frame */
#define MEDIA_LATE_BUCKET  50          /* microseconds per bucket of the lateness histogram */
#define MEDIA_LATE_BUCKETS 400         /* 0 to 20 ms; later frames go to the last bucket */
#define MEDIA_PACKET_MAX   512         /* header + payload of one frame */

/* One stream's frames. The caller fills the fields above the line before media_clock_add();
 * the rest belongs to the clock. */
struct media_job {
    int fd; /* a bound, non-blocking UDP socket */
    struct sockaddr_storage dest;
    socklen_t dest_len;
    size_t frames; /* frames to send, 0..frames-1 */
    /* Writes frame I's packet into BUF (at most MEDIA_PACKET_MAX bytes) and returns its
     * length. Called on the media thread: it may read the job's own fixed data only. */
    size_t (*build)(const struct media_job *job, size_t i, uint8_t *buf);
    void (*on_done)(struct media_job *job); /* on the loop thread, after the last frame */
    /* ---- the clock's ---- */
    uint64_t start_ns; /* frame I is due at start_ns + I * MEDIA_FRAME_NS */
    size_t next;       /* the next frame to send */
    size_t heap_at;    /* index in the clock's heap while queued */
    uint64_t max_late_us;
    uint64_t unsent; /* frames the socket refused (buffer full): lost, not delayed */
    int state;       /* MEDIA_JOB_* of media_clock.c */
    struct media_job *done_next;
};

struct media_clock_stats {
    uint64_t frames, unsent, jobs;
    uint64_t late_p50_us, late_p99_us, late_max_us;
};

struct media_clock;

/* Starts the media thread for LOOP (the loop on_done runs on). Returns 0 or a negative
 * errno; ERR says why. */
int media_clock_start(uv_loop_t *loop, struct media_clock **out, char *err, size_t errlen);

/* Queues JOB: its first frame leaves within a millisecond (the clock's grid). Returns 0,
 * -EINVAL for a job with no frame, or -ENOMEM. */
int media_clock_add(struct media_clock *mc, struct media_job *job);

/* Takes JOB out, sent or not: when this returns, the media thread no longer touches it and
 * on_done will not be called. A job not (or no longer) queued is left alone. */
void media_clock_remove(struct media_clock *mc, struct media_job *job);

/* JOB's progress, read safely while the thread may be sending it. */
void media_clock_job_progress(struct media_clock *mc, const struct media_job *job, size_t *sent,
                              uint64_t *max_late_us);

/* Every frame sent so far: how many, how many lost to a full socket, and how late they left
 * (from the histogram, to MEDIA_LATE_BUCKET µs). */
void media_clock_stats(struct media_clock *mc, struct media_clock_stats *st);

/* Stops the thread (jobs still queued are dropped; their owners must not remove them after
 * this), then frees the clock once libuv has closed its handle and calls CLOSED(UD). */
void media_clock_close(struct media_clock *mc, void (*closed)(void *ud), void *ud);

#endif
