/*
 * check_textcodec.c: unit tests of core/textcodec.c: GSM 03.38 decoding (main and extension
 * tables), Latin-1, UCS-2 as UTF-16 (surrogate pairs, lone surrogates, odd lengths), the
 * UTF-8 encoders, and text_encode's choice of alphabet and segmentation at the exact
 * boundaries (160/161 septets, 70/71 UCS-2 units, an escape or a surrogate pair across a
 * part boundary, the part limit).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/textcodec.h"

#define FFFD "\xef\xbf\xbd"

/* ---- decoding ---- */

static void check_gsm(const uint8_t *in, size_t len, const char *want)
{
    char out[64];

    ck_assert_int_eq(text_gsm7_to_utf8(in, len, out, sizeof out), (int)strlen(want));
    ck_assert_str_eq(out, want);
}

START_TEST(test_gsm7_main)
{
    static const uint8_t hello[] = {'H', 'e', 'l', 'l', 'o', ' ', '1', '0', '0', '0', '1'};
    static const uint8_t specials[] = {0x00, 0x01, 0x02, 0x03, 0x09, 0x11,
                                       0x24, 0x40, 0x5F, 0x60, 0x7F};
    static const uint8_t greek[] = {0x10, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A};

    check_gsm(hello, sizeof hello, "Hello 10001");
    check_gsm(specials, sizeof specials, "@£$¥Ç_¤¡§¿à");
    check_gsm(greek, sizeof greek, "ΔΦΓΛΩΠΨΣΘΞ");
}
END_TEST

START_TEST(test_gsm7_extension)
{
    static const uint8_t ext[] = {0x1B, 0x65, 0x1B, 0x28, 0x1B, 0x29, 0x1B, 0x3C, 0x1B,
                                  0x3E, 0x1B, 0x3D, 0x1B, 0x2F, 0x1B, 0x40, 0x1B, 0x14};
    static const uint8_t euro_price[] = {'5', 0x1B, 0x65};
    static const uint8_t unknown_ext[] = {0x1B, 'A'}; /* 03.38: shown as the main table's */
    static const uint8_t esc_esc[] = {0x1B, 0x1B, 'x'};
    static const uint8_t lone_esc[] = {'a', 0x1B};
    static const uint8_t high[] = {'a', 0x80, 'b'};

    check_gsm(ext, sizeof ext, "€{}[]~\\|^");
    check_gsm(euro_price, sizeof euro_price, "5€");
    check_gsm(unknown_ext, sizeof unknown_ext, "A");
    check_gsm(esc_esc, sizeof esc_esc, " x");
    check_gsm(lone_esc, sizeof lone_esc, "a" FFFD);
    check_gsm(high, sizeof high, "a" FFFD "b");
}
END_TEST

/* Every septet of the main table decodes to one character that encodes back to itself. */
START_TEST(test_gsm7_table_roundtrip)
{
    uint8_t sept = (uint8_t)_i, back[4];
    char utf8[8];
    int n;

    if (sept == 0x1B)
        return;
    n = text_gsm7_to_utf8(&sept, 1, utf8, sizeof utf8);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(text_utf8_to_gsm7(utf8, (size_t)n, back, sizeof back), 1);
    ck_assert_uint_eq(back[0], sept);
}
END_TEST

START_TEST(test_latin1)
{
    static const uint8_t cafe[] = {'c', 'a', 'f', 0xE9, ' ', 0xA3, '5'};
    static const uint8_t nul[] = {'a', 0x00, 'b'};
    char out[32];

    ck_assert_int_eq(text_latin1_to_utf8(cafe, sizeof cafe, out, sizeof out), 9);
    ck_assert_str_eq(out, "café £5");
    ck_assert_int_eq(text_latin1_to_utf8(nul, sizeof nul, out, sizeof out), 5);
    ck_assert_str_eq(out, "a" FFFD "b");
}
END_TEST

static void check_ucs2(const uint8_t *in, size_t len, const char *want)
{
    char out[64];

    ck_assert_int_eq(text_ucs2_to_utf8(in, len, out, sizeof out), (int)strlen(want));
    ck_assert_str_eq(out, want);
}

START_TEST(test_ucs2)
{
    static const uint8_t nihao[] = {0x4F, 0x60, 0x59, 0x7D};
    static const uint8_t code[] = {0x00, 0x31, 0x00, 0x30, 0xFF, 0x11, 0x30, 0x00};
    static const uint8_t emoji[] = {0xD8, 0x3D, 0xDE, 0x00, 0x00, 0x21};

    check_ucs2(nihao, sizeof nihao, "你好");
    check_ucs2(code, sizeof code, "10１　");
    check_ucs2(emoji, sizeof emoji, "\xf0\x9f\x98\x80!"); /* U+1F600 */
    check_ucs2(nihao, 0, "");
}
END_TEST

START_TEST(test_ucs2_broken)
{
    static const uint8_t lone_high_end[] = {0x00, 0x41, 0xD8, 0x3D};
    static const uint8_t lone_high_mid[] = {0xD8, 0x3D, 0x00, 0x41};
    static const uint8_t high_high_low[] = {0xD8, 0x3D, 0xD8, 0x3D, 0xDE, 0x00};
    static const uint8_t lone_low[] = {0xDE, 0x00, 0x00, 0x41};
    static const uint8_t odd[] = {0x00, 0x41, 0x00};
    static const uint8_t odd_high[] = {0xD8, 0x3D, 0xDE};
    static const uint8_t nul[] = {0x00, 0x00, 0x00, 0x41};

    check_ucs2(lone_high_end, sizeof lone_high_end, "A" FFFD);
    check_ucs2(lone_high_mid, sizeof lone_high_mid, FFFD "A");
    check_ucs2(high_high_low, sizeof high_high_low, FFFD "\xf0\x9f\x98\x80");
    check_ucs2(lone_low, sizeof lone_low, FFFD "A");
    check_ucs2(odd, sizeof odd, "A" FFFD);
    check_ucs2(odd_high, sizeof odd_high, FFFD FFFD);
    check_ucs2(nul, sizeof nul, FFFD "A");
}
END_TEST

START_TEST(test_decode_dispatch)
{
    static const uint8_t at[] = {0x00, 0x41};
    char out[16];

    ck_assert_int_eq(text_decode(TEXT_DCS_DEFAULT, at, 2, out, sizeof out), 2);
    ck_assert_str_eq(out, "@A");
    ck_assert_int_eq(text_decode(TEXT_DCS_UCS2, at, 2, out, sizeof out), 1);
    ck_assert_str_eq(out, "A");
    ck_assert_int_eq(text_decode(TEXT_DCS_LATIN1, at + 1, 1, out, sizeof out), 1);
    ck_assert_str_eq(out, "A");
    ck_assert_int_eq(text_decode(TEXT_DCS_IA5, at + 1, 1, out, sizeof out), 1);
    ck_assert_str_eq(out, "A");
    ck_assert_int_eq(text_decode(0x04, at, 2, out, sizeof out), -ENOTSUP);
    ck_assert_int_eq(text_decode(TEXT_DCS_GB, at + 1, 1, out, sizeof out), 1);
    ck_assert_str_eq(out, "A");
}
END_TEST

/* GSM 03.38's coding groups with a message class, as some SMSCs pass them through. */
START_TEST(test_decode_gsm_groups)
{
    static const uint8_t nihao[] = {0x4F, 0x60, 0x59, 0x7D};
    static const uint8_t at[] = {0x00, 0x41};
    char out[16];

    for (unsigned dcs = 0x18; dcs <= 0x1B; dcs++) {
        ck_assert_int_eq(text_decode((uint8_t)dcs, nihao, 4, out, sizeof out), 6);
        ck_assert_str_eq(out, "你好");
    }
    ck_assert_int_eq(text_decode(0x10, at, 2, out, sizeof out), 2);
    ck_assert_str_eq(out, "@A");
    ck_assert_int_eq(text_decode(0xF1, at, 2, out, sizeof out), 2);
    ck_assert_str_eq(out, "@A");
    ck_assert_int_eq(text_decode(0x14, at, 2, out, sizeof out), -ENOTSUP); /* 8-bit data */
    ck_assert_int_eq(text_decode(0xF4, at, 2, out, sizeof out), -ENOTSUP);
    ck_assert_int_eq(text_decode(0x20, at, 2, out, sizeof out), -ENOTSUP); /* compressed */
}
END_TEST

/* GB2312 / GBK / GB18030 (data_coding 15): Chinese text, and bad bytes as U+FFFD. */
START_TEST(test_decode_gb)
{
    /* "订购10001" in GB2312: 订 = B6 A9, 购 = B9 BA. */
    static const uint8_t order[] = {0xB6, 0xA9, 0xB9, 0xBA, '1', '0', '0', '0', '1'};
    /* A four-byte GB18030 character (U+1F600) and the euro sign (A2 E3). */
    static const uint8_t four[] = {0x94, 0x39, 0xFC, 0x36, 0xA2, 0xE3};
    static const uint8_t bad[] = {'A', 0xFF, 'B', 0x00, 'C', 0xB6};
    char out[32];

    ck_assert_int_eq(text_decode(TEXT_DCS_GB, order, sizeof order, out, sizeof out), 11);
    ck_assert_str_eq(out, "订购10001");
    ck_assert_int_eq(text_gb18030_to_utf8(four, sizeof four, out, sizeof out), 7);
    ck_assert_str_eq(out, "\xf0\x9f\x98\x80\xe2\x82\xac");
    ck_assert_int_eq(text_gb18030_to_utf8(bad, sizeof bad, out, sizeof out), 12);
    ck_assert_str_eq(out, "A" FFFD "B" FFFD "C" FFFD);
    ck_assert_int_eq(text_gb18030_to_utf8(order, sizeof order, out, 11), -ENOSPC);
    ck_assert_int_eq(text_gb18030_to_utf8(order, sizeof order, out, 12), 11);
    ck_assert_int_eq(text_gb18030_to_utf8(order, 0, out, 1), 0);
    ck_assert_int_eq(text_gb18030_to_utf8(NULL, 2, out, sizeof out), -EINVAL);
}
END_TEST

START_TEST(test_decode_nospace)
{
    static const uint8_t nihao[] = {0x4F, 0x60, 0x59, 0x7D};
    static const uint8_t euro[] = {0x1B, 0x65};
    char out[8];

    ck_assert_int_eq(text_ucs2_to_utf8(nihao, 4, out, 6), -ENOSPC); /* no room for NUL */
    ck_assert_int_eq(text_ucs2_to_utf8(nihao, 4, out, 7), 6);
    ck_assert_int_eq(text_ucs2_to_utf8(nihao, 4, out, 4), -ENOSPC); /* not even 2nd char */
    ck_assert_int_eq(text_gsm7_to_utf8(euro, 2, out, 3), -ENOSPC);
    ck_assert_int_eq(text_gsm7_to_utf8(euro, 2, out, 4), 3);
    ck_assert_int_eq(text_latin1_to_utf8(euro, 0, out, 0), -ENOSPC);
    ck_assert_int_eq(text_latin1_to_utf8(NULL, 2, out, sizeof out), -EINVAL);
}
END_TEST

/* ---- UTF-8 helpers and plain encoders ---- */

START_TEST(test_utf8_next)
{
    static const char *const bad[] = {
        "\xff",
        "\x80",
        "\xc0\x80",
        "\xc1\xbf",
        "\xe0\x80\x80",
        "\xed\xa0\x80",
        "\xf4\x90\x80\x80",
        "\xe4\xbd",
        "\xe4\x41\x80",
        "\xf5\x80\x80\x80",
    };
    const char *s = "A\xc2\xa3\xe4\xbd\xa0\xf4\x8f\xbf\xbf";
    size_t pos = 0, i;
    uint32_t cp;

    ck_assert_int_eq(text_utf8_next(s, strlen(s), &pos, &cp), 0);
    ck_assert_uint_eq(cp, 'A');
    ck_assert_int_eq(text_utf8_next(s, strlen(s), &pos, &cp), 0);
    ck_assert_uint_eq(cp, 0xA3);
    ck_assert_int_eq(text_utf8_next(s, strlen(s), &pos, &cp), 0);
    ck_assert_uint_eq(cp, 0x4F60);
    ck_assert_int_eq(text_utf8_next(s, strlen(s), &pos, &cp), 0);
    ck_assert_uint_eq(cp, 0x10FFFF);
    ck_assert_uint_eq(pos, strlen(s));
    ck_assert_int_eq(text_utf8_next(s, strlen(s), &pos, &cp), -EINVAL);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pos = 0;
        ck_assert_msg(text_utf8_next(bad[i], strlen(bad[i]), &pos, &cp) == -EILSEQ, "bad %zu", i);
        ck_assert_uint_eq(pos, 1); /* one byte on, for a lenient caller */
    }
}
END_TEST

START_TEST(test_utf8_put)
{
    char out[8];
    size_t pos = 0;

    ck_assert_int_eq(text_utf8_put(0x1F600, out, sizeof out, &pos), 0);
    ck_assert_int_eq(text_utf8_put(0x20AC, out, sizeof out, &pos), 0);
    ck_assert_uint_eq(pos, 7);
    ck_assert_mem_eq(out, "\xf0\x9f\x98\x80\xe2\x82\xac", 7);
    ck_assert_int_eq(text_utf8_put(0xE9, out, sizeof out, &pos), -ENOSPC);
    ck_assert_int_eq(text_utf8_put('x', out, sizeof out, &pos), 0);
    ck_assert_uint_eq(pos, 8);
    pos = 0;
    ck_assert_int_eq(text_utf8_put(0xD800, out, sizeof out, &pos), -EILSEQ);
    ck_assert_int_eq(text_utf8_put(0x110000, out, sizeof out, &pos), -EILSEQ);
    ck_assert_uint_eq(pos, 0);
}
END_TEST

START_TEST(test_utf8_to_ucs2)
{
    static const uint8_t want[] = {0x00, 0x41, 0x4F, 0x60, 0xD8, 0x3D, 0xDE, 0x00};
    const char *s = "A你\xf0\x9f\x98\x80";
    uint8_t out[16];

    ck_assert_int_eq(text_utf8_to_ucs2(s, strlen(s), out, sizeof out), 8);
    ck_assert_mem_eq(out, want, 8);
    ck_assert_int_eq(text_utf8_to_ucs2(s, strlen(s), out, 7), -ENOSPC); /* pair not split */
    ck_assert_int_eq(text_utf8_to_ucs2("\xc0\x80", 2, out, sizeof out), -EILSEQ);
    ck_assert_int_eq(text_utf8_to_ucs2("\xed\xa0\x80", 3, out, sizeof out), -EILSEQ);
    ck_assert_int_eq(text_utf8_to_ucs2("", 0, out, sizeof out), 0);
}
END_TEST

START_TEST(test_utf8_to_gsm7)
{
    static const uint8_t want[] = {0x00, 0x01, 0x02, 0x1B, 0x65, 0x1B, 0x28, 0x0A, 0x11};
    const char *s = "@£$€{\n_";
    uint8_t out[16];

    ck_assert_int_eq(text_utf8_to_gsm7(s, strlen(s), out, sizeof out), 9);
    ck_assert_mem_eq(out, want, 9);
    ck_assert_int_eq(text_utf8_to_gsm7("你", 3, out, sizeof out), -EILSEQ);
    ck_assert_int_eq(text_utf8_to_gsm7("`", 1, out, sizeof out), -EILSEQ);
    ck_assert_int_eq(text_utf8_to_gsm7("\xff", 1, out, sizeof out), -EILSEQ);
    ck_assert_int_eq(text_utf8_to_gsm7("a€", 4, out, 2), -ENOSPC); /* escape not split */
}
END_TEST

/* ---- text_encode ---- */

static char big[8192];

/* Fills BIG with N copies of the UTF-8 character C after PREFIX and returns the length. */
static size_t fill(const char *prefix, const char *c, size_t n, const char *suffix)
{
    size_t len = strlen(prefix), cl = strlen(c), i;

    memcpy(big, prefix, len);
    for (i = 0; i < n; i++, len += cl)
        memcpy(big + len, c, cl);
    memcpy(big + len, suffix, strlen(suffix) + 1);
    return len + strlen(suffix);
}

static void check_udh(const struct text_encoded *e, uint8_t ref)
{
    unsigned i;

    ck_assert_uint_eq(e->esm_class, 0x40);
    for (i = 0; i < e->nparts; i++) {
        const uint8_t *d = e->part[i].data;
        ck_assert_uint_eq(d[0], 0x05);
        ck_assert_uint_eq(d[1], 0x00);
        ck_assert_uint_eq(d[2], 0x03);
        ck_assert_uint_eq(d[3], ref);
        ck_assert_uint_eq(d[4], e->nparts);
        ck_assert_uint_eq(d[5], i + 1);
    }
}

static struct text_encoded enc;

START_TEST(test_encode_gsm_single)
{
    ck_assert_int_eq(text_encode("Hello", 5, 7, &enc), 0);
    ck_assert_uint_eq(enc.data_coding, TEXT_DCS_DEFAULT);
    ck_assert_uint_eq(enc.esm_class, 0);
    ck_assert_uint_eq(enc.nparts, 1);
    ck_assert_uint_eq(enc.part[0].len, 5);
    ck_assert_mem_eq(enc.part[0].data, "Hello", 5);

    ck_assert_int_eq(text_encode("", 0, 7, &enc), 0);
    ck_assert_uint_eq(enc.nparts, 1);
    ck_assert_uint_eq(enc.part[0].len, 0);
}
END_TEST

/* CMPP's Msg_Fmt 0: ASCII bytes as they are ('@', '_' and '{' have other GSM codes), and
 * UCS-2 for a character outside ASCII that GSM has ('é'). */
START_TEST(test_encode_ascii)
{
    ck_assert_int_eq(text_encode_ascii("a@b_{}", 6, 7, &enc), 0);
    ck_assert_uint_eq(enc.data_coding, TEXT_DCS_DEFAULT);
    ck_assert_uint_eq(enc.nparts, 1);
    ck_assert_uint_eq(enc.part[0].len, 6);
    ck_assert_mem_eq(enc.part[0].data, "a@b_{}", 6);
    ck_assert_int_eq(text_encode_ascii("caf\xc3\xa9", 5, 7, &enc), 0);
    ck_assert_uint_eq(enc.data_coding, TEXT_DCS_UCS2);
    ck_assert_uint_eq(enc.part[0].len, 8);
    char t[161];
    memset(t, 'x', sizeof t);
    ck_assert_int_eq(text_encode_ascii(t, 160, 7, &enc), 0);
    ck_assert_uint_eq(enc.nparts, 1);
    ck_assert_int_eq(text_encode_ascii(t, 161, 9, &enc), 0);
    ck_assert_uint_eq(enc.nparts, 2);
    ck_assert_uint_eq(enc.esm_class, 0x40);
    ck_assert_uint_eq(enc.part[0].len, 6 + 153);
    ck_assert_uint_eq(enc.part[1].len, 6 + 8);
    check_udh(&enc, 9);
}
END_TEST

START_TEST(test_encode_gsm_160_161)
{
    size_t len = fill("", "a", 160, "");

    ck_assert_int_eq(text_encode(big, len, 9, &enc), 0);
    ck_assert_uint_eq(enc.nparts, 1);
    ck_assert_uint_eq(enc.part[0].len, 160);
    ck_assert_uint_eq(enc.esm_class, 0);

    len = fill("", "a", 161, "");
    ck_assert_int_eq(text_encode(big, len, 9, &enc), 0);
    ck_assert_uint_eq(enc.data_coding, TEXT_DCS_DEFAULT);
    ck_assert_uint_eq(enc.nparts, 2);
    check_udh(&enc, 9);
    ck_assert_uint_eq(enc.part[0].len, 6 + 153);
    ck_assert_uint_eq(enc.part[1].len, 6 + 8);
}
END_TEST

/* An escape counts two septets: 158 + € = 160 fits one part, 159 + € = 161 does not. */
START_TEST(test_encode_gsm_escape_counts_two)
{
    size_t len = fill("", "a", 158, "€");

    ck_assert_int_eq(text_encode(big, len, 1, &enc), 0);
    ck_assert_uint_eq(enc.nparts, 1);
    ck_assert_uint_eq(enc.part[0].len, 160);
    ck_assert_uint_eq(enc.part[0].data[158], 0x1B);
    ck_assert_uint_eq(enc.part[0].data[159], 0x65);

    len = fill("", "a", 159, "€");
    ck_assert_int_eq(text_encode(big, len, 1, &enc), 0);
    ck_assert_uint_eq(enc.nparts, 2);
}
END_TEST

/* € at septets 153-154 of a concatenated message moves whole to the second part. */
START_TEST(test_encode_gsm_escape_straddle)
{
    size_t len = fill("", "a", 152, "€bbbbbbbbbb");

    ck_assert_int_eq(text_encode(big, len, 3, &enc), 0);
    ck_assert_uint_eq(enc.data_coding, TEXT_DCS_DEFAULT);
    ck_assert_uint_eq(enc.nparts, 2);
    check_udh(&enc, 3);
    ck_assert_uint_eq(enc.part[0].len, 6 + 152);
    ck_assert_uint_eq(enc.part[0].data[6 + 151], 'a');
    ck_assert_uint_eq(enc.part[1].len, 6 + 2 + 10);
    ck_assert_uint_eq(enc.part[1].data[6], 0x1B);
    ck_assert_uint_eq(enc.part[1].data[7], 0x65);

    /* one 'a' less: the escape ends exactly at septet 153 and stays */
    len = fill("", "a", 151, "€bbbbbbbbbbb");
    ck_assert_int_eq(text_encode(big, len, 3, &enc), 0);
    ck_assert_uint_eq(enc.part[0].len, 6 + 153);
    ck_assert_uint_eq(enc.part[0].data[6 + 152], 0x65);
    ck_assert_uint_eq(enc.part[1].data[6], 'b');
}
END_TEST

START_TEST(test_encode_ucs2_70_71)
{
    size_t len = fill("", "你", 70, "");

    ck_assert_int_eq(text_encode(big, len, 5, &enc), 0);
    ck_assert_uint_eq(enc.data_coding, TEXT_DCS_UCS2);
    ck_assert_uint_eq(enc.esm_class, 0);
    ck_assert_uint_eq(enc.nparts, 1);
    ck_assert_uint_eq(enc.part[0].len, 140);
    ck_assert_uint_eq(enc.part[0].data[0], 0x4F);
    ck_assert_uint_eq(enc.part[0].data[1], 0x60);

    len = fill("", "你", 71, "");
    ck_assert_int_eq(text_encode(big, len, 5, &enc), 0);
    ck_assert_uint_eq(enc.nparts, 2);
    check_udh(&enc, 5);
    ck_assert_uint_eq(enc.part[0].len, 6 + 134);
    ck_assert_uint_eq(enc.part[1].len, 6 + 8);
}
END_TEST

/* One non-GSM character makes the whole text UCS-2, ASCII included. */
START_TEST(test_encode_mixed_is_ucs2)
{
    static const uint8_t want[] = {0x00, 'a', 0x00, '`'};

    ck_assert_int_eq(text_encode("abc你", strlen("abc你"), 0, &enc), 0);
    ck_assert_uint_eq(enc.data_coding, TEXT_DCS_UCS2);
    ck_assert_uint_eq(enc.part[0].len, 8);
    ck_assert_int_eq(text_encode("a`", 2, 0, &enc), 0);
    ck_assert_uint_eq(enc.data_coding, TEXT_DCS_UCS2);
    ck_assert_mem_eq(enc.part[0].data, want, 4);
}
END_TEST

/* A surrogate pair counts two units: 68 + pair = 70 fits one part, and in a concatenated
 * message a pair that would cross byte 134 moves whole to the next part. */
START_TEST(test_encode_ucs2_surrogate_straddle)
{
    size_t len = fill("", "你", 68, "\xf0\x9f\x98\x80");

    ck_assert_int_eq(text_encode(big, len, 2, &enc), 0);
    ck_assert_uint_eq(enc.nparts, 1);
    ck_assert_uint_eq(enc.part[0].len, 140);

    len = fill("", "你", 66, "\xf0\x9f\x98\x80你你你你你你你你你你");
    ck_assert_int_eq(text_encode(big, len, 2, &enc), 0);
    ck_assert_uint_eq(enc.nparts, 2);
    check_udh(&enc, 2);
    ck_assert_uint_eq(enc.part[0].len, 6 + 132);
    ck_assert_uint_eq(enc.part[0].data[6 + 130], 0x4F);
    ck_assert_uint_eq(enc.part[1].len, 6 + 4 + 20);
    ck_assert_uint_eq(enc.part[1].data[6], 0xD8);
    ck_assert_uint_eq(enc.part[1].data[7], 0x3D);
    ck_assert_uint_eq(enc.part[1].data[8], 0xDE);
    ck_assert_uint_eq(enc.part[1].data[9], 0x00);

    /* one character less before it: the pair ends exactly at byte 134 and stays */
    len = fill("", "你", 65, "\xf0\x9f\x98\x80你你你你你你你你你你");
    ck_assert_int_eq(text_encode(big, len, 2, &enc), 0);
    ck_assert_uint_eq(enc.part[0].len, 6 + 134);
    ck_assert_uint_eq(enc.part[0].data[6 + 132], 0xDE);
}
END_TEST

START_TEST(test_encode_limits)
{
    size_t len = fill("", "a", 16 * 153, "");

    ck_assert_int_eq(text_encode(big, len, 0, &enc), 0);
    ck_assert_uint_eq(enc.nparts, TEXT_MAX_PARTS);
    len = fill("", "a", 16 * 153 + 1, "");
    ck_assert_int_eq(text_encode(big, len, 0, &enc), -EMSGSIZE);
    len = fill("", "你", 16 * 67, "");
    ck_assert_int_eq(text_encode(big, len, 0, &enc), 0);
    ck_assert_uint_eq(enc.nparts, TEXT_MAX_PARTS);
    len = fill("", "你", 16 * 67 + 1, "");
    ck_assert_int_eq(text_encode(big, len, 0, &enc), -EMSGSIZE);
    ck_assert_int_eq(text_encode("a\xffz", 3, 0, &enc), -EILSEQ);
    ck_assert_int_eq(text_encode(NULL, 3, 0, &enc), -EINVAL);
}
END_TEST

/* The parts' payloads, decoded and joined, give the text back. */
START_TEST(test_encode_roundtrip)
{
    static const char *const texts[] = {
        "您已成功订购流量包10GB，感谢您的支持！\xf0\x9f\x98\x80 回复TD退订",
        "Price: 5€ {promo} [10001] ~ back\\slash | caret^ @home £1 ¥2 Ø ß",
    };
    char joined[8192], out[1024];
    size_t len, jl = 0;
    unsigned i;
    int n;

    len = fill(texts[_i], texts[_i], 12, "");
    ck_assert_int_eq(text_encode(big, len, 42, &enc), 0);
    ck_assert_uint_gt(enc.nparts, 1);
    check_udh(&enc, 42);
    for (i = 0; i < enc.nparts; i++) {
        n = text_decode(enc.data_coding, enc.part[i].data + 6, enc.part[i].len - 6u, out,
                        sizeof out);
        ck_assert_int_ge(n, 0);
        memcpy(joined + jl, out, (size_t)n);
        jl += (size_t)n;
    }
    ck_assert_uint_eq(jl, len);
    ck_assert_mem_eq(joined, big, len);
    ck_assert_uint_eq(enc.data_coding, _i == 0 ? TEXT_DCS_UCS2 : TEXT_DCS_DEFAULT);
}
END_TEST

static Suite *textcodec_suite(void)
{
    Suite *s = suite_create("textcodec");
    TCase *dec = tcase_create("decode");
    TCase *utf = tcase_create("utf8");
    TCase *en = tcase_create("encode");

    tcase_add_test(dec, test_gsm7_main);
    tcase_add_test(dec, test_gsm7_extension);
    tcase_add_loop_test(dec, test_gsm7_table_roundtrip, 0, 128);
    tcase_add_test(dec, test_latin1);
    tcase_add_test(dec, test_ucs2);
    tcase_add_test(dec, test_ucs2_broken);
    tcase_add_test(dec, test_decode_dispatch);
    tcase_add_test(dec, test_decode_gsm_groups);
    tcase_add_test(dec, test_decode_gb);
    tcase_add_test(dec, test_decode_nospace);
    tcase_add_test(utf, test_utf8_next);
    tcase_add_test(utf, test_utf8_put);
    tcase_add_test(utf, test_utf8_to_ucs2);
    tcase_add_test(utf, test_utf8_to_gsm7);
    tcase_add_test(en, test_encode_gsm_single);
    tcase_add_test(en, test_encode_gsm_160_161);
    tcase_add_test(en, test_encode_gsm_escape_counts_two);
    tcase_add_test(en, test_encode_gsm_escape_straddle);
    tcase_add_test(en, test_encode_ucs2_70_71);
    tcase_add_test(en, test_encode_mixed_is_ucs2);
    tcase_add_test(en, test_encode_ucs2_surrogate_straddle);
    tcase_add_test(en, test_encode_limits);
    tcase_add_test(en, test_encode_ascii);
    tcase_add_loop_test(en, test_encode_roundtrip, 0, 2);
    suite_add_tcase(s, dec);
    suite_add_tcase(s, utf);
    suite_add_tcase(s, en);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(textcodec_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
