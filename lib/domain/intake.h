/* intake: a Lever webhook delivery, verified and recorded durably. No
 * outbound call happens here: the queue runner does the work later. */
#ifndef CGLEVER_INTAKE_H
#define CGLEVER_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include "store/store.h"

struct json_object;

struct intake_result {
	int status;          /* HTTP status to answer */
	const char *reason;  /* short, safe to show Lever */
	int queued;          /* 1: a job was committed; wake the runner */
};

/* How far ahead of now triggeredAt may be (clock skew); how far behind
 * is the replay window, replay_window_seconds in the config (Lever
 * retries for a while, so days, not minutes), passed as max_age_ms.
 * Tokens are kept longer than that window, so a replay within it is
 * caught by its token and one beyond it by its age. */
#define INTAKE_MAX_SKEW_MS  (5LL * 60 * 1000)

/* A delivery's envelope, parsed and checked without the store or a key
 * (intake_parse_lever). The strings point into the parsed JSON, which
 * the struct owns: intake_delivery_clear frees it. */
struct lever_delivery {
	struct json_object *root;
	const char *token;         /* 1..128 bytes */
	const char *signature;
	const char *event;
	int64_t triggered_at;
	/* data.opportunityId (or the deprecated candidateId), toStageId,
	 * fromStageId: NULL when absent or not strings. data_ok is 1 when
	 * they can make a stage-change job (ids of a safe alphabet, 1..64
	 * bytes; fromStageId optional). Only a candidateStageChange needs it. */
	const char *opportunity, *to_stage, *from_stage;
	int data_ok;
	/* candidateDeleted (data undocumented): candidateId and contactId as
	 * sent, each NULL when absent or not a string. */
	const char *candidate, *contact;
	/* After a refusal: the short reason to answer Lever with (static). */
	const char *reject;
};

/* Parses body (len bytes, need not be NUL-terminated). 0 when the
 * envelope has token, signature, event and triggeredAt; else -1 with
 * out->reject set, why the detail for the log, and nothing left to free.
 * The signature, the time and the event are judged by the caller. */
int intake_parse_lever(const char *body, size_t len, struct lever_delivery *out,
		       char *why, size_t whylen);
/* Frees what the struct holds (not the struct); accepts a zeroed one. */
void intake_delivery_clear(struct lever_delivery *d);

/* The test id a CodinGame callback body names (test_id, testId or id, at
 * the top or in "test"; a number or a string of digits), or 0: none, or
 * not JSON. The payload is undocumented, so nothing in it is required. */
int64_t intake_parse_codingame(const char *body, size_t len);

/* Verifies and records one delivery for account (already looked up).
 * Invalid UTF-8 anywhere in the body: 400. The signature is checked with
 * the token of the webhook registered for the event: candidateDeleted
 * with forget_webhook_token, every other event with webhook_token; an
 * account without forget_webhook_token (its webhook made by hand in
 * Lever, one token for every event) has its candidateDeleted checked
 * with webhook_token. Once the signature and the time are good, the
 * token is used up whatever the event or the data (a stage change with
 * unusable data is then answered 400). A candidateDeleted becomes a
 * "forget" job carrying whichever of opportunityId, candidateId and
 * contactId are ids of the safe alphabet; none: 200 and nothing. */
void intake_lever(struct store *st, const struct store_account *acct,
		  const char *body, size_t len, int64_t now, int64_t max_age_ms,
		  struct intake_result *res);

/* A job a CodinGame callback asks for (a check of one test, or a poll of
 * all the account's unfinished tests) comes at most once a minute for
 * that test or that account: the cron sweep's own rate. */
#define INTAKE_CALLBACK_GAP_MS (60LL * 1000)

/* A CodinGame callback for acct: the secret from the URL must match
 * (constant time; 404 otherwise), and the body must be UTF-8 (400). The
 * body is untrusted and only says "look again": a test id found in it
 * asks for a check of that test when this account sent it and it is not
 * done (otherwise it is ignored); no id asks for a poll of all the
 * account's unfinished tests. Such a job is added only when none like it
 * is pending, and one asked for sooner than INTAKE_CALLBACK_GAP_MS after
 * the last is due that long after it (the cron sweep works it): a flood
 * of callbacks adds one job. */
void intake_codingame(struct store *st, const struct store_account *acct, const char *secret,
		      const char *body, size_t len, int64_t now, struct intake_result *res);

#endif
