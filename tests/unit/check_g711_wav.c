/*
 * check_g711_wav.c: unit tests of core/g711.c (known codes, round trips within the law's
 * step, the sign symmetry) and core/wav.c (the encodings accepted, the ones refused, and
 * headers that lie about their sizes).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/g711.h"
#include "core/wav.h"

START_TEST(test_g711_known)
{
    ck_assert_uint_eq(g711_alaw_encode(0), G711_ALAW_SILENCE);
    ck_assert_uint_eq(g711_ulaw_encode(0), G711_ULAW_SILENCE);
    ck_assert_uint_eq(g711_alaw_encode(32767), 0xAA);
    ck_assert_uint_eq(g711_alaw_encode(-32768), 0x2A);
    ck_assert_uint_eq(g711_ulaw_encode(32767), 0x80);
    ck_assert_uint_eq(g711_ulaw_encode(-32768), 0x00);
    ck_assert_int_eq(g711_ulaw_decode(0xFF), 0);
    ck_assert_int_eq(g711_alaw_decode(0xD5), 8);
}
END_TEST

/* Decoding then encoding any code gives the code back (mu-law's two zeros aside). */
START_TEST(test_g711_round_trip)
{
    for (int c = 0; c < 256; c++) {
        ck_assert_uint_eq(g711_alaw_encode(g711_alaw_decode((uint8_t)c)), c);
        if (c != 0x7F) /* -0 encodes as +0 */
            ck_assert_uint_eq(g711_ulaw_encode(g711_ulaw_decode((uint8_t)c)), c);
    }
    for (int v = -32768; v <= 32767; v += 7) {
        int a = g711_alaw_decode(g711_alaw_encode((int16_t)v));
        int u = g711_ulaw_decode(g711_ulaw_encode((int16_t)v));
        int tol = abs(v) / 16 + 32; /* the step grows with the magnitude */
        ck_assert_int_le(abs(a - v), tol);
        ck_assert_int_le(abs(u - v), tol + 100);
    }
}
END_TEST

static size_t make_wav(uint8_t *out, uint16_t format, uint16_t channels, uint32_t rate,
                       uint16_t bits, const uint8_t *data, uint32_t len, uint32_t claimed)
{
    uint8_t *p = out;
    memcpy(p, "RIFF\0\0\0\0WAVEfmt ", 16);
    p += 16;
    uint8_t fmt[20] = {16, 0, 0, 0};
    fmt[4] = (uint8_t)format;
    fmt[5] = (uint8_t)(format >> 8);
    fmt[6] = (uint8_t)channels;
    for (int i = 0; i < 4; i++)
        fmt[8 + i] = (uint8_t)(rate >> (8 * i));
    fmt[18] = (uint8_t)bits;
    memcpy(p, fmt, 20);
    p += 20;
    memcpy(p, "data", 4);
    for (int i = 0; i < 4; i++)
        p[4 + i] = (uint8_t)(claimed >> (8 * i));
    p += 8;
    memcpy(p, data, len);
    return (size_t)(p - out) + len;
}

START_TEST(test_wav_good)
{
    uint8_t buf[256], pcm[10] = {1, 0, 2, 0, 3, 0, 4, 0, 5, 0};
    struct wav_info w;
    char err[64];
    size_t n = make_wav(buf, 1, 1, 8000, 16, pcm, sizeof pcm, sizeof pcm);
    ck_assert_int_eq(wav_parse(buf, n, &w, err, sizeof err), 0);
    ck_assert_int_eq(w.encoding, WAV_PCM16);
    ck_assert_uint_eq(w.samples, 5);
    ck_assert_ptr_eq(w.data, buf + 44);
    n = make_wav(buf, 6, 1, 8000, 8, pcm, sizeof pcm, sizeof pcm);
    ck_assert_int_eq(wav_parse(buf, n, &w, err, sizeof err), 0);
    ck_assert_int_eq(w.encoding, WAV_ALAW);
    ck_assert_uint_eq(w.samples, 10);
    /* a data size never fixed up (0xFFFFFFFF): what is there is taken */
    n = make_wav(buf, 7, 1, 8000, 8, pcm, sizeof pcm, 0xFFFFFFFFu);
    ck_assert_int_eq(wav_parse(buf, n, &w, err, sizeof err), 0);
    ck_assert_uint_eq(w.samples, 10);
    /* an odd trailing PCM byte is cut */
    n = make_wav(buf, 1, 1, 8000, 16, pcm, 9, 9);
    ck_assert_int_eq(wav_parse(buf, n, &w, err, sizeof err), 0);
    ck_assert_uint_eq(w.samples, 4);
}
END_TEST

START_TEST(test_wav_refused)
{
    uint8_t buf[256], pcm[4] = {0};
    struct wav_info w;
    char err[64];
    size_t n = make_wav(buf, 1, 2, 8000, 16, pcm, 4, 4);
    ck_assert_int_lt(wav_parse(buf, n, &w, err, sizeof err), 0);
    ck_assert_str_eq(err, "not 8000 Hz mono");
    n = make_wav(buf, 1, 1, 16000, 16, pcm, 4, 4);
    ck_assert_int_lt(wav_parse(buf, n, &w, err, sizeof err), 0);
    n = make_wav(buf, 3, 1, 8000, 32, pcm, 4, 4); /* float */
    ck_assert_int_lt(wav_parse(buf, n, &w, err, sizeof err), 0);
    ck_assert_str_eq(err, "not 16-bit PCM, A-law or mu-law");
    n = make_wav(buf, 1, 1, 8000, 16, pcm, 0, 0);
    ck_assert_int_lt(wav_parse(buf, n, &w, err, sizeof err), 0);
    ck_assert_str_eq(err, "no audio in the data chunk");
    for (size_t cut = 0; cut < 44; cut++) /* every truncation of the header */
        ck_assert_int_lt(wav_parse(buf, cut, &w, err, sizeof err), 0);
    memcpy(buf, "RIFX", 4);
    ck_assert_int_lt(wav_parse(buf, n, &w, err, sizeof err), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("g711_wav");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, test_g711_known);
    tcase_add_test(tc, test_g711_round_trip);
    tcase_add_test(tc, test_wav_good);
    tcase_add_test(tc, test_wav_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
