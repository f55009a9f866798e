/*
 * cmd_handout.c: codes to their holders: `ermctl claim` (one employee, no push) and
 * `ermctl assign` (the hand-out, 派发, with the promo pushes).
 */
#include "ctl/ctl_commands.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include "ctl/cli.h"
#include "storage/handout.h"

/* ---- claim ------------------------------------------------------------------------------ */

struct cmd_handout_claim_args {
    const char *product, *employee;
};

static int cmd_handout_claim_run(struct ctl_call *call)
{
    const struct cmd_handout_claim_args *a = call->args;
    struct stor_claim cl;
    char err[1024];
    int rc = stor_handout_claim(call->adm, a->product, a->employee, &cl, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    printf("sms code %s, phone code %s (product %s, employee %s)\n", cl.sms_code, cl.phone_code,
           cl.product, cl.employee);
    return 0;
}

static const struct ctl_option cmd_handout_claim_opts[] = {
    {"product", "CODE", 1, "product code", offsetof(struct cmd_handout_claim_args, product)},
    {"employee", "ID", 1, "employee id", offsetof(struct cmd_handout_claim_args, employee)},
};

const struct ctl_command cmd_handout_claim = {
    .name = "claim",
    .usage = "--product CODE --employee ID",
    .summary = "give an employee their code (no push)",
    .about = "Gives the employee the next code of the product (draft or active), or the\n"
             "code they already hold, without a promo push (assign --employee pushes).\n"
             "Prints one line:\n"
             "  sms code 10001, phone code 1008610001 (product 10, employee E001)",
    CLI_OPTIONS(cmd_handout_claim_opts),
    .args_size = sizeof(struct cmd_handout_claim_args),
    .needs_db = 1,
    .run = cmd_handout_claim_run,
};

/* ---- assign ----------------------------------------------------------------------------- */

static void cmd_handout_print_assign_row(const struct stor_assign_row *r)
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
    else if (r->outcome == STOR_ASSIGN_RESTRICTED)
        printf("%s: refused, barred by last period's ranking\n", who);
    else
        printf("%s: refused, the quota is used up\n", who);
}

/* The arguments are the storage's spec itself. */
static int cmd_handout_assign_run(struct ctl_call *call)
{
    const struct stor_assign_spec *spec = call->args;
    struct stor_assign_result res;
    char err[1024];
    int rc = stor_handout_assign(call->adm, spec, &res, err, sizeof err);
    if (rc < 0) {
        stor_handout_free(&res);
        return cli_fail_rc(rc, err);
    }
    for (size_t i = 0; i < res.n; i++)
        cmd_handout_print_assign_row(&res.rows[i]);
    char refused[96] = "";
    if (res.refused > res.restricted)
        snprintf(refused, sizeof refused, " (all %" PRIu32 " codes claimed)", res.quota);
    else if (res.restricted > 0)
        snprintf(refused, sizeof refused, " (barred by last period's ranking)");
    printf("product %s: %u assigned, %u skipped (already held), %u refused%s; %u promo push%s "
           "queued, %u not sent (opted out)\n",
           spec->product, res.assigned, res.skipped, res.refused, refused, res.queued,
           res.queued == 1 ? "" : "es", res.optout);
    stor_handout_free(&res);
    return 0;
}

static const struct ctl_option cmd_handout_assign_opts[] = {
    {"product", "CODE", 1, "the product (active)", offsetof(struct stor_assign_spec, product)},
    {"dept", "DEPT", 0, "every active employee of the department",
     offsetof(struct stor_assign_spec, dept)},
    {"team", "NAME", 0, "a virtual team", offsetof(struct stor_assign_spec, team)},
    {"employee", "ID", 0, "one employee", offsetof(struct stor_assign_spec, employee)},
};

const struct ctl_command cmd_handout_assign = {
    .name = "assign",
    .usage = "--product CODE (--dept DEPT | --team NAME | --employee ID)",
    .summary = "hand out codes and queue their promo pushes",
    .about = "Hands out codes (派发): each holder without a code of the product gets its\n"
             "own, and its promo push is queued (to each member of a team; numbers that\n"
             "opted out are left out). Holders that have one are skipped. At the quota\n"
             "it stops cleanly: the holders after it are refused. One line per holder,\n"
             "then the counts.",
    CLI_OPTIONS(cmd_handout_assign_opts),
    .args_size = sizeof(struct stor_assign_spec),
    .needs_db = 1,
    .run = cmd_handout_assign_run,
};
