/*
 * cmpp_bearer.h: the CMPP session (cmpp_session.h) behind the bearer interface (bearer.h).
 * DELIVERs become messages (Msg_Fmt 0 ASCII, 8 UCS-2, 15 GB as the text codecs read them;
 * TP_udhi as the UDH indicator; status reports as receipts naming the Msg_Id in hex);
 * submits become CMPP_SUBMITs (Msg_Fmt 8 or 0, TP_udhi with the 6-byte UDH, the parts'
 * count and number from it). Answers: accepted Result 0, retry later Result 8 (flow
 * control: the ISMG delivers again later), refused Result 9.
 */
#ifndef ERM_CMPP_BEARER_H
#define ERM_CMPP_BEARER_H

#include <uv.h>

#include "gateway/bearer.h"
#include "gateway/cmpp_session.h"

struct cmpp_bearer_cfg {
    struct cmpp_session_cfg session; /* strings copied by the session at bearer_start */
    const char *service_id;          /* SUBMIT's Service_Id (at most 10 characters) */
    const char *src_id;              /* SUBMIT's Src_Id when the outbox row names no source (the
                                      * service number; at most 21 characters) */
};

/* Creates a CMPP bearer on LOOP, not connected until bearer_start. CFG's strings must live
 * until the bearer is destroyed (service_id and src_id are used for every submit). EV and
 * UD are the caller's and must outlive it. Returns 0 or a negative errno. */
int cmpp_bearer_create(uv_loop_t *loop, const struct cmpp_bearer_cfg *cfg,
                       const struct bearer_events *ev, void *ud, struct bearer **out);

#endif
