/*
 * mokey.h: the identity of a mobile-originated message, for recognising the SMSC's
 * redelivery of one we already handled. SMPP 3.4 gives an MO no id of its own, so an MO is
 * known by what it carries: source, destination, data_coding, esm_class, its place in a
 * concatenated message, and its bytes. The key is their SHA-256 (a customer must never be
 * able to make two different texts look alike), in hex. How a key is used (a time window,
 * the link it came on) is storage/mo_log.h's business. Pure functions, no I/O.
 */
#ifndef ERM_MOKEY_H
#define ERM_MOKEY_H

#include <stddef.h>
#include <stdint.h>

#define MOKEY_HEX_LEN 64 /* hex digits of a key; buffers need MOKEY_HEX_LEN + 1 */

/* What an MO is known by; pointers are borrowed. REF/TOTAL/SEQNUM are 0 for a whole
 * message (see core/concat.h for a part's). */
struct mokey_in {
    const char *source;
    const char *dest;
    uint8_t data_coding;
    uint8_t esm_class;
    uint32_t ref;
    uint8_t total;
    uint8_t seqnum;
    const uint8_t *sm;
    size_t len;
};

/* Writes the key of IN as MOKEY_HEX_LEN lower-case hex digits and a NUL into OUT. Every
 * field is length-prefixed, so no two different MOs share their input to the hash. */
void mokey_make(const struct mokey_in *in, char out[MOKEY_HEX_LEN + 1]);

/* SHA-256 (FIPS 180-4) of DATA (LEN bytes) into DIGEST. Exposed for its unit test. */
void mokey_sha256(const uint8_t *data, size_t len, uint8_t digest[32]);

#endif
