/* form: strict application/x-www-form-urlencoded parsing (bodies and
 * query strings) against a declared field table, kcgi-style. Every field
 * a page accepts is declared once with its limits; handlers read only the
 * validated, typed values in struct form. */
#ifndef CGLEVER_FORM_H
#define CGLEVER_FORM_H

#include <stddef.h>
#include <stdint.h>

enum form_kind {
	FORM_STRING = 0, /* one line: no control characters at all */
	FORM_TEXT,       /* like FORM_STRING, but \n \r \t allowed (textarea) */
	FORM_INT         /* decimal within [min, max] (num.h: '-' only when min < 0) */
};

/* Used when a string field declares maxlen 0, so a forgotten limit is
 * still a limit. */
#define FORM_DEFAULT_MAXLEN 1024

struct form_field {
	const char *name;
	enum form_kind kind;
	size_t maxlen;      /* decoded bytes; 0 = FORM_DEFAULT_MAXLEN */
	int required;       /* must be present and non-empty */
	int64_t min, max;   /* FORM_INT: inclusive bounds, always enforced */
	const char *charset; /* strings: the only bytes allowed; NULL = any
			      * valid UTF-8 without control characters */
};

/* form_parse_ex flags. */
#define FORM_ALLOW_UNKNOWN 0x1u /* ignore fields not in the table */

/* Values are indexed like the table. An absent field has present[i] 0,
 * str[i] "" and num[i] 0, so a handler never meets a NULL. str[i] is the
 * decoded value (NUL-terminated, also for FORM_INT), owned by the form.
 * After a failed parse every present[i] is 0 and error says why, e.g.
 * "field 'name': too long"; error is "" after success. */
struct form {
	size_t n;
	const char **str;
	int64_t *num;
	int *present;
	char error[160];
};

/* Parses len bytes of buf (need not be NUL-terminated) strictly: unknown
 * fields are an error. Returns 0, or -1 with (*out)->error set. *out is
 * always allocated (the caller frees it with form_free) except when
 * memory runs out: then *out is NULL and errno is ENOMEM. */
int form_parse(const struct form_field *tbl, size_t n,
	       const char *buf, size_t len, struct form **out);
int form_parse_ex(const struct form_field *tbl, size_t n,
		  const char *buf, size_t len, unsigned flags,
		  struct form **out);
/* Index of name in the table, or -1: lets a handler avoid magic numbers. */
int form_index(const struct form_field *tbl, size_t n, const char *name);
void form_free(struct form *f);

#endif
