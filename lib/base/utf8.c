/* utf8: see utf8.h. */
#include <string.h>

#include "base/utf8.h"

size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

int utf8_valid(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t i = 0, k;

	while (i < n) {
		if (s[i] < 0x80) {   /* ASCII: the common case, no decoding */
			i++;
			continue;
		}
		if (!(k = utf8_seq(s + i, n - i, &cp)))
			return 0;
		i += k;
	}
	return 1;
}

char *utf8_cut_alloc(const char *s, size_t max)
{
	size_t i, chars = 0;

	for (i = 0; s[i]; i++) {
		/* A byte that is not a continuation (10xxxxxx) starts a character. */
		if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max)
			break;
	}
	return strndup(s, i);
}
