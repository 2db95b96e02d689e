/* jsonutil: json-c with the strictness the webhook needs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonutil.h"

/* 1 when buf holds the escape \u0000: json-c would put a NUL inside a
 * string (cut short by every C string function after it) or cut a key at
 * it. Backslashes occur only inside strings, escaping the next character,
 * so taking them pairwise finds exactly the escapes. */
static int escaped_nul(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\\')
			continue;
		if (len - i >= 6 && memcmp(buf + i + 1, "u0000", 5) == 0)
			return 1;
		i++;
	}
	return 0;
}

struct json_object *ju_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;

	if (memchr(buf, '\0', len) || escaped_nul(buf, len)) {
		snprintf(err, errlen, "NUL byte in JSON");
		return NULL;
	}
	if (len > 0x7fffffff) {
		snprintf(err, errlen, "JSON too large");
		return NULL;
	}
	tok = json_tokener_new_ex(32);
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success) {
		snprintf(err, errlen, "%s",
			 jerr == json_tokener_continue ? "truncated JSON"
						       : json_tokener_error_desc(jerr));
		json_object_put(o);
		o = NULL;
	} else {
		/* Anything but whitespace after the value is garbage. */
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
			if (!strchr(" \t\r\n", buf[i])) {
				snprintf(err, errlen, "trailing data after JSON");
				json_object_put(o);
				o = NULL;
				break;
			}
		}
	}
	json_tokener_free(tok);
	return o;
}

static struct json_object *member(struct json_object *o, const char *key,
				  enum json_type t)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

const char *ju_str(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

struct json_object *ju_obj(struct json_object *o, const char *key)
{
	return member(o, key, json_type_object);
}

struct json_object *ju_arr(struct json_object *o, const char *key)
{
	return member(o, key, json_type_array);
}

int ju_int64(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;

	if ((v = member(o, key, json_type_int))) {
		*out = json_object_get_int64(v);
		return 1;
	}
	if ((v = member(o, key, json_type_double))) {
		double d = json_object_get_double(v);

		if (d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d) {
			*out = (int64_t)d;
			return 1;
		}
	}
	return 0;
}

int ju_bool(struct json_object *o, const char *key, int *out)
{
	struct json_object *v = member(o, key, json_type_boolean);

	if (!v)
		return 0;
	*out = json_object_get_boolean(v) ? 1 : 0;
	return 1;
}

int ju_is_null(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, key, &v) && v == NULL;
}

char *ju_strdup(struct json_object *o, const char *key)
{
	const char *s = ju_str(o, key);

	return s ? strdup(s) : NULL;
}

struct json_object *ju_member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v; /* NULL for JSON null too */
}

int ju_opt_str_alloc(struct json_object *o, const char *key, char **out)
{
	struct json_object *v = ju_member(o, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = strdup(json_object_get_string(v));
	return *out ? 0 : -1;
}

void ju_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int ju_opt_strv_alloc(struct json_object *o, const char *key, char ***out, size_t *n)
{
	struct json_object *v = ju_member(o, key);
	size_t len, i;
	char **a;

	*out = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return -1;
	len = json_object_array_length(v);
	if (len == 0)
		return 0;
	if (!(a = calloc(len, sizeof *a)))
		return -1;
	for (i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string) ||
		    !(a[i] = strdup(json_object_get_string(e)))) {
			ju_strv_free(a, i);
			return -1;
		}
	}
	*out = a;
	*n = len;
	return 0;
}

int ju_opt_int64(struct json_object *o, const char *key, int64_t *out)
{
	*out = 0;
	if (!ju_member(o, key))
		return 0;
	return ju_int64(o, key, out) ? 0 : -1;
}

enum num_err ju_num(struct json_object *o, const char *key, int64_t min, int64_t max,
		    int64_t *out)
{
	struct json_object *v = member(o, key, json_type_int);

	if (!v && !(v = member(o, key, json_type_double)))
		return NUM_SYNTAX;
	/* An int prints as its value: json-c clamps digits past 2^64-1 to
	 * 2^64-1, still past INT64_MAX. A double prints the text it was
	 * parsed from, which is not plain digits. */
	return num_parse_str(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), min,
			     max, out);
}

void ju_wipe_str(struct json_object *o, const char *key)
{
	const char *s = ju_str(o, key);

	if (s)
		explicit_bzero((char *)s, strlen(s));
}

int ju_add_str(struct json_object *o, const char *key, const char *val)
{
	struct json_object *v = json_object_new_string(val);

	if (!v || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

char *ju_dump_alloc(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);

	return s ? strdup(s) : NULL;
}
