/*
 * fuzz_concat.c: libFuzzer target for the parts of long MOs (core/concat.c), which come from
 * the SMSC: the first byte is esm_class, the rest a short message whose UDH concat_from_udh
 * reads; the first four bytes also feed concat_from_sar, and the message, cut in pieces,
 * concat_join. Checks: the UDH's length lies inside the message, a part's numbers are
 * 1..total with total at least 2, a refusal says a whole message with nothing skipped, and
 * a join never writes past its buffer and keeps to its length.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/concat.h"

#define FUZZ_CONCAT_PARTS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_concat_check(int cond)
{
    if (!cond)
        abort();
}

static void fuzz_concat_info_ok(int rc, const struct concat_info *info, size_t len)
{
    if (rc < 0) {
        fuzz_concat_check(rc == -EINVAL && !info->is_part && info->skip == 0);
        return;
    }
    fuzz_concat_check(rc == 0 && info->skip <= len);
    if (info->is_part)
        fuzz_concat_check(info->total >= 2 && info->seqnum >= 1 && info->seqnum <= info->total);
}

/* The message cut into up to FUZZ_CONCAT_PARTS pieces, numbered by their first byte. */
static void fuzz_concat_join(const uint8_t *sm, size_t len, uint8_t total)
{
    struct concat_part parts[FUZZ_CONCAT_PARTS];
    size_t n = 0, pos = 0;
    while (pos < len && n < FUZZ_CONCAT_PARTS) {
        size_t take = (len - pos) / 2 + 1;
        parts[n++] = (struct concat_part){sm[pos], sm + pos, take};
        pos += take;
    }
    uint8_t out[512];
    size_t cap = len < sizeof out ? len : sizeof out;
    unsigned missing = 0;
    int rc = concat_join(parts, n, total, out, cap, &missing);
    fuzz_concat_check(rc == -EINVAL || rc == -ENOSPC || (rc >= 0 && (size_t)rc <= cap));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *sm = data + 1;
    size_t len = size - 1;
    /* a copy of its own size, so that a read past the message is caught */
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, sm, len);
    struct concat_info info;
    memset(&info, 0xA5, sizeof info);
    fuzz_concat_info_ok(concat_from_udh(data[0], copy, len, &info), &info, len);
    if (len >= 4) {
        memset(&info, 0xA5, sizeof info);
        int rc = concat_from_sar((uint16_t)(copy[0] << 8 | copy[1]), copy[2], copy[3], &info);
        fuzz_concat_info_ok(rc, &info, 0);
        fuzz_concat_join(copy, len, copy[2]);
    }
    free(copy);
    return 0;
}
