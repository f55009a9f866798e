/*
 * optout.h: TD / 退订 by SMS. One transaction records the sender's opt-out with its time,
 * withdraws the promo pushes still queued to that number, and queues the confirmation
 * (a transactional reply: it goes although the number has just opted out). And, for
 * ermctl, the list of opted-out numbers.
 */
#ifndef ERM_OPTOUT_H
#define ERM_OPTOUT_H

#include "storage/db.h"

struct stor_admin;
struct stor_mo_key;

/* RC is 0 when committed, -EALREADY when the MO was a redelivery (nothing done: acknowledge
 * it), or another negative errno when nothing was stored. */
typedef void (*stor_optout_cb)(void *arg, int rc);

/* Records the opt-out of SENDER (as received; stored in the national 11-digit form when it
 * is a mainland mobile number). A repeat keeps the first time and confirms again. The
 * confirmation goes to SENDER from SERVICE. MO is the dedupe key of the MO
 * (storage/mo_log.h; NULL for none). Strings and MO are copied. Returns 0 (CB follows, exactly
 * once) or -errno. */
int stor_optout(struct stor_db *db, const struct stor_mo_key *mo, const char *sender,
                const char *service, stor_optout_cb cb, void *arg);

/* On ermctl's blocking connection (storage/admin.h): calls ROW for every opted-out
 * number, oldest first, with the time as "YYYY-MM-DD HH:MM:SS" in the session's time zone
 * (valid during the call only). DEPT (NULL or "" for all): only the numbers of that
 * department's employees (pushes go to holders' numbers; a department's manager). */
int stor_optout_list(struct stor_admin *adm, const char *dept,
                     void (*row)(void *arg, const char *msisdn, const char *at), void *arg,
                     char *err, size_t errlen);

#endif
