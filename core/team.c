/*
 * team.c: the checks of team.h. A team's name is checked under the words "team name":
 * ermctl takes it as a positional argument, not an option.
 */
#include "core/team.h"

#include <errno.h>

#include "core/employee.h"
#include "core/field.h"
#include "core/msisdn.h"

static int team_check_name(const char *name, char *err, size_t errlen)
{
    return field_check_text("team name", name, 1, FIELD_NAME_MAX, 0, err, errlen);
}

int team_check(const char *name, const char *leader, char *err, size_t errlen)
{
    int rc = team_check_name(name, err, errlen);
    if (rc < 0)
        return rc;
    if (!employee_is_id(leader))
        return field_error(err, errlen, -EINVAL, "--leader: \"%s\" is not an employee id",
                           leader != NULL ? leader : "");
    return 0;
}

int team_member_check(const struct team_member_spec *m, char *num, char *err, size_t errlen)
{
    int rc = team_check_name(m->team, err, errlen);
    if (rc < 0)
        return rc;
    if ((m->employee != NULL) == (m->msisdn != NULL))
        return field_error(err, errlen, -EINVAL,
                           "team add: give --employee ID, or --msisdn NUMBER with --name NAME");
    if (m->employee != NULL) {
        if (m->name != NULL)
            return field_error(err, errlen, -EINVAL,
                               "--name: only with --msisdn (an employee's name is on file)");
        if (!employee_is_id(m->employee))
            return field_error(err, errlen, -EINVAL, "--employee: \"%s\" is not an employee id",
                               m->employee);
        return 0;
    }
    if (msisdn_normalize(m->msisdn, num, MSISDN_LEN + 1) < 0)
        return field_error(err, errlen, -EINVAL,
                           "--msisdn: \"%s\" is not an 11-digit mobile number", m->msisdn);
    if (m->name == NULL)
        return field_error(err, errlen, -EINVAL, "--name: missing (who is %s?)", num);
    return field_check_text("--name", m->name, 1, FIELD_NAME_MAX, 0, err, errlen);
}
