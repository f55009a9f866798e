/*
 * sip_sdp.c: the SDP offer/answer of sip_sdp.h. The offer is parsed by libosipparser2;
 * only static payload types 0 and 8 are taken (a dynamic number mapped to PCMA/8000 is rare
 * enough on a trunk to refuse with 488 rather than guess).
 */
#include "gateway/sip_sdp.h"

#include <errno.h>
#include <osipparser2/osip_port.h>
#include <osipparser2/sdp_message.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/rtp_stream.h"

#define SIP_SDP_MAX_MEDIA 8

/* The first of the offered payload types of media POS that is 0 or 8, or -1. */
static int sip_sdp_pick_pt(sdp_message_t *sdp, int pos)
{
    for (int j = 0;; j++) {
        const char *p = sdp_message_m_payload_get(sdp, pos, j);
        if (p == NULL)
            return -1;
        if (strcmp(p, "8") == 0)
            return RTP_PT_PCMA;
        if (strcmp(p, "0") == 0)
            return RTP_PT_PCMU;
    }
}

/* Copies media POS's connection address (else the session's) into OUT. */
static int sip_sdp_addr(sdp_message_t *sdp, int pos, struct sip_sdp_offer *out)
{
    const char *addr = sdp_message_c_addr_get(sdp, pos, 0);
    const char *type = sdp_message_c_addrtype_get(sdp, pos, 0);
    if (addr == NULL) {
        addr = sdp_message_c_addr_get(sdp, -1, 0);
        type = sdp_message_c_addrtype_get(sdp, -1, 0);
    }
    if (addr == NULL || type == NULL || strlen(addr) >= sizeof out->addr)
        return -EPROTO;
    out->family = strcmp(type, "IP6") == 0 ? 6 : 4;
    snprintf(out->addr, sizeof out->addr, "%s", addr);
    return 0;
}

/* Looks at every m= line, keeping the first audio one with a codec we play. */
static int sip_sdp_scan(sdp_message_t *sdp, struct sip_sdp_offer *out)
{
    int found = 0;
    for (int i = 0; i < SIP_SDP_MAX_MEDIA; i++) {
        const char *media = sdp_message_m_media_get(sdp, i);
        if (media == NULL)
            break;
        const char *proto = sdp_message_m_proto_get(sdp, i);
        snprintf(out->kinds[i], sizeof out->kinds[i], "%s", media);
        snprintf(out->protos[i], sizeof out->protos[i], "%s", proto != NULL ? proto : "RTP/AVP");
        out->media++;
        const char *port = sdp_message_m_port_get(sdp, i);
        long p = port != NULL ? strtol(port, NULL, 10) : 0;
        if (found || strcmp(media, "audio") != 0 || p <= 0 || p > 65535)
            continue;
        int pt = sip_sdp_pick_pt(sdp, i);
        if (pt < 0)
            continue;
        if (sip_sdp_addr(sdp, i, out) < 0)
            return -EPROTO;
        out->pt = pt;
        out->port = (uint16_t)p;
        out->audio_at = (unsigned)i;
        found = 1;
    }
    if (out->media == 0)
        return -EPROTO;
    return found ? 0 : -ENOTSUP;
}

/* 1 when the LEN bytes at P (one line's value) are fields of the classes CLASSES (one
 * strspn set per field, the last one repeating), separated by single spaces, at least
 * MIN_FIELDS of them. */
static int sip_sdp_fields_ok(const char *p, size_t len, const char *const *classes, size_t nclasses,
                             size_t min_fields)
{
    size_t fields = 0;
    while (len > 0) {
        size_t n = 0;
        while (n < len && p[n] != ' ')
            n++;
        const char *set = classes[fields < nclasses ? fields : nclasses - 1];
        if (n == 0 || strspn(p, set) < n)
            return 0;
        fields++;
        p += n;
        len -= n;
        if (len > 0) { /* the space: one, and something after it */
            p++;
            if (--len == 0)
                return 0;
        }
    }
    return fields >= min_fields;
}

#define SIP_SDP_TOKEN  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define SIP_SDP_DIGITS "0123456789"

/* 1 when one line (LEN bytes at P, without its end of line) is what we let
 * libosipparser2 see: "x=value", printable, and for m=, c= and o= the fields RFC 4566 gives
 * them, single-spaced. libosipparser2 5.3 reads past the end of its buffer on an m= line
 * without formats or with runs of spaces (found by tests/fuzz/fuzz_sdp.c): such offers
 * never reach it, and get 488 like any offer we cannot use. */
static int sip_sdp_line_ok(const char *p, size_t len)
{
    static const char *const m[] = {SIP_SDP_TOKEN, SIP_SDP_DIGITS "/", SIP_SDP_TOKEN "/._-",
                                    SIP_SDP_TOKEN};
    static const char *const c[] = {"IN", "IP46", SIP_SDP_TOKEN ":./"};
    static const char *const o[] = {
        SIP_SDP_TOKEN "-_.+@", SIP_SDP_DIGITS, SIP_SDP_DIGITS, "IN", "IP46",
        SIP_SDP_TOKEN ":.-_[]"};
    if (len < 2 || p[0] < 'a' || p[0] > 'z' || p[1] != '=')
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7F)
            return 0;
    if (p[0] == 'm')
        return sip_sdp_fields_ok(p + 2, len - 2, m, 4, 4);
    if (p[0] == 'c')
        return sip_sdp_fields_ok(p + 2, len - 2, c, 3, 3);
    if (p[0] == 'o')
        return sip_sdp_fields_ok(p + 2, len - 2, o, 6, 6);
    return 1;
}

/* 1 when every line of TEXT passes sip_sdp_line_ok (lines end in CRLF or LF). */
static int sip_sdp_lines_sane(const char *text)
{
    for (const char *p = text; *p != '\0';) {
        size_t n = strcspn(p, "\n");
        if (!sip_sdp_line_ok(p, n > 0 && p[n - 1] == '\r' ? n - 1 : n))
            return 0;
        p += n;
        if (*p == '\n')
            p++;
    }
    return 1;
}

int sip_sdp_read_offer(const char *body, size_t len, struct sip_sdp_offer *out)
{
    memset(out, 0, sizeof *out);
    if (memchr(body, '\0', len) != NULL)
        return -EPROTO;
    char *text = malloc(len + 1);
    if (text == NULL)
        return -ENOMEM;
    memcpy(text, body, len);
    text[len] = '\0';
    sdp_message_t *sdp = NULL;
    int rc = -EPROTO;
    if (sip_sdp_lines_sane(text) && sdp_message_init(&sdp) == 0 &&
        sdp_message_parse(sdp, text) == 0)
        rc = sip_sdp_scan(sdp, out);
    sdp_message_free(sdp);
    free(text);
    return rc;
}

int sip_sdp_write_answer(char *out, size_t cap, const struct sip_sdp_offer *offer, const char *host,
                         int family, uint16_t port, uint64_t sess)
{
    const char *ip = family == 6 ? "IP6" : "IP4";
    int n =
        snprintf(out, cap, "v=0\r\no=ermgw %llu 1 IN %s %s\r\ns=ermgw\r\nc=IN %s %s\r\nt=0 0\r\n",
                 (unsigned long long)sess, ip, host, ip, host);
    for (unsigned i = 0; i < offer->media && n >= 0 && (size_t)n < cap; i++) {
        if (i == offer->audio_at)
            n += snprintf(out + n, cap - (size_t)n,
                          "m=audio %u RTP/AVP %d\r\na=rtpmap:%d %s/8000\r\na=ptime:20\r\n"
                          "a=sendrecv\r\n",
                          port, offer->pt, offer->pt, offer->pt == RTP_PT_PCMA ? "PCMA" : "PCMU");
        else /* refused: port 0, any format from the offer's list is allowed; 0 is safe */
            n += snprintf(out + n, cap - (size_t)n, "m=%s 0 %s 0\r\n", offer->kinds[i],
                          offer->protos[i]);
    }
    return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}
