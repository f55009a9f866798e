/*
 * fuzz_sdp.c: libFuzzer target for the SIP trunk's SDP offer reader (gateway/sip_sdp.c, on
 * libosipparser2's SDP parser): any bytes as an offer. Checks: an accepted offer has a
 * codec we play, a port, an address that is a C string within its buffer, and its answer
 * is written within the buffer or refused with -ENOSPC.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/rtp_stream.h"
#include "gateway/sip_sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_sdp_check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sip_sdp_offer o;
    if (sip_sdp_read_offer((const char *)data, size, &o) != 0)
        return 0;
    fuzz_sdp_check(o.pt == RTP_PT_PCMA || o.pt == RTP_PT_PCMU);
    fuzz_sdp_check(o.port > 0 && o.media > 0 && o.audio_at < o.media);
    fuzz_sdp_check(memchr(o.addr, '\0', sizeof o.addr) != NULL);
    char ans[1024];
    int n = sip_sdp_write_answer(ans, sizeof ans, &o, "127.0.0.1", 4, 20000, 1);
    fuzz_sdp_check(n == -ENOSPC || (n > 0 && (size_t)n < sizeof ans && strlen(ans) == (size_t)n));
    return 0;
}
