/* intake: Lever signs token + triggeredAt (not the body) with the
 * webhook's signatureToken; a token seen before is a retry or a replay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "domain/intake.h"
#include "base/jsonutil.h"
#include "base/leverid.h"
#include "base/log.h"
#include "base/num.h"
#include "base/utf8.h"

static void set(struct intake_result *res, int status, const char *reason)
{
	res->status = status;
	res->reason = reason;
}

static int signature_ok(const char *key, const char *token, int64_t triggered,
			const char *sig)
{
	char msg[256], mac[65];
	int n = snprintf(msg, sizeof msg, "%s%lld", token, (long long)triggered);

	if (n < 0 || (size_t)n >= sizeof msg ||
	    crypto_hmac_sha256_hex(key, strlen(key), msg, (size_t)n, mac) < 0)
		return 0;
	/* Lever sends lower-case hex; compare in constant time. */
	return crypto_ct_equal(mac, 64, sig, strlen(sig));
}

void intake_delivery_clear(struct lever_delivery *d)
{
	json_object_put(d->root);
	memset(d, 0, sizeof *d);
}

int intake_parse_lever(const char *body, size_t len, struct lever_delivery *out,
		       char *why, size_t whylen)
{
	struct json_object *data;
	const char *reject;
	char err[128];
	size_t n;

	memset(out, 0, sizeof *out);
	/* RFC 8259: JSON is UTF-8. json-c's own check (JSON_TOKENER_VALIDATE_UTF8)
	 * lets overlong forms and surrogates through, so the body is checked
	 * whole, before anything in it is used. */
	if (!utf8_valid((const unsigned char *)body, len)) {
		reject = "invalid UTF-8";
		goto refused_why;
	}
	out->root = ju_parse(body, len, err, sizeof err);
	if (!out->root || !json_object_is_type(out->root, json_type_object)) {
		snprintf(why, whylen, "malformed JSON (%s)", out->root ? "not an object" : err);
		reject = "malformed JSON";
		goto refused;
	}
	out->token = ju_str(out->root, "token");
	out->signature = ju_str(out->root, "signature");
	out->event = ju_str(out->root, "event");
	if (!out->token || !out->signature || !out->event ||
	    !ju_member(out->root, "triggeredAt")) {
		reject = "token, signature, event and triggeredAt are required";
		goto refused_why;
	}
	/* Signed as its decimal text: only plain digits that fit int64_t
	 * are taken (json-c clamps longer ones without a word). */
	if (ju_num(out->root, "triggeredAt", 0, INT64_MAX, &out->triggered_at) != NUM_OK) {
		reject = "triggeredAt is not a plain decimal integer in range";
		goto refused_why;
	}
	n = strlen(out->token);
	if (n == 0 || n > 128) {
		reject = "bad token";
		goto refused_why;
	}
	data = ju_obj(out->root, "data");
	out->opportunity = ju_str(data, "opportunityId");
	if (!out->opportunity)
		out->opportunity = ju_str(data, "candidateId");
	out->to_stage = ju_str(data, "toStageId");
	out->from_stage = ju_str(data, "fromStageId");
	out->candidate = ju_str(data, "candidateId");
	out->contact = ju_str(data, "contactId");
	out->data_ok = leverid_ok(out->opportunity) && leverid_ok(out->to_stage) &&
		       (!out->from_stage || !*out->from_stage || leverid_ok(out->from_stage));
	return 0;
refused_why:
	snprintf(why, whylen, "%s", reject);
refused:
	intake_delivery_clear(out);
	out->reject = reject;
	return -1;
}

/* The token of the webhook Lever sends this event from (see intake.h). */
static const char *signing_token(const struct store_account *a, const char *event)
{
	if (strcmp(event, "candidateDeleted") == 0 && a->forget_webhook_token)
		return a->forget_webhook_token;
	return a->webhook_token;
}

/* A candidateDeleted's job: the usable ids only (API-NOTES: the data is
 * undocumented; act on whichever are present). 0: none usable. */
static int forget_job(const struct lever_delivery *d, struct store_job *job)
{
	const char *opp = leverid_ok(d->opportunity) ? d->opportunity : NULL;
	const char *cand = leverid_ok(d->candidate) ? d->candidate : NULL;

	if (!opp) {
		opp = cand;
		cand = NULL;
	}
	if (cand && strcmp(cand, opp) == 0)
		cand = NULL;   /* the deprecated alias of the opportunity */
	job->opportunity = (char *)(opp ? opp : "*");
	job->candidate = (char *)cand;
	job->contact = leverid_ok(d->contact) ? (char *)d->contact : NULL;
	job->kind = "forget";
	return opp || job->contact;
}

void intake_lever(struct store *st, const struct store_account *acct,
		  const char *body, size_t len, int64_t now, int64_t max_age_ms,
		  struct intake_result *res)
{
	struct lever_delivery d;
	char why[160];
	struct store_job job;
	enum store_err se;
	const char *key;
	int use, forget;

	memset(res, 0, sizeof *res);
	memset(&job, 0, sizeof job);
	if (intake_parse_lever(body, len, &d, why, sizeof why) < 0) {
		log_limited(LOG_LEVEL_INFO, "delivery rejected: %s", why);
		set(res, 400, d.reject);
		return;
	}
	key = signing_token(acct, d.event);
	if (acct->disconnected && !key) {
		/* Disconnected by an admin: the webhook is gone from Lever; a
		 * late delivery changes nothing (and a 4xx would only be retried). */
		log_info("delivery for account %u ignored: account disconnected", acct->id);
		set(res, 200, "account disconnected, nothing recorded");
		goto out;
	}
	if (!key) {
		log_limited(LOG_LEVEL_WARN, "delivery for account %u refused: no signature token stored",
			    acct->id);
		set(res, 401, "account has no webhook signature token");
		goto out;
	}
	if (!signature_ok(key, d.token, d.triggered_at, d.signature)) {
		log_limited(LOG_LEVEL_WARN, "delivery for account %u refused: bad signature", acct->id);
		set(res, 401, "bad signature");
		goto out;
	}
	if (d.triggered_at > now + INTAKE_MAX_SKEW_MS ||
	    d.triggered_at < now - max_age_ms) {
		log_limited(LOG_LEVEL_WARN,
			    "delivery for account %u refused: triggeredAt %lld too far from now",
			    acct->id, (long long)d.triggered_at);
		set(res, 401, "stale or future triggeredAt");
		goto out;
	}
	/* Every verified token is used up, whatever the delivery says: the
	 * signature covers only token + triggeredAt, so an envelope that is
	 * not acted on (Lever's "send test", an event not used, unusable
	 * data) must not come back re-aimed with another event or data. */
	/* The job only borrows the strings: the store copies what it keeps. */
	forget = strcmp(d.event, "candidateDeleted") == 0;
	use = forget ? forget_job(&d, &job) : strcmp(d.event, "candidateStageChange") == 0 && d.data_ok;
	if (use && !forget) {
		job.opportunity = (char *)d.opportunity;
		job.to_stage = (char *)d.to_stage;
		job.from_stage = (char *)d.from_stage;
		job.kind = "stage_change";
	}
	if (use) {
		job.account = acct->id;
		job.due = STORE_DUE_NOW;
		job.triggered_at = d.triggered_at;
		job.created_at = now;
	}
	se = store_delivery_accept(st, acct->id, d.token, now, use ? &job : NULL);
	if (se == STORE_EXISTS) {
		log_info("delivery for account %u: token already seen, nothing to do", acct->id);
		set(res, 200, "duplicate delivery");
		goto out;
	}
	if (se != STORE_OK) {
		log_err("delivery for account %u not recorded: %s", acct->id,
			store_last_error(st));
		set(res, 503, "could not record the delivery, retry later");
		goto out;
	}
	if (forget) {
		/* Ids only: never a name or an email in this log. */
		if (use)
			log_info("delivery for account %u: candidateDeleted queued: opportunity %s%s%s",
				 acct->id, job.opportunity, job.contact ? ", contact " : "",
				 job.contact ? job.contact : "");
		else
			log_info("delivery for account %u: candidateDeleted without a usable id: "
				 "nothing to forget", acct->id);
		set(res, 200, use ? "queued" : "no usable id, nothing to forget");
		res->queued = use;
		goto out;
	}
	if (strcmp(d.event, "candidateStageChange") != 0) {
		/* Lever's "send test" (candidateHired, empty data) lands here. */
		log_info("delivery for account %u: event %s not used", acct->id, d.event);
		set(res, 200, "event not used");
		goto out;
	}
	if (!use) {
		set(res, 400, "data.opportunityId and data.toStageId are required");
		goto out;
	}
	/* The data is not signed: the runner checks the stage with Lever
	 * before it acts (pipeline_work). */
	log_info("delivery for account %u queued: opportunity %s to stage %s", acct->id,
		 job.opportunity, job.to_stage);
	set(res, 200, "queued");
	res->queued = 1;
out:
	intake_delivery_clear(&d);
}

/* The callback's payload is undocumented: take a test id from the usual
 * places, as a number or a string of digits, > 0 and within int64_t. */
static int64_t callback_test_id(struct json_object *root)
{
	static const char *const keys[] = { "test_id", "testId", "id" };
	struct json_object *objs[2] = { root, ju_obj(root, "test") };

	for (size_t o = 0; o < 2; o++)
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			int64_t v;

			if (ju_num(objs[o], keys[k], 1, INT64_MAX, &v) == NUM_OK ||
			    num_parse_str(ju_str(objs[o], keys[k]), 1, INT64_MAX, &v) == NUM_OK)
				return v;
		}
	return 0;
}

int64_t intake_parse_codingame(const char *body, size_t len)
{
	struct json_object *root;
	char err[128];
	int64_t id;

	if (!body || !len)
		return 0;
	root = ju_parse(body, len, err, sizeof err);
	id = callback_test_id(root);
	json_object_put(root);
	return id;
}

void intake_codingame(struct store *st, const struct store_account *acct, const char *secret,
		      const char *body, size_t len, int64_t now, struct intake_result *res)
{
	struct store_invitation *inv = NULL;
	struct store_job job;
	enum store_err se;

	memset(res, 0, sizeof *res);
	memset(&job, 0, sizeof job);
	if (!acct->callback_secret || !secret ||
	    !crypto_ct_equal(acct->callback_secret, strlen(acct->callback_secret), secret,
			     strlen(secret))) {
		log_limited(LOG_LEVEL_WARN, "CodinGame callback for account %u refused: wrong secret",
			    acct->id);
		set(res, 404, "unknown callback");
		return;
	}
	if (!utf8_valid((const unsigned char *)body, len)) {
		log_limited(LOG_LEVEL_INFO, "CodinGame callback for account %u refused: invalid UTF-8",
			    acct->id);
		set(res, 400, "invalid UTF-8");
		return;
	}
	job.account = acct->id;
	job.due = STORE_DUE_NOW;
	job.created_at = now;
	job.test_id = intake_parse_codingame(body, len);
	if (job.test_id) {
		se = store_invitation_by_test(st, job.test_id, &inv);
		if (se == STORE_NOTFOUND || (se == STORE_OK && inv->account != acct->id)) {
			log_info("CodinGame callback for account %u: test %lld not ours, ignored",
				 acct->id, (long long)job.test_id);
			set(res, 200, "test not sent by cglever, ignored");
			goto out;
		}
		if (se != STORE_OK)
			goto fail;
		/* What results_poll skips: nothing is left to do for it. */
		if (inv->result_note && strcmp(inv->result_note, "posted") == 0 &&
		    inv->tags_done && inv->stage_done) {
			log_info("CodinGame callback for account %u: test %lld already done",
				 acct->id, (long long)job.test_id);
			set(res, 200, "test already done, nothing to do");
			goto out;
		}
		job.kind = "check_test";
		job.opportunity = inv->opportunity;
	} else {
		job.kind = "poll";   /* re-reads every unfinished test */
		job.opportunity = "*";
	}
	se = store_job_add_coalesced(st, &job, now, INTAKE_CALLBACK_GAP_MS);
	if (se == STORE_EXISTS) {
		log_info("CodinGame callback for account %u: a %s job is already pending (test %lld)",
			 acct->id, job.kind, (long long)job.test_id);
		set(res, 200, "already queued");
		goto out;
	}
	if (se != STORE_OK)
		goto fail;
	log_info("CodinGame callback for account %u: %s queued (test %lld)%s", acct->id, job.kind,
		 (long long)job.test_id, job.due > now ? ", due later: paced" : "");
	set(res, 200, "queued");
	/* A job due later is the cron sweep's. */
	res->queued = job.due <= now;
	goto out;
fail:
	log_err("CodinGame callback for account %u not recorded: %s", acct->id,
		store_last_error(st));
	set(res, 503, "could not record the callback, retry later");
out:
	store_invitation_free(inv);
}
