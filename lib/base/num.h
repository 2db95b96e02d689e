/* num: the one bounded integer parser (DESIGN: "bounded strtoll, never
 * atoi"). Every number cglever reads from a form, a header, a URL, the
 * command line or a token goes through it. */
#ifndef CGLEVER_NUM_H
#define CGLEVER_NUM_H

#include <stddef.h>
#include <stdint.h>

enum num_err {
	NUM_OK = 0,
	NUM_SYNTAX,   /* empty, or not plain decimal digits */
	NUM_RANGE     /* digits, but outside [min, max] (or int64_t) */
};

/* Parses len bytes of s as plain decimal: digits only, with one leading
 * '-' allowed only when min < 0. No '+', space, base prefix or trailing
 * byte, so "+12", " 12" and "12 " are NUM_SYNTAX. On NUM_OK *out holds
 * the value; otherwise *out is untouched. */
enum num_err num_parse(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);
/* The same over a NUL-terminated string (NULL is NUM_SYNTAX). */
enum num_err num_parse_str(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
