/*
 * cmd_order.c: `ermctl order cancel`, a manager's cancellation of an order.
 */
#include "ctl/ctl_commands.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl/cli.h"
#include "storage/report.h"

struct cmd_order_cancel_args {
    const char *id, *reason;
};

/* Bad input is bad input even with the database down: checked before connecting. */
static int cmd_order_cancel_check(struct ctl_call *call)
{
    const struct cmd_order_cancel_args *a = call->args;
    char err[1024];
    int rc = stor_order_cancel_check(a->id, a->reason, err, sizeof err);
    return rc < 0 ? cli_fail(EXIT_INPUT, "%s", err) : CLI_CONTINUE;
}

static int cmd_order_cancel_run(struct ctl_call *call)
{
    const struct cmd_order_cancel_args *a = call->args;
    char err[1024], money[32];
    int64_t fen = 0;
    int rc = stor_order_cancel(call->adm, a->id, a->reason, &fen, err, sizeof err);
    if (rc == -EALREADY)
        return cli_fail(EXIT_INPUT, "%s", err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    printf("order %s cancelled; commission %s reversed\n", a->id,
           cli_yuan(fen, money, sizeof money));
    return 0;
}

static const struct ctl_option cmd_order_cancel_opts[] = {
    {"reason", "TEXT", 1, "why (kept with the order)",
     offsetof(struct cmd_order_cancel_args, reason)},
};

const struct ctl_command cmd_order_cancel = {
    .group = "order",
    .name = "cancel",
    .usage = "ID --reason TEXT",
    .summary = "cancel an order; its commission is reversed",
    .about = "Cancels an order: the order stays in the history, marked cancelled, and its\n"
             "commission is reversed by a new (negative) ledger entry; the holder is told.\n"
             "No time limit here (customers have the product's window, QX by SMS).",
    CLI_OPTIONS(cmd_order_cancel_opts),
    CLI_POSITIONAL("ID", struct cmd_order_cancel_args, id),
    .args_size = sizeof(struct cmd_order_cancel_args),
    .needs_db = 1,
    .check = cmd_order_cancel_check,
    .run = cmd_order_cancel_run,
};
