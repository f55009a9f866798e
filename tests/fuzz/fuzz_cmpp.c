/*
 * fuzz_cmpp.c: libFuzzer target for the CMPP intake path: bytes from the ISMG through the
 * framer (pushed in chunks whose sizes the input chooses), then every whole PDU through
 * each decoder in both versions (the second byte picks which one goes first; all run), a
 * DELIVER's content as a status report, and a decoded MO's text through text_decode and
 * cmd_parse_mo, as the daemon does. Built by tests/fuzz/run.sh; replayed over its corpus and
 * regressions by ctest (fuzz_replay.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "core/command.h"
#include "core/textcodec.h"
#include "gateway/cmpp_codec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    erm_log_set_level(ERM_LOG_ERROR);
    return 0;
}

/* Every decoder of one version over one whole PDU. */
static void fuzz_cmpp_one(const uint8_t *pdu, uint32_t len, uint8_t version)
{
    struct cmpp_connect c;
    struct cmpp_connect_resp cr;
    struct cmpp_result r;
    struct cmpp_submit sub;
    struct cmpp_deliver d;
    struct cmpp_report rep;
    struct cmpp_hdr h;
    char text[CMPP_CONTENT_MAX * 3 + 1];
    struct cmd cmd;

    cmpp_codec_hdr_read(pdu, &h);
    (void)cmpp_codec_command_name(h.id);
    (void)cmpp_codec_unpack_connect(pdu, len, &c);
    (void)cmpp_codec_unpack_connect_resp(pdu, len, version, &cr);
    (void)cmpp_codec_unpack_result(pdu, len, version, &r);
    (void)cmpp_codec_unpack_submit(pdu, len, version, &sub);
    if (cmpp_codec_unpack_deliver(pdu, len, version, &d) < 0)
        return;
    (void)cmpp_codec_unpack_report(d.msg_content, d.msg_length, version, &rep);
    int n = text_decode(d.msg_fmt, d.msg_content, d.msg_length, text, sizeof text);
    if (n >= 0)
        cmd_parse_mo("10086", d.dest_id, text, (size_t)n, &cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cmpp_codec_framer f;
    if (size < 2)
        return 0;
    size_t chunk = (size_t)data[0] + 1; /* TCP hands bytes over in any split */
    uint8_t first = data[1] & 1 ? CMPP_V20 : CMPP_V30;
    data += 2;
    size -= 2;
    cmpp_codec_framer_init(&f, CMPP_MAX_LEN);
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (cmpp_codec_framer_push(&f, data + off, n) < 0)
            break;
        const uint8_t *pdu;
        uint32_t len;
        int rc;
        while ((rc = cmpp_codec_framer_next(&f, &pdu, &len)) == 1) {
            fuzz_cmpp_one(pdu, len, first);
            fuzz_cmpp_one(pdu, len, first == CMPP_V20 ? CMPP_V30 : CMPP_V20);
        }
        if (rc < 0)
            break; /* a framing error closes the link */
    }
    cmpp_codec_framer_free(&f);
    return 0;
}
