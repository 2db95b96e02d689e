/* buf: growable memory, the one home of "double the capacity". */
#ifndef CGLEVER_BUF_H
#define CGLEVER_BUF_H

#include <stddef.h>

/* Makes room for at least need elements of size elem in *p (capacity
 * *cap elements, doubled from 16 as needed). Returns 0, or -1 on
 * overflow or out of memory (then *p and *cap are unchanged). */
int buf_reserve(void **p, size_t *cap, size_t need, size_t elem);

/* A NUL-terminated byte string that grows; zero-initialize it. */
struct buf {
	char *data;   /* NULL until the first append; owned, free() it */
	size_t len;
	size_t cap;
};

/* Appends n bytes of s and keeps data NUL-terminated. Returns 0, or -1
 * (overflow or out of memory; b is unchanged). */
int buf_append(struct buf *b, const void *s, size_t n);

#endif
