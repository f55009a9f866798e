/*
 * command.h: the MO command parser. Text in (UTF-8, already decoded from the PDU), one
 * command out. Normalisation: full-width ASCII (U+FF01..U+FF5E) and the ideographic space
 * (U+3000) become ASCII, white space anywhere is dropped, letters are upper-cased.
 * Pure functions, no I/O, no allocation.
 *
 * The commands, matched on the normalised text as a whole (nothing may follow or precede):
 *   CMD_ORDER   3..CODEPLAN_MAX_CODE_LEN ASCII digits, nothing else ("10001", "１０００１");
 *               a longer or shorter digit string is CMD_UNKNOWN. Whether the code exists is
 *               for the database to say.
 *   CMD_HELP    "?", "HELP", "BZ", "帮助" (so also "？", "help", "ｂｚ").
 *   CMD_CLAIM   "RL" or "认领" then a product code (1..8 digits, no leading 0): "RL10",
 *               "rl 10", "认领 １０"; "RL" alone or "RL0" is CMD_UNKNOWN.
 *   CMD_QUERY   "CX", "查询".   CMD_OPTOUT  "TD", "退订".
 *   CMD_CANCEL  "QX" or "取消" then an order code: "QX10001".
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
 * full-width to ASCII, white space removed, upper-case (ASCII letters only). White space
 * is ASCII's, U+0085, U+00A0, U+1680, U+2000..U+200D, U+2028/9, U+202F, U+205F, U+2060,
 * U+3000 and U+FEFF. Invalid UTF-8 bytes, and control characters other than white space
 * (NUL included), are kept as U+FFFD. Returns the length written, -ENOSPC when OUT is too
 * small, -EINVAL for a NULL buffer. */
int cmd_normalize(const char *text, size_t len, char *out, size_t cap);

/* Parses an MO sent to the service number into OUT (the caller's). Never fails: garbage is
 * CMD_UNKNOWN, a digit string longer than CODEPLAN_MAX_CODE_LEN is CMD_UNKNOWN, white space
 * only (or LEN 0) is CMD_EMPTY, a NULL TEXT with LEN > 0 is CMD_UNKNOWN. */
void cmd_parse(const char *text, size_t len, struct cmd *out);

/* Parses an MO as received: when DEST is SERVICE plus an extension (a phone code routed to
 * the bind), the extension is the order code whatever the text says (CMD_ORDER when it has
 * the order code's shape, else CMD_UNKNOWN); otherwise as cmd_parse. A DEST that is neither
 * (or a NULL one) gives CMD_UNKNOWN. */
void cmd_parse_mo(const char *service, const char *dest, const char *text, size_t len,
                  struct cmd *out);

/* Static English name of KIND for logs: "empty", "help", "order", "claim", "query",
 * "optout", "cancel", "unknown"; "invalid" for a value outside the enum. */
const char *cmd_kind_name(enum cmd_kind kind);

#endif
