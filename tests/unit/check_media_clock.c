/*
 * check_media_clock.c: unit tests of gateway/media_clock.c on real UDP sockets and a real
 * libuv loop: frames leave in order, one per 20 ms from the start (not sooner, and the whole
 * stream takes its length), on_done runs on the loop thread once after the last frame, a
 * job removed half-way sends nothing more and gets no on_done, and many jobs at once are all
 * sent. Receiving is done with blocking reads on a socket of the test, with a deadline.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "gateway/media_clock.h"

struct tjob {
    struct media_job job; /* first */
    int done_calls;
    pthread_t done_thread;
};

static size_t tjob_build(const struct media_job *job, size_t i, uint8_t *buf)
{
    (void)job;
    buf[0] = (uint8_t)(i >> 8);
    buf[1] = (uint8_t)i;
    return 2;
}

static void tjob_done(struct media_job *job)
{
    struct tjob *t = (struct tjob *)job;
    t->done_calls++;
    t->done_thread = pthread_self();
}

/* A bound UDP socket on 127.0.0.1 (port chosen by the system); *ADDR gets its address. */
static int udp_socket(struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_ge(fd, 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0);
    socklen_t len = sizeof *addr;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)addr, &len), 0);
    return fd;
}

static void tjob_init(struct tjob *t, int fd, const struct sockaddr_in *dest, size_t frames)
{
    memset(t, 0, sizeof *t);
    t->job.fd = fd;
    memcpy(&t->job.dest, dest, sizeof *dest);
    t->job.dest_len = sizeof *dest;
    t->job.frames = frames;
    t->job.build = tjob_build;
    t->job.on_done = tjob_done;
}

/* Reads one datagram within TIMEOUT_MS; returns its frame number, or -1 on timeout. */
static int recv_frame(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) != 1)
        return -1;
    uint8_t b[16];
    ck_assert_int_eq(recv(fd, b, sizeof b, 0), 2);
    return b[0] << 8 | b[1];
}

/* Runs LOOP until COND(T) holds or 2 s pass. */
static void run_until(uv_loop_t *loop, struct tjob *t, int (*cond)(const struct tjob *))
{
    uint64_t end = uv_hrtime() + 2000000000ull;
    while (!cond(t) && uv_hrtime() < end)
        uv_run(loop, UV_RUN_NOWAIT), usleep(1000);
}

static int is_done(const struct tjob *t)
{
    return t->done_calls > 0;
}

static void closed(void *ud)
{
    *(int *)ud = 1;
}

static void close_clock(uv_loop_t *loop, struct media_clock *mc)
{
    int was_closed = 0;
    media_clock_close(mc, closed, &was_closed);
    uv_run(loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(was_closed, 1);
}

START_TEST(test_frames_in_order_on_time)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct media_clock *mc = NULL;
    char err[128];
    ck_assert_int_eq(media_clock_start(&loop, &mc, err, sizeof err), 0);
    struct sockaddr_in rx_addr, tx_addr;
    int rx = udp_socket(&rx_addr), tx = udp_socket(&tx_addr);
    struct tjob t;
    tjob_init(&t, tx, &rx_addr, 10);
    uint64_t t0 = uv_hrtime();
    ck_assert_int_eq(media_clock_add(mc, &t.job), 0);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(recv_frame(rx, 1000), i);
    uint64_t took_ms = (uv_hrtime() - t0) / 1000000;
    /* frame 9 is due 180 ms after the start: not sooner, and not much later */
    ck_assert_uint_ge(took_ms, 180);
    ck_assert_uint_lt(took_ms, 1000);
    run_until(&loop, &t, is_done);
    ck_assert_int_eq(t.done_calls, 1);
    ck_assert(pthread_equal(t.done_thread, pthread_self()));
    struct media_clock_stats st;
    media_clock_stats(mc, &st);
    ck_assert_uint_eq(st.frames, 10);
    ck_assert_uint_eq(st.jobs, 1);
    ck_assert_uint_eq(st.unsent, 0);
    media_clock_remove(mc, &t.job); /* after the end: a no-op */
    close_clock(&loop, mc);
    close(rx), close(tx);
    uv_loop_close(&loop);
}
END_TEST

START_TEST(test_remove_stops_sending)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct media_clock *mc = NULL;
    char err[128];
    ck_assert_int_eq(media_clock_start(&loop, &mc, err, sizeof err), 0);
    struct sockaddr_in rx_addr, tx_addr;
    int rx = udp_socket(&rx_addr), tx = udp_socket(&tx_addr);
    struct tjob t;
    tjob_init(&t, tx, &rx_addr, 100);
    ck_assert_int_eq(media_clock_add(mc, &t.job), 0);
    ck_assert_int_eq(recv_frame(rx, 1000), 0);
    ck_assert_int_eq(recv_frame(rx, 1000), 1);
    media_clock_remove(mc, &t.job);
    size_t sent = 0;
    uint64_t late = 0;
    media_clock_job_progress(mc, &t.job, &sent, &late);
    /* at most the frame in flight when we removed it, then nothing for 100 ms (5 frames) */
    int after = recv_frame(rx, 100);
    ck_assert(after == -1 || (after == 2 && recv_frame(rx, 100) == -1));
    ck_assert_uint_le(sent, 3);
    uv_run(&loop, UV_RUN_NOWAIT);
    ck_assert_int_eq(t.done_calls, 0);
    close_clock(&loop, mc);
    close(rx), close(tx);
    uv_loop_close(&loop);
}
END_TEST

static int all_done(const struct tjob *t)
{
    for (int i = 0; i < 200; i++)
        if (t[i].done_calls != 1)
            return 0;
    return 1;
}

START_TEST(test_many_jobs)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct media_clock *mc = NULL;
    char err[128];
    ck_assert_int_eq(media_clock_start(&loop, &mc, err, sizeof err), 0);
    struct sockaddr_in rx_addr, tx_addr;
    int rx = udp_socket(&rx_addr), tx = udp_socket(&tx_addr);
    int rcvbuf = 4 << 20;
    setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct tjob *t = calloc(200, sizeof *t);
    for (int i = 0; i < 200; i++) {
        tjob_init(&t[i], tx, &rx_addr, 5);
        ck_assert_int_eq(media_clock_add(mc, &t[i].job), 0);
    }
    int got = 0;
    while (recv_frame(rx, 500) >= 0)
        got++;
    run_until(&loop, t, all_done);
    ck_assert(all_done(t));
    struct media_clock_stats st;
    media_clock_stats(mc, &st);
    ck_assert_uint_eq(st.frames, 1000);
    ck_assert_int_eq(got + (int)st.unsent, 1000);
    close_clock(&loop, mc);
    free(t);
    close(rx), close(tx);
    uv_loop_close(&loop);
}
END_TEST

START_TEST(test_empty_job_refused)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct media_clock *mc = NULL;
    char err[128];
    ck_assert_int_eq(media_clock_start(&loop, &mc, err, sizeof err), 0);
    struct sockaddr_in a;
    int fd = udp_socket(&a);
    struct tjob t;
    tjob_init(&t, fd, &a, 0);
    ck_assert_int_eq(media_clock_add(mc, &t.job), -EINVAL);
    close_clock(&loop, mc);
    close(fd);
    uv_loop_close(&loop);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("media_clock");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_frames_in_order_on_time);
    tcase_add_test(tc, test_remove_stops_sending);
    tcase_add_test(tc, test_many_jobs);
    tcase_add_test(tc, test_empty_job_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
