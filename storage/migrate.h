/*
 * migrate.h: brings a database's schema up to date from the numbered migrations
 * schema/NNN_name.sql. Each migration not yet recorded in schema_migrations(version,
 * applied_at) runs in its own transaction together with its record, in file-name order;
 * running again applies nothing. Concurrent runs are serialised with an advisory lock.
 * Migration files hold plain SQL without BEGIN/COMMIT (refused if they end the transaction).
 */
#ifndef ERM_MIGRATE_H
#define ERM_MIGRATE_H

#include <stddef.h>

#include "storage/admin.h"

/* The schema directory used when none is given: the source tree's schema/ when it exists
 * (a build tree), else the installed share/ermgw/schema. Static string. */
const char *stor_migrate_default_dir(void);

/* Called after each migration committed, with its VERSION ("001_init", valid during the
 * call only). */
typedef void (*stor_migrate_cb)(void *arg, const char *version);

/* Applies the pending migrations of DIR (NULL = the default) on ADM, calling APPLIED (may
 * be NULL) after each. Returns how many were applied (0: up to date) or a negative errno
 * with ERR filled: -ENOENT / -EINVAL for a missing, empty or badly numbered directory
 * ("--schema: ..."), -EIO for a migration that failed ("002_teams.sql: line 7: ..."; it
 * was rolled back, the ones before it stay applied), -ECONNRESET, -ENOMEM. */
int stor_migrate_run(struct stor_admin *adm, const char *dir, stor_migrate_cb applied, void *arg,
                     char *err, size_t errlen);

/* Checks that every migration of DIR (NULL = the default) is applied on ADM: 0 when so (or
 * when DIR cannot be read: nothing to compare with), else -ESTALE with ERR saying which is
 * missing and to run `ermctl migrate` (a program newer than its database would otherwise
 * fail on the first function it lacks), or the error of the query. Reads only. */
int stor_migrate_check(struct stor_admin *adm, const char *dir, char *err, size_t errlen);

#endif
