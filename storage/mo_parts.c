/*
 * mo_parts.c: the parts of concatenated MOs (mo_parts.h): storing one, and reading the
 * messages given up on. A message's parts come back in one allocation (groups, parts and
 * bodies) that lives as long as the job.
 */
#include "storage/mo_parts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "storage/mo_job.h"

/* The jobs of this file, and what they found. */
struct mo_parts_job {
    struct mo_job mo; /* first */
    stor_part_cb part_cb;
    stor_due_cb due_cb;
    enum stor_part_outcome outcome;
    struct stor_mo_group *groups; /* parts and bodies follow them in the same block */
    size_t ngroups;
    double next_due_s;
};

static void mo_parts_free(struct mo_parts_job *j)
{
    free(j->groups);
    mo_job_free(&j->mo);
}

/* Writes LEN bytes as a bytea parameter ("\x" and hex) into a new string (NULL: -ENOMEM). */
static char *mo_parts_bytea_param(const uint8_t *p, size_t len)
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
struct mo_parts_cols {
    int group; /* -1: none */
    int seqnum, data_coding, body;
};

static int mo_parts_same_group(const PGresult *res, int a, int b, int c0)
{
    for (int c = c0; c < c0 + 4; c++)
        if (strcmp(PQgetvalue(res, a, c), PQgetvalue(res, b, c)) != 0)
            return 0;
    return 1;
}

/* Copies the rows of RES, grouped by message, into J->groups: one block holding the groups,
 * the parts and their bodies (unescaped from bytea). GROUP0 is the id of a result without
 * group columns. Returns 0 or a negative errno. */
static int mo_parts_copy_groups(struct mo_parts_job *j, const PGresult *res,
                                const struct mo_parts_cols *c,
                                const struct stor_mo_group_id *group0)
{
    int rows = PQntuples(res);
    size_t nrows = (size_t)rows, ngroups = 0, bytes = 0;
    if (rows <= 0)
        return 0;
    for (int r = 0; r < rows; r++) {
        if (PQgetisnull(res, r, c->body) || PQgetisnull(res, r, c->seqnum))
            return -EIO;
        bytes += (size_t)PQgetlength(res, r, c->body); /* the escaped form is longer */
        if (r == 0 || (c->group >= 0 && !mo_parts_same_group(res, r - 1, r, c->group)))
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
        if (g == NULL || (c->group >= 0 && !mo_parts_same_group(res, r - 1, r, c->group))) {
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
} mo_parts_outcomes[] = {
    {"dup", STOR_PART_DUP},
    {"stored", STOR_PART_STORED},
    {"complete", STOR_PART_COMPLETE},
};

static int mo_parts_add_step(struct stor_job *job, const PGresult *res)
{
    static const struct mo_parts_cols cols = {-1, 1, 2, 3};
    struct mo_parts_job *j = (struct mo_parts_job *)job;
    if (j->mo.step++ == 0)
        return mo_job_send(&j->mo, "mo_part_add");
    if (PQntuples(res) < 1) {
        ERM_ERROR("db", "MO part: erm_mo_part_add gave no row");
        return -EIO;
    }
    const char *outcome = PQgetvalue(res, 0, 0);
    size_t i = 0, n = sizeof mo_parts_outcomes / sizeof mo_parts_outcomes[0];
    while (i < n && strcmp(outcome, mo_parts_outcomes[i].name) != 0)
        i++;
    if (i == n) {
        ERM_ERROR("db", "MO part: unexpected outcome \"%s\"", outcome);
        return -EIO;
    }
    j->outcome = mo_parts_outcomes[i].outcome;
    if (j->outcome != STOR_PART_COMPLETE)
        return STOR_JOB_DONE;
    int rc = mo_parts_copy_groups(j, res, &cols, &j->mo.key.group);
    return rc < 0 ? rc : STOR_JOB_DONE;
}

static void mo_parts_add_finish(struct stor_job *job, int rc)
{
    struct mo_parts_job *j = (struct mo_parts_job *)job;
    int complete = rc == 0 && j->outcome == STOR_PART_COMPLETE && j->ngroups == 1;
    if (rc == 0 && j->outcome == STOR_PART_COMPLETE && !complete)
        rc = -EIO;
    j->part_cb(j->mo.arg, rc, j->outcome, complete ? j->groups : NULL);
    mo_parts_free(j);
}

static const struct stor_job_ops mo_parts_add_ops = {"MO part", mo_parts_add_step,
                                                     mo_parts_add_finish};

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
    char *body = mo_parts_bytea_param(part->body, part->len);
    if (body == NULL)
        return -ENOMEM;
    const char *v[] = {g->source,     g->dest,        ref, total, seqnum, dcs, body,
                       part->key.key, part->key.link, seq, window};
    struct mo_parts_job *j = mo_job_new(sizeof *j, &mo_parts_add_ops, 11, v);
    free(body);
    if (j != NULL) {
        j->mo.key = part->key;
        j->mo.key.group = *g; /* the group a complete result belongs to */
        j->part_cb = cb;
        j->mo.arg = arg;
    }
    return mo_job_submit(db, j != NULL ? &j->mo : NULL);
}

/* ---- parts given up on ---------------------------------------------------------------------- */

static int mo_parts_due_step(struct stor_job *job, const PGresult *res)
{
    static const struct mo_parts_cols cols = {0, 4, 5, 6};
    struct mo_parts_job *j = (struct mo_parts_job *)job;
    int rc;
    switch (j->mo.step++) {
    case 0:
        return mo_job_send(&j->mo, "mo_parts_due");
    case 1:
        rc = mo_parts_copy_groups(j, res, &cols, NULL);
        if (rc < 0)
            return rc;
        j->mo.nparams = 1; /* the timeout only */
        return mo_job_send(&j->mo, "mo_parts_next_due");
    default:
        j->next_due_s = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)
                            ? strtod(PQgetvalue(res, 0, 0), NULL)
                            : -1.0;
        return STOR_JOB_DONE;
    }
}

static void mo_parts_due_finish(struct stor_job *job, int rc)
{
    struct mo_parts_job *j = (struct mo_parts_job *)job;
    j->due_cb(j->mo.arg, rc, rc == 0 ? j->groups : NULL, rc == 0 ? j->ngroups : 0, j->next_due_s);
    mo_parts_free(j);
}

static const struct stor_job_ops mo_parts_due_ops = {"MO parts due", mo_parts_due_step,
                                                     mo_parts_due_finish};

int stor_mo_parts_due(struct stor_db *db, unsigned timeout_s, unsigned limit, stor_due_cb cb,
                      void *arg)
{
    char t[16], l[16];
    snprintf(t, sizeof t, "%u", timeout_s);
    snprintf(l, sizeof l, "%u", limit);
    const char *v[] = {t, l};
    struct mo_parts_job *j = mo_job_new(sizeof *j, &mo_parts_due_ops, 2, v);
    if (j != NULL) {
        j->due_cb = cb;
        j->mo.arg = arg;
    }
    return mo_job_submit(db, j != NULL ? &j->mo : NULL);
}
