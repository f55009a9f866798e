/*
 * employee.c: the checks of employee.h. A field is named the way the operator wrote it:
 * ermctl's option for one employee, the file's column for an import row, so the line they
 * read points at what to fix.
 */
#include "core/employee.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/field.h"

/* The fields of an employee, as employee_columns[] lists them. */
enum { EMPLOYEE_F_ID, EMPLOYEE_F_NAME, EMPLOYEE_F_MSISDN, EMPLOYEE_F_DEPT };

const char *const employee_columns[EMPLOYEE_COLUMNS] = {"id", "name", "msisdn", "dept"};
static const char *const employee_options[EMPLOYEE_COLUMNS] = {"--id", "--name", "--msisdn",
                                                               "--dept"};

int employee_is_id(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;
    int ok = n >= 1 && n <= EMPLOYEE_ID_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = id[i] > ' ' && id[i] < 0x7f;
    return ok;
}

int employee_id_fits(const char *id)
{
    return id != NULL && id[0] != '\0' && strlen(id) <= EMPLOYEE_ID_MAX;
}

/* Checks E with its fields called NAMES; the normalised number goes to NUM. */
static int employee_fields(const struct employee_spec *e, const char *const *names, char *num,
                           char *err, size_t errlen)
{
    int rc;
    if (!employee_is_id(e->id))
        return field_error(err, errlen, -EINVAL,
                           "%s: \"%s\" is not an employee id (1 to %d printable ASCII "
                           "characters, no spaces)",
                           names[EMPLOYEE_F_ID], e->id != NULL ? e->id : "", EMPLOYEE_ID_MAX);
    /* An id is a key, never a formula: a spreadsheet would run one that starts with these
     * (names may, and are neutralised on output: core/report_out.h). */
    if (strchr("=+-@", e->id[0]) != NULL)
        return field_error(err, errlen, -EINVAL,
                           "%s: \"%s\" is not an employee id (it may not start with =, +, - "
                           "or @)",
                           names[EMPLOYEE_F_ID], e->id);
    if ((rc = field_check_text(names[EMPLOYEE_F_NAME], e->name, 1, FIELD_NAME_MAX, 0, err,
                               errlen)) < 0 ||
        (rc = field_check_text(names[EMPLOYEE_F_DEPT], e->dept, 0, EMPLOYEE_DEPT_MAX, 0, err,
                               errlen)) < 0)
        return rc;
    if (e->msisdn == NULL || msisdn_normalize(e->msisdn, num, MSISDN_LEN + 1) < 0)
        return field_error(err, errlen, -EINVAL, "%s: \"%s\" is not an 11-digit mobile number",
                           names[EMPLOYEE_F_MSISDN], e->msisdn != NULL ? e->msisdn : "");
    return 0;
}

int employee_check(const struct employee_spec *e, char *msisdn, char *err, size_t errlen)
{
    char num[MSISDN_LEN + 1];
    int rc = employee_fields(e, employee_options, num, err, errlen);
    if (rc == 0 && msisdn != NULL)
        memcpy(msisdn, num, sizeof num);
    return rc;
}

/* ---- an import file's rows ------------------------------------------------------------ */

/* A check of rows under way: the rows and their normalised numbers ("" for a row whose
 * fields are bad: it takes no further part). */
struct employee_rows {
    const struct employee_row *rows;
    size_t n;
    char (*num)[MSISDN_LEN + 1];
    employee_bad_cb bad;
    void *arg;
};

/* A key of one row (its id or number), for finding the same key twice. */
struct employee_key {
    const char *key;
    unsigned line;
};

static int employee_key_cmp(const void *a, const void *b)
{
    const struct employee_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c != 0)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Reports every row whose key (its id, or with NUMBERS its number) an earlier line of the
 * file already has. KEYS has room for every row. Returns how many were reported. */
static int employee_dups(const struct employee_rows *im, struct employee_key *keys, int numbers)
{
    size_t k = 0;
    int nbad = 0;
    for (size_t i = 0; i < im->n; i++) {
        if (im->num[i][0] == '\0')
            continue;
        keys[k].key = numbers ? im->num[i] : im->rows[i].spec.id;
        keys[k++].line = im->rows[i].line;
    }
    qsort(keys, k, sizeof *keys, employee_key_cmp);
    for (size_t i = 1; i < k; i++) {
        char why[160];
        if (strcmp(keys[i].key, keys[i - 1].key) != 0)
            continue;
        size_t first = i - 1;
        while (first > 0 && strcmp(keys[first - 1].key, keys[i].key) == 0)
            first--;
        snprintf(why, sizeof why, "%s: %s is also on line %u",
                 employee_columns[numbers ? EMPLOYEE_F_MSISDN : EMPLOYEE_F_ID], keys[i].key,
                 keys[first].line);
        im->bad(im->arg, keys[i].line, why);
        nbad++;
    }
    return nbad;
}

/* Checks the fields of every row (normalising the numbers) and the keys twice in the file.
 * Returns how many problems were reported, or -ENOMEM. */
static int employee_rows_run(const struct employee_rows *im)
{
    int nbad = 0;
    for (size_t i = 0; i < im->n; i++) {
        char why[512];
        if (employee_fields(&im->rows[i].spec, employee_columns, im->num[i], why, sizeof why) < 0) {
            im->bad(im->arg, im->rows[i].line, why);
            im->num[i][0] = '\0';
            nbad++;
        }
    }
    struct employee_key *keys = malloc((im->n > 0 ? im->n : 1) * sizeof *keys);
    if (keys == NULL)
        return -ENOMEM;
    nbad += employee_dups(im, keys, 0);
    nbad += employee_dups(im, keys, 1);
    free(keys);
    return nbad;
}

int employee_rows_check_numbers(const struct employee_row *rows, size_t n,
                                char (*msisdn)[MSISDN_LEN + 1], employee_bad_cb bad, void *arg)
{
    struct employee_rows im = {rows, n, msisdn, bad, arg};
    return employee_rows_run(&im);
}

int employee_rows_check(const struct employee_row *rows, size_t n, employee_bad_cb bad, void *arg)
{
    char(*num)[MSISDN_LEN + 1] = calloc(n > 0 ? n : 1, MSISDN_LEN + 1);
    if (num == NULL)
        return -ENOMEM;
    int rc = employee_rows_check_numbers(rows, n, num, bad, arg);
    free(num);
    return rc;
}
