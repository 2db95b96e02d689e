/* lever: typed client for the Lever API (API-NOTES.md, "Lever").
 *
 * Every call goes through lv_call, which builds the URL, authenticates,
 * and hands the call to api_call (apicall.h): that waits on the account's
 * rate limit, classifies the outcome (mapped here to enum lever_err) and
 * writes "METHOD /path: HTTP 404 Code: message", kept in lv->error.
 * Replies are checked field by field: a documented field of the wrong
 * type is LEVER_BAD_REPLY, unknown fields are ignored. The checks are
 * walkers over the parsed reply (*_from, lv_page), shared by the calls and
 * by the exported lever_parse_* functions, which take the raw text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/apicall.h"
#include "net/http.h"
#include "base/jsonutil.h"
#include "clients/lever.h"
#include "base/log.h"

#define LEVER_PAGE_LIMIT 100
#define LEVER_MAX_PAGES  1000
#define LEVER_NOTE_MAX_PAGES 100

void lever_init(struct lever *lv, const char *api_url, const char *api_key,
		const char *bearer, double rate)
{
	memset(lv, 0, sizeof *lv);
	lv->api_url = api_url;
	lv->api_key = api_key;
	lv->bearer = bearer;
	/* No burst: requests evenly spaced keep any one-second window at
	 * `rate`, leaving Lever's burst allowance to other processes. */
	ratelimit_init(&lv->rl, rate, 1);
	lv->retry_after = -1;
}

const char *lever_strerror(enum lever_err e)
{
	switch (e) {
	case LEVER_OK: return "ok";
	case LEVER_NOTFOUND: return "not found in Lever";
	case LEVER_UNAUTHORIZED: return "Lever refused the credentials";
	case LEVER_TEMPORARY: return "Lever unavailable, try later";
	case LEVER_REJECTED: return "Lever rejected the request";
	case LEVER_BAD_REPLY: return "unexpected reply from Lever";
	case LEVER_REVOKED: return "Lever refused the grant (revoked or expired)";
	}
	return "unknown error";
}

static void set_error(struct lever *lv, const char *method, const char *path,
		      const char *what, const char *more)
{
	api_set_error(lv->error, sizeof lv->error, method, path, what, more);
}

/* One request. On LEVER_OK with json_out, *json_out is the parsed reply
 * (an object; caller puts it). path starts with '/' and may carry a query. */
static enum lever_err lv_call(struct lever *lv, const char *method, const char *path,
			      const char *body, enum http_retry retry,
			      struct json_object **json_out)
{
	struct http_request req;
	struct api_result res;
	enum lever_err err = LEVER_BAD_REPLY;
	char *url = NULL;

	if (json_out)
		*json_out = NULL;
	lv->status = 0;
	lv->retry_after = -1;
	lv->error[0] = '\0';
	if (asprintf(&url, "%s%s", lv->api_url, path) < 0) {
		set_error(lv, method, path, "out of memory", NULL);
		return LEVER_TEMPORARY;
	}

	memset(&req, 0, sizeof req);
	req.method = method;
	req.url = url;
	req.body = body;
	if (lv->api_key && *lv->api_key)
		req.basic_user = lv->api_key; /* key as user, empty password */
	else
		req.bearer = lv->bearer;
	req.retry = retry;
	req.rl = &lv->rl;

	switch (api_call(&req, path, API_REPLY_OBJECT, json_out, &res)) {
	case API_OK: err = LEVER_OK; break;
	case API_NOTFOUND: err = LEVER_NOTFOUND; break;
	case API_UNAUTHORIZED: err = LEVER_UNAUTHORIZED; break;
	case API_TEMPORARY: err = LEVER_TEMPORARY; break;
	case API_REJECTED: err = LEVER_REJECTED; break;
	case API_BAD_REPLY: err = LEVER_BAD_REPLY; break;
	}
	lv->status = res.status;
	lv->retry_after = res.retry_after;
	snprintf(lv->error, sizeof lv->error, "%s", res.error);
	if (err != LEVER_OK)
		log_debug("lever: %s", lv->error);
	free(url);
	return err;
}

/* Makes room for one more element of size sz in *p (count n, capacity *cap). */
static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *np;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > SIZE_MAX / sz)
		return -1;
	if (!(np = realloc(*p, ncap * sz)))
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* A 2xx reply's text as api_call takes it (API_REPLY_OBJECT): an object,
 * else NULL and why. For the lever_parse_* functions. */
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
	free(o);
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
	return NULL;
}

/* GET /opportunities/:id's reply {"data":{...}} into *out. */
static enum lever_err opportunity_from(struct json_object *root,
				       struct lever_opportunity **out, char *why, size_t whylen)
{
	struct json_object *d;
	struct lever_opportunity *o;
	const char *bad;

	*out = NULL;
	if (!(d = ju_obj(root, "data"))) {
		snprintf(why, whylen, "data is not an object");
		return LEVER_BAD_REPLY;
	}
	if (!(o = calloc(1, sizeof *o))) {
		snprintf(why, whylen, "out of memory");
		return LEVER_TEMPORARY;
	}
	if ((bad = parse_opportunity(d, o))) {
		snprintf(why, whylen, "bad reply: %s", bad);
		lever_opportunity_free(o);
		return LEVER_BAD_REPLY;
	}
	*out = o;
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
	err = opportunity_from(root, out, why, whylen);
	json_object_put(root);
	return err;
}

enum lever_err lever_opportunity_get(struct lever *lv, const char *id,
				     struct lever_opportunity **out)
{
	struct json_object *root = NULL;
	char *esc = NULL, *path = NULL, why[256];
	enum lever_err err;

	*out = NULL;
	if (!id || !*id) {
		snprintf(lv->error, sizeof lv->error, "GET /opportunities: empty id");
		return LEVER_REJECTED;
	}
	if (!(esc = http_escape_alloc(id)) ||
	    asprintf(&path, "/opportunities/%s?expand=stage", esc) < 0) {
		path = NULL;
		snprintf(lv->error, sizeof lv->error, "GET /opportunities: out of memory");
		err = LEVER_TEMPORARY;
		goto out;
	}
	if ((err = lv_call(lv, "GET", path, NULL, HTTP_RETRY_IDEMPOTENT, &root)) != LEVER_OK)
		goto out;
	if ((err = opportunity_from(root, out, why, sizeof why)) != LEVER_OK)
		set_error(lv, "GET", path, why, NULL);
out:
	json_object_put(root);
	free(path);
	free(esc);
	return err;
}

/* --- notes ------------------------------------------------------------- */

/* data.noteId of a POST notes reply, or NULL. */
static const char *note_id_from(struct json_object *root)
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
	if ((nid = note_id_from(root)) && !(*note_id_alloc = strdup(nid))) {
		snprintf(why, whylen, "out of memory");
		err = LEVER_TEMPORARY;
	}
	json_object_put(root);
	return err;
}

/* A note is not idempotent: only retried when surely not received. On a
 * 2xx without noteId the note exists, so this returns LEVER_OK with
 * *note_id_alloc NULL rather than inviting a duplicate. */
enum lever_err lever_note_add(struct lever *lv, const char *opp_id,
			      const char *text, char **note_id_alloc)
{
	struct json_object *body = NULL, *root = NULL, *s = NULL;
	char *esc = NULL, *path = NULL, *json = NULL;
	const char *nid;
	enum lever_err err = LEVER_TEMPORARY;

	if (note_id_alloc)
		*note_id_alloc = NULL;
	if (!opp_id || !*opp_id || !text) {
		snprintf(lv->error, sizeof lv->error, "POST notes: empty id or text");
		return LEVER_REJECTED;
	}
	/* json-c escapes the text; never build JSON by hand. */
	if (!(body = json_object_new_object()) ||
	    !(s = json_object_new_string(text)) ||
	    json_object_object_add(body, "value", s) != 0) {
		json_object_put(s); /* only reached with s unowned or NULL */
		goto oom;
	}
	if (!(json = ju_dump_alloc(body)) || !(esc = http_escape_alloc(opp_id)) ||
	    asprintf(&path, "/opportunities/%s/notes", esc) < 0) {
		path = NULL;
		goto oom;
	}
	/* The shape, never the text: a note names the candidate. */
	log_debug("lever: POST %s (note, %zu bytes)", path, strlen(json));
	if ((err = lv_call(lv, "POST", path, json, HTTP_RETRY_UNSAFE, &root)) != LEVER_OK)
		goto out;
	nid = note_id_from(root);
	if (!nid)
		log_warn("lever: POST %s: note created but reply has no data.noteId", path);
	else if (note_id_alloc && !(*note_id_alloc = strdup(nid)))
		log_warn("lever: POST %s: out of memory copying noteId", path);
	goto out;
oom:
	snprintf(lv->error, sizeof lv->error, "POST notes: out of memory");
	err = LEVER_TEMPORARY;
out:
	json_object_put(root);
	json_object_put(body);
	free(json);
	free(path);
	free(esc);
	return err;
}

/* --- opportunity updates ----------------------------------------------- */

/* METHOD /opportunities/:id<suffix> with body. Only for calls safe to
 * repeat: retried on 429/5xx/timeouts. The reply (the opportunity) is
 * not looked at. */
static enum lever_err opp_update(struct lever *lv, const char *method, const char *opp_id,
				 const char *suffix, struct json_object *body)
{
	char *esc = NULL, *path = NULL, *json = NULL;
	enum lever_err err;

	if (!(json = ju_dump_alloc(body)) || !(esc = http_escape_alloc(opp_id)) ||
	    asprintf(&path, "/opportunities/%s%s", esc, suffix) < 0) {
		path = NULL;
		snprintf(lv->error, sizeof lv->error, "%s %s: out of memory", method, suffix);
		err = LEVER_TEMPORARY;
		goto out;
	}
	log_debug("lever: %s %s (%zu bytes)", method, path, strlen(json));
	err = lv_call(lv, method, path, json, HTTP_RETRY_IDEMPOTENT, NULL);
out:
	free(json);
	free(path);
	free(esc);
	return err;
}

/* Adding a tag the opportunity already has changes nothing: retried. */
enum lever_err lever_tags_add(struct lever *lv, const char *opp_id, const char *tag)
{
	struct json_object *body = NULL, *arr = NULL, *s = NULL;
	enum lever_err err;

	if (!opp_id || !*opp_id || !tag || !*tag) {
		snprintf(lv->error, sizeof lv->error, "POST addTags: empty id or tag");
		return LEVER_REJECTED;
	}
	if (!(body = json_object_new_object()))
		goto oom;
	if (!(arr = json_object_new_array()) || json_object_object_add(body, "tags", arr) != 0) {
		json_object_put(arr);
		goto oom;
	}
	if (!(s = json_object_new_string(tag)) || json_object_array_add(arr, s) != 0) {
		json_object_put(s);
		goto oom;
	}
	err = opp_update(lv, "POST", opp_id, "/addTags", body);
	goto out;
oom:
	snprintf(lv->error, sizeof lv->error, "POST addTags: out of memory");
	err = LEVER_TEMPORARY;
out:
	json_object_put(body);
	return err;
}

/* Setting the stage it already has changes nothing: retried. */
enum lever_err lever_stage_set(struct lever *lv, const char *opp_id, const char *stage_id)
{
	struct json_object *body = NULL, *s = NULL;
	enum lever_err err;

	if (!opp_id || !*opp_id || !stage_id || !*stage_id) {
		snprintf(lv->error, sizeof lv->error, "PUT stage: empty id or stage");
		return LEVER_REJECTED;
	}
	if (!(body = json_object_new_object()) ||
	    !(s = json_object_new_string(stage_id)) ||
	    json_object_object_add(body, "stage", s) != 0) {
		json_object_put(s); /* only reached with s unowned or NULL */
		snprintf(lv->error, sizeof lv->error, "PUT stage: out of memory");
		err = LEVER_TEMPORARY;
		goto out;
	}
	err = opp_update(lv, "PUT", opp_id, "/stage", body);
out:
	json_object_put(body);
	return err;
}

/* --- lists ------------------------------------------------------------- */

/* Called per element of "data"; returns NULL to go on, LV_LIST_STOP to
 * end the listing with LEVER_OK, or why the element is bad. */
typedef const char *(*item_fn)(struct json_object *item, void *ctx);
static const char LV_LIST_STOP[] = "stop";

/* One page of a list, {"data":[...],"next":"..","hasNext":true}: every
 * element through fn, and in *next_alloc the offset of the next page, or
 * NULL after the last page or when fn stopped the listing. */
static enum lever_err lv_page(struct json_object *root, item_fn fn, void *ctx,
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
			if (bad == LV_LIST_STOP)
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

/* lv_page over the text of one page, for the lever_parse_* functions. */
static enum lever_err parse_page(const char *json, size_t len, item_fn fn, void *ctx,
				 char **next_alloc, char *why, size_t whylen)
{
	struct json_object *root;
	enum lever_err err;

	*next_alloc = NULL;
	if (!(root = reply_object(json, len, why, whylen)))
		return LEVER_BAD_REPLY;
	err = lv_page(root, fn, ctx, next_alloc, why, whylen);
	json_object_put(root);
	return err;
}

/* GETs the pages of a list, up to max_pages of them. */
static enum lever_err lv_list(struct lever *lv, const char *base, int max_pages,
			      item_fn fn, void *ctx)
{
	struct json_object *root = NULL;
	char *next = NULL, *esc = NULL, *path = NULL, why[256];
	enum lever_err err = LEVER_OK;
	int page;

	for (page = 0; page < max_pages; page++) {
		int r;

		if (next) {
			if (!(esc = http_escape_alloc(next)))
				goto oom;
			r = asprintf(&path, "%s%climit=%d&offset=%s", base,
				     strchr(base, '?') ? '&' : '?', LEVER_PAGE_LIMIT, esc);
		} else {
			r = asprintf(&path, "%s%climit=%d", base, strchr(base, '?') ? '&' : '?',
				     LEVER_PAGE_LIMIT);
		}
		if (r < 0) {
			path = NULL;
			goto oom;
		}
		if ((err = lv_call(lv, "GET", path, NULL, HTTP_RETRY_IDEMPOTENT, &root)) != LEVER_OK)
			goto out;
		free(next);
		next = NULL;
		if ((err = lv_page(root, fn, ctx, &next, why, sizeof why)) != LEVER_OK) {
			set_error(lv, "GET", path, why, NULL);
			goto out;
		}
		json_object_put(root);
		root = NULL;
		free(path);
		path = NULL;
		free(esc);
		esc = NULL;
		if (!next)
			goto out;
	}
	snprintf(lv->error, sizeof lv->error, "GET %s: more than %d pages", base,
		 max_pages);
	err = LEVER_BAD_REPLY;
	goto out;
oom:
	snprintf(lv->error, sizeof lv->error, "GET %s: out of memory", base);
	err = LEVER_TEMPORARY;
out:
	json_object_put(root);
	free(next);
	free(esc);
	free(path);
	return err;
}

struct stage_vec { struct lever_stage *v; size_t n, cap; };

static const char *stage_item(struct json_object *item, void *ctx)
{
	struct stage_vec *sv = ctx;
	struct lever_stage s = { NULL, NULL };

	if (!json_object_is_type(item, json_type_object))
		return "stage is not an object";
	if (ju_opt_str_alloc(item, "id", &s.id) < 0 || !s.id ||
	    ju_opt_str_alloc(item, "text", &s.text) < 0 || !s.text) {
		free(s.id);
		free(s.text);
		return "stage id or text missing or not a string";
	}
	if (grow((void **)&sv->v, &sv->cap, sv->n, sizeof *sv->v) < 0) {
		free(s.id);
		free(s.text);
		return "out of memory";
	}
	sv->v[sv->n++] = s;
	return NULL;
}

void lever_stages_free(struct lever_stage *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		free(s[i].id);
		free(s[i].text);
	}
	free(s);
}

enum lever_err lever_parse_stages_page(const char *json, size_t len, struct lever_stage **out,
				       size_t *n, char **next_alloc, char *why, size_t whylen)
{
	struct stage_vec sv = { NULL, 0, 0 };
	enum lever_err err = parse_page(json, len, stage_item, &sv, next_alloc, why, whylen);

	if (err != LEVER_OK) {
		lever_stages_free(sv.v, sv.n);
		sv.v = NULL;
		sv.n = 0;
	}
	*out = sv.v;
	*n = sv.n;
	return err;
}

enum lever_err lever_stages_list(struct lever *lv, struct lever_stage **out, size_t *n)
{
	struct stage_vec sv = { NULL, 0, 0 };
	enum lever_err err = lv_list(lv, "/stages", LEVER_MAX_PAGES, stage_item, &sv);

	if (err != LEVER_OK) {
		lever_stages_free(sv.v, sv.n);
		sv.v = NULL;
		sv.n = 0;
	}
	*out = sv.v;
	*n = sv.n;
	return err;
}

struct tag_vec { struct lever_tag *v; size_t n, cap; };

static const char *tag_item(struct json_object *item, void *ctx)
{
	struct tag_vec *tv = ctx;
	struct lever_tag t = { NULL, 0 };

	if (!json_object_is_type(item, json_type_object))
		return "tag is not an object";
	if (ju_opt_str_alloc(item, "text", &t.text) < 0 || !t.text)
		return "tag text missing or not a string";
	if (ju_opt_int64(item, "count", &t.count) < 0) {
		free(t.text);
		return "tag count is not an integer";
	}
	if (grow((void **)&tv->v, &tv->cap, tv->n, sizeof *tv->v) < 0) {
		free(t.text);
		return "out of memory";
	}
	tv->v[tv->n++] = t;
	return NULL;
}

void lever_tags_free(struct lever_tag *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		free(t[i].text);
	free(t);
}

enum lever_err lever_parse_tags_page(const char *json, size_t len, struct lever_tag **out,
				     size_t *n, char **next_alloc, char *why, size_t whylen)
{
	struct tag_vec tv = { NULL, 0, 0 };
	enum lever_err err = parse_page(json, len, tag_item, &tv, next_alloc, why, whylen);

	if (err != LEVER_OK) {
		lever_tags_free(tv.v, tv.n);
		tv.v = NULL;
		tv.n = 0;
	}
	*out = tv.v;
	*n = tv.n;
	return err;
}

enum lever_err lever_tags_list(struct lever *lv, struct lever_tag **out, size_t *n)
{
	struct tag_vec tv = { NULL, 0, 0 };
	enum lever_err err = lv_list(lv, "/tags", LEVER_MAX_PAGES, tag_item, &tv);

	if (err != LEVER_OK) {
		lever_tags_free(tv.v, tv.n);
		tv.v = NULL;
		tv.n = 0;
	}
	*out = tv.v;
	*n = tv.n;
	return err;
}

/* --- note search ------------------------------------------------------- */

struct note_search { const char *marker; char *id; };

/* A note: {"id","text","fields":[{"type","text","value"}],...}. The
 * marker is looked for in "text" and in every string fields[].value;
 * entries of another shape are ignored, and a note without a string id
 * or with "text" or "fields" of the wrong type is skipped. */
static const char *note_item(struct json_object *item, void *ctx)
{
	struct note_search *ns = ctx;
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
	return LV_LIST_STOP;
}

enum lever_err lever_parse_notes_page(const char *json, size_t len, const char *marker,
				      char **note_id_alloc, char **next_alloc, char *why,
				      size_t whylen)
{
	struct note_search ns = { marker, NULL };
	enum lever_err err = parse_page(json, len, note_item, &ns, next_alloc, why, whylen);

	*note_id_alloc = NULL;
	if (err == LEVER_OK) {
		*note_id_alloc = ns.id;
		ns.id = NULL;
	}
	free(ns.id);
	return err;
}

enum lever_err lever_note_find(struct lever *lv, const char *opp_id,
			       const char *marker, char **note_id_alloc)
{
	struct note_search ns = { marker, NULL };
	char *esc = NULL, *base = NULL;
	enum lever_err err;

	if (note_id_alloc)
		*note_id_alloc = NULL;
	if (!opp_id || !*opp_id || !marker || !*marker || !note_id_alloc) {
		snprintf(lv->error, sizeof lv->error, "GET notes: empty id or marker");
		return LEVER_REJECTED;
	}
	if (!(esc = http_escape_alloc(opp_id)) ||
	    asprintf(&base, "/opportunities/%s/notes", esc) < 0) {
		free(esc);
		snprintf(lv->error, sizeof lv->error, "GET notes: out of memory");
		return LEVER_TEMPORARY;
	}
	err = lv_list(lv, base, LEVER_NOTE_MAX_PAGES, note_item, &ns);
	if (err == LEVER_OK) {
		*note_id_alloc = ns.id;
		ns.id = NULL;
	}
	free(ns.id);
	free(base);
	free(esc);
	return err;
}

/* --- webhooks ---------------------------------------------------------- */

/* Wipes json-c's copy of the secret string o[key] (if any) before the
 * tree is freed: json_object_put frees without wiping. */
static void wipe_json_str(struct json_object *o, const char *key)
{
	const char *s = ju_str(o, key);

	if (s)
		explicit_bzero((char *)s, strlen(s));
}

/* POST /webhooks's reply: the id and signature token of the webhook.
 * LEVER_BAD_REPLY with *id_alloc set: the webhook exists but its token is
 * missing. */
static enum lever_err webhook_from(struct json_object *root, char **id_alloc,
				   char **token_alloc, char *why, size_t whylen)
{
	struct json_object *d, *inner;
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
	if (!(s = ju_str(ju_obj(inner, "configuration"), "signatureToken")) || !*s) {
		snprintf(why, whylen, "reply has no configuration.signatureToken");
		return LEVER_BAD_REPLY;
	}
	*token_alloc = strdup(s);
	wipe_json_str(ju_obj(inner, "configuration"), "signatureToken");
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
	err = webhook_from(root, id_alloc, token_alloc, why, whylen);
	json_object_put(root);
	return err;
}

enum lever_err lever_webhook_create(struct lever *lv, const char *url,
				    const char *event, char **id_alloc,
				    char **token_alloc)
{
	struct json_object *body = NULL, *root = NULL, *v = NULL;
	char *json = NULL, *id = NULL, *token = NULL, why[256];
	enum lever_err err = LEVER_TEMPORARY;

	*id_alloc = NULL;
	*token_alloc = NULL;
	if (!url || !event) {
		snprintf(lv->error, sizeof lv->error, "POST /webhooks: no url or event");
		return LEVER_REJECTED;
	}
	if (!(body = json_object_new_object()))
		goto oom;
	if (!(v = json_object_new_string(url)) || json_object_object_add(body, "url", v)) {
		json_object_put(v);
		goto oom;
	}
	if (!(v = json_object_new_string(event)) || json_object_object_add(body, "event", v)) {
		json_object_put(v);
		goto oom;
	}
	if (!(json = ju_dump_alloc(body)))
		goto oom;
	/* Not idempotent: a retried create could leave a second webhook. */
	if ((err = lv_call(lv, "POST", "/webhooks", json, HTTP_RETRY_UNSAFE, &root)) != LEVER_OK)
		goto out;

	err = webhook_from(root, &id, &token, why, sizeof why);
	if (err == LEVER_BAD_REPLY && id) {
		/* Without its token the webhook's deliveries cannot be
		 * verified: remove it rather than leave it behind. */
		log_warn("lever: POST /webhooks: reply has no signatureToken; deleting webhook");
		if (lever_webhook_delete(lv, id) != LEVER_OK)
			log_warn("lever: could not delete webhook: %s", lv->error);
	}
	if (err != LEVER_OK) {
		set_error(lv, "POST", "/webhooks", why, NULL);
		goto out;
	}
	*id_alloc = id;
	*token_alloc = token;
	id = token = NULL;
	goto out;
oom:
	snprintf(lv->error, sizeof lv->error, "POST /webhooks: out of memory");
	err = LEVER_TEMPORARY;
out:
	json_object_put(root);
	json_object_put(body);
	free(json);
	free(id);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	return err;
}

enum lever_err lever_webhook_delete(struct lever *lv, const char *id)
{
	char *esc = NULL, *path = NULL;
	enum lever_err err;

	if (!id || !*id) {
		snprintf(lv->error, sizeof lv->error, "DELETE /webhooks: empty id");
		return LEVER_REJECTED;
	}
	if (!(esc = http_escape_alloc(id)) || asprintf(&path, "/webhooks/%s", esc) < 0) {
		free(esc);
		snprintf(lv->error, sizeof lv->error, "DELETE /webhooks: out of memory");
		return LEVER_TEMPORARY;
	}
	err = lv_call(lv, "DELETE", path, NULL, HTTP_RETRY_IDEMPOTENT, NULL);
	free(path);
	free(esc);
	return err;
}

/* --- OAuth token endpoint ---------------------------------------------- */

void lever_tokens_clear(struct lever_tokens *t)
{
	char *v[] = { t->access_token, t->refresh_token };

	for (size_t i = 0; i < 2; i++)
		if (v[i]) {
			explicit_bzero(v[i], strlen(v[i]));
			free(v[i]);
		}
	memset(t, 0, sizeof *t);
}

/* Appends "&name=escaped(value)" (no '&' first); -1 on no memory. */
static int form_add(char **form, const char *name, const char *value)
{
	char *esc = http_escape_alloc(value ? value : ""), *grown = NULL;
	int n;

	if (!esc)
		return -1;
	n = asprintf(&grown, "%s%s%s=%s", *form ? *form : "", *form ? "&" : "", name, esc);
	explicit_bzero(esc, strlen(esc));
	free(esc);
	if (n < 0)
		return -1;
	if (*form) {
		explicit_bzero(*form, strlen(*form));
		free(*form);
	}
	*form = grown;
	return 0;
}

enum lever_err lever_parse_token_reply(long status, const char *json, size_t len,
				      struct lever_tokens *out, char *err, size_t errlen)
{
	struct json_object *root = NULL;
	enum lever_err e;
	char why[128];
	const char *oerr, *desc;

	memset(out, 0, sizeof *out);
	if (json && len)
		root = ju_parse(json, len, why, sizeof why);
	if (status >= 200 && status <= 299) {
		int64_t ttl = 0;

		out->access_token = ju_strdup(root, "access_token");
		out->refresh_token = ju_strdup(root, "refresh_token");
		if (!out->access_token || !ju_int64(root, "expires_in", &ttl) || ttl <= 0) {
			snprintf(err, errlen, "token endpoint: HTTP %ld without access_token "
				 "and expires_in", status);
			lever_tokens_clear(out);
			e = LEVER_BAD_REPLY;
			goto out;
		}
		/* Lever's tokens live an hour; a year at most keeps the
		 * callers' milliseconds far from overflow. */
		out->expires_in = ttl < 366 * 86400 ? ttl : 366 * 86400;
		e = LEVER_OK;
		goto out;
	}
	/* Auth0 errors: {"error":"invalid_grant","error_description":"..."}. */
	oerr = ju_str(root, "error");
	desc = ju_str(root, "error_description");
	snprintf(err, errlen, "token endpoint: HTTP %ld %.40s%s%.200s", status,
		 oerr ? oerr : "", desc ? ": " : "", desc ? desc : "");
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	if (oerr && strcmp(oerr, "invalid_grant") == 0)
		e = LEVER_REVOKED;
	else if (status == 429 || status >= 500)
		e = LEVER_TEMPORARY;
	else if (status == 401 || status == 403 ||
		 (oerr && strcmp(oerr, "invalid_client") == 0))
		e = LEVER_UNAUTHORIZED;
	else
		e = LEVER_REJECTED;
out:
	wipe_json_str(root, "access_token");
	wipe_json_str(root, "refresh_token");
	json_object_put(root);
	return e;
}

static enum lever_err token_call(const char *token_url, char *form,
				 struct lever_tokens *out, char *err, size_t errlen)
{
	struct http_request req;
	struct http_response resp;
	enum lever_err e;

	memset(out, 0, sizeof *out);
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.method = "POST";
	req.url = token_url;
	req.body = form;
	req.body_len = strlen(form);
	req.content_type = "application/x-www-form-urlencoded";
	req.retry = HTTP_RETRY_UNSAFE;
	if (http_do(&req, &resp) != HTTP_OK) {
		snprintf(err, errlen, "token endpoint: %.300s", resp.error);
		e = LEVER_TEMPORARY;
	} else {
		e = lever_parse_token_reply(resp.status, resp.body, resp.body_len, out, err, errlen);
	}
	if (resp.body)
		explicit_bzero(resp.body, resp.body_len);
	http_response_free(&resp);
	return e;
}

enum lever_err lever_token_exchange(const char *token_url, const char *client_id,
				    const char *client_secret, const char *code,
				    const char *redirect_uri, struct lever_tokens *out,
				    char *err, size_t errlen)
{
	char *form = NULL;
	enum lever_err e = LEVER_TEMPORARY;

	memset(out, 0, sizeof *out);
	snprintf(err, errlen, "out of memory");
	if (form_add(&form, "grant_type", "authorization_code") == 0 &&
	    form_add(&form, "client_id", client_id) == 0 &&
	    form_add(&form, "client_secret", client_secret) == 0 &&
	    form_add(&form, "code", code) == 0 &&
	    form_add(&form, "redirect_uri", redirect_uri) == 0)
		e = token_call(token_url, form, out, err, errlen);
	if (form) {
		explicit_bzero(form, strlen(form));
		free(form);
	}
	return e;
}

enum lever_err lever_token_refresh(const char *token_url, const char *client_id,
				   const char *client_secret, const char *refresh_token,
				   struct lever_tokens *out, char *err, size_t errlen)
{
	char *form = NULL;
	enum lever_err e = LEVER_TEMPORARY;

	memset(out, 0, sizeof *out);
	snprintf(err, errlen, "out of memory");
	if (form_add(&form, "grant_type", "refresh_token") == 0 &&
	    form_add(&form, "client_id", client_id) == 0 &&
	    form_add(&form, "client_secret", client_secret) == 0 &&
	    form_add(&form, "refresh_token", refresh_token) == 0)
		e = token_call(token_url, form, out, err, errlen);
	if (form) {
		explicit_bzero(form, strlen(form));
		free(form);
	}
	return e;
}

/* --- opportunities in a stage ---------------------------------------- */

struct opp_vec { struct lever_opportunity **v; size_t n, cap; };

static const char *opp_item(struct json_object *item, void *ctx)
{
	struct opp_vec *ov = ctx;
	struct lever_opportunity *o;
	const char *why;

	if (!json_object_is_type(item, json_type_object))
		return "opportunity is not an object";
	if (grow((void **)&ov->v, &ov->cap, ov->n, sizeof *ov->v) < 0 ||
	    !(o = calloc(1, sizeof *o)))
		return "out of memory";
	if ((why = parse_opportunity(item, o))) {
		lever_opportunity_free(o);
		return why;
	}
	ov->v[ov->n++] = o;
	return NULL;
}

void lever_opportunities_free(struct lever_opportunity **o, size_t n)
{
	for (size_t i = 0; o && i < n; i++)
		lever_opportunity_free(o[i]);
	free(o);
}

enum lever_err lever_parse_opportunities_page(const char *json, size_t len,
					      struct lever_opportunity ***out, size_t *n,
					      char **next_alloc, char *why, size_t whylen)
{
	struct opp_vec ov = { NULL, 0, 0 };
	enum lever_err err = parse_page(json, len, opp_item, &ov, next_alloc, why, whylen);

	if (err != LEVER_OK) {
		lever_opportunities_free(ov.v, ov.n);
		ov.v = NULL;
		ov.n = 0;
	}
	*out = ov.v;
	*n = ov.n;
	return err;
}

enum lever_err lever_opportunities_list(struct lever *lv, const char *stage_id, const char *tag,
					struct lever_opportunity ***out, size_t *n)
{
	struct opp_vec ov = { NULL, 0, 0 };
	char *s = http_escape_alloc(stage_id), *t = http_escape_alloc(tag), *base = NULL;
	enum lever_err err = LEVER_TEMPORARY;

	if (s && t && asprintf(&base, "/opportunities?stage_id=%s&tag=%s", s, t) >= 0)
		err = lv_list(lv, base, LEVER_MAX_PAGES, opp_item, &ov);
	else
		base = NULL;
	if (err != LEVER_OK) {
		lever_opportunities_free(ov.v, ov.n);
		ov.v = NULL;
		ov.n = 0;
	}
	*out = ov.v;
	*n = ov.n;
	free(s);
	free(t);
	free(base);
	return err;
}
