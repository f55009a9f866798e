/*
 * media_clock.c: the media thread of media_clock.h.
 *
 * Queued jobs sit in a binary min-heap keyed by their next frame's due time; the thread waits
 * on a condition variable with an absolute CLOCK_MONOTONIC deadline (the heap's top), so it
 * wakes for the next frame or when a job is added. One mutex covers the heap, the done list
 * and the statistics; the loop thread takes it only to add, remove or read, for microseconds.
 * The thread never logs (the logger belongs to the loop thread): what it saw is counted and
 * read by the loop thread.
 */
#include "gateway/media_clock.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MEDIA_MAX_BURST 5 /* frames of one job sent in one wake-up at most, after a stall */
/* Every stream's schedule starts on this grid, so that frames fall due together: at 60,000
 * frames a second the thread wakes at most once a grid step (1,000 times a second) instead
 * of once a frame, each wake-up a futex round trip and two context switches. The first
 * frame waits up to one step longer; no later frame does. */
#define MEDIA_GRID_NS 1000000ull

enum { MEDIA_JOB_IDLE = 0, MEDIA_JOB_QUEUED, MEDIA_JOB_DONE };

struct media_clock {
    uv_async_t async; /* first: the handle's close callback finds the clock from it */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int quit;
    struct media_job **heap;
    size_t n, cap;
    struct media_job *done_head, *done_tail; /* ended, on_done not yet called */
    uint64_t frames, unsent, jobs, late_max_us;
    uint64_t late[MEDIA_LATE_BUCKETS];
    void (*closed)(void *ud);
    void *closed_ud;
};

static uint64_t media_due(const struct media_job *j)
{
    return j->start_ns + (uint64_t)j->next * MEDIA_FRAME_NS;
}

/* ---- the heap (caller holds mu) ---- */

static void media_heap_set(struct media_clock *mc, size_t i, struct media_job *j)
{
    mc->heap[i] = j;
    j->heap_at = i;
}

static void media_heap_up(struct media_clock *mc, size_t i)
{
    struct media_job *j = mc->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (media_due(mc->heap[parent]) <= media_due(j))
            break;
        media_heap_set(mc, i, mc->heap[parent]);
        i = parent;
    }
    media_heap_set(mc, i, j);
}

static void media_heap_down(struct media_clock *mc, size_t i)
{
    struct media_job *j = mc->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= mc->n)
            break;
        if (c + 1 < mc->n && media_due(mc->heap[c + 1]) < media_due(mc->heap[c]))
            c++;
        if (media_due(j) <= media_due(mc->heap[c]))
            break;
        media_heap_set(mc, i, mc->heap[c]);
        i = c;
    }
    media_heap_set(mc, i, j);
}

static void media_heap_remove(struct media_clock *mc, size_t i)
{
    struct media_job *last = mc->heap[--mc->n];
    if (i == mc->n)
        return;
    media_heap_set(mc, i, last);
    media_heap_up(mc, i);
    media_heap_down(mc, last->heap_at);
}

/* ---- the media thread ---- */

static void media_count_late(struct media_clock *mc, struct media_job *j, uint64_t late_us)
{
    size_t b = late_us / MEDIA_LATE_BUCKET;
    mc->late[b < MEDIA_LATE_BUCKETS ? b : MEDIA_LATE_BUCKETS - 1]++;
    if (late_us > mc->late_max_us)
        mc->late_max_us = late_us;
    if (late_us > j->max_late_us)
        j->max_late_us = late_us;
}

/* Sends J's due frames (a few at most); returns 1 when J has sent its last. */
static int media_send_due(struct media_clock *mc, struct media_job *j, uint64_t now)
{
    uint8_t pkt[MEDIA_PACKET_MAX];
    for (int burst = 0; burst < MEDIA_MAX_BURST && j->next < j->frames; burst++) {
        uint64_t due = media_due(j);
        if (due > now)
            break;
        size_t len = j->build(j, j->next, pkt);
        /* A full socket buffer loses the frame: a late frame is worth no more than a lost one. */
        if (sendto(j->fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&j->dest, j->dest_len) < 0)
            j->unsent++, mc->unsent++;
        media_count_late(mc, j, (now - due) / 1000);
        mc->frames++;
        j->next++;
    }
    return j->next >= j->frames;
}

static void media_job_finish(struct media_clock *mc, struct media_job *j)
{
    media_heap_remove(mc, j->heap_at);
    j->state = MEDIA_JOB_DONE;
    j->done_next = NULL;
    if (mc->done_tail != NULL)
        mc->done_tail->done_next = j;
    else
        mc->done_head = j;
    mc->done_tail = j;
}

/* One wake-up: every job whose frame is due sends it. Returns 1 when a job ended. */
static int media_tick(struct media_clock *mc)
{
    int ended = 0;
    uint64_t now = uv_hrtime();
    while (mc->n > 0 && media_due(mc->heap[0]) <= now) {
        struct media_job *j = mc->heap[0];
        if (media_send_due(mc, j, now)) {
            media_job_finish(mc, j);
            ended = 1;
        } else {
            media_heap_down(mc, 0);
        }
    }
    return ended;
}

static void *media_main(void *arg)
{
    struct media_clock *mc = arg;
    pthread_mutex_lock(&mc->mu);
    while (!mc->quit) {
        if (media_tick(mc))
            uv_async_send(&mc->async);
        if (mc->n == 0) {
            pthread_cond_wait(&mc->cond, &mc->mu);
            continue;
        }
        uint64_t due = media_due(mc->heap[0]);
        struct timespec ts = {.tv_sec = (time_t)(due / 1000000000u),
                              .tv_nsec = (long)(due % 1000000000u)};
        pthread_cond_timedwait(&mc->cond, &mc->mu, &ts);
    }
    pthread_mutex_unlock(&mc->mu);
    return NULL;
}

/* ---- the loop thread ---- */

/* Calls on_done for each ended job, one at a time: a callback may remove another job. */
static void media_on_async(uv_async_t *h)
{
    struct media_clock *mc = (struct media_clock *)h;
    for (;;) {
        pthread_mutex_lock(&mc->mu);
        struct media_job *j = mc->done_head;
        if (j != NULL) {
            mc->done_head = j->done_next;
            if (mc->done_head == NULL)
                mc->done_tail = NULL;
            j->state = MEDIA_JOB_IDLE;
        }
        pthread_mutex_unlock(&mc->mu);
        if (j == NULL)
            return;
        j->on_done(j);
    }
}

/* Asks for a real-time priority so that PostgreSQL's backends on the same two cores do not
 * hold a frame back; without the privilege (no CAP_SYS_NICE) the thread runs at the normal
 * priority and the benchmark shows what that costs. */
static void media_try_realtime(pthread_t thread)
{
    struct sched_param sp = {.sched_priority = 10};
    (void)pthread_setschedparam(thread, SCHED_FIFO, &sp);
}

int media_clock_start(uv_loop_t *loop, struct media_clock **out, char *err, size_t errlen)
{
    struct media_clock *mc = calloc(1, sizeof *mc);
    pthread_condattr_t ca;
    int rc = mc != NULL ? 0 : -ENOMEM;
    if (rc == 0)
        rc = -pthread_mutex_init(&mc->mu, NULL);
    if (rc == 0 && (rc = -pthread_condattr_init(&ca)) == 0) {
        rc = -pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        if (rc == 0)
            rc = -pthread_cond_init(&mc->cond, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (rc == 0)
        rc = uv_async_init(loop, &mc->async, media_on_async);
    if (rc == 0 && (rc = -pthread_create(&mc->thread, NULL, media_main, mc)) < 0)
        uv_close((uv_handle_t *)&mc->async, NULL); /* freed below once closed: see fail */
    if (rc < 0)
        goto fail;
    media_try_realtime(mc->thread);
    *out = mc;
    return 0;
fail:
    snprintf(err, errlen, "media clock: %s", strerror(-rc));
    /* An async handle that was opened is closing: leak the clock rather than free it under
     * libuv (start-up then fails and the process exits). */
    if (mc != NULL && !uv_is_closing((uv_handle_t *)&mc->async))
        free(mc);
    return rc;
}

int media_clock_add(struct media_clock *mc, struct media_job *job)
{
    if (job->frames == 0 || job->build == NULL || job->on_done == NULL)
        return -EINVAL;
    pthread_mutex_lock(&mc->mu);
    if (mc->n == mc->cap) {
        size_t cap = mc->cap ? 2 * mc->cap : 64;
        struct media_job **h = realloc(mc->heap, cap * sizeof *h);
        if (h == NULL) {
            pthread_mutex_unlock(&mc->mu);
            return -ENOMEM;
        }
        mc->heap = h;
        mc->cap = cap;
    }
    job->start_ns = (uv_hrtime() + MEDIA_GRID_NS - 1) / MEDIA_GRID_NS * MEDIA_GRID_NS;
    job->next = 0;
    job->max_late_us = 0;
    job->unsent = 0;
    job->state = MEDIA_JOB_QUEUED;
    mc->heap[mc->n++] = job;
    media_heap_up(mc, mc->n - 1);
    mc->jobs++;
    pthread_cond_signal(&mc->cond);
    pthread_mutex_unlock(&mc->mu);
    return 0;
}

void media_clock_remove(struct media_clock *mc, struct media_job *job)
{
    pthread_mutex_lock(&mc->mu);
    if (job->state == MEDIA_JOB_QUEUED) {
        media_heap_remove(mc, job->heap_at);
    } else if (job->state == MEDIA_JOB_DONE) {
        struct media_job **p = &mc->done_head, *prev = NULL;
        while (*p != NULL && *p != job)
            prev = *p, p = &(*p)->done_next;
        if (*p == job) {
            *p = job->done_next;
            if (mc->done_tail == job)
                mc->done_tail = prev;
        }
    }
    job->state = MEDIA_JOB_IDLE;
    pthread_mutex_unlock(&mc->mu);
}

void media_clock_job_progress(struct media_clock *mc, const struct media_job *job, size_t *sent,
                              uint64_t *max_late_us)
{
    pthread_mutex_lock(&mc->mu);
    *sent = job->next;
    *max_late_us = job->max_late_us;
    pthread_mutex_unlock(&mc->mu);
}

/* The lateness below which a share Q (of 1) of the frames left, to one bucket. */
static uint64_t media_quantile(const struct media_clock *mc, double q)
{
    if (mc->frames == 0)
        return 0;
    uint64_t want = (uint64_t)(q * (double)mc->frames), seen = 0;
    for (size_t b = 0; b < MEDIA_LATE_BUCKETS; b++) {
        seen += mc->late[b];
        if (seen > want)
            return (uint64_t)(b + 1) * MEDIA_LATE_BUCKET;
    }
    return mc->late_max_us;
}

void media_clock_stats(struct media_clock *mc, struct media_clock_stats *st)
{
    pthread_mutex_lock(&mc->mu);
    st->frames = mc->frames;
    st->unsent = mc->unsent;
    st->jobs = mc->jobs;
    st->late_p50_us = media_quantile(mc, 0.50);
    st->late_p99_us = media_quantile(mc, 0.99);
    st->late_max_us = mc->late_max_us;
    pthread_mutex_unlock(&mc->mu);
}

static void media_on_closed(uv_handle_t *h)
{
    struct media_clock *mc = (struct media_clock *)h;
    void (*closed)(void *) = mc->closed;
    void *ud = mc->closed_ud;
    pthread_cond_destroy(&mc->cond);
    pthread_mutex_destroy(&mc->mu);
    free(mc->heap);
    free(mc);
    if (closed != NULL)
        closed(ud);
}

void media_clock_close(struct media_clock *mc, void (*closed)(void *ud), void *ud)
{
    pthread_mutex_lock(&mc->mu);
    mc->quit = 1;
    pthread_cond_signal(&mc->cond);
    pthread_mutex_unlock(&mc->mu);
    pthread_join(mc->thread, NULL);
    mc->closed = closed;
    mc->closed_ud = ud;
    uv_close((uv_handle_t *)&mc->async, media_on_closed);
}
