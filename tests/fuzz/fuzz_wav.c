/*
 * fuzz_wav.c: libFuzzer target for the prompt WAV reader (core/wav.c) and the G.711 step
 * that follows it at load time: wav_parse of any bytes must stay inside them (ASan sees an
 * over-read; the input is copied to a buffer of its exact size), and on success the audio
 * it points at must lie within the input and be whole samples, and encode without harm.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/g711.h"
#include "core/wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_wav_check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    struct wav_info w;
    char err[128];
    if (wav_parse(buf, size, &w, err, sizeof err) == 0) {
        fuzz_wav_check(w.data >= buf && w.data + w.data_len <= buf + size);
        fuzz_wav_check(w.samples > 0);
        size_t width = w.encoding == WAV_PCM16 ? 2 : 1;
        fuzz_wav_check(w.data_len == w.samples * width);
        unsigned sum = 0;
        for (size_t i = 0; i < w.samples; i++) {
            int16_t v = w.encoding == WAV_PCM16  ? (int16_t)(w.data[2 * i] | w.data[2 * i + 1] << 8)
                        : w.encoding == WAV_ALAW ? g711_alaw_decode(w.data[i])
                                                 : g711_ulaw_decode(w.data[i]);
            sum += g711_alaw_encode(v) + g711_ulaw_encode(v);
        }
        (void)sum;
    } else {
        fuzz_wav_check(strlen(err) > 0);
    }
    free(buf);
    return 0;
}
