/*
 * web_rank.c: the ranking cache of web_rank.h: one period's ranking as an array sorted by
 * holder, looked up by bsearch; rebuilt under the mutex, so one worker reads the ranking
 * while the others wait for it instead of reading it too.
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

static struct {
    pthread_mutex_t lock;
    char period[8];
    time_t at;
    int closed;
    struct web_rank_entry *v;
    size_t n, cap;
    int oom;
} web_rank_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void web_rank_clear(void)
{
    for (size_t i = 0; i < web_rank_cache.n; i++)
        free(web_rank_cache.v[i].holder);
    free(web_rank_cache.v);
    web_rank_cache.v = NULL;
    web_rank_cache.n = web_rank_cache.cap = 0;
    web_rank_cache.period[0] = '\0';
}

static void web_rank_add(void *arg, const struct stor_rank_row *row)
{
    (void)arg;
    if (web_rank_cache.n == web_rank_cache.cap) {
        size_t cap = web_rank_cache.cap ? web_rank_cache.cap * 2 : 256;
        struct web_rank_entry *v = realloc(web_rank_cache.v, cap * sizeof *v);
        if (v == NULL) {
            web_rank_cache.oom = 1;
            return;
        }
        web_rank_cache.v = v;
        web_rank_cache.cap = cap;
    }
    char *h = strdup(row->holder);
    if (h == NULL) {
        web_rank_cache.oom = 1;
        return;
    }
    web_rank_cache.v[web_rank_cache.n++] = (struct web_rank_entry){h, row->rank, row->restricted};
}

static int web_rank_cmp(const void *a, const void *b)
{
    return strcmp(((const struct web_rank_entry *)a)->holder,
                  ((const struct web_rank_entry *)b)->holder);
}

/* Reads PERIOD's ranking into the cache. Under the lock. */
static int web_rank_load(struct stor_admin *adm, const char *period, char *err, size_t errlen)
{
    web_rank_clear();
    web_rank_cache.oom = 0;
    int rc = stor_ranking(adm, period, web_rank_add, NULL, &web_rank_cache.closed, err, errlen);
    if (rc == 0 && web_rank_cache.oom)
        rc = field_error(err, errlen, -ENOMEM, "ranking: out of memory");
    if (rc < 0) {
        web_rank_clear();
        return rc;
    }
    if (web_rank_cache.n > 0) /* no ranking yet: V is NULL, which qsort may not get */
        qsort(web_rank_cache.v, web_rank_cache.n, sizeof *web_rank_cache.v, web_rank_cmp);
    memcpy(web_rank_cache.period, period, strlen(period) + 1);
    web_rank_cache.at = time(NULL);
    return 0;
}

int web_rank_find(struct stor_admin *adm, const char *period, const char *holder,
                  struct web_rank *out, char *err, size_t errlen)
{
    if (stor_period_check(period) < 0)
        return field_error(err, errlen, -EINVAL, "period: \"%s\" is not a month (YYYY-MM)", period);
    int rc = 0;
    pthread_mutex_lock(&web_rank_cache.lock);
    if (strcmp(web_rank_cache.period, period) != 0 ||
        time(NULL) - web_rank_cache.at >= WEB_RANK_TTL_S)
        rc = web_rank_load(adm, period, err, errlen);
    if (rc == 0) {
        struct web_rank_entry key = {(char *)holder, 0, 0};
        const struct web_rank_entry *e =
            web_rank_cache.n == 0
                ? NULL
                : bsearch(&key, web_rank_cache.v, web_rank_cache.n, sizeof key, web_rank_cmp);
        *out = (struct web_rank){e != NULL ? e->rank : 0, (long)web_rank_cache.n,
                                 web_rank_cache.closed, e != NULL ? e->restricted : -1};
    }
    pthread_mutex_unlock(&web_rank_cache.lock);
    return rc;
}

void web_rank_free(void)
{
    pthread_mutex_lock(&web_rank_cache.lock);
    web_rank_clear();
    pthread_mutex_unlock(&web_rank_cache.lock);
}
