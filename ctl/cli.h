/*
 * cli.h: what every ermctl command uses: the shape of a row of the command table (options
 * read into named fields of the command's own argument struct), the error exits, option
 * parsing and the command's help, and the connection to the --db database.
 *
 * The command files (ctl/cmd_*.c) include this and define their rows; ctl/ermctl.c lists
 * the rows in one table and runs them (ctl_commands.h). Nothing here includes a command
 * file, so neither calls back into the other.
 *
 * Output contract: success lines on stdout, a failure is ONE line on stderr starting
 * "ermctl: " (cli_fail); exit status 0 done, EXIT_RUNTIME, EXIT_INPUT.
 */
#ifndef ERM_CLI_H
#define ERM_CLI_H

#include <stddef.h>
#include <stdint.h>

struct stor_admin;

#define EXIT_RUNTIME 1 /* database unreachable, SQL error, out of memory */
#define EXIT_INPUT   2 /* usage, an invalid or unknown value, a duplicate, a clash, ... */

/* What a step returns to go on; any other value is the exit status (the line printed). */
#define CLI_CONTINUE (-1)

/* One --name VALUE option of a command: parsed into the const char * member at FIELD
 * (offsetof) of the command's argument struct, pointing into argv; NULL when not given,
 * "yes" for a flag. */
struct ctl_option {
    const char *name; /* without the dashes */
    const char *meta; /* value placeholder in the help; NULL: a flag without value */
    int required;
    const char *help;
    size_t field;
};

/* The number of elements of ARRAY. */
#define CLI_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* A row's options (the array ARRAY) and its positional argument (META, read into MEMBER of
 * the args struct TYPE), as designated initializers of a struct ctl_command. */
#define CLI_OPTIONS(array)                 .opts = (array), .nopts = CLI_COUNT(array)
#define CLI_POSITIONAL(meta, type, member) .pos_meta = (meta), .pos_field = offsetof(type, member)

struct ctl_command;

/* One run of a command: its row, its argument struct (options and positional filled in),
 * and the connection (NULL until the dispatcher opens it, and for rows without needs_db).
 * The dispatcher owns ARGS and ADM and frees them after RUN. */
struct ctl_call {
    const struct ctl_command *cmd;
    void *args;
    struct stor_admin *adm;
};

/* A row of the command table: `ermctl [--db CONNINFO] [GROUP] NAME ...`. The dispatcher
 * (ctl/ermctl.c) parses the arguments into a zeroed struct of ARGS_SIZE bytes, calls CHECK
 * (input checks, without the database), then opens the database when NEEDS_DB, then RUN.
 * So bad input is reported as bad input (exit 2) even when the database is down. */
struct ctl_command {
    const char *group; /* "product", or NULL for a command of its own ("migrate") */
    const char *name;  /* "add" */
    const char
        *usage; /* after the name: "[--schema DIR]", "" for none; "\n       " between lines */
    const char *summary; /* one line, in `ermctl --help` */
    const char *about;   /* the paragraph of `ermctl ... --help` */
    const struct ctl_option *opts;
    size_t nopts;
    const char *pos_meta; /* the one positional argument ("CODE"), or NULL for none */
    size_t pos_field;     /* ... read into this const char * member of the args */
    size_t args_size;     /* sizeof the command's argument struct */
    int needs_db;
    /* CLI_CONTINUE, or the exit status after the error line; NULL: nothing to check. */
    int (*check)(struct ctl_call *call);
    int (*run)(struct ctl_call *call); /* the exit status */
    const void *data;                  /* what rows sharing CHECK/RUN differ by, or NULL */
};

/* "product add": the row's words, into BUF. Returns BUF. */
const char *cli_name(const struct ctl_command *cmd, char *buf, size_t cap);

/* Prints "ermctl: " FMT "\n" on stderr, the message escaped by erm_log_escape() (control
 * characters, invalid UTF-8, C1 and bidirectional controls shown as \xNN or \u{NNNN}):
 * always one line. Returns STATUS. */
__attribute__((format(printf, 2, 3))) int cli_fail(int status, const char *fmt, ...);

/* Prints ERR (from storage/) and returns its exit status: EXIT_INPUT when RC is the input's
 * fault (stor_admin_input_error), else EXIT_RUNTIME. */
int cli_fail_rc(int rc, const char *err);

/* Prints the command's help on stdout: usage, about, its options. */
void cli_usage(const struct ctl_command *cmd);

/* Parses ARGV (the words after the command's) into ARGS, as CMD's options and positional
 * say. --help or -h anywhere prints the help. CLI_CONTINUE, or the exit status. */
int cli_parse(const struct ctl_command *cmd, int argc, char **argv, void *args);

/* The --db CONNINFO ("" = the PG* environment variables); the string stays the caller's. */
void cli_set_conninfo(const char *conninfo);

/* Connects to the --db database: 0 with *ADM the caller's (stor_admin_close), or a
 * negative errno with ERR. */
int cli_open(struct stor_admin **adm, char *err, size_t errlen);

/* cli_open, a failure printed: CLI_CONTINUE, or the exit status. */
int cli_connect(struct stor_admin **adm);
/* CLI_CONTINUE when every migration this ermctl knows is applied on ADM; else the error line
 * ("... run ermctl migrate") and EXIT_RUNTIME. */
int cli_schema_current(struct stor_admin *adm);

/* "5.00" for FEN, or "?" for an amount money_format() refuses; into BUF, returned. */
const char *cli_yuan(int64_t fen, char *buf, size_t cap);

#endif
