/*
 * cli.c: the helpers of every ermctl command: error exits, a command's help and option
 * parsing from its table row, the --db connection, yuan for the output.
 */
#include "ctl/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/money.h"
#include "storage/admin.h"
#include "storage/migrate.h"

static const char *cli_conninfo = ""; /* --db, "" = the PG* environment */

const char *cli_name(const struct ctl_command *cmd, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s", cmd->group != NULL ? cmd->group : "",
             cmd->group != NULL ? " " : "", cmd->name);
    return buf;
}

int cli_fail(int status, const char *fmt, ...)
{
    /* The line is escaped whole, here, once: its arguments hold what came from outside (a
     * CSV line, a name, an argument), whose newlines, ESC or invalid bytes would otherwise
     * forge lines or reach the operator's terminal. A longer message is cut. */
    char msg[4096], line[4 * sizeof msg];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    erm_log_escape(msg, len, line, sizeof line);
    fprintf(stderr, "ermctl: %s\n", line);
    return status;
}

int cli_fail_rc(int rc, const char *err)
{
    return cli_fail(stor_admin_input_error(rc) ? EXIT_INPUT : EXIT_RUNTIME, "%s", err);
}

void cli_usage(const struct ctl_command *cmd)
{
    char name[64];
    printf("usage: ermctl [--db CONNINFO] %s %s\n\n%s\n", cli_name(cmd, name, sizeof name),
           cmd->usage, cmd->about);
    if (cmd->nopts > 0)
        printf("\noptions:\n");
    for (size_t i = 0; i < cmd->nopts; i++) {
        const struct ctl_option *o = &cmd->opts[i];
        char left[64];
        snprintf(left, sizeof left, "--%s %s", o->name, o->meta != NULL ? o->meta : "");
        printf("  %-22s %s%s\n", left, o->help, o->required ? " (required)" : "");
    }
}

/* The const char * member of ARGS at FIELD. */
static const char **cli_field(void *args, size_t field)
{
    return (const char **)(void *)((char *)args + field);
}

static const struct ctl_option *cli_find_opt(const struct ctl_command *cmd, const char *name,
                                             size_t len)
{
    for (size_t i = 0; i < cmd->nopts; i++)
        if (strlen(cmd->opts[i].name) == len && strncmp(cmd->opts[i].name, name, len) == 0)
            return &cmd->opts[i];
    return NULL;
}

/* 1 when ARGV holds --help or -h. */
static int cli_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* Reads the option word ARGV[*I] (and its value, maybe the next word) into ARGS.
 * CLI_CONTINUE, or the exit status. */
static int cli_parse_opt(const struct ctl_command *cmd, const char *name, int argc, char **argv,
                         int *i, void *args)
{
    const char *a = argv[*i];
    const char *eq = strchr(a + 2, '=');
    size_t len = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
    const struct ctl_option *o = cli_find_opt(cmd, a + 2, len);
    if (o == NULL)
        return cli_fail(EXIT_INPUT, "%s: unknown option %.*s (see ermctl %s --help)", name,
                        (int)len + 2, a, name);
    const char **value = cli_field(args, o->field);
    if (*value != NULL)
        return cli_fail(EXIT_INPUT, "--%s: given twice", o->name);
    if (o->meta == NULL) {
        if (eq != NULL)
            return cli_fail(EXIT_INPUT, "--%s: takes no value", o->name);
        *value = "yes";
    } else if (eq != NULL) {
        *value = eq + 1;
    } else {
        if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0)
            return cli_fail(EXIT_INPUT, "--%s: needs a value (%s)", o->name, o->meta);
        *value = argv[++*i];
    }
    return CLI_CONTINUE;
}

int cli_parse(const struct ctl_command *cmd, int argc, char **argv, void *args)
{
    char name[64];
    int npos = 0, st;
    cli_name(cmd, name, sizeof name);
    if (cli_wants_help(argc, argv)) {
        cli_usage(cmd);
        return 0;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
            if ((st = cli_parse_opt(cmd, name, argc, argv, &i, args)) != CLI_CONTINUE)
                return st;
            continue;
        }
        if (cmd->pos_meta == NULL || npos > 0)
            return cli_fail(EXIT_INPUT, "%s: unexpected argument \"%s\" (see ermctl %s --help)",
                            name, a, name);
        *cli_field(args, cmd->pos_field) = a;
        npos++;
    }
    for (size_t i = 0; i < cmd->nopts; i++)
        if (cmd->opts[i].required && *cli_field(args, cmd->opts[i].field) == NULL)
            return cli_fail(EXIT_INPUT, "--%s: missing (see ermctl %s --help)", cmd->opts[i].name,
                            name);
    if (cmd->pos_meta != NULL && npos == 0)
        return cli_fail(EXIT_INPUT, "%s: missing %s (see ermctl %s --help)", name, cmd->pos_meta,
                        name);
    return CLI_CONTINUE;
}

void cli_set_conninfo(const char *conninfo)
{
    cli_conninfo = conninfo;
}

int cli_open(struct stor_admin **adm, char *err, size_t errlen)
{
    return stor_admin_connect(cli_conninfo, adm, err, errlen);
}

int cli_connect(struct stor_admin **adm)
{
    char err[1024];
    int rc = cli_open(adm, err, sizeof err);
    return rc < 0 ? cli_fail_rc(rc, err) : CLI_CONTINUE;
}

int cli_schema_current(struct stor_admin *adm)
{
    /* Off only for tests that build an old schema's history with today's ermctl. */
    const char *off = getenv("ERMCTL_SCHEMA_CHECK");
    if (off != NULL && strcmp(off, "off") == 0)
        return CLI_CONTINUE;
    char err[1024];
    int rc = stor_migrate_check(adm, NULL, err, sizeof err);
    return rc < 0 ? cli_fail(EXIT_RUNTIME, "%s", err) : CLI_CONTINUE;
}

const char *cli_yuan(int64_t fen, char *buf, size_t cap)
{
    if (money_format(fen, buf, cap) < 0)
        snprintf(buf, cap, "?");
    return buf;
}
