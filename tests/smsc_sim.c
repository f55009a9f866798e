/*
 * smsc_sim.c: the bundled SMSC simulator for ermgw's integration tests and demo. It listens
 * on 127.0.0.1, takes one ESME at a time, answers bind_transceiver / enquire_link / unbind /
 * submit_sm like an SMSC, injects deliver_sm (MOs and receipts) on command, and reports
 * every event as one line on stdout while it reads commands, one per line, on stdin. The
 * protocol is in sim_usage below (`smsc_sim --help`); tests/integration/ermtest.py speaks it.
 *
 * It is strict about what the client sends (a submit_sm before bind is refused, a framing
 * error closes the link) so tests catch gateway bugs, and permissive about what the test
 * asks it to send (raw bytes, sequence 0, a deliver_sm before bind) so tests can probe the
 * gateway. It frames, packs and decodes with gateway/smpp_pdu.c and decodes texts with
 * core/textcodec.c. Single-threaded, poll() based; everything it allocates is freed on quit.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/textcodec.h"
#include "gateway/gw.h"
#include "gateway/smpp_pdu.h"

#define SIM_LINE_MAX     (256 * 1024) /* a stdin command line; raw hex of a big PDU fits */
#define SIM_TAG_MAX      64
#define SIM_PENDING_MAX  65536 /* injected deliver_sm awaiting their resp */
#define SIM_GROUPS_MAX   256   /* concatenated messages being reassembled */
#define SIM_HELD_MAX     256   /* submit_sm_resp held by hold_submit_resp */
#define SIM_READ_CHUNK   65536
#define SIM_MAX_PDU_CAP  (1024 * 1024)
#define SIM_SYSTEM_ID    "smsc_sim"
#define SIM_ESME_RALYBND 0x05u /* ESME_RALYBND: already bound */
#define SIM_LINKS_MAX    16    /* --binds at most */

static const char sim_usage[] =
    "usage: smsc_sim [--port N] [--system-id ID] [--password PW] [--max-pdu N] [--hex-ids]\n"
    "                [--binds N] [--help]\n"
    "An SMPP 3.4 SMSC simulator for ermgw's tests. Listens on 127.0.0.1:N (0: any free port),\n"
    "one client at a time (a new connection closes the older one). With --system-id or\n"
    "--password a bind_transceiver must match them (wrong id 0x0f, wrong password 0x0e).\n"
    "submit_sm gets message ids 1, 2, ... (--hex-ids: 00000001, ...). --max-pdu bounds the\n"
    "command_length the client may send (default 4096); a bad command_length is logged as\n"
    "ERROR framing and closes the link. --binds N (1..16) takes up to N clients at once (one\n"
    "account's several binds; more connections are closed): an injected deliver_sm goes to\n"
    "the next bound client in turn (not to a bind_transmitter; a bind_receiver's submit_sm\n"
    "gets 0x04), enquire_link, unbind, drop and release_submit_resp go to\n"
    "every client. A submit_sm before a bind gets 0x04, a second bind\n"
    "0x05, a malformed PDU its status, another request generic_nack 0x03 (each also an\n"
    "ERROR line); the client's unbind is answered and the link closed.\n"
    "\n"
    "stdout, one event per line (hex lowercase; the last field of SUBMIT/MESSAGE is UTF-8\n"
    "text, the rest of the line, with \\ as \\\\, newline as \\n, CR as \\r, other controls as\n"
    "\\xNN; other fields are single tokens, '-' when empty, odd bytes as \\xNN):\n"
    "  LISTEN <port>                          first line, once listening\n"
    "  CONNECT | DISCONNECT                   client TCP connection opened / closed\n"
    "  BIND <system_id> <password> <system_type> 0x<status>   after answering a bind\n"
    "  ENQUIRE_LINK | UNBIND                  after answering the client's request\n"
    "  SUBMIT <message_id> <source> <dest> 0x<esm_class> 0x<data_coding>\n"
    "         0x<registered_delivery> <short_message hex> <text of the part, UDH stripped>\n"
    "                                         message_id '-' when refused by submit_status\n"
    "  MESSAGE <source> <dest> <parts> <text> a whole message (concatenated parts joined)\n"
    "  MO_RESP <tag> 0x<status>               the client's deliver_sm_resp to an injection\n"
    "  MO_LOST <tag>                          an injection unanswered when its link closed\n"
    "  RESP <command> 0x<status> <seq>        any other response from the client\n"
    "  NACK 0x<status> <seq>                  a generic_nack from the client\n"
    "  ERROR <text>                           a bad command, or the client misbehaving\n"
    "  IGNORED <command> <seq>                a request left unanswered (see ignore)\n"
    "\n"
    "stdin, one command per line:\n"
    "  mo <tag> <source> <dest> <data_coding> <hex>   inject a deliver_sm (payload TLV past\n"
    "                                                 253 octets)\n"
    "  mo_text <tag> <source> <dest> <text...>        GSM 7-bit (dcs 0) when the text is\n"
    "                                                 printable ASCII of the GSM alphabet,\n"
    "                                                 else UCS-2 (dcs 8)\n"
    "  mo_seq <tag> <seq> <source> <dest> <data_coding> <hex>   with that sequence number\n"
    "  receipt <tag> <source> <dest> <message_id> [<stat>]     a delivery receipt (esm_class\n"
    "                                                 0x04, receipted_message_id; DELIVRD)\n"
    "  mo_ex <tag> <source> <dest> <data_coding> <hex or -> [esm=0x<n>] [seq=<n>]\n"
    "        [sar=<ref>:<total>:<seqnum>] [payload] [receipted=<id>] [state=<n>]\n"
    "                             a deliver_sm with these: esm_class, sequence number, the\n"
    "                             SAR TLVs, the text in message_payload, receipted_message_id\n"
    "                             and message_state TLVs ('-': no short message)\n"
    "  raw <tag> <hex>                                send these bytes as they are (the\n"
    "                                                 answer shows as RESP / NACK)\n"
    "  submit_status 0x<status>   answer later submit_sm with it (0: normal again)\n"
    "  submit_status_nth <n> 0x<status>   answer only the n-th submit_sm from now with it\n"
    "  bind_status 0x<status>     answer later binds with it (0: normal again)\n"
    "  hold_submit_resp on|off    on: submit_sm get their message id (SUBMIT shows it) but\n"
    "                             the submit_sm_resp waits for release_submit_resp\n"
    "  release_submit_resp        send the held submit_sm_resp, oldest first (a lost link\n"
    "                             loses them)\n"
    "  ignore submit_sm|enquire_link on|off   stop (on) or go on (off) answering the client's\n"
    "                             submit_sm or enquire_link; each one left unanswered shows\n"
    "                             as IGNORED <command> <seq> (answer it with raw, or not)\n"
    "  enquire_link | unbind      send one to the client (after unbind_resp it is closed)\n"
    "  drop                       close the client connection abruptly\n"
    "  quit                       close everything and exit 0 (so does end of input)\n";

/* An injected deliver_sm waiting for its deliver_sm_resp. */
struct sim_pending {
    uint32_t seq;
    char tag[SIM_TAG_MAX + 1];
};

/* One part of a concatenated message (payload after the UDH). */
struct sim_part {
    uint8_t *data; /* malloc, owned by the group; NULL until the part arrives */
    size_t len;
};

/* A concatenated message being reassembled, keyed by source, dest and reference. */
struct sim_group {
    char source[MSISDN_ADDR_MAX];
    char dest[MSISDN_ADDR_MAX];
    uint32_t ref; /* 8-bit refs as is, 16-bit ones with 0x10000 added: they never mix */
    uint8_t total;
    uint8_t got;
    uint8_t data_coding;
    struct sim_part part[255];
};

/* A client's bound: 0, or how it bound. */
enum { SIM_BOUND_TRX = 1, SIM_BOUND_RX, SIM_BOUND_TX };

/* A submit_sm_resp held by hold_submit_resp. */
struct sim_held {
    uint32_t seq;
    char id[24];
};

/* What one client connection has of its own (struct sim's fields of the same names, for the
 * client in use: sim_use). */
struct sim_link {
    int cfd;
    struct smpp_framer fr;
    uint8_t *out;
    size_t out_len;
    size_t out_cap;
    int closing;
    int bound;
    uint32_t unbind_seq;
    struct sim_held held[SIM_HELD_MAX];
    size_t nheld;
    struct sim_pending *pending;
    size_t npending;
    size_t pending_cap;
};

struct sim {
    /* --binds: the clients not in use are parked in links[]; the one in use (index cur) is
     * in the fields below, from cfd to pending_cap. */
    struct sim_link links[SIM_LINKS_MAX];
    unsigned max_links;
    unsigned cur;
    unsigned rr; /* the client the next injection tries first */
    int lfd;
    int cfd; /* -1 when no client */
    struct smpp_framer fr;
    uint8_t *out; /* bytes for the client not yet written (malloc) */
    size_t out_len;
    size_t out_cap;
    int closing; /* close the client once out is written; read no more from it */
    int bound;
    uint32_t unbind_seq; /* our unbind waiting for its resp, 0 for none */
    uint32_t next_seq;
    uint64_t msg_counter;
    uint32_t submit_status;
    uint32_t nth_status; /* submit_status_nth: the status, and submits left till it */
    unsigned nth_left;
    uint32_t bind_status;
    int hold_resp; /* hold_submit_resp on */
    struct sim_held held[SIM_HELD_MAX];
    size_t nheld;
    int ignore_submit;       /* ignore submit_sm on: leave them unanswered */
    int ignore_enquire_link; /* ignore enquire_link on */
    int hex_ids;
    uint32_t max_pdu;
    const char *system_id; /* NULL: any */
    const char *password;  /* NULL: any */
    struct sim_pending *pending;
    size_t npending;
    size_t pending_cap;
    struct sim_group *groups[SIM_GROUPS_MAX];
    size_t ngroups;
    char *line; /* stdin bytes of the command being read (malloc, SIM_LINE_MAX) */
    size_t line_len;
    int line_overflow; /* the current line is too long: skipping to its end */
    int quit;
};

/* ---- output ------------------------------------------------------------------------- */

static void sim_emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints one event line and flushes it at once: the harness waits on it. */
static void sim_emit(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* A growable string for building lines; on allocation failure it stays truncated. */
struct sim_buf {
    char *s;
    size_t len;
    size_t cap;
};

static void sim_buf_putc(struct sim_buf *b, char c)
{
    if (b->len + 2 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        char *ns = realloc(b->s, cap);
        if (ns == NULL)
            return;
        b->s = ns;
        b->cap = cap;
    }
    b->s[b->len++] = c;
    b->s[b->len] = '\0';
}

static void sim_buf_puts(struct sim_buf *b, const char *s)
{
    while (*s)
        sim_buf_putc(b, *s++);
}

static void sim_buf_hexbyte(struct sim_buf *b, uint8_t v, int with_prefix)
{
    static const char hex[] = "0123456789abcdef";
    if (with_prefix) {
        sim_buf_putc(b, '\\');
        sim_buf_putc(b, 'x');
    }
    sim_buf_putc(b, hex[v >> 4]);
    sim_buf_putc(b, hex[v & 15]);
}

static const char *sim_buf_str(struct sim_buf *b)
{
    return b->s ? b->s : "";
}

/* Appends S as one token: '-' when empty; space, backslash and bytes outside printable
 * ASCII as \xNN, so a field never splits and the line stays ASCII. */
static void sim_buf_token(struct sim_buf *b, const char *s)
{
    if (*s == '\0') {
        sim_buf_putc(b, '-');
        return;
    }
    for (; *s; s++) {
        uint8_t c = (uint8_t)*s;
        if (c <= 0x20 || c >= 0x7f || c == '\\')
            sim_buf_hexbyte(b, c, 1);
        else
            sim_buf_putc(b, (char)c);
    }
}

/* Appends UTF-8 TEXT as the free-text last field: \\, \n, \r and \xNN for other controls. */
static void sim_buf_text(struct sim_buf *b, const char *s)
{
    for (; *s; s++) {
        uint8_t c = (uint8_t)*s;
        if (c == '\\')
            sim_buf_puts(b, "\\\\");
        else if (c == '\n')
            sim_buf_puts(b, "\\n");
        else if (c == '\r')
            sim_buf_puts(b, "\\r");
        else if ((c < 0x20 && c != '\t') || c == 0x7f)
            sim_buf_hexbyte(b, c, 1);
        else
            sim_buf_putc(b, (char)c);
    }
}

/* Appends LEN bytes as lowercase hex, '-' when empty. */
static void sim_buf_hex(struct sim_buf *b, const uint8_t *p, size_t len)
{
    if (len == 0)
        sim_buf_putc(b, '-');
    for (size_t i = 0; i < len; i++)
        sim_buf_hexbyte(b, p[i], 0);
}

/* Decodes a short message to UTF-8 and appends it as text; a data_coding textcodec does not
 * know is shown as "[dcs 0xNN] <hex>". */
static void sim_buf_decoded(struct sim_buf *b, uint8_t dcs, const uint8_t *p, size_t len)
{
    size_t cap = len * 4 + 16; /* one octet gives at most 3 UTF-8 bytes (U+FFFD) */
    char *txt = malloc(cap);
    if (txt == NULL)
        return;
    int rc = text_decode(dcs, p, len, txt, cap);
    if (rc >= 0) {
        sim_buf_text(b, txt);
    } else {
        char pre[32];
        snprintf(pre, sizeof pre, "[dcs 0x%02x] ", dcs);
        sim_buf_puts(b, pre);
        sim_buf_hex(b, p, len);
    }
    free(txt);
}

/* ---- the client connection ------------------------------------------------------------- */

/* The fields of struct sim_link, which struct sim has too for the client in use. */
#define SIM_LINK_FIELDS(X)                                                                         \
    X(cfd)                                                                                         \
    X(fr) X(out) X(out_len) X(out_cap) X(closing) X(bound) X(unbind_seq) X(nheld) X(pending)       \
        X(npending) X(pending_cap)
#define SIM_PARK(f) l->f = s->f;
#define SIM_LOAD(f) s->f = l->f;

/* Parks the client in use and takes client I's state into S's fields. */
static void sim_use(struct sim *s, unsigned i)
{
    if (i == s->cur)
        return;
    struct sim_link *l = &s->links[s->cur];
    SIM_LINK_FIELDS(SIM_PARK)
    memcpy(l->held, s->held, s->nheld * sizeof *s->held);
    l = &s->links[i];
    SIM_LINK_FIELDS(SIM_LOAD)
    memcpy(s->held, l->held, l->nheld * sizeof *l->held);
    s->cur = i;
}

/* Client I's socket, -1 when none. */
static int sim_link_fd(const struct sim *s, unsigned i)
{
    return i == s->cur ? s->cfd : s->links[i].cfd;
}

/* Takes into use the next bound client in turn (for an injection); none: stays as it is. */
static void sim_use_next_bound(struct sim *s)
{
    for (unsigned k = 0; k < s->max_links; k++) {
        unsigned i = (s->rr + k) % s->max_links;
        int bound = i == s->cur ? s->bound : s->links[i].bound;
        if (sim_link_fd(s, i) >= 0 && bound != 0 && bound != SIM_BOUND_TX) {
            sim_use(s, i);
            s->rr = i + 1;
            return;
        }
    }
}

static void sim_pending_clear(struct sim *s)
{
    s->npending = 0;
    s->nheld = 0;
}

static void sim_client_close(struct sim *s)
{
    if (s->cfd < 0)
        return;
    close(s->cfd);
    s->cfd = -1;
    smpp_framer_free(&s->fr);
    s->out_len = 0;
    s->closing = 0;
    s->bound = 0;
    s->unbind_seq = 0;
    /* Unanswered injections die with the link: a new link's seqs must not match them. Each
     * is said, so that a test knows exactly what the SMSC would deliver again. */
    for (size_t i = 0; i < s->npending; i++)
        sim_emit("MO_LOST %s", s->pending[i].tag);
    sim_pending_clear(s);
    sim_emit("DISCONNECT");
}

/* Writes what it can of the output queue. On a write error the link is closed. */
static void sim_flush(struct sim *s)
{
    size_t done = 0;
    while (s->cfd >= 0 && done < s->out_len) {
        ssize_t n = send(s->cfd, s->out + done, s->out_len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            sim_client_close(s);
            return;
        }
        done += (size_t)n;
    }
    if (s->cfd < 0)
        return;
    memmove(s->out, s->out + done, s->out_len - done);
    s->out_len -= done;
    if (s->closing && s->out_len == 0)
        sim_client_close(s);
}

/* Queues bytes for the client and tries to write them. Returns 0 or -ENOMEM. */
static int sim_send(struct sim *s, const uint8_t *p, size_t len)
{
    if (s->out_len + len > s->out_cap) {
        size_t cap = s->out_cap ? s->out_cap : 4096;
        while (cap < s->out_len + len)
            cap *= 2;
        uint8_t *no = realloc(s->out, cap);
        if (no == NULL)
            return -ENOMEM;
        s->out = no;
        s->out_cap = cap;
    }
    memcpy(s->out + s->out_len, p, len);
    s->out_len += len;
    sim_flush(s);
    return 0;
}

static uint32_t sim_seq(struct sim *s)
{
    uint32_t seq = s->next_seq;
    s->next_seq = seq >= 0x7fffffffu ? 1 : seq + 1;
    return seq;
}

/* ---- concatenation ----------------------------------------------------------------------- */

struct sim_concat {
    int is_concat;
    uint32_t ref;
    uint8_t total;
    uint8_t seq;
};

/* Finds the UDH of DATA when ESM_CLASS says there is one: *SKIP is its length (0 without or
 * when it is malformed) and C the concatenation IE (00 or 08), if any. */
static void sim_udh(const uint8_t *d, size_t len, uint8_t esm_class, size_t *skip,
                    struct sim_concat *c)
{
    memset(c, 0, sizeof *c);
    *skip = 0;
    if (!(esm_class & 0x40) || len < 1 || (size_t)d[0] + 1 > len)
        return;
    size_t end = (size_t)d[0] + 1;
    for (size_t i = 1; i + 2 <= end;) {
        uint8_t iei = d[i], iel = d[i + 1];
        if (i + 2 + iel > end)
            break;
        if (iei == 0x00 && iel == 3) {
            c->ref = d[i + 2];
            c->total = d[i + 3];
            c->seq = d[i + 4];
            c->is_concat = 1;
        } else if (iei == 0x08 && iel == 4) {
            c->ref = 0x10000u | (uint32_t)(d[i + 2] << 8 | d[i + 3]);
            c->total = d[i + 4];
            c->seq = d[i + 5];
            c->is_concat = 1;
        }
        i += 2 + (size_t)iel;
    }
    if (c->is_concat && (c->total < 2 || c->seq < 1 || c->seq > c->total))
        c->is_concat = 0; /* a lone part, or nonsense: take it as a whole message */
    *skip = end;
}

static void sim_group_free(struct sim_group *g)
{
    for (int i = 0; i < 255; i++)
        free(g->part[i].data);
    free(g);
}

static void sim_group_remove(struct sim *s, size_t i)
{
    sim_group_free(s->groups[i]);
    memmove(&s->groups[i], &s->groups[i + 1], (s->ngroups - i - 1) * sizeof s->groups[0]);
    s->ngroups--;
}

static void sim_message(const char *source, const char *dest, unsigned parts, uint8_t dcs,
                        const uint8_t *p, size_t len)
{
    struct sim_buf b = {0};
    sim_buf_puts(&b, "MESSAGE ");
    sim_buf_token(&b, source);
    sim_buf_putc(&b, ' ');
    sim_buf_token(&b, dest);
    char n[16];
    snprintf(n, sizeof n, " %u ", parts);
    sim_buf_puts(&b, n);
    sim_buf_decoded(&b, dcs, p, len);
    sim_emit("%s", sim_buf_str(&b));
    free(b.s);
}

/* Files one accepted part; prints MESSAGE when its message is whole. Texts are joined as
 * octets and decoded once, so a character split between parts still comes out right. */
static void sim_reassemble(struct sim *s, const struct gw_submit *m, size_t skip,
                           const struct sim_concat *c)
{
    if (!c->is_concat) {
        sim_message(m->source, m->dest, 1, m->data_coding, m->data + skip, m->len - skip);
        return;
    }
    struct sim_group *g = NULL;
    for (size_t i = 0; i < s->ngroups; i++) {
        struct sim_group *x = s->groups[i];
        if (x->ref == c->ref && x->total == c->total && strcmp(x->source, m->source) == 0 &&
            strcmp(x->dest, m->dest) == 0) {
            g = x;
            break;
        }
    }
    if (g == NULL) {
        if (s->ngroups == SIM_GROUPS_MAX) {
            sim_emit("ERROR reassembly: too many incomplete messages, dropped the oldest");
            sim_group_remove(s, 0);
        }
        g = calloc(1, sizeof *g);
        if (g == NULL) {
            sim_emit("ERROR reassembly: out of memory");
            return;
        }
        snprintf(g->source, sizeof g->source, "%s", m->source);
        snprintf(g->dest, sizeof g->dest, "%s", m->dest);
        g->ref = c->ref;
        g->total = c->total;
        g->data_coding = m->data_coding;
        s->groups[s->ngroups++] = g;
    }
    struct sim_part *p = &g->part[c->seq - 1];
    uint8_t *d = malloc(m->len - skip + 1);
    if (d == NULL) {
        sim_emit("ERROR reassembly: out of memory");
        return;
    }
    memcpy(d, m->data + skip, m->len - skip);
    if (p->data == NULL)
        g->got++;
    free(p->data); /* a part submitted again replaces the earlier copy */
    p->data = d;
    p->len = m->len - skip;
    if (g->got < g->total)
        return;

    size_t total = 0;
    for (unsigned i = 0; i < g->total; i++)
        total += g->part[i].len;
    uint8_t *all = malloc(total + 1);
    if (all != NULL) {
        size_t off = 0;
        for (unsigned i = 0; i < g->total; i++) {
            memcpy(all + off, g->part[i].data, g->part[i].len);
            off += g->part[i].len;
        }
        sim_message(g->source, g->dest, g->total, g->data_coding, all, total);
        free(all);
    } else {
        sim_emit("ERROR reassembly: out of memory");
    }
    for (size_t i = 0; i < s->ngroups; i++) {
        if (s->groups[i] == g) {
            sim_group_remove(s, i);
            break;
        }
    }
}

/* ---- PDUs from the client --------------------------------------------------------------- */

static void sim_send_resp(struct sim *s, uint32_t id, uint32_t status, uint32_t seq)
{
    uint8_t b[32];
    size_t n = smpp_pdu_build_resp(b, id, status, seq);
    sim_send(s, b, n);
}

static void sim_send_resp_cstring(struct sim *s, uint32_t id, uint32_t status, uint32_t seq,
                                  const char *str)
{
    uint8_t b[128];
    int n = smpp_pdu_build_resp_cstring(b, sizeof b, id, status, seq, str);
    if (n > 0)
        sim_send(s, b, (size_t)n);
}

static void sim_on_bind(struct sim *s, const uint8_t *pdu, uint32_t len, uint32_t command,
                        uint32_t seq)
{
    char id[16] = "", pw[9] = "", st[13] = "";
    uint32_t status = smpp_pdu_decode_bind(pdu, len, id, sizeof id, pw, sizeof pw, st, sizeof st);
    if (status == 0 && s->bound)
        status = SIM_ESME_RALYBND;
    if (status == 0 && s->bind_status != 0)
        status = s->bind_status;
    if (status == 0 && s->system_id != NULL && strcmp(id, s->system_id) != 0)
        status = SMPP_ESME_RINVSYSID;
    if (status == 0 && s->password != NULL && strcmp(pw, s->password) != 0)
        status = SMPP_ESME_RINVPASWD;
    sim_send_resp_cstring(s, command | 0x80000000u, status, seq, SIM_SYSTEM_ID);
    if (status == 0)
        s->bound = command == SMPP_BIND_RECEIVER      ? SIM_BOUND_RX
                   : command == SMPP_BIND_TRANSMITTER ? SIM_BOUND_TX
                                                      : SIM_BOUND_TRX;

    struct sim_buf b = {0};
    sim_buf_puts(&b, "BIND ");
    sim_buf_token(&b, id);
    sim_buf_putc(&b, ' ');
    sim_buf_token(&b, pw);
    sim_buf_putc(&b, ' ');
    sim_buf_token(&b, st);
    sim_emit("%s 0x%02x", sim_buf_str(&b), status);
    free(b.s);
}

/* Answers submit_sm SEQ with message id ID, or holds the answer (hold_submit_resp on). */
static void sim_submit_resp(struct sim *s, uint32_t seq, const char *id)
{
    if (!s->hold_resp || s->nheld == SIM_HELD_MAX) {
        sim_send_resp_cstring(s, SMPP_SUBMIT_SM_RESP, 0, seq, id);
        return;
    }
    s->held[s->nheld].seq = seq;
    snprintf(s->held[s->nheld].id, sizeof s->held[0].id, "%s", id);
    s->nheld++;
}

static void sim_on_submit(struct sim *s, const uint8_t *pdu, uint32_t len, uint32_t seq)
{
    struct gw_submit m;
    if (!s->bound || s->bound == SIM_BOUND_RX) {
        sim_send_resp(s, SMPP_SUBMIT_SM_RESP, SMPP_ESME_RINVBNDSTS, seq);
        sim_emit("ERROR submit_sm seq %u %s: answered 0x%02x", seq,
                 s->bound ? "on a receiver bind" : "before bind", SMPP_ESME_RINVBNDSTS);
        return;
    }
    if (s->ignore_submit) {
        sim_emit("IGNORED submit_sm %u", seq);
        return;
    }
    uint32_t status = smpp_pdu_decode_submit_sm(pdu, len, &m);
    if (status != 0) {
        sim_send_resp(s, SMPP_SUBMIT_SM_RESP, status, seq);
        sim_emit("ERROR submit_sm seq %u malformed: answered 0x%02x %s", seq, status,
                 smpp_status_name(status));
        return;
    }
    char id[24] = "-";
    uint32_t refuse = s->submit_status;
    if (s->nth_left > 0 && --s->nth_left == 0)
        refuse = s->nth_status;
    if (refuse != 0) {
        sim_send_resp(s, SMPP_SUBMIT_SM_RESP, refuse, seq);
    } else {
        s->msg_counter++;
        if (s->hex_ids)
            snprintf(id, sizeof id, "%08llx", (unsigned long long)s->msg_counter);
        else
            snprintf(id, sizeof id, "%llu", (unsigned long long)s->msg_counter);
        sim_submit_resp(s, seq, id);
    }

    size_t skip;
    struct sim_concat c;
    sim_udh(m.data, m.len, m.esm_class, &skip, &c);
    struct sim_buf b = {0};
    sim_buf_puts(&b, "SUBMIT ");
    sim_buf_puts(&b, id);
    sim_buf_putc(&b, ' ');
    sim_buf_token(&b, m.source);
    sim_buf_putc(&b, ' ');
    sim_buf_token(&b, m.dest);
    char f[64];
    snprintf(f, sizeof f, " 0x%02x 0x%02x 0x%02x ", m.esm_class, m.data_coding,
             m.registered_delivery);
    sim_buf_puts(&b, f);
    sim_buf_hex(&b, m.data, m.len);
    sim_buf_putc(&b, ' ');
    sim_buf_decoded(&b, m.data_coding, m.data + skip, m.len - skip);
    sim_emit("%s", sim_buf_str(&b));
    free(b.s);

    if (refuse == 0)
        sim_reassemble(s, &m, skip, &c);
}

/* Takes the oldest injection with SEQ off the pending list; returns 1 and its tag in TAG. */
static int sim_pending_take(struct sim *s, uint32_t seq, char *tag)
{
    for (size_t i = 0; i < s->npending; i++) {
        if (s->pending[i].seq != seq)
            continue;
        memcpy(tag, s->pending[i].tag, sizeof s->pending[i].tag);
        memmove(&s->pending[i], &s->pending[i + 1], (s->npending - i - 1) * sizeof *s->pending);
        s->npending--;
        return 1;
    }
    return 0;
}

static void sim_on_pdu(struct sim *s, const uint8_t *pdu, uint32_t len)
{
    struct smpp_hdr h;
    char tag[SIM_TAG_MAX + 1];
    smpp_hdr_read(pdu, &h);
    switch (h.id) {
    case SMPP_BIND_TRANSCEIVER:
    case SMPP_BIND_RECEIVER:
    case SMPP_BIND_TRANSMITTER:
        sim_on_bind(s, pdu, len, h.id, h.seq);
        return;
    case SMPP_SUBMIT_SM:
        sim_on_submit(s, pdu, len, h.seq);
        return;
    case SMPP_ENQUIRE_LINK:
        if (s->ignore_enquire_link) {
            sim_emit("IGNORED enquire_link %u", h.seq);
            return;
        }
        sim_send_resp(s, SMPP_ENQUIRE_LINK_RESP, 0, h.seq);
        sim_emit("ENQUIRE_LINK");
        return;
    case SMPP_UNBIND:
        sim_send_resp(s, SMPP_UNBIND_RESP, 0, h.seq);
        sim_emit("UNBIND");
        s->closing = 1;
        return;
    case SMPP_GENERIC_NACK:
        sim_pending_take(s, h.seq, tag);
        sim_emit("NACK 0x%02x %u", h.status, h.seq);
        return;
    case SMPP_DELIVER_SM_RESP:
        if (sim_pending_take(s, h.seq, tag)) {
            sim_emit("MO_RESP %s 0x%02x", tag, h.status);
            return;
        }
        break;
    default:
        break;
    }
    if (h.id & SMPP_RESP_BIT) {
        const char *name = smpp_command_name(h.id);
        if (strcmp(name, "unknown") == 0)
            sim_emit("RESP 0x%08x 0x%02x %u", h.id, h.status, h.seq);
        else
            sim_emit("RESP %s 0x%02x %u", name, h.status, h.seq);
        if (h.id == SMPP_UNBIND_RESP && s->unbind_seq != 0 && h.seq == s->unbind_seq)
            s->closing = 1; /* our unbind is answered: we close, as its initiator */
        return;
    }
    sim_send_resp(s, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, h.seq);
    sim_emit("ERROR unsupported command %s (0x%08x) seq %u: answered generic_nack 0x%02x",
             smpp_command_name(h.id), h.id, h.seq, SMPP_ESME_RINVCMDID);
}

static void sim_client_read(struct sim *s)
{
    uint8_t buf[SIM_READ_CHUNK];
    ssize_t n = recv(s->cfd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        sim_client_close(s);
        return;
    }
    if (s->closing)
        return; /* unbound: what follows is ignored until the close */
    if (smpp_framer_push(&s->fr, buf, (size_t)n) < 0) {
        sim_emit("ERROR out of memory reading from the client");
        sim_client_close(s);
        return;
    }
    for (;;) {
        const uint8_t *pdu;
        uint32_t len;
        int rc = smpp_framer_next(&s->fr, &pdu, &len);
        if (rc == 0)
            break;
        if (rc < 0) {
            sim_emit("ERROR framing command_length %u (allowed 16..%u): closing", len, s->max_pdu);
            sim_client_close(s);
            return;
        }
        sim_on_pdu(s, pdu, len);
        if (s->cfd < 0 || s->closing)
            break;
    }
    if (s->cfd >= 0 && s->closing)
        sim_flush(s);
}

static void sim_accept(struct sim *s)
{
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        return;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        close(fd);
        return;
    }
    if (s->max_links == 1) {
        sim_client_close(s); /* one client at a time: the newest wins */
    } else {
        unsigned i = 0;
        while (i < s->max_links && sim_link_fd(s, i) >= 0)
            i++;
        if (i == s->max_links) {
            close(fd);
            sim_emit("ERROR a connection beyond --binds %u: closed", s->max_links);
            return;
        }
        sim_use(s, i);
    }
    s->cfd = fd;
    smpp_framer_init(&s->fr, s->max_pdu);
    sim_emit("CONNECT");
}

/* ---- commands from stdin ----------------------------------------------------------------- */

/* Cuts the next space-separated token off *P (runs of spaces between tokens are one). */
static char *sim_token(char **p)
{
    char *s = *p;
    while (*s == ' ')
        s++;
    if (*s == '\0')
        return NULL;
    char *e = s;
    while (*e && *e != ' ')
        e++;
    if (*e)
        *e++ = '\0';
    *p = e;
    return s;
}

/* Parses lowercase or uppercase hex (possibly empty) into OUT (CAP). Returns the byte count
 * or -1. */
static long sim_unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = strlen(h);
    if (n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = h[i + (size_t)k];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        out[i / 2] = (uint8_t)v;
    }
    return (long)(n / 2);
}

/* Parses a decimal (BASE 10) or hex with optional 0x (BASE 16) number up to MAX. */
static int sim_number(const char *t, int base, unsigned long long max, unsigned long long *v)
{
    if (t == NULL || *t == '\0' || *t == '-' || *t == '+')
        return -1;
    if (base == 16 && (strncmp(t, "0x", 2) == 0 || strncmp(t, "0X", 2) == 0))
        t += 2;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(t, &end, base);
    if (errno != 0 || end == t || *end != '\0' || x > max)
        return -1;
    *v = x;
    return 0;
}

static int sim_check_addr(const char *what, const char *a)
{
    if (a == NULL) {
        sim_emit("ERROR missing %s", what);
        return -1;
    }
    if (strlen(a) >= MSISDN_ADDR_MAX) {
        sim_emit("ERROR %s longer than %d characters", what, MSISDN_ADDR_MAX - 1);
        return -1;
    }
    return 0;
}

static int sim_check_tag(const char *tag)
{
    if (tag == NULL) {
        sim_emit("ERROR missing tag");
        return -1;
    }
    if (strlen(tag) > SIM_TAG_MAX) {
        sim_emit("ERROR tag longer than %d characters", SIM_TAG_MAX);
        return -1;
    }
    return 0;
}

static int sim_need_client(struct sim *s, const char *cmd)
{
    if (s->cfd < 0 || s->closing) {
        sim_emit("ERROR %s: no client connected", cmd);
        return -1;
    }
    return 0;
}

/* Sends MO as a deliver_sm with SEQ and remembers TAG for its resp. */
static void sim_inject(struct sim *s, const char *tag, uint32_t seq, const struct gw_mo *mo)
{
    uint8_t pdu[2048];
    int n = smpp_pdu_pack_deliver_sm(pdu, sizeof pdu, seq, mo);
    if (n < 0) {
        sim_emit("ERROR cannot pack deliver_sm: %s", strerror(-n));
        return;
    }
    if (s->npending == s->pending_cap) {
        if (s->pending_cap == SIM_PENDING_MAX) {
            memmove(&s->pending[0], &s->pending[1], (s->npending - 1) * sizeof *s->pending);
            s->npending--; /* forget the oldest: its resp will show as RESP */
        } else {
            size_t cap = s->pending_cap ? s->pending_cap * 2 : 64;
            struct sim_pending *np = realloc(s->pending, cap * sizeof *np);
            if (np == NULL) {
                sim_emit("ERROR out of memory");
                return;
            }
            s->pending = np;
            s->pending_cap = cap;
        }
    }
    s->pending[s->npending].seq = seq;
    snprintf(s->pending[s->npending].tag, sizeof s->pending[0].tag, "%s", tag);
    s->npending++;
    sim_send(s, pdu, (size_t)n);
}

/* One option of mo_ex (KEY=VALUE or a bare word) into MO, or *SEQ (then *HAVE_SEQ is set).
 * Returns 0 or -1. */
static int sim_mo_option(char *opt, struct gw_mo *mo, unsigned long long *seq, int *have_seq)
{
    unsigned long long v, ref, total, seqnum;
    char *eq = strchr(opt, '=');
    if (eq == NULL)
        return strcmp(opt, "payload") == 0 ? (mo->in_payload = 1, 0) : -1;
    *eq++ = '\0';
    if (strcmp(opt, "esm") == 0 && sim_number(eq, 16, 255, &v) == 0) {
        mo->esm_class = (uint8_t)v;
    } else if (strcmp(opt, "seq") == 0 && sim_number(eq, 10, 0xffffffffull, &v) == 0) {
        *seq = v;
        *have_seq = 1;
    } else if (strcmp(opt, "state") == 0 && sim_number(eq, 10, 255, &v) == 0) {
        mo->message_state = (uint8_t)v;
    } else if (strcmp(opt, "receipted") == 0 && strlen(eq) < sizeof mo->receipted_id) {
        snprintf(mo->receipted_id, sizeof mo->receipted_id, "%s", eq);
    } else if (strcmp(opt, "sar") == 0) {
        char *t = strchr(eq, ':'), *q = t != NULL ? strchr(t + 1, ':') : NULL;
        if (q == NULL)
            return -1;
        *t++ = '\0';
        *q++ = '\0';
        if (sim_number(eq, 10, 65535, &ref) < 0 || sim_number(t, 10, 255, &total) < 0 ||
            sim_number(q, 10, 255, &seqnum) < 0)
            return -1;
        mo->has_sar = 1;
        mo->sar_ref = (uint16_t)ref;
        mo->sar_total = (uint8_t)total;
        mo->sar_seqnum = (uint8_t)seqnum;
    } else {
        return -1;
    }
    return 0;
}

/* mo / mo_seq / mo_ex: ARGS after the command (and after the seq for mo_seq); mo_ex
 * (WITH_OPTS) takes "-" for no short message and options after it. */
static void sim_cmd_mo(struct sim *s, const char *cmd, char *args, int with_seq, int with_opts)
{
    struct gw_mo mo;
    unsigned long long seq = 0, dcs;
    memset(&mo, 0, sizeof mo);
    char *tag = sim_token(&args);
    if (sim_check_tag(tag) < 0)
        return;
    if (with_seq && sim_number(sim_token(&args), 10, 0xffffffffull, &seq) < 0) {
        sim_emit("ERROR %s: sequence number wanted (decimal, 0..4294967295)", cmd);
        return;
    }
    char *src = sim_token(&args), *dst = sim_token(&args);
    if (sim_check_addr("source", src) < 0 || sim_check_addr("dest", dst) < 0)
        return;
    if (sim_number(sim_token(&args), 10, 255, &dcs) < 0) {
        sim_emit("ERROR %s: data_coding wanted (decimal, 0..255)", cmd);
        return;
    }
    char *hex = sim_token(&args);
    long n = with_opts && hex != NULL && strcmp(hex, "-") == 0
                 ? 0
                 : sim_unhex(hex ? hex : "", mo.sm, sizeof mo.sm);
    if (n < 0) {
        sim_emit("ERROR %s: short message must be hex of at most %d octets", cmd, GW_SM_MAX);
        return;
    }
    for (char *opt = sim_token(&args); opt != NULL; opt = sim_token(&args)) {
        if (!with_opts) {
            sim_emit("ERROR %s: unexpected field after the hex", cmd);
            return;
        }
        if (sim_mo_option(opt, &mo, &seq, &with_seq) < 0) {
            sim_emit("ERROR %s: bad option (esm=0x40 seq=N sar=REF:TOTAL:SEQNUM payload "
                     "receipted=ID state=N)",
                     cmd);
            return;
        }
    }
    if (sim_need_client(s, cmd) < 0)
        return;
    snprintf(mo.source, sizeof mo.source, "%s", src);
    snprintf(mo.dest, sizeof mo.dest, "%s", dst);
    mo.data_coding = (uint8_t)dcs;
    mo.sm_len = (size_t)n;
    sim_inject(s, tag, with_seq ? (uint32_t)seq : sim_seq(s), &mo);
}

static void sim_cmd_mo_text(struct sim *s, char *args)
{
    struct gw_mo mo;
    memset(&mo, 0, sizeof mo);
    char *tag = sim_token(&args);
    if (sim_check_tag(tag) < 0)
        return;
    char *src = sim_token(&args), *dst = sim_token(&args);
    if (sim_check_addr("source", src) < 0 || sim_check_addr("dest", dst) < 0)
        return;
    /* The text is the rest of the line after one space, spaces and all. */
    const char *text = *args == ' ' ? args + 1 : args;
    size_t len = strlen(text);
    int ascii = 1;
    for (size_t i = 0; i < len; i++)
        if ((uint8_t)text[i] < 0x20 || (uint8_t)text[i] > 0x7e)
            ascii = 0;
    int n = -EILSEQ;
    if (ascii) {
        /* As GSM septets, not ASCII bytes: "@" is 0x00 there, and the gateway reads dcs 0
         * as GSM. A character the alphabet lacks ("`") sends the text as UCS-2. */
        n = text_utf8_to_gsm7(text, len, mo.sm, sizeof mo.sm);
        mo.data_coding = TEXT_DCS_DEFAULT;
    }
    if (n < 0 && n != -ENOSPC) {
        n = text_utf8_to_ucs2(text, len, mo.sm, sizeof mo.sm);
        mo.data_coding = TEXT_DCS_UCS2;
    }
    if (n == -EILSEQ) {
        sim_emit("ERROR mo_text: text is not valid UTF-8");
        return;
    }
    if (n < 0) {
        sim_emit("ERROR mo_text: text longer than %d octets encoded", GW_SM_MAX);
        return;
    }
    if (sim_need_client(s, "mo_text") < 0)
        return;
    snprintf(mo.source, sizeof mo.source, "%s", src);
    snprintf(mo.dest, sizeof mo.dest, "%s", dst);
    mo.sm_len = (size_t)n;
    sim_inject(s, tag, sim_seq(s), &mo);
}

/* receipt <tag> <source> <dest> <message_id> [<stat>]: an SMSC delivery receipt for an
 * earlier submit (SOURCE is the handset the message went to, DEST the ESME's address). */
static void sim_cmd_receipt(struct sim *s, char *args)
{
    struct gw_mo mo;
    memset(&mo, 0, sizeof mo);
    char *tag = sim_token(&args);
    if (sim_check_tag(tag) < 0)
        return;
    char *src = sim_token(&args), *dst = sim_token(&args);
    if (sim_check_addr("source", src) < 0 || sim_check_addr("dest", dst) < 0)
        return;
    char *id = sim_token(&args), *stat = sim_token(&args);
    if (id == NULL || strlen(id) >= sizeof mo.receipted_id) {
        sim_emit("ERROR receipt: message_id wanted (at most %zu characters)",
                 sizeof mo.receipted_id - 1);
        return;
    }
    if (stat == NULL)
        stat = "DELIVRD";
    if (strlen(stat) > 7 || sim_token(&args) != NULL) {
        sim_emit("ERROR receipt: stat is one word such as DELIVRD, UNDELIV, EXPIRED");
        return;
    }
    if (sim_need_client(s, "receipt") < 0)
        return;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    snprintf(when, sizeof when, "%02d%02d%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min); /* YYMMDDhhmm, as receipts have it */
    int n = snprintf((char *)mo.sm, sizeof mo.sm,
                     "id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:000 "
                     "text:",
                     id, strcmp(stat, "DELIVRD") == 0 ? "001" : "000", when, when, stat);
    mo.sm_len = (size_t)n;
    mo.esm_class = 0x04;
    snprintf(mo.source, sizeof mo.source, "%s", src);
    snprintf(mo.dest, sizeof mo.dest, "%s", dst);
    snprintf(mo.receipted_id, sizeof mo.receipted_id, "%s", id);
    sim_inject(s, tag, sim_seq(s), &mo);
}

/* hold_submit_resp on|off */
static void sim_cmd_hold(struct sim *s, char *args)
{
    char *v = sim_token(&args);
    if (v == NULL || (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) || sim_token(&args)) {
        sim_emit("ERROR hold_submit_resp: on or off wanted");
        return;
    }
    s->hold_resp = strcmp(v, "on") == 0;
}

static void sim_cmd_release(struct sim *s)
{
    size_t n = s->nheld;
    s->nheld = 0;
    for (size_t i = 0; i < n && s->cfd >= 0; i++)
        sim_send_resp_cstring(s, SMPP_SUBMIT_SM_RESP, 0, s->held[i].seq, s->held[i].id);
}

static void sim_cmd_raw(struct sim *s, char *args)
{
    char *tag = sim_token(&args), *hex = sim_token(&args);
    if (sim_check_tag(tag) < 0)
        return;
    size_t cap = hex ? strlen(hex) / 2 + 1 : 1;
    uint8_t *b = malloc(cap);
    if (b == NULL) {
        sim_emit("ERROR out of memory");
        return;
    }
    long n = hex ? sim_unhex(hex, b, cap) : -1;
    if (n <= 0 || sim_token(&args) != NULL)
        sim_emit("ERROR raw: one field of hex bytes wanted");
    else if (sim_need_client(s, "raw") == 0)
        sim_send(s, b, (size_t)n);
    free(b);
}

static void sim_cmd_status(const char *cmd, char *args, uint32_t *status)
{
    unsigned long long v;
    char *t = sim_token(&args);
    if (sim_number(t, 16, 0xffffffffull, &v) < 0 || sim_token(&args) != NULL) {
        sim_emit("ERROR %s: one status wanted, as 0x<hex>", cmd);
        return;
    }
    *status = (uint32_t)v;
}

/* submit_status_nth <n> 0x<status> */
static void sim_cmd_status_nth(struct sim *s, char *args)
{
    unsigned long long n, v;
    if (sim_number(sim_token(&args), 10, 1000000ull, &n) < 0 || n == 0 ||
        sim_number(sim_token(&args), 16, 0xffffffffull, &v) < 0 || sim_token(&args) != NULL) {
        sim_emit("ERROR submit_status_nth: a count from 1 and a status as 0x<hex> wanted");
        return;
    }
    s->nth_left = (unsigned)n;
    s->nth_status = (uint32_t)v;
}

/* ignore submit_sm|enquire_link on|off */
static void sim_cmd_ignore(struct sim *s, char *args)
{
    char *what = sim_token(&args), *onoff = sim_token(&args);
    int *flag = NULL;
    if (what != NULL && strcmp(what, "submit_sm") == 0)
        flag = &s->ignore_submit;
    else if (what != NULL && strcmp(what, "enquire_link") == 0)
        flag = &s->ignore_enquire_link;
    if (flag == NULL || onoff == NULL || sim_token(&args) != NULL ||
        (strcmp(onoff, "on") != 0 && strcmp(onoff, "off") != 0)) {
        sim_emit("ERROR ignore: submit_sm|enquire_link on|off wanted");
        return;
    }
    *flag = strcmp(onoff, "on") == 0;
}

static void sim_cmd_simple(struct sim *s, const char *cmd, uint32_t id)
{
    uint8_t b[SMPP_HEADER_LEN];
    if (sim_need_client(s, cmd) < 0)
        return;
    uint32_t seq = sim_seq(s);
    if (id == SMPP_UNBIND)
        s->unbind_seq = seq;
    sim_send(s, b, smpp_pdu_build_simple(b, id, seq));
}

/* A command for every client (with none, for the one in use: it says there is none). */
static void sim_cmd_each(struct sim *s, const char *cmd)
{
    unsigned done = 0;
    for (unsigned i = 0; i < s->max_links; i++) {
        if (sim_link_fd(s, i) < 0)
            continue;
        sim_use(s, i);
        done++;
        if (strcmp(cmd, "enquire_link") == 0)
            sim_cmd_simple(s, cmd, SMPP_ENQUIRE_LINK);
        else if (strcmp(cmd, "unbind") == 0)
            sim_cmd_simple(s, cmd, SMPP_UNBIND);
        else if (strcmp(cmd, "drop") == 0)
            sim_client_close(s);
        else
            sim_cmd_release(s);
    }
    if (done == 0 && strcmp(cmd, "release_submit_resp") != 0)
        sim_need_client(s, cmd);
    if (done == 0 && strcmp(cmd, "release_submit_resp") == 0)
        sim_cmd_release(s);
}

static void sim_command(struct sim *s, char *line)
{
    char *args = line;
    char *cmd = sim_token(&args);
    if (cmd == NULL)
        return; /* blank line */
    if (strncmp(cmd, "mo", 2) == 0 || strcmp(cmd, "receipt") == 0 || strcmp(cmd, "raw") == 0)
        sim_use_next_bound(s);
    if (strcmp(cmd, "mo") == 0) {
        sim_cmd_mo(s, cmd, args, 0, 0);
    } else if (strcmp(cmd, "mo_seq") == 0) {
        sim_cmd_mo(s, cmd, args, 1, 0);
    } else if (strcmp(cmd, "mo_text") == 0) {
        sim_cmd_mo_text(s, args);
    } else if (strcmp(cmd, "receipt") == 0) {
        sim_cmd_receipt(s, args);
    } else if (strcmp(cmd, "raw") == 0) {
        sim_cmd_raw(s, args);
    } else if (strcmp(cmd, "mo_ex") == 0) {
        sim_cmd_mo(s, cmd, args, 0, 1);
    } else if (strcmp(cmd, "hold_submit_resp") == 0) {
        sim_cmd_hold(s, args);
    } else if (strcmp(cmd, "submit_status") == 0) {
        sim_cmd_status(cmd, args, &s->submit_status);
    } else if (strcmp(cmd, "submit_status_nth") == 0) {
        sim_cmd_status_nth(s, args);
    } else if (strcmp(cmd, "bind_status") == 0) {
        sim_cmd_status(cmd, args, &s->bind_status);
    } else if (strcmp(cmd, "ignore") == 0) {
        sim_cmd_ignore(s, args);
    } else if (strcmp(cmd, "enquire_link") == 0 || strcmp(cmd, "unbind") == 0 ||
               strcmp(cmd, "drop") == 0 || strcmp(cmd, "release_submit_resp") == 0) {
        sim_cmd_each(s, cmd);
    } else if (strcmp(cmd, "quit") == 0) {
        s->quit = 1;
    } else {
        struct sim_buf b = {0};
        sim_buf_token(&b, cmd);
        sim_emit("ERROR unknown command %s (see --help)", sim_buf_str(&b));
        free(b.s);
    }
}

/* Reads what stdin has and runs every whole line. End of input quits. */
static void sim_stdin_read(struct sim *s)
{
    char buf[65536];
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        s->quit = 1;
        return;
    }
    for (ssize_t i = 0; i < n && !s->quit; i++) {
        char c = buf[i];
        if (c == '\n') {
            if (s->line_overflow) {
                sim_emit("ERROR command line longer than %d bytes: ignored", SIM_LINE_MAX);
            } else {
                if (s->line_len > 0 && s->line[s->line_len - 1] == '\r')
                    s->line_len--;
                s->line[s->line_len] = '\0';
                if (strlen(s->line) != s->line_len)
                    sim_emit("ERROR command line contains a NUL byte: ignored");
                else
                    sim_command(s, s->line);
            }
            s->line_len = 0;
            s->line_overflow = 0;
        } else if (s->line_len + 1 < SIM_LINE_MAX) {
            s->line[s->line_len++] = c;
        } else {
            s->line_overflow = 1;
        }
    }
}

/* ---- main --------------------------------------------------------------------------------- */

static int sim_listen(struct sim *s, unsigned port)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int one = 1;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->lfd < 0)
        return -errno;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(s->lfd, 8) < 0 ||
        getsockname(s->lfd, (struct sockaddr *)&a, &alen) < 0)
        return -errno;
    sim_emit("LISTEN %u", ntohs(a.sin_port));
    return 0;
}

static void sim_free(struct sim *s)
{
    for (unsigned i = s->max_links; i-- > 0;) {
        sim_use(s, i);
        sim_client_close(s);
        smpp_framer_free(&s->fr);
        free(s->out);
        free(s->pending);
        s->out = NULL;
        s->pending = NULL;
    }
    if (s->lfd >= 0)
        close(s->lfd);
    while (s->ngroups > 0)
        sim_group_remove(s, s->ngroups - 1);
    free(s->line);
}

/* Prints one line naming the bad option and exits 2. */
static void sim_bad_arg(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void sim_bad_arg(const char *fmt, ...)
{
    va_list ap;
    fputs("smsc_sim: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see --help)\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},     {"system-id", required_argument, NULL, 's'},
        {"password", required_argument, NULL, 'w'}, {"max-pdu", required_argument, NULL, 'm'},
        {"hex-ids", no_argument, NULL, 'x'},        {"binds", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    struct sim s;
    unsigned long long v;
    unsigned port = 0;
    int c;

    memset(&s, 0, sizeof s);
    s.lfd = s.cfd = -1;
    s.max_links = 1;
    for (unsigned i = 0; i < SIM_LINKS_MAX; i++)
        s.links[i].cfd = -1;
    s.next_seq = 1;
    s.max_pdu = SMPP_DEFAULT_MAX_PDU;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (sim_number(optarg, 10, 65535, &v) < 0)
                sim_bad_arg("--port wants a number 0..65535, not '%s'", optarg);
            port = (unsigned)v;
            break;
        case 's':
            if (strlen(optarg) > 15)
                sim_bad_arg("--system-id is at most 15 characters");
            s.system_id = optarg;
            break;
        case 'w':
            if (strlen(optarg) > 8)
                sim_bad_arg("--password is at most 8 characters");
            s.password = optarg;
            break;
        case 'm':
            if (sim_number(optarg, 10, SIM_MAX_PDU_CAP, &v) < 0 || v < SMPP_HEADER_LEN)
                sim_bad_arg("--max-pdu wants a number %d..%d, not '%s'", SMPP_HEADER_LEN,
                            SIM_MAX_PDU_CAP, optarg);
            s.max_pdu = (uint32_t)v;
            break;
        case 'x':
            s.hex_ids = 1;
            break;
        case 'b':
            if (sim_number(optarg, 10, SIM_LINKS_MAX, &v) < 0 || v == 0)
                sim_bad_arg("--binds wants a number 1..%d, not '%s'", SIM_LINKS_MAX, optarg);
            s.max_links = (unsigned)v;
            break;
        case 'h':
            fputs(sim_usage, stdout);
            return 0;
        case ':':
            sim_bad_arg("option %s needs a value", argv[optind - 1]);
        default:
            sim_bad_arg("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        sim_bad_arg("unexpected argument '%s'", argv[optind]);

    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    smpp_framer_init(&s.fr, s.max_pdu);
    s.line = malloc(SIM_LINE_MAX);
    if (s.line == NULL) {
        fputs("smsc_sim: out of memory\n", stderr);
        return 1;
    }
    int rc = sim_listen(&s, port);
    if (rc < 0) {
        fprintf(stderr, "smsc_sim: cannot listen on 127.0.0.1:%u: %s\n", port, strerror(-rc));
        sim_free(&s);
        return 1;
    }

    while (!s.quit) {
        struct pollfd p[2 + SIM_LINKS_MAX] = {
            {STDIN_FILENO, POLLIN, 0},
            {s.lfd, POLLIN, 0},
        };
        unsigned which[SIM_LINKS_MAX];
        nfds_t nfds = 2;
        for (unsigned i = 0; i < s.max_links; i++) {
            if (sim_link_fd(&s, i) < 0)
                continue;
            size_t queued = i == s.cur ? s.out_len : s.links[i].out_len;
            p[nfds].fd = sim_link_fd(&s, i);
            p[nfds].events = (short)(POLLIN | (queued ? POLLOUT : 0));
            which[nfds - 2] = i;
            nfds++;
        }
        if (poll(p, nfds, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "smsc_sim: poll: %s\n", strerror(errno));
            break;
        }
        /* The clients first, so their responses are reported before the next command runs. */
        for (nfds_t k = 2; k < nfds; k++) {
            sim_use(&s, which[k - 2]);
            if (p[k].revents & POLLOUT)
                sim_flush(&s);
            if (s.cfd >= 0 && (p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                sim_client_read(&s);
        }
        if (p[1].revents & POLLIN)
            sim_accept(&s);
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
            sim_stdin_read(&s);
    }
    sim_free(&s);
    return 0;
}
