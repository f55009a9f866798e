/*
 * people.c: employees and teams of people.h on ermctl's blocking connection (admin.c).
 * The fields are core's to check (core/employee.h, core/team.h), again here before writing;
 * what only the database knows (an id or number taken, a leader who left) is asked in the
 * same transaction as the write.
 */
#include "storage/people.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/field.h"
#include "storage/db_internal.h"

int stor_employee_add(struct stor_admin *adm, const struct employee_spec *e, char *msisdn,
                      char *err, size_t errlen)
{
    char num[MSISDN_LEN + 1];
    PGresult *res = NULL, *who = NULL;
    int rc = employee_check(e, num, err, errlen);
    if (rc < 0)
        return rc;
    const char *v[] = {e->id, e->name, num, e->dept != NULL ? e->dept : ""};
    rc = stor_admin_exec(adm, &res, "insert employee",
                         "INSERT INTO employees (id, name, msisdn, dept) VALUES ($1, $2, $3, $4)",
                         4, v, err, errlen);
    if (rc < 0) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char *constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
        if (state == NULL || strcmp(state, "23505") != 0 || constraint == NULL)
            goto fail;
        if (strcmp(constraint, "employees_pkey") == 0) {
            rc = field_error(err, errlen, -EEXIST, "--id: employee %s already exists", e->id);
            goto fail;
        }
        if (strcmp(constraint, "employees_msisdn_key") == 0) {
            const char *w[] = {num};
            rc = stor_admin_exec(adm, &who, "employee by number",
                                 "SELECT id FROM employees WHERE msisdn = $1", 1, w, err, errlen);
            if (rc < 0)
                goto fail;
            rc = field_error(err, errlen, -EEXIST,
                             "--msisdn: %s is already registered to employee %s", num,
                             PQntuples(who) > 0 ? PQgetvalue(who, 0, 0) : "(gone)");
        }
        goto fail;
    }
    if (msisdn != NULL)
        memcpy(msisdn, num, sizeof num);
    PQclear(res);
    return 0;

fail:
    PQclear(who);
    PQclear(res);
    return rc;
}

/* ---- employee import -------------------------------------------------------------------- */

/* Loads the N ROWS whose normalised number NUM is not "" (the good ones) into the temporary
 * table erm_import of the open transaction. */
static int people_import_load(struct stor_admin *adm, const struct employee_row *rows, size_t n,
                              char (*num)[MSISDN_LEN + 1], char *err, size_t errlen)
{
    int rc = stor_admin_exec(adm, NULL, "import table",
                             "CREATE TEMP TABLE erm_import (line integer, id text, name text,"
                             " msisdn text, dept text) ON COMMIT DROP",
                             0, NULL, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct employee_spec *e = &rows[i].spec;
        char line[12];
        if (num[i][0] == '\0')
            continue;
        snprintf(line, sizeof line, "%u", rows[i].line);
        const char *v[] = {line, e->id, e->name, num[i], e->dept != NULL ? e->dept : ""};
        rc = stor_admin_exec(adm, NULL, "import row",
                             "INSERT INTO erm_import VALUES ($1, $2, $3, $4, $5)", 5, v, err,
                             errlen);
    }
    return rc;
}

/* Reports the rows whose number belongs to an employee who is not in the file (a number
 * moving between employees of the file is fine). Returns how many, or a negative errno. */
static int people_import_conflicts(struct stor_admin *adm, employee_bad_cb bad, void *arg,
                                   char *err, size_t errlen)
{
    PGresult *res = NULL;
    int rc = stor_admin_exec(adm, &res, "import numbers",
                             "SELECT i.line, i.msisdn, e.id FROM erm_import i"
                             " JOIN employees e ON e.msisdn = i.msisdn AND e.id <> i.id"
                             " WHERE NOT EXISTS (SELECT 1 FROM erm_import j WHERE j.id = e.id)"
                             " ORDER BY i.line",
                             0, NULL, err, errlen);
    if (rc == 0) {
        for (int i = 0; i < PQntuples(res); i++) {
            char why[160];
            snprintf(why, sizeof why,
                     "msisdn: %s is registered to employee %s, who is not in this file",
                     PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
            bad(arg, (unsigned)strtoul(PQgetvalue(res, i, 0), NULL, 10), why);
        }
        rc = PQntuples(res);
    }
    PQclear(res);
    return rc;
}

/* For a department's manager: reports the rows of another department DEPT, and the rows
 * of an employee who is in another department now (moving them is not this manager's to
 * do). Returns how many, or a negative errno. */
static int people_import_scope(struct stor_admin *adm, const char *dept, employee_bad_cb bad,
                               void *arg, char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {dept};
    int rc = stor_admin_exec(adm, &res, "import scope",
                             "SELECT i.line, i.dept, i.dept <> $1 FROM erm_import i"
                             " LEFT JOIN employees e ON e.id = i.id"
                             " WHERE i.dept <> $1 OR e.dept <> $1 ORDER BY i.line",
                             1, v, err, errlen);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        char why[400]; /* the other department of an employee is not named: not theirs */
        if (strcmp(PQgetvalue(res, i, 2), "t") == 0)
            snprintf(why, sizeof why, "dept: \"%s\" is not your department (%s)",
                     PQgetvalue(res, i, 1), dept);
        else
            snprintf(why, sizeof why, "id: an employee of another department, not of %s", dept);
        bad(arg, (unsigned)strtoul(PQgetvalue(res, i, 0), NULL, 10), why);
    }
    if (rc == 0)
        rc = PQntuples(res);
    PQclear(res);
    return rc;
}

/* Writes the loaded rows: new ids added, changed rows updated, the rest left alone. */
static int people_import_write(struct stor_admin *adm, size_t n, struct stor_import_counts *counts,
                               char *err, size_t errlen)
{
    PGresult *res = NULL;
    int rc = stor_admin_exec(adm, NULL, "defer numbers",
                             "SET CONSTRAINTS employees_msisdn_key DEFERRED", 0, NULL, err, errlen);
    if (rc == 0)
        rc = stor_admin_exec(
            adm, &res, "import",
            "INSERT INTO employees (id, name, msisdn, dept)"
            " SELECT id, name, msisdn, dept FROM erm_import ORDER BY line"
            " ON CONFLICT (id) DO UPDATE"
            " SET name = excluded.name, msisdn = excluded.msisdn, dept = excluded.dept"
            " WHERE (employees.name, employees.msisdn, employees.dept)"
            "       IS DISTINCT FROM (excluded.name, excluded.msisdn, excluded.dept)"
            " RETURNING xmax = 0",
            0, NULL, err, errlen);
    if (rc == 0) {
        for (int i = 0; i < PQntuples(res); i++) {
            if (strcmp(PQgetvalue(res, i, 0), "t") == 0)
                counts->added++;
            else
                counts->updated++;
        }
        counts->unchanged = (unsigned)n - counts->added - counts->updated;
    }
    PQclear(res);
    return rc;
}

int stor_employee_import(struct stor_admin *adm, const char *dept, const struct employee_row *rows,
                         size_t n, int dry_run, employee_bad_cb bad, void *arg,
                         struct stor_import_counts *counts, char *err, size_t errlen)
{
    char(*num)[MSISDN_LEN + 1] = calloc(n > 0 ? n : 1, MSISDN_LEN + 1);
    int rc, nbad;

    memset(counts, 0, sizeof *counts);
    if (num == NULL)
        return field_error(err, errlen, -ENOMEM, "import: out of memory");
    nbad = employee_rows_check_numbers(rows, n, num, bad, arg);
    if (nbad < 0) {
        rc = field_error(err, errlen, nbad, "import: out of memory");
        goto fail;
    }
    if ((rc = stor_admin_begin(adm, err, errlen)) < 0 ||
        (rc = people_import_load(adm, rows, n, num, err, errlen)) < 0)
        goto fail;
    if ((rc = people_import_conflicts(adm, bad, arg, err, errlen)) < 0)
        goto fail;
    nbad += rc;
    if (dept != NULL && dept[0] != '\0') {
        if ((rc = people_import_scope(adm, dept, bad, arg, err, errlen)) < 0)
            goto fail;
        nbad += rc;
    }
    if (nbad > 0) {
        rc = field_error(err, errlen, -EINVAL, "%d bad line%s; nothing imported", nbad,
                         nbad == 1 ? "" : "s");
        goto fail;
    }
    if ((rc = people_import_write(adm, n, counts, err, errlen)) < 0)
        goto fail;
    if (dry_run)
        stor_admin_rollback(adm);
    else
        rc = stor_admin_commit(adm, err, errlen);

fail:
    if (rc < 0) {
        stor_admin_rollback(adm);
        memset(counts, 0, sizeof *counts);
    }
    free(num);
    return rc;
}

int stor_employee_deactivate(struct stor_admin *adm, const char *id, int *was_inactive,
                             long long *codes, char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {id};
    int rc;

    if (was_inactive != NULL)
        *was_inactive = 0;
    if (!employee_is_id(id))
        return field_error(err, errlen, -EINVAL, "employee \"%s\": not an employee id", id);
    if ((rc = stor_admin_begin(adm, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, &res, "employee",
                         "SELECT active, (SELECT count(*) FROM claims c WHERE c.employee_id = $1)"
                         " FROM employees WHERE id = $1 FOR UPDATE",
                         1, v, err, errlen);
    if (rc < 0)
        goto fail;
    if (PQntuples(res) == 0) {
        rc = field_error(err, errlen, -ENOENT, "employee %s: no such employee", id);
        goto fail;
    }
    if (codes != NULL)
        *codes = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        if (was_inactive != NULL)
            *was_inactive = 1;
    } else {
        rc =
            stor_admin_exec(adm, NULL, "deactivate",
                            "UPDATE employees SET active = false WHERE id = $1", 1, v, err, errlen);
        if (rc < 0)
            goto fail;
    }
    rc = stor_admin_commit(adm, err, errlen);

fail:
    return stor_admin_end(adm, res, rc);
}

/* ---- teams ------------------------------------------------------------------------------ */

/* Looks up employee ID (option FIELD names it) within the open transaction: -ENOENT when
 * unknown, -EPERM when deactivated. *RES (may be NULL) keeps the row (active, msisdn,
 * name) for the caller to PQclear(). */
static int people_active_employee(struct stor_admin *adm, const char *field, const char *id,
                                  PGresult **res, char *err, size_t errlen)
{
    PGresult *r = NULL;
    const char *v[] = {id};
    int rc = stor_admin_exec(adm, &r, "employee",
                             "SELECT active, msisdn, name FROM employees WHERE id = $1", 1, v, err,
                             errlen);
    if (rc == 0 && PQntuples(r) == 0)
        rc = field_error(err, errlen, -ENOENT, "%s: no employee %s", field, id);
    else if (rc == 0 && strcmp(PQgetvalue(r, 0, 0), "t") != 0)
        rc = field_error(err, errlen, -EPERM, "%s: employee %s is not active", field, id);
    if (res != NULL && rc == 0)
        *res = r;
    else
        PQclear(r);
    return rc;
}

int stor_team_create(struct stor_admin *adm, const char *name, const char *leader,
                     const char *split, char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {name, leader, split != NULL ? split : "equal"};
    int rc = team_check(name, leader, err, errlen);
    if (rc < 0)
        return rc;
    if ((rc = stor_admin_begin(adm, err, errlen)) < 0 ||
        (rc = people_active_employee(adm, "--leader", leader, NULL, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, &res, "team",
                         "INSERT INTO teams (name, leader_id, split) VALUES ($1, $2, $3)"
                         " ON CONFLICT (name) DO NOTHING RETURNING id",
                         3, v, err, errlen);
    if (rc < 0)
        goto fail;
    if (PQntuples(res) == 0) {
        rc = field_error(err, errlen, -EEXIST, "team %s already exists", name);
        goto fail;
    }
    const char *mv[] = {PQgetvalue(res, 0, 0), leader};
    rc = stor_admin_exec(adm, NULL, "leader",
                         "INSERT INTO team_members (team_id, employee_id) VALUES ($1, $2)", 2, mv,
                         err, errlen);
    if (rc == 0)
        rc = stor_admin_commit(adm, err, errlen);

fail:
    return stor_admin_end(adm, res, rc);
}

/* Adds employee M->employee to team TEAM_ID; NUM gets their number. */
static int people_member_employee(struct stor_admin *adm, const char *team_id,
                                  const struct team_member_spec *m, int *already, char *num,
                                  char *err, size_t errlen)
{
    PGresult *emp = NULL, *ins = NULL;
    const char *v[] = {team_id, m->employee};
    int rc = people_active_employee(adm, "--employee", m->employee, &emp, err, errlen);
    if (rc < 0)
        return rc;
    snprintf(num, MSISDN_LEN + 1, "%s", PQgetvalue(emp, 0, 1));
    rc = stor_admin_exec(adm, &ins, "member",
                         "INSERT INTO team_members (team_id, employee_id) VALUES ($1, $2)"
                         " ON CONFLICT DO NOTHING RETURNING 1",
                         2, v, err, errlen);
    if (rc == 0)
        *already = PQntuples(ins) == 0;
    PQclear(emp);
    PQclear(ins);
    return rc;
}

/* Adds somebody who is not an employee, NUM, to team TEAM_ID. */
static int people_member_other(struct stor_admin *adm, const char *team_id,
                               const struct team_member_spec *m, int *already, const char *num,
                               char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *ev[] = {num};
    const char *mv[] = {team_id, num, m->name};
    int rc = stor_admin_exec(adm, &res, "number", "SELECT id FROM employees WHERE msisdn = $1", 1,
                             ev, err, errlen);
    if (rc == 0 && PQntuples(res) > 0)
        rc = field_error(err, errlen, -EEXIST,
                         "--msisdn: %s is employee %s's number; add them with --employee %s", num,
                         PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 0));
    PQclear(res);
    res = NULL;
    if (rc == 0)
        rc = stor_admin_exec(adm, &res, "member",
                             "SELECT name FROM team_members WHERE team_id = $1 AND msisdn = $2", 2,
                             mv, err, errlen);
    if (rc == 0 && PQntuples(res) > 0) {
        if (strcmp(PQgetvalue(res, 0, 0), m->name) == 0)
            *already = 1;
        else
            rc = field_error(err, errlen, -EEXIST, "--msisdn: %s is already in team %s as %s", num,
                             m->team, PQgetvalue(res, 0, 0));
    } else if (rc == 0) {
        rc = stor_admin_exec(adm, NULL, "member",
                             "INSERT INTO team_members (team_id, msisdn, name) VALUES ($1, $2, $3)",
                             3, mv, err, errlen);
    }
    PQclear(res);
    return rc;
}

int stor_team_add(struct stor_admin *adm, const struct team_member_spec *m, int *already,
                  char *msisdn, char *err, size_t errlen)
{
    PGresult *team = NULL;
    char num[MSISDN_LEN + 1] = "";
    const char *v[] = {m->team};
    int dummy, rc = team_member_check(m, num, err, errlen);

    if (already == NULL)
        already = &dummy;
    *already = 0;
    if (rc < 0)
        return rc;
    if ((rc = stor_admin_begin(adm, err, errlen)) < 0)
        goto fail;
    /* The team's row lock serialises adds to one team. */
    rc = stor_admin_exec(adm, &team, "team", "SELECT id FROM teams WHERE name = $1 FOR UPDATE", 1,
                         v, err, errlen);
    if (rc == 0 && PQntuples(team) == 0)
        rc = field_error(err, errlen, -ENOENT, "team %s: no such team", m->team);
    if (rc < 0)
        goto fail;
    if (m->employee != NULL)
        rc = people_member_employee(adm, PQgetvalue(team, 0, 0), m, already, num, err, errlen);
    else
        rc = people_member_other(adm, PQgetvalue(team, 0, 0), m, already, num, err, errlen);
    if (rc == 0)
        rc = stor_admin_commit(adm, err, errlen);
    if (rc == 0 && msisdn != NULL)
        memcpy(msisdn, num, sizeof num);

fail:
    return stor_admin_end(adm, team, rc);
}
