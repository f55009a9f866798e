/*
 * check_config.c: unit tests of core/config.c, the daemon's INI parser: the example keys,
 * defaults, and one clear line naming file, line and key for every kind of bad input.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

static const char *const good =
    "; example\n"
    "[smsc]\n"
    "host = 10.1.2.3\n"
    "port = 2776\n"
    "system_id = ermgw\n"
    "password = secret\n"
    "system_type =\n"
    "enquire_link_s = 15\n"
    "max_submit_rate = 50\n"
    "[service]\n"
    "number = 10086\n"
    "[database]\n"
    "conninfo =            ; libpq conninfo; empty means the PG* environment variables\n";

static int parse(const char *text, struct erm_config *cfg, char *err, size_t errlen)
{
    config_defaults(cfg);
    return config_parse("t.conf", text, strlen(text), cfg, err, errlen);
}

START_TEST(test_good)
{
    struct erm_config cfg;
    char err[256] = "";
    ck_assert_int_eq(parse(good, &cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.smsc_host, "10.1.2.3");
    ck_assert_uint_eq(cfg.smsc_port, 2776);
    ck_assert_str_eq(cfg.system_id, "ermgw");
    ck_assert_str_eq(cfg.password, "secret");
    ck_assert_str_eq(cfg.system_type, "");
    ck_assert_uint_eq(cfg.enquire_link_s, 15);
    ck_assert_str_eq(cfg.service_number, "10086");
    ck_assert_str_eq(cfg.conninfo, "");
    ck_assert_uint_eq(cfg.db_unavailable_status, 0x64);
    ck_assert_uint_eq(cfg.window, 10);
    ck_assert_uint_eq(cfg.max_submit_rate, 50);
}
END_TEST

/* [cmpp] in place of [smsc]: its keys, defaults and one line naming the field when bad. */
START_TEST(test_cmpp)
{
    struct erm_config cfg;
    char err[256] = "";
    const char *base = "[cmpp]\nhost = 10.0.0.9\nsp_id = 901234\nsecret = s3cret\n"
                       "service_id = ERM\n[service]\nnumber = 10086\n";
    ck_assert_int_eq(parse(base, &cfg, err, sizeof err), 0);
    ck_assert_int_eq(cfg.cmpp_on, 1);
    ck_assert_str_eq(cfg.cmpp_host, "10.0.0.9");
    ck_assert_uint_eq(cfg.cmpp_port, 7890);
    ck_assert_uint_eq(cfg.cmpp_version, 0x30);
    ck_assert_str_eq(cfg.cmpp_src_id, "10086"); /* the service number unless given */
    ck_assert_int_eq(parse(good, &cfg, err, sizeof err), 0);
    ck_assert_int_eq(cfg.cmpp_on, 0);

    static const struct {
        const char *extra, *says;
    } bad[] = {
        {"version = 2.5\n", "t.conf:6: [cmpp] version: \"2.5\" is not one of 3.0, 2.0"},
        {"port = 0\n", "t.conf:6: [cmpp] port: \"0\" is not a number from 1 to 65535"},
        {"window = 0\n", "t.conf:6: [cmpp] window: \"0\" is not a number from 1 to 1000"},
        {"service_id = ABCDEFGHIJK\n", "t.conf:6: [cmpp] service_id: given twice"},
    };
    char text[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text,
                 "[cmpp]\nhost = h\nsp_id = 901234\nsecret = s\nservice_id = E\n%s"
                 "[service]\nnumber = 10086\n",
                 bad[i].extra);
        ck_assert_int_lt(parse(text, &cfg, err, sizeof err), 0);
        ck_assert_str_eq(err, bad[i].says);
    }
    ck_assert_int_lt(parse("[cmpp]\nhost=h\nsp_id=90123\nsecret=s\nservice_id=E\n"
                           "[service]\nnumber=10086\n",
                           &cfg, err, sizeof err),
                     0);
    ck_assert_str_eq(err, "t.conf: [cmpp] sp_id: \"90123\" is not 6 characters (the SP's "
                          "Source_Addr)");
    ck_assert_int_lt(parse("[cmpp]\nhost=h\nsp_id=901234\nservice_id=E\n"
                           "[service]\nnumber=10086\n",
                           &cfg, err, sizeof err),
                     0);
    ck_assert_str_eq(err, "t.conf: [cmpp] secret: missing (required)");
    ck_assert_int_lt(parse("[cmpp]\nhost=h\nsp_id=901234\nsecret=s\nservice_id=E\n"
                           "[smsc]\nhost=h\nport=1\nsystem_id=a\npassword=b\n"
                           "[service]\nnumber=10086\n",
                           &cfg, err, sizeof err),
                     0);
    ck_assert_str_eq(err, "t.conf: [cmpp]: given with [smsc]: one SMS bearer at a time, remove "
                          "one of them");
}
END_TEST

/* The intake's keys: their defaults, and values as written. */
START_TEST(test_intake_keys)
{
    struct erm_config cfg;
    char err[256] = "";
    ck_assert_int_eq(parse(good, &cfg, err, sizeof err), 0);
    ck_assert_int_eq(cfg.message_ids, RECEIPT_IDS_SAME);
    ck_assert_uint_eq(cfg.concat_timeout_s, 600);
    ck_assert_uint_eq(cfg.dedupe_window_s, 600);
    const char *t = "[smsc]\nhost=h\nport=1\nsystem_id=a\npassword=b\nmessage_ids = hex_dec\n"
                    "[service]\nnumber=10086\nconcat_timeout_s = 5\ndedupe_window_s = 60\n";
    ck_assert_int_eq(parse(t, &cfg, err, sizeof err), 0);
    ck_assert_int_eq(cfg.message_ids, RECEIPT_IDS_HEX_DEC);
    ck_assert_uint_eq(cfg.concat_timeout_s, 5);
    ck_assert_uint_eq(cfg.dedupe_window_s, 60);
}
END_TEST

/* [database]'s numbers: group commit's bound (256 unless set, 1 turns it off) and the MO
 * connections (2 unless set). */
START_TEST(test_database_numbers)
{
    struct erm_config cfg;
    char err[256] = "";
    ck_assert_int_eq(parse(good, &cfg, err, sizeof err), 0);
    ck_assert_uint_eq(cfg.batch_max, 256);
    ck_assert_uint_eq(cfg.mo_connections, 2);
    ck_assert_uint_eq(cfg.mo_spill, 64);
    ck_assert_uint_eq(cfg.statement_timeout_s, 30);
    ck_assert_str_eq(cfg.admin_listen, ""); /* no admin endpoint unless asked for */
    const char *t = "[smsc]\nhost=h\nport=1\nsystem_id=a\npassword=b\n"
                    "[service]\nnumber=10086\n[database]\nbatch_max = 1\nconnections = 3\n"
                    "spill = 1\nstatement_timeout_s = 0\n[admin]\nlisten = 127.0.0.1:9464\n";
    ck_assert_int_eq(parse(t, &cfg, err, sizeof err), 0);
    ck_assert_uint_eq(cfg.batch_max, 1);
    ck_assert_uint_eq(cfg.mo_connections, 3);
    ck_assert_uint_eq(cfg.mo_spill, 1);
    ck_assert_uint_eq(cfg.statement_timeout_s, 0);
    ck_assert_str_eq(cfg.admin_listen, "127.0.0.1:9464");
}
END_TEST

START_TEST(test_gateway_keys)
{
    struct erm_config cfg;
    char err[256] = "";
    ck_assert_int_eq(parse(good, &cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.gateway_id, ""); /* the daemon puts the host name there */
    ck_assert_uint_eq(cfg.lease_s, 30);
    const char *t = "[smsc]\nhost=h\nport=1\nsystem_id=a\npassword=b\n"
                    "[service]\nnumber=10086\n[gateway]\nid = gw-b.dc2_1\nlease_s = 5\n";
    ck_assert_int_eq(parse(t, &cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.gateway_id, "gw-b.dc2_1");
    ck_assert_uint_eq(cfg.lease_s, 5);
    ck_assert_int_eq(config_gateway_id_ok("host.example"), 1);
    ck_assert_int_eq(config_gateway_id_ok("h\xc3\xa9"), 0);
}
END_TEST

START_TEST(test_conninfo_with_spaces_and_status_hex)
{
    struct erm_config cfg;
    char err[256] = "";
    const char *t = "[smsc]\nhost=h\nport=1\nsystem_id=a\npassword=b\n"
                    "[service]\nnumber=10086\ndb_unavailable_status = 0x58\n"
                    "[database]\nconninfo = host=/tmp dbname=erm ; comment\n";
    ck_assert_int_eq(parse(t, &cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.conninfo, "host=/tmp dbname=erm");
    ck_assert_uint_eq(cfg.db_unavailable_status, 0x58);
    ck_assert_uint_eq(cfg.max_submit_rate, 0); /* no cap unless the SMSC contract sets one */
}
END_TEST

struct bad_case {
    const char *text;
    const char *expect; /* the error line must contain this */
};

static const struct bad_case bad_cases[] = {
    {"[smsc]\nhost=h\nport=99999\n", "t.conf:3: [smsc] port: \"99999\" is not a number"},
    {"[smsc]\nport=12x\n", "t.conf:2: [smsc] port:"},
    {"[smsc]\nport=-1\n", "t.conf:2: [smsc] port:"},
    {"[smsc]\nhots=h\n", "t.conf:2: [smsc] hots: unknown key"},
    {"[smc]\n", "t.conf:1: [smc]: unknown section"},
    {"host=h\n", "t.conf:1: key \"host\" outside any section"},
    {"[smsc]\nhost\n", "t.conf:2: expected \"key = value\""},
    {"[smsc\n", "t.conf:1: malformed section header"},
    {"[smsc]\nsystem_id=abcdefghijklmnopq\n", "[smsc] system_id: longer than 15"},
    {"[smsc]\npassword=123456789\n", "[smsc] password: longer than 8"},
    {"[smsc]\nhost=h\nhost=i\n", "t.conf:3: [smsc] host: given twice"},
    {"[smsc]\nhost=h\nport=1\npassword=p\n[service]\nnumber=10086\n",
     "t.conf: [smsc] system_id: missing (required)"},
    {"[smsc]\nhost=h\nport=1\nsystem_id=s\npassword=p\n[service]\nnumber=10o86\n",
     "[service] number: \"10o86\" is not a service number"},
    {"[service]\ndb_unavailable_status = 0\n", "[service] db_unavailable_status:"},
    {"[log]\nlevel = loud\n", "[log] level: \"loud\" is not one of"},
    {"[smsc]\nenquire_link_s = 0\n", "[smsc] enquire_link_s:"},
    {"[smsc]\nmax_submit_rate = 100001\n",
     "t.conf:2: [smsc] max_submit_rate: \"100001\" is not a number from 0 to 100000"},
    {"[smsc]\nmax_submit_rate = fast\n", "t.conf:2: [smsc] max_submit_rate:"},
    {"[smsc]\nmessage_ids = hex\n",
     "t.conf:2: [smsc] message_ids: \"hex\" is not one of same, hex_dec, dec_hex"},
    {"[service]\nconcat_timeout_s = 0\n", "t.conf:2: [service] concat_timeout_s:"},
    {"[service]\ndedupe_window_s = 604801\n", "t.conf:2: [service] dedupe_window_s:"},
    {"[database]\nbatch_max = 0\n",
     "t.conf:2: [database] batch_max: \"0\" is not a number from 1 to 1024"},
    {"[database]\nbatch_max = 1025\n", "t.conf:2: [database] batch_max:"},
    {"[database]\nspill = 0\n",
     "t.conf:2: [database] spill: \"0\" is not a number from 1 to 65535"},
    {"[database]\nconnections = 0\n",
     "t.conf:2: [database] connections: \"0\" is not a number from 1 to 8"},
    {"[database]\nconnections = 9\n", "t.conf:2: [database] connections:"},
    {"[gateway]\nid = gw 1\n",
     "t.conf:2: [gateway] id: \"gw 1\" is not 1 to 63 of the characters A-Z a-z 0-9 . _ -"},
    {"[gateway]\nid =\n", "t.conf:2: [gateway] id: \"\" is not 1 to 63"},
    {"[gateway]\nid = "
     "a234567890123456789012345678901234567890123456789012345678901234\n",
     "t.conf:2: [gateway] id:"},
    {"[gateway]\nid = gw/1\n", "t.conf:2: [gateway] id:"},
    {"[smsc]\nbinds = 0\n", "t.conf:2: [smsc] binds: \"0\" is not a number from 1 to 16"},
    {"[smsc]\nbinds = 17\n", "t.conf:2: [smsc] binds:"},
    {"[smsc]\nbind = receiver\n",
     "t.conf:2: [smsc] bind: \"receiver\" is not one of transceiver, pair"},
    {"[gateway]\nlease_s = 1\n",
     "t.conf:2: [gateway] lease_s: \"1\" is not a number from 2 to 3600"},
    {"[database]\nstatement_timeout_s = 86401\n",
     "t.conf:2: [database] statement_timeout_s: \"86401\" is not a number from 0 to 86400"},
    {"[database]\nstatement_timeout_s = 5s\n", "t.conf:2: [database] statement_timeout_s:"},
    {"[admin]\nlisten = 9464\n",
     "t.conf:2: [admin] listen: \"9464\" is not an address:port such as 127.0.0.1:9464"},
    {"[admin]\nlisten = 127.0.0.1:99999\n", "t.conf:2: [admin] listen:"},
    {"[admin]\nport = 1\n", "t.conf:2: [admin] port: unknown key"},
};

/* Case I, C, refused by PARSE_FN with one line holding what it expects. */
static void expect_bad(int (*parse_fn)(const char *, struct erm_config *, char *, size_t),
                       const struct bad_case *c, int i)
{
    struct erm_config cfg;
    char err[256] = "";
    ck_assert_int_lt(parse_fn(c->text, &cfg, err, sizeof err), 0);
    ck_assert_msg(strstr(err, c->expect) != NULL, "case %d: got \"%s\", want \"%s\"", i, err,
                  c->expect);
    ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(test_bad)
{
    expect_bad(parse, &bad_cases[_i], _i);
}
END_TEST

START_TEST(test_crlf_and_comments)
{
    struct erm_config cfg;
    char err[256] = "";
    const char *t = "# hash comment\r\n[smsc]\r\nhost = h # trailing\r\nport = 7\r\n"
                    "system_id = s\r\npassword = p;q\r\n[service]\r\nnumber = 10086\r\n";
    ck_assert_int_eq(parse(t, &cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.smsc_host, "h");
    ck_assert_str_eq(cfg.password, "p;q"); /* ';' inside a value is not a comment */
}
END_TEST

/* Secrets (issue 15): a comment never stands for a password, a quoted one keeps its '#', and
 * no error line shows one. */
START_TEST(test_secrets)
{
    struct erm_config cfg;
    char err[256] = "";
    const char *head = "[smsc]\nhost=h\nport=1\nsystem_id=s\n";
    char t[512];
    snprintf(t, sizeof t, "%spassword = #Pa55\n[service]\nnumber=10086\n", head);
    ck_assert_int_lt(parse(t, &cfg, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "t.conf:5: [smsc] password: empty: ';' or '#' starts"));
    ck_assert_ptr_null(strstr(err, "Pa55"));
    snprintf(t, sizeof t, "%spassword = ;x\n[service]\nnumber=10086\n", head);
    ck_assert_int_lt(parse(t, &cfg, err, sizeof err), 0);
    snprintf(t, sizeof t, "%spassword = \"#Pa55\"  ; the SMSC's\n[service]\nnumber=10086\n", head);
    ck_assert_int_eq(parse(t, &cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.password, "#Pa55");
    snprintf(t, sizeof t, "%spassword = \"a\\\"b\\\\c \"\n[service]\nnumber=10086\n", head);
    ck_assert_int_eq(parse(t, &cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.password, "a\"b\\c ");
    snprintf(t, sizeof t, "%spassword =\n[service]\nnumber=10086\n", head);
    ck_assert_int_eq(parse(t, &cfg, err, sizeof err), 0); /* written empty: empty */
    ck_assert_str_eq(cfg.password, "");
    snprintf(t, sizeof t, "%spassword = \"Sm5Pw\n[service]\nnumber=10086\n", head);
    ck_assert_int_lt(parse(t, &cfg, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "t.conf:5: [smsc] password: no closing"));
    ck_assert_ptr_null(strstr(err, "Sm5"));
    snprintf(t, sizeof t, "%spassword = \"Sm5\" Pw\n", head);
    ck_assert_int_lt(parse(t, &cfg, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "t.conf:5: [smsc] password: text after the quoted value"));
    /* a line without '=' is not echoed: it may be a password without its key */
    ck_assert_int_lt(parse("[smsc]\npassword Sm5Pw!xq\n", &cfg, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "t.conf:2: expected \"key = value\""));
    ck_assert_ptr_null(strstr(err, "Sm5"));
}
END_TEST

START_TEST(test_conninfo_line)
{
    struct erm_config cfg;
    char err[256] = "";
    ck_assert_int_eq(parse(good, &cfg, err, sizeof err), 0);
    ck_assert_uint_eq(cfg.conninfo_line, 13);
    const char *t = "[smsc]\nhost=h\nport=1\nsystem_id=a\npassword=b\n[service]\nnumber=10086\n";
    ck_assert_int_eq(parse(t, &cfg, err, sizeof err), 0);
    ck_assert_uint_eq(cfg.conninfo_line, 0);
}
END_TEST

/* ermweb's reader: [web] listen required, [smsc]'s keys not; every section checked. */
static int parse_web(const char *text, struct erm_config *cfg, char *err, size_t errlen)
{
    config_defaults(cfg);
    return config_parse_for(CONFIG_ERMWEB, "t.conf", text, strlen(text), cfg, err, errlen);
}

START_TEST(test_web_keys)
{
    struct erm_config cfg;
    char err[256] = "";
    ck_assert_int_eq(parse_web("[web]\nlisten = 127.0.0.1:8080\n[database]\nconninfo = x\n", &cfg,
                               err, sizeof err),
                     0);
    ck_assert_str_eq(cfg.web_listen, "127.0.0.1:8080");
    ck_assert_uint_eq(cfg.web_threads, 4);
    ck_assert_uint_eq(cfg.web_session_hours, 12);
    ck_assert_uint_eq(cfg.web_code_per_address, 20);
    ck_assert_str_eq(cfg.web_code_source, "10086");
    ck_assert_str_eq(cfg.web_static_dir, "");
    ck_assert_uint_eq(cfg.web_secure_cookies, 0);
    ck_assert_int_eq(parse_web("[web]\nlisten = [::1]:80\nsecure_cookies = yes\ntrust_proxy = on\n"
                               "threads = 8\nsession_hours = 1\n"
                               "code_source = 1008612\ncode_per_address = 3\nstatic_dir = /s\n",
                               &cfg, err, sizeof err),
                     0);
    ck_assert_uint_eq(cfg.web_secure_cookies, 1);
    ck_assert_uint_eq(cfg.web_trust_proxy, 1);
    ck_assert_uint_eq(cfg.web_threads, 8);
    ck_assert_str_eq(cfg.web_code_source, "1008612");
    ck_assert_str_eq(cfg.web_static_dir, "/s");
    /* ermgw's whole file serves ermweb, and ermgw takes [web] (not needing it) */
    const char *both = "[smsc]\nhost=h\nport=1\nsystem_id=a\npassword=b\n[service]\nnumber=10086\n"
                       "[web]\nlisten = 127.0.0.1:8080\n";
    ck_assert_int_eq(parse_web(both, &cfg, err, sizeof err), 0);
    ck_assert_int_eq(parse(both, &cfg, err, sizeof err), 0);
    ck_assert_int_eq(parse("[smsc]\nhost=h\nport=1\nsystem_id=a\npassword=b\n[service]\n"
                           "number=10086\n",
                           &cfg, err, sizeof err),
                     0);
}
END_TEST

static const struct bad_case web_bad_cases[] = {
    {"[database]\nconninfo = x\n", "t.conf: [web] listen: missing (required)"},
    {"[web]\nlisten = nowhere\n",
     "t.conf:2: [web] listen: \"nowhere\" is not an address:port such as 127.0.0.1:9464"},
    {"[web]\nlisten =\n", "t.conf: [web] listen: missing (required)"},
    {"[web]\nlisten = 127.0.0.1:0\n", "t.conf:2: [web] listen:"},
    {"[web]\nlisten = 127.0.0.1:8080\nthreads = lots\n",
     "t.conf:3: [web] threads: \"lots\" is not a number from 1 to 64"},
    {"[web]\nlisten = 127.0.0.1:8080\nthreads = 0\n", "t.conf:3: [web] threads:"},
    {"[web]\nlisten = 127.0.0.1:8080\nsecure_cookies = maybe\n",
     "t.conf:3: [web] secure_cookies: \"maybe\" is not yes or no"},
    {"[web]\nlisten = 127.0.0.1:8080\nsecure = yes\n", "t.conf:3: [web] secure: unknown key"},
    {"[web]\nlisten = 127.0.0.1:8080\nsession_hours = 721\n", "t.conf:3: [web] session_hours:"},
    {"[web]\nlisten = 127.0.0.1:8080\ncode_source = 10o86\n",
     "t.conf: [web] code_source: \"10o86\" is not a service number"},
    {"[web]\nlisten = 127.0.0.1:8080\nlisten = 127.0.0.1:8081\n",
     "t.conf:3: [web] listen: given twice"},
    {"[smpp]\nhost = x\n[web]\nlisten = 127.0.0.1:8080\n", "t.conf:1: [smpp]: unknown section"},
};

START_TEST(test_web_bad)
{
    expect_bad(parse_web, &web_bad_cases[_i], _i);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_good);
    tcase_add_test(tc, test_cmpp);
    tcase_add_test(tc, test_conninfo_with_spaces_and_status_hex);
    tcase_add_test(tc, test_database_numbers);
    tcase_add_test(tc, test_gateway_keys);
    tcase_add_test(tc, test_intake_keys);
    tcase_add_loop_test(tc, test_bad, 0, sizeof bad_cases / sizeof bad_cases[0]);
    tcase_add_test(tc, test_crlf_and_comments);
    tcase_add_test(tc, test_secrets);
    tcase_add_test(tc, test_conninfo_line);
    tcase_add_test(tc, test_web_keys);
    tcase_add_loop_test(tc, test_web_bad, 0, sizeof web_bad_cases / sizeof web_bad_cases[0]);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
