/*
 * ermctl.c: the administration tool of ermgw. Migrates the schema, puts products into the
 * pool, registers employees and hands out codes, against the same database as the daemon
 * (--db CONNINFO, or the PG* environment variables).
 *
 * Output contract: success lines on stdout, one per result; a failure is ONE line on stderr
 * starting "ermctl: ". Exit status 0 success, 1 runtime failure (database unreachable, SQL
 * error), 2 bad input (usage, an invalid or unknown value, a duplicate, a clash, an
 * exhausted quota); on a failure nothing is written to the database. Input is checked
 * before connecting, so bad input is reported as such even when the database is down.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codeplan.h"
#include "core/money.h"
#include "storage/admin.h"
#include "storage/migrate.h"
#include "version.h"

#define EXIT_RUNTIME 1
#define EXIT_INPUT   2

/* One --name VALUE option of a command. */
struct opt {
    const char *name; /* without the dashes */
    const char *meta; /* value placeholder in the help */
    int required;
    const char *help;
    const char *value; /* parsed: points into argv */
};

struct cmd {
    const char *name;  /* "product add" */
    const char *usage; /* after the name: "[--schema DIR]" */
    const char *about;
    struct opt *opts;
    size_t nopts;
    int npos; /* positional arguments required */
    const char *pos_meta;
};

static const char *conninfo = ""; /* --db, "" = the PG* environment */

__attribute__((format(printf, 2, 3))) static int fail(int status, const char *fmt, ...)
{
    va_list ap;
    fputs("ermctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

/* The exit status for RC from storage/admin or migrate, after printing ERR. */
static int fail_rc(int rc, const char *err)
{
    return fail(stor_admin_input_error(rc) ? EXIT_INPUT : EXIT_RUNTIME, "%s", err);
}

/* ---- help ------------------------------------------------------------------------------- */

static void usage_main(FILE *f)
{
    fprintf(f,
            "usage: ermctl [--db CONNINFO] COMMAND [OPTIONS]\n"
            "\n"
            "Administers the ermgw database: schema, product pool, employees, codes.\n"
            "\n"
            "commands:\n"
            "  migrate [--schema DIR]          apply the pending schema migrations\n"
            "  product add --code CODE ...     put a product into the pool as a draft\n"
            "  product activate CODE           make a draft product orderable\n"
            "  employee add --id ID ...        register an employee and their number\n"
            "  claim --product CODE --employee ID\n"
            "                                  give an employee their code of a product\n"
            "\n"
            "options:\n"
            "  --db CONNINFO   libpq connection string or URI (default: the PG* environment\n"
            "                  variables, like the daemon with an empty conninfo)\n"
            "  --help          this text; `ermctl COMMAND --help` for one command\n"
            "  --version       print the version\n"
            "\n"
            "Exit status: 0 done, 1 runtime failure (e.g. database unreachable), 2 bad input.\n");
}

static void usage_cmd(const struct cmd *c)
{
    printf("usage: ermctl [--db CONNINFO] %s %s\n\n%s\n", c->name, c->usage, c->about);
    if (c->nopts > 0)
        printf("\noptions:\n");
    for (size_t i = 0; i < c->nopts; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s %s", c->opts[i].name, c->opts[i].meta);
        printf("  %-22s %s%s\n", left, c->opts[i].help, c->opts[i].required ? " (required)" : "");
    }
}

/* ---- option parsing --------------------------------------------------------------------- */

static struct opt *find_opt(const struct cmd *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->nopts; i++)
        if (strlen(c->opts[i].name) == len && strncmp(c->opts[i].name, name, len) == 0)
            return &c->opts[i];
    return NULL;
}

/* Parses ARGV (after the command's words) into C's options and up to C->npos positional
 * arguments (POS). Returns -1 to go on, else the exit status (help printed or an error). */
static int parse(const struct cmd *c, int argc, char **argv, const char **pos)
{
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage_cmd(c);
            return 0;
        }
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (npos >= c->npos)
                return fail(EXIT_INPUT, "%s: unexpected argument \"%s\" (see ermctl %s --help)",
                            c->name, a, c->name);
            pos[npos++] = a;
            continue;
        }
        const char *eq = strchr(a + 2, '=');
        size_t len = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
        struct opt *o = find_opt(c, a + 2, len);
        if (o == NULL)
            return fail(EXIT_INPUT, "%s: unknown option %.*s (see ermctl %s --help)", c->name,
                        (int)len + 2, a, c->name);
        if (o->value != NULL)
            return fail(EXIT_INPUT, "--%s: given twice", o->name);
        if (eq != NULL) {
            o->value = eq + 1;
        } else {
            if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
                return fail(EXIT_INPUT, "--%s: needs a value (%s)", o->name, o->meta);
            o->value = argv[++i];
        }
    }
    for (size_t i = 0; i < c->nopts; i++)
        if (c->opts[i].required && c->opts[i].value == NULL)
            return fail(EXIT_INPUT, "--%s: missing (see ermctl %s --help)", c->opts[i].name,
                        c->name);
    if (npos < c->npos)
        return fail(EXIT_INPUT, "%s: missing %s (see ermctl %s --help)", c->name, c->pos_meta,
                    c->name);
    return -1;
}

/* Parses a quota: decimal digits only, 1..CODEPLAN_MAX_QUOTA. 0 or -EINVAL. */
static int parse_quota(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    if (s[0] == '\0' || strlen(s) > 5)
        return -EINVAL;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        v = v * 10 + (uint32_t)(*p - '0');
    }
    if (v < 1 || v > CODEPLAN_MAX_QUOTA)
        return -EINVAL;
    *out = v;
    return 0;
}

static int connect_db(struct stor_admin **adm)
{
    char err[1024];
    int rc = stor_admin_connect(conninfo, adm, err, sizeof err);
    return rc < 0 ? fail_rc(rc, err) : 0;
}

/* ---- commands --------------------------------------------------------------------------- */

static void print_applied(void *arg, const char *version)
{
    (void)arg;
    printf("applied %s\n", version);
    fflush(stdout);
}

static int cmd_migrate(int argc, char **argv)
{
    struct opt opts[] = {
        {"schema", "DIR", 0, "directory of the NNN_name.sql migrations", NULL},
    };
    struct cmd c = {"migrate",
                    "[--schema DIR]",
                    "Applies the migrations not yet applied, in order, each in its own\n"
                    "transaction. Default directory: the source tree's schema/ when present,\n"
                    "else the installed one.",
                    opts,
                    1,
                    0,
                    NULL};
    struct stor_admin *adm = NULL;
    char err[1024];
    int st = parse(&c, argc, argv, NULL);
    if (st >= 0)
        return st;
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = stor_migrate_run(adm, opts[0].value, print_applied, NULL, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    if (rc == 0)
        printf("schema up to date\n");
    return 0;
}

static int cmd_product_add(int argc, char **argv)
{
    struct opt opts[] = {
        {"code", "CODE", 1, "product code in the billing system (digits)", NULL},
        {"name", "NAME", 1, "product name, as customers see it", NULL},
        {"quota", "N", 1, "how many employee codes (1 to 99999)", NULL},
        {"commission", "YUAN", 1, "commission per order, e.g. 5.00", NULL},
        {"intro", "TEXT", 1, "promo text forwarded by employees", NULL},
        {"fee", "TEXT", 0, "fee text, e.g. \"10 yuan/month\"", NULL},
        {"service", "NUMBER", 0, "service number customers text (default 10086)", NULL},
        {"start", "YYYY-MM-DD", 0, "first day of the campaign", NULL},
        {"end", "YYYY-MM-DD", 0, "last day of the campaign", NULL},
    };
    struct cmd c = {"product add",
                    "--code CODE --name NAME --quota N --commission YUAN --intro TEXT\n"
                    "       [--fee TEXT] [--service NUMBER] [--start YYYY-MM-DD] "
                    "[--end YYYY-MM-DD]",
                    "Puts a product into the pool as a draft. Its code must not clash with\n"
                    "another product's: a code that is a prefix of another with a different\n"
                    "number of sequence digits could be read two ways.",
                    opts,
                    sizeof opts / sizeof opts[0],
                    0,
                    NULL};
    struct stor_product_spec p = {0};
    struct stor_admin *adm = NULL;
    char err[1024];
    int rc, st = parse(&c, argc, argv, NULL);
    if (st >= 0)
        return st;
    p.code = opts[0].value;
    p.name = opts[1].value;
    if (parse_quota(opts[2].value, &p.quota) < 0)
        return fail(EXIT_INPUT, "--quota: \"%s\" is not a number from 1 to %u", opts[2].value,
                    CODEPLAN_MAX_QUOTA);
    rc = money_parse_yuan(opts[3].value, &p.commission_fen);
    if (rc == -ERANGE)
        return fail(EXIT_INPUT, "--commission: \"%s\" is too large", opts[3].value);
    if (rc < 0)
        return fail(EXIT_INPUT,
                    "--commission: \"%s\" is not an amount in yuan (like 5 or 5.00, at most "
                    "two decimals)",
                    opts[3].value);
    p.intro = opts[4].value;
    p.fee_text = opts[5].value;
    p.service = opts[6].value;
    p.starts_on = opts[7].value;
    p.ends_on = opts[8].value;
    if ((rc = stor_admin_product_check(&p, err, sizeof err)) < 0)
        return fail_rc(rc, err);
    if ((st = connect_db(&adm)) != 0)
        return st;
    rc = stor_admin_product_add(adm, &p, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);

    char first[CODEPLAN_MAX_CODE_LEN + 1] = "?", last[CODEPLAN_MAX_CODE_LEN + 1] = "?";
    char money[32] = "?";
    codeplan_sms_code(p.code, p.quota, 1, first, sizeof first);
    codeplan_sms_code(p.code, p.quota, p.quota, last, sizeof last);
    money_format(p.commission_fen, money, sizeof money);
    printf("product %s added as a draft: %s, quota %" PRIu32 " (codes %s to %s), commission "
           "%s\n",
           p.code, p.name, p.quota, first, last, money);
    return 0;
}

static int cmd_product_activate(int argc, char **argv)
{
    struct cmd c = {"product activate",
                    "CODE",
                    "Activates a draft product: customers can order it from now on.",
                    NULL,
                    0,
                    1,
                    "CODE"};
    const char *pos[1] = {NULL};
    struct stor_admin *adm = NULL;
    char err[1024];
    int was_active = 0, st = parse(&c, argc, argv, pos);
    if (st >= 0)
        return st;
    if (codeplan_check_product(pos[0]) < 0)
        return fail(EXIT_INPUT, "product activate: \"%s\" is not a product code", pos[0]);
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = stor_admin_product_activate(adm, pos[0], &was_active, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    printf(was_active ? "product %s is already active\n" : "product %s activated\n", pos[0]);
    return 0;
}

static int cmd_employee_add(int argc, char **argv)
{
    struct opt opts[] = {
        {"id", "ID", 1, "employee id, e.g. E001", NULL},
        {"name", "NAME", 1, "full name", NULL},
        {"msisdn", "NUMBER", 1, "registered mobile number (+86 and spaces allowed)", NULL},
        {"dept", "DEPT", 0, "department", NULL},
    };
    struct cmd c = {"employee add",
                    "--id ID --name NAME --msisdn NUMBER [--dept DEPT]",
                    "Registers an employee; they are recognised by their mobile number.",
                    opts,
                    sizeof opts / sizeof opts[0],
                    0,
                    NULL};
    struct stor_employee_spec e = {0};
    struct stor_admin *adm = NULL;
    char err[1024], msisdn[MSISDN_LEN + 1];
    int rc, st = parse(&c, argc, argv, NULL);
    if (st >= 0)
        return st;
    e.id = opts[0].value;
    e.name = opts[1].value;
    e.msisdn = opts[2].value;
    e.dept = opts[3].value;
    if ((rc = stor_admin_employee_check(&e, msisdn, err, sizeof err)) < 0)
        return fail_rc(rc, err);
    if ((st = connect_db(&adm)) != 0)
        return st;
    rc = stor_admin_employee_add(adm, &e, msisdn, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    printf("employee %s added: %s, %s\n", e.id, e.name, msisdn);
    return 0;
}

static int cmd_claim(int argc, char **argv)
{
    struct opt opts[] = {
        {"product", "CODE", 1, "product code", NULL},
        {"employee", "ID", 1, "employee id", NULL},
    };
    struct cmd c = {"claim",
                    "--product CODE --employee ID",
                    "Gives the employee the next code of the product (draft or active), or the\n"
                    "code they already hold. Prints one line:\n"
                    "  sms code 10001, phone code 1008610001 (product 10, employee E001)",
                    opts,
                    2,
                    0,
                    NULL};
    struct stor_claim cl;
    struct stor_admin *adm = NULL;
    char err[1024];
    int st = parse(&c, argc, argv, NULL);
    if (st >= 0)
        return st;
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = stor_admin_claim(adm, opts[0].value, opts[1].value, &cl, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    printf("sms code %s, phone code %s (product %s, employee %s)\n", cl.sms_code, cl.phone_code,
           cl.product, cl.employee);
    return 0;
}

/* ---- main ------------------------------------------------------------------------------- */

/* Dispatches "product SUB ..." and "employee SUB ...". */
static int sub_command(const char *group, int argc, char **argv)
{
    static const struct {
        const char *group, *sub;
        int (*run)(int, char **);
    } subs[] = {
        {"product", "add", cmd_product_add},
        {"product", "activate", cmd_product_activate},
        {"employee", "add", cmd_employee_add},
    };
    const char *list = strcmp(group, "product") == 0 ? "add, activate" : "add";
    if (argc < 1)
        return fail(EXIT_INPUT, "%s: missing subcommand (%s; see ermctl --help)", group, list);
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        printf("usage: ermctl [--db CONNINFO] %s {%s} ...\n"
               "`ermctl %s SUBCOMMAND --help` tells more.\n",
               group, list, group);
        return 0;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(subs[i].group, group) == 0 && strcmp(subs[i].sub, argv[0]) == 0)
            return subs[i].run(argc - 1, argv + 1);
    return fail(EXIT_INPUT, "%s: unknown subcommand \"%s\" (%s)", group, argv[0], list);
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && strncmp(argv[i], "-", 1) == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage_main(stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            printf("ermctl %s\n", ERM_VERSION);
            return 0;
        }
        if (strncmp(a, "--db=", 5) == 0) {
            conninfo = a + 5;
        } else if (strcmp(a, "--db") == 0) {
            if (i + 1 >= argc)
                return fail(EXIT_INPUT, "--db: needs a value (CONNINFO)");
            conninfo = argv[++i];
        } else {
            return fail(EXIT_INPUT, "unknown option %s (see ermctl --help)", a);
        }
    }
    if (i >= argc)
        return fail(EXIT_INPUT, "missing command (see ermctl --help)");
    const char *cmd = argv[i];
    int rest = argc - i - 1;
    char **rargv = argv + i + 1;
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(rest, rargv);
    if (strcmp(cmd, "claim") == 0)
        return cmd_claim(rest, rargv);
    if (strcmp(cmd, "product") == 0 || strcmp(cmd, "employee") == 0)
        return sub_command(cmd, rest, rargv);
    if (strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return 0;
    }
    return fail(EXIT_INPUT, "unknown command \"%s\" (see ermctl --help)", cmd);
}
