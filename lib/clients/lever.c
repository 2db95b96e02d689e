/* lever: typed client for the Lever API (API-NOTES.md, "Lever").
 *
 * Every call goes through lv_call, which authenticates and hands the call
 * to api_call (apicall.h): that waits on the account's rate limit,
 * classifies the outcome (mapped here to enum lever_err) and writes
 * "METHOD /path: HTTP 404 Code: message", kept in lv->error. Replies are
 * checked by the walkers of lever_parse.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "clients/apicall.h"
#include "clients/lever.h"
#include "net/http.h"

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
	/* No burst: requests evenly spaced keep any one-second window
	 * within `rate`, whichever processes share the bucket
	 * (ratelimit_share). */
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

/* api_call's classes in Lever's terms. */
static const enum lever_err from_class[] = {
	[API_OK] = LEVER_OK, [API_NOTFOUND] = LEVER_NOTFOUND,
	[API_UNAUTHORIZED] = LEVER_UNAUTHORIZED, [API_TEMPORARY] = LEVER_TEMPORARY,
	[API_REJECTED] = LEVER_REJECTED, [API_BAD_REPLY] = LEVER_BAD_REPLY,
};

/* One request (req: method, body or file, retry; auth set here). On
 * LEVER_OK with json_out, *json_out is the parsed reply (an object;
 * caller puts it). path starts with '/' and may carry a query. */
static enum lever_err lv_call_req(struct lever *lv, struct http_request *req, const char *path,
				  struct json_object **json_out)
{
	struct api_result res;
	enum lever_err err;

	if (lv->api_key && *lv->api_key)
		req->basic_user = lv->api_key; /* key as user, empty password */
	else
		req->bearer = lv->bearer;
	req->rl = &lv->rl;

	err = from_class[api_call(req, lv->api_url, path, API_REPLY_OBJECT, json_out, &res)];
	lv->status = res.status;
	lv->retry_after = res.retry_after;
	snprintf(lv->error, sizeof lv->error, "%s", res.error);
	if (err != LEVER_OK)
		log_debug("lever: %s", lv->error);
	return err;
}

static enum lever_err lv_call(struct lever *lv, const char *method, const char *path,
			      const char *body, enum http_retry retry,
			      struct json_object **json_out)
{
	struct http_request req;

	memset(&req, 0, sizeof req);
	req.method = method;
	req.body = body;
	req.retry = retry;
	return lv_call_req(lv, &req, path, json_out);
}

/* what: out of memory, in lv->error; LEVER_TEMPORARY. */
static enum lever_err lv_oom(struct lever *lv, const char *what)
{
	snprintf(lv->error, sizeof lv->error, "%s: out of memory", what);
	return LEVER_TEMPORARY;
}

/* {"k0":"v0",...}: n string members, serialized (json-c escapes them:
 * never build JSON by hand); NULL when out of memory. */
static char *strings_json(const char *const kv[][2], size_t n)
{
	struct json_object *o = json_object_new_object();
	char *json = NULL;
	size_t i;

	for (i = 0; o && i < n && ju_add_str(o, kv[i][0], kv[i][1]) == 0; i++)
		;
	if (o && i == n)
		json = ju_dump_alloc(o);
	json_object_put(o);
	return json;
}

/* --- opportunities ----------------------------------------------------- */

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
		err = lv_oom(lv, "GET /opportunities");
		goto out;
	}
	if ((err = lv_call(lv, "GET", path, NULL, HTTP_RETRY_IDEMPOTENT, &root)) != LEVER_OK)
		goto out;
	if ((err = lever_opportunity_from(root, out, why, sizeof why)) != LEVER_OK)
		api_set_error(lv->error, sizeof lv->error, "GET", path, why, NULL);
out:
	json_object_put(root);
	free(path);
	free(esc);
	return err;
}

/* --- notes ------------------------------------------------------------- */

/* A note is not idempotent: only retried when surely not received. On a
 * 2xx without noteId the note exists, so this returns LEVER_OK with
 * *note_id_alloc NULL rather than inviting a duplicate. */
enum lever_err lever_note_add(struct lever *lv, const char *opp_id,
			      const char *text, char **note_id_alloc)
{
	const char *const kv[][2] = { { "value", text } };
	struct json_object *root = NULL;
	char *esc = NULL, *path = NULL, *json = NULL;
	const char *nid;
	enum lever_err err;

	if (note_id_alloc)
		*note_id_alloc = NULL;
	if (!opp_id || !*opp_id || !text) {
		snprintf(lv->error, sizeof lv->error, "POST notes: empty id or text");
		return LEVER_REJECTED;
	}
	if (!(json = strings_json(kv, 1)) || !(esc = http_escape_alloc(opp_id)) ||
	    asprintf(&path, "/opportunities/%s/notes", esc) < 0) {
		path = NULL;
		err = lv_oom(lv, "POST notes");
		goto out;
	}
	/* The shape, never the text: a note names the candidate. */
	log_debug("lever: POST %s (note, %zu bytes)", path, strlen(json));
	if ((err = lv_call(lv, "POST", path, json, HTTP_RETRY_UNSAFE, &root)) != LEVER_OK)
		goto out;
	nid = lever_note_id_from(root);
	if (!nid)
		log_warn("lever: POST %s: note created but reply has no data.noteId", path);
	else if (note_id_alloc && !(*note_id_alloc = strdup(nid)))
		log_warn("lever: POST %s: out of memory copying noteId", path);
out:
	json_object_put(root);
	free(json);
	free(path);
	free(esc);
	return err;
}

/* --- opportunity updates ----------------------------------------------- */

/* METHOD /opportunities/:id<suffix> with the JSON text json (NULL: out of
 * memory building it). Only for calls safe to repeat: retried on
 * 429/5xx/timeouts. The reply (the opportunity) is not looked at. */
static enum lever_err opp_update(struct lever *lv, const char *method, const char *opp_id,
				 const char *suffix, char *json)
{
	char *esc = NULL, *path = NULL;
	enum lever_err err;

	if (!json || !(esc = http_escape_alloc(opp_id)) ||
	    asprintf(&path, "/opportunities/%s%s", esc, suffix) < 0) {
		path = NULL;
		snprintf(lv->error, sizeof lv->error, "%s %s: out of memory", method, suffix);
		err = LEVER_TEMPORARY;
	} else {
		log_debug("lever: %s %s (%zu bytes)", method, path, strlen(json));
		err = lv_call(lv, method, path, json, HTTP_RETRY_IDEMPOTENT, NULL);
	}
	free(json);
	free(path);
	free(esc);
	return err;
}

/* Adding a tag the opportunity already has changes nothing: retried. */
enum lever_err lever_tags_add(struct lever *lv, const char *opp_id, const char *tag)
{
	struct json_object *body = NULL, *arr = NULL, *s = NULL;
	char *json = NULL;

	if (!opp_id || !*opp_id || !tag || !*tag) {
		snprintf(lv->error, sizeof lv->error, "POST addTags: empty id or tag");
		return LEVER_REJECTED;
	}
	/* {"tags":[tag]}; on a failure json stays NULL: out of memory. */
	if ((body = json_object_new_object()) && (arr = json_object_new_array()) &&
	    json_object_object_add(body, "tags", arr) == 0) {
		if ((s = json_object_new_string(tag)) && json_object_array_add(arr, s) == 0)
			json = ju_dump_alloc(body);
		else
			json_object_put(s);
	} else {
		json_object_put(arr);
	}
	json_object_put(body);
	return opp_update(lv, "POST", opp_id, "/addTags", json);
}

/* Setting the stage it already has changes nothing: retried. */
enum lever_err lever_stage_set(struct lever *lv, const char *opp_id, const char *stage_id)
{
	const char *const kv[][2] = { { "stage", stage_id } };

	if (!opp_id || !*opp_id || !stage_id || !*stage_id) {
		snprintf(lv->error, sizeof lv->error, "PUT stage: empty id or stage");
		return LEVER_REJECTED;
	}
	return opp_update(lv, "PUT", opp_id, "/stage", strings_json(kv, 1));
}

/* --- lists ------------------------------------------------------------- */

/* GETs the pages of a list, up to max_pages of them. */
static enum lever_err lv_list(struct lever *lv, const char *base, int max_pages,
			      lever_item_fn fn, void *ctx)
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
		if ((err = lever_page(root, fn, ctx, &next, why, sizeof why)) != LEVER_OK) {
			api_set_error(lv->error, sizeof lv->error, "GET", path, why, NULL);
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

/* Every page of the list at base, gathered in vec (its kind set). */
static enum lever_err lv_list_vec(struct lever *lv, const char *base, struct lever_vec *vec,
				  size_t *n)
{
	return lever_vec_end(vec, lv_list(lv, base, LEVER_MAX_PAGES, lever_vec_item, vec), n);
}

enum lever_err lever_stages_list(struct lever *lv, struct lever_stage **out, size_t *n)
{
	struct lever_vec vec = { &lever_kind_stage, NULL, 0, 0 };
	enum lever_err err = lv_list_vec(lv, "/stages", &vec, n);

	*out = vec.v;
	return err;
}

enum lever_err lever_tags_list(struct lever *lv, struct lever_tag **out, size_t *n)
{
	struct lever_vec vec = { &lever_kind_tag, NULL, 0, 0 };
	enum lever_err err = lv_list_vec(lv, "/tags", &vec, n);

	*out = vec.v;
	return err;
}

/* GET /opportunities?stage_id=&tag=[&updated_at_start=] (all pages). */
static enum lever_err opp_list(struct lever *lv, const char *stage_id, const char *tag,
			       int64_t updated_since, struct lever_opportunity ***out, size_t *n)
{
	struct lever_vec vec = { &lever_kind_opportunity, NULL, 0, 0 };
	char *s = http_escape_alloc(stage_id), *t = http_escape_alloc(tag), *base = NULL;
	char since[40] = "";
	enum lever_err err;

	if (updated_since > 0)
		snprintf(since, sizeof since, "&updated_at_start=%lld", (long long)updated_since);
	if (s && t && asprintf(&base, "/opportunities?stage_id=%s&tag=%s%s", s, t, since) >= 0) {
		err = lv_list_vec(lv, base, &vec, n);
	} else {
		base = NULL;
		err = lv_oom(lv, "GET /opportunities");
		*n = 0;
	}
	*out = vec.v;
	free(s);
	free(t);
	free(base);
	return err;
}

enum lever_err lever_opportunities_list(struct lever *lv, const char *stage_id, const char *tag,
					struct lever_opportunity ***out, size_t *n)
{
	return opp_list(lv, stage_id, tag, 0, out, n);
}

enum lever_err lever_opportunities_updated(struct lever *lv, const char *stage_id,
					   const char *tag, int64_t updated_since,
					   struct lever_opportunity ***out, size_t *n)
{
	return opp_list(lv, stage_id, tag, updated_since, out, n);
}

enum lever_err lever_note_find(struct lever *lv, const char *opp_id,
			       const char *marker, char **note_id_alloc)
{
	struct lever_note_search ns = { marker, NULL };
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
		return lv_oom(lv, "GET notes");
	}
	err = lv_list(lv, base, LEVER_NOTE_MAX_PAGES, lever_note_item, &ns);
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

enum lever_err lever_webhook_create(struct lever *lv, const char *url,
				    const char *event, char **id_alloc,
				    char **token_alloc)
{
	const char *const kv[][2] = { { "url", url }, { "event", event } };
	struct json_object *root = NULL;
	char *json = NULL, *id = NULL, *token = NULL, why[256];
	enum lever_err err;

	*id_alloc = NULL;
	*token_alloc = NULL;
	if (!url || !event) {
		snprintf(lv->error, sizeof lv->error, "POST /webhooks: no url or event");
		return LEVER_REJECTED;
	}
	if (!(json = strings_json(kv, 2))) {
		err = lv_oom(lv, "POST /webhooks");
		goto out;
	}
	/* Not idempotent: a retried create could leave a second webhook. */
	if ((err = lv_call(lv, "POST", "/webhooks", json, HTTP_RETRY_UNSAFE, &root)) != LEVER_OK)
		goto out;

	err = lever_webhook_from(root, &id, &token, why, sizeof why);
	if (err == LEVER_BAD_REPLY && id) {
		/* Without its token the webhook's deliveries cannot be
		 * verified: remove it rather than leave it behind. */
		log_warn("lever: POST /webhooks: reply has no signatureToken; deleting webhook");
		if (lever_webhook_delete(lv, id) != LEVER_OK)
			log_warn("lever: could not delete webhook: %s", lv->error);
	}
	if (err != LEVER_OK) {
		api_set_error(lv->error, sizeof lv->error, "POST", "/webhooks", why, NULL);
		goto out;
	}
	*id_alloc = id;
	*token_alloc = token;
	id = token = NULL;
out:
	json_object_put(root);
	free(json);
	free(id);
	crypto_free_secret(token);
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
		return lv_oom(lv, "DELETE /webhooks");
	}
	err = lv_call(lv, "DELETE", path, NULL, HTTP_RETRY_IDEMPOTENT, NULL);
	free(path);
	free(esc);
	return err;
}

/* --- files ------------------------------------------------------------- */

/* Not idempotent (a second file): retried only when surely not received.
 * Any 2xx counts: the reply's status and envelope are not documented. */
enum lever_err lever_file_upload(struct lever *lv, const char *opp_id, const char *perform_as,
				 const char *name, const char *type, const char *data,
				 size_t len)
{
	struct http_request req;
	char *eo = NULL, *eu = NULL, *path = NULL;
	enum lever_err err;

	if (!opp_id || !*opp_id || !perform_as || !*perform_as || !name || !len) {
		snprintf(lv->error, sizeof lv->error, "POST files: empty id, user or file");
		return LEVER_REJECTED;
	}
	if (len > LEVER_FILE_MAX) {
		snprintf(lv->error, sizeof lv->error, "POST files: %zu bytes, over Lever's 30 MB",
			 len);
		return LEVER_REJECTED;
	}
	if (!(eo = http_escape_alloc(opp_id)) || !(eu = http_escape_alloc(perform_as)) ||
	    asprintf(&path, "/opportunities/%s/files?perform_as=%s", eo, eu) < 0) {
		path = NULL;
		err = lv_oom(lv, "POST files");
		goto out;
	}
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.retry = HTTP_RETRY_UNSAFE;
	req.file_field = "file";
	req.file_name = name;
	req.file_type = type;
	req.file_data = data;
	req.file_len = len;
	log_debug("lever: POST /opportunities/%s/files (%zu bytes)", eo, len);
	err = lv_call_req(lv, &req, path, NULL);
out:
	free(path);
	free(eu);
	free(eo);
	return err;
}

struct file_search { const char *name; int found; };

static const char *file_item(struct json_object *item, void *ctx)
{
	struct file_search *fs = ctx;
	const char *name = ju_str(item, "name");

	if (name && strcmp(name, fs->name) == 0) {
		fs->found = 1;
		return LEVER_LIST_STOP;
	}
	return NULL;   /* another file, or one of an unexpected shape */
}

enum lever_err lever_file_find(struct lever *lv, const char *opp_id, const char *name,
			       int *found)
{
	struct file_search fs = { name, 0 };
	char *esc = NULL, *base = NULL;
	enum lever_err err;

	*found = 0;
	if (!(esc = http_escape_alloc(opp_id)) ||
	    asprintf(&base, "/opportunities/%s/files", esc) < 0) {
		free(esc);
		return lv_oom(lv, "GET files");
	}
	err = lv_list(lv, base, LEVER_NOTE_MAX_PAGES, file_item, &fs);
	*found = err == LEVER_OK && fs.found;
	free(base);
	free(esc);
	return err;
}

/* The first active user of the best role seen so far (0 none, 1 admin,
 * 2 super admin). */
struct user_pick { char *id; int rank; };

static const char *user_item(struct json_object *item, void *ctx)
{
	struct user_pick *up = ctx;
	const char *id = ju_str(item, "id"), *role = ju_str(item, "accessRole");
	int rank = !role ? 0 : strcmp(role, "super admin") == 0 ? 2 : strcmp(role, "admin") == 0;

	if (!id || !*id || !rank || rank <= up->rank || ju_member(item, "deactivatedAt"))
		return NULL;
	free(up->id);
	if (!(up->id = strdup(id)))
		return "out of memory";
	up->rank = rank;
	return rank == 2 ? LEVER_LIST_STOP : NULL;
}

enum lever_err lever_admin_user(struct lever *lv, char **id_alloc)
{
	struct user_pick up = { NULL, 0 };
	enum lever_err err = lv_list(lv, "/users", LEVER_MAX_PAGES, user_item, &up);

	*id_alloc = NULL;
	if (err == LEVER_OK && !up.id) {
		snprintf(lv->error, sizeof lv->error, "GET /users: no active admin to upload as");
		err = LEVER_REJECTED;
	}
	if (err == LEVER_OK) {
		*id_alloc = up.id;
		up.id = NULL;
	}
	free(up.id);
	return err;
}

enum lever_err lever_webhooks_list(struct lever *lv, struct lever_webhook **out, size_t *n)
{
	struct lever_vec vec = { &lever_kind_webhook, NULL, 0, 0 };
	enum lever_err err = lv_list_vec(lv, "/webhooks", &vec, n);

	*out = vec.v;
	return err;
}
