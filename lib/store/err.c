/* err: an operation's error message, kept in the store handle for
 * store_last_error, and the names of the public error codes. The bottom
 * of lib/store: it calls no other file of it, and any may call it. */
#include <stdarg.h>
#include <stdio.h>

#include "store/store_int.h"

void set_err(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof st->err, fmt, ap);
	va_end(ap);
}

const char *store_strerror(enum store_err e)
{
	switch (e) {
	case STORE_OK: return "ok";
	case STORE_NOTFOUND: return "not found";
	case STORE_EXISTS: return "already exists";
	case STORE_ERR: return "store error";
	}
	return "unknown store error";
}

const char *store_last_error(const struct store *st)
{
	return st && st->err[0] ? st->err : "no error";
}
