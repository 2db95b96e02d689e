/* codingame: typed client for the CodinGame (CoderPad Screen) assessment
 * API v1.1 (API-NOTES.md, "CodinGame").
 *
 * Like lever.c: cg_call does auth, and api_call (apicall.h) the outcome
 * and the error text "METHOD /path: HTTP 400 InvalidCampaignId: message";
 * replies are checked by the walkers of codingame_parse.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "base/utf8.h"
#include "clients/apicall.h"
#include "clients/codingame.h"
#include "net/http.h"

#define CG_PAGE_LIMIT 50
#define CG_MAX_PAGES  200
#define CG_NAME_MAX_CHARS 100

void cg_init(struct codingame *cg, const char *api_url, const char *api_key)
{
	memset(cg, 0, sizeof *cg);
	cg->api_url = api_url;
	cg->api_key = api_key;
}

const char *cg_strerror(enum cg_err e)
{
	switch (e) {
	case CG_OK: return "ok";
	case CG_NOTFOUND: return "not found in CodinGame";
	case CG_UNAUTHORIZED: return "CodinGame refused the API key";
	case CG_TEMPORARY: return "CodinGame unavailable, try later";
	case CG_REJECTED: return "CodinGame rejected the request";
	case CG_BAD_REPLY: return "unexpected reply from CodinGame";
	}
	return "unknown error";
}

/* api_call's classes in CodinGame's terms. */
static const enum cg_err from_class[] = {
	[API_OK] = CG_OK, [API_NOTFOUND] = CG_NOTFOUND, [API_UNAUTHORIZED] = CG_UNAUTHORIZED,
	[API_TEMPORARY] = CG_TEMPORARY, [API_REJECTED] = CG_REJECTED,
	[API_BAD_REPLY] = CG_BAD_REPLY,
};

/* A reply that is not JSON: its bytes (*bytes, caller frees) and length,
 * at most cap of them, asking for type. */
struct cg_raw { const char *type; size_t cap; char **bytes; size_t *len; };

/* One request. On CG_OK with json_out, *json_out is the parsed reply (an
 * object or an array; caller puts it); with raw, raw's bytes. */
static enum cg_err cg_call_raw(struct codingame *cg, const char *method, const char *path,
			       const char *body, enum http_retry retry,
			       struct json_object **json_out, const struct cg_raw *raw)
{
	struct http_request req;
	struct api_result res;
	enum api_class cls;
	enum cg_err err;
	char *hdr = NULL;

	if (json_out)
		*json_out = NULL;
	cg->status = 0;
	cg->outcome_unknown = 0;
	cg->code[0] = '\0';
	if (asprintf(&hdr, "API-Key: %s", cg->api_key ? cg->api_key : "") < 0) {
		api_set_error(cg->error, sizeof cg->error, method, path, "out of memory", NULL);
		return CG_TEMPORARY;
	}
	memset(&req, 0, sizeof req);
	req.method = method;
	req.body = body;
	req.header = hdr;
	req.retry = retry;

	if (raw) {
		req.accept = raw->type;
		req.max_reply = raw->cap;
		cls = api_call_bytes(&req, cg->api_url, path, raw->bytes, raw->len, &res);
	} else {
		cls = api_call(&req, cg->api_url, path, API_REPLY_OBJECT_OR_ARRAY, json_out, &res);
	}
	crypto_free_secret(hdr); /* holds the API key */
	/* An unknown test id may come as code NotFoundTestId, not a 404. */
	if (cls != API_UNAUTHORIZED && strcmp(res.code, "NotFoundTestId") == 0)
		cls = API_NOTFOUND;
	err = from_class[cls];
	cg->status = res.status;
	cg->outcome_unknown = res.outcome_unknown;
	snprintf(cg->code, sizeof cg->code, "%s", res.code);
	snprintf(cg->error, sizeof cg->error, "%s", res.error);
	if (err != CG_OK)
		log_debug("codingame: %s", cg->error);
	return err;
}

static enum cg_err cg_call(struct codingame *cg, const char *method, const char *path,
			   const char *body, enum http_retry retry,
			   struct json_object **json_out)
{
	return cg_call_raw(cg, method, path, body, retry, json_out, NULL);
}

/* --- campaigns --------------------------------------------------------- */

enum cg_err cg_campaigns_list(struct codingame *cg, struct cg_campaign **out, size_t *n)
{
	struct json_object *root = NULL;
	enum cg_err err;
	char why[256];

	*out = NULL;
	*n = 0;
	if ((err = cg_call(cg, "GET", "/campaigns", NULL, HTTP_RETRY_IDEMPOTENT, &root)) != CG_OK)
		return err;
	if ((err = cg_campaigns_from(root, out, n, why, sizeof why)) != CG_OK)
		api_set_error(cg->error, sizeof cg->error, "GET", "/campaigns", why, NULL);
	json_object_put(root);
	return err;
}

/* --- send -------------------------------------------------------------- */

/* Not retried once the request may have left: see outcome_unknown. */
enum cg_err cg_send(struct codingame *cg, const struct cg_send *s,
		    int64_t *test_id, char **test_url_alloc)
{
	struct json_object *body = NULL, *root = NULL, *b;
	char *name = NULL, *json = NULL, *path = NULL, *url = NULL, why[256];
	int64_t id = 0;
	enum cg_err err = CG_TEMPORARY;

	if (test_id)
		*test_id = 0;
	if (test_url_alloc)
		*test_url_alloc = NULL;
	if (s->campaign_id <= 0) {
		cg->outcome_unknown = 0;
		snprintf(cg->error, sizeof cg->error, "send: bad campaign id");
		return CG_REJECTED;
	}
	if (asprintf(&path, "/campaigns/%lld/actions/send", (long long)s->campaign_id) < 0) {
		path = NULL;
		goto oom;
	}
	/* Fields left NULL are omitted: CodinGame treats all as optional. */
	if (!(body = json_object_new_object()))
		goto oom;
	if (s->candidate_email && ju_add_str(body, "candidate_email", s->candidate_email) < 0)
		goto oom;
	if (s->candidate_name) {
		if (!(name = utf8_cut_alloc(s->candidate_name, CG_NAME_MAX_CHARS)) ||
		    ju_add_str(body, "candidate_name", name) < 0)
			goto oom;
	}
	if (s->tags && ju_add_str(body, "tags", s->tags) < 0)
		goto oom;
	if (!(b = json_object_new_boolean(s->send_invitation_email ? 1 : 0)))
		goto oom;
	if (json_object_object_add(body, "send_invitation_email", b) != 0) {
		json_object_put(b);
		goto oom;
	}
	if (!(json = ju_dump_alloc(body)))
		goto oom;
	/* Ids and sizes only: the body carries the candidate's email and name. */
	log_debug("codingame: POST %s (%zu bytes, email %s, name %zu bytes)", path, strlen(json),
		  s->candidate_email ? "given" : "none",
		  s->candidate_name ? strlen(s->candidate_name) : (size_t)0);

	if ((err = cg_call(cg, "POST", path, json, HTTP_RETRY_UNSAFE, &root)) != CG_OK)
		goto out;
	/* From here on the test exists: any reply trouble leaves the outcome
	 * unknown, so the caller looks it up instead of sending again. */
	if ((err = cg_send_reply_from(root, &id, &url, why, sizeof why)) != CG_OK) {
		api_set_error(cg->error, sizeof cg->error, "POST", path, why, NULL);
		cg->outcome_unknown = 1;
		goto out;
	}
	if (test_id)
		*test_id = id;
	if (test_url_alloc) {
		*test_url_alloc = url;
		url = NULL;
	}
	err = CG_OK;
	goto out;
oom:
	cg->outcome_unknown = 0;
	snprintf(cg->error, sizeof cg->error, "send: out of memory");
	err = CG_TEMPORARY;
out:
	json_object_put(root);
	json_object_put(body);
	free(url);
	free(json);
	free(name);
	free(path);
	return err;
}

/* --- tests ------------------------------------------------------------- */

enum cg_err cg_test_get(struct codingame *cg, int64_t id, struct cg_test **out)
{
	struct json_object *root = NULL;
	char *path = NULL;
	char why[256];
	enum cg_err err;

	*out = NULL;
	if (id <= 0) {
		cg->outcome_unknown = 0;
		snprintf(cg->error, sizeof cg->error, "GET /tests: bad test id");
		return CG_REJECTED;
	}
	if (asprintf(&path, "/tests/%lld", (long long)id) < 0) {
		snprintf(cg->error, sizeof cg->error, "GET /tests: out of memory");
		return CG_TEMPORARY;
	}
	if ((err = cg_call(cg, "GET", path, NULL, HTTP_RETRY_IDEMPOTENT, &root)) != CG_OK)
		goto out;
	if ((err = cg_test_from(root, out, why, sizeof why)) != CG_OK)
		api_set_error(cg->error, sizeof cg->error, "GET", path, why, NULL);
out:
	json_object_put(root);
	free(path);
	return err;
}

/* GET /tests?campaignId=&candidateEmail=&limit=50&start=N, every page. */
enum cg_err cg_tests_find(struct codingame *cg, int64_t campaign_id,
			  const char *email, struct cg_test ***out, size_t *n)
{
	struct json_object *root = NULL;
	struct cg_test_vec tv = { NULL, 0, 0 };
	char *esc = NULL, *path = NULL, why[256];
	int64_t start = 0;
	enum cg_err err = CG_OK;
	int page;

	*out = NULL;
	*n = 0;
	if (email && !(esc = http_escape_alloc(email))) {
		snprintf(cg->error, sizeof cg->error, "GET /tests: out of memory");
		return CG_TEMPORARY;
	}
	for (page = 0; page < CG_MAX_PAGES; page++) {
		char camp[40] = "";
		int more = 0;
		int64_t next = 0;

		if (campaign_id > 0)
			snprintf(camp, sizeof camp, "campaignId=%lld&", (long long)campaign_id);
		if (asprintf(&path, "/tests?%s%s%s%slimit=%d&start=%lld", camp,
			     esc ? "candidateEmail=" : "", esc ? esc : "", esc ? "&" : "",
			     CG_PAGE_LIMIT, (long long)start) < 0) {
			path = NULL;
			goto oom;
		}
		if ((err = cg_call(cg, "GET", path, NULL, HTTP_RETRY_IDEMPOTENT, &root)) != CG_OK)
			goto out;
		if ((err = cg_tests_page_from(root, start, &tv, &more, &next, why, sizeof why)) != CG_OK) {
			api_set_error(cg->error, sizeof cg->error, "GET", path, why, NULL);
			goto out;
		}
		json_object_put(root);
		root = NULL;
		free(path);
		path = NULL;
		if (!more)
			goto out;
		start = next;
	}
	snprintf(cg->error, sizeof cg->error, "GET /tests: more than %d pages", CG_MAX_PAGES);
	err = CG_BAD_REPLY;
	goto out;
oom:
	snprintf(cg->error, sizeof cg->error, "GET /tests: out of memory");
	err = CG_TEMPORARY;
out:
	if (err == CG_OK) {
		*out = tv.v;
		*n = tv.n;
		tv.v = NULL;
	}
	cg_tests_free(tv.v, tv.n);
	json_object_put(root);
	free(path);
	free(esc);
	return err;
}

enum cg_err cg_webhook_set(struct codingame *cg, const char *url)
{
	struct json_object *s = json_object_new_string(url);
	char *body = s ? ju_dump_alloc(s) : NULL;
	enum cg_err e;

	json_object_put(s);
	if (!body) {
		snprintf(cg->error, sizeof cg->error, "POST /webhook: out of memory");
		return CG_TEMPORARY;
	}
	e = cg_call(cg, "POST", "/webhook", body, HTTP_RETRY_IDEMPOTENT, NULL);
	free(body);
	return e;
}

enum cg_err cg_webhook_delete(struct codingame *cg)
{
	return cg_call(cg, "DELETE", "/webhook", NULL, HTTP_RETRY_IDEMPOTENT, NULL);
}

enum cg_err cg_test_action(struct codingame *cg, int64_t id, const char *action)
{
	char path[96];

	if (strcmp(action, "resend") != 0 && strcmp(action, "cancel") != 0) {
		snprintf(cg->error, sizeof cg->error, "unknown test action");
		return CG_REJECTED;
	}
	snprintf(path, sizeof path, "/tests/%lld/actions/%s", (long long)id, action);
	/* Both are harmless to repeat while the test waits. */
	return cg_call(cg, "POST", path, NULL, HTTP_RETRY_UNSAFE, NULL);
}

enum cg_err cg_report_get(struct codingame *cg, int64_t id, char **pdf_alloc, size_t *len)
{
	struct cg_raw raw = { "application/pdf", CG_REPORT_MAX, pdf_alloc, len };
	char path[96];
	enum cg_err e;

	*pdf_alloc = NULL;
	*len = 0;
	if (id <= 0) {
		snprintf(cg->error, sizeof cg->error, "GET /tests/report: bad test id");
		return CG_REJECTED;
	}
	/* report_type: the docs name full and simplified and no default. */
	snprintf(path, sizeof path, "/tests/%lld/report?report_type=full", (long long)id);
	e = cg_call_raw(cg, "GET", path, NULL, HTTP_RETRY_IDEMPOTENT, NULL, &raw);
	if (e == CG_OK && (*len < 5 || memcmp(*pdf_alloc, "%PDF-", 5) != 0)) {
		api_set_error(cg->error, sizeof cg->error, "GET", path, "reply is not a PDF", NULL);
		free(*pdf_alloc);
		*pdf_alloc = NULL;
		*len = 0;
		e = CG_BAD_REPLY;
	}
	return e;
}

enum cg_err cg_test_delete(struct codingame *cg, int64_t id)
{
	char path[64];

	snprintf(path, sizeof path, "/tests/%lld", (long long)id);
	return cg_call(cg, "DELETE", path, NULL, HTTP_RETRY_IDEMPOTENT, NULL);
}

enum cg_err cg_webhook_get(struct codingame *cg, char **url_alloc)
{
	struct json_object *root = NULL;
	const char *url;
	enum cg_err e;

	*url_alloc = NULL;
	e = cg_call(cg, "GET", "/webhook", NULL, HTTP_RETRY_IDEMPOTENT, &root);
	if (e == CG_NOTFOUND)
		return CG_OK;   /* no callback registered */
	if (e != CG_OK)
		return e;
	if (!json_object_is_type(root, json_type_object) || !(url = ju_str(root, "url"))) {
		api_set_error(cg->error, sizeof cg->error, "GET", "/webhook",
			      "reply is not {\"url\": string}", NULL);
		e = CG_BAD_REPLY;
	} else if (!(*url_alloc = strdup(url))) {
		api_set_error(cg->error, sizeof cg->error, "GET", "/webhook", "out of memory",
			      NULL);
		e = CG_TEMPORARY;
	}
	json_object_put(root);
	return e;
}
