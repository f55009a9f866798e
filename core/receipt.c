/*
 * receipt.c: delivery receipt texts, states and message ids (see receipt.h). Table-driven:
 * the keys of the text, the message_state values and the long stat words are tables.
 */
#include "core/receipt.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Where each key of the text goes; "text:" ends the parse and has no field. */
static const struct {
    const char *key; /* with its colon */
    size_t offset;
    size_t size;
} receipt_keys[] = {
    {"id:", offsetof(struct receipt, id), RECEIPT_ID_MAX},
    {"stat:", offsetof(struct receipt, stat), RECEIPT_STAT_MAX},
    {"err:", offsetof(struct receipt, err), RECEIPT_ERR_MAX},
    {"submit date:", offsetof(struct receipt, submit_date), RECEIPT_DATE_MAX},
    {"done date:", offsetof(struct receipt, done_date), RECEIPT_DATE_MAX},
    {"sub:", 0, 0},
    {"dlvrd:", 0, 0},
    {"text:", 0, 0},
};

#define RECEIPT_NKEYS (sizeof receipt_keys / sizeof receipt_keys[0])

const char *const receipt_ids_words[] = {"same", "hex_dec", "dec_hex", NULL};

static const char *const receipt_states[] = {
    NULL, "ENROUTE", "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD",
};

static const struct {
    const char *word;
    const char *stat;
} receipt_long_words[] = {
    {"DELIVERED", "DELIVRD"}, {"UNDELIVERABLE", "UNDELIV"}, {"ACCEPTED", "ACCEPTD"},
    {"REJECTED", "REJECTD"},  {"DELETED", "DELETED"},       {"EXPIRED", "EXPIRED"},
};

static int receipt_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The key of the table that starts TEXT[0..LEN), case aside; -1 for none. */
static int receipt_key_at(const char *text, size_t len)
{
    for (size_t k = 0; k < RECEIPT_NKEYS; k++) {
        size_t n = strlen(receipt_keys[k].key);
        if (n <= len && strncasecmp(text, receipt_keys[k].key, n) == 0)
            return (int)k;
    }
    return -1;
}

int receipt_parse(const char *text, size_t len, struct receipt *r)
{
    int found = 0;
    size_t pos = 0;
    memset(r, 0, sizeof *r);
    while (pos < len) {
        while (pos < len && receipt_space(text[pos]))
            pos++;
        int k = receipt_key_at(text + pos, len - pos);
        if (k >= 0 && strcmp(receipt_keys[k].key, "text:") == 0)
            break;
        if (k >= 0)
            pos += strlen(receipt_keys[k].key);
        size_t start = pos;
        while (pos < len && !receipt_space(text[pos]))
            pos++;
        if (k < 0 || receipt_keys[k].size == 0)
            continue;
        char *field = (char *)r + receipt_keys[k].offset;
        size_t n = pos - start;
        if (n >= receipt_keys[k].size)
            n = receipt_keys[k].size - 1;
        memcpy(field, text + start, n);
        field[n] = '\0';
        found |= field[0] != '\0' && (field == r->id || field == r->stat);
    }
    for (char *p = r->stat; *p != '\0'; p++)
        *p = (char)toupper((unsigned char)*p);
    if (!found) {
        memset(r, 0, sizeof *r);
        return -EINVAL;
    }
    return 0;
}

const char *receipt_state_stat(unsigned state)
{
    if (state == 0 || state >= sizeof receipt_states / sizeof receipt_states[0])
        return NULL;
    return receipt_states[state];
}

int receipt_stat_norm(const char *stat, char *out)
{
    size_t n = strlen(stat);
    if (n == 0 || n >= RECEIPT_STAT_MAX)
        return -EINVAL;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)toupper((unsigned char)stat[i]);
    for (size_t i = 0; i < sizeof receipt_long_words / sizeof receipt_long_words[0]; i++)
        if (strcmp(out, receipt_long_words[i].word) == 0)
            snprintf(out, RECEIPT_STAT_MAX, "%s", receipt_long_words[i].stat);
    return 0;
}

int receipt_stat_final(const char *stat)
{
    return stat[0] != '\0' && strcmp(stat, "ENROUTE") != 0;
}

/* Reads S (all digits of BASE, checked by the caller) into OUT as a decimal string; leaves
 * OUT "" when the value does not fit 64 bits. */
static void receipt_value(const char *s, unsigned base, char *out)
{
    uint64_t v = 0;
    out[0] = '\0';
    for (; *s != '\0'; s++) {
        unsigned d = isdigit((unsigned char)*s) ? (unsigned)(*s - '0')
                                                : (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
        if (v > (UINT64_MAX - d) / base)
            return;
        v = v * base + d;
    }
    snprintf(out, RECEIPT_NUM_MAX, "%llu", (unsigned long long)v);
}

int receipt_id_norm(const char *id, struct receipt_id *out)
{
    memset(out, 0, sizeof *out);
    while (receipt_space(*id))
        id++;
    size_t n = strlen(id);
    while (n > 0 && receipt_space(id[n - 1]))
        n--;
    if (n == 0 || n >= RECEIPT_ID_MAX)
        return -EINVAL;
    int all_dec = 1, all_hex = 1;
    for (size_t i = 0; i < n; i++) {
        all_dec &= isdigit((unsigned char)id[i]) != 0;
        all_hex &= isxdigit((unsigned char)id[i]) != 0;
    }
    /* A number's text: lower case, leading zeros dropped ("0000007B" is "7b"). */
    size_t skip = 0;
    while (all_hex && skip + 1 < n && id[skip] == '0')
        skip++;
    for (size_t i = skip; i < n; i++)
        out->text[i - skip] = all_hex ? (char)tolower((unsigned char)id[i]) : id[i];
    out->text[n - skip] = '\0';
    if (all_dec)
        receipt_value(out->text, 10, out->dec);
    if (all_hex)
        receipt_value(out->text, 16, out->hex);
    return 0;
}
