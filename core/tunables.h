/*
 * tunables.h: the daemon's timers and tunables in one table (name, default, unit, what it
 * bounds), in the spirit of Osmocom's osmo_tdef: the code reads its values from here rather
 * than from loose #defines, and `ermgw --tunables` prints the same table, so the numbers an
 * operator reads are the numbers that run. Pure data, no I/O. The values are compile-time
 * defaults; none is configurable yet (a [tunables] section would set them here).
 */
#ifndef ERM_TUNABLES_H
#define ERM_TUNABLES_H

#include <stddef.h>
#include <stdint.h>

/* One entry per timer or tunable; the order is the table's (tunables.c). */
enum tun_id {
    TUN_STOP_TIMEOUT,       /* ms: the graceful stop, SIGTERM to closing */
    TUN_SMPP_RECONNECT_MIN, /* ms: the first SMPP reconnect backoff step */
    TUN_DB_BACKOFF_MIN,     /* ms: the first database reconnect step */
    TUN_DB_BACKOFF_MAX,     /* ms: the database reconnect step at most */
    TUN_DB_CONNECT,         /* ms: a connection attempt (connect and prepare) at most */
    TUN_PARTS_DUE_LIMIT,    /* messages: long MOs given up on per database round */
    TUN_PARTS_DUE_MIN,      /* ms: the parts-due timer at least */
    TUN_HOUSEKEEP,          /* ms: the MO housekeeping interval */
    TUN_SENDER_POLL,        /* ms: the outbox poll */
    TUN_SENDER_TAKE_MAX,    /* rows: one outbox take at most */
    TUN_SENDER_TAKE_BACK,   /* ids: how far below its last id a take starts */
    TUN_SENDER_SWEEP_TICKS, /* polls between two sweeps of stale sending rows */
    TUN_SENDER_STALE,       /* s: a sending row nobody holds is put back after it */
    TUN_LOG_SUMMARY,        /* ms: the interval of the one-line traffic summary at info */
    TUN_SMPP_WQ_PAUSE,      /* bytes: queued for the SMSC above this, reading stops */
    TUN_SMPP_WQ_RESUME,     /* bytes: queued below this again, reading starts again */
    TUN_SMPP_WQ_MAX,        /* bytes: queued above this, the link is dropped */
    TUN_SMPP_WQ_STALL,      /* ms: reading paused and nothing drained this long: dropped */
    TUN_METRICS_OUTBOX,     /* ms: the interval of the outbox gauge's query (metrics) */
    TUN_COUNT
};

struct tunable {
    const char *name;   /* lower_case, unique */
    uint64_t value;     /* the default (the value in use) */
    const char *unit;   /* "ms", "s", "rows", ... */
    const char *bounds; /* what it bounds, one line */
};

/* The entry ID (static). */
const struct tunable *tun_entry(enum tun_id id);

/* The value of ID. */
uint64_t tun_value(enum tun_id id);

/* The entry named NAME, or NULL. */
const struct tunable *tun_find(const char *name);

#endif
