/*
 * load_smsc.c: the load SMSC of ermgw's benchmark (tests/bench/bench.py). It listens on
 * 127.0.0.1, takes one ESME, and once it is bound sends N deliver_sm MOs, each from its own
 * customer number (13000000000 + base + i), text a code drawn at random from a code list,
 * with at most W outstanding and either as fast as the window allows or at a fixed offered
 * rate. It times every deliver_sm from the write to its deliver_sm_resp, answers every
 * submit_sm (counting them), enquire_link and unbind, and ends with one summary line of
 * key=value pairs on stdout.
 *
 * Written for speed, so that the gateway, not this program, is what is measured: plain C,
 * one epoll loop, PDUs packed and parsed by hand (no libsmpp34), reads in big chunks, and
 * everything one loop iteration produces (deliver_sm, responses) written with one write(2).
 * One clock reading per loop iteration stamps every PDU written or read in that iteration.
 * `--self-test` runs a trivial ESME on a thread of this process (binds, acks every
 * deliver_sm at once) to show how fast the load side itself is.
 *
 * `--cmpp 3.0|2.0` makes it a load ISMG instead (issue 17): the same MOs as CMPP_DELIVERs,
 * packed with gateway/cmpp_codec.c (its cost is a small copy per PDU), CMPP_CONNECT
 * answered with AuthenticatorISMG for --secret, SUBMIT, ACTIVE_TEST and TERMINATE answered.
 *
 * Memory: a few buffers allocated at start (the code list, the per-MO timestamps, the I/O
 * buffers), all owned by main's struct load_state and freed before exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "gateway/cmpp_codec.h"

#define LOAD_HDR           16
#define LOAD_MAX_PDU       65536
#define LOAD_RBUF          (256 * 1024)
#define LOAD_WBUF_MIN      (256 * 1024)
#define LOAD_MAX_COUNT     50000000u
#define LOAD_CODE_MAX      21 /* a short_message of ours: an SMS code, well under 254 */
#define LOAD_CUSTOMER_BASE 13000000000ULL
#define LOAD_STATUS_KINDS  16 /* distinct non-zero deliver_sm_resp statuses reported */
#define LOAD_SYSTEM_ID     "load_smsc"

#define CMD_GENERIC_NACK     0x80000000u
#define CMD_BIND_RECEIVER    0x00000001u
#define CMD_BIND_TRANSMITTER 0x00000002u
#define CMD_SUBMIT_SM        0x00000004u
#define CMD_DELIVER_SM       0x00000005u
#define CMD_UNBIND           0x00000006u
#define CMD_BIND_TRANSCEIVER 0x00000009u
#define CMD_ENQUIRE_LINK     0x00000015u
#define CMD_RESP             0x80000000u
#define ST_ESME_RINVCMDID    0x00000003u

static const char load_usage[] =
    "usage: load_smsc --codes FILE [--count N] [--window W] [--rate R] [--base B]\n"
    "                 [--dest ADDR] [--seed S] [--port P] [--max-seconds S]\n"
    "                 [--exit-when-acked] [--self-test] [--cmpp 3.0|2.0 [--secret S]]\n"
    "The load SMSC of ermgw's benchmark. Listens on 127.0.0.1:P (default 0: any free port;\n"
    "prints LISTEN <port>), waits for one bind_transceiver, then sends N (default 10000)\n"
    "deliver_sm, MO i from 13000000000+B+i to ADDR (default 10086), text a code drawn at\n"
    "random from FILE (one per line), data_coding 0, at most W (default 100) outstanding,\n"
    "R per second (default 0: as fast as the window allows). Answers submit_sm (message ids\n"
    "in hex), enquire_link and unbind.\n"
    "When every MO is answered it prints `DONE <the load's key=value pairs>`, keeps serving\n"
    "(submit_sm keep coming) until the ESME unbinds or disconnects, then prints the summary\n"
    "line `SUMMARY key=value...` and exits: 0 when every MO was answered, 1 otherwise.\n"
    "--exit-when-acked exits at DONE. --max-seconds (default 900) bounds the whole run.\n"
    "--cmpp: a load ISMG: CMPP_DELIVERs (Msg_Fmt 0), logins answered for secret S\n"
    "(default secret), CMPP_SUBMIT answered with Msg_Ids; SMPP otherwise.\n"
    "--self-test: no --codes needed; a trivial ESME on a thread binds and acks everything\n"
    "(implies --exit-when-acked), to measure this program's own speed.\n"
    "Summary keys: sent acked_ok acked_err seconds (first deliver_sm to last resp) rate\n"
    "(acked_ok per second) p50_ms p99_ms p999_ms (deliver_sm written -> resp read) submits\n"
    "last_submit_s (since the first deliver_sm) late (MOs sent >10 ms after their slot at\n"
    "a fixed rate) unmatched (responses to no outstanding MO) statuses (non-zero ones).\n";

/* One growable byte buffer; owns DATA. */
struct load_buf {
    uint8_t *data;
    size_t len, cap;
};

struct load_opts {
    const char *codes_file;
    uint32_t count;
    uint32_t window;
    double rate;
    uint64_t base;
    const char *dest;
    uint64_t seed;
    int port;
    double max_seconds;
    int exit_when_acked;
    int self_test;
    uint8_t cmpp;       /* 0: SMPP; CMPP_V30 or CMPP_V20 */
    const char *secret; /* CMPP: the login's shared secret */
};

struct load_state {
    struct load_opts o;
    char (*codes)[LOAD_CODE_MAX + 1]; /* owned */
    size_t ncodes;
    uint64_t *sent_ns; /* owned; per MO: when written; 0 = not outstanding */
    uint64_t *lat_ns;  /* owned; per acked MO, in ack order */
    uint32_t nlat;
    uint32_t next;        /* MOs sent so far (the next MO's index) */
    uint32_t outstanding; /* sent, not yet answered */
    uint32_t acked_ok, acked_err, unmatched, late;
    uint32_t st_code[LOAD_STATUS_KINDS], st_count[LOAD_STATUS_KINDS];
    uint64_t submits, enquires;
    uint64_t t_start, t_first_sent, t_last_ack, t_last_submit, t_now;
    uint64_t rng;
    uint64_t next_msgid;
    int lfd, fd, ep;
    int bound, want_out, peer_gone, done_printed;
    struct load_buf in, out;
};

static volatile sig_atomic_t load_stop;

static void load_on_signal(int sig)
{
    (void)sig;
    load_stop = 1;
}

static uint64_t load_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t load_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void load_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* xorshift64*: the code draw must cost nothing next to a write. */
static uint64_t load_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Makes room for N more bytes; returns a pointer to them or NULL (out of memory). */
static uint8_t *load_buf_room(struct load_buf *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : LOAD_WBUF_MIN;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (d == NULL)
            return NULL;
        b->data = d;
        b->cap = cap;
    }
    return b->data + b->len;
}

/* Appends a PDU header (length filled in by load_pdu_end). Returns the PDU's offset. */
static size_t load_pdu_begin(struct load_buf *b, uint32_t cmd, uint32_t status, uint32_t seq)
{
    size_t at = b->len;
    uint8_t *p = b->data + at; /* the caller reserved room */
    load_put32(p + 4, cmd);
    load_put32(p + 8, status);
    load_put32(p + 12, seq);
    b->len += LOAD_HDR;
    return at;
}

static void load_pdu_end(struct load_buf *b, size_t at)
{
    load_put32(b->data + at, (uint32_t)(b->len - at));
}

static void load_put_cstr(struct load_buf *b, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void load_put8(struct load_buf *b, uint8_t v)
{
    b->data[b->len++] = v;
}

/* Appends a response with an optional C-string body (NULL: no body). Returns 0 or -ENOMEM. */
static int load_resp(struct load_buf *b, uint32_t cmd, uint32_t status, uint32_t seq,
                     const char *body)
{
    if (load_buf_room(b, LOAD_HDR + 80) == NULL)
        return -ENOMEM;
    size_t at = load_pdu_begin(b, cmd, status, seq);
    if (body != NULL)
        load_put_cstr(b, body);
    load_pdu_end(b, at);
    return 0;
}

/* Appends a CMPP PDU packed by PACK into up to 512 bytes. Returns 0, -ENOMEM or -EPROTO. */
static int load_cmpp_put(struct load_buf *b, int n)
{
    if (n < 0)
        return -EPROTO;
    b->len += (size_t)n;
    return 0;
}

/* CMPP_DELIVER number I (Sequence_Id I + 1). */
static int load_pack_cmpp_deliver(struct load_state *st, uint32_t i, const char *code)
{
    struct cmpp_deliver d;
    uint8_t *room = load_buf_room(&st->out, 512);
    if (room == NULL)
        return -ENOMEM;
    memset(&d, 0, sizeof d);
    d.msg_id = (uint64_t)i + 1;
    snprintf(d.src_terminal_id, sizeof d.src_terminal_id, "%llu",
             (unsigned long long)(LOAD_CUSTOMER_BASE + st->o.base + i));
    snprintf(d.dest_id, sizeof d.dest_id, "%s", st->o.dest);
    d.msg_length = (uint8_t)strlen(code);
    memcpy(d.msg_content, code, d.msg_length);
    return load_cmpp_put(&st->out, cmpp_codec_pack_deliver(room, 512, st->o.cmpp, i + 1, &d));
}

/* Appends deliver_sm number I (sequence I + 1). Returns 0 or -ENOMEM. */
static int load_pack_deliver(struct load_state *st, uint32_t i)
{
    struct load_buf *b = &st->out;
    if (st->o.cmpp)
        return load_pack_cmpp_deliver(st, i, st->codes[load_rand(&st->rng) % st->ncodes]);
    if (load_buf_room(b, 128 + LOAD_CODE_MAX) == NULL)
        return -ENOMEM;
    char src[24];
    snprintf(src, sizeof src, "%llu", (unsigned long long)(LOAD_CUSTOMER_BASE + st->o.base + i));
    const char *code = st->codes[load_rand(&st->rng) % st->ncodes];
    size_t at = load_pdu_begin(b, CMD_DELIVER_SM, 0, i + 1);
    load_put_cstr(b, "");  /* service_type */
    load_put8(b, 1);       /* source_addr_ton: international */
    load_put8(b, 1);       /* source_addr_npi: ISDN */
    load_put_cstr(b, src); /* source_addr */
    load_put8(b, 0);       /* dest_addr_ton: unknown */
    load_put8(b, 1);       /* dest_addr_npi: ISDN */
    load_put_cstr(b, st->o.dest);
    load_put8(b, 0);      /* esm_class: a plain MO */
    load_put8(b, 0);      /* protocol_id */
    load_put8(b, 0);      /* priority_flag */
    load_put_cstr(b, ""); /* schedule_delivery_time */
    load_put_cstr(b, ""); /* validity_period */
    load_put8(b, 0);      /* registered_delivery */
    load_put8(b, 0);      /* replace_if_present_flag */
    load_put8(b, 0);      /* data_coding: SMSC default alphabet */
    load_put8(b, 0);      /* sm_default_msg_id */
    size_t n = strlen(code);
    load_put8(b, (uint8_t)n);
    memcpy(b->data + b->len, code, n);
    b->len += n;
    load_pdu_end(b, at);
    return 0;
}

/* Sends what the window and the rate allow now. Returns 0 or -ENOMEM. */
static int load_fill(struct load_state *st)
{
    if (!st->bound)
        return 0;
    while (st->next < st->o.count && st->outstanding < st->o.window) {
        if (st->o.rate > 0) {
            uint64_t due = st->t_start + (uint64_t)((double)st->next * 1e9 / st->o.rate);
            if (due > st->t_now)
                break;
            if (st->t_now - due > 10000000ull)
                st->late++;
        }
        int rc = load_pack_deliver(st, st->next);
        if (rc < 0)
            return rc;
        if (st->t_first_sent == 0)
            st->t_first_sent = st->t_now;
        st->sent_ns[st->next] = st->t_now;
        st->next++;
        st->outstanding++;
    }
    return 0;
}

static void load_count_status(struct load_state *st, uint32_t status)
{
    for (int k = 0; k < LOAD_STATUS_KINDS; k++) {
        if (st->st_count[k] == 0 || st->st_code[k] == status) {
            st->st_code[k] = status;
            st->st_count[k]++;
            return;
        }
    }
}

static void load_on_deliver_resp(struct load_state *st, uint32_t status, uint32_t seq)
{
    if (seq == 0 || seq > st->next || st->sent_ns[seq - 1] == 0) {
        st->unmatched++;
        return;
    }
    st->lat_ns[st->nlat++] = st->t_now - st->sent_ns[seq - 1];
    st->sent_ns[seq - 1] = 0;
    st->outstanding--;
    st->t_last_ack = st->t_now;
    if (status == 0) {
        st->acked_ok++;
    } else {
        st->acked_err++;
        load_count_status(st, status);
    }
}

/* Handles one whole CMPP PDU from the SP. Returns 0, or -EPROTO/-ENOMEM. */
static int load_on_cmpp_pdu(struct load_state *st, const uint8_t *p, uint32_t len)
{
    struct cmpp_hdr h;
    struct cmpp_result r;
    uint8_t v = st->o.cmpp;
    cmpp_codec_hdr_read(p, &h);
    uint8_t *room = load_buf_room(&st->out, 512);
    if (room == NULL)
        return -ENOMEM;
    switch (h.id) {
    case CMPP_DELIVER_RESP:
        if (cmpp_codec_unpack_result(p, len, v, &r) < 0)
            return -EPROTO;
        load_on_deliver_resp(st, r.result, h.seq);
        return 0;
    case CMPP_SUBMIT:
        st->submits++;
        st->t_last_submit = st->t_now;
        r.msg_id = ++st->next_msgid;
        r.result = 0;
        return load_cmpp_put(&st->out,
                             cmpp_codec_pack_result(room, 512, v, CMPP_SUBMIT_RESP, h.seq, &r));
    case CMPP_ACTIVE_TEST:
        st->enquires++;
        return load_cmpp_put(&st->out, cmpp_codec_pack_active_test_resp(room, 512, h.seq));
    case CMPP_CONNECT: {
        struct cmpp_connect c;
        struct cmpp_connect_resp cr = {.version = v};
        if (cmpp_codec_unpack_connect(p, len, &c) < 0)
            return -EPROTO;
        cmpp_codec_auth_ismg(v, 0, c.auth, st->o.secret, cr.auth);
        st->bound = 1;
        st->t_start = st->t_now;
        return load_cmpp_put(&st->out, cmpp_codec_pack_connect_resp(room, 512, v, h.seq, &cr));
    }
    case CMPP_TERMINATE:
        st->peer_gone = 1;
        return load_cmpp_put(&st->out,
                             cmpp_codec_pack_simple(room, 512, CMPP_TERMINATE_RESP, h.seq));
    default:
        st->unmatched++;
        return 0;
    }
}

/* Handles one whole PDU from the ESME. Returns 0, or -EPROTO to drop the link. */
static int load_on_pdu(struct load_state *st, const uint8_t *p, uint32_t len)
{
    if (st->o.cmpp)
        return load_on_cmpp_pdu(st, p, len);
    uint32_t cmd = load_get32(p + 4), status = load_get32(p + 8), seq = load_get32(p + 12);
    char id[24];
    switch (cmd) {
    case CMD_DELIVER_SM | CMD_RESP:
        load_on_deliver_resp(st, status, seq);
        return 0;
    case CMD_SUBMIT_SM:
        st->submits++;
        st->t_last_submit = st->t_now;
        snprintf(id, sizeof id, "%08" PRIx64, ++st->next_msgid);
        return load_resp(&st->out, CMD_SUBMIT_SM | CMD_RESP, st->bound ? 0 : 0x04u, seq, id);
    case CMD_ENQUIRE_LINK:
        st->enquires++;
        return load_resp(&st->out, CMD_ENQUIRE_LINK | CMD_RESP, 0, seq, NULL);
    case CMD_BIND_TRANSCEIVER:
    case CMD_BIND_TRANSMITTER:
    case CMD_BIND_RECEIVER:
        if (st->bound)
            return load_resp(&st->out, cmd | CMD_RESP, 0x05u, seq, LOAD_SYSTEM_ID);
        st->bound = 1;
        st->t_start = st->t_now;
        return load_resp(&st->out, cmd | CMD_RESP, 0, seq, LOAD_SYSTEM_ID);
    case CMD_UNBIND:
        st->peer_gone = 1;
        return load_resp(&st->out, CMD_UNBIND | CMD_RESP, 0, seq, NULL);
    case CMD_GENERIC_NACK:
        fprintf(stderr, "load_smsc: generic_nack 0x%08x seq %u\n", status, seq);
        st->unmatched++;
        return 0;
    default:
        if (cmd & CMD_RESP) {
            st->unmatched++;
            return 0;
        }
        (void)len;
        return load_resp(&st->out, CMD_GENERIC_NACK, ST_ESME_RINVCMDID, seq, NULL);
    }
}

/* Reads what is there and handles every whole PDU. Returns 0, or -errno when the link is
 * gone or broken. */
static int load_read(struct load_state *st)
{
    for (;;) {
        if (st->in.cap - st->in.len == 0)
            return -EPROTO; /* cannot happen: a PDU is at most LOAD_MAX_PDU < LOAD_RBUF */
        ssize_t n = read(st->fd, st->in.data + st->in.len, st->in.cap - st->in.len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            return -errno;
        }
        if (n == 0)
            return -ECONNRESET;
        st->in.len += (size_t)n;
        size_t pos = 0;
        size_t hdr = st->o.cmpp ? CMPP_HEADER_LEN : LOAD_HDR;
        while (st->in.len - pos >= hdr) {
            uint32_t len = load_get32(st->in.data + pos);
            if (len < hdr || len > LOAD_MAX_PDU) {
                fprintf(stderr, "load_smsc: bad command_length %u\n", len);
                return -EPROTO;
            }
            if (st->in.len - pos < len)
                break;
            int rc = load_on_pdu(st, st->in.data + pos, len);
            if (rc < 0)
                return rc;
            pos += len;
        }
        memmove(st->in.data, st->in.data + pos, st->in.len - pos);
        st->in.len -= pos;
        if ((size_t)n < st->in.cap / 2)
            return 0; /* drained the socket, most likely: spare a read that says EAGAIN */
    }
}

/* Writes the output buffer as far as the socket takes it. Returns 0 or -errno. */
static int load_flush(struct load_state *st)
{
    size_t off = 0;
    while (off < st->out.len) {
        ssize_t n = write(st->fd, st->out.data + off, st->out.len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            return -errno;
        }
        off += (size_t)n;
    }
    memmove(st->out.data, st->out.data + off, st->out.len - off);
    st->out.len -= off;
    int want = st->out.len > 0;
    if (want != st->want_out) {
        struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.fd = st->fd};
        if (epoll_ctl(st->ep, EPOLL_CTL_MOD, st->fd, &ev) < 0)
            return -errno;
        st->want_out = want;
    }
    return 0;
}

static int load_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile Q of the sorted latencies, in ms. */
static double load_pct_ms(const struct load_state *st, double q)
{
    if (st->nlat == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * st->nlat + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > st->nlat)
        rank = st->nlat;
    return (double)st->lat_ns[rank - 1] / 1e6;
}

/* Prints "key=value ..." of the load so far (sorts the latencies: call once per line). */
static void load_print(struct load_state *st, const char *prefix)
{
    qsort(st->lat_ns, st->nlat, sizeof st->lat_ns[0], load_cmp_u64);
    double secs =
        st->t_last_ack > st->t_first_sent ? (double)(st->t_last_ack - st->t_first_sent) / 1e9 : 0;
    double last_submit = st->t_last_submit > st->t_first_sent && st->t_first_sent
                             ? (double)(st->t_last_submit - st->t_first_sent) / 1e9
                             : 0;
    printf("%s sent=%u acked_ok=%u acked_err=%u seconds=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f "
           "p999_ms=%.3f submits=%" PRIu64 " last_submit_s=%.3f window=%u offered=%.0f "
           "late=%u unmatched=%u statuses=",
           prefix, st->next, st->acked_ok, st->acked_err, secs, secs > 0 ? st->acked_ok / secs : 0,
           load_pct_ms(st, 0.50), load_pct_ms(st, 0.99), load_pct_ms(st, 0.999), st->submits,
           last_submit, st->o.window, st->o.rate, st->late, st->unmatched);
    int any = 0;
    for (int k = 0; k < LOAD_STATUS_KINDS && st->st_count[k]; k++)
        printf("%s0x%x:%u", any++ ? "," : "", st->st_code[k], st->st_count[k]);
    printf("%s\n", any ? "" : "-");
    fflush(stdout);
}

/* Reads the code list (one code per line, blank lines skipped). Returns 0 or -errno. */
static int load_read_codes(struct load_state *st)
{
    FILE *f = fopen(st->o.codes_file, "r");
    if (f == NULL)
        return -errno;
    size_t cap = 1024;
    st->codes = malloc(cap * sizeof *st->codes);
    char line[256];
    while (st->codes != NULL && fgets(line, sizeof line, f) != NULL) {
        size_t n = strcspn(line, "\r\n \t");
        if (n == 0)
            continue;
        if (n > LOAD_CODE_MAX) {
            fclose(f);
            return -E2BIG;
        }
        if (st->ncodes == cap) {
            cap *= 2;
            void *p = realloc(st->codes, cap * sizeof *st->codes);
            if (p == NULL) {
                fclose(f);
                return -ENOMEM;
            }
            st->codes = p;
        }
        memcpy(st->codes[st->ncodes], line, n);
        st->codes[st->ncodes][n] = '\0';
        st->ncodes++;
    }
    fclose(f);
    if (st->codes == NULL)
        return -ENOMEM;
    return st->ncodes ? 0 : -ENODATA;
}

/* ---- the trivial ESME of --self-test ------------------------------------------------- */

struct load_null_esme {
    int port;
    uint64_t acked;
};

static int load_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The thread: binds, answers every deliver_sm at once (one write per read), ends at EOF or
 * unbind. ARG is a struct load_null_esme owned by main. */
static void *load_null_esme_run(void *arg)
{
    struct load_null_esme *e = arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)e->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct load_buf in = {malloc(LOAD_RBUF), 0, LOAD_RBUF}, out = {0};
    if (fd < 0 || in.data == NULL || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        goto out;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (load_buf_room(&out, 64) == NULL)
        goto out;
    size_t at = load_pdu_begin(&out, CMD_BIND_TRANSCEIVER, 0, 1);
    load_put_cstr(&out, "null");   /* system_id */
    load_put_cstr(&out, "secret"); /* password */
    load_put_cstr(&out, "");       /* system_type */
    load_put8(&out, 0x34);         /* interface_version */
    load_put8(&out, 0);
    load_put8(&out, 0);
    load_put_cstr(&out, ""); /* address_range */
    load_pdu_end(&out, at);
    for (int done = 0; !done;) {
        if (out.len > 0 && load_write_all(fd, out.data, out.len) < 0)
            break;
        out.len = 0;
        ssize_t n = read(fd, in.data + in.len, in.cap - in.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        in.len += (size_t)n;
        size_t pos = 0;
        while (in.len - pos >= LOAD_HDR) {
            uint32_t len = load_get32(in.data + pos);
            if (len < LOAD_HDR || len > LOAD_MAX_PDU) {
                done = 1;
                break;
            }
            if (in.len - pos < len)
                break;
            uint32_t cmd = load_get32(in.data + pos + 4), seq = load_get32(in.data + pos + 12);
            int rc = 0;
            if (cmd == CMD_DELIVER_SM) {
                rc = load_resp(&out, CMD_DELIVER_SM | CMD_RESP, 0, seq, "");
                e->acked++;
            } else if (cmd == CMD_ENQUIRE_LINK) {
                rc = load_resp(&out, cmd | CMD_RESP, 0, seq, NULL);
            } else if (cmd == CMD_UNBIND) {
                rc = load_resp(&out, cmd | CMD_RESP, 0, seq, NULL);
                done = 1;
            }
            if (rc < 0)
                done = 1;
            pos += len;
        }
        memmove(in.data, in.data + pos, in.len - pos);
        in.len -= pos;
    }
    if (out.len > 0)
        load_write_all(fd, out.data, out.len);
out:
    if (fd >= 0)
        close(fd);
    free(in.data);
    free(out.data);
    return NULL;
}

/* ---- set-up and the loop ------------------------------------------------------------- */

static int load_parse_args(int argc, char **argv, struct load_opts *o)
{
    static const struct option longs[] = {
        {"codes", required_argument, NULL, 'c'},
        {"count", required_argument, NULL, 'n'},
        {"window", required_argument, NULL, 'w'},
        {"rate", required_argument, NULL, 'r'},
        {"base", required_argument, NULL, 'b'},
        {"dest", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 's'},
        {"port", required_argument, NULL, 'p'},
        {"max-seconds", required_argument, NULL, 'm'},
        {"exit-when-acked", no_argument, NULL, 'x'},
        {"self-test", no_argument, NULL, 'T'},
        {"cmpp", required_argument, NULL, 'C'},
        {"secret", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct load_opts){NULL, 10000, 100, 0, 0, "10086", 1, 0, 900, 0, 0, 0, "secret"};
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        errno = 0;
        end = NULL;
        switch (c) {
        case 'c':
            o->codes_file = optarg;
            break;
        case 'n':
            o->count = (uint32_t)strtoul(optarg, &end, 10);
            break;
        case 'w':
            o->window = (uint32_t)strtoul(optarg, &end, 10);
            break;
        case 'r':
            o->rate = strtod(optarg, &end);
            break;
        case 'b':
            o->base = strtoull(optarg, &end, 10);
            break;
        case 'd':
            o->dest = optarg;
            break;
        case 's':
            o->seed = strtoull(optarg, &end, 10);
            break;
        case 'p':
            o->port = (int)strtol(optarg, &end, 10);
            break;
        case 'm':
            o->max_seconds = strtod(optarg, &end);
            break;
        case 'x':
            o->exit_when_acked = 1;
            break;
        case 'T':
            o->self_test = 1;
            o->exit_when_acked = 1;
            break;
        case 'C':
            if (strcmp(optarg, "3.0") != 0 && strcmp(optarg, "2.0") != 0) {
                fprintf(stderr, "load_smsc: --cmpp: 3.0 or 2.0\n");
                return -EINVAL;
            }
            o->cmpp = optarg[0] == '3' ? CMPP_V30 : CMPP_V20;
            break;
        case 'S':
            o->secret = optarg;
            break;
        case 'h':
            fputs(load_usage, stdout);
            exit(0);
        default:
            fputs(load_usage, stderr);
            return -EINVAL;
        }
        if (end != NULL && (*end != '\0' || errno != 0 || end == optarg)) {
            fprintf(stderr, "load_smsc: bad value \"%s\"\n", optarg);
            return -EINVAL;
        }
    }
    if (o->count == 0 || o->count > LOAD_MAX_COUNT || o->window == 0 || o->rate < 0 ||
        o->port < 0 || o->port > 65535 || o->max_seconds <= 0 || strlen(o->dest) > 20 ||
        o->base + o->count > 999999999ULL) {
        fprintf(stderr, "load_smsc: a count, window, rate, base, port or dest out of range\n");
        return -EINVAL;
    }
    if (o->cmpp && o->self_test) {
        fprintf(stderr, "load_smsc: --self-test speaks SMPP only\n");
        return -EINVAL;
    }
    if (o->codes_file == NULL && !o->self_test) {
        fprintf(stderr, "load_smsc: --codes FILE is required\n%s", load_usage);
        return -EINVAL;
    }
    return 0;
}

static int load_listen(struct load_state *st)
{
    st->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (st->lfd < 0)
        return -errno;
    int one = 1;
    setsockopt(st->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)st->o.port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (bind(st->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(st->lfd, 4) < 0 ||
        getsockname(st->lfd, (struct sockaddr *)&sa, &sl) < 0)
        return -errno;
    st->o.port = ntohs(sa.sin_port);
    printf("LISTEN %d\n", st->o.port);
    fflush(stdout);
    return 0;
}

/* Waits (bounded by the run's deadline) for the ESME's connection. Returns 0 or -errno. */
static int load_accept(struct load_state *st, uint64_t deadline)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = st->lfd};
    if (epoll_ctl(st->ep, EPOLL_CTL_ADD, st->lfd, &ev) < 0)
        return -errno;
    while (!load_stop) {
        uint64_t now = load_now_ns();
        if (now >= deadline)
            return -ETIMEDOUT;
        int n = epoll_wait(st->ep, &ev, 1, (int)((deadline - now) / 1000000 + 1));
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n <= 0)
            continue;
        st->fd = accept(st->lfd, NULL, NULL);
        if (st->fd < 0 || fcntl(st->fd, F_SETFL, O_NONBLOCK) < 0)
            return -errno;
        int one = 1;
        setsockopt(st->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        epoll_ctl(st->ep, EPOLL_CTL_DEL, st->lfd, NULL);
        close(st->lfd);
        st->lfd = -1;
        ev = (struct epoll_event){.events = EPOLLIN, .data.fd = st->fd};
        if (epoll_ctl(st->ep, EPOLL_CTL_ADD, st->fd, &ev) < 0)
            return -errno;
        return 0;
    }
    return -EINTR;
}

/* The load loop: until the ESME is gone (after DONE, or --exit-when-acked at DONE), a
 * signal, or the deadline. Returns 0 or -errno (why the link ended early). */
static int load_loop(struct load_state *st, uint64_t deadline)
{
    int rc = 0;
    while (!load_stop) {
        st->t_now = load_now_ns();
        if (st->t_now >= deadline)
            return -ETIMEDOUT;
        int timeout = (int)((deadline - st->t_now) / 1000000 + 1);
        if (st->bound && st->o.rate > 0 && st->next < st->o.count &&
            st->outstanding < st->o.window) {
            uint64_t due = st->t_start + (uint64_t)((double)st->next * 1e9 / st->o.rate);
            int ms = due > st->t_now ? (int)((due - st->t_now + 999999) / 1000000) : 0;
            if (ms < timeout)
                timeout = ms;
        }
        struct epoll_event evs[2];
        int n = epoll_wait(st->ep, evs, 2, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        st->t_now = load_now_ns();
        for (int k = 0; k < n && rc == 0; k++) {
            if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                rc = load_read(st);
        }
        if (rc == 0)
            rc = load_fill(st);
        int frc = load_flush(st);
        if (rc == 0)
            rc = frc;
        if (st->next == st->o.count && st->outstanding == 0 && !st->done_printed) {
            st->done_printed = 1;
            load_print(st, "DONE");
            if (st->o.exit_when_acked)
                return 0;
        }
        if (st->peer_gone)
            return st->done_printed ? 0 : -ECONNRESET;
        if (rc < 0)
            return rc == -ECONNRESET && st->done_printed ? 0 : rc;
    }
    return -EINTR;
}

int main(int argc, char **argv)
{
    struct load_state st;
    struct load_null_esme esme = {0};
    pthread_t thread;
    int have_thread = 0, rc;

    memset(&st, 0, sizeof st);
    st.lfd = st.fd = st.ep = -1;
    if (load_parse_args(argc, argv, &st.o) < 0)
        return 2;
    if (st.o.self_test && st.o.codes_file == NULL) {
        st.codes = malloc(sizeof *st.codes);
        if (st.codes != NULL) {
            snprintf(st.codes[0], sizeof st.codes[0], "10001");
            st.ncodes = 1;
        }
        rc = st.codes ? 0 : -ENOMEM;
    } else {
        rc = load_read_codes(&st);
    }
    if (rc < 0) {
        fprintf(stderr, "load_smsc: code list %s: %s\n", st.o.codes_file, strerror(-rc));
        free(st.codes);
        return 2;
    }
    struct sigaction sa = {.sa_handler = load_on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    st.rng = st.o.seed * 0x9E3779B97F4A7C15ULL + 1;
    st.sent_ns = calloc(st.o.count, sizeof *st.sent_ns);
    st.lat_ns = calloc(st.o.count, sizeof *st.lat_ns);
    st.in.data = malloc(LOAD_RBUF);
    st.in.cap = LOAD_RBUF;
    uint64_t deadline = load_now_ns() + (uint64_t)(st.o.max_seconds * 1e9);
    if (st.sent_ns == NULL || st.lat_ns == NULL || st.in.data == NULL ||
        load_buf_room(&st.out, LOAD_WBUF_MIN) == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    st.ep = epoll_create1(EPOLL_CLOEXEC);
    if (st.ep < 0) {
        rc = -errno;
        goto out;
    }
    if ((rc = load_listen(&st)) < 0)
        goto out;
    if (st.o.self_test) {
        esme.port = st.o.port;
        if (pthread_create(&thread, NULL, load_null_esme_run, &esme) != 0) {
            rc = -EAGAIN;
            goto out;
        }
        have_thread = 1;
    }
    if ((rc = load_accept(&st, deadline)) < 0)
        goto out;
    rc = load_loop(&st, deadline);

out:
    if (rc < 0 && rc != -EINTR)
        fprintf(stderr, "load_smsc: %s\n", strerror(-rc));
    if (st.fd >= 0 && st.out.len > 0)
        load_flush(&st); /* a last unbind_resp or submit_sm_resp */
    load_print(&st, "SUMMARY");
    int all = st.next == st.o.count && st.outstanding == 0;
    if (st.fd >= 0)
        close(st.fd);
    if (st.lfd >= 0)
        close(st.lfd);
    if (st.ep >= 0)
        close(st.ep);
    if (have_thread)
        pthread_join(thread, NULL);
    free(st.codes);
    free(st.sent_ns);
    free(st.lat_ns);
    free(st.in.data);
    free(st.out.data);
    return all ? 0 : 1;
}
