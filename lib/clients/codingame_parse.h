/* codingame_parse: what the CodinGame assessment API answers (API-NOTES.md,
 * "CodinGame"): the types, their free functions, and the checks of the
 * replies, field by field, unknown fields ignored. The calls
 * (codingame.h) use the walkers; the cg_parse_* functions run the same
 * walkers over raw text, for tests and fuzzing. No I/O here. */
#ifndef CGLEVER_CODINGAME_PARSE_H
#define CGLEVER_CODINGAME_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct json_object; /* json-c, for the walkers only: no JSON above codingame.h */

enum cg_err {
	CG_OK = 0,
	CG_NOTFOUND,        /* 404 or NotFoundTestId */
	CG_UNAUTHORIZED,    /* 401/403: API key refused */
	CG_TEMPORARY,       /* 429/5xx/timeout/connection after retries */
	CG_REJECTED,        /* other 4xx, e.g. InvalidCampaignId */
	CG_BAD_REPLY
};

struct cg_campaign { int64_t id; char *name; int archived; };
void cg_campaigns_free(struct cg_campaign *c, size_t n);
/* The name of campaign id in c[0..n), or NULL (unknown, or no name). */
const char *cg_campaign_name(const struct cg_campaign *c, size_t n, int64_t id);

/* report.technologies, in the order of the reply. Numbers absent or null
 * are 0; an entry with a member of the wrong type is left out. */
struct cg_skill { char *name; double score, points, total_points; };
struct cg_technology { char *name; double score, points, total_points;
		       struct cg_skill *skills; size_t n_skills; };

struct cg_test {
	int64_t id;
	int64_t campaign_id;
	char *status;                   /* waiting, in_progress, completed, ... */
	char *candidate_name;
	char *candidate_email;
	char **tags; size_t n_tags;
	int64_t send_time, start_time, end_time;
	char *url;                      /* recruiter's report page */
	char *test_url;                 /* candidate's link */
	int has_report;
	double score;                   /* report.score when has_report */
	/* From report when present; 0 / empty when absent, null or of the
	 * wrong type. Durations as sent (the unit is undocumented). */
	double points, total_points;
	int64_t duration, total_duration;
	struct cg_technology *technologies; size_t n_technologies;
};
void cg_test_free(struct cg_test *t);
void cg_tests_free(struct cg_test **t, size_t n);

/* ---- Reply parsers over raw text: len bytes, need not be NUL-terminated,
 * taken as a 2xx reply. They return CG_OK, CG_BAD_REPLY (why says what
 * is wrong, worded as in the client's error) or CG_TEMPORARY (out of
 * memory); on error the outputs are NULL / 0 and nothing is left to
 * free. ---- */
/* GET /campaigns: a bare array. */
enum cg_err cg_parse_campaigns(const char *json, size_t len, struct cg_campaign **out,
			       size_t *n, char *why, size_t whylen);
/* GET /tests/{id}. */
enum cg_err cg_parse_test(const char *json, size_t len, struct cg_test **out, char *why,
			  size_t whylen);
/* One page of GET /tests asked from start: its tests, and *more with
 * *next_start (> start) when another page follows. */
enum cg_err cg_parse_tests_page(const char *json, size_t len, int64_t start,
				struct cg_test ***out, size_t *n, int *more,
				int64_t *next_start, char *why, size_t whylen);
/* POST /campaigns/{id}/actions/send: {"id":11,"test_url":"..."}; the id
 * is > 0, *test_url_alloc NULL when absent. */
enum cg_err cg_parse_send_reply(const char *json, size_t len, int64_t *test_id,
				char **test_url_alloc, char *why, size_t whylen);

/* ---- The walkers, over a parsed reply, for the calls: they fill why
 * ("bad reply: ..." or "out of memory") on an error. ---- */
enum cg_err cg_campaigns_from(struct json_object *root, struct cg_campaign **out,
			      size_t *n, char *why, size_t whylen);
enum cg_err cg_send_reply_from(struct json_object *root, int64_t *test_id,
			       char **test_url_alloc, char *why, size_t whylen);
enum cg_err cg_test_from(struct json_object *root, struct cg_test **out, char *why,
			 size_t whylen);

/* Tests gathered over the pages of GET /tests (zero-initialize). */
struct cg_test_vec { struct cg_test **v; size_t n, cap; };
/* One page, {"tests":[...],"pagination":{"has_more_items":true,
 * "next_start":N}}, asked from start: its tests appended to tv, *more and
 * *next where the next page starts. */
enum cg_err cg_tests_page_from(struct json_object *root, int64_t start,
			       struct cg_test_vec *tv, int *more, int64_t *next,
			       char *why, size_t whylen);

#endif
