/*
 * web_conf.c: ermweb's key table of web_conf.h and a small INI reader for it: sections in
 * brackets, "key = value" lines, ';' or '#' comments (also after a value), blank lines.
 */
#include "web/web_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum web_conf_kind { WEB_CONF_TEXT, WEB_CONF_BOOL, WEB_CONF_INT };

struct web_conf_key {
    const char *section, *name;
    enum web_conf_kind kind;
    size_t offset, size; /* of the field in struct web_conf; SIZE of a text field */
    long min, max;       /* of an int */
};

#define WEB_TEXT(sec, key, field)                                                                  \
    {                                                                                              \
        sec, key, WEB_CONF_TEXT, offsetof(struct web_conf, field),                                 \
            sizeof(((struct web_conf *)0)->field), 0, 0                                            \
    }
#define WEB_INT(sec, key, field, lo, hi)                                                           \
    {                                                                                              \
        sec, key, WEB_CONF_INT, offsetof(struct web_conf, field), 0, lo, hi                        \
    }
#define WEB_BOOL(sec, key, field)                                                                  \
    {                                                                                              \
        sec, key, WEB_CONF_BOOL, offsetof(struct web_conf, field), 0, 0, 1                         \
    }

static const struct web_conf_key web_conf_keys[] = {
    WEB_TEXT("web", "listen", listen),
    WEB_BOOL("web", "secure_cookies", secure_cookies),
    WEB_BOOL("web", "trust_proxy", trust_proxy),
    WEB_TEXT("web", "static_dir", static_dir),
    WEB_INT("web", "threads", threads, 1, 64),
    WEB_INT("web", "session_hours", session_hours, 1, 720),
    WEB_TEXT("web", "code_source", code_source),
    WEB_INT("web", "code_per_address", code_per_address, 1, 100000),
    WEB_TEXT("database", "conninfo", conninfo),
};
#define WEB_CONF_NKEYS (sizeof web_conf_keys / sizeof web_conf_keys[0])

#ifndef ERM_WEB_STATIC_DIR
#define ERM_WEB_STATIC_DIR "/usr/local/share/ermgw/web"
#endif

void web_conf_defaults(struct web_conf *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->static_dir, sizeof c->static_dir, "%s", ERM_WEB_STATIC_DIR);
    c->threads = 4;
    c->session_hours = 12;
    snprintf(c->code_source, sizeof c->code_source, "10086");
    c->code_per_address = 20;
}

/* Trims spaces and tabs around S in place; returns the start. */
static char *web_conf_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Stores VALUE into C's field of K. 0, or -EINVAL with WHY. */
static int web_conf_set(struct web_conf *c, const struct web_conf_key *k, const char *value,
                        const char **why)
{
    char *field = (char *)c + k->offset;
    if (k->kind == WEB_CONF_TEXT) {
        if (strlen(value) >= k->size) {
            *why = "too long";
            return -EINVAL;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    if (k->kind == WEB_CONF_BOOL) {
        int yes = strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 ||
                  strcmp(value, "on") == 0 || strcmp(value, "1") == 0;
        int no = strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
                 strcmp(value, "off") == 0 || strcmp(value, "0") == 0;
        if (!yes && !no) {
            *why = "not yes or no";
            return -EINVAL;
        }
        *(int *)field = yes;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || v < k->min || v > k->max) {
        *why = "not a whole number in range";
        return -EINVAL;
    }
    *(int *)field = (int)v;
    return 0;
}

/* Handles the "key = value" line LINE of SECTION. 0 or -EINVAL with ERR. */
static int web_conf_line(const char *file, unsigned lineno, const char *section, char *line,
                         struct web_conf *c, char *err, size_t errlen)
{
    char *eq = strchr(line, '=');
    if (eq == NULL) {
        snprintf(err, errlen, "%s:%u: [%s]: not a \"key = value\" line", file, lineno, section);
        return -EINVAL;
    }
    *eq = '\0';
    char *key = web_conf_trim(line), *value = eq + 1;
    value[strcspn(value, ";#")] = '\0';
    value = web_conf_trim(value);
    const char *why = "unknown key";
    int strict = strcmp(section, "web") == 0; /* [database]'s other keys are ermgw's */
    for (size_t i = 0; i < WEB_CONF_NKEYS; i++) {
        const struct web_conf_key *k = &web_conf_keys[i];
        if (strcmp(k->section, section) == 0 && strcmp(k->name, key) == 0) {
            if (web_conf_set(c, k, value, &why) == 0)
                return 0;
            strict = 1;
            break;
        }
    }
    if (!strict)
        return 0;
    snprintf(err, errlen, "%s:%u: [%s] %s: %s", file, lineno, section, key, why);
    return -EINVAL;
}

/* 1 when SECTION is one this table reads (others are ermgw's). */
static int web_conf_ours(const char *section)
{
    return strcmp(section, "web") == 0 || strcmp(section, "database") == 0;
}

int web_conf_parse(const char *file, const char *text, struct web_conf *c, char *err, size_t errlen)
{
    char section[64] = "";
    int seen_web = 0;
    web_conf_defaults(c);
    for (unsigned lineno = 1; *text != '\0'; lineno++) {
        size_t n = strcspn(text, "\n");
        char buf[2048];
        if (n >= sizeof buf) {
            snprintf(err, errlen, "%s:%u: line too long", file, lineno);
            return -EINVAL;
        }
        memcpy(buf, text, n);
        buf[n] = '\0';
        text += n + (text[n] == '\n');
        char *line = web_conf_trim(buf);
        if (line[0] == '\0' || line[0] == ';' || line[0] == '#')
            continue;
        if (line[0] == '[') {
            char *close = strchr(line, ']');
            if (close == NULL || (size_t)(close - line - 1) >= sizeof section) {
                snprintf(err, errlen, "%s:%u: bad section line", file, lineno);
                return -EINVAL;
            }
            *close = '\0';
            snprintf(section, sizeof section, "%s", line + 1);
            seen_web |= strcmp(section, "web") == 0;
            continue;
        }
        if (web_conf_ours(section)) {
            int rc = web_conf_line(file, lineno, section, line, c, err, errlen);
            if (rc < 0)
                return rc;
        }
    }
    if (!seen_web || c->listen[0] == '\0') {
        snprintf(err, errlen, "%s: [web] listen: missing (e.g. listen = 127.0.0.1:8080)", file);
        return -EINVAL;
    }
    return 0;
}

int web_conf_load(const char *file, struct web_conf *c, char *err, size_t errlen)
{
    FILE *f = fopen(file, "rb");
    if (f == NULL) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", file, strerror(e));
        return -e;
    }
    char *text = malloc(1 << 20);
    size_t n = text != NULL ? fread(text, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (text == NULL) {
        snprintf(err, errlen, "%s: out of memory", file);
        return -ENOMEM;
    }
    text[n] = '\0';
    int rc = web_conf_parse(file, text, c, err, errlen);
    free(text);
    return rc;
}
