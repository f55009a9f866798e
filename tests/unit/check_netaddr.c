/*
 * check_netaddr.c: unit tests of core/netaddr.c (address:port, CIDR lists and matching,
 * RTP port ranges) and core/dialprefix.c (the carrier's dialling prefixes).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/dialprefix.h"
#include "core/netaddr.h"

START_TEST(test_hostport)
{
    struct netaddr a;
    uint16_t port = 0;
    char text[64];
    ck_assert_int_eq(netaddr_parse_hostport("127.0.0.1:5060", &a, &port), 0);
    ck_assert_int_eq(a.family, 4);
    ck_assert_uint_eq(port, 5060);
    ck_assert_int_eq(netaddr_parse_hostport("[::1]:5070", &a, &port), 0);
    ck_assert_int_eq(a.family, 6);
    ck_assert_uint_eq(port, 5070);
    netaddr_format(&a, text, sizeof text);
    ck_assert_str_eq(text, "::1");
    const char *bad[] = {"127.0.0.1",     "127.0.0.1:0", "127.0.0.1:65536", "::1:5060",
                         "[127.0.0.1]:5", "[::1]5060",   "host:5060",       ":5060",
                         "1.2.3.4:50a",   "1.2.3.4:-1",  "[::1]:",          ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(netaddr_parse_hostport(bad[i], &a, &port) < 0, "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_acl)
{
    struct netaddr_cidr acl[NETADDR_ACL_MAX];
    size_t n;
    struct netaddr a;
    ck_assert_int_eq(netaddr_acl_parse("192.0.2.0/24, 10.1.2.3 ,2001:db8::/32", acl, 8, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(netaddr_parse_ip("192.0.2.77", &a), 0);
    ck_assert_int_eq(netaddr_acl_match(acl, n, &a), 1);
    ck_assert_int_eq(netaddr_parse_ip("192.0.3.1", &a), 0);
    ck_assert_int_eq(netaddr_acl_match(acl, n, &a), 0);
    ck_assert_int_eq(netaddr_parse_ip("10.1.2.3", &a), 0);
    ck_assert_int_eq(netaddr_acl_match(acl, n, &a), 1);
    ck_assert_int_eq(netaddr_parse_ip("10.1.2.4", &a), 0);
    ck_assert_int_eq(netaddr_acl_match(acl, n, &a), 0);
    ck_assert_int_eq(netaddr_parse_ip("2001:db8:1::5", &a), 0);
    ck_assert_int_eq(netaddr_acl_match(acl, n, &a), 1);
    ck_assert_int_eq(netaddr_parse_ip("2001:db9::5", &a), 0);
    ck_assert_int_eq(netaddr_acl_match(acl, n, &a), 0);
    /* A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d. */
    ck_assert_int_eq(netaddr_parse_ip("::ffff:192.0.2.9", &a), 0);
    ck_assert_int_eq(netaddr_acl_match(acl, n, &a), 1);
    /* Odd prefix lengths. */
    ck_assert_int_eq(netaddr_acl_parse("172.16.0.0/12", acl, 8, &n), 0);
    ck_assert_int_eq(netaddr_parse_ip("172.31.255.255", &a), 0);
    ck_assert_int_eq(netaddr_acl_match(acl, n, &a), 1);
    ck_assert_int_eq(netaddr_parse_ip("172.32.0.0", &a), 0);
    ck_assert_int_eq(netaddr_acl_match(acl, n, &a), 0);
    ck_assert_int_eq(netaddr_acl_parse("0.0.0.0/0", acl, 8, &n), 0);
    ck_assert_int_eq(netaddr_acl_match(acl, n, &a), 1);
}
END_TEST

START_TEST(test_acl_bad)
{
    struct netaddr_cidr acl[2];
    size_t n;
    const char *bad[] = {"",           "1.2.3.4,",       ",1.2.3.4",     "1.2.3.4/33", "1.2.3.0/x",
                         "1.2.3.4/24", "2001:db8::/129", "host.example", "1.2.3.4/",   "1.2.3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(netaddr_acl_parse(bad[i], acl, 2, &n) < 0, "accepted %s", bad[i]);
    ck_assert_int_eq(netaddr_acl_parse("1.1.1.1,2.2.2.2,3.3.3.3", acl, 2, &n), -E2BIG);
}
END_TEST

START_TEST(test_sockaddr)
{
    struct sockaddr_in6 s6;
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons(5062);
    inet_pton(AF_INET6, "::1", &s6.sin6_addr);
    struct netaddr a;
    uint16_t port;
    ck_assert_int_eq(netaddr_from_sockaddr((struct sockaddr *)&s6, &a, &port), 0);
    ck_assert_int_eq(a.family, 6);
    ck_assert_uint_eq(port, 5062);
    struct sockaddr_in s4;
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    s4.sin_port = htons(5061);
    inet_pton(AF_INET, "127.0.0.2", &s4.sin_addr);
    ck_assert_int_eq(netaddr_from_sockaddr((struct sockaddr *)&s4, &a, NULL), 0);
    char text[64];
    netaddr_format(&a, text, sizeof text);
    ck_assert_str_eq(text, "127.0.0.2");
}
END_TEST

START_TEST(test_port_range)
{
    uint16_t lo, hi;
    ck_assert_int_eq(netaddr_parse_port_range("20000-20999", &lo, &hi), 0);
    ck_assert_uint_eq(lo, 20000);
    ck_assert_uint_eq(hi, 20999);
    const char *bad[] = {"20001-20999", "20000-20000", "20000-19998", "80-100", "20000",
                         "20000-",      "-20000",      "20000-70000", "a-b",    "20000 - 20999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(netaddr_parse_port_range(bad[i], &lo, &hi) < 0, "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_dialprefix)
{
    struct dialprefix_set s;
    ck_assert_int_eq(dialprefix_parse("+86, 86", &s), 0);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_str_eq(dialprefix_strip(&s, "+861008610001"), "1008610001");
    ck_assert_str_eq(dialprefix_strip(&s, "861008610001"), "1008610001");
    ck_assert_str_eq(dialprefix_strip(&s, "1008610001"), "1008610001");
    ck_assert_str_eq(dialprefix_strip(&s, "86"), "86"); /* nothing would be left */
    ck_assert_int_eq(dialprefix_parse("", &s), 0);
    ck_assert_uint_eq(s.n, 0);
    ck_assert_str_eq(dialprefix_strip(&s, "+861"), "+861");
    const char *bad[] = {"+", "86,", "8a", "1234567", "+86,,86", "1,2,3,4,5,6,7,8,9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(dialprefix_parse(bad[i], &s) < 0, "accepted %s", bad[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("netaddr");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_hostport);
    tcase_add_test(tc, test_acl);
    tcase_add_test(tc, test_acl_bad);
    tcase_add_test(tc, test_sockaddr);
    tcase_add_test(tc, test_port_range);
    tcase_add_test(tc, test_dialprefix);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
