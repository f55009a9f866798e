/*
 * web_rank.h: an employee's place in a period's ranking for the web console. The ranking
 * (storage/report.h's stor_ranking, the one `ermctl period ranking` prints) reads every
 * order of the period; computed for each page view it would cost a second per request on
 * a large campaign. So it is computed at most once per WEB_RANK_TTL_S and kept here, shared
 * by the workers, in two slots: the current period's, which ermweb's main thread refreshes
 * every WEB_RANK_REFRESH_S (web_rank_refresh) so that no request waits for it, and the
 * last other period asked for (an employee's earlier month), read by the worker that asks
 * and refreshed by one worker while the others answer from it when stale. Employees see a
 * ranking about WEB_RANK_TTL_S old at most.
 */
#ifndef ERM_WEB_RANK_H
#define ERM_WEB_RANK_H

#include <stddef.h>

#include "storage/admin.h"

#define WEB_RANK_TTL_S     60
#define WEB_RANK_REFRESH_S 30 /* the current period's, by the main thread */

struct web_rank {
    long rank;      /* 0: not ranked (no orders in the period) */
    long of;        /* holders ranked */
    int closed;     /* the period is closed: the stored ranking */
    int restricted; /* 1: barred from claiming by it, 0 not, -1 open period */
};

/* HOLDER's place (an employee id, or "team:N") in PERIOD ("YYYY-MM") into OUT, from the
 * cached ranking or, when older than WEB_RANK_TTL_S or of another period, a fresh one read
 * on ADM. 0 or the negative errno of stor_ranking() with ERR. */
int web_rank_find(struct stor_admin *adm, const char *period, const char *holder,
                  struct web_rank *out, char *err, size_t errlen);

/* Reads PERIOD's ranking afresh on ADM (the main thread's connection) and puts it in its
 * slot, outside the lock while reading; requests meanwhile answer from the old one. */
int web_rank_refresh(struct stor_admin *adm, const char *period, char *err, size_t errlen);

/* Frees the cache (at exit). */
void web_rank_free(void);

#endif
