/*
 * fuzz_pdu.c: libFuzzer target for the PDU intake path: bytes from the SMSC through the
 * framer (pushed in chunks whose sizes the input chooses), then every whole PDU through
 * the TLV check and the decoders (each PDU is tried as a deliver_sm, a submit_sm and a
 * bind_transceiver, and for its response C-string), and a decoded MO on through
 * text_decode and cmd_parse_mo, as the daemon does. Built by tests/fuzz/run.sh; replayed
 * over its corpus and regressions by ctest (fuzz_replay.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "core/command.h"
#include "core/textcodec.h"
#include "gateway/smpp_pdu.h"

#define FUZZ_PDU_MAX 4096

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    erm_log_set_level(ERM_LOG_ERROR); /* a warning per malformed PDU is the expected case */
    return 0;
}

/* Writes V big-endian at P. */
static void fuzz_pdu_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The daemon's path for an MO: decode its text and parse the command. */
static void fuzz_pdu_mo(const struct gw_mo *mo)
{
    char text[GW_SM_MAX * 3 + 1];
    struct cmd cmd;
    int n = text_decode(mo->data_coding, mo->sm, mo->sm_len, text, sizeof text);
    if (n >= 0)
        cmd_parse_mo("10086", mo->dest, text, (size_t)n, &cmd);
}

/* One whole PDU of LEN bytes: the checks and every decoder. COPY is scratch of LEN bytes. */
static void fuzz_pdu_one(const uint8_t *pdu, uint32_t len, uint8_t *copy)
{
    struct smpp_hdr h;
    struct gw_mo mo;
    struct gw_submit sub;
    char a[16], b[9], c[13], id[65];

    smpp_hdr_read(pdu, &h);
    (void)smpp_tlv_check(pdu + SMPP_HEADER_LEN, len - SMPP_HEADER_LEN);
    (void)smpp_pdu_resp_cstring(pdu, len, id, sizeof id);
    memcpy(copy, pdu, len);
    fuzz_pdu_put32(copy + 4, SMPP_DELIVER_SM);
    if (smpp_pdu_decode_deliver_sm(copy, len, &mo) == 0)
        fuzz_pdu_mo(&mo);
    fuzz_pdu_put32(copy + 4, SMPP_SUBMIT_SM);
    (void)smpp_pdu_decode_submit_sm(copy, len, &sub);
    fuzz_pdu_put32(copy + 4, SMPP_BIND_TRANSCEIVER);
    (void)smpp_pdu_decode_bind(copy, len, a, sizeof a, b, sizeof b, c, sizeof c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t copy[FUZZ_PDU_MAX];
    struct smpp_framer f;
    if (size < 1)
        return 0;
    /* the first byte chooses the chunk size: TCP hands bytes over in any split */
    size_t chunk = (size_t)data[0] + 1;
    data++;
    size--;
    smpp_framer_init(&f, FUZZ_PDU_MAX);
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (smpp_framer_push(&f, data + off, n) < 0)
            break;
        const uint8_t *pdu;
        uint32_t len;
        int rc;
        while ((rc = smpp_framer_next(&f, &pdu, &len)) == 1)
            fuzz_pdu_one(pdu, len, copy);
        if (rc < 0)
            break; /* a framing error closes the link: nothing after it is read */
    }
    smpp_framer_free(&f);
    return 0;
}
