/* codingame: typed client for the CodinGame assessment API (API-NOTES.md). */
#ifndef CGLEVER_CODINGAME_H
#define CGLEVER_CODINGAME_H

#include <stddef.h>
#include <stdint.h>

enum cg_err {
	CG_OK = 0,
	CG_NOTFOUND,        /* 404 or NotFoundTestId */
	CG_UNAUTHORIZED,    /* 401/403: API key refused */
	CG_TEMPORARY,       /* 429/5xx/timeout/connection after retries */
	CG_REJECTED,        /* other 4xx, e.g. InvalidCampaignId */
	CG_BAD_REPLY
};

struct codingame {
	const char *api_url;       /* borrowed; includes /assessment/api/v1.1 */
	const char *api_key;       /* API-Key header */
	long status;               /* last HTTP status (0: none) */
	/* After CG_TEMPORARY from cg_send: 1 when the request may have been
	 * acted on (timeout, 5xx), so look before sending again. */
	int outcome_unknown;
	char code[64];             /* last API error code, e.g. InvalidCampaignId */
	char error[512];
};

void cg_init(struct codingame *cg, const char *api_url, const char *api_key);
const char *cg_strerror(enum cg_err e);

struct cg_campaign { int64_t id; char *name; int archived; };
enum cg_err cg_campaigns_list(struct codingame *cg, struct cg_campaign **out, size_t *n);
void cg_campaigns_free(struct cg_campaign *c, size_t n);
/* The name of campaign id in c[0..n), or NULL (unknown, or no name). */
const char *cg_campaign_name(const struct cg_campaign *c, size_t n, int64_t id);

struct cg_send {
	int64_t campaign_id;
	const char *candidate_email;
	const char *candidate_name;     /* cut to 100 characters (UTF-8 safe) */
	const char *tags;               /* one comma-separated string, or NULL */
	int send_invitation_email;
};
/* Never retried on 5xx/timeout (see outcome_unknown). */
enum cg_err cg_send(struct codingame *cg, const struct cg_send *s,
		    int64_t *test_id, char **test_url_alloc);

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
enum cg_err cg_test_get(struct codingame *cg, int64_t id, struct cg_test **out);
void cg_test_free(struct cg_test *t);
/* GET /tests?campaignId=&candidateEmail= (all pages). */
enum cg_err cg_tests_find(struct codingame *cg, int64_t campaign_id,
			  const char *email, struct cg_test ***out, size_t *n);
void cg_tests_free(struct cg_test **t, size_t n);

/* The organization's one callback URL: POST /webhook with the URL as a
 * bare JSON string (replacing any other), DELETE /webhook. */
enum cg_err cg_webhook_set(struct codingame *cg, const char *url);
enum cg_err cg_webhook_delete(struct codingame *cg);

/* POST /tests/{id}/actions/resend or cancel (204; only while waiting,
 * else CG_REJECTED with InvalidTestId). */
enum cg_err cg_test_action(struct codingame *cg, int64_t id, const char *action);

/* ---- Reply parsers: no I/O. The calls above check their replies with
 * the same code; these take the raw text (len bytes, need not be
 * NUL-terminated) as a 2xx reply, for tests and fuzzing. They return
 * CG_OK, CG_BAD_REPLY (why says what is wrong, worded as in cg->error)
 * or CG_TEMPORARY (out of memory); on error the outputs are NULL / 0 and
 * nothing is left to free. ---- */
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

#endif
