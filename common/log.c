/*
 * log.c: the one log writer of ermgw (see log.h). Single-threaded by design: the daemon
 * runs one libuv loop, so no locking is needed.
 */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/time.h>

static uint64_t log_clock_mono(void);

static enum erm_log_level log_min = ERM_LOG_INFO;
static uint64_t (*log_clock)(void) = log_clock_mono;
static FILE *log_file; /* NULL means stderr */
static int log_env_read;

#define LOG_MSG_MAX 2048 /* a message longer than this is cut */

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

/* The length of the valid, shortest-form UTF-8 sequence at P (N bytes left) and its code
 * point in *CP, or 0 when P does not start one. */
static size_t log_utf8(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c, min;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0) {
        len = 2, c = p[0] & 0x1Fu, min = 0x80;
    } else if ((p[0] & 0xF0) == 0xE0) {
        len = 3, c = p[0] & 0x0Fu, min = 0x800;
    } else if ((p[0] & 0xF8) == 0xF0) {
        len = 4, c = p[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* 1 for the code points that are shown escaped although they are valid UTF-8. */
static int log_hidden(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t erm_log_escape(const char *in, size_t len, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t o = 0;
    if (cap == 0)
        return 0;
    for (size_t i = 0; i < len;) {
        char esc[16];
        uint32_t cp = 0;
        size_t n = log_utf8(p + i, len - i, &cp), w;
        const char *from = esc;
        if (n == 0) {
            w = (size_t)snprintf(esc, sizeof esc, "\\x%02x", p[i]);
            n = 1;
        } else if (cp == '\\') {
            w = (size_t)snprintf(esc, sizeof esc, "\\\\");
        } else if (cp < 0x20 || cp == 0x7F) {
            w = (size_t)snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp);
        } else if (log_hidden(cp)) {
            w = (size_t)snprintf(esc, sizeof esc, "\\u{%04x}", (unsigned)cp);
        } else {
            from = in + i;
            w = n;
        }
        if (o + w >= cap)
            break;
        memcpy(out + o, from, w);
        o += w;
        i += n;
    }
    out[o] = '\0';
    return o;
}

/* Writes one record of the message MSG (M bytes, cut to the buffer) at LEVEL. */
static void log_write(enum erm_log_level level, const char *module, const char *msg, int m)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    /* The whole line escaped into one buffer and one write: a message longer than it is
     * cut. */
    char line[4 * 2048 + 128];
    int n = snprintf(line, sizeof line, "%s.%03dZ %s %s: ", log_stamp(tv.tv_sec),
                     (int)(tv.tv_usec / 1000), log_level_names[level], module);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line - 2 ? (size_t)n : sizeof line - 2;
    size_t mlen = (size_t)m < LOG_MSG_MAX ? (size_t)m : LOG_MSG_MAX - 1;
    len += erm_log_escape(msg, mlen, line + len, sizeof line - len - 1);
    line[len++] = '\n';
    FILE *out = log_file != NULL ? log_file : stderr;
    fwrite(line, 1, len, out);
    fflush(out);
}

static int log_enabled(enum erm_log_level level)
{
    if (!log_env_read)
        log_read_env();
    return level >= log_min;
}

/* Formats FMT with AP and writes it; HELD > 0 adds how many like it were held back in the
 * last SECS seconds (erm_log_limited). */
static void log_vwrite(enum erm_log_level level, const char *module, unsigned held, uint64_t secs,
                       const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void log_vwrite(enum erm_log_level level, const char *module, unsigned held, uint64_t secs,
                       const char *fmt, va_list ap)
{
    char msg[LOG_MSG_MAX];
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    if (m < 0)
        return;
    if (held > 0 && (size_t)m < sizeof msg) {
        int k = snprintf(msg + m, sizeof msg - (size_t)m, " (%u more like it in the last %llu s)",
                         held, (unsigned long long)secs);
        if (k > 0)
            m += k;
    }
    log_write(level, module, msg, m);
}

void erm_log(enum erm_log_level level, const char *module, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, module, 0, 0, fmt, ap);
    va_end(ap);
}

static uint64_t log_clock_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void erm_log_set_clock(uint64_t (*now_ms)(void))
{
    log_clock = now_ms != NULL ? now_ms : log_clock_mono;
}

int erm_log_limit_pass(struct erm_log_limit *l, uint64_t now_ms, unsigned *held, uint64_t *since_ms)
{
    if (l->started && now_ms - l->since_ms < ERM_LOG_LIMIT_MS) {
        *held = 0;
        *since_ms = l->since_ms;
        if (l->written < ERM_LOG_LIMIT_BURST) {
            l->written++;
            return 1;
        }
        l->held++;
        return 0;
    }
    *held = l->started ? l->held : 0;
    *since_ms = l->started ? l->since_ms : now_ms;
    l->started = 1;
    l->since_ms = now_ms;
    l->written = 1;
    l->held = 0;
    return 1;
}

void erm_log_limited(struct erm_log_limit *l, enum erm_log_level level, const char *module,
                     const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    uint64_t now = log_clock(), since;
    unsigned held;
    if (!erm_log_limit_pass(l, now, &held, &since))
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, module, held, (now - since + 500) / 1000, fmt, ap);
    va_end(ap);
}
