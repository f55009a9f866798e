/*
 * web_cache.c: the cache of web_cache.h. A slot is the key (NUL-terminated, "" when
 * empty), the CLOCK_MONOTONIC second it expires, and the value.
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

/* KEY's slot. */
static struct web_cache_head *web_cache_slot(struct web_cache *c, const char *key)
{
    uint32_t h = 2166136261u;
    for (const char *p = key; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return web_cache_at(c, h & (c->nslots - 1));
}

/* 1 when C has its slots, allocated now if need be. Under the lock. */
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
    struct web_cache_head *s = web_cache_ready(c) ? web_cache_slot(c, key) : NULL;
    if (s != NULL && strcmp(s->key, key) == 0 && web_cache_now() < s->until) {
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
        struct web_cache_head *s = web_cache_slot(c, key);
        memcpy(s->key, key, n + 1);
        s->until = web_cache_now() + c->ttl_s;
        memcpy(s + 1, value, c->size);
    }
    pthread_mutex_unlock(&c->lock);
}

void web_cache_drop(struct web_cache *c, const char *key)
{
    pthread_mutex_lock(&c->lock);
    struct web_cache_head *s = c->slots != NULL ? web_cache_slot(c, key) : NULL;
    if (s != NULL && strcmp(s->key, key) == 0)
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
