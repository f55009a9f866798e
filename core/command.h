/*
 * command.h: the MO command parser. Text in (UTF-8, already decoded from the PDU), one
 * command out. Normalisation: full-width ASCII (U+FF01..U+FF5E) and the ideographic space
 * (U+3000) become ASCII, white space anywhere is dropped, letters are upper-cased.
 * Pure functions, no I/O, no allocation.
 */
#ifndef ERM_COMMAND_H
#define ERM_COMMAND_H

#include <stddef.h>

#include "core/codeplan.h"

enum cmd_kind {
    CMD_EMPTY = 0, /* nothing but white space */
    CMD_HELP,      /* 帮助, BZ, HELP, ? */
    CMD_ORDER,     /* all digits: an SMS code, e.g. 10001; arg = the code */
    CMD_CLAIM,     /* RL10, RL 10, 认领10; arg = the product code */
    CMD_QUERY,     /* CX, 查询 */
    CMD_OPTOUT,    /* TD, 退订 */
    CMD_CANCEL,    /* QX10001; arg = the code */
    CMD_UNKNOWN,   /* anything else */
};

struct cmd {
    enum cmd_kind kind;
    char arg[CODEPLAN_MAX_CODE_LEN + 1]; /* digits only, "" when the kind takes none */
};

/* Normalises UTF-8 TEXT of LEN bytes into OUT (caller's buffer, CAP bytes, NUL-terminated):
 * full-width to ASCII, white space removed, upper-case. Invalid UTF-8 bytes are kept as
 * U+FFFD. Returns the length written, or -ENOSPC when OUT is too small. */
int cmd_normalize(const char *text, size_t len, char *out, size_t cap);

/* Parses an MO sent to the service number. Never fails: garbage is CMD_UNKNOWN, a digit
 * string longer than CODEPLAN_MAX_CODE_LEN is CMD_UNKNOWN. */
void cmd_parse(const char *text, size_t len, struct cmd *out);

/* Parses an MO as received: when DEST is SERVICE plus an extension (a phone code routed to
 * the bind), the extension is the order code whatever the text says; otherwise as cmd_parse.
 * A DEST that is neither gives CMD_UNKNOWN. */
void cmd_parse_mo(const char *service, const char *dest, const char *text, size_t len,
                  struct cmd *out);

/* Static English name of KIND ("order", "help", ...) for logs. */
const char *cmd_kind_name(enum cmd_kind kind);

#endif
