/*
 * fuzz_config.c: libFuzzer target for the configuration parser of ermgw and ermweb
 * (core/config.c), whose file an operator (or a careless script) writes: any bytes as the
 * file, read as each program reads it. Checks: a
 * refusal is one line that names the file; a success leaves every string terminated within
 * its field and the numbers within their bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_config_check(int cond)
{
    if (!cond)
        abort();
}

/* Parses DATA as READER does and checks the outcome. */
static void fuzz_config_one(enum config_reader reader, const uint8_t *data, size_t size)
{
    struct erm_config cfg;
    char err[512];
    config_defaults(&cfg);
    memset(err, 0, sizeof err);
    int rc = config_parse_for(reader, "f.conf", (const char *)data, size, &cfg, err, sizeof err);
    if (rc < 0) {
        fuzz_config_check(strncmp(err, "f.conf:", 7) == 0);
        fuzz_config_check(strchr(err, '\n') == NULL);
        return;
    }
    fuzz_config_check(rc == 0);
    fuzz_config_check(memchr(cfg.smsc_host, '\0', sizeof cfg.smsc_host) != NULL);
    fuzz_config_check(memchr(cfg.system_id, '\0', sizeof cfg.system_id) != NULL);
    fuzz_config_check(memchr(cfg.password, '\0', sizeof cfg.password) != NULL);
    fuzz_config_check(memchr(cfg.system_type, '\0', sizeof cfg.system_type) != NULL);
    fuzz_config_check(memchr(cfg.service_number, '\0', sizeof cfg.service_number) != NULL);
    fuzz_config_check(memchr(cfg.conninfo, '\0', sizeof cfg.conninfo) != NULL);
    fuzz_config_check(memchr(cfg.log_file, '\0', sizeof cfg.log_file) != NULL);
    fuzz_config_check(memchr(cfg.log_level, '\0', sizeof cfg.log_level) != NULL);
    fuzz_config_check(cfg.smsc_port >= 1 && cfg.window >= 1);
    fuzz_config_check(memchr(cfg.web_listen, '\0', sizeof cfg.web_listen) != NULL);
    fuzz_config_check(memchr(cfg.web_static_dir, '\0', sizeof cfg.web_static_dir) != NULL);
    fuzz_config_check(memchr(cfg.web_code_source, '\0', sizeof cfg.web_code_source) != NULL);
    fuzz_config_check(cfg.web_threads >= 1 && cfg.web_threads <= 64);
    fuzz_config_check(cfg.web_secure_cookies <= 1 && cfg.web_trust_proxy <= 1);
    fuzz_config_check(reader != CONFIG_ERMWEB || cfg.web_listen[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_config_one(CONFIG_ERMGW, data, size);
    fuzz_config_one(CONFIG_ERMWEB, data, size);
    return 0;
}
