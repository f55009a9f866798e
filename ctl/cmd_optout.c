/*
 * cmd_optout.c: `ermctl optout list`, the numbers that texted TD.
 */
#include "ctl/ctl_commands.h"

#include <stdio.h>

#include "ctl/cli.h"
#include "storage/optout.h"

static void cmd_optout_print(void *arg, const char *msisdn, const char *at)
{
    (*(unsigned *)arg)++;
    printf("%-20s %s\n", msisdn, at);
}

static int cmd_optout_list_run(struct ctl_call *call)
{
    char err[1024];
    unsigned n = 0;
    int rc = stor_optout_list(call->adm, NULL, cmd_optout_print, &n, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    if (n == 0)
        printf("no opt-outs\n");
    return 0;
}

const struct ctl_command cmd_optout_list = {
    .group = "optout",
    .name = "list",
    .usage = "",
    .summary = "numbers that texted TD (no promo pushes)",
    .about = "Lists the numbers that texted TD or 退订, with when (oldest first): they get\n"
             "no promo pushes; confirmations and query replies still go to them.",
    .needs_db = 1,
    .run = cmd_optout_list_run,
};
