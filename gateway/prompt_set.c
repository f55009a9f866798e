/*
 * prompt_set.c: loads the phone prompts of prompt_set.h. Files are read whole (at most
 * PROMPT_FILE_MAX bytes), checked by core/wav.c and turned into both G.711 laws once, so a
 * call only points at the bytes it plays.
 */
#include "gateway/prompt_set.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/g711.h"
#include "core/wav.h"

#define PROMPT_FILE_MAX (8u << 20) /* 8 MiB: over 8 minutes of 16-bit audio */
#define PROMPT_CODE_MAX 16         /* a product code's digits at most */

struct prompt {
    struct prompt *next;               /* a product's own prompts, in a list */
    char product[PROMPT_CODE_MAX + 1]; /* "" for the defaults */
    enum prompt_kind kind;
    struct rtp_audio audio;
    uint8_t *bytes; /* pcma then pcmu, one allocation */
};

struct prompt_set {
    struct prompt defaults[PROMPT_KINDS];
    struct prompt *own; /* products' own */
    size_t count;
};

static const char *const prompt_names[PROMPT_KINDS] = {"ordered", "already", "unknown",
                                                       "closed",  "leaver",  "help"};

const char *prompt_kind_name(enum prompt_kind kind)
{
    return (unsigned)kind < PROMPT_KINDS ? prompt_names[kind] : NULL;
}

int prompt_kind_find(const char *name, enum prompt_kind *kind)
{
    for (int k = 0; k < PROMPT_KINDS; k++)
        if (strcmp(name, prompt_names[k]) == 0) {
            *kind = (enum prompt_kind)k;
            return 0;
        }
    return -ENOENT;
}

/* Reads PATH whole into a new buffer (*BUF, *LEN). */
static int prompt_read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    uint8_t *b = malloc(PROMPT_FILE_MAX + 1);
    size_t n = b != NULL ? fread(b, 1, PROMPT_FILE_MAX + 1, f) : 0;
    int bad = b == NULL || ferror(f) || n > PROMPT_FILE_MAX;
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: %s", path,
                 b == NULL             ? "out of memory"
                 : n > PROMPT_FILE_MAX ? "larger than 8 MiB"
                                       : "read error");
        free(b);
        return b == NULL ? -ENOMEM : -EIO;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* Fills P's audio in both laws from the WAV W, padding to whole frames with silence. */
static int prompt_encode(struct prompt *p, const struct wav_info *w)
{
    size_t frames = (w->samples + RTP_FRAME_SAMPLES - 1) / RTP_FRAME_SAMPLES;
    size_t n = frames * RTP_FRAME_SAMPLES;
    p->bytes = malloc(2 * n);
    if (p->bytes == NULL)
        return -ENOMEM;
    uint8_t *a = p->bytes, *u = p->bytes + n;
    for (size_t i = 0; i < n; i++) {
        if (i >= w->samples) {
            a[i] = G711_ALAW_SILENCE;
            u[i] = G711_ULAW_SILENCE;
        } else if (w->encoding == WAV_PCM16) {
            int16_t v = (int16_t)(w->data[2 * i] | w->data[2 * i + 1] << 8);
            a[i] = g711_alaw_encode(v);
            u[i] = g711_ulaw_encode(v);
        } else if (w->encoding == WAV_ALAW) {
            a[i] = w->data[i]; /* a recording in the law it plays in: kept bit for bit */
            u[i] = g711_ulaw_encode(g711_alaw_decode(w->data[i]));
        } else {
            u[i] = w->data[i];
            a[i] = g711_alaw_encode(g711_ulaw_decode(w->data[i]));
        }
    }
    p->audio.pcma = a;
    p->audio.pcmu = u;
    p->audio.samples = n;
    return 0;
}

/* Loads the WAV file PATH into P. */
static int prompt_load_file(const char *path, struct prompt *p, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = prompt_read_file(path, &buf, &len, err, errlen);
    if (rc < 0)
        return rc;
    struct wav_info w;
    char why[128];
    rc = wav_parse(buf, len, &w, why, sizeof why);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, why);
    else if ((rc = prompt_encode(p, &w)) < 0)
        snprintf(err, errlen, "%s: out of memory", path);
    free(buf);
    return rc;
}

static int prompt_is_code(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n <= PROMPT_CODE_MAX && strspn(name, "0123456789") == n;
}

/* Loads the prompts a product folder DIR/CODE holds (each optional). */
static int prompt_load_product(struct prompt_set *set, const char *dir, const char *code, char *err,
                               size_t errlen)
{
    for (int k = 0; k < PROMPT_KINDS; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/%s.wav", dir, code, prompt_names[k]);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        struct prompt *p = calloc(1, sizeof *p);
        if (p == NULL)
            return -ENOMEM;
        int rc = prompt_load_file(path, p, err, errlen);
        if (rc < 0) {
            free(p);
            return rc;
        }
        snprintf(p->product, sizeof p->product, "%s", code);
        p->kind = (enum prompt_kind)k;
        p->next = set->own;
        set->own = p;
        set->count++;
    }
    return 0;
}

static int prompt_load_products(struct prompt_set *set, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", dir, strerror(e));
        return -e;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL)
        if (prompt_is_code(de->d_name))
            rc = prompt_load_product(set, dir, de->d_name, err, errlen);
    closedir(d);
    return rc;
}

int prompt_set_load(const char *dir, struct prompt_set **out, char *err, size_t errlen)
{
    if (dir == NULL || dir[0] == '\0')
        dir = ERM_PROMPT_DIR;
    struct prompt_set *set = calloc(1, sizeof *set);
    if (set == NULL)
        return -ENOMEM;
    int rc = 0;
    for (int k = 0; k < PROMPT_KINDS && rc == 0; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.wav", dir, prompt_names[k]);
        set->defaults[k].kind = (enum prompt_kind)k;
        rc = prompt_load_file(path, &set->defaults[k], err, errlen);
        if (rc == 0)
            set->count++;
    }
    if (rc == 0)
        rc = prompt_load_products(set, dir, err, errlen);
    if (rc < 0) {
        prompt_set_free(set);
        return rc;
    }
    *out = set;
    return 0;
}

const struct rtp_audio *prompt_set_get(const struct prompt_set *set, const char *product,
                                       enum prompt_kind kind)
{
    if ((unsigned)kind >= PROMPT_KINDS)
        return NULL;
    if (product != NULL && product[0] != '\0')
        for (const struct prompt *p = set->own; p != NULL; p = p->next)
            if (p->kind == kind && strcmp(p->product, product) == 0)
                return &p->audio;
    return &set->defaults[kind].audio;
}

size_t prompt_set_count(const struct prompt_set *set)
{
    return set->count;
}

void prompt_set_free(struct prompt_set *set)
{
    if (set == NULL)
        return;
    for (int k = 0; k < PROMPT_KINDS; k++)
        free(set->defaults[k].bytes);
    while (set->own != NULL) {
        struct prompt *p = set->own;
        set->own = p->next;
        free(p->bytes);
        free(p);
    }
    free(set);
}
