/*
 * codeplan.h: the code plan of DESIGN.md. A product code ("10") plus a zero-padded sequence
 * ("001", width = digits of the quota) makes the SMS code "10001"; the service number plus the
 * SMS code makes the phone code "1008610001". Pure functions, no I/O, no allocation.
 * Every function returns 0 or a negative errno (-EINVAL bad input, -ERANGE out of bounds,
 * -ENOSPC output buffer too small).
 */
#ifndef ERM_CODEPLAN_H
#define ERM_CODEPLAN_H

#include <stddef.h>
#include <stdint.h>

#define CODEPLAN_MAX_QUOTA       9999999u /* at most 7 sequence digits (a carrier-wide campaign) */
#define CODEPLAN_MAX_PRODUCT_LEN 8        /* digits in a product code */
#define CODEPLAN_MAX_CODE_LEN    (CODEPLAN_MAX_PRODUCT_LEN + 7)
#define CODEPLAN_MAX_SERVICE_LEN 20
/* Digits of a phone code (service number + SMS code) at most: what an SMPP destination_addr
 * (21 octets with its NUL) and a CMPP Dest_Id (21 octets) hold. */
#define CODEPLAN_MAX_ADDR_LEN 20

/* Sequence width for QUOTA: its number of decimal digits (100 -> 3, 99 -> 2, 9 -> 1).
 * Returns the width (1..7), or -ERANGE when QUOTA is 0 or above CODEPLAN_MAX_QUOTA. */
int codeplan_width(uint32_t quota);

/* Checks a product code: 1..CODEPLAN_MAX_PRODUCT_LEN ASCII digits, not starting with '0'.
 * Returns 0 or -EINVAL. */
int codeplan_check_product(const char *product);

/* Checks a service number: 3..CODEPLAN_MAX_SERVICE_LEN ASCII digits. 0 or -EINVAL. */
int codeplan_check_service(const char *service);

/* Writes the SMS code of sequence SEQ (1..quota) of PRODUCT into OUT (caller's buffer of
 * CAP bytes, NUL-terminated). -EINVAL bad product, -ERANGE seq outside 1..quota or quota
 * outside 1..CODEPLAN_MAX_QUOTA, -ENOSPC. */
int codeplan_sms_code(const char *product, uint32_t quota, uint32_t seq, char *out, size_t cap);

/* Writes SERVICE followed by SMS_CODE (1..CODEPLAN_MAX_CODE_LEN digits) into OUT (caller's
 * buffer, NUL-terminated). -EINVAL for a bad service or code, -ENOSPC. */
int codeplan_phone_code(const char *service, const char *sms_code, char *out, size_t cap);

/* Splits CODE by a product it may belong to: succeeds when CODE is PRODUCT followed by exactly
 * codeplan_width(QUOTA) digits forming a sequence in 1..QUOTA; stores it in *SEQ.
 * -EINVAL when CODE is not of that product (or PRODUCT is malformed), -ERANGE when the
 * sequence is 0 or above quota or QUOTA itself is out of 1..CODEPLAN_MAX_QUOTA. */
int codeplan_parse(const char *code, const char *product, uint32_t quota, uint32_t *seq);

/* The pool's clash rule; the requirement is that a code never parses two ways.
 * A code parses as product P (width w) only when it is P followed by exactly w digits, so
 * a code of length n parses both ways only if one product code is a prefix of the other (or
 * equal) AND len(A) + width(A) == len(B) + width(B). The rule implemented is stricter and
 * simpler, and does not depend on which sequences are in range:
 *   - equal product codes always clash (whatever the quotas);
 *   - a product code that is a proper prefix of the other clashes when the widths differ;
 *   - anything else (no prefix relation, or a prefix with the same width) does not clash.
 * It covers the requirement: with a proper prefix, len(A) != len(B), so equal code lengths
 * need different widths. Examples: "10"/100 (w3) vs "100"/10 (w2) clash (10001 parses both
 * ways); "10"/100 vs "100"/100 (both w3, codes of 5 vs 6 digits) live together; "10"/99
 * vs "100"/1000 (w2 vs w4, 4 vs 7 digits) is refused although no code is ambiguous: that
 * is DESIGN.md's rule as stated, and easier to explain to a manager than code lengths.
 * The width follows the quota, so a change of quota must be checked again against the pool.
 * Returns 1 on clash, 0 when they can live together, -EINVAL for a bad product code or
 * quota (a caller testing "if (codeplan_clash(...))" refuses it too). */
int codeplan_clash(const char *product_a, uint32_t quota_a, const char *product_b,
                   uint32_t quota_b);

/* When DEST is SERVICE followed by one or more digits (a phone code "1008610001" routed to
 * the bind), writes the extension ("10001") to EXT and returns 1; returns 0 when DEST is the
 * service number itself, -EINVAL when DEST is neither (or SERVICE is malformed), -ENOSPC
 * when the extension does not fit EXT. The extension is not checked further: its length
 * and shape are the caller's to judge (cmd_parse_mo wants an order code). Leading '+' or "86"
 * country prefix on DEST is not stripped: carriers route the short number as is. */
int codeplan_split_dest(const char *service, const char *dest, char *ext, size_t cap);

#endif
