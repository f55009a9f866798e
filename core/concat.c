/*
 * concat.c: finding the parts of concatenated MOs and joining them (see concat.h).
 */
#include "core/concat.h"

#include <errno.h>
#include <string.h>

#define CONCAT_IE_REF8  0x00 /* IE: 8-bit reference, total, seqnum */
#define CONCAT_IE_REF16 0x08 /* IE: 16-bit reference, total, seqnum */

/* Fills INFO from the values of a concatenation IE or the SAR TLVs. */
static int concat_set(uint32_t ref, uint8_t total, uint8_t seqnum, struct concat_info *info)
{
    if (total == 0 || seqnum == 0 || seqnum > total) {
        memset(info, 0, sizeof *info);
        return -EINVAL;
    }
    info->is_part = total > 1;
    info->ref = info->is_part ? ref : 0;
    info->total = info->is_part ? total : 0;
    info->seqnum = info->is_part ? seqnum : 0;
    return 0;
}

int concat_from_udh(uint8_t esm_class, const uint8_t *sm, size_t len, struct concat_info *info)
{
    memset(info, 0, sizeof *info);
    if (!(esm_class & CONCAT_ESM_UDHI))
        return 0;
    if (len < 1 || (size_t)sm[0] + 1 > len)
        return -EINVAL;
    size_t end = (size_t)sm[0] + 1;
    for (size_t i = 1; i < end;) {
        if (i + 2 > end || i + 2 + sm[i + 1] > end) {
            memset(info, 0, sizeof *info);
            return -EINVAL;
        }
        uint8_t iei = sm[i], iel = sm[i + 1];
        const uint8_t *v = sm + i + 2;
        int rc = 0;
        if (iei == CONCAT_IE_REF8 && iel == 3)
            rc = concat_set(v[0], v[1], v[2], info);
        else if (iei == CONCAT_IE_REF16 && iel == 4)
            rc = concat_set(CONCAT_REF_UDH16 | (uint32_t)(v[0] << 8 | v[1]), v[2], v[3], info);
        if (rc < 0)
            return rc;
        i += 2 + (size_t)iel;
    }
    info->skip = end;
    return 0;
}

int concat_from_sar(uint16_t ref, uint8_t total, uint8_t seqnum, struct concat_info *info)
{
    memset(info, 0, sizeof *info);
    return concat_set(CONCAT_REF_SAR | ref, total, seqnum, info);
}

int concat_join(const struct concat_part *parts, size_t n, uint8_t total, uint8_t *out, size_t cap,
                unsigned *missing)
{
    size_t used = 0;
    *missing = 0;
    for (size_t i = 0; i < n; i++)
        if (parts[i].seqnum == 0 || parts[i].seqnum > total)
            return -EINVAL;
    for (unsigned seq = 1; seq <= total; seq++) {
        const struct concat_part *p = NULL;
        for (size_t i = 0; i < n && p == NULL; i++)
            if (parts[i].seqnum == seq)
                p = &parts[i];
        if (p == NULL) {
            (*missing)++;
            continue;
        }
        if (p->len > cap - used)
            return -ENOSPC;
        if (p->len > 0)
            memcpy(out + used, p->data, p->len);
        used += p->len;
    }
    return (int)used;
}
