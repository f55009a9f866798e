/*
 * field.h: the checks every input field of an operator's form goes through, whatever it
 * belongs to (a product, an employee, a team): free text with a length in characters, a
 * calendar date, a small number; and the one error line a failed check writes. Pure
 * functions, no I/O, no allocation.
 *
 * Errors: the checks return 0 or -EINVAL and, on error, write one line into the caller's
 * ERR buffer (ERRLEN bytes) naming the field as the caller names it ("--name", or an
 * import file's column "name"), e.g.
 *   --name: 41 characters, at most 40
 */
#ifndef ERM_FIELD_H
#define ERM_FIELD_H

#include <stddef.h>

/* Characters of a name: a product's, an employee's, a team's. */
#define FIELD_NAME_MAX 40
/* Bytes of a name of FIELD_NAME_MAX characters of UTF-8 (4 bytes each at most) and its
 * NUL. */
#define FIELD_NAME_BYTES (FIELD_NAME_MAX * 4 + 1)

/* Writes the error line FMT ... into ERR (ERRLEN bytes; ERR may be NULL) and returns RC:
 * the one way a failed check (or any error line of an operator's command) is written. */
__attribute__((format(printf, 4, 5))) int field_error(char *err, size_t errlen, int rc,
                                                      const char *fmt, ...);

/* 1 when code point CP changes or hides what a reader sees: a C1 control (U+0080..U+009F),
 * a bidirectional mark (U+200E, U+200F), embedding or override (U+202A..U+202E: U+202E shows
 * "gpj.exe" as "exe.jpg") or isolate (U+2066..U+2069). */
int field_is_hidden(unsigned cp);

/* Characters (code points) of UTF-8 S, or -1 when S is not valid UTF-8 (overlong forms and
 * surrogates included) or holds a control character (DEL too) or a code point of
 * field_is_hidden(); with NEWLINES, newlines and tabs are allowed. */
long field_chars(const char *s, int newlines);

/* Checks free text VALUE of field FIELD: valid UTF-8 without control characters (NEWLINES:
 * newlines and tabs allowed) nor field_is_hidden() ones ("--name: holds U+202E, ...") of 1
 * (0 when !REQUIRED; NULL or "" is then fine) to MAX characters. 0 or -EINVAL. */
int field_check_text(const char *field, const char *value, int required, long max, int newlines,
                     char *err, size_t errlen);

/* 1 when S is a real calendar date written YYYY-MM-DD, of the year 2000 or later. */
int field_is_date(const char *s);

/* 1 when TEXT is 1 to 3 ASCII digits worth at most MAX. */
int field_is_small_uint(const char *text, unsigned max);

#endif
