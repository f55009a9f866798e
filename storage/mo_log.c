/*
 * mo_log.c: the MO log of mo_log.h: the dedupe step every MO transaction takes (declared in
 * db_internal.h), the help reply's transaction and the housekeeping of the log. The
 * statements are mo_job.c's.
 */
#include "storage/mo_log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "storage/db_internal.h"
#include "storage/mo_job.h"

/* ---- the dedupe step ------------------------------------------------------------------ */

int stor_mo_dedupe_send(struct stor_job *job, const struct stor_mo_key *key)
{
    char a[24], b[24];
    if (key->nparts > 0) {
        const struct stor_mo_group_id *g = &key->group;
        snprintf(a, sizeof a, "%" PRIu32, g->ref);
        snprintf(b, sizeof b, "%u", g->total);
        const char *v[] = {g->source, g->dest, a, b};
        return stor_job_send(job, "mo_group_take", 4, v);
    }
    snprintf(a, sizeof a, "%" PRIu32, key->seq);
    snprintf(b, sizeof b, "%u", key->window_s);
    const char *v[] = {key->key, key->link, a, b};
    return stor_job_send(job, "mo_fresh", 4, v);
}

int stor_mo_dedupe_check(const struct stor_mo_key *key, const PGresult *res)
{
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        ERM_ERROR("db", "MO dedupe step: %d rows", PQntuples(res));
        return -EIO;
    }
    const char *v = PQgetvalue(res, 0, 0);
    if (key->nparts == 0) {
        if (strcmp(v, "t") == 0)
            return 0;
        ERM_DEBUG("db", "MO %.12s from link %s seq %" PRIu32 ": redelivered", key->key, key->link,
                  key->seq);
        return -EALREADY;
    }
    unsigned long taken = strtoul(v, NULL, 10);
    if (taken == key->nparts)
        return 0;
    if (taken == 0) {
        ERM_DEBUG("db", "MO from %s ref %" PRIu32 ": its parts were taken by another transaction",
                  key->group.source, key->group.ref);
        return -EALREADY;
    }
    ERM_WARN("db", "MO from %s ref %" PRIu32 ": %lu parts stored, %u joined; handled later",
             key->group.source, key->group.ref, taken, key->nparts);
    return -EAGAIN;
}

/* ---- jobs ------------------------------------------------------------------------------ */

/* A job whose outcome is RC alone. */
struct mo_log_job {
    struct mo_job mo; /* first */
    stor_mo_done_cb done;
};

static void mo_log_done_finish(struct stor_job *job, int rc)
{
    struct mo_log_job *j = (struct mo_log_job *)job;
    if (j->done != NULL)
        j->done(j->mo.arg, rc);
    mo_job_free(&j->mo);
}

/* Queues a job of OPS with the N parameters VALUES (KEY may be NULL), whose outcome goes
 * to CB. */
static int mo_log_submit(struct stor_db *db, const struct stor_job_ops *ops, int n,
                         const char *const *values, const struct stor_mo_key *key,
                         stor_mo_done_cb cb, void *arg)
{
    struct mo_log_job *j = mo_job_new(sizeof *j, ops, n, values);
    if (j != NULL) {
        if (key != NULL)
            j->mo.key = *key;
        j->done = cb;
        j->mo.arg = arg;
    }
    return mo_job_submit(db, j != NULL ? &j->mo : NULL);
}

/* ---- an MO answered by a reply only ------------------------------------------------------ */

static int mo_log_reply_step(struct stor_job *job, const PGresult *res)
{
    struct mo_job *j = (struct mo_job *)job;
    int rc;
    switch (j->step++) {
    case 0:
        return stor_job_send_sql(job, "BEGIN");
    case 1:
        return stor_mo_dedupe_send(job, &j->key);
    case 2:
        rc = stor_mo_dedupe_check(&j->key, res);
        return rc < 0 ? rc : mo_job_send(j, STOR_STMT_OUTBOX_INSERT);
    case 3:
        return stor_job_send_sql(job, "COMMIT");
    default:
        return STOR_JOB_DONE;
    }
}

static const struct stor_job_ops mo_log_reply_ops = {"MO reply", mo_log_reply_step,
                                                     mo_log_done_finish};

int stor_mo_reply(struct stor_db *db, const struct stor_mo_key *key, const char *dest,
                  const char *source, enum reply_kind kind, const char *text, stor_mo_done_cb cb,
                  void *arg)
{
    if (dest[0] == '\0' || strlen(dest) >= MSISDN_ADDR_MAX || source[0] == '\0' ||
        strlen(source) >= MSISDN_ADDR_MAX) {
        ERM_WARN("db", "MO reply: refusing a message from \"%s\" to \"%s\"", source, dest);
        return -EINVAL;
    }
    const char *v[] = {dest, source, reply_kind_name(kind), text};
    return mo_log_submit(db, &mo_log_reply_ops, 4, v, key, cb, arg);
}

/* ---- housekeeping ----------------------------------------------------------------------- */

static int mo_log_housekeeping_step(struct stor_job *job, const PGresult *res)
{
    struct mo_job *j = (struct mo_job *)job;
    if (j->step++ == 0)
        return mo_job_send(j, "mo_housekeeping");
    if (PQntuples(res) == 1 &&
        (strcmp(PQgetvalue(res, 0, 0), "0") != 0 || strcmp(PQgetvalue(res, 0, 1), "0") != 0))
        ERM_INFO("db",
                 "housekeeping: %s MO keys past the dedupe window, %s receipts that found "
                 "no part forgotten",
                 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    return STOR_JOB_DONE;
}

static const struct stor_job_ops mo_log_housekeeping_ops = {
    "housekeeping", mo_log_housekeeping_step, mo_log_done_finish};

int stor_mo_housekeeping(struct stor_db *db, unsigned window_s, stor_mo_done_cb cb, void *arg)
{
    char w[16];
    snprintf(w, sizeof w, "%u", window_s);
    const char *v[] = {w};
    return mo_log_submit(db, &mo_log_housekeeping_ops, 1, v, NULL, cb, arg);
}
