/* codingame: typed client for the CodinGame assessment API (API-NOTES.md).
 * The types of the replies and their checks are in codingame_parse.h,
 * which comes with this header. */
#ifndef CGLEVER_CODINGAME_H
#define CGLEVER_CODINGAME_H

#include <stddef.h>
#include <stdint.h>
#include "clients/codingame_parse.h"

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

enum cg_err cg_campaigns_list(struct codingame *cg, struct cg_campaign **out, size_t *n);

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

enum cg_err cg_test_get(struct codingame *cg, int64_t id, struct cg_test **out);
/* GET /tests?campaignId=&candidateEmail= (all pages). */
enum cg_err cg_tests_find(struct codingame *cg, int64_t campaign_id,
			  const char *email, struct cg_test ***out, size_t *n);

/* The organization's one callback URL: POST /webhook with the URL as a
 * bare JSON string (replacing any other), DELETE /webhook. */
enum cg_err cg_webhook_set(struct codingame *cg, const char *url);
enum cg_err cg_webhook_delete(struct codingame *cg);

/* POST /tests/{id}/actions/resend or cancel (204; only while waiting,
 * else CG_REJECTED with InvalidTestId). */
enum cg_err cg_test_action(struct codingame *cg, int64_t id, const char *action);

/* GET /tests/{id}/report?report_type=full: the PDF (*pdf_alloc, *len
 * bytes; caller frees), at most CG_REPORT_MAX bytes (Lever takes files
 * up to 30 MB); a reply that is not a PDF is CG_BAD_REPLY. CodinGame may
 * refuse it (CG_REJECTED) until the test is finished. */
#define CG_REPORT_MAX ((size_t)30 * 1000 * 1000)
enum cg_err cg_report_get(struct codingame *cg, int64_t id, char **pdf_alloc, size_t *len);
/* DELETE /tests/{id} (204; CG_NOTFOUND once deleted). */
enum cg_err cg_test_delete(struct codingame *cg, int64_t id);
/* GET /webhook: the organization's callback URL in *url_alloc, NULL
 * when none is registered (a 404). It may be another integration's. */
enum cg_err cg_webhook_get(struct codingame *cg, char **url_alloc);

#endif
