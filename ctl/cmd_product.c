/*
 * cmd_product.c: the product pool's commands: `ermctl product add|activate|retire|list|show`.
 */
#include "ctl/ctl_commands.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/codeplan.h"
#include "core/commission.h"
#include "core/money.h"
#include "ctl/cli.h"
#include "storage/pool.h"

/* ---- product add ------------------------------------------------------------------------ */

/* The text options go straight into the storage spec; the rest is checked into it. */
struct cmd_product_add_args {
    struct product_spec spec;
    const char *quota, *commission, *tier;
    struct commission_tier tiers[COMMISSION_MAX_TIERS];
};

/* Parses a quota: decimal digits only, 1..CODEPLAN_MAX_QUOTA. 0 or -EINVAL. */
static int cmd_product_parse_quota(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    if (s[0] == '\0' || strlen(s) > 7)
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

/* Parses --tier "51:8.00,101:10.00" into TIERS (COMMISSION_MAX_TIERS); CLI_CONTINUE, else
 * the exit status after the error line. */
static int cmd_product_parse_tiers(const char *text, struct commission_tier *tiers, size_t *n)
{
    *n = 0;
    for (const char *s = text; s != NULL && *s != '\0';) {
        char one[64];
        size_t len = strcspn(s, ",");
        snprintf(one, sizeof one, "%.*s", (int)(len < sizeof one ? len : sizeof one - 1), s);
        if (*n == COMMISSION_MAX_TIERS)
            return cli_fail(EXIT_INPUT, "--tier: at most %d tiers", COMMISSION_MAX_TIERS);
        if (len >= sizeof one || commission_tier_parse(one, &tiers[*n]) < 0)
            return cli_fail(
                EXIT_INPUT,
                "--tier: \"%.*s\" is not N:YUAN with N from 2 to 1000000 (e.g. 51:8.00)", (int)len,
                s);
        for (size_t i = 0; i < *n; i++)
            if (tiers[i].from_order == tiers[*n].from_order)
                return cli_fail(EXIT_INPUT, "--tier: %u given twice", tiers[i].from_order);
        ++*n;
        s += len + (s[len] == ',');
    }
    return CLI_CONTINUE;
}

static int cmd_product_add_check(struct ctl_call *call)
{
    struct cmd_product_add_args *a = call->args;
    struct product_spec *p = &a->spec;
    char err[1024];
    int rc, st;
    if (cmd_product_parse_quota(a->quota, &p->quota) < 0)
        return cli_fail(EXIT_INPUT, "--quota: \"%s\" is not a number from 1 to %u", a->quota,
                        CODEPLAN_MAX_QUOTA);
    rc = money_parse_yuan(a->commission, &p->commission_fen);
    if (rc == -ERANGE)
        return cli_fail(EXIT_INPUT, "--commission: \"%s\" is too large", a->commission);
    if (rc < 0)
        return cli_fail(EXIT_INPUT,
                        "--commission: \"%s\" is not an amount in yuan (like 5 or 5.00, at most "
                        "two decimals)",
                        a->commission);
    if ((st = cmd_product_parse_tiers(a->tier, a->tiers, &p->ntiers)) != CLI_CONTINUE)
        return st;
    p->tiers = a->tiers;
    if ((rc = product_check(p, err, sizeof err)) < 0)
        return cli_fail_rc(rc, err);
    return CLI_CONTINUE;
}

static int cmd_product_add_run(struct ctl_call *call)
{
    const struct product_spec *p = &((struct cmd_product_add_args *)call->args)->spec;
    char err[1024];
    int rc = stor_product_add(call->adm, p, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);

    char first[CODEPLAN_MAX_CODE_LEN + 1] = "?", last[CODEPLAN_MAX_CODE_LEN + 1] = "?";
    char money[32] = "?";
    codeplan_sms_code(p->code, p->quota, 1, first, sizeof first);
    codeplan_sms_code(p->code, p->quota, p->quota, last, sizeof last);
    money_format(p->commission_fen, money, sizeof money);
    printf("product %s added as a draft: %s, quota %" PRIu32 " (codes %s to %s), commission "
           "%s\n",
           p->code, p->name, p->quota, first, last, money);
    return 0;
}

#define ADD_FIELD(member) offsetof(struct cmd_product_add_args, member)

static const struct ctl_option cmd_product_add_opts[] = {
    {"code", "CODE", 1, "product code in the billing system (digits)", ADD_FIELD(spec.code)},
    {"name", "NAME", 1, "product name, as customers see it", ADD_FIELD(spec.name)},
    {"quota", "N", 1, "how many employee codes (1 to 9999999)", ADD_FIELD(quota)},
    {"commission", "YUAN", 1, "commission per order, e.g. 5.00", ADD_FIELD(commission)},
    {"intro", "TEXT", 1, "promo text forwarded by employees", ADD_FIELD(spec.intro)},
    {"fee", "TEXT", 0, "fee text, e.g. \"10 yuan/month\"", ADD_FIELD(spec.fee_text)},
    {"service", "NUMBER", 0, "service number customers text (default 10086)",
     ADD_FIELD(spec.service)},
    {"start", "YYYY-MM-DD", 0, "first day of the campaign", ADD_FIELD(spec.starts_on)},
    {"end", "YYYY-MM-DD", 0, "last day of the campaign", ADD_FIELD(spec.ends_on)},
    {"tier", "N:YUAN[,...]", 0,
     "from a holder's N-th order in a month on, YUAN per order (e.g. 51:8.00)", ADD_FIELD(tier)},
    {"cancel-days", "DAYS", 0, "days a customer may cancel by QX (0 to 366, default 7)",
     ADD_FIELD(spec.cancel_days)},
};
#undef ADD_FIELD

const struct ctl_command cmd_product_add = {
    .group = "product",
    .name = "add",
    .usage = "--code CODE --name NAME --quota N --commission YUAN --intro TEXT\n"
             "       [--fee TEXT] [--service NUMBER] [--start YYYY-MM-DD] [--end YYYY-MM-DD]\n"
             "       [--tier N:YUAN[,N:YUAN...]] [--cancel-days DAYS]",
    .summary = "put a product into the pool as a draft",
    .about = "Puts a product into the pool as a draft. Its code must not clash with\n"
             "another product's: a code that is a prefix of another with a different\n"
             "number of sequence digits could be read two ways.",
    CLI_OPTIONS(cmd_product_add_opts),
    .args_size = sizeof(struct cmd_product_add_args),
    .needs_db = 1,
    .check = cmd_product_add_check,
    .run = cmd_product_add_run,
};

/* ---- product activate, retire, show: one product by its code ------------------------------ */

struct cmd_product_code_args {
    const char *code;
};

/* The code must look like a product code before the database is asked. */
static int cmd_product_code_check(struct ctl_call *call)
{
    const struct cmd_product_code_args *a = call->args;
    char name[64];
    if (codeplan_check_product(a->code) < 0)
        return cli_fail(EXIT_INPUT, "%s: \"%s\" is not a product code",
                        cli_name(call->cmd, name, sizeof name), a->code);
    return CLI_CONTINUE;
}

/* What activate and retire differ by: the storage call and the answer's words,
 * "product CODE DONE" or "product CODE is already ALREADY". */
struct cmd_product_move {
    int (*move)(struct stor_admin *, const char *, int *, char *, size_t);
    const char *done, *already;
};

static int cmd_product_move_run(struct ctl_call *call)
{
    const struct cmd_product_code_args *a = call->args;
    const struct cmd_product_move *m = call->cmd->data;
    char err[1024];
    int was = 0;
    int rc = m->move(call->adm, a->code, &was, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    printf("product %s %s%s\n", a->code, was ? "is already " : "", was ? m->already : m->done);
    return 0;
}

static const struct cmd_product_move cmd_product_activation = {stor_product_activate, "activated",
                                                               "active"};
static const struct cmd_product_move cmd_product_retirement = {stor_product_retire, "retired",
                                                               "retired"};

/* What the rows of activate, retire and show share: one product by its code, checked before
 * the database is asked. */
#define PRODUCT_BY_CODE                                                                            \
    .group = "product", .usage = "CODE",                                                           \
    CLI_POSITIONAL("CODE", struct cmd_product_code_args, code),                                    \
    .args_size = sizeof(struct cmd_product_code_args), .needs_db = 1,                              \
    .check = cmd_product_code_check

const struct ctl_command cmd_product_activate = {
    PRODUCT_BY_CODE,
    .name = "activate",
    .summary = "make a draft product orderable",
    .about = "Activates a draft product: customers can order it from now on.",
    .run = cmd_product_move_run,
    .data = &cmd_product_activation,
};

const struct ctl_command cmd_product_retire = {
    PRODUCT_BY_CODE,
    .name = "retire",
    .summary = "stop a product's orders and claims",
    .about = "Retires a product: its codes take no more orders (customers are told it is\n"
             "not open) and no more claims. Claims and orders stay for the reports.",
    .run = cmd_product_move_run,
    .data = &cmd_product_retirement,
};

/* ---- product list ----------------------------------------------------------------------- */

static void cmd_product_print_line(void *arg, const struct stor_product_row *p)
{
    char money[32], claimed[32];
    (void)arg;
    snprintf(claimed, sizeof claimed, "%lld/%" PRIu32, p->claimed, p->quota);
    printf("%-8s  %-7s  %11s  %8lld  %10s  %s\n", p->code, p->status, claimed, p->orders,
           cli_yuan(p->commission_fen, money, sizeof money), p->name);
}

static int cmd_product_list_run(struct ctl_call *call)
{
    char err[1024];
    printf("%-8s  %-7s  %11s  %8s  %10s  %s\n", "CODE", "STATUS", "CLAIMED", "ORDERS", "COMMISSION",
           "NAME");
    int rc = stor_product_list(call->adm, cmd_product_print_line, NULL, err, sizeof err);
    return rc < 0 ? cli_fail_rc(rc, err) : 0;
}

const struct ctl_command cmd_product_list = {
    .group = "product",
    .name = "list",
    .usage = "",
    .summary = "the pool: claims, orders, commission",
    .about = "Lists the pool, one product a line: code, status, codes claimed of the\n"
             "quota, orders so far, commission per order (yuan), name.",
    .needs_db = 1,
    .run = cmd_product_list_run,
};

/* ---- product show ----------------------------------------------------------------------- */

/* Prints TEXT after LABEL, its later lines indented under the first. */
static void cmd_product_print_indented(const char *label, const char *text)
{
    printf("  %-10s", label);
    for (const char *p = text; *p != '\0'; p++) {
        putchar(*p);
        if (*p == '\n')
            printf("  %-10s", "");
    }
    putchar('\n');
}

static void cmd_product_print_detail(void *arg, const struct stor_product_row *p)
{
    char money[32], first[CODEPLAN_MAX_CODE_LEN + 1] = "?", last[CODEPLAN_MAX_CODE_LEN + 1] = "?";
    (void)arg;
    codeplan_sms_code(p->code, p->quota, 1, first, sizeof first);
    codeplan_sms_code(p->code, p->quota, p->quota, last, sizeof last);
    printf("product %s %s: %s\n", p->code, p->name, p->status);
    printf("  %-10scodes %s to %s, texted to %s; commission %s per order\n", "plan:", first, last,
           p->service, cli_yuan(p->commission_fen, money, sizeof money));
    if (p->starts_on == NULL && p->ends_on == NULL)
        printf("  %-10sno dates\n", "campaign:");
    else
        printf("  %-10s%s to %s\n", "campaign:", p->starts_on != NULL ? p->starts_on : "(open)",
               p->ends_on != NULL ? p->ends_on : "(open)");
    printf("  %-10s%lld of %" PRIu32 " used, %lld left\n", "claims:", p->claimed, p->quota,
           (long long)p->quota - p->claimed);
    printf("  %-10s%lld so far\n", "orders:", p->orders);
    cmd_product_print_indented("intro:", p->intro);
    cmd_product_print_indented("fee:", p->fee_text);
}

/* "sent", "2 sent, 1 opted out", "none": where a code's promo pushes are. */
static void cmd_product_push_state(const struct stor_holder_row *h, char *out, size_t cap)
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

static void cmd_product_print_holder(void *arg, const struct stor_holder_row *h)
{
    char push[128];
    int *first = arg;
    if (*first) {
        printf("holders:\n");
        *first = 0;
    }
    cmd_product_push_state(h, push, sizeof push);
    if (h->team)
        printf("  %-13s team %s (leader %s)", h->code, h->holder, h->name);
    else
        printf("  %-13s %s %s (%s%s%s)", h->code, h->holder, h->name, h->dept,
               h->dept[0] != '\0' && !h->active ? ", " : "", h->active ? "" : "deactivated");
    printf(", claimed %s, %lld order%s, promo push: %s\n", h->claimed_at, h->orders,
           h->orders == 1 ? "" : "s", push);
}

static int cmd_product_show_run(struct ctl_call *call)
{
    const struct cmd_product_code_args *a = call->args;
    char err[1024];
    int first = 1;
    int rc = stor_product_show(call->adm, a->code, cmd_product_print_detail,
                               cmd_product_print_holder, &first, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    if (first)
        printf("holders: none yet\n");
    return 0;
}

const struct ctl_command cmd_product_show = {
    PRODUCT_BY_CODE,
    .name = "show",
    .summary = "one product and who holds which code",
    .about = "Shows one product: its plan, campaign dates, claims used of the quota,\n"
             "orders so far, texts, and who holds which code: each holder's orders and\n"
             "where their promo push is (sent, queued, failed, not sent as opted out).",
    .run = cmd_product_show_run,
};
#undef PRODUCT_BY_CODE
