/*
 * daemon.h: the ermgw process's shared state and the glue between the rooms: the bearer
 * (gateway/), the database (storage/) and the rules (core/). One instance, one loop.
 */
#ifndef ERM_DAEMON_H
#define ERM_DAEMON_H

#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "gateway/gw.h"

struct smpp_session;
struct stor_db;
struct erm_sender;

struct erm_daemon {
    uv_loop_t *loop;
    struct erm_config cfg;
    struct smpp_session *smpp;
    struct stor_db *db;
    struct erm_sender *sender;
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t stop_timer; /* bounds the graceful stop */
    int stopping;          /* SIGTERM/SIGINT seen: new MOs get a temporary error */
    unsigned mo_inflight;  /* MO transactions not yet finished */
    int outbox_recovered;  /* sending rows of an earlier run put back, once per start */
    int exit_code;
};

/* mo_handler.c: takes one MO from the bearer; acknowledges it after its transaction
 * commits, or with the configured temporary status when nothing could be stored. */
void erm_mo_handle(struct erm_daemon *d, const struct gw_mo *mo);

/* sender.c: drains the outbox through the bearer. */
int erm_sender_create(struct erm_daemon *d, struct erm_sender **out);
/* Takes queued rows now if the bind and the database allow (cheap when idle). */
void erm_sender_kick(struct erm_sender *s);
void erm_sender_on_bound(struct erm_sender *s);
void erm_sender_on_unbound(struct erm_sender *s);
void erm_sender_on_submit_resp(struct erm_sender *s, uint64_t cookie, int64_t status,
                               const char *message_id);
/* Rows whose parts are submitted but not all answered, or being taken/marked. */
unsigned erm_sender_busy(const struct erm_sender *s);
/* Stops its timer (closing the handle) and frees it after the close. */
void erm_sender_destroy(struct erm_sender *s);

/* ermgw.c: called when an MO transaction finishes, so a pending stop can go on. */
void erm_daemon_mo_done(struct erm_daemon *d);

#endif
