/*
 * config.c: parses the INI file of ermgw and ermweb (see config.h and etc/ermgw.conf) from
 * a buffer. Pure: the caller reads the file. Table-driven: each key names its section, its
 * kind, where it goes and which program requires it, so adding a key is one line and every
 * key gets the same checks.
 */
#include "core/config.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codeplan.h"
#include "core/dialprefix.h"
#include "core/netaddr.h"
#include "core/receipt.h"

enum config_kind {
    CONFIG_STR,
    CONFIG_UINT,
    CONFIG_STATUS,
    CONFIG_LEVEL,
    CONFIG_IDS,
    CONFIG_BIND, /* transceiver | pair: stored as 0 | 1 */
    CONFIG_SIP,
    CONFIG_NAME, /* a gateway id: config_gateway_id_ok */
    CONFIG_ADDR, /* address:port or empty */
    CONFIG_BOOL, /* yes/no, true/false, on/off, 1/0 into an unsigned */
    CONFIG_CMPP_VERSION,
};

struct config_key {
    const char *section;
    const char *name;
    enum config_kind kind;
    size_t offset;
    size_t size;       /* CONFIG_STR: buffer size; numbers: sizeof the field */
    unsigned long min; /* numbers: bounds; strings: 1 when it may not be empty */
    unsigned long max;
    unsigned required; /* the readers (enum config_reader) that need it; 1 is ermgw */
};

#define CONFIG_FIELD(f) offsetof(struct erm_config, f), sizeof(((struct erm_config *)0)->f)

static const struct config_key config_keys[] = {
    {"smsc", "host", CONFIG_STR, CONFIG_FIELD(smsc_host), 1, 0, 1},
    {"smsc", "port", CONFIG_UINT, CONFIG_FIELD(smsc_port), 1, 65535, 1},
    {"smsc", "system_id", CONFIG_STR, CONFIG_FIELD(system_id), 1, 0, 1},
    {"smsc", "password", CONFIG_STR, CONFIG_FIELD(password), 0, 0, 1},
    {"smsc", "system_type", CONFIG_STR, CONFIG_FIELD(system_type), 0, 0, 0},
    {"smsc", "enquire_link_s", CONFIG_UINT, CONFIG_FIELD(enquire_link_s), 1, 3600, 0},
    {"smsc", "response_timeout_s", CONFIG_UINT, CONFIG_FIELD(response_timeout_s), 1, 600, 0},
    {"smsc", "reconnect_max_s", CONFIG_UINT, CONFIG_FIELD(reconnect_max_s), 1, 3600, 0},
    {"smsc", "max_pdu_len", CONFIG_UINT, CONFIG_FIELD(max_pdu_len), 64, 65536, 0},
    {"smsc", "binds", CONFIG_UINT, CONFIG_FIELD(binds), 1, 16, 0},
    {"smsc", "bind", CONFIG_BIND, CONFIG_FIELD(bind_pair), 1, 0, 0},
    {"smsc", "window", CONFIG_UINT, CONFIG_FIELD(window), 1, 1000, 0},
    {"smsc", "max_submit_rate", CONFIG_UINT, CONFIG_FIELD(max_submit_rate), 0, 100000, 0},
    {"smsc", "message_ids", CONFIG_IDS, CONFIG_FIELD(message_ids), 1, 0, 0},
    {"cmpp", "host", CONFIG_STR, CONFIG_FIELD(cmpp_host), 1, 0, 0},
    {"cmpp", "port", CONFIG_UINT, CONFIG_FIELD(cmpp_port), 1, 65535, 0},
    {"cmpp", "sp_id", CONFIG_STR, CONFIG_FIELD(cmpp_sp_id), 1, 0, 0},
    {"cmpp", "secret", CONFIG_STR, CONFIG_FIELD(cmpp_secret), 0, 0, 0},
    {"cmpp", "service_id", CONFIG_STR, CONFIG_FIELD(cmpp_service_id), 0, 0, 0},
    {"cmpp", "src_id", CONFIG_STR, CONFIG_FIELD(cmpp_src_id), 1, 0, 0},
    {"cmpp", "version", CONFIG_CMPP_VERSION, CONFIG_FIELD(cmpp_version), 1, 0, 0},
    {"cmpp", "window", CONFIG_UINT, CONFIG_FIELD(cmpp_window), 1, 1000, 0},
    {"cmpp", "max_submit_rate", CONFIG_UINT, CONFIG_FIELD(cmpp_max_submit_rate), 0, 1000, 0},
    {"cmpp", "active_test_s", CONFIG_UINT, CONFIG_FIELD(cmpp_active_test_s), 1, 3600, 0},
    {"cmpp", "response_timeout_s", CONFIG_UINT, CONFIG_FIELD(cmpp_response_timeout_s), 1, 600, 0},
    {"cmpp", "reconnect_max_s", CONFIG_UINT, CONFIG_FIELD(cmpp_reconnect_max_s), 1, 3600, 0},
    {"service", "number", CONFIG_STR, CONFIG_FIELD(service_number), 1, 0, 1},
    {"service", "db_unavailable_status", CONFIG_STATUS, CONFIG_FIELD(db_unavailable_status), 1,
     0xFFFFFFFFul, 0},
    {"service", "concat_timeout_s", CONFIG_UINT, CONFIG_FIELD(concat_timeout_s), 1, 86400, 0},
    {"service", "dedupe_window_s", CONFIG_UINT, CONFIG_FIELD(dedupe_window_s), 1, 604800, 0},
    {"database", "conninfo", CONFIG_STR, CONFIG_FIELD(conninfo), 0, 0, 0},
    {"database", "batch_max", CONFIG_UINT, CONFIG_FIELD(batch_max), 1, 1024, 0},
    {"database", "connections", CONFIG_UINT, CONFIG_FIELD(mo_connections), 1,
     CONFIG_MO_CONNECTIONS_MAX, 0},
    {"database", "spill", CONFIG_UINT, CONFIG_FIELD(mo_spill), 1, 65535, 0},
    {"database", "statement_timeout_s", CONFIG_UINT, CONFIG_FIELD(statement_timeout_s), 0, 86400,
     0},
    {"sip", "listen", CONFIG_SIP, CONFIG_FIELD(sip_listen), 0, 0, 0},
    {"sip", "peers", CONFIG_SIP, CONFIG_FIELD(sip_peers), 0, 0, 0},
    {"sip", "rtp_ports", CONFIG_SIP, CONFIG_FIELD(sip_rtp_ports), 1, 0, 0},
    {"sip", "prompts", CONFIG_STR, CONFIG_FIELD(sip_prompts), 0, 0, 0},
    {"sip", "max_calls", CONFIG_UINT, CONFIG_FIELD(sip_max_calls), 1, 100000, 0},
    {"sip", "strip_prefix", CONFIG_SIP, CONFIG_FIELD(sip_strip_prefix), 0, 0, 0},
    {"gateway", "id", CONFIG_NAME, CONFIG_FIELD(gateway_id), 1, 0, 0},
    {"gateway", "lease_s", CONFIG_UINT, CONFIG_FIELD(lease_s), 2, 3600, 0},
    {"admin", "listen", CONFIG_ADDR, CONFIG_FIELD(admin_listen), 0, 0, 0},
    {"log", "file", CONFIG_STR, CONFIG_FIELD(log_file), 0, 0, 0},
    {"log", "level", CONFIG_LEVEL, CONFIG_FIELD(log_level), 1, 0, 0},
    {"web", "listen", CONFIG_ADDR, CONFIG_FIELD(web_listen), 0, 0, CONFIG_ERMWEB},
    {"web", "secure_cookies", CONFIG_BOOL, CONFIG_FIELD(web_secure_cookies), 0, 1, 0},
    {"web", "trust_proxy", CONFIG_BOOL, CONFIG_FIELD(web_trust_proxy), 0, 1, 0},
    {"web", "static_dir", CONFIG_STR, CONFIG_FIELD(web_static_dir), 0, 0, 0},
    {"web", "threads", CONFIG_UINT, CONFIG_FIELD(web_threads), 1, 64, 0},
    {"web", "session_hours", CONFIG_UINT, CONFIG_FIELD(web_session_hours), 1, 720, 0},
    {"web", "code_source", CONFIG_STR, CONFIG_FIELD(web_code_source), 1, 0, 0},
    {"web", "code_per_address", CONFIG_UINT, CONFIG_FIELD(web_code_per_address), 1, 100000, 0},
};

#define CONFIG_NKEYS (sizeof config_keys / sizeof config_keys[0])

void config_defaults(struct erm_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->smsc_host, sizeof cfg->smsc_host, "127.0.0.1");
    cfg->smsc_port = 2775;
    cfg->enquire_link_s = 30;
    cfg->response_timeout_s = 10;
    cfg->reconnect_max_s = 30;
    cfg->max_pdu_len = 4096;
    cfg->window = 10;
    cfg->binds = 1;
    snprintf(cfg->service_number, sizeof cfg->service_number, "10086");
    cfg->db_unavailable_status = 0x64; /* ESME_RX_T_APPN: the SMSC retries later */
    cfg->concat_timeout_s = 600;
    cfg->message_ids = RECEIPT_IDS_SAME;
    cfg->dedupe_window_s = 600;
    cfg->batch_max = 256;
    cfg->mo_connections = 2;
    cfg->mo_spill = 64;
    cfg->statement_timeout_s = 30;
    snprintf(cfg->log_level, sizeof cfg->log_level, "info");
    snprintf(cfg->sip_rtp_ports, sizeof cfg->sip_rtp_ports, "20000-20999");
    cfg->sip_max_calls = 100;
    cfg->lease_s = 30;
    cfg->web_threads = 4;
    cfg->web_session_hours = 12;
    snprintf(cfg->web_code_source, sizeof cfg->web_code_source, "10086");
    cfg->web_code_per_address = 20;
    snprintf(cfg->cmpp_host, sizeof cfg->cmpp_host, "127.0.0.1");
    cfg->cmpp_port = 7890;
    cfg->cmpp_version = 0x30;
    cfg->cmpp_window = 16;
    cfg->cmpp_active_test_s = 60;
    cfg->cmpp_response_timeout_s = 10;
    cfg->cmpp_reconnect_max_s = 30;
}

int config_gateway_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > CONFIG_GATEWAY_ID_MAX)
        return 0;
    for (const char *p = id; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return 0;
    return 1;
}

/* Fills ERR with "FILE:LINE: [SECTION] KEY: WHY" (LINE 0 leaves the line out). */
static int config_fail(char *err, size_t errlen, const char *file, unsigned line,
                       const char *section, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static int config_fail(char *err, size_t errlen, const char *file, unsigned line,
                       const char *section, const char *key, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    char where[64] = "";
    if (line > 0)
        snprintf(where, sizeof where, "%u:", line);
    if (key != NULL)
        snprintf(err, errlen, "%s:%s [%s] %s: %s", file, where, section, key, why);
    else if (section != NULL)
        snprintf(err, errlen, "%s:%s [%s]: %s", file, where, section, why);
    else
        snprintf(err, errlen, "%s:%s %s", file, where, why);
    return -EINVAL;
}

static char *config_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

/* Strips a ';' or '#' comment that starts a value or follows white space (a value that must
 * hold one is quoted: config_unquote). */
static void config_strip_comment(char *value)
{
    for (char *p = value; *p != '\0'; p++) {
        if ((*p == ';' || *p == '#') && (p == value || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            return;
        }
    }
}

/* A value in double quotes (V starts with '"'): the text between them, with \" and \\ for a
 * quote and a backslash, written over V in place; after the closing quote only white space
 * or a comment. Returns 0, or -EINVAL with the reason in *WHY. */
static int config_unquote(char *v, const char **why)
{
    char *out = v, *p = v + 1;
    for (; *p != '\0' && *p != '"'; p++) {
        if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
            p++;
        *out++ = *p;
    }
    if (*p != '"') {
        *why = "no closing '\"' in the quoted value";
        return -EINVAL;
    }
    char *rest = config_trim(p + 1);
    if (*rest != '\0' && *rest != ';' && *rest != '#') {
        *why = "text after the quoted value";
        return -EINVAL;
    }
    *out = '\0';
    return 0;
}

/* 1 for a key holding a secret: its value is never printed, and a comment may not stand for
 * it (`password = #Pa55` was an empty password). */
static int config_secret(const char *name)
{
    return strstr(name, "password") != NULL || strstr(name, "secret") != NULL;
}

static int config_parse_ulong(const char *s, int base, unsigned long *out)
{
    if (*s == '\0' || *s == '-' || *s == '+' || isspace((unsigned char)*s))
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, base);
    if (errno != 0 || *end != '\0')
        return -EINVAL;
    *out = v;
    return 0;
}

static void config_store_uint(void *field, size_t size, unsigned long v)
{
    if (size == sizeof(uint16_t))
        *(uint16_t *)field = (uint16_t)v;
    else if (size == sizeof(uint32_t))
        *(uint32_t *)field = (uint32_t)v;
    else
        *(unsigned long *)field = v;
}

/* The words a CONFIG_LEVEL value may be (a CONFIG_IDS one: receipt_ids_words). */
static const char *const config_level_words[] = {"debug", "info", "warn", "error", NULL};
/* [smsc] bind: index 1 is pair. */
static const char *const config_bind_words[] = {"transceiver", "pair", NULL};

/* [sip]'s structured values: NULL when VALUE is good for key NAME, else why not. */
static const char *config_sip_why(const char *name, const char *value)
{
    struct netaddr a;
    uint16_t port, hi;
    struct netaddr_cidr acl[NETADDR_ACL_MAX];
    size_t n;
    struct dialprefix_set pre;
    if (strcmp(name, "listen") == 0)
        return value[0] == '\0' || netaddr_parse_hostport(value, &a, &port) == 0
                   ? NULL
                   : "is not an address:port such as 0.0.0.0:5060 or [::]:5060";
    if (strcmp(name, "peers") == 0)
        return value[0] == '\0' || netaddr_acl_parse(value, acl, NETADDR_ACL_MAX, &n) == 0
                   ? NULL
                   : "is not a comma-separated list of addresses or CIDRs (at most 64)";
    if (strcmp(name, "rtp_ports") == 0)
        return netaddr_parse_port_range(value, &port, &hi) == 0
                   ? NULL
                   : "is not a port range such as 20000-20999 starting at an even port";
    return dialprefix_parse(value, &pre) == 0
               ? NULL
               : "is not a comma-separated list of prefixes such as +86,86";
}

/* A CONFIG_BOOL's words: yes at even places, no at odd ones. */
static const char *const config_bool_words[] = {"yes", "no", "true", "false", "on",
                                                "off", "1",  "0",    NULL};

/* Checks and stores VALUE for KEY. Returns 0, or fills ERR. */
static int config_set(const struct config_key *k, const char *value, struct erm_config *cfg,
                      const char *file, unsigned line, char *err, size_t errlen)
{
    void *field = (char *)cfg + k->offset;
    unsigned long v;
    switch (k->kind) {
    case CONFIG_STR:
        if (k->min > 0 && value[0] == '\0')
            return config_fail(err, errlen, file, line, k->section, k->name, "may not be empty");
        if (strlen(value) >= k->size)
            return config_fail(err, errlen, file, line, k->section, k->name,
                               "longer than %zu characters", k->size - 1);
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case CONFIG_UINT:
        if (config_parse_ulong(value, 10, &v) < 0 || v < k->min || v > k->max)
            return config_fail(err, errlen, file, line, k->section, k->name,
                               "\"%s\" is not a number from %lu to %lu", value, k->min, k->max);
        config_store_uint(field, k->size, v);
        return 0;
    case CONFIG_STATUS:
        if (config_parse_ulong(value, 0, &v) < 0 || v < k->min || v > k->max)
            return config_fail(err, errlen, file, line, k->section, k->name,
                               "\"%s\" is not a non-zero SMPP status such as 0x64", value);
        config_store_uint(field, k->size, v);
        return 0;
    case CONFIG_IDS:
    case CONFIG_BIND:
    case CONFIG_LEVEL: {
        const char *const *words = k->kind == CONFIG_IDS    ? receipt_ids_words
                                   : k->kind == CONFIG_BIND ? config_bind_words
                                                            : config_level_words;
        const char *const *w = words;
        while (*w != NULL && strcmp(value, *w) != 0)
            w++;
        if (*w == NULL)
            return config_fail(err, errlen, file, line, k->section, k->name,
                               "\"%s\" is not one of %s", value,
                               k->kind == CONFIG_IDS    ? "same, hex_dec, dec_hex"
                               : k->kind == CONFIG_BIND ? "transceiver, pair"
                                                        : "debug, info, warn, error");
        if (k->kind == CONFIG_IDS)
            *(enum receipt_ids *)field = (enum receipt_ids)(w - words);
        else if (k->kind == CONFIG_BIND)
            *(int *)field = (int)(w - words);
        else
            memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    case CONFIG_NAME:
        if (!config_gateway_id_ok(value))
            return config_fail(err, errlen, file, line, k->section, k->name,
                               "\"%s\" is not 1 to %d of the characters A-Z a-z 0-9 . _ -", value,
                               CONFIG_GATEWAY_ID_MAX);
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case CONFIG_BOOL: {
        const char *const *w = config_bool_words;
        while (*w != NULL && strcmp(value, *w) != 0)
            w++;
        if (*w == NULL)
            return config_fail(err, errlen, file, line, k->section, k->name,
                               "\"%s\" is not yes or no", value);
        *(unsigned *)field = (w - config_bool_words) % 2 == 0;
        return 0;
    }
    case CONFIG_CMPP_VERSION:
        if (strcmp(value, "3.0") != 0 && strcmp(value, "2.0") != 0)
            return config_fail(err, errlen, file, line, k->section, k->name,
                               "\"%s\" is not one of 3.0, 2.0", value);
        *(uint8_t *)field = value[0] == '3' ? 0x30 : 0x20;
        return 0;
    case CONFIG_SIP:
    case CONFIG_ADDR: {
        const char *why = k->kind == CONFIG_SIP ? config_sip_why(k->name, value)
                          : config_sip_why("listen", value) == NULL
                              ? NULL
                              : "is not an address:port such as 127.0.0.1:9464 or [::1]:9464";
        if (why == NULL && strlen(value) >= k->size)
            why = "is too long";
        if (why != NULL)
            return config_fail(err, errlen, file, line, k->section, k->name, "\"%s\" %s", value,
                               why);
        memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    }
    return -EINVAL;
}

static const struct config_key *config_find(const char *section, const char *name)
{
    for (size_t i = 0; i < CONFIG_NKEYS; i++)
        if (strcmp(config_keys[i].section, section) == 0 && strcmp(config_keys[i].name, name) == 0)
            return &config_keys[i];
    return NULL;
}

static int config_section_known(const char *section)
{
    for (size_t i = 0; i < CONFIG_NKEYS; i++)
        if (strcmp(config_keys[i].section, section) == 0)
            return 1;
    return 0;
}

/* 1 when a key of SECTION was given. */
static int config_section_seen(const unsigned char *seen, const char *section)
{
    for (size_t i = 0; i < CONFIG_NKEYS; i++)
        if (seen[i] && strcmp(config_keys[i].section, section) == 0)
            return 1;
    return 0;
}

/* [cmpp]'s keys together: what it needs, and one SMS bearer at a time. */
static int config_check_cmpp(struct erm_config *cfg, const unsigned char *seen, const char *file,
                             char *err, size_t errlen)
{
    static const char *const needed[] = {"host", "sp_id", "secret", "service_id"};
    if (config_section_seen(seen, "smsc"))
        return config_fail(err, errlen, file, 0, "cmpp", NULL,
                           "given with [smsc]: one SMS bearer at a time, remove one of them");
    for (size_t n = 0; n < sizeof needed / sizeof needed[0]; n++) {
        const struct config_key *k = config_find("cmpp", needed[n]);
        if (!seen[k - config_keys])
            return config_fail(err, errlen, file, 0, "cmpp", needed[n], "missing (required)");
    }
    if (strlen(cfg->cmpp_sp_id) != 6)
        return config_fail(err, errlen, file, 0, "cmpp", "sp_id",
                           "\"%s\" is not 6 characters (the SP's Source_Addr)", cfg->cmpp_sp_id);
    if (cfg->cmpp_secret[0] == '\0')
        return config_fail(err, errlen, file, 0, "cmpp", "secret", "may not be empty");
    if (cfg->cmpp_src_id[0] == '\0')
        snprintf(cfg->cmpp_src_id, sizeof cfg->cmpp_src_id, "%s", cfg->service_number);
    cfg->cmpp_on = 1;
    return 0;
}

/* Checks what no single key can: the service number's form, keys READER needs, [cmpp]. */
static int config_check_whole(enum config_reader reader, struct erm_config *cfg,
                              const unsigned char *seen, const char *file, char *err, size_t errlen)
{
    int cmpp = config_section_seen(seen, "cmpp");
    for (size_t i = 0; i < CONFIG_NKEYS; i++)
        if ((config_keys[i].required & reader) && !seen[i] &&
            !(cmpp && strcmp(config_keys[i].section, "smsc") == 0))
            return config_fail(err, errlen, file, 0, config_keys[i].section, config_keys[i].name,
                               "missing (required)");
    if ((reader & CONFIG_ERMWEB) && cfg->web_listen[0] == '\0') /* given empty */
        return config_fail(err, errlen, file, 0, "web", "listen", "missing (required)");
    if (cmpp && config_check_cmpp(cfg, seen, file, err, errlen) < 0)
        return -EINVAL;
    if (codeplan_check_service(cfg->service_number) < 0)
        return config_fail(err, errlen, file, 0, "service", "number",
                           "\"%s\" is not a service number of 3 to 20 digits", cfg->service_number);
    if (codeplan_check_service(cfg->web_code_source) < 0)
        return config_fail(err, errlen, file, 0, "web", "code_source",
                           "\"%s\" is not a service number of 3 to 20 digits",
                           cfg->web_code_source);
    if (cfg->sip_listen[0] != '\0' && cfg->sip_peers[0] == '\0')
        return config_fail(err, errlen, file, 0, "sip", "peers",
                           "missing (required when listen is set: the carrier's addresses)");
    return 0;
}

int config_parse(const char *filename, const char *buf, size_t len, struct erm_config *cfg,
                 char *err, size_t errlen)
{
    return config_parse_for(CONFIG_ERMGW, filename, buf, len, cfg, err, errlen);
}

int config_parse_for(enum config_reader reader, const char *filename, const char *buf, size_t len,
                     struct erm_config *cfg, char *err, size_t errlen)
{
    unsigned char seen[CONFIG_NKEYS] = {0};
    char section[64] = "";
    char line[2048];
    unsigned lineno = 0;
    size_t pos = 0;

    while (pos < len) {
        size_t n = 0;
        lineno++;
        while (pos < len && buf[pos] != '\n') {
            if (n + 1 >= sizeof line)
                return config_fail(err, errlen, filename, lineno, NULL, NULL, "line too long");
            if (buf[pos] == '\0')
                return config_fail(err, errlen, filename, lineno, NULL, NULL, "NUL byte");
            line[n++] = buf[pos++];
        }
        pos++; /* the newline */
        line[n] = '\0';
        char *s = config_trim(line);
        if (*s == '\0' || *s == ';' || *s == '#')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (close == NULL || *config_trim(close + 1) != '\0')
                return config_fail(err, errlen, filename, lineno, NULL, NULL,
                                   "malformed section header \"%s\"", s);
            *close = '\0';
            char *name = config_trim(s + 1);
            if (!config_section_known(name))
                return config_fail(err, errlen, filename, lineno, name, NULL, "unknown section");
            snprintf(section, sizeof section, "%s", name);
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL) /* the line is not shown: it may be a password without its key */
            return config_fail(err, errlen, filename, lineno, NULL, NULL,
                               "expected \"key = value\" (the line is not shown: it may hold "
                               "a secret)");
        *eq = '\0';
        char *key = config_trim(s);
        char *value = config_trim(eq + 1);
        int commented = *value == ';' || *value == '#';
        const char *why = NULL;
        if (*value == '"') {
            if (config_unquote(value, &why) < 0)
                return config_fail(err, errlen, filename, lineno, section, key, "%s", why);
        } else {
            config_strip_comment(value);
            value = config_trim(value);
        }
        if (section[0] == '\0')
            return config_fail(err, errlen, filename, lineno, NULL, NULL,
                               "key \"%s\" outside any section", key);
        const struct config_key *k = config_find(section, key);
        if (k == NULL)
            return config_fail(err, errlen, filename, lineno, section, key, "unknown key");
        if (seen[k - config_keys])
            return config_fail(err, errlen, filename, lineno, section, key, "given twice");
        if (commented && config_secret(key))
            return config_fail(err, errlen, filename, lineno, section, key,
                               "empty: ';' or '#' starts a comment; write a secret that begins "
                               "with one in double quotes (%s = \"#...\")",
                               key);
        int rc = config_set(k, value, cfg, filename, lineno, err, errlen);
        if (rc < 0)
            return rc;
        seen[k - config_keys] = 1;
        if (k->offset == offsetof(struct erm_config, conninfo))
            cfg->conninfo_line = lineno;
    }
    return config_check_whole(reader, cfg, seen, filename, err, errlen);
}
