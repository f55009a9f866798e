/*
 * netaddr.c: address, CIDR and port-range parsing and matching for the [sip] section and
 * the SIP trunk's peer check (see netaddr.h). Pure text and byte work.
 */
#include "core/netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int netaddr_parse_ip(const char *s, struct netaddr *out)
{
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, s, out->bytes) == 1) {
        out->family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out->bytes) == 1) {
        out->family = 6;
        return 0;
    }
    return -EINVAL;
}

/* Parses the decimal number S (digits only) into *V if it lies in LO..HI. */
static int netaddr_parse_num(const char *s, unsigned long lo, unsigned long hi, unsigned long *v)
{
    if (*s == '\0' || strlen(s) > 6 || strspn(s, "0123456789") != strlen(s))
        return -EINVAL;
    *v = strtoul(s, NULL, 10);
    return *v >= lo && *v <= hi ? 0 : -EINVAL;
}

int netaddr_parse_hostport(const char *s, struct netaddr *addr, uint16_t *port)
{
    char host[64];
    const char *colon;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return -EINVAL;
        hlen = (size_t)(close - s - 1);
        s++;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL)
            return -EINVAL; /* IPv6 needs brackets */
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= sizeof host)
        return -EINVAL;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    unsigned long p;
    if (netaddr_parse_ip(host, addr) < 0 || netaddr_parse_num(colon + 1, 1, 65535, &p) < 0)
        return -EINVAL;
    if (addr->family == 4 && s[-1] == '[')
        return -EINVAL; /* brackets are for IPv6 only */
    *port = (uint16_t)p;
    return 0;
}

/* 1 when the bits of A beyond the first BITS are all zero. */
static int netaddr_host_bits_clear(const struct netaddr *a, unsigned bits)
{
    unsigned total = a->family == 4 ? 32 : 128;
    for (unsigned i = bits; i < total; i++)
        if (a->bytes[i / 8] & (0x80u >> (i % 8)))
            return 0;
    return 1;
}

int netaddr_parse_cidr(const char *s, struct netaddr_cidr *out)
{
    char ip[64];
    const char *slash = strchr(s, '/');
    size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);
    if (len == 0 || len >= sizeof ip)
        return -EINVAL;
    memcpy(ip, s, len);
    ip[len] = '\0';
    if (netaddr_parse_ip(ip, &out->net) < 0)
        return -EINVAL;
    unsigned long max = out->net.family == 4 ? 32 : 128, bits = max;
    if (slash != NULL && netaddr_parse_num(slash + 1, 0, max, &bits) < 0)
        return -EINVAL;
    out->bits = (unsigned)bits;
    return netaddr_host_bits_clear(&out->net, out->bits) ? 0 : -EINVAL;
}

int netaddr_acl_parse(const char *list, struct netaddr_cidr *out, size_t cap, size_t *n)
{
    *n = 0;
    const char *p = list;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strcspn(p, ",");
        char entry[80];
        size_t elen = len;
        while (elen > 0 && (p[elen - 1] == ' ' || p[elen - 1] == '\t'))
            elen--;
        if (elen == 0 || elen >= sizeof entry)
            return -EINVAL;
        if (*n == cap)
            return -E2BIG;
        memcpy(entry, p, elen);
        entry[elen] = '\0';
        if (netaddr_parse_cidr(entry, &out[*n]) < 0)
            return -EINVAL;
        (*n)++;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

/* Turns an IPv4-mapped IPv6 address into the IPv4 one it carries; others stay. */
static struct netaddr netaddr_unmap(const struct netaddr *a)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    struct netaddr r = *a;
    if (a->family == 6 && memcmp(a->bytes, mapped, sizeof mapped) == 0) {
        memset(&r, 0, sizeof r);
        r.family = 4;
        memcpy(r.bytes, a->bytes + 12, 4);
    }
    return r;
}

static int netaddr_cidr_match(const struct netaddr_cidr *c, const struct netaddr *a)
{
    if (c->net.family != a->family)
        return 0;
    unsigned full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->net.bytes, a->bytes, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
    return (c->net.bytes[full] & mask) == (a->bytes[full] & mask);
}

int netaddr_acl_match(const struct netaddr_cidr *acl, size_t n, const struct netaddr *addr)
{
    struct netaddr a = netaddr_unmap(addr);
    for (size_t i = 0; i < n; i++)
        if (netaddr_cidr_match(&acl[i], &a) || netaddr_cidr_match(&acl[i], addr))
            return 1;
    return 0;
}

int netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *addr, uint16_t *port)
{
    memset(addr, 0, sizeof *addr);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        addr->family = 4;
        memcpy(addr->bytes, &in->sin_addr, 4);
        if (port != NULL)
            *port = ntohs(in->sin_port);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        addr->family = 6;
        memcpy(addr->bytes, &in6->sin6_addr, 16);
        if (port != NULL)
            *port = ntohs(in6->sin6_port);
        return 0;
    }
    return -EAFNOSUPPORT;
}

void netaddr_format(const struct netaddr *addr, char *out, size_t cap)
{
    if (inet_ntop(addr->family == 4 ? AF_INET : AF_INET6, addr->bytes, out, (socklen_t)cap) == NULL)
        snprintf(out, cap, "?");
}

int netaddr_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
    char a[8], b[8];
    const char *dash = strchr(s, '-');
    if (dash == NULL || (size_t)(dash - s) >= sizeof a || strlen(dash + 1) >= sizeof b)
        return -EINVAL;
    memcpy(a, s, (size_t)(dash - s));
    a[dash - s] = '\0';
    snprintf(b, sizeof b, "%s", dash + 1);
    unsigned long l, h;
    if (netaddr_parse_num(a, 1024, 65534, &l) < 0 || netaddr_parse_num(b, 1025, 65535, &h) < 0)
        return -EINVAL;
    if (l % 2 != 0 || h <= l)
        return -EINVAL;
    *lo = (uint16_t)l;
    *hi = (uint16_t)h;
    return 0;
}
