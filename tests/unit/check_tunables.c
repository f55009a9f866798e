/*
 * check_tunables.c: unit tests of core/tunables.c, the table of timers and tunables: every
 * entry is filled in (name, unit, what it bounds), names are unique, defaults are sane, and
 * lookups by id and by name agree.
 */
#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/tunables.h"

START_TEST(test_every_entry_filled)
{
    for (int i = 0; i < TUN_COUNT; i++) {
        const struct tunable *t = tun_entry((enum tun_id)i);
        ck_assert_msg(t->name != NULL && t->name[0] != '\0', "entry %d has no name", i);
        ck_assert_msg(t->unit != NULL && t->unit[0] != '\0', "%s has no unit", t->name);
        ck_assert_msg(t->bounds != NULL && strlen(t->bounds) >= 10, "%s: no description", t->name);
        ck_assert_msg(t->value > 0, "%s: a zero default", t->name);
        for (const char *p = t->name; *p != '\0'; p++)
            ck_assert_msg(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_',
                          "%s: not lower_case", t->name);
    }
}
END_TEST

START_TEST(test_names_unique_and_found)
{
    for (int i = 0; i < TUN_COUNT; i++) {
        const struct tunable *t = tun_entry((enum tun_id)i);
        ck_assert_ptr_eq(tun_find(t->name), t);
        ck_assert_uint_eq(tun_value((enum tun_id)i), t->value);
    }
    ck_assert_ptr_null(tun_find("no_such_tunable"));
    ck_assert_ptr_null(tun_find(""));
}
END_TEST

START_TEST(test_defaults_sane)
{
    /* the stop bound is what the systemd unit's TimeoutStopSec leaves room for */
    ck_assert_uint_eq(tun_value(TUN_STOP_TIMEOUT), 10000);
    ck_assert_uint_ge(tun_value(TUN_SMPP_RECONNECT_MIN), 100); /* the session's floor */
    ck_assert_uint_le(tun_value(TUN_DB_BACKOFF_MIN), tun_value(TUN_DB_BACKOFF_MAX));
    ck_assert_uint_le(tun_value(TUN_SENDER_POLL), 10000);
    ck_assert_uint_le(tun_value(TUN_PARTS_DUE_MIN), tun_value(TUN_HOUSEKEEP));
    /* the write queue: resume below pause below drop */
    ck_assert_uint_lt(tun_value(TUN_SMPP_WQ_RESUME), tun_value(TUN_SMPP_WQ_PAUSE));
    ck_assert_uint_lt(tun_value(TUN_SMPP_WQ_PAUSE), tun_value(TUN_SMPP_WQ_MAX));
    for (int i = 0; i < TUN_COUNT; i++) {
        const struct tunable *t = tun_entry((enum tun_id)i);
        if (strcmp(t->unit, "ms") == 0)
            ck_assert_msg(t->value >= 100 && t->value <= 3600000, "%s: %llu ms", t->name,
                          (unsigned long long)t->value);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tunables");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_every_entry_filled);
    tcase_add_test(tc, test_names_unique_and_found);
    tcase_add_test(tc, test_defaults_sane);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
