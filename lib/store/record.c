/* record: records as JSON text (json-c), written and read from field
 * tables (store_int.h). Unknown fields are ignored on reading; a missing
 * number reads 0, a missing optional string NULL. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "store/store_int.h"

void jstr(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

void jint(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

void jbool(struct json_object *o, const char *k, int v)
{
	json_object_object_add(o, k, json_object_new_boolean(v ? 1 : 0));
}

int64_t jget_i64(struct json_object *o, const char *key)
{
	int64_t v = 0;

	return ju_int64(o, key, &v) ? v : 0;
}

int jget_bool(struct json_object *o, const char *key)
{
	int v = 0;

	return ju_bool(o, key, &v) ? v : 0;
}

/* Serializes and releases o; NULL when out of memory. */
static char *jdump_put(struct json_object *o)
{
	char *s = o ? ju_dump_alloc(o) : NULL;

	json_object_put(o);
	return s;
}

char *received_json(int64_t at)
{
	struct json_object *o = json_object_new_object();

	if (o)
		jint(o, "received_at", at);
	return jdump_put(o);
}

struct json_object *jparse(struct store *st, const char *table, const DBT *v)
{
	char why[128];
	struct json_object *o = ju_parse(v->data, v->size, why, sizeof why);

	if (!o)
		set_err(st, "corrupt record in %s: %s", table, why);
	else if (!json_object_is_type(o, json_type_object)) {
		set_err(st, "corrupt record in %s: not an object", table);
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static int is_zero(const struct field *f, const char *p)
{
	switch (f->type) {
	case FT_I64: return *(const int64_t *)p == 0;
	case FT_INT: case FT_BOOL: return *(const int *)p == 0;
	case FT_U32: return *(const uint32_t *)p == 0;
	case FT_DBL: return *(const double *)p == 0;
	case FT_STR: return *(char *const *)p == NULL;
	}
	return 0;
}

void rec_set(struct json_object *o, const struct rec_type *t, const void *rec, unsigned skip)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct field *f = &t->fields[i];
		const char *p = (const char *)rec + f->off;
		int iv;

		if (f->flags & (skip | F_KEY))
			continue;
		if ((f->flags & F_OMIT0) && is_zero(f, p)) {
			json_object_object_del(o, f->name);
			continue;
		}
		switch (f->type) {
		case FT_STR:
			if (*(char *const *)p)
				jstr(o, f->name, *(char *const *)p);
			else
				json_object_object_del(o, f->name);
			break;
		case FT_I64:
			jint(o, f->name, *(const int64_t *)p);
			break;
		case FT_INT:
			iv = *(const int *)p;
			if (iv < 0 && (f->flags & F_UNSET_NEG))
				json_object_object_del(o, f->name);
			else
				jint(o, f->name, iv);
			break;
		case FT_U32:
			jint(o, f->name, *(const uint32_t *)p);
			break;
		case FT_BOOL:
			jbool(o, f->name, *(const int *)p);
			break;
		case FT_DBL:
			json_object_object_add(o, f->name, json_object_new_double(*(const double *)p));
			break;
		}
	}
}

char *rec_encode(const struct rec_type *t, const void *rec)
{
	struct json_object *o = json_object_new_object();

	if (o)
		rec_set(o, t, rec, 0);
	return jdump_put(o);
}

static int has_secrets(const struct rec_type *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->fields[i].flags & F_SECRET)
			return 1;
	return 0;
}

void rec_text_free(const struct rec_type *t, char *text)
{
	if (has_secrets(t))
		crypto_free_secret(text);
	else
		free(text);
}

/* Copies a string field: 0, ENOMEM, or ERR_SET when a required field is
 * missing. */
static int jdup(struct store *st, struct json_object *o, const char *table,
		const char *key, int required, char **out)
{
	const char *s = ju_str(o, key);

	*out = NULL;
	if (!s) {
		if (!required)
			return 0;
		set_err(st, "corrupt record in %s: no %s", table, key);
		return ERR_SET;
	}
	*out = strdup(s);
	return *out ? 0 : ENOMEM;
}

static int rec_get(struct store *st, const struct rec_type *t, struct json_object *o,
		   void *rec)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct field *f = &t->fields[i];
		char *p = (char *)rec + f->off;
		struct json_object *m;
		int ret;

		if (f->flags & F_KEY)
			continue;
		switch (f->type) {
		case FT_STR:
			if ((ret = jdup(st, o, t->table, f->name, f->flags & F_REQUIRED,
					(char **)p)) != 0)
				return ret;
			break;
		case FT_I64:
			*(int64_t *)p = jget_i64(o, f->name);
			break;
		case FT_INT:
			if ((f->flags & F_UNSET_NEG) && !json_object_object_get_ex(o, f->name, NULL))
				*(int *)p = -1;
			else
				*(int *)p = (int)jget_i64(o, f->name);
			break;
		case FT_U32:
			*(uint32_t *)p = (uint32_t)jget_i64(o, f->name);
			break;
		case FT_BOOL:
			*(int *)p = jget_bool(o, f->name);
			break;
		case FT_DBL:
			if (json_object_object_get_ex(o, f->name, &m))
				*(double *)p = json_object_get_double(m);
			break;
		}
	}
	return 0;
}

int rec_from_json(struct store *st, const struct rec_type *t, struct json_object *o,
		  void **out)
{
	void *rec = calloc(1, t->size);
	int ret;

	*out = NULL;
	if (!rec)
		return ENOMEM;
	if ((ret = rec_get(st, t, o, rec)) != 0) {
		rec_free(t, rec);
		return ret;
	}
	*out = rec;
	return 0;
}

int rec_from_dbt(struct store *st, const struct rec_type *t, const DBT *v, void **out)
{
	struct json_object *o = jparse(st, t->table, v);
	int ret;

	*out = NULL;
	if (!o)
		return ERR_SET;
	ret = rec_from_json(st, t, o, out);
	json_object_put(o);
	return ret;
}

int rec_from_id_dbt(struct store *st, const struct rec_type *t, size_t id_off,
		    const DBT *k, const DBT *v, void **out)
{
	uint32_t id;
	int ret;

	*out = NULL;
	if (k->size != 4) {
		set_err(st, "corrupt key in %s", t->table);
		return ERR_SET;
	}
	id = get_be32(k->data);
	if ((ret = rec_from_dbt(st, t, v, out)) == 0)
		memcpy((char *)*out + id_off, &id, sizeof id);
	return ret;
}

void rec_free(const struct rec_type *t, void *rec)
{
	if (!rec)
		return;
	for (size_t i = 0; i < t->n; i++) {
		const struct field *f = &t->fields[i];
		char *s;

		/* Only string fields are read as pointers: another field's
		 * offset may not be aligned for one. */
		if (f->type != FT_STR)
			continue;
		memcpy(&s, (char *)rec + f->off, sizeof s);
		if (f->flags & F_SECRET)
			crypto_free_secret(s);
		else
			free(s);
	}
	free(rec);
}

void rec_list_free(const struct rec_type *t, void *list, size_t n)
{
	if (!list)
		return;
	for (size_t i = 0; i < n; i++) {
		void *rec;

		/* An element is a struct X *: copied out, not read as a void *. */
		memcpy(&rec, (char *)list + i * sizeof rec, sizeof rec);
		rec_free(t, rec);
	}
	free(list);
}
