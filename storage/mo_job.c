/*
 * mo_job.c: the job the MO files' transactions are made of (mo_job.h), and their prepared
 * statements. The rules themselves are server-side functions of schema/003_delivery.sql
 * (erm_mo_fresh, erm_mo_part_add, erm_mo_group_take, ...), so two gateways on one database
 * follow them under the same locks. One table for the MO log's and the parts' statements:
 * db.c prepares it as one set.
 */
#include "storage/mo_job.h"

#include <errno.h>
#include <stdlib.h>

const struct stor_stmt stor_mo_stmts[] = {
    {"mo_fresh", "SELECT erm_mo_fresh($1, $2, $3, $4)", 4},
    {"mo_group_take", "SELECT erm_mo_group_take($1, $2, $3, $4)", 4},
    {"mo_part_add",
     "SELECT outcome, seqnum, data_coding, body"
     " FROM erm_mo_part_add($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
     11},
    {"mo_parts_due",
     "SELECT source, dest, ref, total, seqnum, data_coding, body FROM erm_mo_parts_due($1, $2)", 2},
    {"mo_parts_next_due", "SELECT erm_mo_parts_next_due($1)", 1},
    {"mo_housekeeping", "SELECT mo_logs, receipts FROM erm_housekeeping($1)", 1},
    {NULL, NULL, 0},
};

void mo_job_free(struct mo_job *j)
{
    for (int i = 0; i < MO_JOB_MAX_PARAMS; i++)
        free(j->params[i]);
    free(j);
}

void *mo_job_new(size_t size, const struct stor_job_ops *ops, int n, const char *const *values)
{
    struct mo_job *j = calloc(1, size);
    if (j == NULL)
        return NULL;
    j->job.ops = ops;
    j->nparams = n;
    if (stor_params_dup(j->params, n, values) < 0) {
        mo_job_free(j);
        return NULL;
    }
    return j;
}

int mo_job_submit(struct stor_db *db, struct mo_job *j)
{
    int rc = j != NULL ? stor_db_submit(db, &j->job) : -ENOMEM;
    if (rc < 0 && j != NULL)
        mo_job_free(j);
    return rc;
}

int mo_job_send(struct mo_job *j, const char *stmt)
{
    return stor_job_send(&j->job, stmt, j->nparams, (const char *const *)j->params);
}
