/*
 * textcodec.c: SMS text encodings for ermgw. MO short messages arrive as GSM 7-bit (one
 * septet per octet, as SMPP carries them), Latin-1 or UCS-2 and leave here as UTF-8; MT
 * texts go out as GSM 7-bit when every character allows it (cheaper: 160 per part) or as
 * UCS-2, cut into concatenated parts with a UDH. Pure functions, no I/O, no allocation:
 * every buffer belongs to the caller (GB18030 goes through glibc's iconv, whose one
 * descriptor is opened on first use).
 */
#include "core/textcodec.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

#define TEXT_GSM_ESC     0x1B
#define TEXT_REPLACEMENT 0xFFFDu
#define TEXT_UDH_LEN     6

/* GSM 03.38 default alphabet, septet -> Unicode (the unicode.org GSM0338 mapping: 0x09 is
 * the capital Ç). 0x1B is the escape to the extension table and maps to nothing itself. */
static const uint16_t text_gsm_main[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, /* 0x00 */
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5, /* 0x08 */
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, /* 0x10 */
    0x03A3, 0x0398, 0x039E, 0xFFFF, 0x00C6, 0x00E6, 0x00DF, 0x00C9, /* 0x18 */
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, /* 0x20 */
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F, /* 0x28 */
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 0x30 */
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, /* 0x38 */
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* 0x40 */
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, /* 0x48 */
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* 0x50 */
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, /* 0x58 */
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* 0x60 */
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F, /* 0x68 */
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* 0x70 */
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, /* 0x78 */
};

/* The extension table: the septet after ESC -> Unicode. */
static const struct {
    uint8_t code;
    uint16_t cp;
} text_gsm_ext[] = {
    {0x0A, 0x000C}, /* form feed */
    {0x14, 0x005E}, /* ^ */
    {0x28, 0x007B}, /* { */
    {0x29, 0x007D}, /* } */
    {0x2F, 0x005C}, /* backslash */
    {0x3C, 0x005B}, /* [ */
    {0x3D, 0x007E}, /* ~ */
    {0x3E, 0x005D}, /* ] */
    {0x40, 0x007C}, /* | */
    {0x65, 0x20AC}, /* euro sign */
};

#define TEXT_GSM_EXT_COUNT (sizeof text_gsm_ext / sizeof text_gsm_ext[0])

/* ---- UTF-8 ---- */

static int text_is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Bytes a sequence led by B0 needs, and the bounds its second byte must keep so that the
 * value is neither overlong, nor a surrogate, nor above U+10FFFF (RFC 3629's table). */
static int text_utf8_lead(unsigned char b0, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF)
        return 2;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (b0 == 0xE0)
            *lo = 0xA0;
        if (b0 == 0xED)
            *hi = 0x9F;
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (b0 == 0xF0)
            *lo = 0x90;
        if (b0 == 0xF4)
            *hi = 0x8F;
        return 4;
    }
    return -EILSEQ;
}

int text_utf8_next(const char *s, size_t len, size_t *pos, uint32_t *cp)
{
    const unsigned char *p;
    size_t left;
    unsigned char lo, hi;
    int n, i;

    if (!s || *pos >= len)
        return -EINVAL;
    p = (const unsigned char *)s + *pos;
    left = len - *pos;
    if (p[0] < 0x80) {
        *cp = p[0];
        *pos += 1;
        return 0;
    }
    n = text_utf8_lead(p[0], &lo, &hi);
    if (n < 0 || (size_t)n > left || p[1] < lo || p[1] > hi)
        goto bad;
    *cp = p[0] & (0xFF >> (n + 1));
    for (i = 1; i < n; i++) {
        if (!text_is_cont(p[i]))
            goto bad;
        *cp = (*cp << 6) | (p[i] & 0x3F);
    }
    *pos += (size_t)n;
    return 0;
bad:
    *pos += 1;
    return -EILSEQ;
}

int text_utf8_put(uint32_t cp, char *out, size_t cap, size_t *pos)
{
    unsigned char b[4];
    size_t n;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            return -EILSEQ;
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else if (cp <= 0x10FFFF) {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    } else {
        return -EILSEQ;
    }
    if (*pos > cap || n > cap - *pos)
        return -ENOSPC;
    memcpy(out + *pos, b, n);
    *pos += n;
    return 0;
}

/* Terminates OUT after *POS bytes; the NUL needs one more byte than the text. */
static int text_finish(char *out, size_t cap, size_t pos)
{
    if (pos >= cap)
        return -ENOSPC;
    out[pos] = '\0';
    return (int)pos;
}

/* ---- decoding ---- */

/* The character ESC + CODE stands for: the extension table's, or (03.38 6.2.1.1) the main
 * table's character for CODE when the extension table has none; ESC ESC shows a space. */
static uint32_t text_gsm_escaped(uint8_t code)
{
    size_t i;

    for (i = 0; i < TEXT_GSM_EXT_COUNT; i++)
        if (text_gsm_ext[i].code == code)
            return text_gsm_ext[i].cp;
    if (code == TEXT_GSM_ESC)
        return 0x20;
    return text_gsm_main[code];
}

int text_gsm7_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t i, pos = 0;
    uint32_t cp;
    int rc;

    if ((!in && len) || !out)
        return -EINVAL;
    for (i = 0; i < len; i++) {
        if (in[i] > 0x7F)
            cp = TEXT_REPLACEMENT;
        else if (in[i] != TEXT_GSM_ESC)
            cp = text_gsm_main[in[i]];
        else if (i + 1 < len && in[i + 1] <= 0x7F)
            cp = text_gsm_escaped(in[++i]);
        else
            cp = TEXT_REPLACEMENT; /* ESC at the end or before a bad septet */
        rc = text_utf8_put(cp, out, cap, &pos);
        if (rc < 0)
            return rc;
    }
    return text_finish(out, cap, pos);
}

int text_latin1_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t i, pos = 0;
    int rc;

    if ((!in && len) || !out)
        return -EINVAL;
    for (i = 0; i < len; i++) {
        rc = text_utf8_put(in[i] ? in[i] : TEXT_REPLACEMENT, out, cap, &pos);
        if (rc < 0)
            return rc;
    }
    return text_finish(out, cap, pos);
}

static int text_is_high(uint32_t u)
{
    return u >= 0xD800 && u <= 0xDBFF;
}

static int text_is_low(uint32_t u)
{
    return u >= 0xDC00 && u <= 0xDFFF;
}

/* Reads the UTF-16BE character at IN[*I] (advancing *I): a pair joins into one code point;
 * a lone surrogate, an odd trailing byte or NUL is U+FFFD. */
static uint32_t text_ucs2_next(const uint8_t *in, size_t len, size_t *i)
{
    uint32_t u, lo;

    if (len - *i < 2) {
        *i = len;
        return TEXT_REPLACEMENT;
    }
    u = (uint32_t)in[*i] << 8 | in[*i + 1];
    *i += 2;
    if (text_is_low(u) || u == 0)
        return TEXT_REPLACEMENT;
    if (!text_is_high(u))
        return u;
    if (len - *i < 2)
        return TEXT_REPLACEMENT;
    lo = (uint32_t)in[*i] << 8 | in[*i + 1];
    if (!text_is_low(lo))
        return TEXT_REPLACEMENT; /* the next unit is read again as itself */
    *i += 2;
    return 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
}

int text_ucs2_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap)
{
    size_t i = 0, pos = 0;
    int rc;

    if ((!in && len) || !out)
        return -EINVAL;
    while (i < len) {
        rc = text_utf8_put(text_ucs2_next(in, len, &i), out, cap, &pos);
        if (rc < 0)
            return rc;
    }
    return text_finish(out, cap, pos);
}

/* Decodes the LEN GB18030 bytes at IN (no NUL among them) with CD, appending to OUT at
 * *POS; a byte that starts no valid character is U+FFFD and decoding goes on after it. */
static int text_gb_run(iconv_t cd, const uint8_t *in, size_t len, char *out, size_t cap,
                       size_t *pos)
{
    char *inp = (char *)(uintptr_t)in;
    size_t left = len;
    while (left > 0) {
        char *outp = out + *pos;
        size_t room = cap - *pos;
        size_t r = iconv(cd, &inp, &left, &outp, &room);
        *pos = (size_t)(outp - out);
        if (r != (size_t)-1)
            break;
        if (errno == E2BIG)
            return -ENOSPC;
        /* EILSEQ or EINVAL (a cut sequence at the end): substitute one byte, go on. */
        iconv(cd, NULL, NULL, NULL, NULL);
        int rc = text_utf8_put(TEXT_REPLACEMENT, out, cap, pos);
        if (rc < 0)
            return rc;
        inp++;
        left--;
    }
    return 0;
}

int text_gb18030_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap)
{
    /* One descriptor for the process: opening one loads glibc's gconv module (a file read
     * once, the only thing here that touches the system); single-threaded like the rest. */
    static iconv_t cd = (iconv_t)-1;
    size_t pos = 0, i = 0;

    if ((!in && len) || !out)
        return -EINVAL;
    if (cd == (iconv_t)-1 && (cd = iconv_open("UTF-8", "GB18030")) == (iconv_t)-1)
        return -ENOTSUP;
    iconv(cd, NULL, NULL, NULL, NULL);
    while (i < len) {
        /* NUL is only ever the byte 0x00 in GB18030: U+FFFD, so OUT stays one C string. */
        const uint8_t *nul = memchr(in + i, 0, len - i);
        size_t run = nul != NULL ? (size_t)(nul - in) - i : len - i;
        int rc = text_gb_run(cd, in + i, run, out, cap, &pos);
        if (rc == 0 && nul != NULL)
            rc = text_utf8_put(TEXT_REPLACEMENT, out, cap, &pos);
        if (rc < 0)
            return rc;
        i += run + (nul != NULL);
    }
    return text_finish(out, cap, pos);
}

/* The alphabet of DATA_CODING: SMPP's own values, then GSM 03.38's coding groups that
 * SMSCs pass through (00x1xxxx general data coding with a message class, 1111xxxx data
 * coding/message class): bits 3..2 say GSM 7-bit, 8-bit data or UCS-2. */
static int text_alphabet(uint8_t dcs)
{
    if (dcs == TEXT_DCS_DEFAULT || dcs == TEXT_DCS_IA5 || dcs == TEXT_DCS_LATIN1 ||
        dcs == TEXT_DCS_UCS2 || dcs == TEXT_DCS_GB)
        return dcs;
    if ((dcs & 0xF0) == 0x10) /* uncompressed, with a class */
        return (dcs & 0x0C) == 0x00 ? TEXT_DCS_DEFAULT : (dcs & 0x0C) == 0x08 ? TEXT_DCS_UCS2 : -1;
    if ((dcs & 0xF0) == 0xF0)
        return (dcs & 0x04) == 0 ? TEXT_DCS_DEFAULT : -1;
    return -1;
}

int text_decode(uint8_t data_coding, const uint8_t *in, size_t len, char *out, size_t cap)
{
    switch (text_alphabet(data_coding)) {
    case TEXT_DCS_DEFAULT:
        return text_gsm7_to_utf8(in, len, out, cap);
    case TEXT_DCS_IA5:
    case TEXT_DCS_LATIN1:
        return text_latin1_to_utf8(in, len, out, cap);
    case TEXT_DCS_UCS2:
        return text_ucs2_to_utf8(in, len, out, cap);
    case TEXT_DCS_GB:
        return text_gb18030_to_utf8(in, len, out, cap);
    default:
        return -ENOTSUP;
    }
}

int text_is_clean(const char *s, size_t len)
{
    size_t pos = 0;
    uint32_t cp;
    while (pos < len)
        if (text_utf8_next(s, len, &pos, &cp) < 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return 0;
    return 1;
}

/* ---- encoding ---- */

/* The highest code point of the GSM tables (the euro sign of the extension table). */
#define TEXT_GSM_MAX_CP 0x20ACu

/* Writes the GSM septets of CP to SEPT (one, or ESC + code) and returns how many, or 0 when
 * CP is not in the default alphabet nor its extension table. */
static int text_gsm_of(uint32_t cp, uint8_t sept[2])
{
    size_t i;

    if (cp > TEXT_GSM_MAX_CP)
        return 0; /* Chinese text and the like: no table walk per character */
    for (i = 0; i < 128; i++) {
        if (i != TEXT_GSM_ESC && text_gsm_main[i] == cp) {
            sept[0] = (uint8_t)i;
            return 1;
        }
    }
    for (i = 0; i < TEXT_GSM_EXT_COUNT; i++) {
        if (text_gsm_ext[i].cp == cp) {
            sept[0] = TEXT_GSM_ESC;
            sept[1] = text_gsm_ext[i].code;
            return 2;
        }
    }
    return 0;
}

/* Writes CP as UTF-16BE to U (2 bytes, or 4 for a surrogate pair) and returns the count. */
static int text_ucs2_of(uint32_t cp, uint8_t u[4])
{
    uint32_t v;

    if (cp < 0x10000) {
        u[0] = (uint8_t)(cp >> 8);
        u[1] = (uint8_t)cp;
        return 2;
    }
    v = cp - 0x10000;
    u[0] = (uint8_t)(0xD8 | (v >> 18));
    u[1] = (uint8_t)(v >> 10);
    u[2] = (uint8_t)(0xDC | ((v >> 8) & 0x03));
    u[3] = (uint8_t)v;
    return 4;
}

/* The alphabets an MT text goes in: UCS-2 when the narrow one of the bearer lacks a
 * character. SMPP's narrow alphabet is GSM 7-bit, CMPP's (Msg_Fmt 0) ASCII. */
#define TEXT_ALPHA_UCS2  0
#define TEXT_ALPHA_GSM   1
#define TEXT_ALPHA_ASCII 2

/* CP in the narrow alphabet ALPHA into B; returns the byte count, 0 when ALPHA lacks it. */
static int text_narrow_of(uint32_t cp, int alpha, uint8_t b[2])
{
    if (alpha != TEXT_ALPHA_ASCII)
        return text_gsm_of(cp, b);
    if (cp >= 0x80)
        return 0;
    b[0] = (uint8_t)cp;
    return 1;
}

/* Encodes the code point in the chosen alphabet into B (4 bytes); returns the byte count
 * or -EILSEQ when a narrow alphabet lacks it. One unit: a character's bytes are never
 * split. */
static int text_unit(uint32_t cp, int gsm, uint8_t b[4])
{
    int n;

    if (gsm == TEXT_ALPHA_UCS2)
        return text_ucs2_of(cp, b);
    n = text_narrow_of(cp, gsm, b);
    return n ? n : -EILSEQ;
}

/* Shared loop of the two plain encoders: TEXT to OUT in one alphabet. */
static int text_encode_plain(const char *text, size_t len, int gsm, uint8_t *out, size_t cap)
{
    size_t pos = 0, n = 0;
    uint32_t cp;
    uint8_t b[4];
    int k;

    if ((!text && len) || (!out && cap))
        return -EINVAL;
    while (pos < len) {
        if (text_utf8_next(text, len, &pos, &cp) < 0)
            return -EILSEQ;
        k = text_unit(cp, gsm, b);
        if (k < 0)
            return k;
        if ((size_t)k > cap - n)
            return -ENOSPC;
        memcpy(out + n, b, (size_t)k);
        n += (size_t)k;
    }
    return (int)n;
}

int text_utf8_to_ucs2(const char *text, size_t len, uint8_t *out, size_t cap)
{
    return text_encode_plain(text, len, 0, out, cap);
}

int text_utf8_to_gsm7(const char *text, size_t len, uint8_t *out, size_t cap)
{
    return text_encode_plain(text, len, 1, out, cap);
}

/* First pass of text_encode: validates TEXT, decides the alphabet (the narrow one, NARROW,
 * only when every character has its bytes in it) and counts the payload bytes that alphabet
 * needs. *GSM is NARROW or TEXT_ALPHA_UCS2. */
static int text_measure(const char *text, size_t len, int narrow, int *gsm, size_t *total)
{
    size_t pos = 0, gsm_len = 0, ucs_len = 0;
    uint32_t cp;
    uint8_t b[4];
    int k;

    *gsm = narrow;
    while (pos < len) {
        if (text_utf8_next(text, len, &pos, &cp) < 0)
            return -EILSEQ;
        k = *gsm ? text_narrow_of(cp, narrow, b) : 0; /* once one is not, none is looked up */
        if (!k)
            *gsm = TEXT_ALPHA_UCS2;
        gsm_len += (size_t)k;
        ucs_len += (size_t)text_ucs2_of(cp, b);
    }
    *total = *gsm ? gsm_len : ucs_len;
    return 0;
}

/* Opens part number IDX (0-based): with UDH when concatenated. */
static void text_open_part(struct text_encoded *out, unsigned idx, int concat, uint8_t ref)
{
    struct text_part *p = &out->part[idx];

    p->len = 0;
    if (!concat)
        return;
    p->data[0] = 0x05; /* UDH length */
    p->data[1] = 0x00; /* IEI: concatenated message, 8-bit reference */
    p->data[2] = 0x03; /* IE length */
    p->data[3] = ref;
    p->data[4] = 0; /* total: known at the end */
    p->data[5] = (uint8_t)(idx + 1);
    p->len = TEXT_UDH_LEN;
}

/* Second pass: fills the parts, at most LIMIT payload bytes each; a character that would
 * cross LIMIT starts the next part, so no escape sequence or surrogate pair is split. */
static int text_fill(const char *text, size_t len, int gsm, size_t limit, int concat, uint8_t ref,
                     struct text_encoded *out)
{
    size_t pos = 0, head = concat ? TEXT_UDH_LEN : 0;
    unsigned idx = 0, i;
    uint32_t cp;
    uint8_t b[4];
    int k;

    text_open_part(out, 0, concat, ref);
    while (pos < len) {
        (void)text_utf8_next(text, len, &pos, &cp); /* validated by text_measure */
        k = text_unit(cp, gsm, b);
        if (out->part[idx].len - head + (size_t)k > limit) {
            if (++idx >= TEXT_MAX_PARTS)
                return -EMSGSIZE;
            text_open_part(out, idx, concat, ref);
        }
        memcpy(out->part[idx].data + out->part[idx].len, b, (size_t)k);
        out->part[idx].len = (uint8_t)(out->part[idx].len + k);
    }
    out->nparts = idx + 1;
    for (i = 0; concat && i < out->nparts; i++)
        out->part[i].data[4] = (uint8_t)out->nparts;
    return 0;
}

/* text_encode and text_encode_ascii: NARROW is the alphabet tried before UCS-2. */
static int text_encode_in(const char *text, size_t len, uint8_t ref, int narrow,
                          struct text_encoded *out)
{
    size_t total, single, multi;
    int gsm, rc, concat;

    if ((!text && len) || !out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    rc = text_measure(text, len, narrow, &gsm, &total);
    if (rc < 0)
        return rc;
    single = gsm ? 160 : 140; /* 160 septets, or 70 UCS-2 units */
    multi = gsm ? 153 : 134;  /* what is left beside the 6-byte UDH */
    concat = total > single;
    out->data_coding = gsm ? TEXT_DCS_DEFAULT : TEXT_DCS_UCS2;
    out->esm_class = concat ? 0x40 : 0x00;
    rc = text_fill(text, len, gsm, concat ? multi : single, concat, ref, out);
    if (rc < 0)
        memset(out, 0, sizeof *out);
    return rc;
}

int text_encode(const char *text, size_t len, uint8_t ref, struct text_encoded *out)
{
    return text_encode_in(text, len, ref, TEXT_ALPHA_GSM, out);
}

int text_encode_ascii(const char *text, size_t len, uint8_t ref, struct text_encoded *out)
{
    return text_encode_in(text, len, ref, TEXT_ALPHA_ASCII, out);
}
