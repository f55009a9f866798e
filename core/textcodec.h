/*
 * textcodec.h: SMS text encodings. Decoding of MO short messages to UTF-8 (data_coding 0 as
 * the GSM 7-bit default alphabet, one septet per octet, unpacked as SMPP carries it; 1 and 3
 * as Latin-1 / ASCII; 8 as UCS-2 big-endian, read as UTF-16 so surrogate pairs survive;
 * 15 as GB18030 with iconv; GSM 03.38's coding groups with a class by their alphabet),
 * and encoding of MT texts (GSM 7-bit when every character is in the default alphabet or its
 * extension table, else UCS-2) with segmentation into concatenated parts carrying a UDH.
 * Pure functions, no I/O; every output buffer is the caller's.
 */
#ifndef ERM_TEXTCODEC_H
#define ERM_TEXTCODEC_H

#include <stddef.h>
#include <stdint.h>

#define TEXT_DCS_DEFAULT 0x00 /* SMSC default alphabet: GSM 7-bit, unpacked */
#define TEXT_DCS_IA5     0x01 /* IA5 / ASCII */
#define TEXT_DCS_LATIN1  0x03
#define TEXT_DCS_UCS2    0x08
#define TEXT_DCS_GB      0x0F /* GB2312/GBK as Chinese SMSCs (and CMPP's Msg_Fmt 15) use */

/* Decodes LEN bytes of a short message in DATA_CODING to UTF-8 in OUT (CAP bytes,
 * NUL-terminated). Bytes that cannot be decoded (a lone surrogate, an odd trailing byte of
 * UCS-2, a septet above 0x7F, a GSM escape at the very end) become U+FFFD; nothing is
 * dropped silently. U+0000 (Latin-1 or UCS-2 NUL) also becomes U+FFFD so OUT stays one C
 * string. An escape followed by a code the extension table lacks gives the main table's
 * character for that code, as GSM 03.38 asks (ESC ESC, reserved, gives a space).
 * TEXT_DCS_IA5 and TEXT_DCS_LATIN1 are both read as Latin-1 (a superset of ASCII);
 * TEXT_DCS_GB as GB18030 (a superset of GB2312 and GBK). GSM 03.38's coding groups with a
 * message class are read by their alphabet: 0x10..0x13 and 0xF0..0xF3 as GSM 7-bit,
 * 0x18..0x1B (0x19, some SMSCs' UCS-2) as UCS-2; 8-bit data is not text.
 * Returns the UTF-8 length, -ENOSPC when OUT is too small, -ENOTSUP for another data_coding,
 * -EINVAL for a NULL buffer. */
int text_decode(uint8_t data_coding, const uint8_t *in, size_t len, char *out, size_t cap);

int text_gsm7_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap);
int text_latin1_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap);
int text_ucs2_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap);
int text_gb18030_to_utf8(const uint8_t *in, size_t len, char *out, size_t cap);

/* Reads one code point of UTF-8 S (LEN bytes) at *POS into *CP and advances *POS past it.
 * Strict: overlong forms, UTF-16 surrogates, values above U+10FFFF and truncated sequences
 * are -EILSEQ, and then *POS advances by one byte so a lenient caller can substitute U+FFFD
 * and go on. Returns 0, -EILSEQ, or -EINVAL when *POS is not below LEN. Shared by the encoders here
 * and the command parser. */
int text_utf8_next(const char *s, size_t len, size_t *pos, uint32_t *cp);

/* 1 when the LEN bytes of S are valid UTF-8 without control characters (C0, DEL, C1): text
 * that PostgreSQL takes and a log or a page shows as it is. */
int text_is_clean(const char *s, size_t len);

/* Appends CP as UTF-8 to OUT (CAP bytes) at *POS and advances *POS. Writes no NUL: the
 * caller terminates. Returns 0, -ENOSPC when it does not fit, -EILSEQ for a surrogate or a
 * value above U+10FFFF. */
int text_utf8_put(uint32_t cp, char *out, size_t cap, size_t *pos);

/* Encodes UTF-8 TEXT to UCS-2 (UTF-16BE, supplementary characters as surrogate pairs).
 * Returns the byte length, -EILSEQ for invalid UTF-8, -ENOSPC when OUT is too small. */
int text_utf8_to_ucs2(const char *text, size_t len, uint8_t *out, size_t cap);

/* Encodes UTF-8 TEXT to unpacked GSM 7-bit septets (extension characters as ESC + code).
 * Returns the septet count, -EILSEQ when a character is not in the GSM alphabet. */
int text_utf8_to_gsm7(const char *text, size_t len, uint8_t *out, size_t cap);

/* One part of an encoded MT message, ready for submit_sm's short_message. */
struct text_part {
    uint8_t data[160]; /* UDH (when concatenated) followed by the payload */
    uint8_t len;       /* bytes in data: at most 140 for UCS-2, 160 for unpacked GSM 7-bit */
};

#define TEXT_MAX_PARTS 16

struct text_encoded {
    uint8_t data_coding; /* TEXT_DCS_DEFAULT or TEXT_DCS_UCS2 */
    uint8_t esm_class;   /* 0x40 (UDH indicator) when nparts > 1 */
    unsigned nparts;     /* 1..TEXT_MAX_PARTS */
    struct text_part part[TEXT_MAX_PARTS];
};

/* Encodes TEXT for sending: GSM 7-bit when it fits the alphabet (160 septets in one part,
 * 153 per part when concatenated), else UCS-2 (70 characters, 67 per part). Concatenated
 * parts carry an 8-bit-reference UDH (05 00 03 REF TOTAL SEQ); a surrogate pair or a GSM
 * escape sequence is never split between parts. REF is the caller's reference number.
 * Returns 0, -EILSEQ for invalid UTF-8, -EMSGSIZE when more than TEXT_MAX_PARTS are needed. */
int text_encode(const char *text, size_t len, uint8_t ref, struct text_encoded *out);

/* As text_encode, with ASCII (one byte a character, data_coding 0: CMPP's Msg_Fmt 0) in
 * place of GSM 7-bit: 160 characters in one part, 153 a part when concatenated; UCS-2 when
 * a character is not ASCII. */
int text_encode_ascii(const char *text, size_t len, uint8_t ref, struct text_encoded *out);

#endif
