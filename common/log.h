/*
 * log.h: one-line log records for every room of ermgw.
 *
 * Records go to stderr (or the file given to erm_log_open) as
 *   2026-11-23T12:00:00.123Z INFO  smpp: bound to 127.0.0.1:2775 as ermgw
 * The lowest level that notices an error logs it; callers above it only decide.
 *
 * Every message is escaped here, once, whatever its arguments: numbers, texts and ids that
 * came from outside (SMPP, CSV, SIP, HTTP) cannot forge a record with a newline, reach the
 * operator's terminal with ESC, or break a log shipper with bytes that are not UTF-8.
 * Valid UTF-8 (Chinese text) passes as it is; see erm_log_escape().
 */
#ifndef ERM_LOG_H
#define ERM_LOG_H

#include <stddef.h>
#include <stdint.h>

enum erm_log_level { ERM_LOG_DEBUG = 0, ERM_LOG_INFO, ERM_LOG_WARN, ERM_LOG_ERROR };

/* Records below this level are dropped (default ERM_LOG_INFO; ERM_LOG_LEVEL=debug env). */
void erm_log_set_level(enum erm_log_level level);

/* Sends records to PATH (appending), or back to stderr when PATH is NULL. When PATH cannot
 * be opened, records go on where they went before.
 * Returns 0 or a negative errno. */
int erm_log_open(const char *path);

/* Writes one record; MODULE is a short static name such as "smpp" or "db". */
void erm_log(enum erm_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies the LEN bytes of IN into OUT (CAP bytes, NUL-terminated, cut at a character
 * boundary when short) with: a backslash as "\\", C0 controls, DEL and bytes that are not
 * part of valid, shortest-form UTF-8 as "\xNN", and the C1 controls (U+0080..U+009F) and the
 * bidirectional marks, overrides and isolates (U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069), which disguise
 * what a reader sees, as "\u{NNNN}". Returns the length written (without the NUL). */
size_t erm_log_escape(const char *in, size_t len, char *out, size_t cap);

/* A rate limit for a record a peer can cause at will (one per PDU of a generic_nack storm):
 * the first ERM_LOG_LIMIT_BURST of a window of ERM_LOG_LIMIT_MS are written, the others
 * counted, and the first after the window is written with " (N more like it in the last
 * S s)" and starts the next window. Zeroed: nothing seen yet. */
struct erm_log_limit {
    uint64_t since_ms; /* the window's start */
    unsigned written;  /* records written in it */
    unsigned held;     /* records held back in it */
    int started;
};

#define ERM_LOG_LIMIT_MS    10000u
#define ERM_LOG_LIMIT_BURST 3u

/* Decides for a record limited by L at NOW_MS: 1 to write it (*HELD: how many were held
 * back before it, and since when in *SINCE_MS), 0 to hold it back (counted). Pure. */
int erm_log_limit_pass(struct erm_log_limit *l, uint64_t now_ms, unsigned *held,
                       uint64_t *since_ms);

/* erm_log() through the limit L (a record below the level in force is neither written nor
 * counted). */
void erm_log_limited(struct erm_log_limit *l, enum erm_log_level level, const char *module,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The clock of erm_log_limited, in ms (monotonic by default); NULL restores it. For tests. */
void erm_log_set_clock(uint64_t (*now_ms)(void));

/* A warning limited at its call site (its own static limit): for what a peer can repeat. */
#define ERM_WARN_RL(mod, ...)                                                                      \
    do {                                                                                           \
        static struct erm_log_limit erm_rl_;                                                       \
        erm_log_limited(&erm_rl_, ERM_LOG_WARN, mod, __VA_ARGS__);                                 \
    } while (0)

#define ERM_DEBUG(mod, ...) erm_log(ERM_LOG_DEBUG, mod, __VA_ARGS__)
#define ERM_INFO(mod, ...)  erm_log(ERM_LOG_INFO, mod, __VA_ARGS__)
#define ERM_WARN(mod, ...)  erm_log(ERM_LOG_WARN, mod, __VA_ARGS__)
#define ERM_ERROR(mod, ...) erm_log(ERM_LOG_ERROR, mod, __VA_ARGS__)

#endif
