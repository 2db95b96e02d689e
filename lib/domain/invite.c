/* invite: for each rule matching a stage change, one invitation, sent
 * once. The invitation record is committed as "sending" before the send
 * leaves, so after a crash or a lost reply the next try looks the test up
 * in CodinGame instead of sending twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/invite.h"
#include "domain/results.h"

static int has_tag(const struct lever_opportunity *o, const char *tag)
{
	for (size_t i = 0; i < o->n_tags; i++)
		if (strcmp(o->tags[i], tag) == 0)
			return 1;
	return 0;
}

/* After an unknown outcome: a test for this campaign and email tagged
 * with the opportunity id means the earlier send went through. */
static enum cg_err find_sent(struct pipeline *p, const struct store_invitation *inv,
			     int64_t *test_id, char **test_url)
{
	struct cg_test **tests = NULL;
	size_t n = 0;
	enum cg_err e;

	*test_id = 0;
	e = cg_tests_find(&p->cg, inv->campaign, inv->email, &tests, &n);
	if (e != CG_OK)
		return e;
	for (size_t i = 0; i < n && !*test_id; i++)
		for (size_t j = 0; j < tests[i]->n_tags; j++)
			if (strcmp(tests[i]->tags[j], inv->opportunity) == 0) {
				*test_id = tests[i]->id;
				*test_url = tests[i]->test_url ? strdup(tests[i]->test_url) : NULL;
				break;
			}
	cg_tests_free(tests, n);
	return CG_OK;
}

/* A 5xx or a lost reply from a send is retried here a few times, each
 * time after looking for the test, so a flaky moment costs seconds, not
 * a job backoff. */
#define SEND_TRIES 4

/* inv is in state "sending" (committed) with email and name set.
 * CodinGame is asked before every try whether the test already exists:
 * the "sending" record guards against a second send only while the store
 * keeps it, and a restored backup, or a commit undone by recovery after
 * a crash, would forget it. One lookup per send buys that. */
static enum pipe_result send_invitation(struct pipeline *p, struct store_invitation *inv,
					char *err, size_t errlen)
{
	struct cg_send s;
	int64_t test_id = 0;
	char *test_url = NULL;
	enum cg_err e;
	enum pipe_result r;

	for (int try = 1;; try++) {
		e = find_sent(p, inv, &test_id, &test_url);
		if (e != CG_OK)
			return pipeline_from_cg(p, e, err, errlen);
		if (test_id) {
			log_info("campaign %lld for opportunity %s was already sent (test %lld)",
				 (long long)inv->campaign, inv->opportunity, (long long)test_id);
			break;
		}
		memset(&s, 0, sizeof s);
		s.campaign_id = inv->campaign;
		s.candidate_email = inv->email;
		s.candidate_name = inv->name;
		s.tags = inv->opportunity;
		s.send_invitation_email = 1;
		e = cg_send(&p->cg, &s, &test_id, &test_url);
		if (e == CG_OK) {
			log_info("sent campaign %lld to opportunity %s: test %lld",
				 (long long)inv->campaign, inv->opportunity, (long long)test_id);
			break;
		}
		r = pipeline_from_cg(p, e, err, errlen);
		if (e == CG_TEMPORARY && try < SEND_TRIES) {
			log_warn("send of campaign %lld to opportunity %s, try %d: %s",
				 (long long)inv->campaign, inv->opportunity, try, err);
			pipeline_pause(try);
			continue;
		}
		if (r == PIPE_FAIL) {
			pipeline_set_str(&inv->state, "failed");
			pipeline_set_str(&inv->error, err);
			pipeline_save(p, inv, err, errlen);
			snprintf(err, errlen, "CodinGame: %.400s", p->cg.error);
		}
		log_warn("send of campaign %lld to opportunity %s: %s",
			 (long long)inv->campaign, inv->opportunity, err);
		return r;
	}
	pipeline_set_str(&inv->state, "sent");
	pipeline_set_str(&inv->error, NULL);
	free(inv->test_url);
	inv->test_url = test_url;
	inv->test_id = test_id;
	inv->sent_at = clock_wall_ms();
	r = pipeline_save(p, inv, err, errlen);
	if (r != PIPE_DONE) {
		log_err("test %lld sent but not recorded: %s", (long long)test_id, err);
		return r;
	}
	return results_sent_note(p, inv, err, errlen);
}

/* Once, like the other notes: a lost reply is looked up, not posted again. */
static enum pipe_result post_waiting_note(struct pipeline *p, struct store_invitation *inv,
					  char *err, size_t errlen)
{
	char text[512], marker[64];

	snprintf(marker, sizeof marker, "[cglever:waiting:%lld]", (long long)inv->campaign);
	snprintf(text, sizeof text,
		 "cglever: the CodinGame test (campaign %lld) is waiting because this "
		 "candidate has no email address. It will be sent automatically once an "
		 "email is added in Lever.\n%s", (long long)inv->campaign, marker);
	return pipeline_note_once(p, inv, &inv->waiting_note, text, marker, err, errlen);
}

/* Moves an invitation on as far as it can go. */
static enum pipe_result advance(struct pipeline *p, struct store_invitation *inv,
				const struct lever_opportunity *o, char *err, size_t errlen)
{
	enum pipe_result r;

	if (inv->forgotten_at) {   /* the person was deleted: never again */
		log_info("opportunity %s: its invitation was forgotten: nothing to do",
			 inv->opportunity);
		return PIPE_DONE;
	}
	if (strcmp(inv->state, "sent") == 0)
		return results_sent_note(p, inv, err, errlen);
	if (strcmp(inv->state, "failed") == 0) {
		/* The job is worked again (a retry): try again, looking first. */
		pipeline_set_str(&inv->state, "sending");
		if ((r = pipeline_save(p, inv, err, errlen)) != PIPE_DONE)
			return r;
	}
	if (strcmp(inv->state, "waiting_email") == 0) {
		if (o->n_emails == 0)
			return post_waiting_note(p, inv, err, errlen);
		pipeline_set_str(&inv->state, "sending");
		pipeline_set_str(&inv->email, o->emails[0]);
		pipeline_set_str(&inv->name, o->name);
		if ((r = pipeline_save(p, inv, err, errlen)) != PIPE_DONE)
			return r;
	}
	return send_invitation(p, inv, err, errlen);
}

static enum pipe_result handle_rule(struct pipeline *p, const struct store_rule *rule,
				    const struct lever_opportunity *o, char *err, size_t errlen)
{
	struct store_invitation *inv = NULL, fresh;
	enum store_err se, created = STORE_EXISTS;
	enum pipe_result r = PIPE_RETRY;

	se = store_invitation_get(p->st, p->acct->id, o->id, rule->campaign, &inv);
	if (se == STORE_NOTFOUND) {
		memset(&fresh, 0, sizeof fresh);
		fresh.account = p->acct->id;
		fresh.opportunity = o->id;
		fresh.campaign = rule->campaign;
		fresh.rule_id = rule->id;
		fresh.state = o->n_emails ? "sending" : "waiting_email";
		fresh.email = o->n_emails ? o->emails[0] : NULL;
		fresh.name = o->name;
		fresh.contact = o->contact;   /* finds it again on candidateDeleted */
		fresh.created_at = fresh.updated_at = clock_wall_ms();
		/* Committed before the send: this record makes it happen once. */
		created = store_invitation_create(p->st, &fresh);
		se = created == STORE_OK || created == STORE_EXISTS
			     ? store_invitation_get(p->st, p->acct->id, o->id, rule->campaign, &inv)
			     : created;
	}
	if (se != STORE_OK) {
		snprintf(err, errlen, "store: %.400s", store_last_error(p->st));
		goto out;
	}
	if (created == STORE_OK && strcmp(inv->state, "sending") == 0)
		r = send_invitation(p, inv, err, errlen);
	else
		r = advance(p, inv, o, err, errlen);
out:
	store_invitation_free(inv);
	return r;
}

/* Lever signs only token + triggeredAt, not the data: a genuine envelope
 * could come with another opportunity or stage. So Lever's own record
 * must agree before anything is sent: the opportunity is in the stage
 * now, or it has moved since the delivery (lastAdvancedAt after
 * triggeredAt; the stage it left is not told, so the delivery is taken
 * at its word then). A backfill job (rule_id) comes from Lever's own
 * list, not from a delivery. */
static int stage_confirmed(const struct lever_opportunity *o, const struct store_job *job)
{
	if (job->rule_id)
		return 1;
	if (o->stage_id && strcmp(o->stage_id, job->to_stage) == 0)
		return 1;
	return o->last_advanced_at > job->triggered_at;
}

/* Not retroactive: only rules that existed when the change happened,
 * except for an explicit backfill of one rule. */
static int rule_applies(const struct store_rule *r, const struct store_job *job)
{
	if (job->rule_id)
		return r->id == job->rule_id;
	return strcmp(r->stage, job->to_stage) == 0 && r->created_at <= job->triggered_at;
}

enum pipe_result invite_stage_change(struct pipeline *p, const struct store_job *job,
				     char *err, size_t errlen, long *retry_after_s)
{
	struct lever_opportunity *o = NULL;
	struct store_rule **rules = NULL;
	size_t n_rules = 0, matched = 0;
	enum pipe_result r = PIPE_DONE, one;
	enum lever_err le;
	char one_err[512];

	if (store_rule_list(p->st, p->acct->id, &rules, &n_rules) != STORE_OK) {
		snprintf(err, errlen, "store: %.400s", store_last_error(p->st));
		return PIPE_RETRY;
	}
	/* Only rules for this stage that existed when the change happened. */
	for (size_t i = 0; i < n_rules; i++)
		if (rule_applies(rules[i], job))
			matched++;
	if (!matched) {
		log_info("opportunity %s to stage %s: no rule for this stage", job->opportunity,
			 job->to_stage);
		goto out;
	}
	if ((r = pipeline_authorize(p, 0, err, errlen)) != PIPE_DONE)
		goto out;
	int auth_try = 0;
	do
		le = lever_opportunity_get(&p->lv, job->opportunity, &o);
	while (pipeline_reauthorize(p, le, &auth_try));
	if (p->parked) {
		snprintf(err, errlen, "account disconnected from Lever");
		r = PIPE_PARK;
		goto out;
	}
	if (le == LEVER_NOTFOUND) {
		log_info("opportunity %s no longer exists in Lever: nothing to send", job->opportunity);
		goto out;
	}
	if (le != LEVER_OK) {
		r = pipeline_from_lever(p, le, err, errlen, retry_after_s);
		goto out;
	}
	if (o->archived) {
		log_info("opportunity %s is archived: nothing to send", job->opportunity);
		goto out;
	}
	if (!stage_confirmed(o, job)) {
		log_warn("opportunity %s: the delivery says stage %s, Lever says %s and no move "
			 "since: nothing to send", job->opportunity, job->to_stage,
			 o->stage_id ? o->stage_id : "none");
		goto out;
	}
	for (size_t i = 0; i < n_rules; i++) {
		const struct store_rule *rule = rules[i];

		if (!rule_applies(rule, job) || !has_tag(o, rule->tag))
			continue;
		one_err[0] = '\0';
		one = handle_rule(p, rule, o, one_err, sizeof one_err);
		/* A retry wins over a final failure (the failed invitation is
		 * skipped next time); what was sent stays sent. */
		if (one == PIPE_PARK) {
			r = one;
			snprintf(err, errlen, "%s", one_err);
			break;
		}
		if (one == PIPE_RETRY || (one == PIPE_FAIL && r == PIPE_DONE)) {
			r = one;
			snprintf(err, errlen, "%s", one_err);
		}
	}
out:
	lever_opportunity_free(o);
	store_rules_free(rules, n_rules);
	return r;
}

int invite_recheck_waiting(struct pipeline *p)
{
	struct store_invitation **invs = NULL;
	size_t n = 0;
	int sent = 0;

	if (store_invitation_work(p->st, p->acct->id, STORE_WORK_WAITING, INT64_MAX, 0, &invs,
				  &n) != STORE_OK)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct lever_opportunity *o = NULL;
		char err[512];
		enum lever_err le;

		if (strcmp(invs[i]->state, "waiting_email") != 0)
			continue;
		if (pipeline_authorize(p, 0, err, sizeof err) != PIPE_DONE)
			break;
		int auth_try = 0;
		do
			le = lever_opportunity_get(&p->lv, invs[i]->opportunity, &o);
		while (pipeline_reauthorize(p, le, &auth_try));
		if (p->parked)
			break;
		if (le != LEVER_OK) {
			log_warn("recheck of opportunity %s: %s", invs[i]->opportunity,
				 p->lv.error);
			continue;
		}
		if (!o->archived && advance(p, invs[i], o, err, sizeof err) == PIPE_DONE &&
		    strcmp(invs[i]->state, "sent") == 0)
			sent++;
		lever_opportunity_free(o);
	}
	store_invitations_free(invs, n);
	return sent;
}
