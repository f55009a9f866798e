/*
 * config.h: the INI configuration of ermgw and ermweb (etc/ermgw.conf: one file, one
 * parser; ermweb reads [web] and [database] of it), parsed from a buffer the caller read.
 * Pure: no I/O. An unknown section or key, a missing required key or a bad value is
 * refused with one line naming the file, the line and the key. Both programs check every
 * section; which keys are required depends on the program (config_parse_for).
 *
 * A line whose first non-blank is ';' or '#' is a comment; so is the rest of a value from a
 * ';' or '#' at its start or after white space. A value in double quotes holds them as they
 * are ("#Pa55", \" and \\ inside). A secret (a key named *password* or *secret*) whose
 * whole value is a comment is refused, and no error line shows a value of one.
 */
#ifndef ERM_CONFIG_H
#define ERM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/receipt.h"

/* [gateway] id: at most this many of A-Z a-z 0-9 . _ - (schema/013's check). */
#define CONFIG_GATEWAY_ID_MAX 63

/* [database] connections at most: MO connections besides the outbox's one. */
#define CONFIG_MO_CONNECTIONS_MAX 8

struct erm_config {
    /* [smsc] */
    char smsc_host[256];
    uint16_t smsc_port;
    char system_id[16];   /* SMPP 3.4: at most 15 characters */
    char password[9];     /* at most 8 */
    char system_type[13]; /* at most 12, may be empty */
    unsigned enquire_link_s;
    unsigned response_timeout_s;  /* how long a request waits for its response */
    unsigned reconnect_max_s;     /* cap of the reconnect backoff */
    uint32_t max_pdu_len;         /* larger command_length closes the session */
    unsigned binds;               /* binds on the account */
    int bind_pair;                /* bind = pair: a receiver and a transmitter per bind */
    unsigned window;              /* submit_sm outstanding at most (per bind) */
    unsigned max_submit_rate;     /* submit_sm per second at most (the SMSC contract's); 0: none */
    enum receipt_ids message_ids; /* how the SMSC writes message ids: same, hex_dec, dec_hex */
    /* [cmpp]: China Mobile's ISMG (gateway/cmpp_session.h), the SMS bearer in place of
     * [smsc] when the section is given (cmpp_on). */
    int cmpp_on;
    char cmpp_host[256];
    uint16_t cmpp_port;
    char cmpp_sp_id[7];       /* Source_Addr: exactly 6 characters */
    char cmpp_secret[64];     /* the login's shared secret */
    char cmpp_service_id[11]; /* SUBMIT's Service_Id */
    char cmpp_src_id[22];     /* SUBMIT's Src_Id when a reply names none; default the number */
    uint8_t cmpp_version;     /* 0x30 (3.0, default) or 0x20 (2.0) */
    unsigned cmpp_window;
    unsigned cmpp_max_submit_rate;
    unsigned cmpp_active_test_s;
    unsigned cmpp_response_timeout_s;
    unsigned cmpp_reconnect_max_s;
    /* [service] */
    char service_number[21];
    uint32_t db_unavailable_status; /* deliver_sm_resp status when the database is down */
    unsigned concat_timeout_s;      /* a long MO's missing parts are given up on after it */
    unsigned dedupe_window_s;       /* how long a handled MO is known, for redeliveries */
    /* [database] */
    char conninfo[1024];     /* empty: the PG* environment variables */
    unsigned conninfo_line;  /* its line in the file, for messages (0: not given) */
    unsigned batch_max;      /* order MOs per transaction at most (group commit); 1: one each */
    unsigned mo_connections; /* connections for MOs (1..CONFIG_MO_CONNECTIONS_MAX) */
    /* MOs in progress on an MO connection before a customer with none in progress goes to
     * the next one: small windows fill one connection's batches instead of halving them. */
    unsigned mo_spill;
    /* PostgreSQL's statement_timeout on every connection of ermgw, so that a statement stuck
     * behind a lock ends (its MO then gets the temporary status); 0: none. */
    unsigned statement_timeout_s;
    /* [sip]: the phone bearer (gateway/sip_trunk.h); checked by core/netaddr.h and
     * core/dialprefix.h at parse time, so the trunk parses them again without failing. */
    char sip_listen[64];        /* address:port for UDP and TCP; empty: no SIP (default) */
    char sip_peers[1024];       /* addresses or CIDRs allowed to send calls */
    char sip_rtp_ports[16];     /* even-started range such as 20000-20999 */
    char sip_prompts[1024];     /* prompt folder; empty: the installed share/ermgw/prompts */
    unsigned sip_max_calls;     /* calls at once at most; more get 503 */
    char sip_strip_prefix[128]; /* comma-separated prefixes cut from the called number */
    /* [gateway]: one of several gateways on one database (storage/outbox.h) */
    char gateway_id[CONFIG_GATEWAY_ID_MAX + 1]; /* empty: the daemon uses the host name */
    unsigned lease_s; /* its outbox rows are its own this long after each renewal */
    /* [admin]: GET /metrics and GET /healthz (daemon/admin_http.c) on this address:port;
     * empty: none (default). Checked by core/netaddr.h at parse time. */
    char admin_listen[64];
    /* [log] */
    char log_file[1024]; /* empty: stderr */
    char log_level[8];   /* debug, info, warn, error */
    /* [web]: ermweb, the web console (web/); ermgw checks these and does not use them */
    char web_listen[64];           /* address:port, required by ermweb */
    unsigned web_secure_cookies;   /* 1 behind a TLS reverse proxy: cookies get Secure */
    unsigned web_trust_proxy;      /* 1: the client is the last X-Forwarded-For entry */
    char web_static_dir[1024];     /* the pages' files; empty: the installed share/ermgw/web */
    unsigned web_threads;          /* HTTP workers, each with its database connection */
    unsigned web_session_hours;    /* a session lives this long */
    char web_code_source[21];      /* the number login codes are sent from */
    unsigned web_code_per_address; /* login codes asked for from one address per hour */
};

/* Which program reads the file: the keys each requires ([smsc]'s for ermgw, [web] listen
 * for ermweb). */
enum config_reader { CONFIG_ERMGW = 1, CONFIG_ERMWEB = 2 };

/* Fills CFG with the defaults (port 2775, enquire_link 30 s, status 0x64, ...). */
void config_defaults(struct erm_config *cfg);

/* 1 when ID may name a gateway ([gateway] id), else 0. */
int config_gateway_id_ok(const char *id);

/* Parses the INI text BUF of LEN bytes read from FILENAME (used in messages only) into CFG,
 * which must hold the defaults already. On error writes one line like
 * "etc/ermgw.conf:7: [smsc] port: not a number from 1 to 65535" into ERR and returns -EINVAL. */
int config_parse(const char *filename, const char *buf, size_t len, struct erm_config *cfg,
                 char *err, size_t errlen);

/* config_parse() for READER: the same checks of every section, the keys READER requires. */
int config_parse_for(enum config_reader reader, const char *filename, const char *buf, size_t len,
                     struct erm_config *cfg, char *err, size_t errlen);

#endif
