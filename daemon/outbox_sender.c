/*
 * outbox_sender.c: the outbox sender. Takes queued rows (storage/outbox), encodes each text into
 * one or more parts (core/textcodec), submits the parts through the bearer within its window,
 * and records the outcome: every part accepted -> sent with the message ids; a part refused
 * with a status the bearer says is temporary -> that part alone submitted again (the accepted
 * ones stay so), up to sender_resubmits; a part whose response timed out -> its late answer
 * awaited sender_late_grace; a lost link, a timeout never answered or too many temporary
 * refusals -> back to queued for a later try; any other status -> failed with that status.
 * A timer polls for rows queued by other writers (ermctl pushes), and now and then puts back
 * rows a take left sending that nobody holds (its result lost with the connection).
 *
 * The bearer paces the submits (rate cap, slow-down after a throttling answer) and says
 * when they may flow again (outbox_sender_on_ready). An outcome that cannot be written
 * because the database is down stays with its row and is written when the database is
 * back, so no row is left 'sending' by an outage. Told to drain, rows not yet submitted go
 * back to the queue and the daemon hears (on_idle) when the last outstanding one is settled.
 * The poll, take and sweep sizes are core/tunables.c's.
 *
 * Several gateways may share the database ([gateway] id, issue 14). The rows a take marks
 * sending carry this gateway's id, and a lease timer renews the gateway's lease a few times
 * per [gateway] lease_s and puts back to the queue the rows of gateways whose lease ran out
 * (stor_outbox_takeover). Nothing is taken or submitted unless the lease is known to hold:
 * this process's clock, from when the last renewal that succeeded was sent, says so. A
 * process that was frozen past its lease (SIGSTOP, a VM paused) finds it lapsed when it
 * wakes, submits nothing more of the rows it held (another gateway may send them now), and
 * puts back only those still its own (the writes name the owner).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/textcodec.h"
#include "core/tunables.h"
#include "daemon/outbox_sender.h"
#include "storage/db.h"
#include "storage/outbox.h"

/* A take reads two queues, replies before pushes (stor_outbox_take), and starts each
 * outbox_sender_take_back ids below the highest it took last from that queue (its AFTER): rows of
 * MO batches that committed after a batch with higher ids (two MO connections, up to [database]
 * batch_max MOs each, a reply and notes per MO) are still found at once. What lies further down
 * (rows queued again, pushes of a long transaction) waits for the poll timer's take from the start,
 * at most outbox_sender_poll. Every outbox_sender_sweep_ticks polls, rows sending for over
 * outbox_sender_stale seconds that this sender does not hold go back to queued (stor_outbox_sweep):
 * a take that committed but whose result was lost with the connection left them there, and nothing
 * else would send them before the next start. After a take that failed they go back at the next
 * poll instead (outbox_sender_sweep). A row held here is recorded within seconds. */

/* Buffer sizes, not tunables: one part's message id (SMPP: 65 octets at most), and the ids
 * of one row's parts, space-separated. */
#define SENDER_ID_MAX  72
#define SENDER_IDS_MAX (TEXT_MAX_PARTS * SENDER_ID_MAX)

/* Where one part of a row stands. A part not accepted is submitted again (only it) after a
 * throttling status; one whose response timed out waits sender_late_grace for it. */
enum sender_part {
    SENDER_PART_NEW,  /* to submit (again) */
    SENDER_PART_OUT,  /* submitted, its response awaited */
    SENDER_PART_LATE, /* its response timed out; a late one may still come */
    SENDER_PART_OK,   /* accepted, its message id kept */
};

/* One outbox row in flight; owned by the sender's list, freed once its outcome is stored. */
struct outbox_sender_row {
    struct outbox_sender_row *next;
    uint64_t key; /* cookie = key << 8 | part index */
    int64_t id;
    struct gw_submit part[TEXT_MAX_PARTS];
    uint8_t state[TEXT_MAX_PARTS]; /* enum sender_part */
    char part_id[TEXT_MAX_PARTS][SENDER_ID_MAX];
    unsigned nparts;
    unsigned resubmits;     /* parts submitted again after a throttling status */
    uint64_t late_until_ms; /* a part timed out: its late response is awaited till then */
    int64_t status;         /* first non-zero outcome, 0 while all is well */
    int recording;          /* the outcome is being written (or waits to be: unrecorded) */
    int unrecorded;         /* writing it failed, the database being down: written again when up */
};

struct outbox_sender {
    struct outbox_sender_cfg cfg;
    struct outbox_sender_row *rows;
    uint64_t next_key;
    uint8_t next_ref;
    /* The next take's AFTER, per queue (replies, pushes): 0, or sender_take_back below the
     * last id taken from that queue. */
    int64_t after[STOR_OUTBOX_QUEUES];
    unsigned ticks;
    int taking;
    int take_lost; /* a take failed: it may have committed, its rows sending and held by no one */
    int sweeping;
    int sweep_lost; /* the sweep in flight is take_lost's */
    int draining;   /* told to drain: no takes, no sweeps; on_idle once idle */
    int idle_told;  /* on_idle was called */
    int closing;
    int open_handles; /* timers not yet closed: freed when none is left */
    uv_timer_t timer;
    uv_timer_t lease_timer;
    int leasing;             /* a renewal is in flight */
    int taking_over;         /* a takeover is in flight */
    int lapsed_told;         /* the lapse of the lease was logged */
    uint64_t lease_sent_ms;  /* when the renewal in flight was sent (uv_hrtime, ms) */
    uint64_t lease_until_ms; /* the lease holds before this (0: never held) */
    unsigned lapses;         /* lapses seen: a take sent before one is not trusted after */
    unsigned take_lapses;    /* lapses when the take in flight was sent */
    struct outbox_sender_counts counts;
};

/* A row given up because the lease lapsed: not answered, it is retried (by whoever owns it). */
#define SENDER_STATUS_LAPSED (-3)

/* How many parts of ROW are in STATE. */
static unsigned outbox_sender_parts(const struct outbox_sender_row *row, enum sender_part state)
{
    unsigned n = 0;
    for (unsigned i = 0; i < row->nparts; i++)
        n += row->state[i] == state;
    return n;
}

static void outbox_sender_pump(struct outbox_sender *s);
static void outbox_sender_renew(struct outbox_sender *s);

static unsigned outbox_sender_count_rows(const struct outbox_sender *s)
{
    unsigned n = 0;
    for (const struct outbox_sender_row *r = s->rows; r != NULL; r = r->next)
        n++;
    return n;
}

unsigned outbox_sender_busy(const struct outbox_sender *s)
{
    return outbox_sender_count_rows(s) + (s->taking ? 1u : 0u) + (s->sweeping ? 1u : 0u) +
           (s->leasing ? 1u : 0u) + (s->taking_over ? 1u : 0u);
}

static void outbox_sender_unlink(struct outbox_sender *s, struct outbox_sender_row *row)
{
    for (struct outbox_sender_row **p = &s->rows; *p != NULL; p = &(*p)->next) {
        if (*p == row) {
            *p = row->next;
            break;
        }
    }
    free(row);
}

struct outbox_sender_record {
    struct outbox_sender *s;
    struct outbox_sender_row *row;
};

/* Draining, tells the daemon once the sender is idle. */
static void outbox_sender_idle_check(struct outbox_sender *s)
{
    if (!s->closing && s->draining && !s->idle_told && outbox_sender_busy(s) == 0) {
        s->idle_told = 1;
        if (s->cfg.on_idle)
            s->cfg.on_idle(s->cfg.ud);
    }
}

/* The outbox connection when it is up, else NULL. */
static struct stor_db *outbox_sender_db(const struct outbox_sender *s)
{
    struct stor_db *db = *s->cfg.db;
    return db != NULL && stor_db_is_up(db) ? db : NULL;
}

static uint64_t outbox_sender_now_ms(void)
{
    return uv_hrtime() / 1000000u;
}

/* 1 while the lease is known to hold. The clock is read now, not the loop's cached time: a
 * process that was frozen must see so before it submits. */
static int outbox_sender_lease_ok(const struct outbox_sender *s)
{
    return outbox_sender_now_ms() < s->lease_until_ms;
}

/* After a row went or changed: submit what may go, then the idle check. */
static void outbox_sender_settled(struct outbox_sender *s)
{
    if (s->closing)
        return;
    outbox_sender_pump(s);
    outbox_sender_idle_check(s);
}

/* The database is unreachable (RC from storage): the outcome is written again later. */
static int outbox_sender_db_gone(int rc)
{
    return rc == -ENOTCONN || rc == -ECONNRESET;
}

/* Counts ROW's outcome once it is recorded (a write retried after an outage counts once). */
static void outbox_sender_count(struct outbox_sender *s, const struct outbox_sender_row *row)
{
    if (row->status == 0)
        s->counts.sent++;
    else if (bearer_status_retries(s->cfg.bearer, row->status))
        s->counts.requeued++;
    else
        s->counts.failed++;
}

static void outbox_sender_recorded(void *arg, int rc)
{
    struct outbox_sender_record *rec = arg;
    struct outbox_sender *s = rec->s;
    struct outbox_sender_row *row = rec->row;
    free(rec);
    if (outbox_sender_db_gone(rc)) {
        /* Written again when the database is back (the writes are conditional on 'sending':
         * one that did commit before the connection went changes nothing the second time). */
        ERM_WARN("sender",
                 "outbox row %lld: outcome not recorded (%s); recorded when the "
                 "database is back",
                 (long long)row->id, strerror(-rc));
        row->unrecorded = 1;
        return;
    }
    if (rc == -ENOENT)
        ERM_DEBUG("sender",
                  "outbox row %lld: no longer this gateway's (taken over or settled); left as "
                  "it is",
                  (long long)row->id);
    else if (rc < 0)
        ERM_WARN("sender",
                 "outbox row %lld: outcome not recorded (%s); it is resent after a "
                 "restart",
                 (long long)row->id, strerror(-rc));
    else
        outbox_sender_count(s, row);
    outbox_sender_unlink(s, row);
    outbox_sender_settled(s);
}

/* Writes the row's outcome once every submitted part is answered (or none can be sent). */
static void outbox_sender_record(struct outbox_sender *s, struct outbox_sender_row *row)
{
    struct outbox_sender_record *rec = calloc(1, sizeof *rec);
    int rc = -ENOMEM;
    struct stor_db *db = *s->cfg.db; /* NULL once closing: the row is queued at next start */
    row->recording = 1;
    if (rec != NULL && db == NULL) {
        rc = -ENOTCONN;
    } else if (rec != NULL) {
        rec->s = s;
        rec->row = row;
        if (row->status == 0) {
            char ids[SENDER_IDS_MAX] = "";
            for (unsigned i = 0, used = 0; i < row->nparts; i++)
                used += (unsigned)snprintf(ids + used, sizeof ids - used, "%s%s", i ? " " : "",
                                           row->part_id[i]);
            ERM_DEBUG("sender", "outbox row %lld sent in %u part(s), message id(s) %s",
                      (long long)row->id, row->nparts, ids);
            rc =
                stor_outbox_sent(db, row->id, ids, s->cfg.receipt_ids, outbox_sender_recorded, rec);
        } else if (bearer_status_retries(s->cfg.bearer, row->status)) {
            char why[64];
            if (row->status < 0)
                snprintf(why, sizeof why, "not answered (link lost, timed out or stopping)");
            else
                snprintf(why, sizeof why, "%s", bearer_status_name(s->cfg.bearer, row->status));
            ERM_WARN("sender", "outbox row %lld: %s; queued again", (long long)row->id, why);
            if (row->status == SENDER_STATUS_LAPSED)
                snprintf(why, sizeof why, "not sent (the gateway's lease lapsed)");
            rc =
                stor_outbox_retry(db, row->id, s->cfg.gateway_id, why, outbox_sender_recorded, rec);
        } else {
            /* Limited: an SMSC refusing everything would write a line a row (the metrics
             * count them all). Temporary refusals slow the session down instead. */
            ERM_WARN_RL("sender", "outbox row %lld refused by the SMSC: %s; marked failed",
                        (long long)row->id, bearer_status_name(s->cfg.bearer, row->status));
            rc = stor_outbox_failed(db, row->id, s->cfg.gateway_id, (uint32_t)row->status,
                                    outbox_sender_recorded, rec);
        }
    }
    if (rc < 0) {
        /* Kept, never freed here (callers walk the list): written again later. */
        ERM_WARN("sender", "outbox row %lld: outcome not recorded (%s); recorded later",
                 (long long)row->id, strerror(-rc));
        free(rec);
        row->unrecorded = 1;
    }
}

/* Writes again the outcomes the database was not there for. */
static void outbox_sender_rerecord(struct outbox_sender *s)
{
    if (s->closing || outbox_sender_db(s) == NULL)
        return;
    for (struct outbox_sender_row *row = s->rows; row != NULL; row = row->next) {
        if (row->unrecorded) {
            row->unrecorded = 0;
            outbox_sender_record(s, row);
        }
    }
}

/* A row is finished when no part awaits its response and either every part is accepted or a
 * failure stops the rest. While all is well, parts to submit wait for the pump and timed-out
 * ones for their late response (outbox_sender_late_check). */
static void outbox_sender_check_done(struct outbox_sender *s, struct outbox_sender_row *row)
{
    if (row->recording || outbox_sender_parts(row, SENDER_PART_OUT) > 0)
        return;
    if (row->status == 0 && outbox_sender_parts(row, SENDER_PART_OK) < row->nparts)
        return;
    outbox_sender_record(s, row);
}

/* Rows whose timed-out parts waited long enough for a late response (ALL: every such row, at
 * once: stopping) go back to the queue. */
static void outbox_sender_late_check(struct outbox_sender *s, int all)
{
    uint64_t now = uv_hrtime() / 1000000u;
    for (struct outbox_sender_row *row = s->rows; row != NULL; row = row->next) {
        if (!row->recording && row->status == 0 && outbox_sender_parts(row, SENDER_PART_LATE) > 0 &&
            (all || now >= row->late_until_ms)) {
            row->status = BEARER_TIMED_OUT;
            outbox_sender_check_done(s, row);
        }
    }
}

/* Rows taken but not one part submitted (or only parts that timed out) go back to the queue
 * (stopping). */
static void outbox_sender_requeue_unsent(struct outbox_sender *s)
{
    for (struct outbox_sender_row *row = s->rows; row != NULL; row = row->next) {
        if (!row->recording && outbox_sender_parts(row, SENDER_PART_OUT) == 0 &&
            outbox_sender_parts(row, SENDER_PART_OK) == 0) {
            row->status = -1;
            outbox_sender_check_done(s, row);
        }
    }
    outbox_sender_late_check(s, 1);
}

/* Stops every row held from submitting more: each is put back to the queue once its submitted
 * parts are answered, if it is still this gateway's. Returns how many were stopped. */
static int outbox_sender_let_go(struct outbox_sender *s)
{
    int n = 0;
    for (struct outbox_sender_row *row = s->rows; row != NULL; row = row->next) {
        if (!row->recording && row->status == 0 &&
            outbox_sender_parts(row, SENDER_PART_OK) + outbox_sender_parts(row, SENDER_PART_OUT) <
                row->nparts) {
            row->status = SENDER_STATUS_LAPSED;
            n++;
            outbox_sender_check_done(s, row);
        }
    }
    return n;
}

/* The lease lapsed (a frozen process, a database out of reach for a whole lease): the rows
 * held may be another gateway's by now, so no part of them is submitted any more. Logged once
 * per lapse. */
static void outbox_sender_lapsed(struct outbox_sender *s)
{
    if (s->lease_until_ms == 0)
        return; /* never held: nothing was taken */
    int n = outbox_sender_let_go(s);
    if (!s->lapsed_told) {
        s->lapsed_told = 1;
        s->lapses++;
        s->counts.lease_lapses++;
        ERM_WARN("sender",
                 "gateway %s: lease lapsed (not renewed for %u s); %d outbox row(s) held are "
                 "not sent from here",
                 s->cfg.gateway_id, s->cfg.lease_s, n);
    }
}

/* Submits what the window allows, oldest row first. */
static void outbox_sender_pump(struct outbox_sender *s)
{
    struct bearer *b = s->cfg.bearer;
    if (!outbox_sender_lease_ok(s)) {
        outbox_sender_lapsed(s);
        return;
    }
    for (struct outbox_sender_row *row = s->rows; row != NULL; row = row->next) {
        for (unsigned i = 0; !row->recording && row->status == 0 && i < row->nparts; i++) {
            if (row->state[i] != SENDER_PART_NEW)
                continue;
            if (!bearer_can_submit(b))
                return;
            int rc = bearer_submit(b, &row->part[i], row->key << 8 | i);
            if (rc < 0) {
                ERM_DEBUG("sender", "submit of row %lld deferred: %s", (long long)row->id,
                          strerror(-rc));
                return;
            }
            row->state[i] = SENDER_PART_OUT;
            s->counts.submitted++;
        }
    }
    outbox_sender_kick(s); /* every row is out and the window has room: take more */
}

/* Builds the parts of one row. Returns 0, or a negative errno for a text we cannot send. */
static int outbox_sender_encode(struct outbox_sender *s, struct outbox_sender_row *row,
                                const struct stor_outbox_row *src)
{
    struct text_encoded enc;
    int (*encode)(const char *, size_t, uint8_t, struct text_encoded *) =
        s->cfg.bearer->ops->ascii_text ? text_encode_ascii : text_encode;
    int rc = encode(src->text, strlen(src->text), s->next_ref++, &enc);
    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < enc.nparts; i++) {
        struct gw_submit *p = &row->part[i];
        snprintf(p->source, sizeof p->source, "%s", src->source);
        snprintf(p->dest, sizeof p->dest, "%s", src->dest);
        p->esm_class = enc.esm_class;
        p->data_coding = enc.data_coding;
        p->registered_delivery = 1;
        memcpy(p->data, enc.part[i].data, enc.part[i].len);
        p->len = enc.part[i].len;
    }
    row->nparts = enc.nparts;
    return 0;
}

static void outbox_sender_taken(void *arg, int rc, const struct stor_outbox_row *rows, size_t n)
{
    struct outbox_sender *s = arg;
    s->taking = 0;
    int64_t back = (int64_t)tun_value(TUN_SENDER_TAKE_BACK);
    for (size_t i = 0; i < n; i++) /* each queue's rows in id order: its last is its highest */
        if (i + 1 == n || rows[i + 1].queue != rows[i].queue)
            s->after[rows[i].queue] = rows[i].id > back ? rows[i].id - back : 0;
    if (rc < 0 || n == 0) {
        if (rc < 0) {
            ERM_WARN("sender", "taking outbox rows failed: %s", strerror(-rc));
            s->take_lost = 1;
        }
        /* No pump: it would take again at once, a hot loop on an empty or failing queue.
         * The poll timer, a committed MO or a submit response takes next. */
        outbox_sender_idle_check(s);
        return;
    }
    struct outbox_sender_row **tail = &s->rows;
    while (*tail != NULL)
        tail = &(*tail)->next;
    for (size_t i = 0; i < n; i++) {
        struct outbox_sender_row *row = calloc(1, sizeof *row);
        if (row == NULL)
            break; /* left in sending: recovered at the next start */
        row->key = ++s->next_key;
        row->id = rows[i].id;
        *tail = row;
        tail = &row->next;
        int erc = outbox_sender_encode(s, row, &rows[i]);
        if (erc < 0) {
            ERM_ERROR("sender", "outbox row %lld cannot be encoded (%s); marked failed",
                      (long long)row->id, strerror(-erc));
            /* permanent: the same text fails again */
            row->status = s->cfg.bearer->ops->unsendable_status;
            outbox_sender_check_done(s, row);
        }
    }
    if (s->draining)
        outbox_sender_requeue_unsent(s);
    if (s->take_lapses != s->lapses) /* the lease lapsed while the take was out */
        outbox_sender_let_go(s);
    outbox_sender_settled(s);
}

/* 1 when a row in memory still has a part to submit: taking more would only queue. */
static int outbox_sender_has_unsubmitted(const struct outbox_sender *s)
{
    for (const struct outbox_sender_row *r = s->rows; r != NULL; r = r->next)
        if (!r->recording && r->status == 0 && outbox_sender_parts(r, SENDER_PART_NEW) > 0)
            return 1;
    return 0;
}

const struct outbox_sender_counts *outbox_sender_counts(const struct outbox_sender *s)
{
    return &s->counts;
}

int outbox_sender_lease_held(const struct outbox_sender *s)
{
    return outbox_sender_lease_ok(s);
}

static void outbox_sender_taken_over(void *arg, int rc)
{
    struct outbox_sender *s = arg;
    s->taking_over = 0;
    if (rc < 0)
        ERM_DEBUG("sender", "outbox takeover not done (%s); tried again later", strerror(-rc));
    outbox_sender_settled(s); /* what it put back is taken */
}

static void outbox_sender_renewed(void *arg, int rc)
{
    struct outbox_sender *s = arg;
    s->leasing = 0;
    if (rc < 0) {
        ERM_DEBUG("sender", "gateway %s: lease not renewed (%s)", s->cfg.gateway_id, strerror(-rc));
        return;
    }
    /* Sent after the lease had run out (the process was frozen, or the database away): what
     * is held was perhaps taken over meanwhile, and must not go once the lease holds again. */
    if (s->lease_until_ms != 0 && s->lease_sent_ms >= s->lease_until_ms)
        outbox_sender_lapsed(s);
    if (s->lease_until_ms == 0 || s->lapsed_told)
        ERM_INFO("sender", "gateway %s: lease held (%u s, renewed every %u ms)", s->cfg.gateway_id,
                 s->cfg.lease_s, s->cfg.lease_s * 250u);
    s->lapsed_told = 0;
    /* Counted from when the renewal was sent: the database's expiry is no earlier. A tenth is
     * kept back for clocks that do not run quite alike. */
    uint64_t lease_ms = (uint64_t)s->cfg.lease_s * 1000u;
    s->lease_until_ms = s->lease_sent_ms + lease_ms - lease_ms / 10u;
    struct stor_db *db = outbox_sender_db(s);
    if (db != NULL && !s->taking_over && !s->closing && !s->draining) {
        s->taking_over = 1;
        if (stor_outbox_takeover(db, s->cfg.gateway_id, outbox_sender_taken_over, s) < 0)
            s->taking_over = 0;
    }
    outbox_sender_settled(s);
}

/* Renews the lease (at start, then a few times per lease, and when it lapsed). */
static void outbox_sender_renew(struct outbox_sender *s)
{
    struct stor_db *db = outbox_sender_db(s);
    if (s->leasing || s->closing || db == NULL)
        return;
    s->leasing = 1;
    s->lease_sent_ms = outbox_sender_now_ms();
    if (stor_outbox_lease(db, s->cfg.gateway_id, s->cfg.lease_s, outbox_sender_renewed, s) < 0)
        s->leasing = 0;
}

void outbox_sender_kick(struct outbox_sender *s)
{
    outbox_sender_rerecord(s);
    if (s->taking || s->closing || s->draining || outbox_sender_has_unsubmitted(s))
        return;
    struct stor_db *db = outbox_sender_db(s);
    if (db == NULL || !bearer_can_submit(s->cfg.bearer))
        return;
    if (!outbox_sender_lease_ok(s)) {
        outbox_sender_renew(s); /* its success kicks again */
        return;
    }
    s->taking = 1;
    s->take_lapses = s->lapses;
    if (stor_outbox_take(db, (unsigned)tun_value(TUN_SENDER_TAKE_MAX), s->after, s->cfg.gateway_id,
                         outbox_sender_taken, s) < 0)
        s->taking = 0;
}

/* Counts one part's result STATUS. */
static void outbox_sender_count_result(struct outbox_sender_counts *c, int64_t status)
{
    for (unsigned i = 0; i < c->nresults; i++) {
        if (c->results[i].status == status) {
            c->results[i].n++;
            return;
        }
    }
    if (c->nresults == OUTBOX_SENDER_STATUSES) {
        c->other_results++;
        return;
    }
    c->results[c->nresults].status = status;
    c->results[c->nresults++].n = 1;
}

/* Where part I of ROW goes with its answer STATUS. */
static void outbox_sender_part_result(struct outbox_sender *s, struct outbox_sender_row *row,
                                      unsigned i, int64_t status, const char *message_id)
{
    if (status == 0) {
        if (row->state[i] == SENDER_PART_LATE)
            ERM_INFO("sender",
                     "outbox row %lld part %u: accepted after its timeout; not sent again",
                     (long long)row->id, i + 1);
        row->state[i] = SENDER_PART_OK;
        snprintf(row->part_id[i], sizeof row->part_id[i], "%s", message_id);
        return;
    }
    if (status == BEARER_TIMED_OUT) {
        row->state[i] = SENDER_PART_LATE;
        row->late_until_ms = uv_hrtime() / 1000000u + tun_value(TUN_SENDER_LATE_GRACE);
        return;
    }
    row->state[i] = SENDER_PART_NEW;
    if (status > 0 && row->status == 0 && bearer_status_retries(s->cfg.bearer, status) &&
        row->resubmits < tun_value(TUN_SENDER_RESUBMITS)) {
        /* Only this part goes again, with the same reference: the parts accepted stay so. The
         * bearer holds submits back for the pause a throttling status asks for. */
        row->resubmits++;
        ERM_DEBUG("sender", "outbox row %lld part %u: %s; submitted again", (long long)row->id,
                  i + 1, bearer_status_name(s->cfg.bearer, status));
        return;
    }
    if (row->status == 0)
        row->status = status;
}

void outbox_sender_on_result(struct outbox_sender *s, uint64_t cookie, int64_t status,
                             const char *message_id)
{
    outbox_sender_count_result(&s->counts, status);
    uint64_t key = cookie >> 8;
    unsigned i = (unsigned)(cookie & 0xff);
    struct outbox_sender_row *row = s->rows;
    while (row != NULL && row->key != key)
        row = row->next;
    if (row == NULL || i >= row->nparts) {
        ERM_WARN_RL("sender", "response for an unknown submit (cookie %llu) ignored",
                    (unsigned long long)cookie);
        return;
    }
    if (row->recording || (row->state[i] != SENDER_PART_OUT && row->state[i] != SENDER_PART_LATE)) {
        ERM_DEBUG("sender", "outbox row %lld part %u: an answer it no longer waits for ignored",
                  (long long)row->id, i + 1);
        return;
    }
    outbox_sender_part_result(s, row, i, status, message_id);
    outbox_sender_check_done(s, row);
    outbox_sender_settled(s);
}

void outbox_sender_on_ready(struct outbox_sender *s)
{
    outbox_sender_pump(s);
    outbox_sender_kick(s);
}

void outbox_sender_drain(struct outbox_sender *s)
{
    s->draining = 1;
    outbox_sender_requeue_unsent(s);
    outbox_sender_settled(s);
}

void outbox_sender_on_unbound(struct outbox_sender *s)
{
    /* Outstanding parts were answered with -1 by the bearer already; rows with parts never
     * submitted go back to the queue now. */
    struct outbox_sender_row *row = s->rows;
    while (row != NULL) {
        struct outbox_sender_row *next = row->next;
        if (!row->recording && outbox_sender_parts(row, SENDER_PART_OUT) == 0) {
            if (row->status == 0)
                row->status = -1;
            outbox_sender_check_done(s, row);
        }
        row = next;
    }
}

static void outbox_sender_swept(void *arg, int rc)
{
    struct outbox_sender *s = arg;
    s->sweeping = 0;
    if (rc == 0 && s->sweep_lost)
        s->take_lost = 0;
    if (rc < 0)
        ERM_DEBUG("sender", "outbox sweep not done (%s); tried again later", strerror(-rc));
    outbox_sender_settled(s); /* what it put back is taken (the poll timer's take starts at 0) */
}

/* Puts back rows a lost take left sending (outbox_sender_stale). The ids held here are passed
 * so that none of them is touched, however long it has waited. After a take that failed
 * (take_lost: it may have committed with its result lost, e.g. with its connection), and
 * with no take in flight, the rows of this gateway that it does not hold cannot be a take's
 * in progress: they go back at once, not after outbox_sender_stale. A take kicked meanwhile
 * runs after the sweep on the same connection. */
static void outbox_sender_sweep(struct outbox_sender *s)
{
    struct stor_db *db = outbox_sender_db(s);
    if (s->sweeping || s->closing || s->draining || db == NULL)
        return;
    s->sweep_lost = s->take_lost && !s->taking;
    unsigned age = s->sweep_lost ? 0 : (unsigned)tun_value(TUN_SENDER_STALE);
    unsigned n = outbox_sender_count_rows(s), i = 0;
    int64_t *held = malloc((n > 0 ? n : 1) * sizeof *held);
    if (held == NULL)
        return;
    for (const struct outbox_sender_row *r = s->rows; r != NULL; r = r->next)
        held[i++] = r->id;
    s->sweeping = 1;
    if (stor_outbox_sweep(db, s->cfg.gateway_id, age, held, n, outbox_sender_swept, s) < 0)
        s->sweeping = 0;
    free(held);
}

static void outbox_sender_on_timer(uv_timer_t *t)
{
    struct outbox_sender *s = t->data;
    memset(s->after, 0, sizeof s->after); /* from the start: rows queued again, or late */
    outbox_sender_late_check(s, 0);
    if (s->rows != NULL && !outbox_sender_lease_ok(s))
        outbox_sender_lapsed(s);
    if (++s->ticks % tun_value(TUN_SENDER_SWEEP_TICKS) == 0 || (s->take_lost && !s->taking))
        outbox_sender_sweep(s);
    outbox_sender_kick(s);
}

static void outbox_sender_on_lease_timer(uv_timer_t *t)
{
    struct outbox_sender *s = t->data;
    outbox_sender_renew(s);
}

int outbox_sender_create(const struct outbox_sender_cfg *cfg, struct outbox_sender **out)
{
    struct outbox_sender *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    s->cfg = *cfg;
    int rc = uv_timer_init(cfg->loop, &s->timer);
    if (rc == 0)
        rc = uv_timer_init(cfg->loop, &s->lease_timer);
    if (rc < 0)
        goto fail;
    s->timer.data = s;
    s->lease_timer.data = s;
    uint64_t poll_ms = tun_value(TUN_SENDER_POLL);
    uint64_t renew_ms = (uint64_t)cfg->lease_s * 250u; /* four renewals per lease */
    rc = uv_timer_start(&s->timer, outbox_sender_on_timer, poll_ms, poll_ms);
    if (rc == 0)
        rc = uv_timer_start(&s->lease_timer, outbox_sender_on_lease_timer, renew_ms, renew_ms);
    if (rc < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    free(s);
    return rc;
}

static void outbox_sender_on_close(uv_handle_t *h)
{
    struct outbox_sender *s = h->data;
    if (--s->open_handles > 0)
        return;
    while (s->rows != NULL) {
        struct outbox_sender_row *next = s->rows->next;
        free(s->rows);
        s->rows = next;
    }
    free(s);
}

void outbox_sender_stop_polling(struct outbox_sender *s)
{
    uv_timer_stop(&s->timer);
    uv_timer_stop(&s->lease_timer);
}

void outbox_sender_destroy(struct outbox_sender *s)
{
    s->closing = 1;
    outbox_sender_stop_polling(s);
    s->open_handles = 2;
    uv_close((uv_handle_t *)&s->timer, outbox_sender_on_close);
    uv_close((uv_handle_t *)&s->lease_timer, outbox_sender_on_close);
}
