/*
 * cmd_people.c: employees and virtual teams: `ermctl employee add|import|deactivate` and
 * `ermctl team create|add`, with the CSV reading of the import.
 *
 * `employee import` is the one exception to the one error line: it lists every bad line of
 * the file, one "ermctl: FILE:LINE: reason" line each, then its verdict.
 */
#include "ctl/ctl_commands.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commission.h"
#include "core/csvline.h"
#include "core/employee.h"
#include "ctl/cli.h"
#include "storage/people.h"

/* ---- employee add ----------------------------------------------------------------------- */

struct cmd_people_employee_args {
    struct employee_spec spec;
    char msisdn[MSISDN_LEN + 1]; /* the number normalised by the check */
};

static int cmd_people_employee_check(struct ctl_call *call)
{
    struct cmd_people_employee_args *a = call->args;
    char err[1024];
    int rc = employee_check(&a->spec, a->msisdn, err, sizeof err);
    return rc < 0 ? cli_fail_rc(rc, err) : CLI_CONTINUE;
}

static int cmd_people_employee_add_run(struct ctl_call *call)
{
    struct cmd_people_employee_args *a = call->args;
    char err[1024];
    int rc = stor_employee_add(call->adm, &a->spec, a->msisdn, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    printf("employee %s added: %s, %s\n", a->spec.id, a->spec.name, a->msisdn);
    return 0;
}

#define EMPLOYEE_FIELD(member) offsetof(struct cmd_people_employee_args, spec.member)

static const struct ctl_option cmd_people_employee_add_opts[] = {
    {"id", "ID", 1, "employee id, e.g. E001", EMPLOYEE_FIELD(id)},
    {"name", "NAME", 1, "full name", EMPLOYEE_FIELD(name)},
    {"msisdn", "NUMBER", 1, "registered mobile number (+86 and spaces allowed)",
     EMPLOYEE_FIELD(msisdn)},
    {"dept", "DEPT", 0, "department", EMPLOYEE_FIELD(dept)},
};
#undef EMPLOYEE_FIELD

const struct ctl_command cmd_people_employee_add = {
    .group = "employee",
    .name = "add",
    .usage = "--id ID --name NAME --msisdn NUMBER [--dept DEPT]",
    .summary = "register an employee and their number",
    .about = "Registers an employee; they are recognised by their mobile number.",
    CLI_OPTIONS(cmd_people_employee_add_opts),
    .args_size = sizeof(struct cmd_people_employee_args),
    .needs_db = 1,
    .check = cmd_people_employee_check,
    .run = cmd_people_employee_add_run,
};

/* ---- employee import -------------------------------------------------------------------- */

#define IMPORT_MAX_BYTES (64L * 1024 * 1024)
#define IMPORT_MAX_ROWS  200000

/* The bad lines of an import file, reported sorted by line at the end. */
struct import_bad {
    unsigned line, seq;
    char *why;
};

struct import_report {
    struct import_bad *v;
    size_t n, cap;
    int oom;
};

static void cmd_people_import_bad(void *arg, unsigned line, const char *why)
{
    struct import_report *r = arg;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        struct import_bad *v = realloc(r->v, cap * sizeof *v);
        if (v == NULL) {
            r->oom = 1;
            return;
        }
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n].line = line;
    r->v[r->n].seq = (unsigned)r->n;
    r->v[r->n].why = strdup(why);
    if (r->v[r->n].why == NULL) {
        r->oom = 1;
        return;
    }
    r->n++;
}

/* Forgets the reports after the first KEEP. */
static void cmd_people_import_truncate(struct import_report *r, size_t keep)
{
    while (r->n > keep)
        free(r->v[--r->n].why);
}

static int cmd_people_import_bad_cmp(const void *a, const void *b)
{
    const struct import_bad *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Prints every bad line of FILE, sorted, and the verdict; returns the exit status. */
static int cmd_people_import_print_bad(struct import_report *r, const char *file)
{
    qsort(r->v, r->n, sizeof *r->v, cmd_people_import_bad_cmp);
    for (size_t i = 0; i < r->n; i++)
        cli_fail(EXIT_INPUT, "%s:%u: %s", file, r->v[i].line, r->v[i].why);
    return cli_fail(EXIT_INPUT, "%s: %zu bad line%s; nothing imported", file, r->n,
                    r->n == 1 ? "" : "s");
}

/* Reads FILE whole into *BUF (NUL-terminated, the caller frees). Exit status or
 * CLI_CONTINUE. */
static int cmd_people_import_read(const char *file, char **buf)
{
    FILE *f = fopen(file, "rb");
    if (f == NULL)
        return cli_fail(EXIT_INPUT, "%s: %s", file, strerror(errno));
    char *b = malloc(IMPORT_MAX_BYTES + 1);
    size_t n = b != NULL ? fread(b, 1, IMPORT_MAX_BYTES + 1, f) : 0;
    int bad = b == NULL ? ENOMEM : ferror(f) ? EIO : 0;
    fclose(f);
    if (bad != 0 || n > IMPORT_MAX_BYTES) {
        free(b);
        return bad != 0 ? cli_fail(EXIT_RUNTIME, "%s: %s", file, strerror(bad))
                        : cli_fail(EXIT_INPUT, "%s: larger than %ld MB", file,
                                   IMPORT_MAX_BYTES / 1024 / 1024);
    }
    b[n] = '\0';
    if (memchr(b, '\0', n) != NULL) {
        free(b);
        return cli_fail(EXIT_INPUT, "%s: not a text file (NUL bytes)", file);
    }
    *buf = b;
    return CLI_CONTINUE;
}

/* Parses the CSV text BUF into *ROWS (*N of them; pointers into BUF), reporting lines that
 * are not rows to REP. Returns an exit status, or CLI_CONTINUE. */
static int cmd_people_import_parse(const char *file, char *buf, struct employee_row **rows,
                                   size_t *n, struct import_report *rep)
{
    struct employee_row *v = NULL;
    size_t cap = 0;
    int header = 0;
    char *p = strncmp(buf, "\xEF\xBB\xBF", 3) == 0 ? buf + 3 : buf; /* a BOM, as Excel writes */
    *n = 0;
    for (unsigned line = 1; *p != '\0'; line++) {
        char *end = strchr(p, '\n'), *next = end != NULL ? end + 1 : p + strlen(p);
        if (end == NULL)
            end = next;
        if (end > p && end[-1] == '\r')
            end--;
        *end = '\0';
        char *fields[EMPLOYEE_COLUMNS];
        const char *why = NULL;
        int nf =
            strspn(p, " \t") == strlen(p) ? 0 : csvline_split(p, fields, EMPLOYEE_COLUMNS, &why);
        p = next;
        if (nf == 0)
            continue; /* blank line */
        if (!header) {
            header = 1;
            if (nf < 0 || !csvline_header_ok(fields, nf, employee_columns, EMPLOYEE_COLUMNS)) {
                free(v);
                return cli_fail(EXIT_INPUT,
                                "%s:%u: the first line must be the header "
                                "id,name,msisdn,dept",
                                file, line);
            }
            continue;
        }
        if (nf < 0 || nf != EMPLOYEE_COLUMNS) {
            char msg[96];
            if (nf >= 0)
                snprintf(msg, sizeof msg, "%d field%s, expected %d (id,name,msisdn,dept)", nf,
                         nf == 1 ? "" : "s", EMPLOYEE_COLUMNS);
            cmd_people_import_bad(rep, line, nf < 0 ? why : msg);
            continue;
        }
        if (*n == IMPORT_MAX_ROWS) {
            free(v);
            return cli_fail(EXIT_INPUT, "%s: more than %d employees in one file", file,
                            IMPORT_MAX_ROWS);
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct employee_row *nv = realloc(v, cap * sizeof *nv);
            if (nv == NULL) {
                free(v);
                return cli_fail(EXIT_RUNTIME, "%s: out of memory", file);
            }
            v = nv;
        }
        v[(*n)++] = (struct employee_row){line, {fields[0], fields[1], fields[2], fields[3]}};
    }
    if (!header)
        return cli_fail(EXIT_INPUT,
                        "%s: empty; the first line must be the header id,name,msisdn,dept", file);
    if (*n == 0 && rep->n == 0)
        return cli_fail(EXIT_INPUT, "%s: no employees after the header", file);
    *rows = v;
    return CLI_CONTINUE;
}

/* Checks and imports ROWS; lines that were not rows are already in REP. Exit status. The
 * connection is opened here, after the checks of the file alone: when it fails, the bad
 * lines those found are reported (bad input) rather than the connection. */
static int cmd_people_import_run_rows(const char *file, const struct employee_row *rows, size_t n,
                                      int dry_run, struct import_report *rep)
{
    struct stor_admin *adm = NULL;
    struct stor_import_counts cnt;
    char err[1024];
    size_t keep = rep->n;
    int rc = employee_rows_check(rows, n, cmd_people_import_bad, rep);
    if (rc >= 0 && !rep->oom)
        rc = cli_open(&adm, err, sizeof err);
    if (rc < 0 || rep->oom) {
        /* No database: what the file alone shows is reported as bad input first. */
        if (rep->n > 0 && !rep->oom)
            return cmd_people_import_print_bad(rep, file);
        return rep->oom ? cli_fail(EXIT_RUNTIME, "out of memory") : cli_fail_rc(rc, err);
    }
    cmd_people_import_truncate(rep, keep); /* the import reports them again, with the database's */
    rc = stor_employee_import(adm, NULL, rows, n, dry_run || rep->n > 0, cmd_people_import_bad, rep,
                              &cnt, err, sizeof err);
    stor_admin_close(adm);
    if (rep->oom)
        return cli_fail(EXIT_RUNTIME, "out of memory");
    if (rep->n > 0)
        return cmd_people_import_print_bad(rep, file);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    printf("%s: %s%u added, %u updated, %u unchanged%s\n", file, dry_run ? "would be " : "",
           cnt.added, cnt.updated, cnt.unchanged, dry_run ? " (dry run: nothing written)" : "");
    return 0;
}

struct cmd_people_import_args {
    const char *file, *dry_run;
};

static int cmd_people_import_run(struct ctl_call *call)
{
    const struct cmd_people_import_args *a = call->args;
    struct import_report rep = {0};
    struct employee_row *rows = NULL;
    char *buf = NULL;
    size_t n = 0;
    int st;
    if ((st = cmd_people_import_read(a->file, &buf)) == CLI_CONTINUE &&
        (st = cmd_people_import_parse(a->file, buf, &rows, &n, &rep)) == CLI_CONTINUE)
        st = cmd_people_import_run_rows(a->file, rows, n, a->dry_run != NULL, &rep);
    cmd_people_import_truncate(&rep, 0);
    free(rep.v);
    free(rows);
    free(buf);
    return st;
}

static const struct ctl_option cmd_people_import_opts[] = {
    {"dry-run", NULL, 0, "check the file and say what would change; write nothing",
     offsetof(struct cmd_people_import_args, dry_run)},
};

/* Not needs_db: the import opens the database itself, between the file's checks and the
 * database's (cmd_people_import_run_rows). */
const struct ctl_command cmd_people_employee_import = {
    .group = "employee",
    .name = "import",
    .usage = "FILE.csv [--dry-run]",
    .summary = "add or update employees from a file",
    .about = "Imports employees from a UTF-8 CSV file whose first line is the header\n"
             "id,name,msisdn,dept (Excel's BOM and CRLF line ends are fine; quote a\n"
             "field that holds a comma). Numbers are mainland mobiles, +86/86 allowed.\n"
             "All or nothing: on any bad line nothing is imported and every bad line is\n"
             "printed with its number and reason. New ids are added, changed rows\n"
             "update their employee, unchanged rows write nothing, so importing the\n"
             "same file again changes nothing. Employees missing from the file are\n"
             "left as they are (see employee deactivate).",
    CLI_OPTIONS(cmd_people_import_opts),
    CLI_POSITIONAL("FILE.csv", struct cmd_people_import_args, file),
    .args_size = sizeof(struct cmd_people_import_args),
    .run = cmd_people_import_run,
};

/* ---- employee deactivate ---------------------------------------------------------------- */

struct cmd_people_deactivate_args {
    const char *id;
};

static int cmd_people_deactivate_run(struct ctl_call *call)
{
    const struct cmd_people_deactivate_args *a = call->args;
    char err[1024];
    long long codes = 0;
    int was = 0;
    int rc = stor_employee_deactivate(call->adm, a->id, &was, &codes, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    if (was)
        printf("employee %s is already deactivated\n", a->id);
    else
        printf("employee %s deactivated; their %lld code%s no longer take%s orders\n", a->id, codes,
               codes == 1 ? "" : "s", codes == 1 ? "s" : "");
    return 0;
}

const struct ctl_command cmd_people_employee_deactivate = {
    .group = "employee",
    .name = "deactivate",
    .usage = "ID",
    .summary = "a leaver: their codes take no new orders",
    .about = "Deactivates a leaver: their codes take no new orders (customers are told\n"
             "the code is no longer valid), they cannot claim, and promo pushes skip\n"
             "them. Their claims and orders stay in the history.",
    CLI_POSITIONAL("ID", struct cmd_people_deactivate_args, id),
    .args_size = sizeof(struct cmd_people_deactivate_args),
    .needs_db = 1,
    .run = cmd_people_deactivate_run,
};

/* ---- team create ------------------------------------------------------------------------ */

struct cmd_people_team_create_args {
    const char *name, *leader, *split;
};

static int cmd_people_team_create_check(struct ctl_call *call)
{
    const struct cmd_people_team_create_args *a = call->args;
    enum commission_split_rule rule;
    if (a->split != NULL && commission_split_parse(a->split, &rule) < 0)
        return cli_fail(EXIT_INPUT, "--split: \"%s\" is not equal or leader", a->split);
    return CLI_CONTINUE;
}

static int cmd_people_team_create_run(struct ctl_call *call)
{
    const struct cmd_people_team_create_args *a = call->args;
    char err[1024];
    int rc = stor_team_create(call->adm, a->name, a->leader, a->split, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    printf("team %s created, led by %s\n", a->name, a->leader);
    return 0;
}

static const struct ctl_option cmd_people_team_create_opts[] = {
    {"leader", "ID", 1, "the employee who leads the team (its first member)",
     offsetof(struct cmd_people_team_create_args, leader)},
    {"split", "equal|leader", 0,
     "how the team's commission is shared: equal shares, the remainder fen to the leader\n"
     "                 (default), or all to the leader",
     offsetof(struct cmd_people_team_create_args, split)},
};

const struct ctl_command cmd_people_team_create = {
    .group = "team",
    .name = "create",
    .usage = "NAME --leader ID [--split equal|leader]",
    .summary = "a virtual team, which can hold codes",
    .about = "Creates a virtual team (虚拟团队). A team holds codes like a person (see\n"
             "assign --team); its orders count to the team and its promo pushes go to\n"
             "every member.",
    CLI_OPTIONS(cmd_people_team_create_opts),
    CLI_POSITIONAL("NAME", struct cmd_people_team_create_args, name),
    .args_size = sizeof(struct cmd_people_team_create_args),
    .needs_db = 1,
    .check = cmd_people_team_create_check,
    .run = cmd_people_team_create_run,
};

/* ---- team add --------------------------------------------------------------------------- */

/* The arguments are the storage's spec itself. */
static int cmd_people_team_add_run(struct ctl_call *call)
{
    const struct team_member_spec *m = call->args;
    char err[1024], num[MSISDN_LEN + 1] = "";
    int already = 0;
    int rc = stor_team_add(call->adm, m, &already, num, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    const char *who = m->employee != NULL ? m->employee : m->name;
    printf(already ? "%s (%s) is already in team %s\n" : "%s (%s) added to team %s\n", who, num,
           m->team);
    return 0;
}

#define MEMBER_FIELD(member) offsetof(struct team_member_spec, member)

static const struct ctl_option cmd_people_team_add_opts[] = {
    {"employee", "ID", 0, "an employee", MEMBER_FIELD(employee)},
    {"msisdn", "NUMBER", 0, "somebody who is not an employee: their mobile number",
     MEMBER_FIELD(msisdn)},
    {"name", "NAME", 0, "... and their name", MEMBER_FIELD(name)},
};

const struct ctl_command cmd_people_team_add = {
    .group = "team",
    .name = "add",
    .usage = "NAME --employee ID | --msisdn NUMBER --name NAME",
    .summary = "add a member to a team",
    .about = "Adds a member to a team: an employee, or a relative or friend who is not\n"
             "one (number and name). Adding a member again changes nothing.",
    CLI_OPTIONS(cmd_people_team_add_opts),
    CLI_POSITIONAL("NAME", struct team_member_spec, team),
    .args_size = sizeof(struct team_member_spec),
    .needs_db = 1,
    .run = cmd_people_team_add_run,
};
#undef MEMBER_FIELD
