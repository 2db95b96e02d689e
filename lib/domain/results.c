/* results: notes carry a marker "[cglever:KIND:TEST]" so that, after a
 * request whose outcome is unknown, the note can be found instead of
 * posted twice (pipeline_note_once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "domain/results.h"

int64_t results_poll_delay_ms(int polls)
{
	int64_t ms = 60000;

	for (int i = 0; i < polls && ms < 6 * 3600000LL; i++)
		ms *= 2;
	return ms > 6 * 3600000LL ? 6 * 3600000LL : ms;
}

static void campaign_label(struct pipeline *p, int64_t campaign, char *buf, size_t len)
{
	const char *name = pipeline_campaign_name(p, campaign);

	if (name)
		snprintf(buf, len, "%.200s (campaign %lld)", name, (long long)campaign);
	else
		snprintf(buf, len, "campaign %lld", (long long)campaign);
}

enum pipe_result results_sent_note(struct pipeline *p, struct store_invitation *inv,
				   char *err, size_t errlen)
{
	char label[300], marker[64], text[800];

	if (inv->sent_note && strcmp(inv->sent_note, "posted") == 0)
		return PIPE_DONE;
	campaign_label(p, inv->campaign, label, sizeof label);
	snprintf(marker, sizeof marker, "[cglever:sent:%lld]", (long long)inv->test_id);
	/* Never the candidate's private test link: only CodinGame's mail has it. */
	snprintf(text, sizeof text, "CodinGame test sent: %s, to %.200s. The result will be "
		 "posted here when the candidate finishes.\n%s", label,
		 inv->email ? inv->email : "the candidate", marker);
	return pipeline_note_once(p, inv, &inv->sent_note, text, marker, err, errlen);
}

/* CodinGame's durations: milliseconds when large, else seconds (the
 * unit is undocumented). Written as minutes. */
static long minutes(int64_t d)
{
	double s = d > 100000 ? (double)d / 1000 : (double)d;

	return (long)(s / 60 + 0.5);
}

static char *result_text_alloc(struct pipeline *p, const struct store_invitation *inv,
			       const struct cg_test *t, const char *marker)
{
	char label[300], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	campaign_label(p, inv->campaign, label, sizeof label);
	if (strcmp(t->status, "completed") != 0) {
		fprintf(f, "CodinGame test %s: %s. There is no result to report.\n%s",
			t->status, label, marker);
		goto out;
	}
	fprintf(f, "CodinGame result: %s\n", label);
	fprintf(f, "Score: %.0f%%", t->score);
	if (t->total_points > 0)
		fprintf(f, " (%.0f of %.0f points)", t->points, t->total_points);
	fputc('\n', f);
	if (t->total_duration > 0)
		fprintf(f, "Time used: %ld min of %ld min\n", minutes(t->duration),
			minutes(t->total_duration));
	for (size_t i = 0; i < t->n_technologies; i++) {
		const struct cg_technology *tech = &t->technologies[i];

		fprintf(f, "%s: %.0f%%\n", tech->name, tech->score);
		for (size_t j = 0; j < tech->n_skills; j++)
			fprintf(f, "  - %s: %.0f%%\n", tech->skills[j].name, tech->skills[j].score);
	}
	if (t->url)
		fprintf(f, "Detailed report: %s\n", t->url);
	fputs(marker, f);
out:
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static const struct store_rule *find_rule(struct store_rule **rules, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i]->id == id)
			return rules[i];
	return NULL;
}

/* Pass/fail tag and move on pass, each once. */
static enum pipe_result thresholds(struct pipeline *p, struct store_invitation *inv,
				   char *err, size_t errlen)
{
	struct store_rule **rules = NULL;
	const struct store_rule *rule;
	enum pipe_result r = PIPE_DONE;
	enum lever_err e;
	size_t n = 0;
	long ra = -1;

	if (inv->tags_done && inv->stage_done)
		return PIPE_DONE;
	if (store_rule_list(p->st, p->acct->id, &rules, &n) != STORE_OK) {
		snprintf(err, errlen, "store: %.300s", store_last_error(p->st));
		return PIPE_RETRY;
	}
	rule = find_rule(rules, n, inv->rule_id);
	if (!rule || rule->pass_score < 0) {
		inv->tags_done = inv->stage_done = 1;   /* nothing asked */
		r = pipeline_save(p, inv, err, errlen);
		goto out;
	}
	if (!inv->tags_done) {
		int fail = rule->fail_score >= 0 ? rule->fail_score : rule->pass_score;
		const char *tag = inv->score >= rule->pass_score ? rule->pass_tag
				  : inv->score < fail ? rule->fail_tag : rule->review_tag;

		if (!tag)
			tag = inv->score >= rule->pass_score ? "codingame-pass"
			      : inv->score < fail ? "codingame-fail" : "codingame-review";
		/* Adding a tag twice is harmless: no "posting" state needed. */
		int auth_try = 0;
		do
			e = lever_tags_add(&p->lv, inv->opportunity, tag);
		while (pipeline_reauthorize(p, e, &auth_try));
		if ((r = pipeline_from_lever(p, e, err, errlen, &ra)) != PIPE_DONE)
			goto out;
		log_info("opportunity %s: tag %s for a score of %.0f%%", inv->opportunity, tag,
			 inv->score);
		inv->tags_done = 1;
		if ((r = pipeline_save(p, inv, err, errlen)) != PIPE_DONE)
			goto out;
	}
	if (!inv->stage_done) {
		if (rule->pass_stage && inv->score >= rule->pass_score) {
			int auth_try = 0;
			do
				e = lever_stage_set(&p->lv, inv->opportunity, rule->pass_stage);
			while (pipeline_reauthorize(p, e, &auth_try));
			if ((r = pipeline_from_lever(p, e, err, errlen, &ra)) != PIPE_DONE)
				goto out;
			log_info("opportunity %s moved to stage %s on pass", inv->opportunity,
				 rule->pass_stage);
		}
		inv->stage_done = 1;
		r = pipeline_save(p, inv, err, errlen);
	}
out:
	store_rules_free(rules, n);
	return r;
}

/* inv->tech_scores from the report: one "name<TAB>score<LF>" line per
 * technology, control characters in names made spaces. 0, or -1 when out
 * of memory. */
static int tech_scores(struct store_invitation *inv, const struct cg_test *t)
{
	struct buf b = { 0 };

	for (size_t i = 0; i < t->n_technologies; i++) {
		char num[32];
		size_t start = b.len;

		if (buf_append(&b, t->technologies[i].name, strlen(t->technologies[i].name)) < 0)
			goto oom;
		for (size_t j = start; j < b.len; j++)
			if ((unsigned char)b.data[j] < 0x20 || b.data[j] == 0x7f)
				b.data[j] = ' ';
		snprintf(num, sizeof num, "\t%.2f\n", t->technologies[i].score);
		if (buf_append(&b, num, strlen(num)) < 0)
			goto oom;
	}
	free(inv->tech_scores);
	inv->tech_scores = b.data;   /* NULL when there is none */
	return 0;
oom:
	free(b.data);
	return -1;
}

/* --- the test's whole life: outcome tag, reminder, report (issue 16) --- */

#define DAY_MS 86400000LL

static int is(const char *s, const char *v)
{
	return s && strcmp(s, v) == 0;
}

/* codingame-expired / codingame-cancelled, once. Adding a tag twice is
 * harmless, so "posting" only says a request may have left. */
static enum pipe_result outcome_tag(struct pipeline *p, struct store_invitation *inv,
				    char *err, size_t errlen)
{
	const char *tag = is(inv->result_status, "expired") ? "codingame-expired"
							     : "codingame-cancelled";
	enum pipe_result r;
	enum lever_err e;
	int auth_try = 0;
	long ra = -1;

	if (is(inv->outcome_tag, "posted"))
		return PIPE_DONE;
	pipeline_set_str(&inv->outcome_tag, "posting");
	if ((r = pipeline_save(p, inv, err, errlen)) != PIPE_DONE)
		return r;
	do
		e = lever_tags_add(&p->lv, inv->opportunity, tag);
	while (pipeline_reauthorize(p, e, &auth_try));
	if ((r = pipeline_from_lever(p, e, err, errlen, &ra)) != PIPE_DONE)
		return r;
	log_info("opportunity %s: tag %s", inv->opportunity, tag);
	pipeline_set_str(&inv->outcome_tag, "posted");
	return pipeline_save(p, inv, err, errlen);
}

/* The file's name on the opportunity: one per test, so that after a lost
 * reply the opportunity's files say whether it arrived. */
static void report_name(const struct store_invitation *inv, char *buf, size_t len)
{
	snprintf(buf, len, "codingame-report-%lld.pdf", (long long)inv->test_id);
}

/* CodinGame's PDF report attached to the opportunity, once:
 * report_file NULL -> "posting" (saved before the upload leaves) ->
 * "posted". Found "posting" (an upload whose outcome is unknown), the
 * opportunity's files are looked through first. */
static enum pipe_result attach_report(struct pipeline *p, struct store_invitation *inv,
				      char *err, size_t errlen)
{
	char name[64], *pdf = NULL, *user = NULL;
	size_t len = 0;
	enum pipe_result r;
	enum lever_err e;
	enum cg_err ce;
	int auth_try = 0, found = 0;
	long ra = -1;

	if (is(inv->report_file, "posted"))
		return PIPE_DONE;
	report_name(inv, name, sizeof name);
	if ((r = pipeline_authorize(p, 0, err, errlen)) != PIPE_DONE)
		return r;
	if (is(inv->report_file, "posting")) {
		do
			e = lever_file_find(&p->lv, inv->opportunity, name, &found);
		while (pipeline_reauthorize(p, e, &auth_try));
		if ((r = pipeline_from_lever(p, e, err, errlen, &ra)) != PIPE_DONE)
			return r;
		if (found) {
			log_info("report %s for opportunity %s was already attached", name,
				 inv->opportunity);
			goto done;
		}
	}
	if ((ce = cg_report_get(&p->cg, inv->test_id, &pdf, &len)) != CG_OK)
		return pipeline_from_cg(p, ce, err, errlen);
	auth_try = 0;
	do
		e = lever_admin_user(&p->lv, &user);
	while (pipeline_reauthorize(p, e, &auth_try));
	if ((r = pipeline_from_lever(p, e, err, errlen, &ra)) != PIPE_DONE)
		goto out;
	pipeline_set_str(&inv->report_file, "posting");
	if ((r = pipeline_save(p, inv, err, errlen)) != PIPE_DONE)
		goto out;
	auth_try = 0;
	do
		e = lever_file_upload(&p->lv, inv->opportunity, user, name, "application/pdf", pdf,
				      len);
	while (pipeline_reauthorize(p, e, &auth_try));
	if ((r = pipeline_from_lever(p, e, err, errlen, &ra)) != PIPE_DONE)
		goto out;
	log_info("report %s (%zu bytes) attached to opportunity %s", name, len, inv->opportunity);
done:
	pipeline_set_str(&inv->report_file, "posted");
	r = pipeline_save(p, inv, err, errlen);
out:
	free(user);
	free(pdf);
	return r;
}

/* What follows the result note, each once: the outcome tag of a
 * cancelled or expired test, the report when the account asks for it,
 * the rule's thresholds on a completed test. Then the invitation leaves
 * the poll list (tags_done and stage_done). */
static enum pipe_result after_result(struct pipeline *p, struct store_invitation *inv,
				     char *err, size_t errlen)
{
	const char *st = inv->result_status;
	enum pipe_result r;

	if ((is(st, "cancelled") || is(st, "expired")) &&
	    (r = outcome_tag(p, inv, err, errlen)) != PIPE_DONE)
		return r;
	/* CodinGame has a report once a test is completed or aborted. */
	if ((is(st, "completed") || is(st, "aborted")) && p->acct->attach_report &&
	    (r = attach_report(p, inv, err, errlen)) != PIPE_DONE)
		return r;
	if (is(st, "completed"))
		return thresholds(p, inv, err, errlen);
	if (inv->tags_done && inv->stage_done)
		return PIPE_DONE;
	inv->tags_done = inv->stage_done = 1;   /* no thresholds without a score */
	return pipeline_save(p, inv, err, errlen);
}

/* The rule's reminder for a test still waiting: CodinGame resends its
 * invitation once, reminder_days after CodinGame sent it (its
 * send_time), then a note says so. inv->reminder: NULL -> "sending"
 * (saved before the request leaves) -> "sent" -> the note's "posting" ->
 * "posted"; or "unknown" (the resend may or may not have happened) and
 * "skipped" (CodinGame refused: the test no longer waits). *due_at: when
 * a reminder not sent yet is due (0: none to come). */
static enum pipe_result reminder(struct pipeline *p, struct store_invitation *inv,
				 const struct cg_test *t, int64_t now, int64_t *due_at,
				 char *err, size_t errlen)
{
	struct store_rule *rule = NULL;
	char marker[64], text[300];
	enum pipe_result r;
	enum cg_err e;

	*due_at = 0;
	if (is(inv->reminder, "sending")) {
		/* A runner stopped while the resend was in flight. Never ask
		 * again after an unknown outcome: a second reminder mail is
		 * worse than none. */
		pipeline_set_str(&inv->reminder, "unknown");
		return pipeline_save(p, inv, err, errlen);
	}
	if (!inv->reminder) {
		if (!is(t->status, "waiting") || t->send_time <= 0)
			return PIPE_DONE;   /* never for a started test */
		if (store_rule_get(p->st, inv->rule_id, &rule) != STORE_OK || rule->reminder_days <= 0) {
			store_rule_free(rule);
			return PIPE_DONE;   /* no reminder asked (or the rule is gone) */
		}
		*due_at = t->send_time + rule->reminder_days * DAY_MS;
		store_rule_free(rule);
		if (now < *due_at)
			return PIPE_DONE;
		*due_at = 0;
		pipeline_set_str(&inv->reminder, "sending");
		if ((r = pipeline_save(p, inv, err, errlen)) != PIPE_DONE)
			return r;
		e = cg_test_action(&p->cg, inv->test_id, "resend");
		if (e != CG_OK) {
			r = pipeline_from_cg(p, e, err, errlen);
			if (e == CG_REJECTED || e == CG_NOTFOUND)
				pipeline_set_str(&inv->reminder, "skipped");
			else if (e == CG_TEMPORARY && !p->cg.outcome_unknown)
				pipeline_set_str(&inv->reminder, NULL);   /* surely not sent: later */
			else
				pipeline_set_str(&inv->reminder, "unknown");   /* as above: never twice */
			log_warn("test %lld: reminder: %s", (long long)inv->test_id, err);
			if (pipeline_save(p, inv, err, errlen) != PIPE_DONE)
				return PIPE_RETRY;
			return inv->reminder ? PIPE_DONE : r;
		}
		log_info("test %lld: CodinGame resent the invitation (reminder)",
			 (long long)inv->test_id);
		pipeline_set_str(&inv->reminder, "sent");
		if ((r = pipeline_save(p, inv, err, errlen)) != PIPE_DONE)
			return r;
	}
	if (!is(inv->reminder, "sent") && !is(inv->reminder, "posting"))
		return PIPE_DONE;
	snprintf(marker, sizeof marker, "[cglever:reminder:%lld]", (long long)inv->test_id);
	snprintf(text, sizeof text, "CodinGame test not started yet: CodinGame sent the "
		 "candidate a reminder of the invitation.\n%s", marker);
	return pipeline_note_once(p, inv, &inv->reminder, text, marker, err, errlen);
}

static int finished(const char *status)
{
	return strcmp(status, "completed") == 0 || strcmp(status, "aborted") == 0 ||
	       strcmp(status, "cancelled") == 0 || strcmp(status, "expired") == 0;
}

enum pipe_result results_check(struct pipeline *p, struct store_invitation *inv,
			       char *err, size_t errlen)
{
	struct cg_test *t = NULL;
	char marker[64], *text = NULL;
	int64_t now, due_at = 0;
	enum pipe_result r;
	enum cg_err e;

	if (strcmp(inv->state, "sent") != 0 || !inv->test_id)
		return PIPE_DONE;
	if ((r = results_sent_note(p, inv, err, errlen)) != PIPE_DONE)
		return r;
	if (inv->result_note && strcmp(inv->result_note, "posted") == 0)
		return after_result(p, inv, err, errlen);
	e = cg_test_get(&p->cg, inv->test_id, &t);
	if (e == CG_NOTFOUND) {
		log_info("test %lld no longer exists in CodinGame", (long long)inv->test_id);
		pipeline_set_str(&inv->result_status, "deleted");
		pipeline_set_str(&inv->result_note, "posted");   /* nothing to say */
		return after_result(p, inv, err, errlen);
	}
	if (e != CG_OK)
		return pipeline_from_cg(p, e, err, errlen);
	now = clock_wall_ms();
	if ((r = reminder(p, inv, t, now, &due_at, err, errlen)) != PIPE_DONE)
		goto out;
	if (!t->status || !finished(t->status) ||
	    (strcmp(t->status, "completed") == 0 && !t->has_report)) {
		inv->next_poll_at = now + results_poll_delay_ms(inv->polls);
		/* The poll delay grows to hours: a reminder due sooner is
		 * looked at on time. */
		if (due_at && due_at < inv->next_poll_at)
			inv->next_poll_at = due_at;
		inv->started_at = t->start_time;   /* the Campaigns funnel's "started" */
		inv->polls++;
		r = pipeline_save(p, inv, err, errlen);
		goto out;
	}
	pipeline_set_str(&inv->result_status, t->status);
	inv->score = t->has_report ? t->score : 0;
	inv->started_at = t->start_time;
	inv->finished_at = t->end_time;
	if (tech_scores(inv, t) < 0) {
		snprintf(err, errlen, "out of memory");
		r = PIPE_RETRY;
		goto out;
	}
	snprintf(marker, sizeof marker, "[cglever:result:%lld]", (long long)inv->test_id);
	if (!(text = result_text_alloc(p, inv, t, marker))) {
		snprintf(err, errlen, "out of memory");
		r = PIPE_RETRY;
		goto out;
	}
	if ((r = pipeline_note_once(p, inv, &inv->result_note, text, marker, err, errlen)) !=
	    PIPE_DONE)
		goto out;
	log_info("result of test %lld (%s) posted on opportunity %s", (long long)inv->test_id,
		 t->status, inv->opportunity);
	r = after_result(p, inv, err, errlen);
out:
	free(text);
	cg_test_free(t);
	return r;
}

enum pipe_result results_check_test(struct pipeline *p, int64_t test_id, char *err,
				    size_t errlen)
{
	struct store_invitation *inv = NULL;
	enum store_err se = store_invitation_by_test(p->st, test_id, &inv);
	enum pipe_result r;

	if (se == STORE_NOTFOUND || (se == STORE_OK && inv->account != p->acct->id)) {
		log_info("callback for test %lld: not sent by this account, ignored",
			 (long long)test_id);
		store_invitation_free(inv);
		return PIPE_DONE;
	}
	if (se != STORE_OK) {
		snprintf(err, errlen, "store: %.300s", store_last_error(p->st));
		return PIPE_RETRY;
	}
	r = results_check(p, inv, err, errlen);
	store_invitation_free(inv);
	return r;
}

enum pipe_result results_poll(struct pipeline *p, int force, char *err, size_t errlen)
{
	struct store_invitation **invs = NULL;
	enum pipe_result worst = PIPE_DONE;
	int64_t now = clock_wall_ms();
	size_t n = 0;

	/* Only the tests due (all unfinished ones when forced), by due time. */
	if (store_invitation_work(p->st, p->acct->id, STORE_WORK_POLL, force ? INT64_MAX : now, 0,
				  &invs, &n) != STORE_OK) {
		snprintf(err, errlen, "store: %.300s", store_last_error(p->st));
		return PIPE_RETRY;
	}
	for (size_t i = 0; i < n && !p->parked; i++) {
		struct store_invitation *inv = invs[i];
		char one[512];
		enum pipe_result r;

		if (strcmp(inv->state, "sent") != 0 ||
		    (inv->result_note && strcmp(inv->result_note, "posted") == 0 &&
		     inv->tags_done && inv->stage_done) ||
		    (!force && !inv->result_status && inv->next_poll_at > now))
			continue;
		one[0] = '\0';
		r = results_check(p, inv, one, sizeof one);
		if (r != PIPE_DONE) {
			log_warn("test %lld: %s", (long long)inv->test_id, one);
			if (worst == PIPE_DONE || r == PIPE_PARK) {
				worst = r;
				snprintf(err, errlen, "%s", one);
			}
		}
	}
	store_invitations_free(invs, n);
	return worst;
}
