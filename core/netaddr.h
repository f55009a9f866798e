/*
 * netaddr.h: IPv4 and IPv6 addresses, address:port pairs, CIDR lists and even port ranges,
 * parsed from configuration text and matched against a peer's address. Pure: no I/O (the
 * text conversions are inet_pton/inet_ntop, which touch nothing outside their arguments).
 */
#ifndef ERM_NETADDR_H
#define ERM_NETADDR_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* An IP address: FAMILY is 4 or 6; IPv4 uses the first 4 bytes of BYTES. */
struct netaddr {
    int family;
    uint8_t bytes[16];
};

/* A network: the first BITS bits of NET (0..32 for IPv4, 0..128 for IPv6). */
struct netaddr_cidr {
    struct netaddr net;
    unsigned bits;
};

/* Entries of a peer list at most. */
#define NETADDR_ACL_MAX 64

/* Parses an IPv4 or IPv6 literal (no brackets). Returns 0 or -EINVAL. */
int netaddr_parse_ip(const char *s, struct netaddr *out);

/* Parses "192.0.2.1:5060" or "[2001:db8::1]:5060" (port 1..65535). Returns 0 or -EINVAL. */
int netaddr_parse_hostport(const char *s, struct netaddr *addr, uint16_t *port);

/* Parses "192.0.2.0/24", "2001:db8::/32" or a lone address (a /32 or /128). Host bits set
 * beyond BITS are refused, since they mean the operator wrote something else than meant.
 * Returns 0 or -EINVAL. */
int netaddr_parse_cidr(const char *s, struct netaddr_cidr *out);

/* Parses a comma-separated list of CIDRs (spaces around entries allowed, at least one
 * entry, at most CAP) into OUT, setting *N. Returns 0, -EINVAL (a bad entry: its index
 * in *N) or -E2BIG. */
int netaddr_acl_parse(const char *list, struct netaddr_cidr *out, size_t cap, size_t *n);

/* 1 when ADDR lies in one of the N networks of ACL, else 0. An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1) matches the IPv4 networks as the IPv4 address it carries. */
int netaddr_acl_match(const struct netaddr_cidr *acl, size_t n, const struct netaddr *addr);

/* Reads an AF_INET or AF_INET6 socket address into ADDR and *PORT (either may be NULL for
 * the port). Returns 0 or -EAFNOSUPPORT. */
int netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *addr, uint16_t *port);

/* Writes ADDR as text ("192.0.2.1", "2001:db8::1") into OUT of CAP bytes (46 suffice). */
void netaddr_format(const struct netaddr *addr, char *out, size_t cap);

/* Parses an RTP port range "20000-20999": LO even, LO < HI, HI <= 65535, LO >= 1024, so
 * that it holds at least one even port and its odd RTCP neighbour. Returns 0 or -EINVAL. */
int netaddr_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi);

#endif
