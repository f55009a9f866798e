/*
 * fuzz_replay.c: a main() for the fuzz targets without libFuzzer, so that the ordinary test
 * build (any compiler, ASan + UBSan) runs every checked-in input (tests/fuzz/corpus/ and
 * tests/fuzz/regressions/) through a target as a ctest. Arguments: the seed corpus (a file
 * or a directory of them, not recursive), then further files or directories that may be
 * missing (the regressions of a target that never failed). Exit 0 when every input ran;
 * 1 when the corpus is missing or empty (a replay that runs nothing proves nothing, and a
 * renamed folder would otherwise pass unseen) or an input cannot be read; a crash is a
 * crash.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Reads PATH whole and runs it; returns 0 or -errno. */
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -errno;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *nb = realloc(buf, cap);
            if (nb == NULL) {
                rc = -ENOMEM;
                goto fail;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        rc = -EIO;
        goto fail;
    }
    LLVMFuzzerTestOneInput(buf, len);
fail:
    free(buf);
    fclose(f);
    return rc;
}

/* Runs PATH, or each regular file in it when it is a directory; counts into *RUN. */
static int replay_path(const char *path, unsigned *run)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode)) {
        (*run)++;
        return replay_file(path);
    }
    DIR *d = opendir(path);
    if (d == NULL)
        return -errno;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char p[4096];
        struct stat fs;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (e->d_name[0] == '.' || stat(p, &fs) < 0 || !S_ISREG(fs.st_mode))
            continue;
        (*run)++;
        rc = replay_file(p);
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned run = 0;
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS [MORE...]\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        unsigned before = run;
        int rc = replay_path(argv[i], &run);
        if (rc < 0 && (rc != -ENOENT || i == 1)) {
            fprintf(stderr, "fuzz_replay: %s: %s\n", argv[i], strerror(-rc));
            return 1;
        }
        if (i == 1 && run == before) {
            fprintf(stderr, "fuzz_replay: %s: no inputs in the seed corpus\n", argv[i]);
            return 1;
        }
    }
    printf("fuzz_replay: %u input(s) ran\n", run);
    return 0;
}
