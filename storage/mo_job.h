/*
 * mo_job.h: private to storage/'s MO files (mo_log.c, mo_parts.c): the job their
 * transactions are made of, a list of prepared statements with copied parameters, and
 * their statement table (stor_mo_stmts, db_internal.h).
 */
#ifndef ERM_MO_JOB_H
#define ERM_MO_JOB_H

#include <stddef.h>

#include "storage/db_internal.h"
#include "storage/mo_log.h"

#define MO_JOB_MAX_PARAMS 11

/* Embedded first in each MO file's job struct. */
struct mo_job {
    struct stor_job job; /* first: db.c sees this */
    int step;
    int nparams;
    char *params[MO_JOB_MAX_PARAMS];
    struct stor_mo_key key;
    void *arg;
};

/* A job of SIZE bytes (the embedding struct's, zeroed) with OPS and the N strings VALUES
 * copied as its parameters (NULL stays NULL). NULL when out of memory. */
void *mo_job_new(size_t size, const struct stor_job_ops *ops, int n, const char *const *values);

/* Frees J's parameters and J (what the embedding struct holds besides is the caller's). */
void mo_job_free(struct mo_job *j);

/* Queues J (NULL: it could not be made: -ENOMEM), or frees it when refused. */
int mo_job_submit(struct stor_db *db, struct mo_job *j);

/* Sends STMT with J's parameters, from its step(). */
int mo_job_send(struct mo_job *j, const char *stmt);

#endif
