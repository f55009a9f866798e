/*
 * intake.c: the jobs of intake.h and the dedupe step every MO transaction takes (declared
 * in db_internal.h). The rules themselves are server-side functions of
 * schema/003_delivery.sql (erm_mo_fresh, erm_mo_part_add, erm_mo_group_take, ...), so two
 * gateways on one database follow them under the same locks.
 */
#include "storage/intake.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "storage/db_internal.h"

#define INTAKE_MAX_PARAMS 11

const struct stor_stmt stor_intake_stmts[] = {
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

/* The jobs of this file: a list of statements with copied parameters. */
struct intake_job {
    struct stor_job job; /* first: db.c sees this */
    int step;
    int nparams;
    char *params[INTAKE_MAX_PARAMS];
    struct stor_mo_key key;
    stor_mo_done_cb done;
    stor_part_cb part_cb;
    stor_due_cb due_cb;
    void *arg;
    /* results */
    enum stor_part_outcome outcome;
    struct stor_mo_group *groups; /* parts and bodies follow them in the same block */
    size_t ngroups;
    double next_due_s;
};

static void intake_free(struct intake_job *j)
{
    for (int i = 0; i < INTAKE_MAX_PARAMS; i++)
        free(j->params[i]);
    free(j->groups);
    free(j);
}

/* A job with the N strings VALUES copied as its parameters (NULL stays NULL). */
static struct intake_job *intake_new(const struct stor_job_ops *ops, int n,
                                     const char *const *values)
{
    struct intake_job *j = calloc(1, sizeof *j);
    if (j == NULL)
        return NULL;
    j->job.ops = ops;
    j->nparams = n;
    if (stor_params_dup(j->params, n, values) < 0) {
        intake_free(j);
        return NULL;
    }
    return j;
}

/* Queues J (NULL: it could not be made), or frees it when refused. */
static int intake_submit(struct stor_db *db, struct intake_job *j)
{
    int rc = j != NULL ? stor_db_submit(db, &j->job) : -ENOMEM;
    if (rc < 0 && j != NULL)
        intake_free(j);
    return rc;
}

static int intake_send(struct intake_job *j, const char *stmt)
{
    return stor_job_send(&j->job, stmt, j->nparams, (const char *const *)j->params);
}

/* ---- an MO answered by a reply only -------------------------------------------------------- */

static int intake_reply_step(struct stor_job *job, const PGresult *res)
{
    struct intake_job *j = (struct intake_job *)job;
    int rc;
    switch (j->step++) {
    case 0:
        return stor_job_send_sql(job, "BEGIN");
    case 1:
        return stor_mo_dedupe_send(job, &j->key);
    case 2:
        rc = stor_mo_dedupe_check(&j->key, res);
        return rc < 0 ? rc : intake_send(j, STOR_STMT_OUTBOX_INSERT);
    case 3:
        return stor_job_send_sql(job, "COMMIT");
    default:
        return STOR_JOB_DONE;
    }
}

static void intake_done_finish(struct stor_job *job, int rc)
{
    struct intake_job *j = (struct intake_job *)job;
    if (j->done != NULL)
        j->done(j->arg, rc);
    intake_free(j);
}

static const struct stor_job_ops intake_reply_ops = {"MO reply", intake_reply_step,
                                                     intake_done_finish};

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
    struct intake_job *j = intake_new(&intake_reply_ops, 4, v);
    if (j != NULL) {
        j->key = *key;
        j->done = cb;
        j->arg = arg;
    }
    return intake_submit(db, j);
}

/* ---- parts ------------------------------------------------------------------------------ */

/* Writes LEN bytes as a bytea parameter ("\x" and hex) into a new string (NULL: -ENOMEM). */
static char *intake_bytea_param(const uint8_t *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *s = malloc(2 * len + 3);
    if (s == NULL)
        return NULL;
    s[0] = '\\';
    s[1] = 'x';
    for (size_t i = 0; i < len; i++) {
        s[2 + 2 * i] = hex[p[i] >> 4];
        s[3 + 2 * i] = hex[p[i] & 15];
    }
    s[2 + 2 * len] = '\0';
    return s;
}

/* Column numbers of a parts result: mo_part_add's has no group columns (its rows are of the
 * message asked about), mo_parts_due's has source, dest, ref and total from GROUP on. */
struct intake_cols {
    int group; /* -1: none */
    int seqnum, data_coding, body;
};

static int intake_same_group(const PGresult *res, int a, int b, int c0)
{
    for (int c = c0; c < c0 + 4; c++)
        if (strcmp(PQgetvalue(res, a, c), PQgetvalue(res, b, c)) != 0)
            return 0;
    return 1;
}

/* Copies the rows of RES, grouped by message, into J->groups: one block holding the groups,
 * the parts and their bodies (unescaped from bytea). GROUP0 is the id of a result without
 * group columns. Returns 0 or a negative errno. */
static int intake_copy_groups(struct intake_job *j, const PGresult *res,
                              const struct intake_cols *c, const struct stor_mo_group_id *group0)
{
    int rows = PQntuples(res);
    size_t nrows = (size_t)rows, ngroups = 0, bytes = 0;
    if (rows <= 0)
        return 0;
    for (int r = 0; r < rows; r++) {
        if (PQgetisnull(res, r, c->body) || PQgetisnull(res, r, c->seqnum))
            return -EIO;
        bytes += (size_t)PQgetlength(res, r, c->body); /* the escaped form is longer */
        if (r == 0 || (c->group >= 0 && !intake_same_group(res, r - 1, r, c->group)))
            ngroups++;
    }
    size_t head = ngroups * sizeof(struct stor_mo_group) + nrows * sizeof(struct concat_part);
    j->groups = malloc(head + bytes);
    if (j->groups == NULL)
        return -ENOMEM;
    struct concat_part *parts = (struct concat_part *)(j->groups + ngroups);
    uint8_t *body = (uint8_t *)j->groups + head;
    struct stor_mo_group *g = NULL;
    for (int r = 0; r < rows; r++) {
        if (g == NULL || (c->group >= 0 && !intake_same_group(res, r - 1, r, c->group))) {
            g = g == NULL ? j->groups : g + 1;
            memset(g, 0, sizeof *g);
            if (c->group < 0) {
                g->id = *group0;
            } else {
                snprintf(g->id.source, sizeof g->id.source, "%s", PQgetvalue(res, r, c->group));
                snprintf(g->id.dest, sizeof g->id.dest, "%s", PQgetvalue(res, r, c->group + 1));
                g->id.ref = (uint32_t)strtoul(PQgetvalue(res, r, c->group + 2), NULL, 10);
                g->id.total = (uint8_t)strtoul(PQgetvalue(res, r, c->group + 3), NULL, 10);
            }
            g->data_coding = (uint8_t)strtoul(PQgetvalue(res, r, c->data_coding), NULL, 10);
            g->parts = parts;
            j->ngroups++;
        }
        size_t len = 0;
        unsigned char *raw =
            PQunescapeBytea((const unsigned char *)PQgetvalue(res, r, c->body), &len);
        if (raw == NULL)
            return -ENOMEM;
        memcpy(body, raw, len);
        PQfreemem(raw);
        parts->seqnum = (uint8_t)strtoul(PQgetvalue(res, r, c->seqnum), NULL, 10);
        parts->data = body;
        parts->len = len;
        body += len;
        parts++;
        g->nparts++;
    }
    return 0;
}

static const struct {
    const char *name;
    enum stor_part_outcome outcome;
} intake_outcomes[] = {
    {"dup", STOR_PART_DUP},
    {"stored", STOR_PART_STORED},
    {"complete", STOR_PART_COMPLETE},
};

static int intake_part_step(struct stor_job *job, const PGresult *res)
{
    static const struct intake_cols cols = {-1, 1, 2, 3};
    struct intake_job *j = (struct intake_job *)job;
    if (j->step++ == 0)
        return intake_send(j, "mo_part_add");
    if (PQntuples(res) < 1) {
        ERM_ERROR("db", "MO part: erm_mo_part_add gave no row");
        return -EIO;
    }
    const char *outcome = PQgetvalue(res, 0, 0);
    size_t i = 0, n = sizeof intake_outcomes / sizeof intake_outcomes[0];
    while (i < n && strcmp(outcome, intake_outcomes[i].name) != 0)
        i++;
    if (i == n) {
        ERM_ERROR("db", "MO part: unexpected outcome \"%s\"", outcome);
        return -EIO;
    }
    j->outcome = intake_outcomes[i].outcome;
    if (j->outcome != STOR_PART_COMPLETE)
        return STOR_JOB_DONE;
    int rc = intake_copy_groups(j, res, &cols, &j->key.group);
    return rc < 0 ? rc : STOR_JOB_DONE;
}

static void intake_part_finish(struct stor_job *job, int rc)
{
    struct intake_job *j = (struct intake_job *)job;
    int complete = rc == 0 && j->outcome == STOR_PART_COMPLETE && j->ngroups == 1;
    if (rc == 0 && j->outcome == STOR_PART_COMPLETE && !complete)
        rc = -EIO;
    j->part_cb(j->arg, rc, j->outcome, complete ? j->groups : NULL);
    intake_free(j);
}

static const struct stor_job_ops intake_part_ops = {"MO part", intake_part_step,
                                                    intake_part_finish};

int stor_mo_part_add(struct stor_db *db, const struct stor_mo_part *part, stor_part_cb cb,
                     void *arg)
{
    char ref[16], total[8], seqnum[8], dcs[8], seq[16], window[16];
    const struct stor_mo_group_id *g = &part->id;
    snprintf(ref, sizeof ref, "%" PRIu32, g->ref);
    snprintf(total, sizeof total, "%u", g->total);
    snprintf(seqnum, sizeof seqnum, "%u", part->seqnum);
    snprintf(dcs, sizeof dcs, "%u", part->data_coding);
    snprintf(seq, sizeof seq, "%" PRIu32, part->key.seq);
    snprintf(window, sizeof window, "%u", part->key.window_s);
    char *body = intake_bytea_param(part->body, part->len);
    if (body == NULL)
        return -ENOMEM;
    const char *v[] = {g->source,     g->dest,        ref, total, seqnum, dcs, body,
                       part->key.key, part->key.link, seq, window};
    struct intake_job *j = intake_new(&intake_part_ops, 11, v);
    free(body);
    if (j != NULL) {
        j->key = part->key;
        j->key.group = *g; /* the group a complete result belongs to */
        j->part_cb = cb;
        j->arg = arg;
    }
    return intake_submit(db, j);
}

/* ---- parts given up on ---------------------------------------------------------------------- */

static int intake_due_step(struct stor_job *job, const PGresult *res)
{
    static const struct intake_cols cols = {0, 4, 5, 6};
    struct intake_job *j = (struct intake_job *)job;
    int rc;
    switch (j->step++) {
    case 0:
        return intake_send(j, "mo_parts_due");
    case 1:
        rc = intake_copy_groups(j, res, &cols, NULL);
        if (rc < 0)
            return rc;
        j->nparams = 1; /* the timeout only */
        return intake_send(j, "mo_parts_next_due");
    default:
        j->next_due_s = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)
                            ? strtod(PQgetvalue(res, 0, 0), NULL)
                            : -1.0;
        return STOR_JOB_DONE;
    }
}

static void intake_due_finish(struct stor_job *job, int rc)
{
    struct intake_job *j = (struct intake_job *)job;
    j->due_cb(j->arg, rc, rc == 0 ? j->groups : NULL, rc == 0 ? j->ngroups : 0, j->next_due_s);
    intake_free(j);
}

static const struct stor_job_ops intake_due_ops = {"MO parts due", intake_due_step,
                                                   intake_due_finish};

int stor_mo_parts_due(struct stor_db *db, unsigned timeout_s, unsigned limit, stor_due_cb cb,
                      void *arg)
{
    char t[16], l[16];
    snprintf(t, sizeof t, "%u", timeout_s);
    snprintf(l, sizeof l, "%u", limit);
    const char *v[] = {t, l};
    struct intake_job *j = intake_new(&intake_due_ops, 2, v);
    if (j != NULL) {
        j->due_cb = cb;
        j->arg = arg;
    }
    return intake_submit(db, j);
}

/* ---- housekeeping ------------------------------------------------------------------------------
 */

static int intake_housekeeping_step(struct stor_job *job, const PGresult *res)
{
    struct intake_job *j = (struct intake_job *)job;
    if (j->step++ == 0)
        return intake_send(j, "mo_housekeeping");
    if (PQntuples(res) == 1 &&
        (strcmp(PQgetvalue(res, 0, 0), "0") != 0 || strcmp(PQgetvalue(res, 0, 1), "0") != 0))
        ERM_INFO("db",
                 "housekeeping: %s MO keys past the dedupe window, %s receipts that found "
                 "no part forgotten",
                 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    return STOR_JOB_DONE;
}

static const struct stor_job_ops intake_housekeeping_ops = {
    "housekeeping", intake_housekeeping_step, intake_done_finish};

int stor_mo_housekeeping(struct stor_db *db, unsigned window_s, stor_mo_done_cb cb, void *arg)
{
    char w[16];
    snprintf(w, sizeof w, "%u", window_s);
    const char *v[] = {w};
    struct intake_job *j = intake_new(&intake_housekeeping_ops, 1, v);
    if (j != NULL) {
        j->done = cb;
        j->arg = arg;
    }
    return intake_submit(db, j);
}
