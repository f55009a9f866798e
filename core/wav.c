/*
 * wav.c: the RIFF/WAVE reader of wav.h. Every chunk size is checked against what is left
 * of the buffer before it is used, and chunks are walked at most WAV_MAX_CHUNKS times, so a
 * hostile header can neither over-read nor loop.
 */
#include "core/wav.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define WAV_MAX_CHUNKS 64

static uint32_t wav_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t wav_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static int wav_fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return -EINVAL;
}

/* Checks a fmt chunk's body (LEN bytes at P) and stores its encoding. */
static int wav_read_fmt(const uint8_t *p, size_t len, struct wav_info *out, char *err,
                        size_t errlen)
{
    if (len < 16)
        return wav_fail(err, errlen, "fmt chunk shorter than 16 bytes");
    uint16_t format = wav_le16(p), channels = wav_le16(p + 2), bits = wav_le16(p + 14);
    uint32_t rate = wav_le32(p + 4);
    if (format == 0xFFFE && len >= 26)
        format = wav_le16(p + 24); /* WAVE_FORMAT_EXTENSIBLE: the sub-format's first word */
    if (channels != 1 || rate != 8000)
        return wav_fail(err, errlen, "not 8000 Hz mono");
    if (format == WAV_PCM16 && bits == 16)
        out->encoding = WAV_PCM16;
    else if ((format == WAV_ALAW || format == WAV_ULAW) && bits == 8)
        out->encoding = (enum wav_encoding)format;
    else
        return wav_fail(err, errlen, "not 16-bit PCM, A-law or mu-law");
    return 0;
}

int wav_parse(const uint8_t *buf, size_t len, struct wav_info *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len < 12 || memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0)
        return wav_fail(err, errlen, "not a RIFF WAVE file");
    size_t pos = 12;
    int have_fmt = 0;
    for (int i = 0; i < WAV_MAX_CHUNKS && len - pos >= 8; i++) {
        const uint8_t *id = buf + pos;
        size_t size = wav_le32(buf + pos + 4), body = pos + 8, left = len - body;
        if (memcmp(id, "fmt ", 4) == 0) {
            if (size > left)
                return wav_fail(err, errlen, "fmt chunk runs past the end");
            if (wav_read_fmt(buf + body, size, out, err, errlen) < 0)
                return -EINVAL;
            have_fmt = 1;
        } else if (memcmp(id, "data", 4) == 0) {
            if (!have_fmt)
                return wav_fail(err, errlen, "data chunk before the fmt chunk");
            if (size > left)
                size = left; /* a writer that never fixed the size up: take what is there */
            size_t width = out->encoding == WAV_PCM16 ? 2 : 1;
            out->data = buf + body;
            out->samples = size / width;
            out->data_len = out->samples * width;
            if (out->samples == 0)
                return wav_fail(err, errlen, "no audio in the data chunk");
            return 0;
        }
        if (size > left || left - size < (size & 1))
            break; /* nothing after this chunk fits: no data chunk */
        pos = body + size + (size & 1);
    }
    return wav_fail(err, errlen, have_fmt ? "no data chunk" : "no fmt chunk");
}
