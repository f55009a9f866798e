/*
 * ermctl.c: the administration tool of ermgw. Migrates the schema, runs the product pool,
 * registers (and imports) employees, builds virtual teams and hands out codes with their
 * promo pushes, against the same database as the daemon (--db CONNINFO, or the PG*
 * environment variables).
 *
 * This file holds main and the command table: one row per command (ctl/cli.h's struct
 * ctl_command, defined in the family's ctl/cmd_*.c), which drives the dispatch and writes
 * `ermctl --help` and `ermctl GROUP --help`; `ermctl ... NAME --help` comes from the row's
 * options (cli_usage).
 *
 * Output contract: success lines on stdout, one per result; a failure is ONE line on stderr
 * starting "ermctl: ". Exit status 0 success, 1 runtime failure (database unreachable, SQL
 * error), 2 bad input (usage, an invalid or unknown value, a duplicate, a clash, an
 * exhausted quota); on a failure nothing is written to the database. Input is checked
 * before connecting (a row's check step runs before the dispatcher opens the database), so
 * bad input is reported as such even when the database is down. One exception to the one
 * line: `employee import` lists every bad line of the file, one "ermctl: FILE:LINE: reason"
 * line each, then its verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/cli.h"
#include "ctl/ctl_commands.h"
#include "storage/admin.h"
#include "version.h"

/* Every command, in the order of `ermctl --help`. */
static const struct ctl_command *const ctl_table[] = {
    &cmd_schema_migrate,
    &cmd_product_add,
    &cmd_product_activate,
    &cmd_product_retire,
    &cmd_product_list,
    &cmd_product_show,
    &cmd_people_employee_add,
    &cmd_people_employee_import,
    &cmd_people_employee_deactivate,
    &cmd_people_team_create,
    &cmd_people_team_add,
    &cmd_handout_assign,
    &cmd_handout_claim,
    &cmd_optout_list,
    &cmd_order_cancel,
    &cmd_period_close,
    &cmd_period_ranking,
    &cmd_report,
    &cmd_user_add,
};
#define CTL_NCOMMANDS CLI_COUNT(ctl_table)

/* ---- help ------------------------------------------------------------------------------- */

/* The command's line(s) in the list of `ermctl --help`: its words and usage, then its
 * summary in the column of the others, or under them when they are too long. */
static void ctl_list_command(const struct ctl_command *cmd)
{
    char name[64];
    const char *u = cmd->usage;
    size_t len = strlen(cli_name(cmd, name, sizeof name)) + (u[0] != '\0' ? 1 + strlen(u) : 0);
    int one_line = strchr(u, '\n') == NULL && len < 32;
    printf("  %s%s", name, u[0] != '\0' ? " " : "");
    for (; *u != '\0'; u++) {
        putchar(*u);
        if (*u == '\n') /* the usage's later lines, indented as the list is */
            fputs("  ", stdout);
    }
    if (one_line)
        printf("%*s%s\n", (int)(32 - len), "", cmd->summary);
    else
        printf("\n  %-32s%s\n", "", cmd->summary);
}

static void ctl_usage_main(void)
{
    printf("usage: ermctl [--db CONNINFO] COMMAND [OPTIONS]\n"
           "\n"
           "Administers the ermgw database: schema, product pool, employees, codes.\n"
           "\n"
           "commands:\n");
    for (size_t i = 0; i < CTL_NCOMMANDS; i++)
        ctl_list_command(ctl_table[i]);
    printf("\n"
           "options:\n"
           "  --db CONNINFO   libpq connection string or URI (default: the PG* environment\n"
           "                  variables, like the daemon with an empty conninfo)\n"
           "  --help          this text; `ermctl COMMAND --help` for one command\n"
           "  --version       print the version\n"
           "\n"
           "Exit status: 0 done, 1 runtime failure (e.g. database unreachable), 2 bad input.\n");
}

/* ---- dispatch --------------------------------------------------------------------------- */

/* Runs CMD on ARGV (the words after its own): parse, check, connect when the row needs the
 * database, run. Returns the exit status. */
static int ctl_run(const struct ctl_command *cmd, int argc, char **argv)
{
    struct ctl_call call = {cmd, calloc(1, cmd->args_size > 0 ? cmd->args_size : 1), NULL};
    int st = call.args == NULL ? cli_fail(EXIT_RUNTIME, "out of memory")
                               : cli_parse(cmd, argc, argv, call.args);
    if (st == CLI_CONTINUE && cmd->check != NULL)
        st = cmd->check(&call);
    if (st == CLI_CONTINUE && cmd->needs_db)
        st = cli_connect(&call.adm);
    /* every command but migrate itself needs the schema this ermctl was built with */
    if (st == CLI_CONTINUE && cmd->needs_db && cmd != &cmd_schema_migrate)
        st = cli_schema_current(call.adm);
    if (st == CLI_CONTINUE)
        st = cmd->run(&call);
    stor_admin_close(call.adm);
    free(call.args);
    return st;
}

/* 1 when GROUP has subcommands. */
static int ctl_is_group(const char *group)
{
    for (size_t i = 0; i < CTL_NCOMMANDS; i++)
        if (ctl_table[i]->group != NULL && strcmp(ctl_table[i]->group, group) == 0)
            return 1;
    return 0;
}

/* Dispatches "GROUP SUB ..." (product, employee, team, optout, order, period). */
static int ctl_run_group(const char *group, int argc, char **argv)
{
    const struct ctl_command *sub = NULL;
    char list[128] = "";
    for (size_t i = 0, n = 0; i < CTL_NCOMMANDS; i++) {
        const struct ctl_command *c = ctl_table[i];
        if (c->group == NULL || strcmp(c->group, group) != 0)
            continue;
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n > 0 ? ", " : "", c->name);
        if (argc > 0 && strcmp(c->name, argv[0]) == 0)
            sub = c;
    }
    if (argc < 1)
        return cli_fail(EXIT_INPUT, "%s: missing subcommand (%s; see ermctl --help)", group, list);
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        printf("usage: ermctl [--db CONNINFO] %s {%s} ...\n"
               "`ermctl %s SUBCOMMAND --help` tells more.\n",
               group, list, group);
        return 0;
    }
    if (sub != NULL)
        return ctl_run(sub, argc - 1, argv + 1);
    return cli_fail(EXIT_INPUT, "%s: unknown subcommand \"%s\" (%s)", group, argv[0], list);
}

/* Dispatches the command word CMD and the words after it. */
static int ctl_run_word(const char *cmd, int argc, char **argv)
{
    for (size_t i = 0; i < CTL_NCOMMANDS; i++)
        if (ctl_table[i]->group == NULL && strcmp(ctl_table[i]->name, cmd) == 0)
            return ctl_run(ctl_table[i], argc, argv);
    if (ctl_is_group(cmd))
        return ctl_run_group(cmd, argc, argv);
    if (strcmp(cmd, "help") == 0) {
        ctl_usage_main();
        return 0;
    }
    return cli_fail(EXIT_INPUT, "unknown command \"%s\" (see ermctl --help)", cmd);
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && strncmp(argv[i], "-", 1) == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            ctl_usage_main();
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            printf("ermctl %s\n", ERM_VERSION);
            return 0;
        }
        if (strncmp(a, "--db=", 5) == 0) {
            cli_set_conninfo(a + 5);
        } else if (strcmp(a, "--db") == 0) {
            if (i + 1 >= argc)
                return cli_fail(EXIT_INPUT, "--db: needs a value (CONNINFO)");
            cli_set_conninfo(argv[++i]);
        } else {
            return cli_fail(EXIT_INPUT, "unknown option %s (see ermctl --help)", a);
        }
    }
    if (i >= argc)
        return cli_fail(EXIT_INPUT, "missing command (see ermctl --help)");
    return ctl_run_word(argv[i], argc - i - 1, argv + i + 1);
}
