/*
 * migrate.c: applies schema/NNN_name.sql in order (see migrate.h). Each pending file runs
 * as one transaction: advisory lock, "already applied?" check, the file's SQL, its
 * schema_migrations row, COMMIT. The file's text is sent as it is with PQexec (the simple
 * protocol is the only one that takes several statements; nothing is spliced into it);
 * every other statement here is a constant with parameters.
 */
#include "storage/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/field.h"
#include "storage/db_internal.h"

#define MIG_MAX_FILE (16L * 1024 * 1024)
#define MIG_LOCK_KEY "7310025436328454503" /* "ermgwmig": one migrator at a time */

const char *stor_migrate_default_dir(void)
{
    struct stat st;
    if (stat(ERM_SOURCE_SCHEMA_DIR, &st) == 0 && S_ISDIR(st.st_mode))
        return ERM_SOURCE_SCHEMA_DIR;
    return ERM_SCHEMA_DIR;
}

/* 1 when NAME is a migration file name: three digits, '_', letters, digits, '_' or '-',
 * ".sql". */
static int mig_is_name(const char *name)
{
    size_t n = strlen(name);
    if (n < 9 || strcmp(name + n - 4, ".sql") != 0 || name[3] != '_')
        return 0;
    for (size_t i = 0; i < 3; i++)
        if (name[i] < '0' || name[i] > '9')
            return 0;
    for (size_t i = 4; i < n - 4; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int mig_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void mig_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Lists the migration files of DIR, sorted, into *OUT (the caller frees with
 * mig_free_names). Returns their number or a negative errno. */
static int mig_list(const char *dir, char ***out, char *err, size_t errlen)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc;
    DIR *d = opendir(dir);
    if (d == NULL)
        return field_error(err, errlen, -errno, "--schema: %s: %s", dir, strerror(errno));
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!mig_is_name(de->d_name))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **p = realloc(names, ncap * sizeof *p);
            if (p == NULL) {
                rc = field_error(err, errlen, -ENOMEM, "--schema: out of memory");
                goto fail;
            }
            names = p;
            cap = ncap;
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            rc = field_error(err, errlen, -ENOMEM, "--schema: out of memory");
            goto fail;
        }
        n++;
    }
    if (n == 0) {
        rc = field_error(err, errlen, -ENOENT, "--schema: %s: no migrations (NNN_name.sql)", dir);
        goto fail;
    }
    qsort(names, n, sizeof *names, mig_cmp);
    for (size_t i = 1; i < n; i++) {
        if (strncmp(names[i - 1], names[i], 3) == 0) {
            rc = field_error(err, errlen, -EINVAL, "--schema: %s and %s have the same number",
                             names[i - 1], names[i]);
            goto fail;
        }
    }
    closedir(d);
    *out = names;
    return (int)n;

fail:
    closedir(d);
    mig_free_names(names, n);
    return rc;
}

/* Reads PATH into a NUL-terminated buffer *OUT (the caller frees it). 0 or -errno. */
static int mig_read(const char *path, const char *name, char **out, char *err, size_t errlen)
{
    char *buf = NULL;
    int rc;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return field_error(err, errlen, -errno, "%s: %s", name, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        rc = field_error(err, errlen, -errno, "%s: %s", name, strerror(errno));
        goto fail;
    }
    long len = ftell(f);
    if (len < 0 || len > MIG_MAX_FILE) {
        rc = field_error(err, errlen, -EFBIG, "%s: larger than %ld bytes", name, MIG_MAX_FILE);
        goto fail;
    }
    rewind(f);
    buf = malloc((size_t)len + 1);
    if (buf == NULL) {
        rc = field_error(err, errlen, -ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
        rc = field_error(err, errlen, -EIO, "%s: short read", name);
        goto fail;
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', (size_t)len) != NULL) {
        rc = field_error(err, errlen, -EINVAL, "%s: not a text file", name);
        goto fail;
    }
    fclose(f);
    *out = buf;
    return 0;

fail:
    fclose(f);
    free(buf);
    return rc;
}

/* The line of SQL at which the server's 1-based character POSITION falls (0 if unknown). */
static int mig_line_of(const char *sql, const char *position)
{
    long pos = position != NULL ? strtol(position, NULL, 10) : 0;
    int line = 1;
    if (pos <= 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)sql; *p != '\0'; p++) {
        if ((*p & 0xc0) == 0x80)
            continue; /* a UTF-8 continuation byte is no character of its own */
        if (--pos == 0)
            break;
        if (*p == '\n')
            line++;
    }
    return line;
}

/* Applies migration NAME (its text SQL) unless already recorded. Returns 1 applied, 0
 * skipped, or a negative errno. */
static int mig_apply(struct stor_admin *adm, const char *name, const char *sql, char *err,
                     size_t errlen)
{
    PGconn *conn = stor_admin_pg(adm);
    PGresult *res = NULL;
    char version[256];
    const char *key[] = {MIG_LOCK_KEY};
    int rc;

    snprintf(version, sizeof version, "%.*s", (int)(strlen(name) - 4), name);
    const char *vv[] = {version};

    if ((rc = stor_admin_begin(adm, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, NULL, "lock", "SELECT pg_advisory_xact_lock($1::bigint)", 1, key, err,
                         errlen);
    if (rc < 0)
        goto fail;
    rc = stor_admin_exec(adm, &res, "schema_migrations",
                         "SELECT 1 FROM schema_migrations WHERE version = $1", 1, vv, err, errlen);
    if (rc < 0)
        goto fail;
    if (PQntuples(res) > 0) {
        rc = stor_admin_commit(adm, err, errlen);
        goto fail; /* 0: skipped */
    }
    PQclear(res);

    res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        char msg[512];
        stor_pg_oneline(primary != NULL ? primary : PQerrorMessage(conn), msg, sizeof msg);
        int line = mig_line_of(sql, PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION));
        rc = PQstatus(conn) == CONNECTION_BAD ? -ECONNRESET : -EIO;
        if (line > 0)
            rc = field_error(err, errlen, rc, "%s: line %d: %s (SQL state %s)", name, line, msg,
                             state != NULL ? state : "?????");
        else
            rc = field_error(err, errlen, rc, "%s: %s (SQL state %s)", name, msg,
                             state != NULL ? state : "?????");
        goto fail;
    }
    if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
        rc =
            field_error(err, errlen, -EINVAL, "%s: must not end the transaction (no COMMIT)", name);
        goto fail;
    }
    rc = stor_admin_exec(adm, NULL, "record migration",
                         "INSERT INTO schema_migrations (version) VALUES ($1)", 1, vv, err, errlen);
    if (rc < 0)
        goto fail;
    if ((rc = stor_admin_commit(adm, err, errlen)) < 0)
        goto fail;
    rc = 1;

fail:
    return stor_admin_end(adm, res, rc);
}

int stor_migrate_run(struct stor_admin *adm, const char *dir, stor_migrate_cb applied, void *arg,
                     char *err, size_t errlen)
{
    char **names = NULL;
    char *sql = NULL;
    int n, rc, count = 0;
    const char *key[] = {MIG_LOCK_KEY};

    if (dir == NULL)
        dir = stor_migrate_default_dir();
    n = mig_list(dir, &names, err, errlen);
    if (n < 0)
        return n;

    /* The record table itself, under the lock so two first runs do not race. */
    if ((rc = stor_admin_begin(adm, err, errlen)) < 0)
        goto fail;
    rc = stor_admin_exec(adm, NULL, "lock", "SELECT pg_advisory_xact_lock($1::bigint)", 1, key, err,
                         errlen);
    if (rc < 0)
        goto fail;
    rc = stor_admin_exec(adm, NULL, "schema_migrations",
                         "CREATE TABLE IF NOT EXISTS schema_migrations ("
                         " version text PRIMARY KEY,"
                         " applied_at timestamptz NOT NULL DEFAULT now())",
                         0, NULL, err, errlen);
    if (rc < 0)
        goto fail;
    if ((rc = stor_admin_commit(adm, err, errlen)) < 0)
        goto fail;

    for (int i = 0; i < n; i++) {
        size_t plen = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(plen);
        if (path == NULL) {
            rc = field_error(err, errlen, -ENOMEM, "%s: out of memory", names[i]);
            goto fail;
        }
        snprintf(path, plen, "%s/%s", dir, names[i]);
        rc = mig_read(path, names[i], &sql, err, errlen);
        free(path);
        if (rc < 0)
            goto fail;
        rc = mig_apply(adm, names[i], sql, err, errlen);
        free(sql);
        sql = NULL;
        if (rc < 0)
            goto fail;
        if (rc == 1) {
            count++;
            if (applied != NULL) {
                names[i][strlen(names[i]) - 4] = '\0';
                applied(arg, names[i]);
            }
        }
    }
    rc = count;

fail:
    if (rc < 0)
        stor_admin_rollback(adm);
    mig_free_names(names, (size_t)n);
    return rc;
}

/* 1 when VERSION (a file name without ".sql") is one of RES's rows. */
static int mig_recorded(const PGresult *res, const char *version)
{
    for (int r = 0; r < PQntuples(res); r++)
        if (strcmp(PQgetvalue(res, r, 0), version) == 0)
            return 1;
    return 0;
}

int stor_migrate_check(struct stor_admin *adm, const char *dir, char *err, size_t errlen)
{
    char **names = NULL, ignored[256];
    PGresult *res = NULL;
    int n =
        mig_list(dir != NULL ? dir : stor_migrate_default_dir(), &names, ignored, sizeof ignored);
    if (n <= 0)
        return 0;
    int rc =
        stor_admin_exec(adm, &res, "schema", "SELECT to_regclass('schema_migrations') IS NOT NULL",
                        0, NULL, err, errlen);
    if (rc == 0 && strcmp(PQgetvalue(res, 0, 0), "t") != 0)
        rc = field_error(err, errlen, -ESTALE,
                         "the database has no ermgw schema yet: run ermctl migrate first");
    PQclear(res);
    res = NULL;
    if (rc == 0)
        rc = stor_admin_exec(adm, &res, "schema", "SELECT version FROM schema_migrations", 0, NULL,
                             err, errlen);
    size_t missing = 0;
    const char *first = NULL;
    for (int i = 0; rc == 0 && i < n; i++) {
        names[i][strlen(names[i]) - 4] = '\0';
        if (!mig_recorded(res, names[i]) && missing++ == 0)
            first = names[i];
    }
    if (rc == 0 && missing > 0)
        rc = field_error(err, errlen, -ESTALE,
                         "the database's schema is older than this program: migration %s (%zu "
                         "pending in all) is not applied; run ermctl migrate",
                         first, missing);
    PQclear(res);
    mig_free_names(names, (size_t)n);
    return rc;
}
