/*
 * cmd_schema.c: `ermctl migrate`, the schema's pending migrations.
 */
#include "ctl/ctl_commands.h"

#include <stddef.h>
#include <stdio.h>

#include "ctl/cli.h"
#include "storage/migrate.h"

struct cmd_schema_migrate_args {
    const char *schema;
};

static void cmd_schema_print_applied(void *arg, const char *version)
{
    (void)arg;
    printf("applied %s\n", version);
    fflush(stdout);
}

static int cmd_schema_migrate_run(struct ctl_call *call)
{
    const struct cmd_schema_migrate_args *a = call->args;
    char err[1024];
    int rc =
        stor_migrate_run(call->adm, a->schema, cmd_schema_print_applied, NULL, err, sizeof err);
    if (rc < 0)
        return cli_fail_rc(rc, err);
    if (rc == 0)
        printf("schema up to date\n");
    return 0;
}

static const struct ctl_option cmd_schema_migrate_opts[] = {
    {"schema", "DIR", 0, "directory of the NNN_name.sql migrations",
     offsetof(struct cmd_schema_migrate_args, schema)},
};

const struct ctl_command cmd_schema_migrate = {
    .name = "migrate",
    .usage = "[--schema DIR]",
    .summary = "apply the pending schema migrations",
    .about = "Applies the migrations not yet applied, in order, each in its own\n"
             "transaction. Default directory: the source tree's schema/ when present,\n"
             "else the installed one.",
    CLI_OPTIONS(cmd_schema_migrate_opts),
    .args_size = sizeof(struct cmd_schema_migrate_args),
    .needs_db = 1,
    .run = cmd_schema_migrate_run,
};
