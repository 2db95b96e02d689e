/* codingame_parse: the checks of CodinGame's replies; see codingame_parse.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "clients/codingame_parse.h"

/* A 2xx reply's text as the calls take it (API_REPLY_OBJECT_OR_ARRAY),
 * else NULL and why. */
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

/* The error of a walker whose part said bad: out of memory is temporary. */
static enum cg_err bad_reply(const char *bad, char *why, size_t whylen)
{
	if (strcmp(bad, "out of memory") == 0) {
		snprintf(why, whylen, "out of memory");
		return CG_TEMPORARY;
	}
	snprintf(why, whylen, "bad reply: %s", bad);
	return CG_BAD_REPLY;
}

/* --- campaigns --------------------------------------------------------- */

void cg_campaigns_free(struct cg_campaign *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		free(c[i].name);
	free(c);
}

const char *cg_campaign_name(const struct cg_campaign *c, size_t n, int64_t id)
{
	for (size_t i = 0; c && i < n; i++)
		if (c[i].id == id)
			return c[i].name;
	return NULL;
}

/* GET /campaigns answers a bare array, not an envelope. */
enum cg_err cg_campaigns_from(struct json_object *root, struct cg_campaign **out,
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
	if (bad)
		err = bad_reply(bad, why, whylen);
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
	err = cg_campaigns_from(root, out, n, why, whylen);
	json_object_put(root);
	return err;
}

/* --- send -------------------------------------------------------------- */

/* The send reply {"id":11,"test_url":"..."}. */
enum cg_err cg_send_reply_from(struct json_object *root, int64_t *test_id,
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
	err = cg_send_reply_from(root, test_id, test_url_alloc, why, whylen);
	json_object_put(root);
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

enum cg_err cg_test_from(struct json_object *root, struct cg_test **out, char *why,
			 size_t whylen)
{
	const char *bad = parse_test(root, out);

	return bad ? bad_reply(bad, why, whylen) : CG_OK;
}

enum cg_err cg_parse_test(const char *json, size_t len, struct cg_test **out, char *why,
			  size_t whylen)
{
	struct json_object *root;
	enum cg_err err;

	*out = NULL;
	if (!(root = reply_value(json, len, why, whylen)))
		return CG_BAD_REPLY;
	err = cg_test_from(root, out, why, whylen);
	json_object_put(root);
	return err;
}

void cg_tests_free(struct cg_test **t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		cg_test_free(t[i]);
	free(t);
}

enum cg_err cg_tests_page_from(struct json_object *root, int64_t start,
			       struct cg_test_vec *tv, int *more, int64_t *next,
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
		void *v = tv->v;
		const char *bad;

		if (buf_reserve(&v, &tv->cap, tv->n + 1, sizeof *tv->v) < 0)
			return bad_reply("out of memory", why, whylen);
		tv->v = v;
		if ((bad = parse_test(json_object_array_get_idx(tests, i), &tv->v[tv->n])))
			return bad_reply(bad, why, whylen);
		tv->n++;
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
	struct cg_test_vec tv = { NULL, 0, 0 };
	enum cg_err err = CG_BAD_REPLY;

	*more = 0;
	*next_start = 0;
	if ((root = reply_value(json, len, why, whylen))) {
		err = cg_tests_page_from(root, start, &tv, more, next_start, why, whylen);
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
