/*
 * optout.c: the opt-out transaction of optout.h, as one job on the daemon's connection:
 *
 *   BEGIN
 *   the MO's dedupe step (storage/mo_log.h): a redelivered TD is confirmed once
 *   record the opt-out (first time kept) and withdraw the promo pushes still queued to the
 *   number (state failed, error "opted out": never sent, kept for the record)
 *   INSERT INTO outbox (...) the confirmation
 *   COMMIT
 *
 * Pushes already handed to the SMSC cannot be called back; everything queued after COMMIT
 * is filtered by erm_queue_promo() (schema/002_pool.sql).
 */
#include "storage/optout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/codeplan.h"
#include "core/msisdn.h"
#include "core/promo.h"
#include "core/reply.h"
#include "storage/db_internal.h"
#include "storage/mo_log.h"

#define OPTOUT_REPLY_MAX 512

const struct stor_stmt stor_optout_stmts[] = {
    {"optout_record",
     "WITH o AS (INSERT INTO optouts (msisdn) VALUES ($1) ON CONFLICT (msisdn) DO NOTHING"
     "           RETURNING msisdn),"
     "     w AS (UPDATE outbox SET state = 'failed', error = 'opted out', updated_at = now()"
     "           WHERE dest = $1 AND kind = '" PROMO_OUTBOX_KIND "' AND state = 'queued'"
     "           RETURNING id)"
     " SELECT (SELECT count(*) FROM o), (SELECT count(*) FROM w)",
     1},
    {NULL, NULL, 0},
};

enum optout_step {
    OPTOUT_BEGIN,
    OPTOUT_DEDUPE,
    OPTOUT_RECORD,
    OPTOUT_REPLY,
    OPTOUT_COMMIT,
    OPTOUT_DONE
};

struct optout_job {
    struct stor_job job; /* first: db.c sees this */
    enum optout_step step;
    char sender[MSISDN_ADDR_MAX]; /* as received: the confirmation's destination */
    char number[MSISDN_ADDR_MAX]; /* as recorded */
    char service[CODEPLAN_MAX_SERVICE_LEN + 1];
    int first;             /* 1 when this is the number's first opt-out */
    long withdrawn;        /* queued pushes withdrawn */
    struct stor_mo_key mo; /* the MO's dedupe step, when HAS_MO */
    int has_mo;
    stor_optout_cb cb;
    void *arg;
};

/* Notes what the record statement did and sends the confirmation's outbox insert. */
static int optout_send_reply(struct optout_job *o, const PGresult *res)
{
    char text[OPTOUT_REPLY_MAX];
    if (PQntuples(res) == 1 && PQnfields(res) == 2) {
        o->first = strcmp(PQgetvalue(res, 0, 0), "1") == 0;
        o->withdrawn = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    }
    int n = reply_render(REPLY_OPTOUT_OK, NULL, NULL, o->service, text, sizeof text);
    if (n < 0) {
        ERM_ERROR("db", "optout: rendering the reply: %s", strerror(-n));
        return n;
    }
    const char *params[] = {o->sender, o->service, reply_kind_name(REPLY_OPTOUT_OK), text};
    return stor_job_send(&o->job, STOR_STMT_OUTBOX_INSERT, 4, params);
}

static int optout_step(struct stor_job *job, const PGresult *res)
{
    struct optout_job *o = (struct optout_job *)job;
    switch (o->step++) {
    case OPTOUT_BEGIN:
        return stor_job_send_sql(job, "BEGIN");
    case OPTOUT_DEDUPE:
        if (o->has_mo)
            return stor_mo_dedupe_send(job, &o->mo);
        o->step++; /* no MO to look up: record at once */
        /* fall through */
    case OPTOUT_RECORD: {
        int rc = o->has_mo ? stor_mo_dedupe_check(&o->mo, res) : 0;
        const char *params[] = {o->number};
        return rc < 0 ? rc : stor_job_send(job, "optout_record", 1, params);
    }
    case OPTOUT_REPLY:
        return optout_send_reply(o, res);
    case OPTOUT_COMMIT:
        return stor_job_send_sql(job, "COMMIT");
    default:
        ERM_INFO("db", "optout of %s recorded%s; %ld queued promo push(es) withdrawn", o->number,
                 o->first ? "" : " (again)", o->withdrawn);
        return STOR_JOB_DONE;
    }
}

static void optout_finish(struct stor_job *job, int rc)
{
    struct optout_job *o = (struct optout_job *)job;
    o->cb(o->arg, rc);
    free(o);
}

static const struct stor_job_ops optout_ops = {"optout", optout_step, optout_finish};

int stor_optout(struct stor_db *db, const struct stor_mo_key *mo, const char *sender,
                const char *service, stor_optout_cb cb, void *arg)
{
    size_t slen = strlen(sender);
    if (slen == 0 || slen >= MSISDN_ADDR_MAX || codeplan_check_service(service) < 0) {
        ERM_WARN("db", "optout refused: sender \"%s\", service \"%s\"", sender, service);
        return -EINVAL;
    }
    struct optout_job *o = calloc(1, sizeof *o);
    if (o == NULL)
        return -ENOMEM;
    o->job.ops = &optout_ops;
    memcpy(o->sender, sender, slen + 1);
    if (msisdn_normalize(sender, o->number, sizeof o->number) < 0)
        memcpy(o->number, sender, slen + 1);
    snprintf(o->service, sizeof o->service, "%s", service);
    if (mo != NULL) {
        o->mo = *mo;
        o->has_mo = 1;
    }
    o->cb = cb;
    o->arg = arg;
    int rc = stor_db_submit(db, &o->job);
    if (rc < 0)
        free(o);
    return rc;
}

/* ---- the list, for ermctl ------------------------------------------------------------ */

int stor_optout_list(struct stor_admin *adm, const char *dept,
                     void (*row)(void *arg, const char *msisdn, const char *at), void *arg,
                     char *err, size_t errlen)
{
    PGresult *res = NULL;
    const char *v[] = {dept != NULL && dept[0] != '\0' ? dept : NULL};
    int rc = stor_admin_exec(adm, &res, "opt-outs",
                             "SELECT o.msisdn, to_char(o.at, 'YYYY-MM-DD HH24:MI:SS')"
                             " FROM optouts o WHERE $1::text IS NULL OR EXISTS"
                             " (SELECT 1 FROM employees e WHERE e.msisdn = o.msisdn"
                             "  AND e.dept = $1)"
                             " ORDER BY o.at, o.msisdn",
                             1, v, err, errlen);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++)
        row(arg, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
    PQclear(res);
    return rc;
}
