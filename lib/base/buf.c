#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

int buf_reserve(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	if (elem == 0)
		return -1;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -1;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / elem || !(np = realloc(*p, ncap * elem)))
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

int buf_append(struct buf *b, const void *s, size_t n)
{
	void *p = b->data;

	if (n >= SIZE_MAX - b->len || buf_reserve(&p, &b->cap, b->len + n + 1, 1) < 0)
		return -1;
	b->data = p;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}
