/*
 * web_cache.c: the cache of web_cache.h. A slot is the key (NUL-terminated, "" when
 * empty), the CLOCK_MONOTONIC second it expires, and the value. The key's hash picks a set
 * of WEB_CACHE_WAYS slots, and the key may be in any of them: direct-mapped (one slot a
 * key), 1,000 sessions in 4,096 slots lost about a fifth to clashes, and every request of
 * those went to the database. A full set gives up the slot that expires first.
 */
#include "web/web_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct web_cache_head {
    char key[WEB_CACHE_KEY_MAX];
    time_t until;
};

static time_t web_cache_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Bytes of a slot, rounded up so that every slot's head is aligned. */
static size_t web_cache_stride(const struct web_cache *c)
{
    return (sizeof(struct web_cache_head) + c->size + 15) & ~(size_t)15;
}

static struct web_cache_head *web_cache_at(struct web_cache *c, size_t i)
{
    return (struct web_cache_head *)(c->slots + i * web_cache_stride(c));
}

/* Slots a key may take: its set. */
#define WEB_CACHE_WAYS 8

static size_t web_cache_ways(const struct web_cache *c)
{
    return c->nslots < WEB_CACHE_WAYS ? c->nslots : WEB_CACHE_WAYS;
}

/* The first slot of KEY's set. */
static size_t web_cache_set(const struct web_cache *c, const char *key)
{
    uint32_t h = 2166136261u;
    for (const char *p = key; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    size_t ways = web_cache_ways(c);
    return (h & (c->nslots / ways - 1)) * ways;
}

/* KEY's slot, or NULL. */
static struct web_cache_head *web_cache_find(struct web_cache *c, const char *key)
{
    size_t first = web_cache_set(c, key);
    for (size_t i = 0; i < web_cache_ways(c); i++) {
        struct web_cache_head *s = web_cache_at(c, first + i);
        if (s->key[0] != '\0' && strcmp(s->key, key) == 0)
            return s;
    }
    return NULL;
}

/* The slot for KEY: its own, else an empty one of its set, else the one expiring first. */
static struct web_cache_head *web_cache_claim(struct web_cache *c, const char *key)
{
    struct web_cache_head *s = web_cache_find(c, key);
    if (s != NULL)
        return s;
    size_t first = web_cache_set(c, key);
    struct web_cache_head *victim = NULL;
    for (size_t i = 0; i < web_cache_ways(c); i++) {
        s = web_cache_at(c, first + i);
        if (s->key[0] == '\0')
            return s;
        if (victim == NULL || s->until < victim->until)
            victim = s;
    }
    return victim;
}

static int web_cache_ready(struct web_cache *c)
{
    if (c->slots == NULL)
        c->slots = calloc(c->nslots, web_cache_stride(c));
    return c->slots != NULL;
}

int web_cache_get(struct web_cache *c, const char *key, void *out)
{
    int hit = 0;
    pthread_mutex_lock(&c->lock);
    struct web_cache_head *s = web_cache_ready(c) ? web_cache_find(c, key) : NULL;
    if (s != NULL && web_cache_now() < s->until) {
        memcpy(out, s + 1, c->size);
        hit = 1;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void web_cache_put(struct web_cache *c, const char *key, const void *value)
{
    size_t n = strlen(key);
    if (n == 0 || n >= WEB_CACHE_KEY_MAX)
        return;
    pthread_mutex_lock(&c->lock);
    if (web_cache_ready(c)) {
        struct web_cache_head *s = web_cache_claim(c, key);
        memcpy(s->key, key, n + 1);
        s->until = web_cache_now() + c->ttl_s;
        memcpy(s + 1, value, c->size);
    }
    pthread_mutex_unlock(&c->lock);
}

void web_cache_drop(struct web_cache *c, const char *key)
{
    pthread_mutex_lock(&c->lock);
    struct web_cache_head *s = c->slots != NULL ? web_cache_find(c, key) : NULL;
    if (s != NULL)
        s->key[0] = '\0';
    pthread_mutex_unlock(&c->lock);
}

void web_cache_drop_if(struct web_cache *c, int (*match)(const void *value, void *arg), void *arg)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; c->slots != NULL && i < c->nslots; i++) {
        struct web_cache_head *s = web_cache_at(c, i);
        if (s->key[0] != '\0' && match(s + 1, arg))
            s->key[0] = '\0';
    }
    pthread_mutex_unlock(&c->lock);
}

void web_cache_free(struct web_cache *c)
{
    pthread_mutex_lock(&c->lock);
    free(c->slots);
    c->slots = NULL;
    pthread_mutex_unlock(&c->lock);
}
