/* fuzz_common: see fuzz_common.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "base/jsonutil.h"
#include "base/log.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *prog = *argc > 0 && (*argv)[0] ? (*argv)[0] : "fuzz";
	const char *slash = strrchr(prog, '/');

	log_init(slash ? slash + 1 : prog, LOG_LEVEL_ERROR);
	return 0;
}

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

int fuzz_has_escaped_nul(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\\')
			continue;
		if (len - i >= 6 && memcmp(buf + i + 1, "u0000", 5) == 0)
			return 1;
		i++; /* the escaped character, maybe a backslash */
	}
	return 0;
}

/* Every string value has no NUL before its end; keys are checked on the
 * raw text (json-c cuts a key at a NUL, so the tree cannot tell). */
static void check_strings(struct json_object *o, int depth)
{
	FUZZ_CHECK(depth <= 33);
	switch (json_object_get_type(o)) {
	case json_type_string:
		FUZZ_CHECK(strlen(json_object_get_string(o)) ==
			   (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			check_strings(json_object_array_get_idx(o, i), depth + 1);
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			FUZZ_CHECK(k != NULL);
			check_strings(v, depth + 1);
		}
		break;
	}
	default:
		break;
	}
}

void fuzz_check_ju_parse(const uint8_t *buf, size_t len)
{
	char err[128];
	struct json_object *o = ju_parse((const char *)buf, len, err, sizeof err);

	if (!o) {
		fuzz_check_msg(err, sizeof err, 1);
		return;
	}
	FUZZ_CHECK(!memchr(buf, '\0', len));
	FUZZ_CHECK(!fuzz_has_escaped_nul(buf, len));
	check_strings(o, 0);
	json_object_put(o);
}

void fuzz_check_msg(const char *msg, size_t size, int nonempty)
{
	FUZZ_CHECK(memchr(msg, '\0', size) != NULL);
	if (nonempty)
		FUZZ_CHECK(msg[0] != '\0');
}

char *fuzz_strndup(const uint8_t *buf, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memcpy(s, buf, len);
	s[len] = '\0';
	return s;
}

void fuzz_check_outcome(int ok, int known, const char *why, size_t size)
{
	FUZZ_CHECK(known);
	if (!ok)
		fuzz_check_msg(why, size, 1);
}
