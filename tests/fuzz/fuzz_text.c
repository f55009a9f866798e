/*
 * fuzz_text.c: libFuzzer target for the text codecs: text_decode of any bytes in each
 * data_coding the gateway reads (0 GSM 7-bit, 1 IA5, 3 Latin-1, 8 UCS-2, 15 GB, and
 * whatever the first byte says), into a buffer big enough and into one too small; and text_encode of the
 * input as UTF-8, each part decoded back. Checks: the output is one C string of the length
 * returned, a too-small buffer is -ENOSPC never an overrun, and every encoded part fits.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/textcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_text_check(int cond)
{
    if (!cond)
        abort();
}

/* Decodes IN in DCS into a buffer of 4 bytes per octet (always enough), then into one of
 * half what that needed. */
static void fuzz_text_decode(uint8_t dcs, const uint8_t *in, size_t len)
{
    size_t cap = len * 4 + 4;
    char *out = malloc(cap);
    if (out == NULL)
        return;
    int n = text_decode(dcs, in, len, out, cap);
    fuzz_text_check(n >= 0 || n == -ENOTSUP);
    if (n >= 0) {
        fuzz_text_check((size_t)n == strlen(out));
        size_t small = (size_t)n / 2 + 1;
        char *tiny = malloc(small);
        if (tiny != NULL) {
            int m = text_decode(dcs, in, len, tiny, small);
            fuzz_text_check(m == -ENOSPC || (m == n && (size_t)m < small));
            free(tiny);
        }
    }
    free(out);
}

/* Encodes TEXT (any bytes: invalid UTF-8 must be refused) and decodes each part back. */
static void fuzz_text_encode(const char *text, size_t len)
{
    static struct text_encoded enc;
    static char back[1024];
    if (text_encode(text, len, 7, &enc) < 0)
        return;
    fuzz_text_check(enc.nparts >= 1 && enc.nparts <= TEXT_MAX_PARTS);
    size_t udh = enc.nparts > 1 ? 6 : 0;
    for (unsigned i = 0; i < enc.nparts; i++) {
        fuzz_text_check(enc.part[i].len >= udh);
        fuzz_text_check(enc.part[i].len <= (enc.data_coding == TEXT_DCS_UCS2 ? 140 : 160));
        int n = text_decode(enc.data_coding, enc.part[i].data + udh, enc.part[i].len - udh, back,
                            sizeof back);
        fuzz_text_check(n >= 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t dcs[] = {TEXT_DCS_DEFAULT, TEXT_DCS_IA5, TEXT_DCS_LATIN1, TEXT_DCS_UCS2,
                                  TEXT_DCS_GB};
    if (size < 1)
        return 0;
    uint8_t own = data[0];
    data++;
    size--;
    for (size_t i = 0; i < sizeof dcs; i++)
        fuzz_text_decode(dcs[i], data, size);
    fuzz_text_decode(own, data, size);
    fuzz_text_encode((const char *)data, size);
    return 0;
}
