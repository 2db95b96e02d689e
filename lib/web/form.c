/* form: strict urlencoded form parsing against a declared field table. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/form.h"
#include "base/num.h"
#include "base/utf8.h"

/* Longest field name we decode; table names are short identifiers, so a
 * longer key can only be an unknown field. */
#define KEY_MAX 64

enum dec {
	DEC_OK = 0,
	DEC_BADESC,   /* '%' not followed by two hex digits */
	DEC_NUL,      /* %00 */
	DEC_TOOLONG   /* output would not fit */
};

static int hexval(unsigned char c)
{
	/* Not isxdigit(): the locale must not change what we accept. */
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes raw[0..rlen) into out (room for cap bytes plus a NUL),
 * '+' meaning space. Length in *olen. */
static enum dec url_decode(const char *raw, size_t rlen, char *out, size_t cap,
			   size_t *olen)
{
	size_t i, o = 0;

	for (i = 0; i < rlen; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c == '%') {
			int hi, lo;

			if (rlen - i < 3)
				return DEC_BADESC;
			hi = hexval((unsigned char)raw[i + 1]);
			lo = hexval((unsigned char)raw[i + 2]);
			if (hi < 0 || lo < 0)
				return DEC_BADESC;
			c = (unsigned char)(hi << 4 | lo);
			if (c == 0)
				return DEC_NUL;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (o >= cap)
			return DEC_TOOLONG;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*olen = o;
	return DEC_OK;
}

/* NULL when the string value is acceptable, else the reason. */
static const char *check_string(const struct form_field *fd, const char *v,
				size_t vl)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t i = 0, k;
	uint32_t cp;

	if (fd->charset) {
		size_t cl = strlen(fd->charset);

		for (i = 0; i < vl; i++)
			if (!memchr(fd->charset, s[i], cl))
				return "character not allowed";
	}
	/* UTF-8 is checked even with a charset, in case it has high bytes. */
	for (i = 0; i < vl; i += k) {
		k = utf8_seq(s + i, vl - i, &cp);
		if (k == 0)
			return "invalid UTF-8";
		if (fd->charset)
			continue; /* the charset already said which bytes */
		if (fd->kind == FORM_TEXT &&
		    (cp == '\n' || cp == '\r' || cp == '\t'))
			continue;
		/* C0, DEL and C1 controls. */
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return "control character";
	}
	return NULL;
}

/* The house integer parser, then the field's range. */
static const char *check_int(const struct form_field *fd, const char *v,
			     size_t vl, int64_t *out)
{
	switch (num_parse(v, vl, fd->min, fd->max, out)) {
	case NUM_OK:
		return NULL;
	case NUM_RANGE:
		return "out of range";
	case NUM_SYNTAX:
		break;
	}
	return "not an integer";
}

/* Echo an unknown field name only when it is harmless to show; the error
 * may end up in a log line or a page. */
static int printable_name(const char *k)
{
	size_t i;

	for (i = 0; k[i]; i++) {
		char c = k[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return i > 0 && i <= 32;
}

static const char *dec_reason(enum dec d)
{
	switch (d) {
	case DEC_BADESC:  return "bad percent-escape";
	case DEC_NUL:     return "NUL byte";
	case DEC_TOOLONG: return "too long";
	case DEC_OK:      break;
	}
	return "malformed";
}

int form_index(const struct form_field *tbl, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n && i <= INT32_MAX; i++)
		if (strcmp(tbl[i].name, name) == 0)
			return (int)i;
	return -1;
}

static size_t round_up(size_t x)
{
	size_t a = alignof(max_align_t);

	return (x + a - 1) / a * a;
}

/* One allocation holds the struct, the three arrays and the decoded
 * bytes, so form_free is a single free() and nothing can leak. The
 * decoded values never need more than len + 1 bytes: each stored value
 * plus its NUL is no longer than its raw "key=value" pair. */
static struct form *form_alloc(size_t n, size_t len)
{
	size_t off_num, off_str, off_present, off_buf, total;
	struct form *f;
	char *base;

	if (n > SIZE_MAX / 64 || len > SIZE_MAX / 2)
		return NULL;
	off_num = round_up(sizeof *f);
	off_str = round_up(off_num + n * sizeof(int64_t));
	off_present = round_up(off_str + n * sizeof(const char *));
	off_buf = off_present + n * sizeof(int);
	total = off_buf + len + 1;
	base = calloc(1, total);
	if (!base)
		return NULL;
	f = (struct form *)(void *)base;
	f->n = n;
	f->num = (int64_t *)(void *)(base + off_num);
	f->str = (const char **)(void *)(base + off_str);
	f->present = (int *)(void *)(base + off_present);
	return f;
}

static void form_clear(struct form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		f->str[i] = "";
		f->num[i] = 0;
		f->present[i] = 0;
	}
}

static char *form_bytes(struct form *f)
{
	return (char *)(f->present + f->n);
}

int form_parse_ex(const struct form_field *tbl, size_t n,
		  const char *buf, size_t len, unsigned flags,
		  struct form **out)
{
	struct form *f;
	char *store;
	size_t p = 0, pos = 0, i;
	int rc = -1;

	*out = NULL;
	f = form_alloc(n, len);
	if (!f) {
		errno = ENOMEM;
		return -1;
	}
	form_clear(f);
	store = form_bytes(f);
	if (len && !buf) {
		snprintf(f->error, sizeof f->error, "no form data");
		goto out;
	}
	/* A raw NUL would cut every string short of what was validated. */
	if (len && memchr(buf, '\0', len)) {
		snprintf(f->error, sizeof f->error, "NUL byte in form data");
		goto out;
	}

	while (p < len) {
		const char *pair = buf + p, *eq, *amp, *vraw;
		size_t plen, klen, vlen, dl;
		char key[KEY_MAX + 1];
		const struct form_field *fd;
		const char *why;
		enum dec d, kd;
		int idx;

		amp = memchr(pair, '&', len - p);
		plen = amp ? (size_t)(amp - pair) : len - p;
		p += plen + 1;
		if (plen == 0)
			continue; /* "a=1&&b=2", a trailing '&': harmless */
		eq = memchr(pair, '=', plen);
		klen = eq ? (size_t)(eq - pair) : plen;
		vraw = eq ? eq + 1 : pair + plen;
		vlen = eq ? plen - klen - 1 : 0;
		if (klen == 0) {
			snprintf(f->error, sizeof f->error, "empty field name");
			goto out;
		}

		kd = url_decode(pair, klen, key, KEY_MAX, &dl);
		if (kd == DEC_BADESC || kd == DEC_NUL) {
			snprintf(f->error, sizeof f->error,
				 "malformed field name (%s)", dec_reason(kd));
			goto out;
		}
		/* A name longer than KEY_MAX is in no table. */
		idx = kd == DEC_OK ? form_index(tbl, n, key) : -1;
		if (idx < 0) {
			/* Still decode the value: malformed is never ignored. */
			d = url_decode(vraw, vlen, store + pos, len - pos, &dl);
			if (d != DEC_OK) {
				snprintf(f->error, sizeof f->error,
					 "malformed value (%s)", dec_reason(d));
				goto out;
			}
			if (flags & FORM_ALLOW_UNKNOWN)
				continue;
			if (kd == DEC_OK && printable_name(key))
				snprintf(f->error, sizeof f->error,
					 "unknown field '%s'", key);
			else
				snprintf(f->error, sizeof f->error,
					 "unknown field");
			goto out;
		}
		fd = &tbl[idx];
		if (f->present[idx]) {
			/* Two values for one field: which would a check see? */
			why = "duplicate";
			goto bad_field;
		}
		d = url_decode(vraw, vlen, store + pos, len - pos, &dl);
		if (d != DEC_OK) {
			why = dec_reason(d);
			goto bad_field;
		}
		if (fd->kind == FORM_INT) {
			/* Empty means "not given" (a blank number input). */
			if (dl > 0 &&
			    (why = check_int(fd, store + pos, dl, &f->num[idx])))
				goto bad_field;
		} else {
			if (dl > (fd->maxlen ? fd->maxlen : FORM_DEFAULT_MAXLEN)) {
				why = "too long";
				goto bad_field;
			}
			if ((why = check_string(fd, store + pos, dl)))
				goto bad_field;
		}
		f->str[idx] = store + pos;
		f->present[idx] = 1;
		pos += dl + 1;
		continue;
bad_field:
		snprintf(f->error, sizeof f->error, "field '%s': %s",
			 fd->name, why);
		goto out;
	}

	for (i = 0; i < n; i++) {
		int empty = f->str[i][0] == '\0';

		if (tbl[i].required && (!f->present[i] || empty)) {
			snprintf(f->error, sizeof f->error,
				 "field '%s': missing", tbl[i].name);
			goto out;
		}
		if (tbl[i].kind == FORM_INT && empty)
			f->present[i] = 0;
	}
	rc = 0;
out:
	if (rc != 0)
		form_clear(f); /* nothing half-validated is left to read */
	*out = f;
	return rc;
}

int form_parse(const struct form_field *tbl, size_t n,
	       const char *buf, size_t len, struct form **out)
{
	return form_parse_ex(tbl, n, buf, len, 0, out);
}

void form_free(struct form *f)
{
	free(f);
}
