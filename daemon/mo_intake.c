/*
 * mo_intake.c: what ermgw does with an incoming message before any command is parsed.
 *
 * Receipts: read (text, receipted_message_id and message_state TLVs; core/receipt.h) and
 * applied to the outbox row's part (storage/receipts.h); answered accepted after COMMIT, or
 * retry-later when nothing could be stored, like any MO. A receipt that names no
 * message id or no state is acknowledged and logged: there is nothing to keep, and asking
 * the SMSC to send it again would not make it readable.
 *
 * Customers' MOs: each carries its dedupe key (core/mokey.h) and the link it came on into
 * its transaction (storage/mo_log.h), so a redelivery causes nothing twice. A part of a
 * concatenated message (UDH or SAR TLVs, core/concat.h) is stored and acknowledged at once:
 * holding its deliver_sm_resp until the other parts come would stall an SMSC that sends
 * parts one at a time, and once stored the part is as safe in PostgreSQL as it was at the
 * SMSC. The part that completes the message is acknowledged when the whole message's
 * command commits (if that fails, the SMSC delivers that part again, which finds the
 * message complete again; a crash before that COMMIT is the same case). A message whose
 * parts are not all in [service] concat_timeout_s after its first is handled with what
 * arrived, in order, the gaps left out: every part was acknowledged, so dropping it would
 * lose what the customer sent, and a code usually sits at the start. A part that comes
 * after that is a message of its own (and is given up on in its turn).
 *
 * Whole messages go to the order path (daemon/order_path.h), which admits messages (not
 * when draining or without a database), counts every job in flight (receipts and parts
 * stored here are held there too) and runs the commands.
 *
 * Timers: one for the parts due (armed when a part is stored, and from what the database
 * says is next), one for housekeeping every minute (core/tunables.c). The clock is the
 * database's, which every gateway on it shares. Both stop looking once told to drain.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "core/concat.h"
#include "core/mokey.h"
#include "core/receipt.h"
#include "core/textcodec.h"
#include "core/tunables.h"
#include "daemon/mo_intake.h"
#include "daemon/order_path.h"
#include "storage/db.h"
#include "storage/mo_log.h"
#include "storage/mo_parts.h"
#include "storage/receipts.h"

/* Buffer sizes, not tunables (core/tunables.c): they bound memory layouts. */
#define MO_INTAKE_JOINED_MAX   (16 * 1024) /* bytes of a joined message's text */
#define MO_INTAKE_RECEIPT_TEXT (GW_SM_MAX * 3 + 1)

struct mo_intake {
    struct mo_intake_cfg cfg;
    char instance[17]; /* random per start: "<instance>:<link id>" names a link for ever */
    uv_timer_t due_timer;
    uv_timer_t house_timer;
    int due_running; /* a due read is in flight */
    int draining;    /* told to drain: no due reads, no housekeeping */
    int closing;
    unsigned open_handles;
    struct mo_intake_counts counts;
};

/* One incoming message in a storage job: answered when the job is done. */
struct mo_intake_ack {
    struct mo_intake *in;
    struct bearer *bearer;
    uint64_t link_id;
    uint32_t seq;
    enum gw_channel channel;
    unsigned receipt_state;       /* a receipt's: its index of counts.receipt_states */
    uint64_t arrived_ns;          /* uv_hrtime() when it came, for the ack latency */
    char source[MSISDN_ADDR_MAX]; /* for log lines */
};

/* Returns 0, or -ENOTCONN when the answer could not go (its link is gone). */
static int mo_intake_answer(struct bearer *b, uint64_t link_id, uint32_t seq, enum bearer_answer a)
{
    int rc = bearer_answer(b, link_id, seq, a, NULL);
    if (rc < 0)
        ERM_DEBUG("intake", "ack of seq %u dropped: its link is gone (the SMSC redelivers)", seq);
    return rc;
}

static const char *const mo_intake_refusal_names[MO_INTAKE_REFUSALS] = {
    [MO_INTAKE_NOT_TEXT] = "not_text",
    [MO_INTAKE_NOT_MOBILE] = "not_mobile",
    [MO_INTAKE_RECEIPT_ID] = "receipt_id_not_text",
};

const char *mo_intake_refusal_name(enum mo_intake_refusal r)
{
    return (unsigned)r < MO_INTAKE_REFUSALS ? mo_intake_refusal_names[r] : "unknown";
}

const char *mo_intake_receipt_state_name(unsigned i)
{
    const char *name = i > 0 ? receipt_state_stat(i) : NULL;
    return name != NULL ? name : "other";
}

/* The index of receipt_states for STAT (normalised). */
static unsigned mo_intake_receipt_state(const char *stat)
{
    for (unsigned i = 1; i < MO_INTAKE_RECEIPT_STATES; i++) {
        const char *name = receipt_state_stat(i);
        if (name != NULL && strcmp(name, stat) == 0)
            return i;
    }
    return 0;
}

static void mo_intake_count_refusal(struct mo_intake *in, const struct gw_mo *mo,
                                    enum mo_intake_refusal r)
{
    in->counts.refused++;
    in->counts.refused_by[r][mo->channel == GW_CHANNEL_PHONE ? 1 : 0]++;
}

/* Refuses MO for good (WHY says what it is, R counts it): retrying cannot make it storable.
 * The warning is rate-limited: a peer may send such messages at will. */
static void mo_intake_refuse(struct mo_intake *in, struct bearer *b, const struct gw_mo *mo,
                             enum mo_intake_refusal r, const char *why)
{
    mo_intake_count_refusal(in, mo, r);
    ERM_WARN_RL("intake", "from %s to %s: %s; answered %s (permanent: nothing stored)", mo->source,
                mo->dest, why, bearer_answer_name(b, BEARER_REFUSED));
    mo_intake_answer(b, mo->link_id, mo->seq, BEARER_REFUSED);
}

/* Answers A's message per RC (0 committed: accepted, else retry-later), frees A and
 * releases its hold on the order path (a drain may be waiting for it). */
static void mo_intake_done(struct mo_intake_ack *a, int rc, const char *what)
{
    struct mo_intake *in = a->in;
    if (rc == 0) {
        mo_intake_answer(a->bearer, a->link_id, a->seq, BEARER_ACCEPTED);
    } else if (mo_intake_answer(a->bearer, a->link_id, a->seq, BEARER_RETRY_LATER) == 0) {
        ERM_WARN_RL("intake", "from %s: %s not stored (%s); answered %s for redelivery", a->source,
                    what, strerror(-rc), bearer_answer_name(a->bearer, BEARER_RETRY_LATER));
    } else {
        ERM_WARN_RL("intake",
                    "from %s: %s not stored (%s); not acknowledged (its link is gone: the SMSC "
                    "delivers it again)",
                    a->source, what, strerror(-rc));
    }
    free(a);
    order_path_release(in->cfg.orders);
}

static struct mo_intake_ack *mo_intake_ack_new(struct mo_intake *in, struct bearer *b,
                                               const struct gw_mo *mo)
{
    struct mo_intake_ack *a = calloc(1, sizeof *a);
    if (a == NULL) {
        mo_intake_answer(b, mo->link_id, mo->seq, BEARER_RETRY_LATER);
        return NULL;
    }
    a->in = in;
    a->bearer = b;
    a->link_id = mo->link_id;
    a->seq = mo->seq;
    a->channel = mo->channel;
    a->arrived_ns = uv_hrtime();
    snprintf(a->source, sizeof a->source, "%s", mo->source);
    order_path_hold(in->cfg.orders);
    return a;
}

/* ---- receipts ---------------------------------------------------------------------------- */

static void mo_intake_receipt_done(void *arg, int rc, enum stor_receipt_outcome outcome,
                                   int64_t outbox_id, const char *delivery)
{
    struct mo_intake_ack *a = arg;
    if (rc == 0) {
        a->in->counts.receipts++;
        a->in->counts.receipt_states[a->receipt_state]++;
    }
    if (rc == 0 && outcome == STOR_RECEIPT_SETTLED)
        ERM_DEBUG("intake", "receipt from %s: outbox row %" PRId64 " delivery %s", a->source,
                  outbox_id, delivery);
    else if (rc == 0)
        ERM_DEBUG("intake", "receipt from %s: %s (outbox row %" PRId64 ")", a->source,
                  stor_receipt_outcome_name(outcome), outbox_id);
    mo_intake_done(a, rc, "delivery receipt");
}

/* Reads MO's receipt into R: the TLVs win over the text. Returns 0, or -EINVAL when it
 * names no message id or no state. */
static int mo_intake_receipt_read(const struct gw_mo *mo, struct receipt *r)
{
    char *text = malloc(MO_INTAKE_RECEIPT_TEXT);
    int n = -ENOMEM;
    if (text == NULL)
        return n;
    /* Receipt texts are ASCII; only UCS-2 needs decoding (GSM 7-bit would turn '_' in an
     * id into something else). */
    if (mo->data_coding == TEXT_DCS_UCS2) {
        n = text_decode(mo->data_coding, mo->sm, mo->sm_len, text, MO_INTAKE_RECEIPT_TEXT);
    } else {
        memcpy(text, mo->sm, mo->sm_len);
        n = (int)mo->sm_len;
    }
    if (n < 0 || receipt_parse(text, (size_t)n, r) < 0)
        memset(r, 0, sizeof *r);
    free(text);
    if (mo->receipted_id[0] != '\0')
        snprintf(r->id, sizeof r->id, "%s", mo->receipted_id);
    const char *state = receipt_state_stat(mo->message_state);
    if (state != NULL)
        snprintf(r->stat, sizeof r->stat, "%s", state);
    char stat[RECEIPT_STAT_MAX];
    if (r->id[0] == '\0' || receipt_stat_norm(r->stat, stat) < 0)
        return -EINVAL;
    memcpy(r->stat, stat, sizeof stat);
    return 0;
}

static void mo_intake_receipt(struct mo_intake *in, struct bearer *b, const struct gw_mo *mo)
{
    struct receipt r;
    int rc = mo_intake_receipt_read(mo, &r);
    if (rc == -EINVAL)
        ERM_WARN_RL("intake",
                    "receipt from %s names no message id or no state; acknowledged, nothing kept",
                    mo->source);
    if (rc < 0) {
        mo_intake_answer(b, mo->link_id, mo->seq,
                         rc == -EINVAL ? BEARER_ACCEPTED : BEARER_RETRY_LATER);
        return;
    }
    if (!text_is_clean(r.id, strlen(r.id))) {
        mo_intake_refuse(in, b, mo, MO_INTAKE_RECEIPT_ID, "a receipt whose message id is not text");
        return;
    }
    struct mo_intake_ack *a = mo_intake_ack_new(in, b, mo);
    if (a == NULL)
        return;
    a->receipt_state = mo_intake_receipt_state(r.stat);
    struct stor_receipt sr = {in->cfg.receipt_ids,        r.id,  r.stat,
                              receipt_stat_final(r.stat), r.err, r.done_date};
    struct stor_db *db = *in->cfg.receipts_db; /* NULL once closing */
    rc = db != NULL ? stor_receipt_apply(db, &sr, mo_intake_receipt_done, a) : -ENOTCONN;
    if (rc == -EINVAL) {
        ERM_WARN_RL("intake", "receipt from %s for \"%.80s\" cannot be kept; acknowledged",
                    mo->source, r.id);
        mo_intake_done(a, 0, "delivery receipt");
    } else if (rc < 0) {
        mo_intake_done(a, rc, "delivery receipt");
    }
}

/* ---- customers' MOs ---------------------------------------------------------------------------
 */

/* Fills KEY for MO (of concatenation CI) as it came on its link. */
static void mo_intake_key(const struct mo_intake *in, const struct gw_mo *mo,
                          const struct concat_info *ci, struct stor_mo_key *key)
{
    memset(key, 0, sizeof *key);
    struct mokey_in k = {mo->source, mo->dest,   mo->data_coding, mo->esm_class, ci->ref,
                         ci->total,  ci->seqnum, mo->sm,          mo->sm_len};
    mokey_make(&k, key->key);
    snprintf(key->link, sizeof key->link, "%s:%" PRIu64, in->instance, mo->link_id);
    key->seq = mo->seq;
    key->window_s = in->cfg.dedupe_window_s;
}

/* The concatenation of MO: SAR TLVs first, else its UDH; a UDH is left out of the text
 * either way. A malformed one makes it a whole message, a malformed UDH's bytes text (both
 * logged). */
static void mo_intake_concat(const struct gw_mo *mo, struct concat_info *ci)
{
    struct concat_info udh;
    if (concat_from_udh(mo->esm_class, mo->sm, mo->sm_len, &udh) < 0)
        ERM_WARN("intake", "from %s: malformed user data header; its bytes are taken as text",
                 mo->source);
    *ci = udh;
    if (!mo->has_sar)
        return;
    if (concat_from_sar(mo->sar_ref, mo->sar_total, mo->sar_seqnum, ci) < 0)
        ERM_WARN("intake", "from %s: malformed SAR TLVs; taken as a whole message", mo->source);
    ci->skip = udh.skip;
}

/* Runs the command of a whole message (joined or not). ACK: the deliver_sm to answer, or
 * NULL when there is none (a message given up on). */
static void mo_intake_run(struct mo_intake *in, const struct stor_mo_group_id *from,
                          uint8_t data_coding, const uint8_t *text, size_t len,
                          const struct stor_mo_key *key, const struct mo_intake_ack *ack)
{
    struct order_msg m = {
        .source = from->source,
        .dest = from->dest,
        .data_coding = data_coding,
        .sm = text,
        .len = len,
        .key = key,
        .bearer = ack != NULL ? ack->bearer : NULL,
        .link_id = ack != NULL ? ack->link_id : 0,
        .seq = ack != NULL ? ack->seq : 0,
        .channel = ack != NULL ? ack->channel : GW_CHANNEL_SMS,
        .arrived_ns = ack != NULL ? ack->arrived_ns : 0,
    };
    order_path_run(in->cfg.orders, &m);
}

/* Joins G's parts and runs its command, whose dedupe step takes the stored parts. ACK as
 * for mo_intake_run. Returns 0 or a negative errno (nothing run). */
static int mo_intake_run_group(struct mo_intake *in, const struct stor_mo_group *g,
                               const struct mo_intake_ack *ack)
{
    unsigned missing = 0;
    uint8_t *text = malloc(MO_INTAKE_JOINED_MAX);
    if (text == NULL)
        return -ENOMEM;
    int n = concat_join(g->parts, g->nparts, g->id.total, text, MO_INTAKE_JOINED_MAX, &missing);
    if (n < 0) {
        ERM_WARN("intake", "from %s: parts of ref %" PRIu32 " not joined (%s)", g->id.source,
                 g->id.ref, strerror(-n));
        free(text);
        return n;
    }
    if (missing > 0)
        ERM_WARN("intake",
                 "from %s: message ref %" PRIu32 " lacks %u of %u parts; handled "
                 "with what arrived",
                 g->id.source, g->id.ref, missing, g->id.total);
    struct stor_mo_key key;
    memset(&key, 0, sizeof key);
    key.window_s = in->cfg.dedupe_window_s;
    key.group = g->id;
    key.nparts = (unsigned)g->nparts;
    mo_intake_run(in, &g->id, g->data_coding, text, (size_t)n, &key, ack);
    free(text);
    return 0;
}

static void mo_intake_arm_due(struct mo_intake *in, uint64_t ms);

static void mo_intake_part_done(void *arg, int rc, enum stor_part_outcome outcome,
                                const struct stor_mo_group *group)
{
    struct mo_intake_ack *a = arg;
    struct mo_intake *in = a->in;
    if (rc == 0 && outcome == STOR_PART_COMPLETE) {
        /* The last part's ack waits for the message's command (order_path_run owns it
         * now, holding its own count). */
        rc = mo_intake_run_group(in, group, a);
        if (rc == 0) {
            free(a);
            order_path_release(in->cfg.orders);
            return;
        }
    } else if (rc == 0 && outcome == STOR_PART_DUP) {
        ERM_DEBUG("intake",
                  "from %s: a part of a message handled already (redelivered); "
                  "acknowledged",
                  a->source);
    } else if (rc == 0) {
        in->counts.parts++;
        ERM_DEBUG("intake", "from %s: part stored, acknowledged; the message waits for the rest",
                  a->source);
        if (!uv_is_active((uv_handle_t *)&in->due_timer))
            mo_intake_arm_due(in, (uint64_t)in->cfg.concat_timeout_s * 1000u + 100u);
    }
    mo_intake_done(a, rc, "message part");
}

static int mo_intake_part(struct mo_intake *in, struct bearer *b, const struct gw_mo *mo,
                          const struct concat_info *ci)
{
    struct mo_intake_ack *a = mo_intake_ack_new(in, b, mo);
    if (a == NULL)
        return 0;
    struct stor_mo_part p;
    memset(&p, 0, sizeof p);
    snprintf(p.id.source, sizeof p.id.source, "%s", mo->source);
    snprintf(p.id.dest, sizeof p.id.dest, "%s", mo->dest);
    p.id.ref = ci->ref;
    p.id.total = ci->total;
    p.seqnum = ci->seqnum;
    p.data_coding = mo->data_coding;
    p.body = mo->sm + ci->skip;
    p.len = mo->sm_len - ci->skip;
    mo_intake_key(in, mo, ci, &p.key);
    ERM_DEBUG("intake", "from %s to %s: part %u of %u (ref %" PRIu32 ")", mo->source, mo->dest,
              ci->seqnum, ci->total, ci->ref);
    struct stor_db *db = *in->cfg.parts_db; /* NULL once closing */
    int rc = db != NULL ? stor_mo_part_add(db, &p, mo_intake_part_done, a) : -ENOTCONN;
    if (rc < 0)
        mo_intake_done(a, rc, "message part");
    return 0;
}

static void mo_intake_mo(struct mo_intake *in, struct bearer *b, const struct gw_mo *mo)
{
    struct concat_info ci;
    mo_intake_concat(mo, &ci);
    if (ci.is_part) {
        mo_intake_part(in, b, mo, &ci);
        return;
    }
    struct stor_mo_key key;
    struct stor_mo_group_id from;
    struct mo_intake_ack ack = {.in = in,
                                .bearer = b,
                                .link_id = mo->link_id,
                                .seq = mo->seq,
                                .channel = mo->channel,
                                .arrived_ns = uv_hrtime()};
    memset(&from, 0, sizeof from);
    snprintf(from.source, sizeof from.source, "%s", mo->source);
    snprintf(from.dest, sizeof from.dest, "%s", mo->dest);
    mo_intake_key(in, mo, &ci, &key);
    mo_intake_run(in, &from, mo->data_coding, mo->sm + ci.skip, mo->sm_len - ci.skip, &key, &ack);
}

/* Why MO can never be taken, or NULL: addresses that are not text cannot be stored, and a
 * customer is a mobile number (an alphanumeric sender or junk would become a customer,
 * and no reply could reach it). A receipt's source is the SMSC's business. *R: the reason's
 * counter. */
static const char *mo_intake_untakable(const struct gw_mo *mo, enum mo_intake_refusal *r)
{
    char number[MSISDN_LEN + 1];
    *r = MO_INTAKE_NOT_TEXT;
    if (!msisdn_addr_ok(mo->source) || !msisdn_addr_ok(mo->dest))
        return "an address that is not text (bytes that are not UTF-8, or control characters)";
    *r = MO_INTAKE_NOT_MOBILE;
    if (!mo->is_receipt && msisdn_normalize(mo->source, number, sizeof number) < 0)
        return "the source is not a mobile number";
    return NULL;
}

/* A call from a caller that is not a mobile number: no order (no SMS could confirm it, and
 * junk would become a customer), but a caller is a person on the line, not a message to
 * refuse: the help prompt tells them what the service is. */
static void mo_intake_call_help(struct mo_intake *in, struct bearer *b, const struct gw_mo *mo,
                                enum mo_intake_refusal r, const char *why)
{
    static const struct bearer_outcome help = {REPLY_HELP, NULL};
    mo_intake_count_refusal(in, mo, r);
    ERM_WARN_RL("intake", "call from %s to %s: %s; answered with the help prompt, nothing stored",
                mo->source, mo->dest, why);
    if (bearer_answer(b, mo->link_id, mo->seq, BEARER_ACCEPTED, &help) < 0)
        ERM_DEBUG("intake", "call %" PRIu64 " ended before its answer", mo->link_id);
}

void mo_intake_message(struct mo_intake *in, struct bearer *b, const struct gw_mo *mo)
{
    enum mo_intake_refusal r;
    const char *why = mo_intake_untakable(mo, &r);
    if (why != NULL && mo->channel == GW_CHANNEL_PHONE) {
        mo_intake_call_help(in, b, mo, r, why);
        return;
    }
    if (why != NULL) {
        mo_intake_refuse(in, b, mo, r, why);
        return;
    }
    if (!order_path_admit(in->cfg.orders, b, mo->source, mo->link_id, mo->seq))
        return;
    if (mo->is_receipt)
        mo_intake_receipt(in, b, mo);
    else
        mo_intake_mo(in, b, mo);
}

/* ---- parts given up on -------------------------------------------------------------------- */

static void mo_intake_on_due(uv_timer_t *t);

static void mo_intake_arm_due(struct mo_intake *in, uint64_t ms)
{
    if (!in->closing && !in->draining)
        uv_timer_start(&in->due_timer, mo_intake_on_due, ms, 0);
}

static void mo_intake_due_read(void *arg, int rc, const struct stor_mo_group *groups, size_t n,
                               double next_due_s)
{
    struct mo_intake *in = arg;
    in->due_running = 0;
    if (rc < 0 || in->closing || in->draining)
        return; /* the next start of the database (or of ermgw) looks again */
    for (size_t i = 0; i < n; i++)
        mo_intake_run_group(in, &groups[i], NULL);
    if (n == tun_value(TUN_PARTS_DUE_LIMIT))
        next_due_s = 0;
    if (next_due_s >= 0) {
        uint64_t ms = (uint64_t)(next_due_s * 1000.0) + 100u;
        uint64_t min = tun_value(TUN_PARTS_DUE_MIN);
        mo_intake_arm_due(in, ms < min ? min : ms);
    }
}

static void mo_intake_on_due(uv_timer_t *t)
{
    struct mo_intake *in = t->data;
    struct stor_db *db = *in->cfg.parts_db;
    if (in->due_running || in->closing || in->draining || db == NULL || !stor_db_is_up(db))
        return;
    in->due_running = 1;
    if (stor_mo_parts_due(db, in->cfg.concat_timeout_s, (unsigned)tun_value(TUN_PARTS_DUE_LIMIT),
                          mo_intake_due_read, in) < 0)
        in->due_running = 0;
}

/* ---- housekeeping and life --------------------------------------------------------------------
 */

static void mo_intake_on_house(uv_timer_t *t)
{
    struct mo_intake *in = t->data;
    struct stor_db *db = *in->cfg.parts_db;
    if (!in->closing && !in->draining && db != NULL && stor_db_is_up(db))
        stor_mo_housekeeping(db, in->cfg.dedupe_window_s, NULL, NULL);
}

void mo_intake_drain(struct mo_intake *in)
{
    in->draining = 1;
    uv_timer_stop(&in->due_timer);
    uv_timer_stop(&in->house_timer);
}

const struct mo_intake_counts *mo_intake_counts(const struct mo_intake *in)
{
    return &in->counts;
}

void mo_intake_on_db_up(struct mo_intake *in)
{
    /* Parts may have waited while the database (or ermgw) was down: look now. */
    mo_intake_arm_due(in, 0);
    mo_intake_on_house(&in->house_timer);
}

/* A random instance name, so link ids of this run never meet those of an earlier one. */
static void mo_intake_instance(struct mo_intake *in)
{
    uint8_t r[8];
    uint64_t v = 0;
    if (uv_random(NULL, NULL, r, sizeof r, 0, NULL) == 0)
        memcpy(&v, r, sizeof v);
    else
        v = uv_hrtime() ^ (uint64_t)time(NULL) << 20; /* no entropy source: still unlikely */
    snprintf(in->instance, sizeof in->instance, "%016" PRIx64, v);
}

int mo_intake_create(const struct mo_intake_cfg *cfg, struct mo_intake **out)
{
    struct mo_intake *in = calloc(1, sizeof *in);
    if (in == NULL)
        return -ENOMEM;
    in->cfg = *cfg;
    mo_intake_instance(in);
    int rc = uv_timer_init(cfg->loop, &in->due_timer);
    if (rc < 0) {
        free(in);
        return rc;
    }
    in->due_timer.data = in;
    in->open_handles = 1;
    if ((rc = uv_timer_init(cfg->loop, &in->house_timer)) < 0) {
        mo_intake_destroy(in);
        return rc;
    }
    in->house_timer.data = in;
    in->open_handles++;
    uint64_t house_ms = tun_value(TUN_HOUSEKEEP);
    uv_timer_start(&in->house_timer, mo_intake_on_house, house_ms, house_ms);
    *out = in;
    return 0;
}

static void mo_intake_closed(uv_handle_t *h)
{
    struct mo_intake *in = h->data;
    if (--in->open_handles == 0)
        free(in);
}

void mo_intake_destroy(struct mo_intake *in)
{
    in->closing = 1;
    uv_close((uv_handle_t *)&in->due_timer, mo_intake_closed);
    if (in->open_handles == 2)
        uv_close((uv_handle_t *)&in->house_timer, mo_intake_closed);
}
