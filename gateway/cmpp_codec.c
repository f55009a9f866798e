/*
 * cmpp_codec.c: CMPP 2.0/3.0 PDUs (see cmpp_codec.h). Every field goes through the reader
 * (cmpp_rd) or the writer (cmpp_wr) below: a reader that would pass its end sets its error
 * and reads zeros from then on, a writer that would pass its capacity sets its error and
 * writes nothing, so a layout is written once as a list of fields and checked once at its
 * end. The version changes the widths (cmpp_term_width, cmpp_status_width) and which fields
 * exist; nothing else. MD5 (the login's authenticators) is nettle's.
 */
#include "gateway/cmpp_codec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/md5.h>

#define CMPP_DEST_MAX 100 /* DestUsr_tl: at most 100 destinations */

/* ---- the field helpers ---- */

struct cmpp_rd {
    const uint8_t *p;
    size_t len, off;
    int err;
};

struct cmpp_wr {
    uint8_t *p;
    size_t cap, off;
    int err;
};

/* The next N bytes, or NULL (and the error set) when fewer are left. */
static const uint8_t *cmpp_rd_take(struct cmpp_rd *r, size_t n)
{
    if (r->err || r->len - r->off < n) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

static uint8_t cmpp_rd_u8(struct cmpp_rd *r)
{
    const uint8_t *p = cmpp_rd_take(r, 1);
    return p ? p[0] : 0;
}

static uint32_t cmpp_rd_u32(struct cmpp_rd *r)
{
    const uint8_t *p = cmpp_rd_take(r, 4);
    return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
}

static uint64_t cmpp_rd_u64(struct cmpp_rd *r)
{
    uint64_t hi = cmpp_rd_u32(r);
    return hi << 32 | cmpp_rd_u32(r);
}

/* An unsigned of WIDTH 1 or 4 bytes (Status, Result). */
static uint32_t cmpp_rd_uint(struct cmpp_rd *r, size_t width)
{
    return width == 1 ? cmpp_rd_u8(r) : cmpp_rd_u32(r);
}

/* A fixed-width text field of WIDTH bytes into OUT (WIDTH + 1 bytes): up to its first NUL. */
static void cmpp_rd_text(struct cmpp_rd *r, size_t width, char *out)
{
    const uint8_t *p = cmpp_rd_take(r, width);
    size_t n = p ? strnlen((const char *)p, width) : 0;
    if (n > 0)
        memcpy(out, p, n);
    out[n] = '\0';
}

static void cmpp_rd_bytes(struct cmpp_rd *r, size_t n, uint8_t *out)
{
    const uint8_t *p = cmpp_rd_take(r, n);
    if (p != NULL && n > 0)
        memcpy(out, p, n);
}

/* Room for N more bytes, or NULL (and the error set). */
static uint8_t *cmpp_wr_take(struct cmpp_wr *w, size_t n)
{
    if (w->err)
        return NULL; /* the first error stands */
    if (w->cap - w->off < n) {
        w->err = -ENOSPC;
        return NULL;
    }
    uint8_t *p = w->p + w->off;
    w->off += n;
    return p;
}

static void cmpp_wr_u8(struct cmpp_wr *w, uint8_t v)
{
    uint8_t *p = cmpp_wr_take(w, 1);
    if (p)
        p[0] = v;
}

static void cmpp_wr_u32(struct cmpp_wr *w, uint32_t v)
{
    uint8_t *p = cmpp_wr_take(w, 4);
    if (p) {
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
    }
}

static void cmpp_wr_u64(struct cmpp_wr *w, uint64_t v)
{
    cmpp_wr_u32(w, (uint32_t)(v >> 32));
    cmpp_wr_u32(w, (uint32_t)v);
}

static void cmpp_wr_uint(struct cmpp_wr *w, size_t width, uint32_t v)
{
    if (width == 1) {
        if (v > 0xFF && !w->err)
            w->err = -EINVAL;
        cmpp_wr_u8(w, (uint8_t)v);
    } else {
        cmpp_wr_u32(w, v);
    }
}

/* S in a field of WIDTH bytes, NUL-padded; longer than WIDTH is -EINVAL. */
static void cmpp_wr_text(struct cmpp_wr *w, size_t width, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > width) {
        if (!w->err)
            w->err = -EINVAL;
        return;
    }
    uint8_t *p = cmpp_wr_take(w, width);
    if (p) {
        memset(p, 0, width);
        if (n > 0)
            memcpy(p, s, n);
    }
}

static void cmpp_wr_bytes(struct cmpp_wr *w, const uint8_t *b, size_t n)
{
    uint8_t *p = cmpp_wr_take(w, n);
    if (p && n > 0)
        memcpy(p, b, n);
}

/* Starts a PDU: the header with Total_Length 0, filled in by cmpp_wr_end. */
static void cmpp_wr_begin(struct cmpp_wr *w, uint8_t *buf, size_t cap, uint32_t id, uint32_t seq)
{
    w->p = buf;
    w->cap = cap;
    w->off = 0;
    w->err = 0;
    cmpp_wr_u32(w, 0);
    cmpp_wr_u32(w, id);
    cmpp_wr_u32(w, seq);
}

/* Ends a PDU: its length, or the first error. */
static int cmpp_wr_end(struct cmpp_wr *w)
{
    if (w->err)
        return w->err;
    if (w->off > CMPP_MAX_LEN)
        return -EINVAL;
    uint32_t n = (uint32_t)w->off;
    w->p[0] = (uint8_t)(n >> 24);
    w->p[1] = (uint8_t)(n >> 16);
    w->p[2] = (uint8_t)(n >> 8);
    w->p[3] = (uint8_t)n;
    return (int)n;
}

/* Starts reading the body of PDU (LEN bytes): -EBADMSG when Total_Length is not LEN. */
static int cmpp_rd_begin(struct cmpp_rd *r, const uint8_t *pdu, size_t len)
{
    if (pdu == NULL || len < CMPP_HEADER_LEN)
        return -EBADMSG;
    struct cmpp_hdr h;
    cmpp_codec_hdr_read(pdu, &h);
    if (h.len != len)
        return -EBADMSG;
    r->p = pdu;
    r->len = len;
    r->off = CMPP_HEADER_LEN;
    r->err = 0;
    return 0;
}

/* Ends reading: every byte read, none missing. */
static int cmpp_rd_end(const struct cmpp_rd *r)
{
    return r->err || r->off != r->len ? -EBADMSG : 0;
}

/* ---- the version's widths ---- */

int cmpp_codec_version_ok(uint8_t version)
{
    return version == CMPP_V20 || version == CMPP_V30;
}

static size_t cmpp_term_width(uint8_t version)
{
    return version == CMPP_V30 ? 32 : 21;
}

static size_t cmpp_status_width(uint8_t version)
{
    return version == CMPP_V30 ? 4 : 1;
}

/* LinkID 20 in 3.0, Reserve 8 in 2.0 */
static size_t cmpp_tail_width(uint8_t version)
{
    return version == CMPP_V30 ? 20 : 8;
}

/* The last field of SUBMIT and DELIVER: LinkID (3.0) into LINK_ID (21 bytes), or 2.0's
 * Reserve, read and dropped. */
static void cmpp_rd_tail(struct cmpp_rd *r, uint8_t version, char *link_id)
{
    char tail[21];
    cmpp_rd_text(r, cmpp_tail_width(version), tail);
    memcpy(link_id, version == CMPP_V30 ? tail : "", version == CMPP_V30 ? sizeof tail : 1);
}

/* ---- header, names ---- */

void cmpp_codec_hdr_read(const uint8_t *buf, struct cmpp_hdr *h)
{
    struct cmpp_rd r = {buf, CMPP_HEADER_LEN, 0, 0};
    h->len = cmpp_rd_u32(&r);
    h->id = cmpp_rd_u32(&r);
    h->seq = cmpp_rd_u32(&r);
}

const char *cmpp_codec_command_name(uint32_t id)
{
    switch (id) {
    case CMPP_CONNECT:
        return "CMPP_CONNECT";
    case CMPP_CONNECT_RESP:
        return "CMPP_CONNECT_RESP";
    case CMPP_TERMINATE:
        return "CMPP_TERMINATE";
    case CMPP_TERMINATE_RESP:
        return "CMPP_TERMINATE_RESP";
    case CMPP_SUBMIT:
        return "CMPP_SUBMIT";
    case CMPP_SUBMIT_RESP:
        return "CMPP_SUBMIT_RESP";
    case CMPP_DELIVER:
        return "CMPP_DELIVER";
    case CMPP_DELIVER_RESP:
        return "CMPP_DELIVER_RESP";
    case CMPP_ACTIVE_TEST:
        return "CMPP_ACTIVE_TEST";
    case CMPP_ACTIVE_TEST_RESP:
        return "CMPP_ACTIVE_TEST_RESP";
    default:
        return "unknown";
    }
}

/* ---- login ---- */

uint32_t cmpp_codec_timestamp(int mon1, int mday, int hour, int min, int sec)
{
    return (uint32_t)mon1 * 100000000u + (uint32_t)mday * 1000000u + (uint32_t)hour * 10000u +
           (uint32_t)min * 100u + (uint32_t)sec;
}

void cmpp_codec_auth_source(const char *sp_id, const char *secret, uint32_t timestamp,
                            uint8_t out[16])
{
    static const uint8_t zeros[9];
    char ts[16];
    struct md5_ctx ctx;
    snprintf(ts, sizeof ts, "%010" PRIu32, timestamp);
    md5_init(&ctx);
    md5_update(&ctx, strlen(sp_id), (const uint8_t *)sp_id);
    md5_update(&ctx, sizeof zeros, zeros);
    md5_update(&ctx, strlen(secret), (const uint8_t *)secret);
    md5_update(&ctx, 10, (const uint8_t *)ts);
    md5_digest(&ctx, 16, out);
}

void cmpp_codec_auth_ismg(uint8_t version, uint32_t status, const uint8_t auth_source[16],
                          const char *secret, uint8_t out[16])
{
    uint8_t st[4];
    struct cmpp_wr w = {st, sizeof st, 0, 0};
    size_t width = cmpp_status_width(version);
    cmpp_wr_uint(&w, width, width == 1 ? (status & 0xFF) : status);
    struct md5_ctx ctx;
    md5_init(&ctx);
    md5_update(&ctx, width, st);
    md5_update(&ctx, 16, auth_source);
    md5_update(&ctx, strlen(secret), (const uint8_t *)secret);
    md5_digest(&ctx, 16, out);
}

/* ---- CONNECT, ACTIVE_TEST, TERMINATE and responses ---- */

int cmpp_codec_pack_connect(uint8_t *buf, size_t cap, uint32_t seq, const struct cmpp_connect *c)
{
    struct cmpp_wr w;
    if (!cmpp_codec_version_ok(c->version))
        return -EINVAL;
    cmpp_wr_begin(&w, buf, cap, CMPP_CONNECT, seq);
    cmpp_wr_text(&w, 6, c->source_addr);
    cmpp_wr_bytes(&w, c->auth, 16);
    cmpp_wr_u8(&w, c->version);
    cmpp_wr_u32(&w, c->timestamp);
    return cmpp_wr_end(&w);
}

int cmpp_codec_unpack_connect(const uint8_t *pdu, size_t len, struct cmpp_connect *c)
{
    struct cmpp_rd r;
    if (cmpp_rd_begin(&r, pdu, len) < 0)
        return -EBADMSG;
    cmpp_rd_text(&r, 6, c->source_addr);
    cmpp_rd_bytes(&r, 16, c->auth);
    c->version = cmpp_rd_u8(&r);
    c->timestamp = cmpp_rd_u32(&r);
    return cmpp_rd_end(&r);
}

int cmpp_codec_pack_connect_resp(uint8_t *buf, size_t cap, uint8_t version, uint32_t seq,
                                 const struct cmpp_connect_resp *r)
{
    struct cmpp_wr w;
    if (!cmpp_codec_version_ok(version))
        return -EINVAL;
    cmpp_wr_begin(&w, buf, cap, CMPP_CONNECT_RESP, seq);
    cmpp_wr_uint(&w, cmpp_status_width(version), r->status);
    cmpp_wr_bytes(&w, r->auth, 16);
    cmpp_wr_u8(&w, r->version);
    return cmpp_wr_end(&w);
}

int cmpp_codec_unpack_connect_resp(const uint8_t *pdu, size_t len, uint8_t version,
                                   struct cmpp_connect_resp *r)
{
    struct cmpp_rd rd;
    if (!cmpp_codec_version_ok(version) || cmpp_rd_begin(&rd, pdu, len) < 0)
        return -EBADMSG;
    r->status = cmpp_rd_uint(&rd, cmpp_status_width(version));
    cmpp_rd_bytes(&rd, 16, r->auth);
    r->version = cmpp_rd_u8(&rd);
    return cmpp_rd_end(&rd);
}

int cmpp_codec_pack_simple(uint8_t *buf, size_t cap, uint32_t id, uint32_t seq)
{
    struct cmpp_wr w;
    cmpp_wr_begin(&w, buf, cap, id, seq);
    return cmpp_wr_end(&w);
}

int cmpp_codec_pack_active_test_resp(uint8_t *buf, size_t cap, uint32_t seq)
{
    struct cmpp_wr w;
    cmpp_wr_begin(&w, buf, cap, CMPP_ACTIVE_TEST_RESP, seq);
    cmpp_wr_u8(&w, 0);
    return cmpp_wr_end(&w);
}

int cmpp_codec_pack_result(uint8_t *buf, size_t cap, uint8_t version, uint32_t id, uint32_t seq,
                           const struct cmpp_result *r)
{
    struct cmpp_wr w;
    if (!cmpp_codec_version_ok(version) || (id != CMPP_SUBMIT_RESP && id != CMPP_DELIVER_RESP))
        return -EINVAL;
    cmpp_wr_begin(&w, buf, cap, id, seq);
    cmpp_wr_u64(&w, r->msg_id);
    cmpp_wr_uint(&w, cmpp_status_width(version), r->result);
    return cmpp_wr_end(&w);
}

int cmpp_codec_unpack_result(const uint8_t *pdu, size_t len, uint8_t version, struct cmpp_result *r)
{
    struct cmpp_rd rd;
    if (!cmpp_codec_version_ok(version) || cmpp_rd_begin(&rd, pdu, len) < 0)
        return -EBADMSG;
    r->msg_id = cmpp_rd_u64(&rd);
    r->result = cmpp_rd_uint(&rd, cmpp_status_width(version));
    return cmpp_rd_end(&rd);
}

/* ---- SUBMIT ---- */

int cmpp_codec_pack_submit(uint8_t *buf, size_t cap, uint8_t version, uint32_t seq,
                           const struct cmpp_submit *m)
{
    struct cmpp_wr w;
    int v3 = version == CMPP_V30;
    size_t tw = cmpp_term_width(version);
    if (!cmpp_codec_version_ok(version))
        return -EINVAL;
    cmpp_wr_begin(&w, buf, cap, CMPP_SUBMIT, seq);
    cmpp_wr_u64(&w, m->msg_id);
    cmpp_wr_u8(&w, m->pk_total);
    cmpp_wr_u8(&w, m->pk_number);
    cmpp_wr_u8(&w, m->registered_delivery);
    cmpp_wr_u8(&w, m->msg_level);
    cmpp_wr_text(&w, 10, m->service_id);
    cmpp_wr_u8(&w, m->fee_user_type);
    cmpp_wr_text(&w, tw, m->fee_terminal_id);
    if (v3)
        cmpp_wr_u8(&w, m->fee_terminal_type);
    cmpp_wr_u8(&w, m->tp_pid);
    cmpp_wr_u8(&w, m->tp_udhi);
    cmpp_wr_u8(&w, m->msg_fmt);
    cmpp_wr_text(&w, 6, m->msg_src);
    cmpp_wr_text(&w, 2, m->fee_type);
    cmpp_wr_text(&w, 6, m->fee_code);
    cmpp_wr_text(&w, 17, m->valid_time);
    cmpp_wr_text(&w, 17, m->at_time);
    cmpp_wr_text(&w, 21, m->src_id);
    cmpp_wr_u8(&w, 1); /* one destination: we send to one customer at a time */
    cmpp_wr_text(&w, tw, m->dest);
    if (v3)
        cmpp_wr_u8(&w, m->dest_terminal_type);
    cmpp_wr_u8(&w, m->msg_length);
    cmpp_wr_bytes(&w, m->msg_content, m->msg_length);
    cmpp_wr_text(&w, cmpp_tail_width(version), version == CMPP_V30 ? m->link_id : "");
    return cmpp_wr_end(&w);
}

int cmpp_codec_unpack_submit(const uint8_t *pdu, size_t len, uint8_t version, struct cmpp_submit *m)
{
    struct cmpp_rd r;
    int v3 = version == CMPP_V30;
    size_t tw = cmpp_term_width(version);
    if (!cmpp_codec_version_ok(version) || cmpp_rd_begin(&r, pdu, len) < 0)
        return -EBADMSG;
    memset(m, 0, sizeof *m);
    m->msg_id = cmpp_rd_u64(&r);
    m->pk_total = cmpp_rd_u8(&r);
    m->pk_number = cmpp_rd_u8(&r);
    m->registered_delivery = cmpp_rd_u8(&r);
    m->msg_level = cmpp_rd_u8(&r);
    cmpp_rd_text(&r, 10, m->service_id);
    m->fee_user_type = cmpp_rd_u8(&r);
    cmpp_rd_text(&r, tw, m->fee_terminal_id);
    if (v3)
        m->fee_terminal_type = cmpp_rd_u8(&r);
    m->tp_pid = cmpp_rd_u8(&r);
    m->tp_udhi = cmpp_rd_u8(&r);
    m->msg_fmt = cmpp_rd_u8(&r);
    cmpp_rd_text(&r, 6, m->msg_src);
    cmpp_rd_text(&r, 2, m->fee_type);
    cmpp_rd_text(&r, 6, m->fee_code);
    cmpp_rd_text(&r, 17, m->valid_time);
    cmpp_rd_text(&r, 17, m->at_time);
    cmpp_rd_text(&r, 21, m->src_id);
    m->dest_count = cmpp_rd_u8(&r);
    if (m->dest_count < 1 || m->dest_count > CMPP_DEST_MAX)
        return -EBADMSG;
    cmpp_rd_text(&r, tw, m->dest);
    (void)cmpp_rd_take(&r, tw * (m->dest_count - 1u)); /* the others: length only */
    if (v3)
        m->dest_terminal_type = cmpp_rd_u8(&r);
    m->msg_length = cmpp_rd_u8(&r);
    cmpp_rd_bytes(&r, m->msg_length, m->msg_content);
    cmpp_rd_tail(&r, version, m->link_id);
    return cmpp_rd_end(&r);
}

/* ---- DELIVER and the status report ---- */

int cmpp_codec_pack_deliver(uint8_t *buf, size_t cap, uint8_t version, uint32_t seq,
                            const struct cmpp_deliver *m)
{
    struct cmpp_wr w;
    int v3 = version == CMPP_V30;
    if (!cmpp_codec_version_ok(version))
        return -EINVAL;
    cmpp_wr_begin(&w, buf, cap, CMPP_DELIVER, seq);
    cmpp_wr_u64(&w, m->msg_id);
    cmpp_wr_text(&w, 21, m->dest_id);
    cmpp_wr_text(&w, 10, m->service_id);
    cmpp_wr_u8(&w, m->tp_pid);
    cmpp_wr_u8(&w, m->tp_udhi);
    cmpp_wr_u8(&w, m->msg_fmt);
    cmpp_wr_text(&w, cmpp_term_width(version), m->src_terminal_id);
    if (v3)
        cmpp_wr_u8(&w, m->src_terminal_type);
    cmpp_wr_u8(&w, m->registered_delivery);
    cmpp_wr_u8(&w, m->msg_length);
    cmpp_wr_bytes(&w, m->msg_content, m->msg_length);
    cmpp_wr_text(&w, cmpp_tail_width(version), version == CMPP_V30 ? m->link_id : "");
    return cmpp_wr_end(&w);
}

int cmpp_codec_unpack_deliver(const uint8_t *pdu, size_t len, uint8_t version,
                              struct cmpp_deliver *m)
{
    struct cmpp_rd r;
    int v3 = version == CMPP_V30;
    if (!cmpp_codec_version_ok(version) || cmpp_rd_begin(&r, pdu, len) < 0)
        return -EBADMSG;
    memset(m, 0, sizeof *m);
    m->msg_id = cmpp_rd_u64(&r);
    cmpp_rd_text(&r, 21, m->dest_id);
    cmpp_rd_text(&r, 10, m->service_id);
    m->tp_pid = cmpp_rd_u8(&r);
    m->tp_udhi = cmpp_rd_u8(&r);
    m->msg_fmt = cmpp_rd_u8(&r);
    cmpp_rd_text(&r, cmpp_term_width(version), m->src_terminal_id);
    if (v3)
        m->src_terminal_type = cmpp_rd_u8(&r);
    m->registered_delivery = cmpp_rd_u8(&r);
    m->msg_length = cmpp_rd_u8(&r);
    cmpp_rd_bytes(&r, m->msg_length, m->msg_content);
    cmpp_rd_tail(&r, version, m->link_id);
    return cmpp_rd_end(&r);
}

int cmpp_codec_pack_report(uint8_t *buf, size_t cap, uint8_t version, const struct cmpp_report *r)
{
    struct cmpp_wr w = {buf, cap, 0, 0};
    if (!cmpp_codec_version_ok(version))
        return -EINVAL;
    cmpp_wr_u64(&w, r->msg_id);
    cmpp_wr_text(&w, 7, r->stat);
    cmpp_wr_text(&w, 10, r->submit_time);
    cmpp_wr_text(&w, 10, r->done_time);
    cmpp_wr_text(&w, cmpp_term_width(version), r->dest_terminal_id);
    cmpp_wr_u32(&w, r->smsc_sequence);
    return w.err ? w.err : (int)w.off;
}

int cmpp_codec_unpack_report(const uint8_t *content, size_t len, uint8_t version,
                             struct cmpp_report *r)
{
    struct cmpp_rd rd = {content, len, 0, 0};
    if (!cmpp_codec_version_ok(version) || content == NULL)
        return -EBADMSG;
    memset(r, 0, sizeof *r);
    r->msg_id = cmpp_rd_u64(&rd);
    cmpp_rd_text(&rd, 7, r->stat);
    cmpp_rd_text(&rd, 10, r->submit_time);
    cmpp_rd_text(&rd, 10, r->done_time);
    cmpp_rd_text(&rd, cmpp_term_width(version), r->dest_terminal_id);
    r->smsc_sequence = cmpp_rd_u32(&rd);
    return cmpp_rd_end(&rd);
}

void cmpp_codec_msg_id_text(uint64_t msg_id, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, msg_id);
}

/* ---- framing ---- */

void cmpp_codec_framer_init(struct cmpp_codec_framer *f, uint32_t max_len)
{
    memset(f, 0, sizeof *f);
    f->max_len = max_len < CMPP_HEADER_LEN || max_len > CMPP_MAX_LEN ? CMPP_MAX_LEN : max_len;
}

void cmpp_codec_framer_free(struct cmpp_codec_framer *f)
{
    free(f->buf);
    memset(f, 0, sizeof *f);
}

int cmpp_codec_framer_push(struct cmpp_codec_framer *f, const uint8_t *data, size_t len)
{
    /* drop what was handed out, keep the partial PDU at the front */
    if (f->off > 0) {
        memmove(f->buf, f->buf + f->off, f->have - f->off);
        f->have -= f->off;
        f->off = 0;
    }
    if (f->have + len > f->cap) {
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->have + len)
            cap *= 2;
        uint8_t *nb = realloc(f->buf, cap);
        if (nb == NULL)
            return -ENOMEM;
        f->buf = nb;
        f->cap = cap;
    }
    if (len > 0)
        memcpy(f->buf + f->have, data, len);
    f->have += len;
    return 0;
}

int cmpp_codec_framer_next(struct cmpp_codec_framer *f, const uint8_t **pdu, uint32_t *len)
{
    size_t avail = f->have - f->off;
    if (avail < 4)
        return 0;
    const uint8_t *p = f->buf + f->off;
    uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    *len = n;
    if (n < CMPP_HEADER_LEN || n > f->max_len)
        return -EBADMSG;
    if (avail < n)
        return 0;
    *pdu = p;
    f->off += n;
    return 1;
}

size_t cmpp_codec_framer_partial(const struct cmpp_codec_framer *f)
{
    return f->have - f->off;
}
