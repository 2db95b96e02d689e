/* utf8: strict UTF-8 decoding (RFC 3629), shared by form parsing, the
 * webhook bodies (intake) and HTML escaping. */
#ifndef CGLEVER_UTF8_H
#define CGLEVER_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length of the well-formed UTF-8 sequence at s (code point in *cp), or 0
 * when malformed: overlong forms, surrogates and values past U+10FFFF
 * are refused. */
size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);
/* 1 when all n bytes are well-formed UTF-8 as utf8_seq takes it (a
 * sequence cut short at the end is malformed), else 0. */
int utf8_valid(const unsigned char *s, size_t n);

/* strndup of the string s cut to at most max characters (code points),
 * never in the middle of a UTF-8 sequence; NULL when out of memory. */
char *utf8_cut_alloc(const char *s, size_t max);

#endif
