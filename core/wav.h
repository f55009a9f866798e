/*
 * wav.h: a bounded RIFF/WAVE header reader for the phone prompts: finds the fmt and data
 * chunks of a file held in memory and says whether the audio is 8 kHz mono 16-bit PCM,
 * A-law or mu-law. Pure; never reads past LEN whatever the chunk sizes claim.
 */
#ifndef ERM_WAV_H
#define ERM_WAV_H

#include <stddef.h>
#include <stdint.h>

enum wav_encoding { WAV_PCM16 = 1, WAV_ALAW = 6, WAV_ULAW = 7 };

struct wav_info {
    enum wav_encoding encoding;
    const uint8_t *data; /* points into the caller's buffer */
    size_t data_len;     /* bytes, whole samples only (an odd trailing PCM byte is cut) */
    size_t samples;
};

/* Reads the WAV file BUF of LEN bytes. Only 8000 Hz, one channel, and PCM 16-bit, A-law
 * or mu-law (8-bit) are accepted. On error writes why into ERR and returns -EINVAL. */
int wav_parse(const uint8_t *buf, size_t len, struct wav_info *out, char *err, size_t errlen);

#endif
