/*
 * web_cache.h: a small in-memory cache with a time to live, shared by ermweb's worker
 * threads under one mutex: what every request would otherwise ask the database (a session,
 * an employee's summary) is kept a few seconds. Set-associative by the key's FNV-1a hash
 * (8 slots a set): a full set evicts the entry that expires first. Values are copied in
 * and out (fixed size, plain data).
 *
 * Ownership: the cache owns its slots, allocated at its first use (a cache whose slots
 * cannot be allocated keeps nothing: every lookup misses) and freed by web_cache_free().
 */
#ifndef ERM_WEB_CACHE_H
#define ERM_WEB_CACHE_H

#include <pthread.h>
#include <stddef.h>

#define WEB_CACHE_KEY_MAX 80 /* bytes of a key, with its NUL */

struct web_cache {
    pthread_mutex_t lock;
    size_t nslots, size; /* slots (a power of two), bytes of a value */
    int ttl_s;
    unsigned char *slots; /* nslots of: key, until, value; NULL until the first use */
};

/* A cache of NSLOTS (a power of two) values of SIZE bytes, each kept TTL_S seconds, as a
 * static initializer. */
#define WEB_CACHE_INIT(nslots, size, ttl_s)                                                        \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, (nslots), (size), (ttl_s), NULL                                 \
    }

/* 1 with KEY's value in OUT when it was put less than the TTL ago, else 0. */
int web_cache_get(struct web_cache *c, const char *key, void *out);

/* Keeps VALUE for KEY (a key too long is not kept). */
void web_cache_put(struct web_cache *c, const char *key, const void *value);

/* Forgets KEY. */
void web_cache_drop(struct web_cache *c, const char *key);

/* Forgets every value MATCH(value, ARG) says 1 of. */
void web_cache_drop_if(struct web_cache *c, int (*match)(const void *value, void *arg), void *arg);

/* Frees C's slots. */
void web_cache_free(struct web_cache *c);

#endif
