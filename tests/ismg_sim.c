/*
 * ismg_sim.c: a China Mobile ISMG simulator (CMPP 2.0 or 3.0) for ermgw's integration tests
 * and demo, the CMPP counterpart of smsc_sim.c with the same line protocol where the two
 * protocols agree (ermtest.py's Sim speaks to both). It listens on 127.0.0.1, takes one SP
 * at a time, checks its CMPP_CONNECT (source address, the MD5 authenticator, the version)
 * and answers with AuthenticatorISMG, answers ACTIVE_TEST, TERMINATE and SUBMIT (Msg_Ids
 * 1, 2, ...; the content decoded: ASCII, UCS-2, GB with the UDH stripped, long messages
 * joined), injects DELIVERs (MOs in any Msg_Fmt, long ones with TP_udhi, status reports)
 * on command, and reports every event as one line on stdout (`ismg_sim --help`).
 * Frames, packs and decodes with gateway/cmpp_codec.c. Single-threaded, poll() based.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/textcodec.h"
#include "gateway/cmpp_codec.h"

#define ISIM_LINE_MAX 8192
#define ISIM_PEND_MAX 4096
#define ISIM_GROUPS   64

static const char isim_usage[] =
    "usage: ismg_sim [--port N] [--sp-id ID] [--secret S] [--version 3.0|2.0] [--help]\n"
    "A CMPP ISMG simulator for ermgw's tests on 127.0.0.1:N (0: any free port), one SP at a\n"
    "time. CMPP_CONNECT must name the sp id (else Status 2), carry MD5(sp id + 9 zero bytes\n"
    "+ secret + timestamp) (else 3) and our version (else 4).\n"
    "\n"
    "stdout, one event per line (text: \\\\, \\n, \\r, \\xNN escaped):\n"
    "  LISTEN <port> | CONNECT | DISCONNECT\n"
    "  LOGIN <sp_id> 0x<version> <status>       after answering a CMPP_CONNECT\n"
    "  ACTIVE_TEST | TERMINATE                  after answering the SP's request\n"
    "  SUBMIT <msg_id> <src_id> <dest> 0x<tp_udhi> 0x<msg_fmt> 0x<registered_delivery>\n"
    "         <pk_total>/<pk_number> <service_id> <content hex> <text, UDH stripped>\n"
    "                                           msg_id '-' when refused (submit_result)\n"
    "  MESSAGE <src_id> <dest> <parts> <text>   a whole message (long ones joined)\n"
    "  MO_RESP <tag> 0x<result>                 the SP's DELIVER_RESP to an injection\n"
    "  RESP <command> <seq>                     another response from the SP\n"
    "  ERROR <text>\n"
    "\n"
    "stdin, one command per line:\n"
    "  mo <tag> <source> <dest> <msg_fmt> <hex> [udhi] [seq=<n>] [msg_id=<hex>]\n"
    "  mo_text <tag> <source> <dest> <text...>   ASCII (0) when ASCII, else UCS-2 (8)\n"
    "  report <tag> <source> <msg_id hex> [<stat>]   a status report (DELIVRD)\n"
    "  submit_result <n>      answer later SUBMITs with Result n (0: normal again)\n"
    "  bad_auth on|off        on: answer logins with a wrong AuthenticatorISMG\n"
    "  secret <s>             check later logins against S\n"
    "  ignore_submit on|off   on: leave SUBMITs unanswered\n"
    "  raw <hex>              send these bytes as they are\n"
    "  active_test | terminate   send one to the SP\n"
    "  drop                   close the SP's connection abruptly\n"
    "  quit                   exit 0 (so does end of input)\n";

struct isim_pend {
    uint32_t seq;
    char tag[65];
};

struct isim_group {
    int used;
    char dest[CMPP_TERMINAL_MAX];
    uint8_t ref, total, have;
    uint8_t fmt;
    uint8_t data[16][CMPP_CONTENT_MAX];
    size_t len[16];
    uint8_t got[16];
};

struct isim {
    int lfd, cfd;
    char sp_id[7], secret[64];
    uint8_t version;
    int logged_in, bad_auth, ignore_submit;
    uint32_t submit_result;
    uint32_t next_seq;
    uint64_t next_msg_id;
    struct cmpp_codec_framer framer;
    struct isim_pend pend[ISIM_PEND_MAX];
    size_t npend;
    struct isim_group groups[ISIM_GROUPS];
    char line[ISIM_LINE_MAX];
    size_t line_len;
};

static void isim_emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void isim_emit(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* TEXT escaped for one line into OUT (CAP bytes). */
static void isim_escape(const char *text, char *out, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 5 < cap; p++) {
        if (*p == '\\')
            o += (size_t)snprintf(out + o, cap - o, "\\\\");
        else if (*p == '\n')
            o += (size_t)snprintf(out + o, cap - o, "\\n");
        else if (*p == '\r')
            o += (size_t)snprintf(out + o, cap - o, "\\r");
        else if (*p < 0x20 || *p == 0x7F)
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
        else
            out[o++] = (char)*p;
    }
    out[o] = '\0';
}

static void isim_hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = '\0';
}

/* Msg_Fmt content as UTF-8 (0 ASCII, 8 UCS-2, 15 GB), escaped. */
static void isim_decode(uint8_t fmt, const uint8_t *p, size_t n, char *out, size_t cap)
{
    char utf8[CMPP_CONTENT_MAX * 16 * 3 + 1];
    uint8_t dcs = fmt == 0 ? TEXT_DCS_IA5 : fmt;
    if (text_decode(dcs, p, n, utf8, sizeof utf8) < 0)
        snprintf(utf8, sizeof utf8, "(undecodable Msg_Fmt %u)", fmt);
    isim_escape(utf8, out, cap);
}

static void isim_close_client(struct isim *s)
{
    if (s->cfd < 0)
        return;
    close(s->cfd);
    s->cfd = -1;
    s->logged_in = 0;
    s->npend = 0;
    cmpp_codec_framer_free(&s->framer);
    memset(s->groups, 0, sizeof s->groups);
    isim_emit("DISCONNECT");
}

static void isim_send(struct isim *s, const uint8_t *p, int n)
{
    if (s->cfd < 0 || n < 0)
        return;
    size_t off = 0;
    while (off < (size_t)n) {
        ssize_t w = send(s->cfd, p + off, (size_t)n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            isim_close_client(s);
            return;
        }
        off += (size_t)w;
    }
}

static uint32_t isim_seq(struct isim *s)
{
    return s->next_seq++;
}

/* ---- the SP's PDUs ---- */

static void isim_on_connect(struct isim *s, const uint8_t *pdu, uint32_t len, uint32_t seq)
{
    struct cmpp_connect c;
    struct cmpp_connect_resp r = {.version = s->version};
    memset(&c, 0, sizeof c);
    if (cmpp_codec_unpack_connect(pdu, len, &c) < 0) {
        r.status = CMPP_CONNECT_BAD_STRUCT;
    } else {
        uint8_t want[16];
        cmpp_codec_auth_source(s->sp_id, s->secret, c.timestamp, want);
        if (strcmp(c.source_addr, s->sp_id) != 0)
            r.status = CMPP_CONNECT_BAD_ADDR;
        else if (memcmp(want, c.auth, 16) != 0)
            r.status = CMPP_CONNECT_BAD_AUTH;
        else if (c.version != s->version)
            r.status = CMPP_CONNECT_BAD_VERSION;
    }
    cmpp_codec_auth_ismg(s->version, r.status, c.auth, s->secret, r.auth);
    if (s->bad_auth)
        r.auth[0] ^= 0xFF;
    uint8_t buf[64];
    isim_send(s, buf, cmpp_codec_pack_connect_resp(buf, sizeof buf, s->version, seq, &r));
    s->logged_in = r.status == 0;
    isim_emit("LOGIN %s 0x%02x %u", c.source_addr[0] ? c.source_addr : "-", c.version,
              (unsigned)r.status);
}

/* The UDH of a part: its length in SKIP, and REF, TOTAL and NUM of the concatenation IE
 * (all 0 when none). */
static void isim_udh(const struct cmpp_submit *m, size_t *skip, uint8_t *ref, uint8_t *total,
                     uint8_t *num)
{
    *skip = 0;
    *ref = *total = *num = 0;
    if (!m->tp_udhi || m->msg_length < 1 || m->msg_content[0] + 1u > m->msg_length)
        return;
    *skip = m->msg_content[0] + 1u;
    if (*skip >= 6 && m->msg_content[1] == 0 && m->msg_content[2] == 3) {
        *ref = m->msg_content[3];
        *total = m->msg_content[4];
        *num = m->msg_content[5];
    }
}

static void isim_message(const char *src, const char *dest, unsigned parts, uint8_t fmt,
                         const uint8_t *p, size_t n)
{
    char text[CMPP_CONTENT_MAX * 16 * 4 + 1];
    isim_decode(fmt, p, n, text, sizeof text);
    isim_emit("MESSAGE %s %s %u %s", src[0] ? src : "-", dest, parts, text);
}

/* A part of a long message: kept until the group is whole, then MESSAGE. */
static void isim_part(struct isim *s, const struct cmpp_submit *m, size_t skip, uint8_t ref,
                      uint8_t total, uint8_t num)
{
    if (total < 1 || total > 16 || num < 1 || num > total) {
        isim_emit("ERROR bad concatenation IE (total %u, part %u)", total, num);
        return;
    }
    struct isim_group *g = NULL, *free_g = NULL;
    for (size_t i = 0; i < ISIM_GROUPS && g == NULL; i++) {
        if (s->groups[i].used && s->groups[i].ref == ref && strcmp(s->groups[i].dest, m->dest) == 0)
            g = &s->groups[i];
        else if (!s->groups[i].used && free_g == NULL)
            free_g = &s->groups[i];
    }
    if (g == NULL) {
        if (free_g == NULL) {
            isim_emit("ERROR too many long messages at once");
            return;
        }
        g = free_g;
        memset(g, 0, sizeof *g);
        g->used = 1;
        g->ref = ref;
        g->total = total;
        g->fmt = m->msg_fmt;
        snprintf(g->dest, sizeof g->dest, "%s", m->dest);
    }
    if (!g->got[num - 1]) {
        g->got[num - 1] = 1;
        g->have++;
        g->len[num - 1] = m->msg_length - skip;
        memcpy(g->data[num - 1], m->msg_content + skip, g->len[num - 1]);
    }
    if (g->have < g->total)
        return;
    uint8_t all[16 * CMPP_CONTENT_MAX];
    size_t n = 0;
    for (unsigned i = 0; i < g->total; i++) {
        memcpy(all + n, g->data[i], g->len[i]);
        n += g->len[i];
    }
    isim_message(m->src_id, m->dest, g->total, g->fmt, all, n);
    g->used = 0;
}

static void isim_on_submit(struct isim *s, const uint8_t *pdu, uint32_t len, uint32_t seq)
{
    struct cmpp_submit m;
    struct cmpp_result r = {0, s->submit_result};
    if (!s->logged_in) {
        isim_emit("ERROR CMPP_SUBMIT before login");
        r.result = CMPP_RESULT_OTHER;
    } else if (cmpp_codec_unpack_submit(pdu, len, s->version, &m) < 0) {
        isim_emit("ERROR malformed CMPP_SUBMIT (%u bytes)", len);
        r.result = CMPP_RESULT_BAD_CMD;
    }
    if (r.result == 0)
        r.msg_id = s->next_msg_id++;
    if (s->logged_in && r.result != CMPP_RESULT_BAD_CMD) {
        size_t skip;
        uint8_t ref, total, num;
        char id[17] = "-", hex[2 * CMPP_CONTENT_MAX + 1], text[CMPP_CONTENT_MAX * 4 + 1];
        isim_udh(&m, &skip, &ref, &total, &num);
        if (r.result == 0)
            cmpp_codec_msg_id_text(r.msg_id, id);
        isim_hex(m.msg_content, m.msg_length, hex);
        isim_decode(m.msg_fmt, m.msg_content + skip, m.msg_length - skip, text, sizeof text);
        isim_emit("SUBMIT %s %s %s 0x%02x 0x%02x 0x%02x %u/%u %s %s %s", id,
                  m.src_id[0] ? m.src_id : "-", m.dest, m.tp_udhi, m.msg_fmt, m.registered_delivery,
                  m.pk_total, m.pk_number, m.service_id[0] ? m.service_id : "-", hex[0] ? hex : "-",
                  text);
        if (r.result == 0 && total > 0)
            isim_part(s, &m, skip, ref, total, num);
        else if (r.result == 0)
            isim_message(m.src_id, m.dest, 1, m.msg_fmt, m.msg_content + skip, m.msg_length - skip);
    }
    if (s->ignore_submit)
        return;
    uint8_t buf[32];
    isim_send(s, buf,
              cmpp_codec_pack_result(buf, sizeof buf, s->version, CMPP_SUBMIT_RESP, seq, &r));
}

static void isim_on_deliver_resp(struct isim *s, const uint8_t *pdu, uint32_t len, uint32_t seq)
{
    struct cmpp_result r;
    if (cmpp_codec_unpack_result(pdu, len, s->version, &r) < 0) {
        isim_emit("ERROR malformed CMPP_DELIVER_RESP seq %u", seq);
        return;
    }
    for (size_t i = 0; i < s->npend; i++) {
        if (s->pend[i].seq != seq)
            continue;
        isim_emit("MO_RESP %s 0x%02x", s->pend[i].tag, (unsigned)r.result);
        s->pend[i] = s->pend[--s->npend];
        return;
    }
    isim_emit("ERROR CMPP_DELIVER_RESP seq %u matches no DELIVER", seq);
}

static void isim_on_pdu(struct isim *s, const uint8_t *pdu, uint32_t len)
{
    struct cmpp_hdr h;
    uint8_t buf[32];
    cmpp_codec_hdr_read(pdu, &h);
    switch (h.id) {
    case CMPP_CONNECT:
        isim_on_connect(s, pdu, len, h.seq);
        break;
    case CMPP_SUBMIT:
        isim_on_submit(s, pdu, len, h.seq);
        break;
    case CMPP_DELIVER_RESP:
        isim_on_deliver_resp(s, pdu, len, h.seq);
        break;
    case CMPP_ACTIVE_TEST:
        isim_send(s, buf, cmpp_codec_pack_active_test_resp(buf, sizeof buf, h.seq));
        isim_emit("ACTIVE_TEST");
        break;
    case CMPP_TERMINATE:
        isim_send(s, buf, cmpp_codec_pack_simple(buf, sizeof buf, CMPP_TERMINATE_RESP, h.seq));
        isim_emit("TERMINATE");
        isim_close_client(s);
        break;
    case CMPP_ACTIVE_TEST_RESP:
        if (len != CMPP_ACTIVE_RESP_LEN)
            isim_emit("ERROR CMPP_ACTIVE_TEST_RESP of %u bytes (13 expected)", len);
        isim_emit("RESP %s %u", cmpp_codec_command_name(h.id), h.seq);
        break;
    default:
        isim_emit("RESP %s %u", cmpp_codec_command_name(h.id), h.seq);
        if (h.id == CMPP_TERMINATE_RESP)
            isim_close_client(s);
        break;
    }
}

static void isim_read_client(struct isim *s)
{
    uint8_t buf[65536];
    ssize_t n = recv(s->cfd, buf, sizeof buf, 0);
    if (n <= 0) {
        if (n < 0 && errno == EINTR)
            return;
        isim_close_client(s);
        return;
    }
    if (cmpp_codec_framer_push(&s->framer, buf, (size_t)n) < 0)
        return;
    const uint8_t *pdu;
    uint32_t len;
    int rc;
    while (s->cfd >= 0 && (rc = cmpp_codec_framer_next(&s->framer, &pdu, &len)) != 0) {
        if (rc < 0) {
            isim_emit("ERROR framing: Total_Length %u", len);
            isim_close_client(s);
            return;
        }
        isim_on_pdu(s, pdu, len);
    }
}

/* ---- commands ---- */

static char *isim_token(char **p)
{
    while (**p == ' ')
        (*p)++;
    if (**p == '\0')
        return NULL;
    char *t = *p;
    while (**p != '\0' && **p != ' ')
        (*p)++;
    if (**p == ' ')
        *(*p)++ = '\0';
    return t;
}

static long isim_unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = strlen(h);
    if (n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return (long)(n / 2);
}

/* Sends D as a DELIVER tagged TAG (SEQ 0: the next). */
static void isim_inject(struct isim *s, const char *tag, uint32_t seq, const struct cmpp_deliver *d)
{
    uint8_t buf[512];
    if (s->cfd < 0) {
        isim_emit("ERROR no SP connected");
        return;
    }
    if (s->npend >= ISIM_PEND_MAX) {
        isim_emit("ERROR too many DELIVERs unanswered");
        return;
    }
    if (seq == 0)
        seq = isim_seq(s);
    int n = cmpp_codec_pack_deliver(buf, sizeof buf, s->version, seq, d);
    if (n < 0) {
        isim_emit("ERROR cannot pack the DELIVER for %s", tag);
        return;
    }
    s->pend[s->npend].seq = seq;
    snprintf(s->pend[s->npend].tag, sizeof s->pend[s->npend].tag, "%s", tag);
    s->npend++;
    isim_send(s, buf, n);
}

static int isim_deliver_head(struct cmpp_deliver *d, const char *src, const char *dest)
{
    memset(d, 0, sizeof *d);
    if (src == NULL || dest == NULL || strlen(src) >= sizeof d->src_terminal_id ||
        strlen(dest) >= sizeof d->dest_id)
        return -1;
    snprintf(d->src_terminal_id, sizeof d->src_terminal_id, "%s", src);
    snprintf(d->dest_id, sizeof d->dest_id, "%s", dest);
    snprintf(d->service_id, sizeof d->service_id, "ERM");
    return 0;
}

static void isim_cmd_mo(struct isim *s, char *args)
{
    char *tag = isim_token(&args), *src = isim_token(&args), *dest = isim_token(&args);
    char *fmt = isim_token(&args), *hex = isim_token(&args), *opt;
    struct cmpp_deliver d;
    unsigned long seq = 0;
    if (tag == NULL || fmt == NULL || hex == NULL || isim_deliver_head(&d, src, dest) < 0) {
        isim_emit("ERROR usage: mo <tag> <source> <dest> <msg_fmt> <hex> [udhi] [seq=<n>]");
        return;
    }
    long n = isim_unhex(hex, d.msg_content, sizeof d.msg_content);
    if (n < 0) {
        isim_emit("ERROR mo: bad hex");
        return;
    }
    d.msg_length = (uint8_t)n;
    d.msg_fmt = (uint8_t)strtoul(fmt, NULL, 10);
    d.msg_id = s->next_msg_id++ | 0x1000000000000000ull;
    while ((opt = isim_token(&args)) != NULL) {
        if (strcmp(opt, "udhi") == 0)
            d.tp_udhi = 1;
        else if (strncmp(opt, "seq=", 4) == 0)
            seq = strtoul(opt + 4, NULL, 10);
        else if (strncmp(opt, "msg_id=", 7) == 0)
            d.msg_id = strtoull(opt + 7, NULL, 16);
    }
    isim_inject(s, tag, (uint32_t)seq, &d);
}

static void isim_cmd_mo_text(struct isim *s, char *args)
{
    char *tag = isim_token(&args), *src = isim_token(&args), *dest = isim_token(&args);
    struct cmpp_deliver d;
    if (tag == NULL || isim_deliver_head(&d, src, dest) < 0) {
        isim_emit("ERROR usage: mo_text <tag> <source> <dest> <text...>");
        return;
    }
    int ascii = 1;
    for (const char *p = args; *p; p++)
        ascii &= (unsigned char)*p < 0x80;
    int n = ascii ? (int)strlen(args)
                  : text_utf8_to_ucs2(args, strlen(args), d.msg_content, sizeof d.msg_content);
    if (n < 0 || n > CMPP_CONTENT_MAX) {
        isim_emit("ERROR mo_text: text too long or not UTF-8");
        return;
    }
    if (ascii)
        memcpy(d.msg_content, args, (size_t)n);
    d.msg_length = (uint8_t)n;
    d.msg_fmt = ascii ? 0 : 8;
    d.msg_id = s->next_msg_id++ | 0x1000000000000000ull;
    isim_inject(s, tag, 0, &d);
}

static void isim_cmd_report(struct isim *s, char *args)
{
    char *tag = isim_token(&args), *src = isim_token(&args), *id = isim_token(&args);
    char *stat = isim_token(&args);
    struct cmpp_deliver d;
    struct cmpp_report r;
    if (tag == NULL || id == NULL || isim_deliver_head(&d, src, s->sp_id) < 0) {
        isim_emit("ERROR usage: report <tag> <source> <msg_id hex> [<stat>]");
        return;
    }
    memset(&r, 0, sizeof r);
    r.msg_id = strtoull(id, NULL, 16);
    snprintf(r.stat, sizeof r.stat, "%s", stat ? stat : "DELIVRD");
    snprintf(r.submit_time, sizeof r.submit_time, "2612050700");
    snprintf(r.done_time, sizeof r.done_time, "2612050701");
    snprintf(r.dest_terminal_id, sizeof r.dest_terminal_id, "%s", src);
    int n = cmpp_codec_pack_report(d.msg_content, sizeof d.msg_content, s->version, &r);
    if (n < 0) {
        isim_emit("ERROR report: cannot pack");
        return;
    }
    d.msg_length = (uint8_t)n;
    d.registered_delivery = 1;
    d.msg_id = s->next_msg_id++ | 0x2000000000000000ull;
    isim_inject(s, tag, 0, &d);
}

static void isim_cmd_raw(struct isim *s, char *args)
{
    uint8_t buf[CMPP_MAX_LEN];
    char *hex = isim_token(&args);
    long n = hex ? isim_unhex(hex, buf, sizeof buf) : -1;
    if (n < 0) {
        isim_emit("ERROR usage: raw <hex>");
        return;
    }
    isim_send(s, buf, (int)n);
}

static int isim_on_off(const char *cmd, char *args, int *flag)
{
    char *v = isim_token(&args);
    if (v == NULL || (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)) {
        isim_emit("ERROR usage: %s on|off", cmd);
        return -1;
    }
    *flag = strcmp(v, "on") == 0;
    return 0;
}

/* One command line; returns 1 on quit. */
static int isim_command(struct isim *s, char *line)
{
    char *cmd = isim_token(&line);
    uint8_t buf[16];
    if (cmd == NULL)
        return 0;
    if (strcmp(cmd, "mo") == 0)
        isim_cmd_mo(s, line);
    else if (strcmp(cmd, "mo_text") == 0)
        isim_cmd_mo_text(s, line);
    else if (strcmp(cmd, "report") == 0)
        isim_cmd_report(s, line);
    else if (strcmp(cmd, "submit_result") == 0)
        s->submit_result = (uint32_t)strtoul(line, NULL, 0);
    else if (strcmp(cmd, "secret") == 0)
        snprintf(s->secret, sizeof s->secret, "%s", line);
    else if (strcmp(cmd, "bad_auth") == 0)
        (void)isim_on_off(cmd, line, &s->bad_auth);
    else if (strcmp(cmd, "ignore_submit") == 0)
        (void)isim_on_off(cmd, line, &s->ignore_submit);
    else if (strcmp(cmd, "active_test") == 0)
        isim_send(s, buf, cmpp_codec_pack_simple(buf, sizeof buf, CMPP_ACTIVE_TEST, isim_seq(s)));
    else if (strcmp(cmd, "terminate") == 0)
        isim_send(s, buf, cmpp_codec_pack_simple(buf, sizeof buf, CMPP_TERMINATE, isim_seq(s)));
    else if (strcmp(cmd, "raw") == 0)
        isim_cmd_raw(s, line);
    else if (strcmp(cmd, "drop") == 0)
        isim_close_client(s);
    else if (strcmp(cmd, "quit") == 0)
        return 1;
    else
        isim_emit("ERROR unknown command %s", cmd);
    return 0;
}

/* Reads stdin; returns 1 on quit or end of input. */
static int isim_read_stdin(struct isim *s)
{
    char buf[4096];
    ssize_t n = read(0, buf, sizeof buf);
    if (n <= 0)
        return n < 0 && errno == EINTR ? 0 : 1;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (s->line_len + 1 < sizeof s->line)
                s->line[s->line_len++] = buf[i];
            continue;
        }
        s->line[s->line_len] = '\0';
        s->line_len = 0;
        if (isim_command(s, s->line))
            return 1;
    }
    return 0;
}

static int isim_listen(struct isim *s, unsigned port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    socklen_t alen = sizeof a;
    int one = 1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(s->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(s->lfd, 4) < 0 ||
        getsockname(s->lfd, (struct sockaddr *)&a, &alen) < 0)
        return -errno;
    isim_emit("LISTEN %u", ntohs(a.sin_port));
    return 0;
}

static void isim_accept(struct isim *s)
{
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0)
        return;
    isim_close_client(s); /* one SP at a time: the newer wins */
    s->cfd = fd;
    cmpp_codec_framer_init(&s->framer, CMPP_MAX_LEN);
    isim_emit("CONNECT");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},   {"sp-id", required_argument, NULL, 's'},
        {"secret", required_argument, NULL, 'k'}, {"version", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    static struct isim s; /* big (long messages being joined): not on the stack */
    unsigned port = 0;
    int c;
    s.lfd = s.cfd = -1;
    s.version = CMPP_V30;
    s.next_seq = 1;
    s.next_msg_id = 1;
    snprintf(s.sp_id, sizeof s.sp_id, "901234");
    snprintf(s.secret, sizeof s.secret, "secret");
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            port = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 's':
            snprintf(s.sp_id, sizeof s.sp_id, "%s", optarg);
            break;
        case 'k':
            snprintf(s.secret, sizeof s.secret, "%s", optarg);
            break;
        case 'v':
            if (strcmp(optarg, "2.0") != 0 && strcmp(optarg, "3.0") != 0) {
                fprintf(stderr, "ismg_sim: --version: 3.0 or 2.0\n");
                return 2;
            }
            s.version = optarg[0] == '2' ? CMPP_V20 : CMPP_V30;
            break;
        case 'h':
            fputs(isim_usage, stdout);
            return 0;
        default:
            fputs(isim_usage, stderr);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    if (isim_listen(&s, port) < 0) {
        fprintf(stderr, "ismg_sim: listen: %s\n", strerror(errno));
        return 1;
    }
    for (;;) {
        struct pollfd p[3] = {{0, POLLIN, 0}, {s.lfd, POLLIN, 0}, {s.cfd, POLLIN, 0}};
        if (poll(p, s.cfd >= 0 ? 3 : 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents && isim_read_stdin(&s))
            break;
        if (p[1].revents & POLLIN)
            isim_accept(&s);
        if (s.cfd >= 0 && p[2].fd == s.cfd && p[2].revents)
            isim_read_client(&s);
    }
    isim_close_client(&s);
    close(s.lfd);
    return 0;
}
