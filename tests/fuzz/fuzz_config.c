/*
 * fuzz_config.c: libFuzzer target for the daemon's configuration parser (core/config.c),
 * whose file an operator (or a careless script) writes: any bytes as the file. Checks: a
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct erm_config cfg;
    char err[512];
    config_defaults(&cfg);
    memset(err, 0, sizeof err);
    int rc = config_parse("f.conf", (const char *)data, size, &cfg, err, sizeof err);
    if (rc < 0) {
        fuzz_config_check(strncmp(err, "f.conf:", 7) == 0);
        fuzz_config_check(strchr(err, '\n') == NULL);
        return 0;
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
    return 0;
}
