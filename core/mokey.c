/*
 * mokey.c: the dedupe key of an MO (see mokey.h) and the SHA-256 it is made with. The hash
 * is written out here (FIPS 180-4, streaming) because core/ links nothing: no I/O, no
 * crypto library.
 */
#include "core/mokey.h"

#include <string.h>

struct mokey_sha {
    uint32_t h[8];
    uint8_t block[64];
    size_t fill;    /* bytes in block */
    uint64_t total; /* bytes hashed so far */
};

static const uint32_t mokey_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t mokey_ror(uint32_t x, unsigned n)
{
    return x >> n | x << (32 - n);
}

static void mokey_block(struct mokey_sha *c, const uint8_t *p)
{
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = mokey_ror(w[i - 15], 7) ^ mokey_ror(w[i - 15], 18) ^ w[i - 15] >> 3;
        uint32_t s1 = mokey_ror(w[i - 2], 17) ^ mokey_ror(w[i - 2], 19) ^ w[i - 2] >> 10;
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, c->h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t s1 = mokey_ror(v[4], 6) ^ mokey_ror(v[4], 11) ^ mokey_ror(v[4], 25);
        uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
        uint32_t t1 = v[7] + s1 + ch + mokey_k[i] + w[i];
        uint32_t s0 = mokey_ror(v[0], 2) ^ mokey_ror(v[0], 13) ^ mokey_ror(v[0], 22);
        uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + s0 + maj;
    }
    for (int i = 0; i < 8; i++)
        c->h[i] += v[i];
}

static void mokey_init(struct mokey_sha *c)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, h0, sizeof h0);
    c->fill = 0;
    c->total = 0;
}

static void mokey_update(struct mokey_sha *c, const uint8_t *p, size_t len)
{
    c->total += len;
    while (len > 0) {
        size_t n = sizeof c->block - c->fill;
        if (n > len)
            n = len;
        memcpy(c->block + c->fill, p, n);
        c->fill += n;
        p += n;
        len -= n;
        if (c->fill == sizeof c->block) {
            mokey_block(c, c->block);
            c->fill = 0;
        }
    }
}

static void mokey_final(struct mokey_sha *c, uint8_t digest[32])
{
    uint64_t bits = c->total * 8;
    uint8_t pad = 0x80, zero = 0, len[8];
    mokey_update(c, &pad, 1);
    while (c->fill != 56)
        mokey_update(c, &zero, 1);
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    mokey_update(c, len, 8);
    for (int i = 0; i < 8; i++)
        for (int b = 0; b < 4; b++)
            digest[4 * i + b] = (uint8_t)(c->h[i] >> (24 - 8 * b));
}

void mokey_sha256(const uint8_t *data, size_t len, uint8_t digest[32])
{
    struct mokey_sha c;
    mokey_init(&c);
    mokey_update(&c, data, len);
    mokey_final(&c, digest);
}

/* Hashes LEN as 4 bytes, then the LEN bytes of P: fields cannot run into each other. */
static void mokey_field(struct mokey_sha *c, const void *p, size_t len)
{
    uint8_t n[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    mokey_update(c, n, sizeof n);
    mokey_update(c, p, len);
}

void mokey_make(const struct mokey_in *in, char out[MOKEY_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    struct mokey_sha c;
    uint8_t fixed[] = {in->data_coding,
                       in->esm_class,
                       (uint8_t)(in->ref >> 24),
                       (uint8_t)(in->ref >> 16),
                       (uint8_t)(in->ref >> 8),
                       (uint8_t)in->ref,
                       in->total,
                       in->seqnum};
    uint8_t d[32];
    mokey_init(&c);
    mokey_field(&c, in->source, strlen(in->source));
    mokey_field(&c, in->dest, strlen(in->dest));
    mokey_field(&c, fixed, sizeof fixed);
    mokey_field(&c, in->sm, in->len);
    mokey_final(&c, d);
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[MOKEY_HEX_LEN] = '\0';
}
