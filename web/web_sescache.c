/*
 * web_sescache.c: the session cache of web_sescache.h: WEB_SESCACHE_SLOTS slots, a token's
 * slot from the first hex digits of its hash (SHA-256: evenly spread), a monotonic clock.
 */
#include "web/web_sescache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct web_sescache_slot {
    char token_hash[WEB_TOKEN_HEX]; /* "" for an empty slot */
    time_t until;                   /* CLOCK_MONOTONIC seconds */
    struct stor_web_session sess;
};

static pthread_mutex_t web_sescache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct web_sescache_slot web_sescache_slots[WEB_SESCACHE_SLOTS]; /* under the lock */

static time_t web_sescache_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static struct web_sescache_slot *web_sescache_slot(const char *token_hash)
{
    char head[9];
    memcpy(head, token_hash, 8);
    head[8] = '\0';
    return &web_sescache_slots[strtoul(head, NULL, 16) & (WEB_SESCACHE_SLOTS - 1)];
}

int web_sescache_get(const char *token_hash, struct stor_web_session *out)
{
    int hit = 0;
    pthread_mutex_lock(&web_sescache_lock);
    struct web_sescache_slot *s = web_sescache_slot(token_hash);
    if (strcmp(s->token_hash, token_hash) == 0 && web_sescache_now() < s->until) {
        *out = s->sess;
        hit = 1;
    }
    pthread_mutex_unlock(&web_sescache_lock);
    return hit;
}

void web_sescache_put(const char *token_hash, const struct stor_web_session *sess)
{
    pthread_mutex_lock(&web_sescache_lock);
    struct web_sescache_slot *s = web_sescache_slot(token_hash);
    memcpy(s->token_hash, token_hash, WEB_TOKEN_HEX);
    s->until = web_sescache_now() + WEB_SESCACHE_S;
    s->sess = *sess;
    pthread_mutex_unlock(&web_sescache_lock);
}

void web_sescache_drop(const char *token_hash)
{
    pthread_mutex_lock(&web_sescache_lock);
    struct web_sescache_slot *s = web_sescache_slot(token_hash);
    if (strcmp(s->token_hash, token_hash) == 0)
        s->token_hash[0] = '\0';
    pthread_mutex_unlock(&web_sescache_lock);
}

void web_sescache_drop_user(int user_id)
{
    pthread_mutex_lock(&web_sescache_lock);
    for (size_t i = 0; i < WEB_SESCACHE_SLOTS; i++)
        if (web_sescache_slots[i].sess.user_id == user_id)
            web_sescache_slots[i].token_hash[0] = '\0';
    pthread_mutex_unlock(&web_sescache_lock);
}
