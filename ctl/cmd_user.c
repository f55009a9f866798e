/*
 * cmd_user.c: `ermctl user add`, a user of the web console (ermweb): a manager (of every
 * department, or of one with --dept) or an admin. The password is read from standard input
 * (one line), or, with --generate, made up here and printed once (a one-time password:
 * the console asks for a new one at the first login); only its Argon2id hash (libsodium)
 * is stored.
 */
#include "ctl/ctl_commands.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ctl/cli.h"
#include "storage/web_users.h"

#define USER_PW_MIN 10
#define USER_PW_MAX 200

struct cmd_user_args {
    const char *login, *role, *dept, *generate;
};

#define USER_FIELD(m) offsetof(struct cmd_user_args, m)

/* A one-time password of 16 characters from an alphabet without look-alikes. */
static void cmd_user_generate(char *pw, size_t cap)
{
    static const char abc[] = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY23456789";
    size_t n = cap - 1 < 16 ? cap - 1 : 16;
    for (size_t i = 0; i < n; i++)
        pw[i] = abc[randombytes_uniform(sizeof abc - 1)];
    pw[n] = '\0';
}

/* Reads the password: one line of standard input, USER_PW_MIN..USER_PW_MAX bytes. */
static int cmd_user_read(char *pw, size_t cap)
{
    if (fgets(pw, (int)cap, stdin) == NULL)
        return cli_fail(EXIT_INPUT, "password: none on standard input (or use --generate)");
    pw[strcspn(pw, "\r\n")] = '\0';
    size_t n = strlen(pw);
    if (n < USER_PW_MIN || n > USER_PW_MAX)
        return cli_fail(EXIT_INPUT, "password: %d to %d characters", USER_PW_MIN, USER_PW_MAX);
    return CLI_CONTINUE;
}

static int cmd_user_check(struct ctl_call *call)
{
    const struct cmd_user_args *a = call->args;
    if (!stor_web_login_ok(a->login))
        return cli_fail(EXIT_INPUT, "--login: 1 to %d characters of letters, digits, '.', '_', '-'",
                        WEB_LOGIN_MAX);
    if (strcmp(a->role, "admin") != 0 && strcmp(a->role, "manager") != 0)
        return cli_fail(EXIT_INPUT, "--role: \"%s\" is not admin or manager", a->role);
    if (a->dept != NULL && strcmp(a->role, "admin") == 0)
        return cli_fail(EXIT_INPUT, "--dept: an admin sees every department");
    return CLI_CONTINUE;
}

static int cmd_user_add_run(struct ctl_call *call)
{
    const struct cmd_user_args *a = call->args;
    char pw[USER_PW_MAX + 2], hash[crypto_pwhash_STRBYTES], err[1024];
    if (sodium_init() < 0)
        return cli_fail(EXIT_RUNTIME, "libsodium failed to initialise");
    if (a->generate != NULL)
        cmd_user_generate(pw, sizeof pw);
    else {
        int st = cmd_user_read(pw, sizeof pw);
        if (st != CLI_CONTINUE)
            return st;
    }
    if (crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return cli_fail(EXIT_RUNTIME, "password: out of memory hashing it");
    int rc = stor_web_user_add(call->adm, a->login, a->role, a->dept, hash, a->generate != NULL,
                               err, sizeof err);
    if (rc < 0) {
        sodium_memzero(pw, sizeof pw);
        return cli_fail_rc(rc, err);
    }
    printf("user %s added: %s of %s\n", a->login, a->role,
           a->dept != NULL ? a->dept : "every department");
    if (a->generate != NULL)
        printf("one-time password (shown once; to be changed at the first login): %s\n", pw);
    sodium_memzero(pw, sizeof pw);
    return 0;
}

static const struct ctl_option cmd_user_add_opts[] = {
    {"login", "LOGIN", 1, "the login (letters, digits, '.', '_', '-')", USER_FIELD(login)},
    {"role", "ROLE", 1, "admin or manager", USER_FIELD(role)},
    {"dept", "DEPT", 0, "a manager of this department only", USER_FIELD(dept)},
    {"generate", NULL, 0, "make up a password and print it once", USER_FIELD(generate)},
};

const struct ctl_command cmd_user_add = {
    .group = "user",
    .name = "add",
    .usage = "--login LOGIN --role admin|manager [--dept DEPT] [--generate]",
    .summary = "a user of the web console (ermweb)",
    .about = "Adds a user of the web console. The password is read from standard input (one\n"
             "line, 10 to 200 characters), or made up with --generate and printed once\n"
             "(a one-time password: the user must change it at the first login).\n"
             "A manager with --dept sees and acts on that department only.",
    CLI_OPTIONS(cmd_user_add_opts),
    .args_size = sizeof(struct cmd_user_args),
    .needs_db = 1,
    .check = cmd_user_check,
    .run = cmd_user_add_run,
};
