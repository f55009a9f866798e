/*
 * audit_log.h: the web console's audit trail (schema/012_web.sql's web_audit) on the
 * blocking connection of storage/admin.h: every manager action is written with who, when,
 * from which address, what and on what, and listed on the console's audit page. Errors as
 * admin.h says.
 */
#ifndef ERM_AUDIT_LOG_H
#define ERM_AUDIT_LOG_H

#include <stddef.h>

#include "storage/admin.h"

/* Writes one entry: ACTOR (a login) of department scope DEPT (NULL or "" for all) did WHAT
 * ("product.activate") with DETAIL ("10: done") from ADDRESS. Strings are the caller's. */
int stor_audit_add(struct stor_admin *adm, const char *actor, const char *dept, const char *address,
                   const char *what, const char *detail, char *err, size_t errlen);

/* How many entries WHAT came from ADDRESS in the last WITHIN_S seconds, into *COUNT: the
 * failed logins of an address, for its throttle. */
int stor_audit_count(struct stor_admin *adm, const char *address, const char *what, int within_s,
                     long long *count, char *err, size_t errlen);

/* One entry as listed; strings valid during the callback only. AT is "YYYY-MM-DD
 * HH:MM:SS" in the session's time zone. */
struct stor_audit_row {
    long long id;
    const char *at, *actor, *dept, *address, *what, *detail;
};

/* Calls ROW for the LIMIT newest entries, newest first; DEPT (not NULL nor "") only the
 * entries of managers of that department. */
int stor_audit_list(struct stor_admin *adm, const char *dept, int limit,
                    void (*row)(void *arg, const struct stor_audit_row *r), void *arg, char *err,
                    size_t errlen);

#endif
