/*
 * sip_bearer.h: the SIP trunk (sip_trunk.h) behind the bearer interface (bearer.h): the
 * phone line. Each call comes up as one on_message whose gw_mo has channel
 * GW_CHANNEL_PHONE, the caller as source, the called number (prefix stripped) as
 * destination, no text (sm holds the Call-ID, for the dedupe key only) and the call's id as
 * link_id. Its answer picks what the caller hears: accepted plays the outcome's prompt
 * (ordered, already, unknown, closed, leaver, help), retry later is 503 with Retry-After,
 * refused 400. It carries no SMS: can_submit is 0, submit -ENOTSUP.
 */
#ifndef ERM_SIP_BEARER_H
#define ERM_SIP_BEARER_H

#include <stddef.h>
#include <uv.h>

#include "gateway/bearer.h"
#include "gateway/sip_trunk.h"

struct sip_bearer_cfg {
    struct sip_trunk_cfg trunk; /* strings borrowed until bearer_start */
    const char *prompts;        /* the prompt folder (NULL or "": the installed one) */
    unsigned stop_wait_ms;      /* stop waits this long for calls in progress (0: 10000) */
};

/* Creates the phone bearer on LOOP and loads its prompts (a missing or unreadable one is an
 * error, written into ERR as "FILE: why"); it listens from bearer_start on. EV and UD are
 * the caller's and must outlive the bearer, which is the caller's, freed with
 * bearer_destroy after on_stopped (or when never started). Returns 0 or a negative errno. */
int sip_bearer_create(uv_loop_t *loop, const struct sip_bearer_cfg *cfg,
                      const struct bearer_events *ev, void *ud, struct bearer **out, char *err,
                      size_t errlen);

#endif
