/* codingame: typed client for the CodinGame (CoderPad Screen) assessment
 * API v1.1 (API-NOTES.md, "CodinGame").
 *
 * Like lever.c: cg_call does URL and auth, and api_call (apicall.h) the
 * outcome and the error text "METHOD /path: HTTP 400 InvalidCampaignId:
 * message"; replies are checked field by field and unknown fields ignored.
 * The checks are walkers over the parsed reply (*_from), shared by the
 * calls and by the exported cg_parse_* functions, which take the raw text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/apicall.h"
#include "clients/codingame.h"
#include "net/http.h"
#include "base/jsonutil.h"
#include "base/log.h"

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

static void set_error(struct codingame *cg, const char *method, const char *path,
		      const char *what, const char *more)
{
	api_set_error(cg->error, sizeof cg->error, method, path, what, more);
}

/* One request. On CG_OK with json_out, *json_out is the parsed reply (an
 * object or an array; caller puts it). */
static enum cg_err cg_call(struct codingame *cg, const char *method, const char *path,
			   const char *body, enum http_retry retry,
			   struct json_object **json_out)
{
	struct http_request req;
	struct api_result res;
	enum api_class cls;
	enum cg_err err = CG_BAD_REPLY;
	char *url = NULL, *hdr = NULL;

	if (json_out)
		*json_out = NULL;
	cg->status = 0;
	cg->outcome_unknown = 0;
	cg->code[0] = '\0';
	cg->error[0] = '\0';
	if (asprintf(&url, "%s%s", cg->api_url, path) < 0) {
		set_error(cg, method, path, "out of memory", NULL);
		return CG_TEMPORARY;
	}
	if (asprintf(&hdr, "API-Key: %s", cg->api_key ? cg->api_key : "") < 0) {
		set_error(cg, method, path, "out of memory", NULL);
		log_debug("codingame: %s", cg->error);
		free(url);
		return CG_TEMPORARY;
	}

	memset(&req, 0, sizeof req);
	req.method = method;
	req.url = url;
	req.body = body;
	req.header = hdr;
	req.retry = retry;

	cls = api_call(&req, path, API_REPLY_OBJECT_OR_ARRAY, json_out, &res);
	explicit_bzero(hdr, strlen(hdr)); /* holds the API key */
	free(hdr);
	free(url);
	/* An unknown test id may come as code NotFoundTestId, not a 404. */
	if (cls != API_UNAUTHORIZED && strcmp(res.code, "NotFoundTestId") == 0)
		cls = API_NOTFOUND;
	switch (cls) {
	case API_OK: err = CG_OK; break;
	case API_NOTFOUND: err = CG_NOTFOUND; break;
	case API_UNAUTHORIZED: err = CG_UNAUTHORIZED; break;
	case API_TEMPORARY: err = CG_TEMPORARY; break;
	case API_REJECTED: err = CG_REJECTED; break;
	case API_BAD_REPLY: err = CG_BAD_REPLY; break;
	}
	cg->status = res.status;
	cg->outcome_unknown = res.outcome_unknown;
	snprintf(cg->code, sizeof cg->code, "%s", res.code);
	snprintf(cg->error, sizeof cg->error, "%s", res.error);
	if (err != CG_OK)
		log_debug("codingame: %s", cg->error);
	return err;
}

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

/* A 2xx reply's text as api_call takes it (API_REPLY_OBJECT_OR_ARRAY),
 * else NULL and why. For the cg_parse_* functions. */
static struct json_object *reply_value(const char *json, size_t len, char *why, size_t whylen)
{
	struct json_object *root = ju_parse(json, len, why, whylen);

	if (root && !json_object_is_type(root, json_type_object) &&
	    !json_object_is_type(root, json_type_array)) {
		snprintf(why, whylen, "reply is not a JSON object or array");
		json_object_put(root);
		root = NULL;
	}
	return root;
}

/* --- campaigns --------------------------------------------------------- */

void cg_campaigns_free(struct cg_campaign *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		free(c[i].name);
	free(c);
}

/* GET /campaigns answers a bare array, not an envelope. */
static enum cg_err campaigns_from(struct json_object *root, struct cg_campaign **out,
				  size_t *n, char *why, size_t whylen)
{
	struct cg_campaign *v = NULL;
	size_t len = 0, i;
	enum cg_err err = CG_BAD_REPLY;
	const char *bad = NULL;

	*out = NULL;
	*n = 0;
	if (!json_object_is_type(root, json_type_array)) {
		bad = "reply is not an array";
		goto out;
	}
	len = json_object_array_length(root);
	if (len && !(v = calloc(len, sizeof *v))) {
		bad = "out of memory";
		goto out;
	}
	for (i = 0; i < len; i++) {
		struct json_object *c = json_object_array_get_idx(root, i);
		int archived = 0;

		if (!json_object_is_type(c, json_type_object) ||
		    !ju_int64(c, "id", &v[i].id)) {
			bad = "campaign without an integer id";
			goto out;
		}
		if (ju_opt_str_alloc(c, "name", &v[i].name) < 0) {
			bad = "campaign name is not a string";
			goto out;
		}
		if (ju_member(c, "archived") && !ju_bool(c, "archived", &archived)) {
			bad = "campaign archived is not a boolean";
			goto out;
		}
		v[i].archived = archived;
	}
	*out = v;
	*n = len;
	v = NULL;
	err = CG_OK;
out:
	if (bad) {
		snprintf(why, whylen, "bad reply: %s", bad);
		if (!strcmp(bad, "out of memory"))
			err = CG_TEMPORARY;
	}
	cg_campaigns_free(v, len); /* calloc'd: unfilled entries are NULL */
	return err;
}

enum cg_err cg_parse_campaigns(const char *json, size_t len, struct cg_campaign **out,
			       size_t *n, char *why, size_t whylen)
{
	struct json_object *root;
	enum cg_err err;

	*out = NULL;
	*n = 0;
	if (!(root = reply_value(json, len, why, whylen)))
		return CG_BAD_REPLY;
	err = campaigns_from(root, out, n, why, whylen);
	json_object_put(root);
	return err;
}

enum cg_err cg_campaigns_list(struct codingame *cg, struct cg_campaign **out, size_t *n)
{
	struct json_object *root = NULL;
	enum cg_err err;
	char why[256];

	*out = NULL;
	*n = 0;
	if ((err = cg_call(cg, "GET", "/campaigns", NULL, HTTP_RETRY_IDEMPOTENT, &root)) != CG_OK)
		return err;
	if ((err = campaigns_from(root, out, n, why, sizeof why)) != CG_OK)
		set_error(cg, "GET", "/campaigns", why, NULL);
	json_object_put(root);
	return err;
}

const char *cg_campaign_name(const struct cg_campaign *c, size_t n, int64_t id)
{
	for (size_t i = 0; c && i < n; i++)
		if (c[i].id == id)
			return c[i].name;
	return NULL;
}

/* --- send -------------------------------------------------------------- */

/* strndup of s cut to at most max characters (code points), never in the
 * middle of a UTF-8 sequence. */
static char *utf8_cut_alloc(const char *s, size_t max)
{
	size_t i, chars = 0;

	for (i = 0; s[i]; i++) {
		/* A byte that is not a continuation (10xxxxxx) starts a character. */
		if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max)
			break;
	}
	return strndup(s, i);
}

static int add_str(struct json_object *o, const char *key, const char *val)
{
	struct json_object *v = json_object_new_string(val);

	if (!v || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

/* The send reply {"id":11,"test_url":"..."}. */
static enum cg_err send_reply_from(struct json_object *root, int64_t *test_id,
				   char **test_url_alloc, char *why, size_t whylen)
{
	int64_t id = 0;

	*test_id = 0;
	*test_url_alloc = NULL;
	if (!json_object_is_type(root, json_type_object) || !ju_int64(root, "id", &id) ||
	    id <= 0) {
		snprintf(why, whylen, "bad reply: no integer id");
		return CG_BAD_REPLY;
	}
	if (ju_opt_str_alloc(root, "test_url", test_url_alloc) < 0) {
		snprintf(why, whylen, "bad reply: test_url is not a string");
		return CG_BAD_REPLY;
	}
	*test_id = id;
	return CG_OK;
}

enum cg_err cg_parse_send_reply(const char *json, size_t len, int64_t *test_id,
				char **test_url_alloc, char *why, size_t whylen)
{
	struct json_object *root;
	enum cg_err err;

	*test_id = 0;
	*test_url_alloc = NULL;
	if (!(root = reply_value(json, len, why, whylen)))
		return CG_BAD_REPLY;
	err = send_reply_from(root, test_id, test_url_alloc, why, whylen);
	json_object_put(root);
	return err;
}

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
	if (s->candidate_email && add_str(body, "candidate_email", s->candidate_email) < 0)
		goto oom;
	if (s->candidate_name) {
		if (!(name = utf8_cut_alloc(s->candidate_name, CG_NAME_MAX_CHARS)) ||
		    add_str(body, "candidate_name", name) < 0)
			goto oom;
	}
	if (s->tags && add_str(body, "tags", s->tags) < 0)
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
	if ((err = send_reply_from(root, &id, &url, why, sizeof why)) != CG_OK) {
		set_error(cg, "POST", path, why, NULL);
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

static void skills_free(struct cg_skill *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i].name);
	free(s);
}

static void technologies_free(struct cg_technology *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++) {
		free(t[i].name);
		skills_free(t[i].skills, t[i].n_skills);
	}
	free(t);
}

void cg_test_free(struct cg_test *t)
{
	if (!t)
		return;
	free(t->status);
	free(t->candidate_name);
	free(t->candidate_email);
	ju_strv_free(t->tags, t->n_tags);
	free(t->url);
	free(t->test_url);
	technologies_free(t->technologies, t->n_technologies);
	free(t);
}

/* A number (JSON int or double): absent or null gives 0 and 0, another
 * type -1. */
static int opt_num(struct json_object *o, const char *key, double *out)
{
	struct json_object *v = ju_member(o, key);

	*out = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return -1;
	*out = json_object_get_double(v);
	return 0;
}

/* {score, points, total_points} of a technology or a skill. */
static int parse_points(struct json_object *o, double *score, double *points,
			double *total_points)
{
	if (opt_num(o, "score", score) < 0 || opt_num(o, "points", points) < 0 ||
	    opt_num(o, "total_points", total_points) < 0)
		return -1;
	return 0;
}

/* skills {name: {score, points, total_points}}. 1 when the technology is
 * to be left out (skills of the wrong type), -1 when out of memory. */
static int parse_skills(struct json_object *tech, struct cg_technology *out)
{
	struct json_object *sk = ju_member(tech, "skills");
	struct cg_skill *v;
	size_t n = 0;

	if (!sk)
		return 0;
	if (!json_object_is_type(sk, json_type_object))
		return 1;
	if (json_object_object_length(sk) == 0)
		return 0;
	if (!(v = calloc(json_object_object_length(sk), sizeof *v)))
		return -1;
	json_object_object_foreach(sk, name, val) {
		struct cg_skill *s = &v[n];

		if (!json_object_is_type(val, json_type_object) ||
		    parse_points(val, &s->score, &s->points, &s->total_points) < 0) {
			memset(s, 0, sizeof *s);
			log_debug("codingame: skill %.100s of %.100s left out: not as "
				  "documented", name, out->name);
			continue;
		}
		if (!(s->name = strdup(name))) {
			skills_free(v, n);
			return -1;
		}
		n++;
	}
	if (n == 0) {
		free(v);
		v = NULL;
	}
	out->skills = v;
	out->n_skills = n;
	return 0;
}

/* report.technologies {name: {score, points, total_points, skills}}.
 * Entries not as documented are left out; -1 only when out of memory. */
static int parse_technologies(struct json_object *rep, struct cg_test *t)
{
	struct json_object *techs = ju_member(rep, "technologies");
	struct cg_technology *v;
	size_t n = 0;

	if (!techs)
		return 0;
	if (!json_object_is_type(techs, json_type_object)) {
		log_debug("codingame: test %lld: report.technologies is not an object",
			  (long long)t->id);
		return 0;
	}
	if (json_object_object_length(techs) == 0)
		return 0;
	if (!(v = calloc(json_object_object_length(techs), sizeof *v)))
		return -1;
	json_object_object_foreach(techs, name, val) {
		struct cg_technology *tech = &v[n];
		int r;

		if (!json_object_is_type(val, json_type_object) ||
		    parse_points(val, &tech->score, &tech->points, &tech->total_points) < 0) {
			memset(tech, 0, sizeof *tech);
			log_debug("codingame: test %lld: technology %.100s left out: not "
				  "as documented", (long long)t->id, name);
			continue;
		}
		if (!(tech->name = strdup(name))) {
			technologies_free(v, n);
			return -1;
		}
		if ((r = parse_skills(val, tech)) != 0) {
			free(tech->name);
			memset(tech, 0, sizeof *tech);
			if (r < 0) {
				technologies_free(v, n);
				return -1;
			}
			log_debug("codingame: test %lld: technology %.100s left out: "
				  "skills is not an object", (long long)t->id, name);
			continue;
		}
		n++;
	}
	if (n == 0) {
		free(v);
		v = NULL;
	}
	t->technologies = v;
	t->n_technologies = n;
	return 0;
}

/* The report's details besides score: lenient, a member not as
 * documented is left at 0 / empty. -1 only when out of memory. */
static int parse_report(struct json_object *rep, struct cg_test *t)
{
	int bad = 0;

	bad |= opt_num(rep, "points", &t->points) < 0;
	bad |= opt_num(rep, "total_points", &t->total_points) < 0;
	bad |= ju_opt_int64(rep, "duration", &t->duration) < 0;
	bad |= ju_opt_int64(rep, "total_duration", &t->total_duration) < 0;
	if (bad)
		log_debug("codingame: test %lld: report points or durations not as "
			  "documented, taken as 0", (long long)t->id);
	return parse_technologies(rep, t);
}

/* tags: an array of strings in replies; a lone string is taken as one. */
static int parse_tags(struct json_object *o, struct cg_test *t)
{
	struct json_object *v = ju_member(o, "tags");

	if (v && json_object_is_type(v, json_type_string)) {
		if (!(t->tags = calloc(1, sizeof *t->tags)) ||
		    !(t->tags[0] = strdup(json_object_get_string(v))))
			return -1;
		t->n_tags = 1;
		return 0;
	}
	return ju_opt_strv_alloc(o, "tags", &t->tags, &t->n_tags);
}

/* Parses one test object; *out owned by the caller. Returns a reason. */
static const char *parse_test(struct json_object *o, struct cg_test **out)
{
	struct cg_test *t;
	struct json_object *rep, *sc;
	const char *why = NULL;

	*out = NULL;
	if (!json_object_is_type(o, json_type_object))
		return "test is not an object";
	if (!(t = calloc(1, sizeof *t)))
		return "out of memory";
	if (!ju_int64(o, "id", &t->id))
		why = "id missing or not an integer";
	else if (ju_opt_int64(o, "campaign_id", &t->campaign_id) < 0)
		why = "campaign_id is not an integer";
	else if (ju_opt_str_alloc(o, "status", &t->status) < 0)
		why = "status is not a string";
	else if (ju_opt_str_alloc(o, "candidate_name", &t->candidate_name) < 0)
		why = "candidate_name is not a string";
	else if (ju_opt_str_alloc(o, "candidate_email", &t->candidate_email) < 0)
		why = "candidate_email is not a string";
	else if (parse_tags(o, t) < 0)
		why = "tags is not an array of strings";
	else if (ju_opt_int64(o, "send_time", &t->send_time) < 0 ||
		 ju_opt_int64(o, "start_time", &t->start_time) < 0 ||
		 ju_opt_int64(o, "end_time", &t->end_time) < 0)
		why = "a time is not an integer";
	else if (ju_opt_str_alloc(o, "url", &t->url) < 0)
		why = "url is not a string";
	else if (ju_opt_str_alloc(o, "test_url", &t->test_url) < 0)
		why = "test_url is not a string";
	if (why)
		goto out;

	/* report appears once the test is finished; score is 0..100. */
	if ((rep = ju_member(o, "report"))) {
		if (!json_object_is_type(rep, json_type_object)) {
			why = "report is not an object";
			goto out;
		}
		sc = ju_member(rep, "score");
		if (sc && (json_object_is_type(sc, json_type_int) ||
			   json_object_is_type(sc, json_type_double))) {
			t->score = json_object_get_double(sc);
			t->has_report = 1;
		} else if (sc) {
			why = "report.score is not a number";
			goto out;
		}
		if (parse_report(rep, t) < 0) {
			why = "out of memory";
			goto out;
		}
	}
	*out = t;
	t = NULL;
out:
	cg_test_free(t);
	return why;
}

enum cg_err cg_parse_test(const char *json, size_t len, struct cg_test **out, char *why,
			  size_t whylen)
{
	struct json_object *root;
	const char *bad;
	enum cg_err err = CG_OK;

	*out = NULL;
	if (!(root = reply_value(json, len, why, whylen)))
		return CG_BAD_REPLY;
	if ((bad = parse_test(root, out))) {
		snprintf(why, whylen, "bad reply: %s", bad);
		err = strcmp(bad, "out of memory") ? CG_BAD_REPLY : CG_TEMPORARY;
	}
	json_object_put(root);
	return err;
}

enum cg_err cg_test_get(struct codingame *cg, int64_t id, struct cg_test **out)
{
	struct json_object *root = NULL;
	char *path = NULL;
	const char *why;
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
	if ((why = parse_test(root, out))) {
		set_error(cg, "GET", path, "bad reply: ", why);
		err = strcmp(why, "out of memory") ? CG_BAD_REPLY : CG_TEMPORARY;
	}
out:
	json_object_put(root);
	free(path);
	return err;
}

void cg_tests_free(struct cg_test **t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		cg_test_free(t[i]);
	free(t);
}

/* A vector of tests growing over the pages. */
struct test_vec { struct cg_test **v; size_t n, cap; };

/* One page of GET /tests, {"tests":[...],"pagination":{"has_more_items":
 * true,"next_start":N}}, asked from start: the tests appended to tv, *more
 * and *next where the next page starts. */
static enum cg_err tests_page_from(struct json_object *root, int64_t start,
				   struct test_vec *tv, int *more, int64_t *next,
				   char *why, size_t whylen)
{
	struct json_object *tests, *pg;
	size_t i, cnt;

	*more = 0;
	*next = 0;
	if (!(tests = ju_arr(root, "tests"))) {
		snprintf(why, whylen, "bad reply: tests is not an array");
		return CG_BAD_REPLY;
	}
	cnt = json_object_array_length(tests);
	for (i = 0; i < cnt; i++) {
		struct cg_test *t;
		const char *bad;

		if (grow((void **)&tv->v, &tv->cap, tv->n, sizeof *tv->v) < 0) {
			snprintf(why, whylen, "out of memory");
			return CG_TEMPORARY;
		}
		if ((bad = parse_test(json_object_array_get_idx(tests, i), &t))) {
			snprintf(why, whylen, "bad reply: %s", bad);
			return strcmp(bad, "out of memory") ? CG_BAD_REPLY : CG_TEMPORARY;
		}
		tv->v[tv->n++] = t;
	}
	/* No pagination object, or no more items: this was the last page. */
	pg = ju_obj(root, "pagination");
	if (pg && ju_bool(pg, "has_more_items", more) && *more) {
		if (!ju_int64(pg, "next_start", next) || *next <= start) {
			*more = 0;
			*next = 0;
			snprintf(why, whylen, "bad reply: has_more_items without a next_start "
				 "past start");
			return CG_BAD_REPLY;
		}
	} else {
		*more = 0;
	}
	return CG_OK;
}

enum cg_err cg_parse_tests_page(const char *json, size_t len, int64_t start,
				struct cg_test ***out, size_t *n, int *more,
				int64_t *next_start, char *why, size_t whylen)
{
	struct json_object *root;
	struct test_vec tv = { NULL, 0, 0 };
	enum cg_err err = CG_BAD_REPLY;

	*more = 0;
	*next_start = 0;
	if ((root = reply_value(json, len, why, whylen))) {
		err = tests_page_from(root, start, &tv, more, next_start, why, whylen);
		json_object_put(root);
	}
	if (err != CG_OK) {
		cg_tests_free(tv.v, tv.n);
		tv.v = NULL;
		tv.n = 0;
	}
	*out = tv.v;
	*n = tv.n;
	return err;
}

/* GET /tests?campaignId=&candidateEmail=&limit=50&start=N, every page. */
enum cg_err cg_tests_find(struct codingame *cg, int64_t campaign_id,
			  const char *email, struct cg_test ***out, size_t *n)
{
	struct json_object *root = NULL;
	struct test_vec tv = { NULL, 0, 0 };
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
		if ((err = tests_page_from(root, start, &tv, &more, &next, why, sizeof why)) != CG_OK) {
			set_error(cg, "GET", path, why, NULL);
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
