/*
 * tunables.c: the table of the daemon's timers and tunables (see tunables.h). Adding one is a
 * line here and an id in tunables.h; check_tunables checks every entry has its name, unit and
 * description and a sane value.
 */
#include "core/tunables.h"

#include <string.h>

static const struct tunable tun_table[TUN_COUNT] = {
    [TUN_STOP_TIMEOUT] = {"stop_timeout", 10000, "ms",
                          "SIGTERM to closing: MO transactions and outstanding submits finish "
                          "within it, or are left (rows sending are queued again at the next "
                          "start)"},
    [TUN_SMPP_RECONNECT_MIN] = {"smpp_reconnect_min", 500, "ms",
                                "the first SMPP reconnect delay, doubled per failure up to "
                                "[smsc] reconnect_max_s"},
    [TUN_DB_BACKOFF_MIN] = {"db_backoff_min", 500, "ms",
                            "the first database reconnect delay, doubled per failure"},
    [TUN_DB_BACKOFF_MAX] = {"db_backoff_max", 10000, "ms", "the database reconnect delay at most"},
    [TUN_DB_CONNECT] = {"db_connect", 10000, "ms",
                        "a database connection attempt (connect and prepare) at most "
                        "(PQconnectPoll ignores connect_timeout)"},
    [TUN_PARTS_DUE_LIMIT] = {"parts_due_limit", 32, "messages",
                             "long MOs given up on (missing parts) per database round"},
    [TUN_PARTS_DUE_MIN] = {"parts_due_min", 1000, "ms",
                           "the parts-due timer at least: a failed round is tried again, "
                           "not in a hot loop"},
    [TUN_HOUSEKEEP] = {"housekeep", 60000, "ms",
                       "the interval of MO housekeeping (dedupe keys past their window)"},
    [TUN_SENDER_POLL] = {"sender_poll", 1000, "ms",
                         "the outbox poll for rows queued by other writers (ermctl pushes)"},
    [TUN_SENDER_TAKE_MAX] = {"sender_take_max", 32, "rows", "outbox rows per take at most"},
    [TUN_SENDER_TAKE_BACK] = {"sender_take_back", 4096, "ids",
                              "how far below the last id taken the next take starts (rows of "
                              "batches that committed late are still found at once)"},
    [TUN_SENDER_SWEEP_TICKS] = {"sender_sweep_ticks", 10, "polls",
                                "outbox polls between two sweeps of stale sending rows"},
    [TUN_SENDER_STALE] = {"sender_stale", 300, "s",
                          "a row sending this long that this sender does not hold is queued "
                          "again (a take whose result was lost)"},
    [TUN_LOG_SUMMARY] = {"log_summary", 60000, "ms",
                         "the interval of the one-line traffic summary logged at info (each "
                         "message's own lines are at debug)"},
    [TUN_SMPP_WQ_PAUSE] = {"smpp_wq_pause", 262144, "bytes",
                           "bytes queued for an SMSC that does not read our answers, above "
                           "which ermgw stops reading from it (no answer, no memory, for what "
                           "it has not read)"},
    [TUN_SMPP_WQ_RESUME] = {"smpp_wq_resume", 65536, "bytes",
                            "bytes still queued for the SMSC below which reading starts again"},
    [TUN_SMPP_WQ_MAX] = {"smpp_wq_max", 4194304, "bytes",
                         "bytes queued for the SMSC at most (submits and acks go on while "
                         "reading is paused): above it the link is dropped"},
    [TUN_SMPP_WQ_STALL] = {"smpp_wq_stall", 30000, "ms",
                           "reading paused and not a byte read by the SMSC for this long: the "
                           "link is dropped"},
    [TUN_METRICS_OUTBOX] = {"metrics_outbox", 5000, "ms",
                            "the interval of the query behind the outbox's metrics (rows queued "
                            "and sending, the oldest queued row's age) when [admin] listen is "
                            "set"},
};

const struct tunable *tun_entry(enum tun_id id)
{
    return &tun_table[id];
}

uint64_t tun_value(enum tun_id id)
{
    return tun_table[id].value;
}

const struct tunable *tun_find(const char *name)
{
    for (size_t i = 0; i < TUN_COUNT; i++)
        if (strcmp(tun_table[i].name, name) == 0)
            return &tun_table[i];
    return NULL;
}
