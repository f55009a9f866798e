/*
 * check_team.c: unit tests of core/team.c: a new team's name and leader, and a new
 * member, an employee or somebody known by number and name, with the exact lines ermctl
 * prints.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/field.h"
#include "core/msisdn.h"
#include "core/team.h"

#include "repeat.h"

static char err[512];

/* Checks M and expects -EINVAL with the line WANT. */
static void member_refused(struct team_member_spec m, const char *want)
{
    char num[MSISDN_LEN + 1] = "";
    err[0] = '\0';
    ck_assert_int_eq(team_member_check(&m, num, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, want);
}

START_TEST(test_team)
{
    ck_assert_int_eq(team_check("华东突击队", "E001", err, sizeof err), 0);
    ck_assert_int_eq(team_check(repeat("队", FIELD_NAME_MAX), "E001", err, sizeof err), 0);
    ck_assert_int_eq(team_check(repeat("队", FIELD_NAME_MAX + 1), "E001", err, sizeof err),
                     -EINVAL);
    ck_assert_str_eq(err, "team name: 41 characters, at most 40");
    ck_assert_int_eq(team_check("", "E001", err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "team name: must not be empty");
    ck_assert_int_eq(team_check("突击\n队", "E001", err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "team name: not valid UTF-8 text on one line");
    ck_assert_int_eq(team_check("突击队", "E 1", err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "--leader: \"E 1\" is not an employee id");
    ck_assert_int_eq(team_check("突击队", NULL, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "--leader: \"\" is not an employee id");
}
END_TEST

START_TEST(test_member_employee)
{
    char num[MSISDN_LEN + 1] = "";
    struct team_member_spec m = {"突击队", "E002", NULL, NULL};
    ck_assert_int_eq(team_member_check(&m, num, err, sizeof err), 0);
    ck_assert_str_eq(num, ""); /* the employee's number is on file */
    m.name = "李四";
    member_refused(m, "--name: only with --msisdn (an employee's name is on file)");
    m.name = NULL;
    m.employee = "E 2";
    member_refused(m, "--employee: \"E 2\" is not an employee id");
    m.team = "";
    member_refused(m, "team name: must not be empty");
}
END_TEST

START_TEST(test_member_other)
{
    char num[MSISDN_LEN + 1] = "";
    struct team_member_spec m = {"突击队", NULL, "+86 139-0000-0009", "王家属"};
    ck_assert_int_eq(team_member_check(&m, num, err, sizeof err), 0);
    ck_assert_str_eq(num, "13900000009");
    m.msisdn = "1380000";
    member_refused(m, "--msisdn: \"1380000\" is not an 11-digit mobile number");
    m.msisdn = "13900000009";
    m.name = NULL;
    member_refused(m, "--name: missing (who is 13900000009?)");
    m.name = "";
    member_refused(m, "--name: must not be empty");
    m.name = repeat("王", FIELD_NAME_MAX + 1);
    member_refused(m, "--name: 41 characters, at most 40");
}
END_TEST

START_TEST(test_member_which)
{
    struct team_member_spec m = {"突击队", NULL, NULL, NULL};
    member_refused(m, "team add: give --employee ID, or --msisdn NUMBER with --name NAME");
    m.employee = "E002";
    m.msisdn = "13900000009";
    member_refused(m, "team add: give --employee ID, or --msisdn NUMBER with --name NAME");
}
END_TEST

static Suite *team_suite(void)
{
    Suite *s = suite_create("team");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_team);
    tcase_add_test(tc, test_member_employee);
    tcase_add_test(tc, test_member_other);
    tcase_add_test(tc, test_member_which);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(team_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
