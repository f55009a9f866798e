/*
 * cmd_period.c: the monthly ranking: `ermctl period close` (rank a month, restrict its
 * bottom share) and `ermctl ranking` (print it).
 */
#include "ctl/ctl_commands.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/textwidth.h"
#include "ctl/cli.h"
#include "storage/report.h"

#define RANKING_RULE                                                                               \
    "Holders (active employees and teams that held a code before the month ended) are\n"           \
    "ranked by the orders counted to them in the month (Asia/Shanghai time), cancelled\n"          \
    "orders not counted. With N holders, at most floor(N * BOTTOM / 100) are restricted:\n"        \
    "a holder is restricted only when they and every holder with as many orders or\n"              \
    "fewer fit within that number, so a tie at the boundary is spared as a whole (in\n"            \
    "the employee's favour). Restricted holders may not claim or be handed codes of\n"             \
    "new products during the next month; codes they hold keep working."

/* ---- period close ----------------------------------------------------------------------- */

struct cmd_period_close_args {
    const char *period, *bottom;
    int bottom_pct; /* checked from BOTTOM */
};

static int cmd_period_close_check(struct ctl_call *call)
{
    struct cmd_period_close_args *a = call->args;
    a->bottom_pct = 10;
    if (a->bottom != NULL) {
        char *end;
        long v = strtol(a->bottom, &end, 10);
        if (*end != '\0' || end == a->bottom || v < 0 || v > 100)
            return cli_fail(EXIT_INPUT, "--bottom: \"%s\" is not a percentage from 0 to 100",
                            a->bottom);
        a->bottom_pct = (int)v;
    }
    return CLI_CONTINUE;
}

static int cmd_period_close_run(struct ctl_call *call)
{
    const struct cmd_period_close_args *a = call->args;
    struct stor_period_close out = {0};
    char err[1024];
    int rc = stor_period_close(call->adm, a->period, a->bottom_pct, &out, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    printf("period %s %s: %d holders ranked, %d restricted (bottom %d%%)\n", a->period,
           out.already ? "was closed before" : "closed", out.holders, out.restricted,
           out.bottom_pct);
    return 0;
}

static const struct ctl_option cmd_period_close_opts[] = {
    {"bottom", "PERCENT", 0, "the share restricted (0 to 100, default 10)",
     offsetof(struct cmd_period_close_args, bottom)},
};

const struct ctl_command cmd_period_close = {
    .group = "period",
    .name = "close",
    .usage = "YYYY-MM [--bottom PERCENT]",
    .summary = "rank a month's holders, restrict the bottom",
    .about = "Closes a month that has ended: ranks its holders and restricts the bottom\n"
             "share for the next month. Closing it again changes nothing and prints the\n"
             "stored result.\n\n" RANKING_RULE,
    CLI_OPTIONS(cmd_period_close_opts),
    CLI_POSITIONAL("YYYY-MM", struct cmd_period_close_args, period),
    .args_size = sizeof(struct cmd_period_close_args),
    .needs_db = 1,
    .check = cmd_period_close_check,
    .run = cmd_period_close_run,
};

/* ---- ranking ---------------------------------------------------------------------------- */

struct cmd_period_ranking_args {
    const char *period;
};

static void cmd_period_print_rank(void *arg, const struct stor_rank_row *r)
{
    (void)arg;
    char name[128];
    textwidth_pad(r->name, 20, 0, name, sizeof name);
    printf("%5ld  %-10s %s %7ld%s\n", r->rank, r->holder, name, r->orders,
           r->restricted == 1 ? "  restricted" : "");
}

static int cmd_period_ranking_run(struct ctl_call *call)
{
    const struct cmd_period_ranking_args *a = call->args;
    char err[1024];
    int closed = 0;
    printf(" rank  holder     name                  orders\n");
    int rc =
        stor_ranking(call->adm, a->period, cmd_period_print_rank, NULL, &closed, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    if (!closed)
        printf("(period %s not closed: provisional)\n", a->period);
    return 0;
}

const struct ctl_command cmd_period_ranking = {
    .name = "ranking",
    .usage = "YYYY-MM",
    .summary = "a month's ranking, restricted holders marked",
    .about = "Prints a month's ranking: the stored one, with the restricted holders\n"
             "marked, once the month is closed; else the live (provisional) one.\n\n" RANKING_RULE,
    CLI_POSITIONAL("YYYY-MM", struct cmd_period_ranking_args, period),
    .args_size = sizeof(struct cmd_period_ranking_args),
    .needs_db = 1,
    .run = cmd_period_ranking_run,
};
