/*
 * command.c: the MO command parser. Customers and employees type on phones with Chinese
 * input methods, so the text is first normalised (full-width ASCII and the ideographic space
 * folded to ASCII, white space anywhere dropped, letters upper-cased) and only then matched
 * against the few commands ermgw knows. Pure functions, no I/O, no allocation.
 */
#include "core/command.h"

#include <errno.h>
#include <string.h>

#include "core/textcodec.h"

#define CMD_REPLACEMENT 0xFFFDu
/* Longest normalised text that can still be a command ("取消" + the longest code is 19
 * bytes); anything longer is CMD_UNKNOWN without being looked at further. */
#define CMD_NORM_CAP 64

/* What a keyword takes after it. */
enum cmd_argtype {
    CMD_ARG_NONE,    /* the keyword alone */
    CMD_ARG_PRODUCT, /* a product code (codeplan_check_product) */
    CMD_ARG_CODE,    /* an order code (cmd_is_order_code) */
};

static const struct {
    const char *word; /* normalised: upper case, no spaces */
    enum cmd_kind kind;
    enum cmd_argtype arg;
} cmd_keywords[] = {
    {"?", CMD_HELP, CMD_ARG_NONE},      {"HELP", CMD_HELP, CMD_ARG_NONE},
    {"BZ", CMD_HELP, CMD_ARG_NONE},     {"帮助", CMD_HELP, CMD_ARG_NONE},
    {"CX", CMD_QUERY, CMD_ARG_NONE},    {"查询", CMD_QUERY, CMD_ARG_NONE},
    {"TD", CMD_OPTOUT, CMD_ARG_NONE},   {"退订", CMD_OPTOUT, CMD_ARG_NONE},
    {"RL", CMD_CLAIM, CMD_ARG_PRODUCT}, {"认领", CMD_CLAIM, CMD_ARG_PRODUCT},
    {"QX", CMD_CANCEL, CMD_ARG_CODE},   {"取消", CMD_CANCEL, CMD_ARG_CODE},
};

#define CMD_KEYWORD_COUNT (sizeof cmd_keywords / sizeof cmd_keywords[0])

/* White space to drop: ASCII, NEL, no-break and typographic spaces, the ideographic space,
 * and the invisible zero-width characters some input methods leave behind. */
static int cmd_is_space(uint32_t cp)
{
    return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200D) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x2060 || cp == 0x3000 || cp == 0xFEFF;
}

/* One code point through the normalisation: full-width to ASCII, upper case, and the other
 * control characters (NUL among them) to U+FFFD so OUT stays one visible C string. */
static uint32_t cmd_fold(uint32_t cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        cp -= 0xFEE0;
    if (cp >= 'a' && cp <= 'z')
        cp -= 'a' - 'A';
    if (cp < 0x20 || cp == 0x7F)
        cp = CMD_REPLACEMENT;
    return cp;
}

int cmd_normalize(const char *text, size_t len, char *out, size_t cap)
{
    size_t pos = 0, n = 0;
    uint32_t cp;
    int rc;

    if (!out || (!text && len))
        return -EINVAL;
    while (pos < len) {
        if (text_utf8_next(text, len, &pos, &cp) < 0)
            cp = CMD_REPLACEMENT;
        if (cmd_is_space(cp))
            continue;
        rc = text_utf8_put(cmd_fold(cp), out, cap, &n);
        if (rc < 0)
            return rc;
    }
    if (n >= cap)
        return -ENOSPC;
    out[n] = '\0';
    return (int)n;
}

/* 1 when S is shaped like an order code: all ASCII digits, 3..CODEPLAN_MAX_CODE_LEN long.
 * Whether the code exists is the database's question. */
static int cmd_is_order_code(const char *s)
{
    size_t n = strspn(s, "0123456789");

    return s[n] == '\0' && n >= 3 && n <= CODEPLAN_MAX_CODE_LEN;
}

static void cmd_set(struct cmd *out, enum cmd_kind kind, const char *arg)
{
    out->kind = kind;
    out->arg[0] = '\0';
    if (arg) {
        /* callers checked the shape, so ARG is at most CODEPLAN_MAX_CODE_LEN digits */
        memcpy(out->arg, arg, strlen(arg) + 1);
    }
}

/* Matches the argument REST of a keyword; CMD_UNKNOWN when it does not fit the keyword. */
static void cmd_match_arg(struct cmd *out, enum cmd_kind kind, enum cmd_argtype type,
                          const char *rest)
{
    if (type == CMD_ARG_NONE && rest[0] == '\0')
        cmd_set(out, kind, NULL);
    else if (type == CMD_ARG_PRODUCT && codeplan_check_product(rest) == 0)
        cmd_set(out, kind, rest);
    else if (type == CMD_ARG_CODE && cmd_is_order_code(rest))
        cmd_set(out, kind, rest);
    else
        cmd_set(out, CMD_UNKNOWN, NULL);
}

/* Matches a normalised text S. */
static void cmd_match(const char *s, struct cmd *out)
{
    size_t i, n;

    if (s[0] == '\0') {
        cmd_set(out, CMD_EMPTY, NULL);
        return;
    }
    if (cmd_is_order_code(s)) {
        cmd_set(out, CMD_ORDER, s);
        return;
    }
    for (i = 0; i < CMD_KEYWORD_COUNT; i++) {
        n = strlen(cmd_keywords[i].word);
        if (strncmp(s, cmd_keywords[i].word, n) == 0) {
            cmd_match_arg(out, cmd_keywords[i].kind, cmd_keywords[i].arg, s + n);
            return;
        }
    }
    cmd_set(out, CMD_UNKNOWN, NULL);
}

void cmd_parse(const char *text, size_t len, struct cmd *out)
{
    char norm[CMD_NORM_CAP];

    if (!out)
        return;
    if (cmd_normalize(text, len, norm, sizeof norm) < 0) {
        cmd_set(out, CMD_UNKNOWN, NULL); /* too long to be a command, or NULL text */
        return;
    }
    cmd_match(norm, out);
}

void cmd_parse_mo(const char *service, const char *dest, const char *text, size_t len,
                  struct cmd *out)
{
    char ext[CODEPLAN_MAX_CODE_LEN + 1];
    int rc;

    if (!out)
        return;
    rc = codeplan_split_dest(service, dest, ext, sizeof ext);
    if (rc == 0)
        cmd_parse(text, len, out);
    else if (rc == 1 && cmd_is_order_code(ext))
        cmd_set(out, CMD_ORDER, ext);
    else
        cmd_set(out, CMD_UNKNOWN, NULL); /* not our number, or an extension too long */
}

const char *cmd_kind_name(enum cmd_kind kind)
{
    static const char *const names[] = {
        [CMD_EMPTY] = "empty",   [CMD_HELP] = "help",       [CMD_ORDER] = "order",
        [CMD_CLAIM] = "claim",   [CMD_QUERY] = "query",     [CMD_OPTOUT] = "optout",
        [CMD_CANCEL] = "cancel", [CMD_UNKNOWN] = "unknown",
    };

    if ((unsigned)kind >= sizeof names / sizeof names[0])
        return "invalid";
    return names[kind];
}
