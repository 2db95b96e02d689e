/* num: bounded decimal parsing; see num.h. */
#include <string.h>

#include "base/num.h"

enum num_err num_parse(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	uint64_t mag = 0, limit = (uint64_t)INT64_MAX;
	size_t i = 0;
	int64_t v;
	int neg = 0;

	if (!s)
		return NUM_SYNTAX;
	if (len > 0 && s[0] == '-' && min < 0) {
		neg = 1;
		i = 1;
		limit = (uint64_t)INT64_MAX + 1;   /* |INT64_MIN| */
	}
	if (i == len)
		return NUM_SYNTAX;
	for (; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return NUM_SYNTAX;
		/* Past int64_t: keep checking the syntax (a syntax error wins). */
		if (mag > (limit - d) / 10)
			mag = limit + 1;
		else
			mag = mag * 10 + d;
	}
	if (mag > limit)
		return NUM_RANGE;
	/* mag <= |INT64_MIN|: negate in unsigned, then convert back. */
	v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	if (v < min || v > max)
		return NUM_RANGE;
	*out = v;
	return NUM_OK;
}

enum num_err num_parse_str(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return s ? num_parse(s, strlen(s), min, max, out) : NUM_SYNTAX;
}
