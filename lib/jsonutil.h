/* jsonutil: strict parsing and typed getters over json-c. */
#ifndef CGLEVER_JSONUTIL_H
#define CGLEVER_JSONUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

/* Parses exactly len bytes: rejects embedded NULs, trailing garbage and
 * nesting deeper than 32. Returns NULL (and a reason in err) on error.
 * The caller owns the result (json_object_put). */
struct json_object *ju_parse(const char *buf, size_t len, char *err, size_t errlen);

/* Getters return NULL / 0 when the key is missing or of another type. */
const char *ju_str(struct json_object *o, const char *key);
struct json_object *ju_obj(struct json_object *o, const char *key);
struct json_object *ju_arr(struct json_object *o, const char *key);
/* Integer (JSON int, or a double with no fractional part). */
int ju_int64(struct json_object *o, const char *key, int64_t *out);
int ju_bool(struct json_object *o, const char *key, int *out);
/* 1 when key is present and null. */
int ju_is_null(struct json_object *o, const char *key);
/* strdup of ju_str, or NULL. */
char *ju_strdup(struct json_object *o, const char *key);
/* Serialized text, owned by the caller. */
char *ju_dump_alloc(struct json_object *o);

#endif
