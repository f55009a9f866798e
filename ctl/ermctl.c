/*
 * ermctl.c: the administration tool of ermgw. Migrates the schema, runs the product pool,
 * registers (and imports) employees, builds virtual teams and hands out codes with their
 * promo pushes, against the same database as the daemon (--db CONNINFO, or the PG*
 * environment variables).
 *
 * Output contract: success lines on stdout, one per result; a failure is ONE line on stderr
 * starting "ermctl: ". Exit status 0 success, 1 runtime failure (database unreachable, SQL
 * error), 2 bad input (usage, an invalid or unknown value, a duplicate, a clash, an
 * exhausted quota); on a failure nothing is written to the database. Input is checked
 * before connecting, so bad input is reported as such even when the database is down.
 * One exception to the one line: `employee import` lists every bad line of the file, one
 * "ermctl: FILE:LINE: reason" line each, then its verdict.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/codeplan.h"
#include "core/commission.h"
#include "core/money.h"
#include "core/textwidth.h"
#include "storage/admin.h"
#include "storage/handout.h"
#include "storage/optout.h"
#include "storage/people.h"
#include "storage/pool.h"
#include "storage/migrate.h"
#include "storage/report.h"
#include "version.h"

#define EXIT_RUNTIME 1
#define EXIT_INPUT   2

/* One --name VALUE option of a command. */
struct opt {
    const char *name; /* without the dashes */
    const char *meta; /* value placeholder in the help; NULL: a flag without value */
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
            "  product retire CODE             stop a product's orders and claims\n"
            "  product list                    the pool: claims, orders, commission\n"
            "  product show CODE               one product and who holds which code\n"
            "  employee add --id ID ...        register an employee and their number\n"
            "  employee import FILE.csv        add or update employees from a file\n"
            "  employee deactivate ID          a leaver: their codes take no new orders\n"
            "  team create NAME --leader ID    a virtual team, which can hold codes\n"
            "  team add NAME --employee ID | --msisdn NUMBER --name NAME\n"
            "                                  add a member to a team\n"
            "  assign --product CODE --dept DEPT | --team NAME | --employee ID\n"
            "                                  hand out codes and queue their promo pushes\n"
            "  claim --product CODE --employee ID\n"
            "                                  give an employee their code (no push)\n"
            "  optout list                     numbers that texted TD (no promo pushes)\n"
            "  order cancel ID --reason TEXT   cancel an order; its commission is reversed\n"
            "  period close YYYY-MM [--bottom PERCENT]\n"
            "                                  rank a month's holders, restrict the bottom\n"
            "  ranking YYYY-MM                 a month's ranking, restricted holders marked\n"
            "  report --by DIM[,DIM...] [--from DATE --to DATE] [--product CODE]\n"
            "         [--dept DEPT] [--format table|csv|json]\n"
            "                                  orders, cancellations, net commission\n"
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
        snprintf(left, sizeof left, "--%s %s", c->opts[i].name,
                 c->opts[i].meta != NULL ? c->opts[i].meta : "");
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
        if (o->meta == NULL) {
            if (eq != NULL)
                return fail(EXIT_INPUT, "--%s: takes no value", o->name);
            o->value = "yes";
        } else if (eq != NULL) {
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

/* Parses --tier "51:8.00,101:10.00" into TIERS (COMMISSION_MAX_TIERS); -1 to go on, else
 * the exit status after the error line. */
static int parse_tiers(const char *text, struct commission_tier *tiers, size_t *n)
{
    *n = 0;
    for (const char *s = text; s != NULL && *s != '\0';) {
        char one[64];
        size_t len = strcspn(s, ",");
        snprintf(one, sizeof one, "%.*s", (int)(len < sizeof one ? len : sizeof one - 1), s);
        if (*n == COMMISSION_MAX_TIERS)
            return fail(EXIT_INPUT, "--tier: at most %d tiers", COMMISSION_MAX_TIERS);
        if (len >= sizeof one || commission_tier_parse(one, &tiers[*n]) < 0)
            return fail(EXIT_INPUT,
                        "--tier: \"%.*s\" is not N:YUAN with N from 2 to 1000000 (e.g. 51:8.00)",
                        (int)len, s);
        for (size_t i = 0; i < *n; i++)
            if (tiers[i].from_order == tiers[*n].from_order)
                return fail(EXIT_INPUT, "--tier: %u given twice", tiers[i].from_order);
        ++*n;
        s += len + (s[len] == ',');
    }
    return -1;
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
        {"tier", "N:YUAN[,...]", 0,
         "from a holder's N-th order in a month on, YUAN per order (e.g. 51:8.00)", NULL},
        {"cancel-days", "DAYS", 0, "days a customer may cancel by QX (0 to 366, default 7)", NULL},
    };
    struct cmd c = {"product add",
                    "--code CODE --name NAME --quota N --commission YUAN --intro TEXT\n"
                    "       [--fee TEXT] [--service NUMBER] [--start YYYY-MM-DD] "
                    "[--end YYYY-MM-DD]\n"
                    "       [--tier N:YUAN[,N:YUAN...]] [--cancel-days DAYS]",
                    "Puts a product into the pool as a draft. Its code must not clash with\n"
                    "another product's: a code that is a prefix of another with a different\n"
                    "number of sequence digits could be read two ways.",
                    opts,
                    sizeof opts / sizeof opts[0],
                    0,
                    NULL};
    struct product_spec p = {0};
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
    struct commission_tier tiers[COMMISSION_MAX_TIERS];
    if ((st = parse_tiers(opts[9].value, tiers, &p.ntiers)) >= 0)
        return st;
    p.tiers = tiers;
    p.cancel_days = opts[10].value;
    if ((rc = product_check(&p, err, sizeof err)) < 0)
        return fail_rc(rc, err);
    if ((st = connect_db(&adm)) != 0)
        return st;
    rc = stor_product_add(adm, &p, err, sizeof err);
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

/* "product activate|retire CODE": C describes the command, MOVE is the storage call, the
 * answer is "product CODE DONE" or "product CODE is already ALREADY". */
static int product_move(const struct cmd *c, int argc, char **argv,
                        int (*move)(struct stor_admin *, const char *, int *, char *, size_t),
                        const char *done, const char *already)
{
    const char *pos[1] = {NULL};
    struct stor_admin *adm = NULL;
    char err[1024];
    int was = 0, st = parse(c, argc, argv, pos);
    if (st >= 0)
        return st;
    if (codeplan_check_product(pos[0]) < 0)
        return fail(EXIT_INPUT, "%s: \"%s\" is not a product code", c->name, pos[0]);
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = move(adm, pos[0], &was, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    printf("product %s %s%s\n", pos[0], was ? "is already " : "", was ? already : done);
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
    return product_move(&c, argc, argv, stor_product_activate, "activated", "active");
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
    struct employee_spec e = {0};
    struct stor_admin *adm = NULL;
    char err[1024], msisdn[MSISDN_LEN + 1];
    int rc, st = parse(&c, argc, argv, NULL);
    if (st >= 0)
        return st;
    e.id = opts[0].value;
    e.name = opts[1].value;
    e.msisdn = opts[2].value;
    e.dept = opts[3].value;
    if ((rc = employee_check(&e, msisdn, err, sizeof err)) < 0)
        return fail_rc(rc, err);
    if ((st = connect_db(&adm)) != 0)
        return st;
    rc = stor_employee_add(adm, &e, msisdn, err, sizeof err);
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
                    "code they already hold, without a promo push (assign --employee pushes).\n"
                    "Prints one line:\n"
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
    int rc = stor_handout_claim(adm, opts[0].value, opts[1].value, &cl, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    printf("sms code %s, phone code %s (product %s, employee %s)\n", cl.sms_code, cl.phone_code,
           cl.product, cl.employee);
    return 0;
}

static int cmd_product_retire(int argc, char **argv)
{
    struct cmd c = {"product retire",
                    "CODE",
                    "Retires a product: its codes take no more orders (customers are told it is\n"
                    "not open) and no more claims. Claims and orders stay for the reports.",
                    NULL,
                    0,
                    1,
                    "CODE"};
    return product_move(&c, argc, argv, stor_product_retire, "retired", "retired");
}

/* "5.00", or "?" for an amount money_format() refuses. */
static const char *yuan(int64_t fen, char *buf, size_t cap)
{
    if (money_format(fen, buf, cap) < 0)
        snprintf(buf, cap, "?");
    return buf;
}

static void print_product_line(void *arg, const struct stor_product_row *p)
{
    char money[32], claimed[32];
    (void)arg;
    snprintf(claimed, sizeof claimed, "%lld/%" PRIu32, p->claimed, p->quota);
    printf("%-8s  %-7s  %11s  %8lld  %10s  %s\n", p->code, p->status, claimed, p->orders,
           yuan(p->commission_fen, money, sizeof money), p->name);
}

static int cmd_product_list(int argc, char **argv)
{
    struct cmd c = {"product list",
                    "",
                    "Lists the pool, one product a line: code, status, codes claimed of the\n"
                    "quota, orders so far, commission per order (yuan), name.",
                    NULL,
                    0,
                    0,
                    NULL};
    struct stor_admin *adm = NULL;
    char err[1024];
    int st = parse(&c, argc, argv, NULL);
    if (st >= 0)
        return st;
    if ((st = connect_db(&adm)) != 0)
        return st;
    printf("%-8s  %-7s  %11s  %8s  %10s  %s\n", "CODE", "STATUS", "CLAIMED", "ORDERS", "COMMISSION",
           "NAME");
    int rc = stor_product_list(adm, print_product_line, NULL, err, sizeof err);
    stor_admin_close(adm);
    return rc < 0 ? fail_rc(rc, err) : 0;
}

/* Prints TEXT after LABEL, its later lines indented under the first. */
static void print_indented(const char *label, const char *text)
{
    printf("  %-10s", label);
    for (const char *p = text; *p != '\0'; p++) {
        putchar(*p);
        if (*p == '\n')
            printf("  %-10s", "");
    }
    putchar('\n');
}

static void print_product_detail(void *arg, const struct stor_product_row *p)
{
    char money[32], first[CODEPLAN_MAX_CODE_LEN + 1] = "?", last[CODEPLAN_MAX_CODE_LEN + 1] = "?";
    (void)arg;
    codeplan_sms_code(p->code, p->quota, 1, first, sizeof first);
    codeplan_sms_code(p->code, p->quota, p->quota, last, sizeof last);
    printf("product %s %s: %s\n", p->code, p->name, p->status);
    printf("  %-10scodes %s to %s, texted to %s; commission %s per order\n", "plan:", first, last,
           p->service, yuan(p->commission_fen, money, sizeof money));
    if (p->starts_on == NULL && p->ends_on == NULL)
        printf("  %-10sno dates\n", "campaign:");
    else
        printf("  %-10s%s to %s\n", "campaign:", p->starts_on != NULL ? p->starts_on : "(open)",
               p->ends_on != NULL ? p->ends_on : "(open)");
    printf("  %-10s%lld of %" PRIu32 " used, %lld left\n", "claims:", p->claimed, p->quota,
           (long long)p->quota - p->claimed);
    printf("  %-10s%lld so far\n", "orders:", p->orders);
    print_indented("intro:", p->intro);
    print_indented("fee:", p->fee_text);
}

/* "sent", "2 sent, 1 opted out", "none": where a code's promo pushes are. */
static void push_state(const struct stor_holder_row *h, char *out, size_t cap)
{
    const struct {
        long long n;
        const char *what;
    } parts[] = {{h->pushes_sent, "sent"},
                 {h->pushes_queued, "queued"},
                 {h->pushes_failed, "failed"},
                 {h->pushes_optout, "not sent (opted out)"}};
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (parts[i].n == 0 || len >= cap)
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s%lld %s", len > 0 ? ", " : "", parts[i].n,
                                parts[i].what);
    }
    if (len == 0)
        snprintf(out, cap, "none");
}

static void print_holder(void *arg, const struct stor_holder_row *h)
{
    char push[128];
    int *first = arg;
    if (*first) {
        printf("holders:\n");
        *first = 0;
    }
    push_state(h, push, sizeof push);
    if (h->team)
        printf("  %-13s team %s (leader %s)", h->code, h->holder, h->name);
    else
        printf("  %-13s %s %s (%s%s%s)", h->code, h->holder, h->name, h->dept,
               h->dept[0] != '\0' && !h->active ? ", " : "", h->active ? "" : "deactivated");
    printf(", claimed %s, %lld order%s, promo push: %s\n", h->claimed_at, h->orders,
           h->orders == 1 ? "" : "s", push);
}

static int cmd_product_show(int argc, char **argv)
{
    struct cmd c = {"product show",
                    "CODE",
                    "Shows one product: its plan, campaign dates, claims used of the quota,\n"
                    "orders so far, texts, and who holds which code: each holder's orders and\n"
                    "where their promo push is (sent, queued, failed, not sent as opted out).",
                    NULL,
                    0,
                    1,
                    "CODE"};
    const char *pos[1] = {NULL};
    struct stor_admin *adm = NULL;
    char err[1024];
    int first = 1, st = parse(&c, argc, argv, pos);
    if (st >= 0)
        return st;
    if (codeplan_check_product(pos[0]) < 0)
        return fail(EXIT_INPUT, "product show: \"%s\" is not a product code", pos[0]);
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = stor_product_show(adm, pos[0], print_product_detail, print_holder, &first, err,
                                     sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    if (first)
        printf("holders: none yet\n");
    return 0;
}

/* ---- employee import ------------------------------------------------------------------- */

#define IMPORT_MAX_BYTES (64L * 1024 * 1024)
#define IMPORT_MAX_ROWS  200000
#define IMPORT_COLUMNS   4

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

static void import_bad(void *arg, unsigned line, const char *why)
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
static void import_truncate(struct import_report *r, size_t keep)
{
    while (r->n > keep)
        free(r->v[--r->n].why);
}

static int import_bad_cmp(const void *a, const void *b)
{
    const struct import_bad *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Prints every bad line of FILE, sorted, and the verdict; returns the exit status. */
static int import_print_bad(struct import_report *r, const char *file)
{
    qsort(r->v, r->n, sizeof *r->v, import_bad_cmp);
    for (size_t i = 0; i < r->n; i++)
        fprintf(stderr, "ermctl: %s:%u: %s\n", file, r->v[i].line, r->v[i].why);
    return fail(EXIT_INPUT, "%s: %zu bad line%s; nothing imported", file, r->n,
                r->n == 1 ? "" : "s");
}

/* Splits the CSV line LINE (modified in place: quotes removed, fields NUL-terminated) into
 * FIELDS (at most MAX kept). Quoted fields may hold commas and doubled quotes; spaces
 * around unquoted fields are dropped. Returns the number of fields, or -1 with *WHY. */
static int csv_split(char *line, char **fields, int max, const char **why)
{
    char *r = line, *w = line;
    int n = 0;
    for (;;) {
        while (*r == ' ' || *r == '\t')
            r++;
        char *start = w;
        if (*r == '"') {
            for (r++;; r++) {
                if (*r == '\0') {
                    *why = "a quoted field is not closed (fields cannot span lines)";
                    return -1;
                }
                if (*r == '"' && r[1] != '"')
                    break;
                *w++ = *r;
                if (*r == '"')
                    r++; /* "" is one quote */
            }
            for (r++; *r == ' ' || *r == '\t'; r++)
                ;
            if (*r != ',' && *r != '\0') {
                *why = "text after a closing quote";
                return -1;
            }
        } else {
            for (; *r != ',' && *r != '\0'; r++) {
                if (*r == '"') {
                    *why = "a quote inside an unquoted field";
                    return -1;
                }
                *w++ = *r;
            }
            while (w > start && (w[-1] == ' ' || w[-1] == '\t'))
                w--;
        }
        char sep = *r; /* read before the NUL below, which may land on it */
        *w++ = '\0';
        if (n < max)
            fields[n] = start;
        n++;
        if (sep == '\0')
            return n;
        r++;
    }
}

/* Reads FILE whole into *BUF (NUL-terminated, the caller frees). Exit status or -1. */
static int import_read(const char *file, char **buf)
{
    FILE *f = fopen(file, "rb");
    if (f == NULL)
        return fail(EXIT_INPUT, "%s: %s", file, strerror(errno));
    char *b = malloc(IMPORT_MAX_BYTES + 1);
    size_t n = b != NULL ? fread(b, 1, IMPORT_MAX_BYTES + 1, f) : 0;
    int bad = b == NULL ? ENOMEM : ferror(f) ? EIO : 0;
    fclose(f);
    if (bad != 0 || n > IMPORT_MAX_BYTES) {
        free(b);
        return bad != 0 ? fail(EXIT_RUNTIME, "%s: %s", file, strerror(bad))
                        : fail(EXIT_INPUT, "%s: larger than %ld MB", file,
                               IMPORT_MAX_BYTES / 1024 / 1024);
    }
    b[n] = '\0';
    if (memchr(b, '\0', n) != NULL) {
        free(b);
        return fail(EXIT_INPUT, "%s: not a text file (NUL bytes)", file);
    }
    *buf = b;
    return -1;
}

/* 1 when the header FIELDS (N of them) are id,name,msisdn,dept (any case). */
static int import_header_ok(char **fields, int n)
{
    static const char *const want[IMPORT_COLUMNS] = {"id", "name", "msisdn", "dept"};
    if (n != IMPORT_COLUMNS)
        return 0;
    for (int i = 0; i < IMPORT_COLUMNS; i++)
        if (strcasecmp(fields[i], want[i]) != 0)
            return 0;
    return 1;
}

/* Parses the CSV text BUF into *ROWS (*N of them; pointers into BUF), reporting lines that
 * are not rows to REP. Returns an exit status, or -1 to go on. */
static int import_parse(const char *file, char *buf, struct employee_row **rows, size_t *n,
                        struct import_report *rep)
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
        char *fields[IMPORT_COLUMNS];
        const char *why = NULL;
        int nf = strspn(p, " \t") == strlen(p) ? 0 : csv_split(p, fields, IMPORT_COLUMNS, &why);
        p = next;
        if (nf == 0)
            continue; /* blank line */
        if (!header) {
            header = 1;
            if (nf < 0 || !import_header_ok(fields, nf)) {
                free(v);
                return fail(EXIT_INPUT,
                            "%s:%u: the first line must be the header "
                            "id,name,msisdn,dept",
                            file, line);
            }
            continue;
        }
        if (nf < 0 || nf != IMPORT_COLUMNS) {
            char msg[96];
            if (nf >= 0)
                snprintf(msg, sizeof msg, "%d field%s, expected %d (id,name,msisdn,dept)", nf,
                         nf == 1 ? "" : "s", IMPORT_COLUMNS);
            import_bad(rep, line, nf < 0 ? why : msg);
            continue;
        }
        if (*n == IMPORT_MAX_ROWS) {
            free(v);
            return fail(EXIT_INPUT, "%s: more than %d employees in one file", file,
                        IMPORT_MAX_ROWS);
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct employee_row *nv = realloc(v, cap * sizeof *nv);
            if (nv == NULL) {
                free(v);
                return fail(EXIT_RUNTIME, "%s: out of memory", file);
            }
            v = nv;
        }
        v[(*n)++] = (struct employee_row){line, {fields[0], fields[1], fields[2], fields[3]}};
    }
    if (!header)
        return fail(EXIT_INPUT, "%s: empty; the first line must be the header id,name,msisdn,dept",
                    file);
    if (*n == 0 && rep->n == 0)
        return fail(EXIT_INPUT, "%s: no employees after the header", file);
    *rows = v;
    return -1;
}

/* Checks and imports ROWS; lines that were not rows are already in REP. Exit status. */
static int import_run(const char *file, const struct employee_row *rows, size_t n, int dry_run,
                      struct import_report *rep)
{
    struct stor_admin *adm = NULL;
    struct stor_import_counts cnt;
    char err[1024];
    size_t keep = rep->n;
    int rc = employee_rows_check(rows, n, import_bad, rep);
    if (rc >= 0 && !rep->oom)
        rc = stor_admin_connect(conninfo, &adm, err, sizeof err);
    if (rc < 0 || rep->oom) {
        /* No database: what the file alone shows is reported as bad input first. */
        if (rep->n > 0 && !rep->oom)
            return import_print_bad(rep, file);
        return rep->oom ? fail(EXIT_RUNTIME, "out of memory") : fail_rc(rc, err);
    }
    import_truncate(rep, keep); /* the import reports them again, with the database's */
    rc = stor_employee_import(adm, rows, n, dry_run || rep->n > 0, import_bad, rep, &cnt, err,
                                    sizeof err);
    stor_admin_close(adm);
    if (rep->oom)
        return fail(EXIT_RUNTIME, "out of memory");
    if (rep->n > 0)
        return import_print_bad(rep, file);
    if (rc < 0)
        return fail_rc(rc, err);
    printf("%s: %s%u added, %u updated, %u unchanged%s\n", file, dry_run ? "would be " : "",
           cnt.added, cnt.updated, cnt.unchanged, dry_run ? " (dry run: nothing written)" : "");
    return 0;
}

static int cmd_employee_import(int argc, char **argv)
{
    struct opt opts[] = {
        {"dry-run", NULL, 0, "check the file and say what would change; write nothing", NULL},
    };
    struct cmd c = {"employee import",
                    "FILE.csv [--dry-run]",
                    "Imports employees from a UTF-8 CSV file whose first line is the header\n"
                    "id,name,msisdn,dept (Excel's BOM and CRLF line ends are fine; quote a\n"
                    "field that holds a comma). Numbers are mainland mobiles, +86/86 allowed.\n"
                    "All or nothing: on any bad line nothing is imported and every bad line is\n"
                    "printed with its number and reason. New ids are added, changed rows\n"
                    "update their employee, unchanged rows write nothing, so importing the\n"
                    "same file again changes nothing. Employees missing from the file are\n"
                    "left as they are (see employee deactivate).",
                    opts,
                    1,
                    1,
                    "FILE.csv"};
    const char *pos[1] = {NULL};
    struct import_report rep = {0};
    struct employee_row *rows = NULL;
    char *buf = NULL;
    size_t n = 0;
    int st = parse(&c, argc, argv, pos);
    if (st >= 0)
        return st;
    if ((st = import_read(pos[0], &buf)) < 0 &&
        (st = import_parse(pos[0], buf, &rows, &n, &rep)) < 0)
        st = import_run(pos[0], rows, n, opts[0].value != NULL, &rep);
    import_truncate(&rep, 0);
    free(rep.v);
    free(rows);
    free(buf);
    return st;
}

static int cmd_employee_deactivate(int argc, char **argv)
{
    struct cmd c = {"employee deactivate",
                    "ID",
                    "Deactivates a leaver: their codes take no new orders (customers are told\n"
                    "the code is no longer valid), they cannot claim, and promo pushes skip\n"
                    "them. Their claims and orders stay in the history.",
                    NULL,
                    0,
                    1,
                    "ID"};
    const char *pos[1] = {NULL};
    struct stor_admin *adm = NULL;
    char err[1024];
    long long codes = 0;
    int was = 0, st = parse(&c, argc, argv, pos);
    if (st >= 0)
        return st;
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = stor_employee_deactivate(adm, pos[0], &was, &codes, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    if (was)
        printf("employee %s is already deactivated\n", pos[0]);
    else
        printf("employee %s deactivated; their %lld code%s no longer take%s orders\n", pos[0],
               codes, codes == 1 ? "" : "s", codes == 1 ? "s" : "");
    return 0;
}

/* ---- teams ------------------------------------------------------------------------------ */

static int cmd_team_create(int argc, char **argv)
{
    struct opt opts[] = {
        {"leader", "ID", 1, "the employee who leads the team (its first member)", NULL},
        {"split", "equal|leader", 0,
         "how the team's commission is shared: equal shares, the remainder fen to the leader\n"
         "                 (default), or all to the leader",
         NULL},
    };
    struct cmd c = {"team create",
                    "NAME --leader ID [--split equal|leader]",
                    "Creates a virtual team (虚拟团队). A team holds codes like a person (see\n"
                    "assign --team); its orders count to the team and its promo pushes go to\n"
                    "every member.",
                    opts,
                    2,
                    1,
                    "NAME"};
    const char *pos[1] = {NULL};
    struct stor_admin *adm = NULL;
    char err[1024];
    enum commission_split_rule rule;
    int st = parse(&c, argc, argv, pos);
    if (st >= 0)
        return st;
    if (opts[1].value != NULL && commission_split_parse(opts[1].value, &rule) < 0)
        return fail(EXIT_INPUT, "--split: \"%s\" is not equal or leader", opts[1].value);
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = stor_team_create(adm, pos[0], opts[0].value, opts[1].value, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    printf("team %s created, led by %s\n", pos[0], opts[0].value);
    return 0;
}

static int cmd_team_add(int argc, char **argv)
{
    struct opt opts[] = {
        {"employee", "ID", 0, "an employee", NULL},
        {"msisdn", "NUMBER", 0, "somebody who is not an employee: their mobile number", NULL},
        {"name", "NAME", 0, "... and their name", NULL},
    };
    struct cmd c = {"team add",
                    "NAME --employee ID | --msisdn NUMBER --name NAME",
                    "Adds a member to a team: an employee, or a relative or friend who is not\n"
                    "one (number and name). Adding a member again changes nothing.",
                    opts,
                    3,
                    1,
                    "NAME"};
    const char *pos[1] = {NULL};
    struct stor_admin *adm = NULL;
    char err[1024], num[MSISDN_LEN + 1] = "";
    int already = 0, st = parse(&c, argc, argv, pos);
    if (st >= 0)
        return st;
    struct team_member_spec m = {pos[0], opts[0].value, opts[1].value, opts[2].value};
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = stor_team_add(adm, &m, &already, num, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    const char *who = m.employee != NULL ? m.employee : m.name;
    printf(already ? "%s (%s) is already in team %s\n" : "%s (%s) added to team %s\n", who, num,
           pos[0]);
    return 0;
}

/* ---- hand-out --------------------------------------------------------------------------- */

static void print_assign_row(const struct stor_assign_row *r)
{
    char who[2 * FIELD_NAME_BYTES + 8];
    if (r->name[0] != '\0')
        snprintf(who, sizeof who, "%s %s", r->holder, r->name);
    else
        snprintf(who, sizeof who, "team %s", r->holder);
    if (r->outcome == STOR_ASSIGN_NEW)
        printf("%s: assigned %s; promo push queued to %d number%s%s\n", who, r->code, r->queued,
               r->queued == 1 ? "" : "s", r->optout > 0 ? " (some opted out)" : "");
    else if (r->outcome == STOR_ASSIGN_HELD)
        printf("%s: skipped, already holds %s\n", who, r->code);
    else
        printf("%s: refused, the quota is used up\n", who);
}

static int cmd_assign(int argc, char **argv)
{
    struct opt opts[] = {
        {"product", "CODE", 1, "the product (active)", NULL},
        {"dept", "DEPT", 0, "every active employee of the department", NULL},
        {"team", "NAME", 0, "a virtual team", NULL},
        {"employee", "ID", 0, "one employee", NULL},
    };
    struct cmd c = {"assign",
                    "--product CODE (--dept DEPT | --team NAME | --employee ID)",
                    "Hands out codes (派发): each holder without a code of the product gets its\n"
                    "own, and its promo push is queued (to each member of a team; numbers that\n"
                    "opted out are left out). Holders that have one are skipped. At the quota\n"
                    "it stops cleanly: the holders after it are refused. One line per holder,\n"
                    "then the counts.",
                    opts,
                    4,
                    0,
                    NULL};
    struct stor_assign_spec spec = {0};
    struct stor_assign_result res;
    struct stor_admin *adm = NULL;
    char err[1024];
    int st = parse(&c, argc, argv, NULL);
    if (st >= 0)
        return st;
    spec = (struct stor_assign_spec){opts[0].value, opts[1].value, opts[2].value, opts[3].value};
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = stor_handout_assign(adm, &spec, &res, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0) {
        stor_handout_free(&res);
        return fail_rc(rc, err);
    }
    for (size_t i = 0; i < res.n; i++)
        print_assign_row(&res.rows[i]);
    char refused[64] = "";
    if (res.refused > 0)
        snprintf(refused, sizeof refused, " (all %" PRIu32 " codes claimed)", res.quota);
    printf("product %s: %u assigned, %u skipped (already held), %u refused%s; %u promo push%s "
           "queued, %u not sent (opted out)\n",
           spec.product, res.assigned, res.skipped, res.refused, refused, res.queued,
           res.queued == 1 ? "" : "es", res.optout);
    stor_handout_free(&res);
    return 0;
}

/* ---- opt-outs --------------------------------------------------------------------------- */

static void print_optout(void *arg, const char *msisdn, const char *at)
{
    (*(unsigned *)arg)++;
    printf("%-20s %s\n", msisdn, at);
}

static int cmd_optout_list(int argc, char **argv)
{
    struct cmd c = {"optout list",
                    "",
                    "Lists the numbers that texted TD or 退订, with when (oldest first): they get\n"
                    "no promo pushes; confirmations and query replies still go to them.",
                    NULL,
                    0,
                    0,
                    NULL};
    struct stor_admin *adm = NULL;
    char err[1024];
    unsigned n = 0;
    int st = parse(&c, argc, argv, NULL);
    if (st >= 0)
        return st;
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = stor_optout_list(adm, print_optout, &n, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    if (n == 0)
        printf("no opt-outs\n");
    return 0;
}

/* ---- commissions: cancellation, period close, ranking, report ----------------------------- */

static int cmd_order_cancel(int argc, char **argv)
{
    struct opt opts[] = {
        {"reason", "TEXT", 1, "why (kept with the order)", NULL},
    };
    struct cmd c = {"order cancel",
                    "ID --reason TEXT",
                    "Cancels an order: the order stays in the history, marked cancelled, and its\n"
                    "commission is reversed by a new (negative) ledger entry; the holder is told.\n"
                    "No time limit here (customers have the product's window, QX by SMS).",
                    opts,
                    1,
                    1,
                    "ID"};
    const char *pos[1] = {NULL};
    struct stor_admin *adm = NULL;
    char err[1024], money[32];
    int64_t fen = 0;
    int st = parse(&c, argc, argv, pos);
    if (st >= 0)
        return st;
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = stor_order_cancel(adm, pos[0], opts[0].value, &fen, err, sizeof err);
    stor_admin_close(adm);
    if (rc == -EALREADY)
        return fail(EXIT_INPUT, "%s", err);
    if (rc < 0)
        return fail_rc(rc, err);
    printf("order %s cancelled; commission %s reversed\n", pos[0], yuan(fen, money, sizeof money));
    return 0;
}

#define RANKING_RULE                                                                               \
    "Holders (active employees and teams that held a code before the month ended) are\n"           \
    "ranked by the orders counted to them in the month (Asia/Shanghai time), cancelled\n"          \
    "orders not counted. With N holders, at most floor(N * BOTTOM / 100) are restricted:\n"        \
    "a holder is restricted only when they and every holder with as many orders or\n"              \
    "fewer fit within that number, so a tie at the boundary is spared as a whole (in\n"            \
    "the employee's favour). Restricted holders may not claim or be handed codes of\n"             \
    "new products during the next month; codes they hold keep working."

static int cmd_period_close(int argc, char **argv)
{
    struct opt opts[] = {
        {"bottom", "PERCENT", 0, "the share restricted (0 to 100, default 10)", NULL},
    };
    struct cmd c = {"period close",
                    "YYYY-MM [--bottom PERCENT]",
                    "Closes a month that has ended: ranks its holders and restricts the bottom\n"
                    "share for the next month. Closing it again changes nothing and prints the\n"
                    "stored result.\n\n" RANKING_RULE,
                    opts,
                    1,
                    1,
                    "YYYY-MM"};
    const char *pos[1] = {NULL};
    struct stor_admin *adm = NULL;
    struct stor_period_close out = {0};
    char err[1024];
    int bottom = 10;
    int st = parse(&c, argc, argv, pos);
    if (st >= 0)
        return st;
    if (opts[0].value != NULL) {
        char *end;
        long v = strtol(opts[0].value, &end, 10);
        if (*end != '\0' || end == opts[0].value || v < 0 || v > 100)
            return fail(EXIT_INPUT, "--bottom: \"%s\" is not a percentage from 0 to 100",
                        opts[0].value);
        bottom = (int)v;
    }
    if ((st = connect_db(&adm)) != 0)
        return st;
    int rc = stor_period_close(adm, pos[0], bottom, &out, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    printf("period %s %s: %d holders ranked, %d restricted (bottom %d%%)\n", pos[0],
           out.already ? "was closed before" : "closed", out.holders, out.restricted,
           out.bottom_pct);
    return 0;
}

static void print_rank(void *arg, const struct stor_rank_row *r)
{
    (void)arg;
    char name[128];
    textwidth_pad(r->name, 20, 0, name, sizeof name);
    printf("%5ld  %-10s %s %7ld%s\n", r->rank, r->holder, name, r->orders,
           r->restricted == 1 ? "  restricted" : "");
}

static int cmd_ranking(int argc, char **argv)
{
    struct cmd c = {
        "ranking",
        "YYYY-MM",
        "Prints a month's ranking: the stored one, with the restricted holders\n"
        "marked, once the month is closed; else the live (provisional) one.\n\n" RANKING_RULE,
        NULL,
        0,
        1,
        "YYYY-MM"};
    const char *pos[1] = {NULL};
    struct stor_admin *adm = NULL;
    char err[1024];
    int closed = 0;
    int st = parse(&c, argc, argv, pos);
    if (st >= 0)
        return st;
    if ((st = connect_db(&adm)) != 0)
        return st;
    printf(" rank  holder     name                  orders\n");
    int rc = stor_ranking(adm, pos[0], print_rank, NULL, &closed, err, sizeof err);
    stor_admin_close(adm);
    if (rc < 0)
        return fail_rc(rc, err);
    if (!closed)
        printf("(period %s not closed: provisional)\n", pos[0]);
    return 0;
}

/* The report's rows, kept to size the table's columns. */
struct report_out {
    enum { REPORT_TABLE, REPORT_CSV, REPORT_JSON } format;
    size_t ncols, nrows;
    const char *names[STOR_REPORT_MAX_COLS];
    char **cells; /* nrows * ncols, strdup'd */
    int oom;
};

static void report_keep(void *arg, size_t ncols, const char *const *names,
                        const char *const *values)
{
    struct report_out *o = arg;
    char **grown = o->oom ? NULL : realloc(o->cells, (o->nrows + 1) * ncols * sizeof *grown);
    if (grown == NULL) {
        o->oom = 1;
        return;
    }
    o->cells = grown;
    o->ncols = ncols;
    for (size_t c = 0; c < ncols; c++) {
        o->names[c] = names[c];
        if ((grown[o->nrows * ncols + c] = strdup(values[c])) == NULL)
            o->oom = 1;
    }
    o->nrows++;
}

/* The last three columns (orders, cancelled, commission) are figures. */
static int report_is_figure(const struct report_out *o, size_t c)
{
    return c + 3 >= o->ncols;
}

static void report_table(const struct report_out *o)
{
    size_t w[STOR_REPORT_MAX_COLS];
    char cell[512];
    for (size_t c = 0; c < o->ncols; c++) {
        w[c] = textwidth(o->names[c]);
        for (size_t r = 0; r < o->nrows; r++) {
            size_t cw = textwidth(o->cells[r * o->ncols + c]);
            w[c] = cw > w[c] ? cw : w[c];
        }
    }
    for (size_t r = 0; r <= o->nrows; r++) {
        for (size_t c = 0; c < o->ncols; c++) {
            const char *v = r == 0 ? o->names[c] : o->cells[(r - 1) * o->ncols + c];
            textwidth_pad(v, w[c], report_is_figure(o, c), cell, sizeof cell);
            printf("%s%s", c ? "  " : "", cell[0] ? cell : v);
        }
        putchar('\n');
    }
}

/* A spreadsheet's CSV: every field quoted, quotes doubled, CRLF. */
static void report_csv_field(const char *s, int last)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    fputs(last ? "\"\r\n" : "\",", stdout);
}

static void report_csv(const struct report_out *o)
{
    fputs("\xEF\xBB\xBF", stdout); /* the BOM: spreadsheets read the file as UTF-8 */
    for (size_t r = 0; r <= o->nrows; r++)
        for (size_t c = 0; c < o->ncols; c++)
            report_csv_field(r == 0 ? o->names[c] : o->cells[(r - 1) * o->ncols + c],
                             c + 1 == o->ncols);
}

static void report_json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

/* An array of objects; orders and cancelled are numbers, commission yuan text ("15.00"),
 * exact. */
static void report_json(const struct report_out *o)
{
    printf("[");
    for (size_t r = 0; r < o->nrows; r++) {
        printf("%s\n  {", r ? "," : "");
        for (size_t c = 0; c < o->ncols; c++) {
            const char *v = o->cells[r * o->ncols + c];
            printf("%s\"%s\": ", c ? ", " : "", o->names[c]);
            if (report_is_figure(o, c) && c + 1 < o->ncols)
                fputs(v, stdout);
            else
                report_json_string(v);
        }
        printf("}");
    }
    printf("%s]\n", o->nrows ? "\n" : "");
}

static int cmd_report(int argc, char **argv)
{
    struct opt opts[] = {
        {"by", "DIM[,DIM...]", 1, "employee, team, dept, product, day: one or several", NULL},
        {"from", "YYYY-MM-DD", 0, "orders placed on or after this day (Asia/Shanghai)", NULL},
        {"to", "YYYY-MM-DD", 0, "orders placed on or before this day", NULL},
        {"product", "CODE", 0, "one product only", NULL},
        {"dept", "DEPT", 0, "one department only (orders of codes held by its employees)", NULL},
        {"format", "table|csv|json", 0, "output (default table; csv is UTF-8 with a BOM)", NULL},
    };
    struct cmd c = {"report",
                    "--by DIM[,DIM...] [--from DATE --to DATE] [--product CODE] [--dept DEPT]\n"
                    "       [--format table|csv|json]",
                    "Orders, cancelled orders and net commission (yuan) from the commission\n"
                    "ledger, grouped by the dimensions of --by. Orders count to the day they\n"
                    "were placed; a cancellation counts to its order's day.",
                    opts,
                    sizeof opts / sizeof opts[0],
                    0,
                    NULL};
    struct stor_report_spec spec = {0};
    struct report_out out = {0};
    struct stor_admin *adm = NULL;
    char err[1024];
    int st = parse(&c, argc, argv, NULL);
    if (st >= 0)
        return st;
    int rc = stor_report_parse_by(opts[0].value, &spec, err, sizeof err);
    if (rc < 0)
        return fail(EXIT_INPUT, "%s", err);
    spec.from = opts[1].value;
    spec.to = opts[2].value;
    spec.product = opts[3].value;
    spec.dept = opts[4].value;
    const char *fmt = opts[5].value ? opts[5].value : "table";
    if (strcmp(fmt, "table") == 0)
        out.format = REPORT_TABLE;
    else if (strcmp(fmt, "csv") == 0)
        out.format = REPORT_CSV;
    else if (strcmp(fmt, "json") == 0)
        out.format = REPORT_JSON;
    else
        return fail(EXIT_INPUT, "--format: \"%s\" is not table, csv or json", fmt);
    if ((st = connect_db(&adm)) != 0)
        return st;
    rc = stor_report(adm, &spec, report_keep, &out, err, sizeof err);
    stor_admin_close(adm);
    if (rc == 0 && out.oom)
        rc = -ENOMEM, snprintf(err, sizeof err, "report: out of memory");
    if (rc == 0 && out.format == REPORT_TABLE && out.nrows == 0)
        printf("no orders\n");
    else if (rc == 0)
        (out.format == REPORT_TABLE ? report_table
         : out.format == REPORT_CSV ? report_csv
                                    : report_json)(&out);
    for (size_t i = 0; i < out.nrows * out.ncols; i++)
        free(out.cells[i]);
    free(out.cells);
    return rc < 0 ? fail_rc(rc, err) : 0;
}

/* ---- main ------------------------------------------------------------------------------- */

/* The subcommands of the command groups. */
static const struct {
    const char *group, *sub;
    int (*run)(int, char **);
} subs[] = {
    {"product", "add", cmd_product_add},
    {"product", "activate", cmd_product_activate},
    {"product", "retire", cmd_product_retire},
    {"product", "list", cmd_product_list},
    {"product", "show", cmd_product_show},
    {"employee", "add", cmd_employee_add},
    {"employee", "import", cmd_employee_import},
    {"employee", "deactivate", cmd_employee_deactivate},
    {"team", "create", cmd_team_create},
    {"team", "add", cmd_team_add},
    {"optout", "list", cmd_optout_list},
    {"order", "cancel", cmd_order_cancel},
    {"period", "close", cmd_period_close},
};
#define NSUBS (sizeof subs / sizeof subs[0])

/* 1 when GROUP has subcommands. */
static int is_group(const char *group)
{
    for (size_t i = 0; i < NSUBS; i++)
        if (strcmp(subs[i].group, group) == 0)
            return 1;
    return 0;
}

/* Dispatches "GROUP SUB ..." (product, employee, team, optout). */
static int sub_command(const char *group, int argc, char **argv)
{
    char list[128] = "";
    for (size_t i = 0, n = 0; i < NSUBS; i++)
        if (strcmp(subs[i].group, group) == 0)
            n +=
                (size_t)snprintf(list + n, sizeof list - n, "%s%s", n > 0 ? ", " : "", subs[i].sub);
    if (argc < 1)
        return fail(EXIT_INPUT, "%s: missing subcommand (%s; see ermctl --help)", group, list);
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        printf("usage: ermctl [--db CONNINFO] %s {%s} ...\n"
               "`ermctl %s SUBCOMMAND --help` tells more.\n",
               group, list, group);
        return 0;
    }
    for (size_t i = 0; i < NSUBS; i++)
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
    if (strcmp(cmd, "assign") == 0)
        return cmd_assign(rest, rargv);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(rest, rargv);
    if (strcmp(cmd, "ranking") == 0)
        return cmd_ranking(rest, rargv);
    if (is_group(cmd))
        return sub_command(cmd, rest, rargv);
    if (strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return 0;
    }
    return fail(EXIT_INPUT, "unknown command \"%s\" (see ermctl --help)", cmd);
}
