/*
 * fuzz_command.c: libFuzzer target for the MO text parser: cmd_normalize, cmd_parse and
 * cmd_parse_mo on any bytes (valid UTF-8 or not), with a destination address taken from
 * the input. Checks what the parser promises: normalising what is already normalised
 * changes nothing, an order or claim argument is digits only, and the kind has a name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts (a crash for libFuzzer) when COND does not hold. */
static void fuzz_cmd_check(int cond)
{
    if (!cond)
        abort();
}

static void fuzz_cmd_check_arg(const struct cmd *c)
{
    fuzz_cmd_check(strcmp(cmd_kind_name(c->kind), "invalid") != 0);
    for (const char *p = c->arg; *p != '\0'; p++)
        fuzz_cmd_check(*p >= '0' && *p <= '9');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char norm[4096], again[4096];
    char dest[21];
    struct cmd c;
    /* the first byte: how many of the next bytes are the destination address */
    size_t dl = size > 0 ? data[0] % sizeof dest : 0;
    if (size > 0) {
        data++;
        size--;
    }
    if (dl > size)
        dl = size;
    memcpy(dest, data, dl);
    dest[dl] = '\0';
    const char *text = (const char *)data + dl;
    size_t len = size - dl;

    int n = cmd_normalize(text, len, norm, sizeof norm);
    if (n >= 0) {
        fuzz_cmd_check((size_t)n == strlen(norm));
        int m = cmd_normalize(norm, (size_t)n, again, sizeof again);
        fuzz_cmd_check(m == n && memcmp(norm, again, (size_t)n) == 0);
    }
    cmd_parse(text, len, &c);
    fuzz_cmd_check_arg(&c);
    cmd_parse_mo("10086", dest, text, len, &c);
    fuzz_cmd_check_arg(&c);
    return 0;
}
