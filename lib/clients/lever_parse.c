/* lever_parse: the checks of Lever's replies; see lever_parse.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jsonutil.h"
#include "clients/lever_parse.h"

const char LEVER_LIST_STOP[] = "stop";

/* A 2xx reply's text as the calls take it (API_REPLY_OBJECT): an object,
 * else NULL and why. */
static struct json_object *reply_object(const char *json, size_t len, char *why,
					size_t whylen)
{
	struct json_object *root = ju_parse(json, len, why, whylen);

	if (root && !json_object_is_type(root, json_type_object)) {
		snprintf(why, whylen, "reply is not a JSON object");
		json_object_put(root);
		root = NULL;
	}
	return root;
}

/* --- opportunities ----------------------------------------------------- */

void lever_opportunity_free(struct lever_opportunity *o)
{
	if (!o)
		return;
	free(o->id);
	free(o->name);
	ju_strv_free(o->emails, o->n_emails);
	ju_strv_free(o->tags, o->n_tags);
	free(o->stage_id);
	for (size_t i = 0; i < o->n_changes; i++)
		free(o->changes[i].to_stage_id);
	free(o->changes);
	free(o->contact);
	free(o);
}

/* stageChanges, [{toStageId, toStageIndex, userId, updatedAt}], into o.
 * An entry without a toStageId (null: a stage since deleted?) says
 * nothing we can use and is left out; a wrong type is a bad reply. */
static const char *parse_stage_changes(struct json_object *v, struct lever_opportunity *o)
{
	size_t n;

	if (!json_object_is_type(v, json_type_array))
		return "stageChanges is not an array";
	if (!(n = json_object_array_length(v)))
		return NULL;
	if (!(o->changes = calloc(n, sizeof *o->changes)))
		return "out of memory";
	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(v, i);
		struct lever_stage_change *sc = &o->changes[o->n_changes];

		if (!json_object_is_type(c, json_type_object))
			return "stageChanges[] is not an object";
		if (ju_opt_str_alloc(c, "toStageId", &sc->to_stage_id) < 0)
			return "stageChanges[].toStageId is not a string";
		if (!sc->to_stage_id)
			continue;
		o->n_changes++;
		if (ju_opt_int64(c, "updatedAt", &sc->updated_at) < 0)
			return "stageChanges[].updatedAt is not an integer";
	}
	return NULL;
}

/* Fills o from the opportunity object d; returns a reason, or NULL. */
static const char *parse_opportunity(struct json_object *d, struct lever_opportunity *o)
{
	struct json_object *v;

	if (ju_opt_str_alloc(d, "id", &o->id) < 0 || !o->id)
		return "id missing or not a string";
	if (ju_opt_str_alloc(d, "name", &o->name) < 0)
		return "name is not a string";
	if (ju_opt_strv_alloc(d, "emails", &o->emails, &o->n_emails) < 0)
		return "emails is not an array of strings";
	if (ju_opt_strv_alloc(d, "tags", &o->tags, &o->n_tags) < 0)
		return "tags is not an array of strings";

	/* stage: an id, or {id, text} with ?expand=stage. */
	if ((v = ju_member(d, "stage"))) {
		if (json_object_is_type(v, json_type_string)) {
			if (!(o->stage_id = strdup(json_object_get_string(v))))
				return "out of memory";
		} else if (json_object_is_type(v, json_type_object)) {
			if (ju_opt_str_alloc(v, "id", &o->stage_id) < 0 || !o->stage_id)
				return "stage.id missing or not a string";
		} else {
			return "stage is neither a string nor an object";
		}
	}

	/* archived: null while active, {archivedAt, reason} once archived. */
	if ((v = ju_member(d, "archived"))) {
		if (!json_object_is_type(v, json_type_object))
			return "archived is neither null nor an object";
		o->archived = 1;
	}

	if (ju_opt_int64(d, "lastAdvancedAt", &o->last_advanced_at) < 0)
		return "lastAdvancedAt is not an integer";
	/* contact: an id, or an object with ?expand=contact; only kept to
	 * find a person's invitations when Lever says they were deleted. */
	if ((v = ju_member(d, "contact")) && json_object_is_type(v, json_type_object))
		v = ju_member(v, "id");
	if (v && json_object_is_type(v, json_type_string) &&
	    !(o->contact = strdup(json_object_get_string(v))))
		return "out of memory";
	if ((v = ju_member(d, "stageChanges")))
		return parse_stage_changes(v, o);
	return NULL;
}

/* A fresh opportunity from the object d in *out, or why not. */
static const char *new_opportunity(struct json_object *d, struct lever_opportunity **out)
{
	const char *bad;

	if (!(*out = calloc(1, sizeof **out)))
		return "out of memory";
	if ((bad = parse_opportunity(d, *out))) {
		lever_opportunity_free(*out);
		*out = NULL;
	}
	return bad;
}

/* The error of a walker whose part said bad: out of memory is temporary. */
static enum lever_err bad_reply(const char *bad, char *why, size_t whylen)
{
	if (strcmp(bad, "out of memory") == 0) {
		snprintf(why, whylen, "out of memory");
		return LEVER_TEMPORARY;
	}
	snprintf(why, whylen, "bad reply: %s", bad);
	return LEVER_BAD_REPLY;
}

/* GET /opportunities/:id's reply {"data":{...}} into *out. */
enum lever_err lever_opportunity_from(struct json_object *root,
				      struct lever_opportunity **out, char *why, size_t whylen)
{
	struct json_object *d;
	const char *bad;

	*out = NULL;
	if (!(d = ju_obj(root, "data"))) {
		snprintf(why, whylen, "data is not an object");
		return LEVER_BAD_REPLY;
	}
	if ((bad = new_opportunity(d, out)))
		return bad_reply(bad, why, whylen);
	return LEVER_OK;
}

enum lever_err lever_parse_opportunity(const char *json, size_t len,
				       struct lever_opportunity **out, char *why, size_t whylen)
{
	struct json_object *root;
	enum lever_err err;

	*out = NULL;
	if (!(root = reply_object(json, len, why, whylen)))
		return LEVER_BAD_REPLY;
	err = lever_opportunity_from(root, out, why, whylen);
	json_object_put(root);
	return err;
}

/* --- notes ------------------------------------------------------------- */

const char *lever_note_id_from(struct json_object *root)
{
	return ju_str(ju_obj(root, "data"), "noteId");
}

enum lever_err lever_parse_note_reply(const char *json, size_t len, char **note_id_alloc,
				      char *why, size_t whylen)
{
	struct json_object *root;
	const char *nid;
	enum lever_err err = LEVER_OK;

	*note_id_alloc = NULL;
	if (!(root = reply_object(json, len, why, whylen)))
		return LEVER_BAD_REPLY;
	if ((nid = lever_note_id_from(root)) && !(*note_id_alloc = strdup(nid))) {
		snprintf(why, whylen, "out of memory");
		err = LEVER_TEMPORARY;
	}
	json_object_put(root);
	return err;
}

/* A note: {"id","text","fields":[{"type","text","value"}],...}. The
 * marker is looked for in "text" and in every string fields[].value;
 * entries of another shape are ignored, and a note without a string id
 * or with "text" or "fields" of the wrong type is skipped. */
const char *lever_note_item(struct json_object *item, void *search)
{
	struct lever_note_search *ns = search;
	struct json_object *text, *fields;
	const char *id, *val;
	size_t i, len;
	int hit = 0;

	if (!json_object_is_type(item, json_type_object) ||
	    !(id = ju_str(item, "id")) || !*id)
		return NULL;
	text = ju_member(item, "text");
	fields = ju_member(item, "fields");
	if ((text && !json_object_is_type(text, json_type_string)) ||
	    (fields && !json_object_is_type(fields, json_type_array)))
		return NULL;
	if (text && strstr(json_object_get_string(text), ns->marker))
		hit = 1;
	len = fields ? json_object_array_length(fields) : 0;
	for (i = 0; !hit && i < len; i++) {
		val = ju_str(json_object_array_get_idx(fields, i), "value");
		if (val && strstr(val, ns->marker))
			hit = 1;
	}
	if (!hit)
		return NULL;
	if (!(ns->id = strdup(id)))
		return "out of memory";
	return LEVER_LIST_STOP;
}

/* --- lists ------------------------------------------------------------- */

enum lever_err lever_page(struct json_object *root, lever_item_fn fn, void *ctx,
			  char **next_alloc, char *why, size_t whylen)
{
	struct json_object *data;
	const char *nx, *bad;
	int has_next = 0;
	size_t i, len;

	*next_alloc = NULL;
	if (!(data = ju_arr(root, "data"))) {
		snprintf(why, whylen, "data is not an array");
		return LEVER_BAD_REPLY;
	}
	len = json_object_array_length(data);
	for (i = 0; i < len; i++) {
		if ((bad = fn(json_object_array_get_idx(data, i), ctx))) {
			if (bad == LEVER_LIST_STOP)
				return LEVER_OK;
			snprintf(why, whylen, "bad item: %s", bad);
			return strcmp(bad, "out of memory") ? LEVER_BAD_REPLY : LEVER_TEMPORARY;
		}
	}
	/* hasNext decides; without it, a "next" alone means more. */
	nx = ju_str(root, "next");
	if (!ju_bool(root, "hasNext", &has_next))
		has_next = nx != NULL;
	if (has_next && nx && *nx && !(*next_alloc = strdup(nx))) {
		snprintf(why, whylen, "out of memory");
		return LEVER_TEMPORARY;
	}
	return LEVER_OK;
}

/* lever_page over the text of one page. */
static enum lever_err parse_page(const char *json, size_t len, lever_item_fn fn, void *ctx,
				 char **next_alloc, char *why, size_t whylen)
{
	struct json_object *root;
	enum lever_err err;

	*next_alloc = NULL;
	if (!(root = reply_object(json, len, why, whylen)))
		return LEVER_BAD_REPLY;
	err = lever_page(root, fn, ctx, next_alloc, why, whylen);
	json_object_put(root);
	return err;
}

enum lever_err lever_parse_notes_page(const char *json, size_t len, const char *marker,
				      char **note_id_alloc, char **next_alloc, char *why,
				      size_t whylen)
{
	struct lever_note_search ns = { marker, NULL };
	enum lever_err err = parse_page(json, len, lever_note_item, &ns, next_alloc, why, whylen);

	*note_id_alloc = err == LEVER_OK ? ns.id : NULL;
	if (err != LEVER_OK)
		free(ns.id);
	return err;
}

/* What a list holds: the size of an element, how an item of the page
 * fills one (a zeroed element; on error it frees what it took), and how
 * an array of them is freed. */
struct lever_kind {
	size_t elem;
	const char *(*fill)(struct json_object *item, void *elem);
	void (*free)(void *v, size_t n);
};

const char *lever_vec_item(struct json_object *item, void *vec)
{
	struct lever_vec *lv = vec;
	const struct lever_kind *k = lv->kind;
	char *slot;
	const char *bad;

	if (buf_reserve(&lv->v, &lv->cap, lv->n + 1, k->elem) < 0)
		return "out of memory";
	slot = (char *)lv->v + lv->n * k->elem;
	memset(slot, 0, k->elem);
	if ((bad = k->fill(item, slot)))
		return bad;
	lv->n++;
	return NULL;
}

enum lever_err lever_vec_end(struct lever_vec *vec, enum lever_err err, size_t *n)
{
	if (err != LEVER_OK) {
		vec->kind->free(vec->v, vec->n);
		vec->v = NULL;
		vec->n = 0;
		vec->cap = 0;
	}
	*n = vec->n;
	return err;
}

/* A page of a list's text into a fresh vec of its kind. */
static enum lever_err parse_vec_page(const char *json, size_t len, struct lever_vec *vec,
				     size_t *n, char **next_alloc, char *why, size_t whylen)
{
	return lever_vec_end(vec, parse_page(json, len, lever_vec_item, vec, next_alloc, why,
					     whylen), n);
}

static const char *stage_fill(struct json_object *item, void *elem)
{
	struct lever_stage *s = elem;

	if (!json_object_is_type(item, json_type_object))
		return "stage is not an object";
	if (ju_opt_str_alloc(item, "id", &s->id) < 0 || !s->id ||
	    ju_opt_str_alloc(item, "text", &s->text) < 0 || !s->text) {
		free(s->id);
		free(s->text);
		return "stage id or text missing or not a string";
	}
	return NULL;
}

static const char *tag_fill(struct json_object *item, void *elem)
{
	struct lever_tag *t = elem;

	if (!json_object_is_type(item, json_type_object))
		return "tag is not an object";
	if (ju_opt_str_alloc(item, "text", &t->text) < 0 || !t->text)
		return "tag text missing or not a string";
	if (ju_opt_int64(item, "count", &t->count) < 0) {
		free(t->text);
		return "tag count is not an integer";
	}
	return NULL;
}

static const char *opportunity_fill(struct json_object *item, void *elem)
{
	if (!json_object_is_type(item, json_type_object))
		return "opportunity is not an object";
	return new_opportunity(item, elem);
}

void lever_stages_free(struct lever_stage *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		free(s[i].id);
		free(s[i].text);
	}
	free(s);
}

void lever_tags_free(struct lever_tag *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		free(t[i].text);
	free(t);
}

void lever_opportunities_free(struct lever_opportunity **o, size_t n)
{
	for (size_t i = 0; o && i < n; i++)
		lever_opportunity_free(o[i]);
	free(o);
}

/* The kinds' frees, typed for struct lever_kind. */
static void stages_free(void *v, size_t n)
{
	lever_stages_free(v, n);
}

static void tags_free(void *v, size_t n)
{
	lever_tags_free(v, n);
}

static void opportunities_free(void *v, size_t n)
{
	lever_opportunities_free(v, n);
}

const struct lever_kind lever_kind_stage = { sizeof(struct lever_stage), stage_fill, stages_free };
const struct lever_kind lever_kind_tag = { sizeof(struct lever_tag), tag_fill, tags_free };
const struct lever_kind lever_kind_opportunity = {
	sizeof(struct lever_opportunity *), opportunity_fill, opportunities_free
};

enum lever_err lever_parse_stages_page(const char *json, size_t len, struct lever_stage **out,
				       size_t *n, char **next_alloc, char *why, size_t whylen)
{
	struct lever_vec vec = { &lever_kind_stage, NULL, 0, 0 };
	enum lever_err err = parse_vec_page(json, len, &vec, n, next_alloc, why, whylen);

	*out = vec.v;
	return err;
}

enum lever_err lever_parse_tags_page(const char *json, size_t len, struct lever_tag **out,
				     size_t *n, char **next_alloc, char *why, size_t whylen)
{
	struct lever_vec vec = { &lever_kind_tag, NULL, 0, 0 };
	enum lever_err err = parse_vec_page(json, len, &vec, n, next_alloc, why, whylen);

	*out = vec.v;
	return err;
}

enum lever_err lever_parse_opportunities_page(const char *json, size_t len,
					      struct lever_opportunity ***out, size_t *n,
					      char **next_alloc, char *why, size_t whylen)
{
	struct lever_vec vec = { &lever_kind_opportunity, NULL, 0, 0 };
	enum lever_err err = parse_vec_page(json, len, &vec, n, next_alloc, why, whylen);

	*out = vec.v;
	return err;
}

/* --- webhooks ---------------------------------------------------------- */

/* LEVER_BAD_REPLY with *id_alloc set: the webhook exists but its token is
 * missing. */
enum lever_err lever_webhook_from(struct json_object *root, char **id_alloc,
				  char **token_alloc, char *why, size_t whylen)
{
	struct json_object *d, *inner, *conf;
	const char *s;

	*id_alloc = NULL;
	*token_alloc = NULL;
	/* Lever nests the webhook in data.data; accept a single data too. */
	if (!(d = ju_obj(root, "data"))) {
		snprintf(why, whylen, "data is not an object");
		return LEVER_BAD_REPLY;
	}
	inner = ju_obj(d, "data") ? ju_obj(d, "data") : d;
	if (!(s = ju_str(inner, "id"))) {
		snprintf(why, whylen, "reply has no webhook id");
		return LEVER_BAD_REPLY;
	}
	if (!(*id_alloc = strdup(s)))
		goto oom;
	conf = ju_obj(inner, "configuration");
	if (!(s = ju_str(conf, "signatureToken")) || !*s) {
		snprintf(why, whylen, "reply has no configuration.signatureToken");
		return LEVER_BAD_REPLY;
	}
	*token_alloc = strdup(s);
	ju_wipe_str(conf, "signatureToken");
	if (!*token_alloc)
		goto oom;
	return LEVER_OK;
oom:
	free(*id_alloc);
	*id_alloc = NULL;
	snprintf(why, whylen, "out of memory");
	return LEVER_TEMPORARY;
}

enum lever_err lever_parse_webhook_reply(const char *json, size_t len, char **id_alloc,
					 char **token_alloc, char *why, size_t whylen)
{
	struct json_object *root;
	enum lever_err err;

	*id_alloc = NULL;
	*token_alloc = NULL;
	if (!(root = reply_object(json, len, why, whylen)))
		return LEVER_BAD_REPLY;
	err = lever_webhook_from(root, id_alloc, token_alloc, why, whylen);
	json_object_put(root);
	return err;
}

/* --- the webhooks listed (GET /webhooks) --------------------------------- */

/* Whether a listed webhook shows its signatureToken is unknown: it is
 * not read. */
static const char *webhook_fill(struct json_object *item, void *elem)
{
	struct lever_webhook *w = elem;

	if (!json_object_is_type(item, json_type_object))
		return "webhook is not an object";
	if (ju_opt_str_alloc(item, "id", &w->id) < 0 || !w->id ||
	    ju_opt_str_alloc(item, "event", &w->event) < 0 ||
	    ju_opt_str_alloc(item, "url", &w->url) < 0) {
		free(w->id);
		free(w->event);
		free(w->url);
		return "webhook id missing, or id, event or url not a string";
	}
	return NULL;
}

void lever_webhooks_free(struct lever_webhook *w, size_t n)
{
	for (size_t i = 0; w && i < n; i++) {
		free(w[i].id);
		free(w[i].event);
		free(w[i].url);
	}
	free(w);
}

static void webhooks_free(void *v, size_t n)
{
	lever_webhooks_free(v, n);
}

const struct lever_kind lever_kind_webhook = {
	sizeof(struct lever_webhook), webhook_fill, webhooks_free
};

enum lever_err lever_parse_webhooks_page(const char *json, size_t len,
					 struct lever_webhook **out, size_t *n,
					 char **next_alloc, char *why, size_t whylen)
{
	struct lever_vec vec = { &lever_kind_webhook, NULL, 0, 0 };
	enum lever_err err = parse_vec_page(json, len, &vec, n, next_alloc, why, whylen);

	*out = vec.v;
	return err;
}
