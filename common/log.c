/*
 * log.c: the one log writer of ermgw (see log.h). Single-threaded by design: the daemon
 * runs one libuv loop, so no locking is needed.
 */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/time.h>

static enum erm_log_level log_min = ERM_LOG_INFO;
static FILE *log_file; /* NULL means stderr */
static int log_env_read;

static const char *const log_level_names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};

void erm_log_set_level(enum erm_log_level level)
{
    log_min = level;
    log_env_read = 1;
}

int erm_log_open(const char *path)
{
    FILE *f = NULL;
    if (path != NULL) {
        f = fopen(path, "a");
        if (f == NULL)
            return -errno;
        setvbuf(f, NULL, _IOLBF, 0);
    }
    if (log_file != NULL)
        fclose(log_file);
    log_file = f;
    return 0;
}

static void log_read_env(void)
{
    const char *v = getenv("ERM_LOG_LEVEL");
    log_env_read = 1;
    if (v == NULL)
        return;
    for (int i = 0; i < 4; i++) {
        char name[8];
        snprintf(name, sizeof name, "%s", log_level_names[i]);
        name[strcspn(name, " ")] = '\0';
        if (strcasecmp(v, name) == 0)
            log_min = (enum erm_log_level)i;
    }
}

/* The line's "YYYY-MM-DDTHH:MM:SS" for SEC, formatted again only when the second changes:
 * at thousands of lines a second, gmtime and strftime per line were a fifth of ermgw's CPU. */
static const char *log_stamp(time_t sec)
{
    static time_t last = (time_t)-1;
    static char stamp[32];
    if (sec != last) {
        struct tm tm;
        gmtime_r(&sec, &tm);
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        last = sec;
    }
    return stamp;
}

void erm_log(enum erm_log_level level, const char *module, const char *fmt, ...)
{
    if (!log_env_read)
        log_read_env();
    if (level < log_min)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    /* The whole line in one buffer and one write: a message longer than it is cut. */
    char line[2048 + 128];
    int n = snprintf(line, sizeof line, "%s.%03dZ %s %s: ", log_stamp(tv.tv_sec),
                     (int)(tv.tv_usec / 1000), log_level_names[level], module);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line - 2 ? (size_t)n : sizeof line - 2;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + len, sizeof line - len - 1, fmt, ap);
    va_end(ap);
    if (m > 0)
        len += (size_t)m < sizeof line - len - 1 ? (size_t)m : sizeof line - len - 2;
    line[len++] = '\n';
    FILE *out = log_file != NULL ? log_file : stderr;
    fwrite(line, 1, len, out);
    fflush(out);
}
