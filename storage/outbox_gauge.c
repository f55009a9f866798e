/*
 * outbox_gauge.c: the outbox's gauge for the metrics (see outbox_gauge.h). One statement,
 * no transaction: counts from the partial indexes of the two queued queues (replies,
 * pushes: schema/018) and outbox_sending, the oldest queued row by the first id of each
 * queue (ids grow with created_at), its age on the server's clock.
 */
#include "storage/outbox_gauge.h"

#include <errno.h>
#include <stdlib.h>

#include "core/promo.h"
#include "storage/db_internal.h"

const struct stor_stmt stor_outbox_gauge_stmts[] = {
    {"outbox_gauge",
     "SELECT (SELECT count(*) FROM outbox WHERE state = 'queued' AND kind <> '" PROMO_OUTBOX_KIND
     "')"
     " + (SELECT count(*) FROM outbox WHERE state = 'queued' AND kind = '" PROMO_OUTBOX_KIND "'),"
     " (SELECT count(*) FROM outbox WHERE state = 'sending'),"
     " coalesce(extract(epoch FROM clock_timestamp() - least("
     "  (SELECT created_at FROM outbox WHERE state = 'queued' AND kind <> '" PROMO_OUTBOX_KIND "'"
     "   ORDER BY id LIMIT 1),"
     "  (SELECT created_at FROM outbox WHERE state = 'queued' AND kind = '" PROMO_OUTBOX_KIND "'"
     "   ORDER BY id LIMIT 1)))::float8, 0)",
     0},
    {NULL, NULL, 0},
};

struct gauge_job {
    struct stor_job job; /* first: db.c sees this */
    int sent;
    struct stor_outbox_gauge g;
    void (*cb)(void *arg, int rc, const struct stor_outbox_gauge *g);
    void *arg;
};

static int gauge_step(struct stor_job *job, const PGresult *res)
{
    struct gauge_job *j = (struct gauge_job *)job;
    if (!j->sent) {
        j->sent = 1;
        return stor_job_send(job, "outbox_gauge", 0, NULL);
    }
    if (PQntuples(res) != 1 || PQnfields(res) != 3)
        return -EIO;
    j->g.queued = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    j->g.sending = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    j->g.oldest_queued_s = strtod(PQgetvalue(res, 0, 2), NULL);
    return STOR_JOB_DONE;
}

static void gauge_finish(struct stor_job *job, int rc)
{
    struct gauge_job *j = (struct gauge_job *)job;
    j->cb(j->arg, rc, rc == 0 ? &j->g : NULL);
    free(j);
}

static const struct stor_job_ops gauge_ops = {"outbox gauge", gauge_step, gauge_finish};

int stor_outbox_gauge(struct stor_db *db,
                      void (*cb)(void *arg, int rc, const struct stor_outbox_gauge *g), void *arg)
{
    struct gauge_job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return -ENOMEM;
    j->job.ops = &gauge_ops;
    j->cb = cb;
    j->arg = arg;
    int rc = stor_db_submit(db, &j->job);
    if (rc < 0)
        free(j);
    return rc;
}
