/* jsonutil: strict parsing and typed getters over json-c. */
#ifndef CGLEVER_JSONUTIL_H
#define CGLEVER_JSONUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "base/num.h"

/* Parses exactly len bytes: rejects embedded NULs (raw or as \u0000),
 * trailing garbage and nesting deeper than 32. Returns NULL (and a
 * reason in err) on error. The caller owns the result (json_object_put). */
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
/* The member, or NULL when absent or null (or o is not an object). */
struct json_object *ju_member(struct json_object *o, const char *key);

/* Optional fields, for checking a reply field by field: absent or JSON
 * null gives the default and 0; a value of another type gives -1. */
/* A copy of the string, or NULL; -1 also when out of memory. */
int ju_opt_str_alloc(struct json_object *o, const char *key, char **out);
/* A copy of an array of strings (NULL and 0 when empty); -1 also when an
 * element is not a string or out of memory. Free with ju_strv_free. */
int ju_opt_strv_alloc(struct json_object *o, const char *key, char ***out, size_t *n);
void ju_strv_free(char **v, size_t n);
/* An integer as ju_int64 takes it; the default is 0. */
int ju_opt_int64(struct json_object *o, const char *key, int64_t *out);

/* A JSON integer written as plain decimal digits (a '-' only when min <
 * 0) within [min, max], read through num_parse from its text: 1.7e12,
 * 1.0 and 99999999999999999999 (which json-c clamps to 2^64-1) are
 * refused. Returns NUM_OK with *out set; NUM_SYNTAX when absent, not
 * a number or not so written; NUM_RANGE. */
enum num_err ju_num(struct json_object *o, const char *key, int64_t min, int64_t max,
		    int64_t *out);

/* Wipes json-c's copy of the string o[key], if any, before the tree is
 * freed: json_object_put frees without wiping. For secrets. */
void ju_wipe_str(struct json_object *o, const char *key);

/* Adds o[key] = the string val; -1 when out of memory (o unchanged). */
int ju_add_str(struct json_object *o, const char *key, const char *val);

/* Serialized text, owned by the caller. */
char *ju_dump_alloc(struct json_object *o);

#endif
