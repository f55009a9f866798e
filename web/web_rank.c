/*
 * web_rank.c: the ranking cache of web_rank.h: a period's ranking as an array sorted by
 * holder, looked up by bsearch, in two slots. The first is replaced by web_rank_refresh()
 * (the main thread, reading outside the lock). In the second, a stale ranking of the same
 * period is refreshed by the one worker that finds it stale, outside the lock, while the
 * others keep answering from the old one (reading a large period's orders takes a second:
 * nobody waits for it but that worker); a ranking of another period, or none yet, is read
 * under the lock.
 */
#include "web/web_rank.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/field.h"
#include "storage/report.h"

struct web_rank_entry {
    char *holder;
    long rank;
    int restricted;
};

/* One period's ranking. */
struct web_rank_set {
    char period[8];
    time_t at;
    int closed;
    struct web_rank_entry *v;
    size_t n, cap;
    int oom;
};

static pthread_mutex_t web_rank_lock = PTHREAD_MUTEX_INITIALIZER;
/* [0] the period web_rank_refresh() keeps, [1] the last other one asked for; under the
 * lock. REFRESHING: a worker is reading a fresh [1]. */
static struct web_rank_set web_rank_cache[2];
static int web_rank_refreshing;

static void web_rank_set_free(struct web_rank_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].holder);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static void web_rank_add(void *arg, const struct stor_rank_row *row)
{
    struct web_rank_set *s = arg;
    if (s->oom)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        struct web_rank_entry *v = realloc(s->v, cap * sizeof *v);
        if (v == NULL) {
            s->oom = 1;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    char *h = strdup(row->holder);
    if (h == NULL) {
        s->oom = 1;
        return;
    }
    s->v[s->n++] = (struct web_rank_entry){h, row->rank, row->restricted};
}

static int web_rank_cmp(const void *a, const void *b)
{
    return strcmp(((const struct web_rank_entry *)a)->holder,
                  ((const struct web_rank_entry *)b)->holder);
}

/* Reads PERIOD's ranking into S (zeroed first; S is the caller's to free). */
static int web_rank_load(struct stor_admin *adm, const char *period, struct web_rank_set *s,
                         char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    int rc = stor_ranking(adm, period, web_rank_add, s, &s->closed, err, errlen);
    if (rc == 0 && s->oom)
        rc = field_error(err, errlen, -ENOMEM, "ranking: out of memory");
    if (rc < 0)
        return rc;
    if (s->n > 0) /* no ranking yet: V is NULL, which qsort may not get */
        qsort(s->v, s->n, sizeof *s->v, web_rank_cmp);
    memcpy(s->period, period, strlen(period) + 1);
    s->at = time(NULL);
    return 0;
}

/* HOLDER's place in ranking S into OUT. Under the lock. */
static void web_rank_lookup(const struct web_rank_set *s, const char *holder, struct web_rank *out)
{
    struct web_rank_entry key = {(char *)holder, 0, 0};
    const struct web_rank_entry *e =
        s->n == 0 ? NULL : bsearch(&key, s->v, s->n, sizeof key, web_rank_cmp);
    *out = (struct web_rank){e != NULL ? e->rank : 0, (long)s->n, s->closed,
                             e != NULL ? e->restricted : -1};
}

/* Replaces slot SLOT with FRESH (taken over). Under the lock. */
static void web_rank_swap(int slot, struct web_rank_set *fresh)
{
    web_rank_set_free(&web_rank_cache[slot]);
    web_rank_cache[slot] = *fresh;
}

int web_rank_find(struct stor_admin *adm, const char *period, const char *holder,
                  struct web_rank *out, char *err, size_t errlen)
{
    if (stor_period_check(period) < 0)
        return field_error(err, errlen, -EINVAL, "period: \"%s\" is not a month (YYYY-MM)", period);
    struct web_rank_set fresh;
    int rc = 0;
    pthread_mutex_lock(&web_rank_lock);
    if (strcmp(web_rank_cache[0].period, period) == 0 &&
        time(NULL) - web_rank_cache[0].at < 3 * WEB_RANK_TTL_S) { /* kept by the main thread */
        web_rank_lookup(&web_rank_cache[0], holder, out);
        pthread_mutex_unlock(&web_rank_lock);
        return 0;
    }
    struct web_rank_set *o = &web_rank_cache[1];
    int same = strcmp(o->period, period) == 0;
    int stale = !same || time(NULL) - o->at >= WEB_RANK_TTL_S;
    if (same && stale && !web_rank_refreshing) { /* this worker refreshes it, unlocked */
        web_rank_refreshing = 1;
        pthread_mutex_unlock(&web_rank_lock);
        rc = web_rank_load(adm, period, &fresh, err, errlen);
        pthread_mutex_lock(&web_rank_lock);
        web_rank_refreshing = 0;
        if (rc == 0 && strcmp(o->period, period) == 0)
            web_rank_swap(1, &fresh);
        else
            web_rank_set_free(&fresh);
    } else if (!same) { /* another period, or none yet: read under the lock */
        rc = web_rank_load(adm, period, &fresh, err, errlen);
        if (rc == 0)
            web_rank_swap(1, &fresh);
        else
            web_rank_set_free(&fresh);
    }
    if (rc == 0)
        web_rank_lookup(o, holder, out);
    pthread_mutex_unlock(&web_rank_lock);
    return rc;
}

int web_rank_refresh(struct stor_admin *adm, const char *period, char *err, size_t errlen)
{
    struct web_rank_set fresh;
    int rc = web_rank_load(adm, period, &fresh, err, errlen);
    pthread_mutex_lock(&web_rank_lock);
    if (rc == 0)
        web_rank_swap(0, &fresh);
    else
        web_rank_set_free(&fresh);
    pthread_mutex_unlock(&web_rank_lock);
    return rc;
}

void web_rank_free(void)
{
    pthread_mutex_lock(&web_rank_lock);
    web_rank_set_free(&web_rank_cache[0]);
    web_rank_set_free(&web_rank_cache[1]);
    pthread_mutex_unlock(&web_rank_lock);
}
