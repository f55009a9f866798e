/*
 * conninfo.h: passwords hidden in what is printed about a libpq conninfo: ermgw's log and
 * --check, ermctl's --db errors, ermweb's messages. Pure: no I/O, no libpq.
 */
#ifndef ERM_CONNINFO_H
#define ERM_CONNINFO_H

#include <stddef.h>

/* The stand-in for a password. */
#define CONNINFO_MASK "***"

/* Copies TEXT into OUT (CAP bytes, NUL-terminated, cut when short) with every password
 * replaced by CONNINFO_MASK: the value of a password keyword ("password=x", "password = 'a b'",
 * a URI's "?password=x" or "&password=x") and the password of a URI's "user:password@",
 * found in TEXT itself; and, wherever they appear in TEXT, the passwords found so in
 * CONNINFO (NULL: none), since libpq quotes pieces of a conninfo it cannot parse. A
 * password shorter than 3 bytes is hidden where it has its keyword or URI place only.
 * Returns the length written. TEXT == CONNINFO masks a conninfo itself. */
size_t conninfo_mask(const char *conninfo, const char *text, char *out, size_t cap);

#endif
