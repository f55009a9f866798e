/*
 * check_conninfo.c: unit tests of core/conninfo.c: a password never survives conninfo_mask,
 * in either of libpq's forms, in libpq's messages that quote pieces of a conninfo, and
 * whatever the buffer's size; what is not a password stays as it is.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/conninfo.h"

struct mask_case {
    const char *conninfo; /* NULL: TEXT masks itself */
    const char *text;
    const char *out;
};

static const struct mask_case mask_cases[] = {
    {NULL, "host=db password=Sm5Pw!xq dbname=erm", "host=db password=*** dbname=erm"},
    {NULL, "host=db password = 'a b\\' c' user=x", "host=db password = *** user=x"},
    {NULL, "PASSWORD=secret", "PASSWORD=***"},
    {NULL, "host=db password='unterminated", "host=db password=***"},
    {NULL, "postgresql://erm:S3cr3t@db:5432/erm", "postgresql://erm:***@db:5432/erm"},
    {NULL, "postgres://erm:p@ss@db/erm?sslmode=require",
     "postgres://erm:***@db/erm?sslmode=require"},
    {NULL, "postgresql://erm@db/erm?password=S3cr3t&sslmode=bogus",
     "postgresql://erm@db/erm?password=***&sslmode=bogus"},
    {NULL, "postgresql://db/erm", "postgresql://db/erm"},
    {NULL, "host=db passwordless=1 my_password=x", "host=db passwordless=1 my_password=x"},
    {NULL, "dbname=erm user=password", "dbname=erm user=password"},
    /* libpq's messages about a conninfo it cannot parse */
    {"postgresql://u:SECRET%zzPW@localhost/db", "invalid percent-encoded token: \"SECRET%zzPW\"",
     "invalid percent-encoded token: \"***\""},
    {"postgresql://u:SECRETPW@[::1/db",
     "end of string reached when looking for matching \"]\" in IPv6 host address in URI: "
     "\"postgresql://u:SECRETPW@[::1/db\"",
     "end of string reached when looking for matching \"]\" in IPv6 host address in URI: "
     "\"postgresql://u:***@[::1/db\""},
    {"host=x password=SECRETPW port=y", "missing \"=\" after \"SECRETPW\" in connection info",
     "missing \"=\" after \"***\" in connection info"},
    /* a short password is hidden in its place only, not everywhere */
    {"host=x password=ab", "host=x password=ab is bad", "host=x password=*** is bad"},
    {"host=x password=ab", "table abc", "table abc"},
    {NULL, "", ""},
};

START_TEST(test_mask)
{
    const struct mask_case *c = &mask_cases[_i];
    char out[512];
    const char *ci = c->conninfo != NULL ? c->conninfo : c->text;
    size_t n = conninfo_mask(ci, c->text, out, sizeof out);
    ck_assert_str_eq(out, c->out);
    ck_assert_uint_eq(n, strlen(c->out));
}
END_TEST

START_TEST(test_short_buffers_never_show_a_password)
{
    const char *ci = "host=db password=Sm5Pw!xq user=x";
    char out[64];
    for (size_t cap = 0; cap < sizeof out; cap++) {
        memset(out, 'Z', sizeof out);
        size_t n = conninfo_mask(ci, ci, out, cap);
        if (cap == 0) {
            ck_assert_uint_eq(n, 0);
            continue;
        }
        ck_assert_uint_lt(n, cap);
        ck_assert_uint_eq(strlen(out), n);
        ck_assert_ptr_null(strstr(out, "Sm5"));
        ck_assert_msg(strncmp(out, "host=db password=*** user=x", n) == 0, "cap %zu: %s", cap, out);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conninfo");
    TCase *tc = tcase_create("mask");
    tcase_add_loop_test(tc, test_mask, 0, sizeof mask_cases / sizeof mask_cases[0]);
    tcase_add_test(tc, test_short_buffers_never_show_a_password);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
