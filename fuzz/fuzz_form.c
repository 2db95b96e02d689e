/* fuzz_form: form_parse / form_parse_ex over tables like the admin
 * pages' and the OAuth callback's, the input taken as a POST body (bytes
 * and a length) and as a query string (NUL-terminated, as CGI gives it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "web/form.h"
#include "fuzz_common.h"
#include "base/utf8.h"

#define HEX "0123456789abcdef"

/* admin_rules.c's rule form, with the campaign as a number. */
static const struct form_field rule_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789." HEX },
	{ "tag", FORM_STRING, 200, 0, 0, 0, NULL },
	{ "stage", FORM_STRING, 64, 0, 0, 0, NULL },
	{ "campaign", FORM_INT, 19, 0, 1, INT64_MAX, NULL },
	{ "pass", FORM_INT, 3, 0, 0, 100, NULL },
	{ "fail", FORM_INT, 3, 0, 0, 100, NULL },
	{ "pass_tag", FORM_STRING, 200, 0, 0, 0, NULL },
	{ "action", FORM_STRING, 10, 0, 0, 0, "abcdefghijklmnopqrstuvwxyz" },
};

/* oauth.c's callback query. */
static const struct form_field callback_fields[] = {
	{ "code", FORM_STRING, 512, 0, 0, 0, NULL },
	{ "state", FORM_STRING, 128, 0, 0, 0, HEX },
	{ "error", FORM_STRING, 100, 0, 0, 0, NULL },
	{ "error_description", FORM_STRING, 500, 0, 0, 0, NULL },
};

/* Every kind and limit at once: text, default maxlen, full int ranges,
 * a charset with high bytes, required fields. */
static const struct form_field mixed_fields[] = {
	{ "account", FORM_INT, 10, 1, 1, UINT32_MAX, NULL },
	{ "note", FORM_TEXT, 2000, 0, 0, 0, NULL },
	{ "name", FORM_STRING, 0, 0, 0, 0, NULL },
	{ "delta", FORM_INT, 0, 0, INT64_MIN, INT64_MAX, NULL },
	{ "score", FORM_INT, 0, 0, -100, 100, NULL },
	{ "latin", FORM_TEXT, 8, 0, 0, 0, "ab\xc3\xa9\n" },
	{ "on", FORM_INT, 1, 1, 0, 1, NULL },
};

#define N(t) (sizeof t / sizeof t[0])

/* What form.h promises about a parsed form. */
static void check_form(const struct form_field *tbl, size_t n, const struct form *f, int rc)
{
	size_t i;

	FUZZ_CHECK(f->n == n);
	fuzz_check_msg(f->error, sizeof f->error, rc != 0);
	if (rc == 0)
		FUZZ_CHECK(f->error[0] == '\0');
	for (i = 0; i < n; i++) {
		const struct form_field *fd = &tbl[i];
		const char *s = f->str[i];
		size_t len, k;
		uint32_t cp;

		FUZZ_CHECK(s != NULL);
		len = strlen(s);
		if (rc != 0 || !f->present[i]) {
			/* Absent, or the parse failed: nothing to read. */
			FUZZ_CHECK(f->present[i] == 0 && f->num[i] == 0 && len == 0);
			FUZZ_CHECK(rc != 0 || !fd->required);
			continue;
		}
		if (fd->required)
			FUZZ_CHECK(len > 0);
		if (fd->kind == FORM_INT) {
			char *end;
			long long x;

			errno = 0;
			x = strtoll(s, &end, 10);
			FUZZ_CHECK(len > 0 && errno == 0 && *end == '\0' && x == f->num[i]);
			FUZZ_CHECK(f->num[i] >= fd->min && f->num[i] <= fd->max);
			FUZZ_CHECK(s[0] == '-' || (s[0] >= '0' && s[0] <= '9'));
			continue;
		}
		FUZZ_CHECK(f->num[i] == 0);
		FUZZ_CHECK(len <= (fd->maxlen ? fd->maxlen : FORM_DEFAULT_MAXLEN));
		for (k = 0; fd->charset && k < len; k++)
			FUZZ_CHECK(strchr(fd->charset, s[k]) != NULL);
		for (k = 0; k < len;) {
			size_t l = utf8_seq((const unsigned char *)s + k, len - k, &cp);

			FUZZ_CHECK(l > 0);
			k += l;
			if (fd->charset)
				continue;
			if (fd->kind == FORM_TEXT && (cp == '\n' || cp == '\r' || cp == '\t'))
				continue;
			FUZZ_CHECK(cp >= 0x20 && (cp < 0x7f || cp > 0x9f));
		}
	}
}

static void one(const struct form_field *tbl, size_t n, const char *buf, size_t len,
		unsigned flags)
{
	struct form *f = NULL;
	int rc = form_parse_ex(tbl, n, buf, len, flags, &f);

	if (!f) {
		FUZZ_CHECK(rc < 0 && errno == ENOMEM);
		return;
	}
	FUZZ_CHECK(rc == 0 || rc == -1);
	check_form(tbl, n, f, rc);
	/* A NUL in the data can never get through, nor a value in a strict
	 * parse that the table does not declare. */
	if (rc == 0)
		FUZZ_CHECK(!memchr(buf, '\0', len));
	form_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	char *query = fuzz_strndup(data, size);
	struct form *f = NULL;

	/* Bodies: bytes and a length, strict and lenient. */
	one(rule_fields, N(rule_fields), body, size, 0);
	one(mixed_fields, N(mixed_fields), body, size, 0);
	one(mixed_fields, N(mixed_fields), body, size, FORM_ALLOW_UNKNOWN);
	/* The query string as oauth.c hands it over. */
	one(callback_fields, N(callback_fields), query, strlen(query), FORM_ALLOW_UNKNOWN);
	one(rule_fields, N(rule_fields), query, strlen(query), 0);
	/* form_parse is form_parse_ex without flags. */
	if (form_parse(callback_fields, N(callback_fields), body, size, &f) == 0)
		check_form(callback_fields, N(callback_fields), f, 0);
	form_free(f);
	free(query);
	return 0;
}
