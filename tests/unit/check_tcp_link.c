/*
 * check_tcp_link.c: unit tests of gateway/tcp_link.c, what the SMPP and CMPP sessions share:
 * the backoff (clamped, doubling to its cap, jitter within 20 %, back to the start after a
 * success), the write queue's default bounds, and the peer's address and name.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/tcp_link.h"

START_TEST(test_backoff_doubles_with_jitter)
{
    struct tcp_link_backoff b;
    tcp_link_backoff_init(&b, 500, 4000, 42);
    unsigned bases[] = {500, 1000, 2000, 4000, 4000};
    for (unsigned i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        unsigned d = tcp_link_backoff_next(&b);
        ck_assert_uint_ge(d, bases[i] - bases[i] / 5);
        ck_assert_uint_le(d, bases[i] + bases[i] / 5);
    }
    tcp_link_backoff_reset(&b);
    unsigned d = tcp_link_backoff_next(&b);
    ck_assert_uint_ge(d, 400);
    ck_assert_uint_le(d, 600);
}
END_TEST

START_TEST(test_backoff_clamped)
{
    struct tcp_link_backoff b;
    tcp_link_backoff_init(&b, 0, 0, 0); /* a hot loop asked for: never under 100 ms */
    for (int i = 0; i < 5; i++)
        ck_assert_uint_ge(tcp_link_backoff_next(&b), TCP_LINK_MIN_BACKOFF_MS);
    ck_assert_uint_eq(b.min_ms, TCP_LINK_MIN_BACKOFF_MS);
    ck_assert_uint_eq(b.max_ms, TCP_LINK_MIN_BACKOFF_MS);
}
END_TEST

START_TEST(test_wq_defaults)
{
    size_t pause = 0, resume = 0, max = 0;
    unsigned stall = 0;
    tcp_link_wq_defaults(&pause, &resume, &max, &stall);
    ck_assert_uint_eq(max, 4u * 1024 * 1024);
    ck_assert_uint_eq(pause, 256u * 1024);
    ck_assert_uint_eq(resume, 64u * 1024);
    ck_assert_uint_eq(stall, 30000);
    pause = 5000, resume = 9000, max = 4000, stall = 7; /* in the wrong order */
    tcp_link_wq_defaults(&pause, &resume, &max, &stall);
    ck_assert_uint_eq(pause, 1000);
    ck_assert_uint_eq(resume, 250);
    ck_assert_uint_eq(stall, 7);
}
END_TEST

START_TEST(test_addr)
{
    struct sockaddr_storage a;
    char peer[64];
    ck_assert_int_eq(tcp_link_addr("127.0.0.1", 7890, &a, peer, sizeof peer), 1);
    ck_assert_str_eq(peer, "127.0.0.1:7890");
    ck_assert_int_eq(a.ss_family, AF_INET);
    ck_assert_int_eq(tcp_link_addr("::1", 7890, &a, peer, sizeof peer), 1);
    ck_assert_str_eq(peer, "[::1]:7890");
    ck_assert_int_eq(a.ss_family, AF_INET6);
    ck_assert_int_eq(tcp_link_addr("ismg.example", 7890, &a, peer, sizeof peer), 0);
    ck_assert_str_eq(peer, "ismg.example:7890");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_link");
    TCase *t = tcase_create("tcp_link");
    tcase_add_test(t, test_backoff_doubles_with_jitter);
    tcase_add_test(t, test_backoff_clamped);
    tcase_add_test(t, test_wq_defaults);
    tcase_add_test(t, test_addr);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
