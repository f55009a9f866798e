/*
 * metrics.h: a registry of metrics and its rendering in the Prometheus text exposition
 * format 0.0.4 (what `GET /metrics` of ermgw serves, daemon/admin_http.c). Pure: no I/O, no
 * clock, no locks (ermgw reads and renders on its one loop thread).
 *
 * A registry holds families (a name, a type, a help line, up to METRICS_LABELS_MAX label
 * names) declared once, and each family's series (one per set of label values) made when
 * first set. Counters and gauges hold a number; histograms a struct metrics_hist with fixed
 * buckets, which the module that observes keeps itself and the registry copies when it
 * renders. Names are checked when declared (a counter's ends in _total, as Prometheus
 * wants); label values are escaped when rendered, whatever they hold.
 *
 * Memory: the registry owns its copies of every name, help line and label value; the bounds
 * of a histogram are the caller's (static arrays).
 */
#ifndef ERM_METRICS_H
#define ERM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_LABELS_MAX  3
#define METRICS_BUCKETS_MAX 16
#define METRICS_SERIES_MAX  256 /* series of one family at most: a bound on label sets */

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

/* A histogram with fixed buckets: BUCKET[i] counts observations <= BOUNDS[i] and above
 * BOUNDS[i-1] (not cumulative; rendering makes them so); those above the last bound count
 * only in COUNT. Zeroed and given its bounds by metrics_hist_init. */
struct metrics_hist {
    const double *bounds; /* ascending, N of them; borrowed (static) */
    size_t n;
    uint64_t bucket[METRICS_BUCKETS_MAX];
    uint64_t count;
    double sum;
};

/* Bounds for times in seconds (1 ms .. 10 s) and for sizes (1 .. 1024, powers of two). */
#define METRICS_SECONDS_NBOUNDS 13
#define METRICS_SIZE_NBOUNDS    11
extern const double metrics_seconds_bounds[METRICS_SECONDS_NBOUNDS];
extern const double metrics_size_bounds[METRICS_SIZE_NBOUNDS];

/* Zeroes H with the N ascending BOUNDS (N <= METRICS_BUCKETS_MAX, else fewer are kept). */
void metrics_hist_init(struct metrics_hist *h, const double *bounds, size_t n);

/* Counts V (its bucket, the count and the sum). */
void metrics_hist_observe(struct metrics_hist *h, double v);

/* Adds FROM's observations to INTO. Returns 0, or -EINVAL when their bounds differ. */
int metrics_hist_merge(struct metrics_hist *into, const struct metrics_hist *from);

struct metrics_reg;

/* A new, empty registry (the caller's, metrics_reg_free). Returns 0 or -ENOMEM. */
int metrics_reg_create(struct metrics_reg **out);
void metrics_reg_free(struct metrics_reg *r);

/* Declares family NAME of TYPE with HELP (one line of text, escaped when rendered) and the
 * comma-separated label names LABELS ("" or NULL: none). Returns 0, -EEXIST (declared
 * already), -EINVAL (a name that is not [a-zA-Z_:][a-zA-Z0-9_:]*, a counter's not ending in
 * _total, a label name that is not [a-zA-Z_][a-zA-Z0-9_]* or begins with __, "le" on a
 * histogram, more than METRICS_LABELS_MAX labels) or -ENOMEM. */
int metrics_family(struct metrics_reg *r, const char *name, enum metrics_type type,
                   const char *help, const char *labels);

/* Sets the counter or gauge NAME's series of label VALUES (as many as the family has label
 * names; NULL when it has none) to V. Returns 0, -ENOENT (no such family), -EINVAL (wrong
 * type, a counter set negative or NaN), -ENOSPC (METRICS_SERIES_MAX series already) or
 * -ENOMEM. */
int metrics_set(struct metrics_reg *r, const char *name, const char *const *values, double v);

/* Adds V (>= 0 for a counter) to the series of label VALUES, made at 0 when new. Returns as
 * metrics_set. */
int metrics_add(struct metrics_reg *r, const char *name, const char *const *values, double v);

/* Sets the histogram NAME's series of label VALUES to a copy of H. Returns as metrics_set. */
int metrics_set_hist(struct metrics_reg *r, const char *name, const char *const *values,
                     const struct metrics_hist *h);

/* Renders every family, in the order declared, each series in the order made, into a
 * malloc'd NUL-terminated buffer *OUT (the caller frees it) of *LEN bytes. Returns 0 or
 * -ENOMEM. */
int metrics_render(const struct metrics_reg *r, char **out, size_t *len);

/* Writes V as the format writes a sample value ("3", "0.25", "+Inf", "NaN") into BUF (CAP
 * bytes; 32 are always enough). */
void metrics_format_value(double v, char *buf, size_t cap);

#endif
