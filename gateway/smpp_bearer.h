/*
 * smpp_bearer.h: the SMPP sessions (smpp_session.h) behind the bearer interface (bearer.h):
 * one or more binds on one account (transceivers, or receiver and transmitter pairs), MOs
 * taken from any, submits spread over those bound that may submit (each with its own window
 * and pacing), its answers mapped to SMPP statuses: accepted 0,
 * retry later the configured status ([service] db_unavailable_status), refused ESME_RX_P_APPN.
 */
#ifndef ERM_SMPP_BEARER_H
#define ERM_SMPP_BEARER_H

#include <stdint.h>
#include <uv.h>

#include "gateway/bearer.h"
#include "gateway/smpp_session.h"

/* Binds on one account at most ([smsc] binds). */
#define SMPP_BEARER_BINDS_MAX 16

/* Creates an SMPP bearer of BINDS sessions on LOOP (PAIR: 2 * BINDS, a receiver and a
 * transmitter each), not connected until bearer_start. CFG's strings are copied at
 * bearer_start (by the sessions) and must live until then; RETRY_LATER_STATUS is the
 * deliver_sm_resp status of BEARER_RETRY_LATER. EV and UD are the caller's and must outlive
 * the bearer. The bearer is the caller's, freed with bearer_destroy after on_stopped.
 * Returns 0 or a negative errno. */
int smpp_bearer_create(uv_loop_t *loop, const struct smpp_session_cfg *cfg, unsigned binds,
                       int pair, uint32_t retry_later_status, const struct bearer_events *ev,
                       void *ud, struct bearer **out);

#endif
