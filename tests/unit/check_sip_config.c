/*
 * check_sip_config.c: unit tests of core/config.c's [sip] section: defaults, good values,
 * and the one-line error naming file, line and key for each kind of bad value.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

static const char *const base = "[smsc]\nhost=h\nport=1\nsystem_id=a\npassword=b\n"
                                "[service]\nnumber=10086\n";

static int parse_sip(const char *sip, struct erm_config *cfg, char *err, size_t errlen)
{
    char text[2048];
    snprintf(text, sizeof text, "%s[sip]\n%s", base, sip);
    config_defaults(cfg);
    return config_parse("t.conf", text, strlen(text), cfg, err, errlen);
}

START_TEST(test_defaults)
{
    struct erm_config cfg;
    char err[256] = "";
    ck_assert_int_eq(parse_sip("", &cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.sip_listen, ""); /* off */
    ck_assert_str_eq(cfg.sip_rtp_ports, "20000-20999");
    ck_assert_uint_eq(cfg.sip_max_calls, 100);
    ck_assert_str_eq(cfg.sip_strip_prefix, "");
    ck_assert_str_eq(cfg.sip_prompts, "");
}
END_TEST

START_TEST(test_good)
{
    struct erm_config cfg;
    char err[256] = "";
    const char *t = "listen = [::]:5060\npeers = 192.0.2.0/24, 2001:db8::1\n"
                    "rtp_ports = 30000-30099\nprompts = /srv/prompts\nmax_calls = 1200\n"
                    "strip_prefix = +86,86\n";
    ck_assert_int_eq(parse_sip(t, &cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.sip_listen, "[::]:5060");
    ck_assert_str_eq(cfg.sip_peers, "192.0.2.0/24, 2001:db8::1");
    ck_assert_str_eq(cfg.sip_rtp_ports, "30000-30099");
    ck_assert_str_eq(cfg.sip_prompts, "/srv/prompts");
    ck_assert_uint_eq(cfg.sip_max_calls, 1200);
    ck_assert_str_eq(cfg.sip_strip_prefix, "+86,86");
}
END_TEST

static const struct {
    const char *sip;
    const char *err;
} bad_cases[] = {
    {"listen = 5060\npeers=127.0.0.1\n",
     "t.conf:9: [sip] listen: \"5060\" is not an address:port such as 0.0.0.0:5060 or "
     "[::]:5060"},
    {"listen = 127.0.0.1:5060\npeers = 10.0.0.1/8\n",
     "t.conf:10: [sip] peers: \"10.0.0.1/8\" is not a comma-separated list of addresses or "
     "CIDRs (at most 64)"},
    {"rtp_ports = 20001-20999\n",
     "t.conf:9: [sip] rtp_ports: \"20001-20999\" is not a port range such as 20000-20999 "
     "starting at an even port"},
    {"max_calls = 0\n", "t.conf:9: [sip] max_calls: \"0\" is not a number from 1 to 100000"},
    {"strip_prefix = +8x\n",
     "t.conf:9: [sip] strip_prefix: \"+8x\" is not a comma-separated list of prefixes such as "
     "+86,86"},
    {"listen = 127.0.0.1:5060\n",
     "t.conf: [sip] peers: missing (required when listen is set: the carrier's addresses)"},
    {"codec = pcma\n", "t.conf:9: [sip] codec: unknown key"},
};

START_TEST(test_bad)
{
    struct erm_config cfg;
    char err[256] = "";
    ck_assert_int_eq(parse_sip(bad_cases[_i].sip, &cfg, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, bad_cases[_i].err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sip_config");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_good);
    tcase_add_loop_test(tc, test_bad, 0, sizeof bad_cases / sizeof bad_cases[0]);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
