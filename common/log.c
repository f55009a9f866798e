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

void erm_log(enum erm_log_level level, const char *module, const char *fmt, ...)
{
    if (!log_env_read)
        log_read_env();
    if (level < log_min)
        return;
    struct timeval tv;
    struct tm tm;
    char stamp[32];
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    FILE *out = log_file != NULL ? log_file : stderr;
    fprintf(out, "%s.%03dZ %s %s: %s\n", stamp, (int)(tv.tv_usec / 1000), log_level_names[level],
            module, msg);
    fflush(out);
}
