/*
 * product.c: the check of a new product (product.h). What it refuses could never work:
 * codes the order parser would not take, or a promo push that cannot be sent.
 */
#include "core/product.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/codeplan.h"
#include "core/field.h"
#include "core/money.h"
#include "core/promo.h"
#include "core/textcodec.h"

/* Every holder's promo push has the same length (codes of one product have one width):
 * renders the one of the last code to see that it can be sent. */
static int product_check_promo(const struct product_spec *p, char *err, size_t errlen)
{
    char code[CODEPLAN_MAX_CODE_LEN + 1], *text = malloc(PROMO_TEXT_MAX);
    int rc = text != NULL ? 0 : -ENOMEM;
    if (rc == 0)
        rc = codeplan_sms_code(p->code, p->quota, p->quota, code, sizeof code);
    if (rc == 0) {
        struct promo_fields f = {p->name, p->intro, p->fee_text,
                                 p->service != NULL ? p->service : PRODUCT_SERVICE_DEFAULT, code};
        rc = promo_render(&f, text, PROMO_TEXT_MAX);
    }
    free(text);
    if (rc == -EMSGSIZE || rc == -ENOSPC)
        return field_error(err, errlen, -EINVAL,
                           "--intro: the promo push (name, intro, fee and the ordering line) "
                           "would not fit in %d SMS parts; shorten --intro or --fee",
                           TEXT_MAX_PARTS);
    if (rc < 0)
        return field_error(err, errlen, rc == -ENOMEM ? rc : -EINVAL,
                           "--intro: the promo push cannot be made: %s", strerror(-rc));
    return 0;
}

/* Checks the quota of a valid product code: together they make codes the order parser
 * takes. */
static int product_check_quota(const struct product_spec *p, char *err, size_t errlen)
{
    if (codeplan_width(p->quota) < 0)
        return field_error(err, errlen, -EINVAL, "--quota: %u is not a number from 1 to %u",
                           p->quota, CODEPLAN_MAX_QUOTA);
    /* The order parser takes codes of 3 digits or more (shorter texts are too easily sent by
     * mistake), so a plan whose codes would be shorter could never be ordered by SMS. */
    if (strlen(p->code) + (size_t)codeplan_width(p->quota) < 3)
        return field_error(err, errlen, -EINVAL,
                           "--quota: with product code %s, quota %u gives codes of fewer than 3 "
                           "digits; use a quota of 10 or more",
                           p->code, p->quota);
    /* A friend dials (or texts to) the service number followed by the code: it must fit in
     * the address fields of SMPP and CMPP. */
    const char *service = p->service != NULL ? p->service : PRODUCT_SERVICE_DEFAULT;
    size_t digits = strlen(service) + strlen(p->code) + (size_t)codeplan_width(p->quota);
    if (digits > CODEPLAN_MAX_ADDR_LEN)
        return field_error(err, errlen, -EINVAL,
                           "--quota: service number %s, product code %s and quota %u give phone "
                           "codes of %zu digits; an SMPP or CMPP address holds %d",
                           service, p->code, p->quota, digits, CODEPLAN_MAX_ADDR_LEN);
    return 0;
}

/* Checks the campaign's dates: real dates, the end not before the start. */
static int product_check_dates(const struct product_spec *p, char *err, size_t errlen)
{
    if (p->starts_on != NULL && !field_is_date(p->starts_on))
        return field_error(err, errlen, -EINVAL, "--start: \"%s\" is not a date (YYYY-MM-DD)",
                           p->starts_on);
    if (p->ends_on != NULL && !field_is_date(p->ends_on))
        return field_error(err, errlen, -EINVAL, "--end: \"%s\" is not a date (YYYY-MM-DD)",
                           p->ends_on);
    if (p->starts_on != NULL && p->ends_on != NULL && strcmp(p->ends_on, p->starts_on) < 0)
        return field_error(err, errlen, -EINVAL, "--end: %s is before --start %s", p->ends_on,
                           p->starts_on);
    return 0;
}

int product_check(const struct product_spec *p, char *err, size_t errlen)
{
    int rc;
    if (p->code == NULL || codeplan_check_product(p->code) < 0)
        return field_error(err, errlen, -EINVAL,
                           "--code: \"%s\" is not a product code (1 to %d digits, not starting "
                           "with 0)",
                           p->code != NULL ? p->code : "", CODEPLAN_MAX_PRODUCT_LEN);
    if ((rc = field_check_text("--name", p->name, 1, FIELD_NAME_MAX, 0, err, errlen)) < 0 ||
        (rc = field_check_text("--intro", p->intro, 0, PRODUCT_INTRO_MAX, 1, err, errlen)) < 0 ||
        (rc = field_check_text("--fee", p->fee_text, 0, PRODUCT_FEE_MAX, 0, err, errlen)) < 0 ||
        (rc = product_check_quota(p, err, errlen)) < 0)
        return rc;
    if (p->commission_fen < 0 || p->commission_fen > MONEY_MAX_FEN)
        return field_error(err, errlen, -EINVAL, "--commission: out of range");
    if (p->service != NULL && codeplan_check_service(p->service) < 0)
        return field_error(err, errlen, -EINVAL,
                           "--service: \"%s\" is not a service number (3 to %d digits)", p->service,
                           CODEPLAN_MAX_SERVICE_LEN);
    if (p->cancel_days != NULL && !field_is_small_uint(p->cancel_days, PRODUCT_CANCEL_DAYS_MAX))
        return field_error(err, errlen, -EINVAL,
                           "--cancel-days: \"%s\" is not a number of days from 0 to %d",
                           p->cancel_days, PRODUCT_CANCEL_DAYS_MAX);
    if ((rc = product_check_dates(p, err, errlen)) < 0)
        return rc;
    return product_check_promo(p, err, errlen);
}
