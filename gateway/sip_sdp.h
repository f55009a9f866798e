/*
 * sip_sdp.h: the SDP offer/answer of a prompt call (RFC 3264): reads the caller's offer
 * with libosipparser2's SDP parser, picks PCMA or PCMU in the offer's order of preference,
 * and writes our answer (one audio stream, a=sendrecv; other streams refused with port 0).
 */
#ifndef ERM_SIP_SDP_H
#define ERM_SIP_SDP_H

#include <stddef.h>
#include <stdint.h>

struct sip_sdp_offer {
    int pt;             /* RTP_PT_PCMA or RTP_PT_PCMU */
    int family;         /* 4 or 6: the caller's media address */
    char addr[64];      /* the caller's media address (text) */
    uint16_t port;      /* the caller's RTP port */
    unsigned media;     /* m= lines in the offer (the answer has as many) */
    unsigned audio_at;  /* which of them we take */
    char protos[8][16]; /* each m= line's media and proto, for the refused ones */
    char kinds[8][16];
};

/* Reads the offer BODY (LEN bytes). Returns 0, -EPROTO (not SDP, or no usable address or
 * port) or -ENOTSUP (no PCMA or PCMU in any audio stream: 488). */
int sip_sdp_read_offer(const char *body, size_t len, struct sip_sdp_offer *out);

/* Writes into OUT (CAP bytes) the answer to OFFER from HOST (our media address, FAMILY 4
 * or 6) and PORT, session id SESS. Returns the length, or -ENOSPC. */
int sip_sdp_write_answer(char *out, size_t cap, const struct sip_sdp_offer *offer, const char *host,
                         int family, uint16_t port, uint64_t sess);

#endif
