/*
 * web_conf.h: ermweb's settings, read from the same INI file as ermgw's: the [web] section
 * and [database]'s conninfo; ermgw's other sections and [database]'s other keys are
 * skipped (ermgw checks them). A table of keys (name,
 * kind, bounds, default), as core/config.c's, so folding it into core/config.c is adding
 * these rows and struct fields there (see the README's "Web console").
 *
 * Errors: one line "FILE:LINE: [web] KEY: reason" in the caller's buffer, -EINVAL.
 */
#ifndef ERM_WEB_CONF_H
#define ERM_WEB_CONF_H

#include <stddef.h>

struct web_conf {
    /* [web] */
    char listen[128];      /* "127.0.0.1:8080", "[::1]:8080" */
    int secure_cookies;    /* 1 behind a TLS reverse proxy: cookies get Secure */
    int trust_proxy;       /* 1: the client's address is the last X-Forwarded-For entry */
    char static_dir[1024]; /* the pages' files */
    int threads;           /* worker threads, each with its own database connection */
    int session_hours;     /* a session lives this long */
    char code_source[21];  /* the number login codes are sent from */
    int code_per_address;  /* login codes asked for from one address per hour */
    /* [database] */
    char conninfo[1024];
};

/* Sets the defaults (listen empty: required). */
void web_conf_defaults(struct web_conf *c);

/* Parses the INI text TEXT of file FILE into C (defaults first). 0 or -EINVAL with ERR. */
int web_conf_parse(const char *file, const char *text, struct web_conf *c, char *err,
                   size_t errlen);

/* Reads FILE and parses it. 0, -EINVAL or -errno of reading it, with ERR. */
int web_conf_load(const char *file, struct web_conf *c, char *err, size_t errlen);

#endif
