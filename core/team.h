/*
 * team.h: a virtual team (虚拟团队) and a new member of one, and the checks that need no
 * database (storage/people.h stores them, checking again, and knows whether the leader,
 * the team or the employee exist). A member is an employee, or somebody who is not one,
 * known by number and name. Pure functions, no I/O.
 *
 * Errors: 0 or -EINVAL with one line in the caller's ERR (ERRLEN bytes) naming ermctl's
 * option, e.g. --leader: "E 1" is not an employee id
 */
#ifndef ERM_TEAM_H
#define ERM_TEAM_H

#include <stddef.h>

/* A new member of a team: an employee (EMPLOYEE), or somebody who is not one (MSISDN and
 * NAME). Strings are the caller's. */
struct team_member_spec {
    const char *team;
    const char *employee;
    const char *msisdn;
    const char *name;
};

/* Checks a new team NAME (1..FIELD_NAME_MAX characters, one line) and its LEADER's
 * employee id. */
int team_check(const char *name, const char *leader, char *err, size_t errlen);

/* Checks SPEC: the team's name, and exactly one kind of member, complete. MSISDN
 * (MSISDN_LEN + 1 bytes) gets the normalised number of a member who is not an employee
 * (it is left alone for an employee). */
int team_member_check(const struct team_member_spec *spec, char *msisdn, char *err, size_t errlen);

#endif
