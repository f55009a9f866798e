/*
 * check_prompt_set.c: unit tests of gateway/prompt_set.c on a folder written by the test:
 * every default prompt required (a missing or bad one names its file), a product's own
 * prompt found first, both G.711 laws made once and padded to whole 20 ms frames.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/g711.h"
#include "gateway/prompt_set.h"

static char dir[64];

/* Writes an 8 kHz mono 16-bit WAV of N samples of value V at PATH. */
static void write_wav(const char *path, size_t n, int16_t v)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    uint32_t data = (uint32_t)(2 * n), riff = 36 + data, fmtlen = 16, rate = 8000, bps = 16000;
    uint16_t pcm = 1, ch = 1, align = 2, bits = 16;
    fwrite("RIFF", 1, 4, f);
    fwrite(&riff, 4, 1, f);
    fwrite("WAVEfmt ", 1, 8, f);
    fwrite(&fmtlen, 4, 1, f);
    fwrite(&pcm, 2, 1, f);
    fwrite(&ch, 2, 1, f);
    fwrite(&rate, 4, 1, f);
    fwrite(&bps, 4, 1, f);
    fwrite(&align, 2, 1, f);
    fwrite(&bits, 2, 1, f);
    fwrite("data", 1, 4, f);
    fwrite(&data, 4, 1, f);
    for (size_t i = 0; i < n; i++)
        fwrite(&v, 2, 1, f);
    fclose(f);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_prompt_set.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    for (int k = 0; k < PROMPT_KINDS; k++) {
        snprintf(path, sizeof path, "%s/%s.wav", dir, prompt_kind_name((enum prompt_kind)k));
        write_wav(path, 400 + (size_t)k, 1000);
    }
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_load_defaults_and_pad)
{
    struct prompt_set *set;
    char err[256] = "";
    ck_assert_int_eq(prompt_set_load(dir, &set, err, sizeof err), 0);
    ck_assert_uint_eq(prompt_set_count(set), PROMPT_KINDS);
    const struct rtp_audio *a = prompt_set_get(set, "10", PROMPT_ORDERED);
    ck_assert_uint_eq(a->samples, 480); /* 400 samples padded to 3 frames */
    ck_assert_uint_eq(a->pcma[0], g711_alaw_encode(1000));
    ck_assert_uint_eq(a->pcmu[399], g711_ulaw_encode(1000));
    ck_assert_uint_eq(a->pcma[400], G711_ALAW_SILENCE);
    ck_assert_uint_eq(a->pcmu[479], G711_ULAW_SILENCE);
    ck_assert_ptr_eq(prompt_set_get(set, NULL, PROMPT_ORDERED), a);
    ck_assert_ptr_null(prompt_set_get(set, NULL, PROMPT_KINDS));
    prompt_set_free(set);
}
END_TEST

START_TEST(test_product_own_prompt)
{
    char path[256];
    snprintf(path, sizeof path, "%s/10", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/10/ordered.wav", dir);
    write_wav(path, 160, -500);
    snprintf(path, sizeof path, "%s/notes", dir); /* not a product code: ignored */
    ck_assert_int_eq(mkdir(path, 0755), 0);
    struct prompt_set *set;
    char err[256] = "";
    ck_assert_int_eq(prompt_set_load(dir, &set, err, sizeof err), 0);
    ck_assert_uint_eq(prompt_set_count(set), PROMPT_KINDS + 1);
    ck_assert_uint_eq(prompt_set_get(set, "10", PROMPT_ORDERED)->samples, 160);
    ck_assert_uint_eq(prompt_set_get(set, "10", PROMPT_ORDERED)->pcma[0], g711_alaw_encode(-500));
    ck_assert_uint_eq(prompt_set_get(set, "11", PROMPT_ORDERED)->samples, 480);
    ck_assert_uint_eq(prompt_set_get(set, "10", PROMPT_HELP)->samples, 480);
    prompt_set_free(set);
}
END_TEST

START_TEST(test_missing_or_bad_prompt)
{
    char path[256], want[300], err[512] = "";
    struct prompt_set *set = NULL;
    snprintf(path, sizeof path, "%s/leaver.wav", dir);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(prompt_set_load(dir, &set, err, sizeof err), -ENOENT);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    ck_assert_str_eq(err, want);
    FILE *f = fopen(path, "wb");
    fputs("not a wav", f);
    fclose(f);
    ck_assert_int_eq(prompt_set_load(dir, &set, err, sizeof err), -EINVAL);
    snprintf(want, sizeof want, "%s: not a RIFF WAVE file", path);
    ck_assert_str_eq(err, want);
    ck_assert_int_lt(prompt_set_load("/nonexistent/prompts", &set, err, sizeof err), 0);
}
END_TEST

START_TEST(test_kind_names)
{
    enum prompt_kind k;
    ck_assert_int_eq(prompt_kind_find("closed", &k), 0);
    ck_assert_int_eq(k, PROMPT_CLOSED);
    ck_assert_str_eq(prompt_kind_name(PROMPT_LEAVER), "leaver");
    ck_assert_int_eq(prompt_kind_find("bogus", &k), -ENOENT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("prompt_set");
    TCase *tc = tcase_create("load");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_load_defaults_and_pad);
    tcase_add_test(tc, test_product_own_prompt);
    tcase_add_test(tc, test_missing_or_bad_prompt);
    tcase_add_test(tc, test_kind_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
