/*
 * metrics.c: the registry of metrics and its text rendering (see metrics.h). Families are
 * a growing array, each family's series another: registries are small (tens of families, a
 * few series each) and a scrape renders them once, so lookups are linear and simple.
 */
#include "core/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metrics_series {
    char *values[METRICS_LABELS_MAX]; /* owned copies */
    double v;
    struct metrics_hist h;
};

struct metrics_family {
    char *name, *help; /* owned */
    enum metrics_type type;
    char *labels[METRICS_LABELS_MAX]; /* owned */
    size_t nlabels;
    struct metrics_series *series;
    size_t nseries, cap;
};

struct metrics_reg {
    struct metrics_family *fam;
    size_t n, cap;
};

/* ---- histograms ---- */

const double metrics_seconds_bounds[METRICS_SECONDS_NBOUNDS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const double metrics_size_bounds[METRICS_SIZE_NBOUNDS] = {1,  2,   4,   8,   16,  32,
                                                          64, 128, 256, 512, 1024};

void metrics_hist_init(struct metrics_hist *h, const double *bounds, size_t n)
{
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->n = n < METRICS_BUCKETS_MAX ? n : METRICS_BUCKETS_MAX;
}

void metrics_hist_observe(struct metrics_hist *h, double v)
{
    for (size_t i = 0; i < h->n; i++) {
        if (v <= h->bounds[i]) {
            h->bucket[i]++;
            break;
        }
    }
    h->count++;
    h->sum += v;
}

int metrics_hist_merge(struct metrics_hist *into, const struct metrics_hist *from)
{
    if (into->n != from->n)
        return -EINVAL;
    for (size_t i = 0; i < into->n; i++)
        if (into->bounds[i] != from->bounds[i])
            return -EINVAL;
    for (size_t i = 0; i < into->n; i++)
        into->bucket[i] += from->bucket[i];
    into->count += from->count;
    into->sum += from->sum;
    return 0;
}

/* ---- names ---- */

static int metrics_name_ok(const char *s, int colon)
{
    if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s != '\0'; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || (colon && c == ':')))
            return 0;
    }
    return 1;
}

static int metrics_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

static void metrics_family_free(struct metrics_family *f)
{
    for (size_t i = 0; i < f->nseries; i++)
        for (size_t j = 0; j < f->nlabels; j++)
            free(f->series[i].values[j]);
    for (size_t j = 0; j < f->nlabels; j++)
        free(f->labels[j]);
    free(f->series);
    free(f->name);
    free(f->help);
}

/* Splits the comma-separated LABELS into F's label names. Returns 0, -EINVAL or -ENOMEM. */
static int metrics_family_labels(struct metrics_family *f, const char *labels)
{
    const char *p = labels != NULL ? labels : "";
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        if (f->nlabels == METRICS_LABELS_MAX || len == 0)
            return -EINVAL;
        char *l = strndup(p, len);
        if (l == NULL)
            return -ENOMEM;
        f->labels[f->nlabels++] = l;
        if (!metrics_name_ok(l, 0) || strncmp(l, "__", 2) == 0 ||
            (f->type == METRICS_HISTOGRAM && strcmp(l, "le") == 0))
            return -EINVAL;
        for (size_t i = 0; i + 1 < f->nlabels; i++)
            if (strcmp(f->labels[i], l) == 0)
                return -EINVAL;
        p += len + (p[len] == ',');
        if (p[-1] == ',' && *p == '\0')
            return -EINVAL;
    }
    return 0;
}

/* ---- the registry ---- */

int metrics_reg_create(struct metrics_reg **out)
{
    *out = calloc(1, sizeof **out);
    return *out != NULL ? 0 : -ENOMEM;
}

void metrics_reg_free(struct metrics_reg *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        metrics_family_free(&r->fam[i]);
    free(r->fam);
    free(r);
}

static struct metrics_family *metrics_find(const struct metrics_reg *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->fam[i].name, name) == 0)
            return &r->fam[i];
    return NULL;
}

int metrics_family(struct metrics_reg *r, const char *name, enum metrics_type type,
                   const char *help, const char *labels)
{
    if (!metrics_name_ok(name, 1) || help == NULL ||
        (type == METRICS_COUNTER && !metrics_ends_with(name, "_total")))
        return -EINVAL;
    if (metrics_find(r, name) != NULL)
        return -EEXIST;
    if (r->n == r->cap) {
        size_t cap = r->cap > 0 ? 2 * r->cap : 16;
        struct metrics_family *f = realloc(r->fam, cap * sizeof *f);
        if (f == NULL)
            return -ENOMEM;
        r->fam = f;
        r->cap = cap;
    }
    struct metrics_family *f = &r->fam[r->n];
    memset(f, 0, sizeof *f);
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help);
    int rc = f->name != NULL && f->help != NULL ? metrics_family_labels(f, labels) : -ENOMEM;
    if (rc < 0) {
        metrics_family_free(f);
        return rc;
    }
    r->n++;
    return 0;
}

/* The series of F with label VALUES, made (zero) when new. NULL with *RC set on failure. */
static struct metrics_series *metrics_series(struct metrics_family *f, const char *const *values,
                                             int *rc)
{
    for (size_t j = 0; j < f->nlabels; j++) {
        if (values == NULL || values[j] == NULL) {
            *rc = -EINVAL;
            return NULL;
        }
    }
    for (size_t i = 0; i < f->nseries; i++) {
        size_t j = 0;
        while (j < f->nlabels && strcmp(f->series[i].values[j], values[j]) == 0)
            j++;
        if (j == f->nlabels)
            return &f->series[i];
    }
    *rc = -ENOSPC;
    if (f->nseries == METRICS_SERIES_MAX)
        return NULL;
    *rc = -ENOMEM;
    if (f->nseries == f->cap) {
        size_t cap = f->cap > 0 ? 2 * f->cap : 4;
        struct metrics_series *s = realloc(f->series, cap * sizeof *s);
        if (s == NULL)
            return NULL;
        f->series = s;
        f->cap = cap;
    }
    struct metrics_series *s = &f->series[f->nseries];
    memset(s, 0, sizeof *s);
    for (size_t j = 0; j < f->nlabels; j++) {
        if ((s->values[j] = strdup(values[j])) == NULL) {
            while (j-- > 0)
                free(s->values[j]);
            return NULL;
        }
    }
    f->nseries++;
    *rc = 0;
    return s;
}

/* The series to change for a number (counter or gauge): checks TYPE and V. */
static struct metrics_series *metrics_number(struct metrics_reg *r, const char *name,
                                             const char *const *values, double v, int *rc)
{
    struct metrics_family *f = metrics_find(r, name);
    *rc = -ENOENT;
    if (f == NULL)
        return NULL;
    *rc = -EINVAL;
    if (f->type == METRICS_HISTOGRAM || (f->type == METRICS_COUNTER && !(v >= 0)))
        return NULL;
    return metrics_series(f, values, rc);
}

int metrics_set(struct metrics_reg *r, const char *name, const char *const *values, double v)
{
    int rc;
    struct metrics_series *s = metrics_number(r, name, values, v, &rc);
    if (s == NULL)
        return rc;
    s->v = v;
    return 0;
}

int metrics_add(struct metrics_reg *r, const char *name, const char *const *values, double v)
{
    int rc;
    struct metrics_series *s = metrics_number(r, name, values, v, &rc);
    if (s == NULL)
        return rc;
    s->v += v;
    return 0;
}

int metrics_set_hist(struct metrics_reg *r, const char *name, const char *const *values,
                     const struct metrics_hist *h)
{
    struct metrics_family *f = metrics_find(r, name);
    if (f == NULL)
        return -ENOENT;
    if (f->type != METRICS_HISTOGRAM)
        return -EINVAL;
    int rc;
    struct metrics_series *s = metrics_series(f, values, &rc);
    if (s == NULL)
        return rc;
    s->h = *h;
    return 0;
}

/* ---- rendering ---- */

struct metrics_buf {
    char *s;
    size_t len, cap;
    int failed;
};

static void metrics_put(struct metrics_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap > 0 ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (ns == NULL) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void metrics_puts(struct metrics_buf *b, const char *s)
{
    metrics_put(b, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at P (at most N bytes), 0 when invalid. */
static size_t metrics_utf8_len(const unsigned char *p, size_t n)
{
    size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : 2;
    if (p[0] < 0xC2 || p[0] > 0xF4 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90))
        return 0; /* overlong, surrogate, above U+10FFFF */
    return len;
}

/* Writes S escaped as the format wants: backslash and newline always, the double quote in a
 * label value (QUOTE); other control characters and bytes that are not UTF-8 (which the
 * format does not allow) as U+FFFD. */
static void metrics_put_escaped(struct metrics_buf *b, const char *s, int quote)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '\\' || c == '\n' || (quote && c == '"')) {
            metrics_puts(b, c == '\\' ? "\\\\" : c == '\n' ? "\\n" : "\\\"");
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            metrics_puts(b, "\xEF\xBF\xBD");
            i++;
        } else if (c < 0x80) {
            metrics_put(b, s + i, 1);
            i++;
        } else {
            size_t len = metrics_utf8_len(p + i, n - i);
            if (len == 0) {
                metrics_puts(b, "\xEF\xBF\xBD");
                i++;
            } else {
                metrics_put(b, s + i, len);
                i += len;
            }
        }
    }
}

void metrics_format_value(double v, char *buf, size_t cap)
{
    if (isnan(v)) {
        snprintf(buf, cap, "NaN");
    } else if (isinf(v)) {
        snprintf(buf, cap, v > 0 ? "+Inf" : "-Inf");
    } else if ((v < 0 ? -v : v) < 9007199254740992.0 && v == (double)(int64_t)v) {
        snprintf(buf, cap, "%" PRId64, (int64_t)v); /* integers as integers: "3", not "3e+00" */
    } else {
        /* The shortest form that reads back as the same double. */
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, cap, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
    }
}

/* Writes {a="x",b="y"} of F's labels with S's values, and LE (a bucket's bound) after them
 * when not NULL; nothing when there is no label at all. */
static void metrics_put_labels(struct metrics_buf *b, const struct metrics_family *f,
                               const struct metrics_series *s, const char *le)
{
    if (f->nlabels == 0 && le == NULL)
        return;
    metrics_puts(b, "{");
    for (size_t j = 0; j < f->nlabels; j++) {
        metrics_puts(b, j > 0 ? "," : "");
        metrics_puts(b, f->labels[j]);
        metrics_puts(b, "=\"");
        metrics_put_escaped(b, s->values[j], 1);
        metrics_puts(b, "\"");
    }
    if (le != NULL) {
        metrics_puts(b, f->nlabels > 0 ? ",le=\"" : "le=\"");
        metrics_puts(b, le);
        metrics_puts(b, "\"");
    }
    metrics_puts(b, "}");
}

/* One sample line: NAME SUFFIX {labels} VALUE. */
static void metrics_put_sample(struct metrics_buf *b, const struct metrics_family *f,
                               const struct metrics_series *s, const char *suffix, const char *le,
                               double v)
{
    char num[32];
    metrics_puts(b, f->name);
    metrics_puts(b, suffix);
    metrics_put_labels(b, f, s, le);
    metrics_format_value(v, num, sizeof num);
    metrics_puts(b, " ");
    metrics_puts(b, num);
    metrics_puts(b, "\n");
}

static void metrics_put_hist(struct metrics_buf *b, const struct metrics_family *f,
                             const struct metrics_series *s)
{
    const struct metrics_hist *h = &s->h;
    uint64_t cum = 0;
    char le[32];
    for (size_t i = 0; i < h->n; i++) {
        cum += h->bucket[i];
        metrics_format_value(h->bounds[i], le, sizeof le);
        metrics_put_sample(b, f, s, "_bucket", le, (double)cum);
    }
    metrics_put_sample(b, f, s, "_bucket", "+Inf", (double)h->count);
    metrics_put_sample(b, f, s, "_sum", NULL, h->sum);
    metrics_put_sample(b, f, s, "_count", NULL, (double)h->count);
}

static const char *metrics_type_name(enum metrics_type t)
{
    return t == METRICS_COUNTER ? "counter" : t == METRICS_GAUGE ? "gauge" : "histogram";
}

int metrics_render(const struct metrics_reg *r, char **out, size_t *len)
{
    struct metrics_buf b = {0};
    metrics_put(&b, "", 0); /* an empty registry is "" */
    for (size_t i = 0; i < r->n; i++) {
        const struct metrics_family *f = &r->fam[i];
        metrics_puts(&b, "# HELP ");
        metrics_puts(&b, f->name);
        metrics_puts(&b, " ");
        metrics_put_escaped(&b, f->help, 0);
        metrics_puts(&b, "\n# TYPE ");
        metrics_puts(&b, f->name);
        metrics_puts(&b, " ");
        metrics_puts(&b, metrics_type_name(f->type));
        metrics_puts(&b, "\n");
        for (size_t k = 0; k < f->nseries; k++) {
            if (f->type == METRICS_HISTOGRAM)
                metrics_put_hist(&b, f, &f->series[k]);
            else
                metrics_put_sample(&b, f, &f->series[k], "", NULL, f->series[k].v);
        }
    }
    if (b.failed) {
        free(b.s);
        return -ENOMEM;
    }
    *out = b.s;
    *len = b.len;
    return 0;
}
