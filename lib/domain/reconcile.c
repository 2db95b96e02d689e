/* reconcile: the candidates a webhook never brought; see reconcile.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/leverid.h"
#include "base/log.h"
#include "domain/reconcile.h"

/* The jobs this pass queued, as "stage<LF>opportunity": two rules of one
 * stage (other tags, other campaigns) share a job, since a job works
 * every rule of its stage. */
struct queued {
	char **v;
	size_t n, cap;
};

static int queued_has(const struct queued *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->v[i], key) == 0)
			return 1;
	return 0;
}

static void queued_free(struct queued *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->v[i]);
	free(q->v);
}

/* When o last entered stage: the latest stageChanges entry into it, the
 * entries' order not being documented. Without any history, its
 * lastAdvancedAt: the list is of those now in the stage, so their last
 * move was into it. 0: unknown. */
static int64_t entered_at(const struct lever_opportunity *o, const char *stage)
{
	int64_t at = 0;

	for (size_t i = 0; i < o->n_changes; i++)
		if (strcmp(o->changes[i].to_stage_id, stage) == 0 && o->changes[i].updated_at > at)
			at = o->changes[i].updated_at;
	return o->n_changes ? at : o->last_advanced_at;
}

/* The job a delivery of this stage change would have made; triggered at
 * the stage entry, so invite holds it to the same rule age. 0, or -1 with
 * err set. */
static int add_job(struct pipeline *p, struct queued *q, const char *opp, const char *stage,
		   int64_t at, char *err, size_t errlen)
{
	struct store_job job;
	char *key = NULL;

	if (asprintf(&key, "%s\n%s", stage, opp) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (queued_has(q, key)) {
		free(key);
		return 0;
	}
	if (buf_reserve((void **)&q->v, &q->cap, q->n + 1, sizeof *q->v) < 0) {
		snprintf(err, errlen, "out of memory");
		free(key);
		return -1;
	}
	memset(&job, 0, sizeof job);
	job.account = p->acct->id;
	job.kind = "stage_change";
	job.opportunity = (char *)opp;
	job.to_stage = (char *)stage;
	job.triggered_at = at;
	job.created_at = clock_wall_ms();
	job.due = STORE_DUE_NOW;
	if (store_job_add(p->st, &job) != STORE_OK) {
		snprintf(err, errlen, "store: %.400s", store_last_error(p->st));
		free(key);
		return -1;
	}
	q->v[q->n++] = key;
	log_debug("account %u: opportunity %s entered stage %s at %lld without a delivery: "
		  "job %016llx", p->acct->id, opp, stage, (long long)at,
		  (unsigned long long)job.id);
	return 0;
}

/* One rule: those updated since `since` who entered its stage while it
 * existed, are not archived and have no invitation for its campaign.
 * Returns the number of jobs queued, or -1 with err set. */
static int one_rule(struct pipeline *p, const struct store_rule *rule, int64_t since,
		    struct queued *q, char *err, size_t errlen)
{
	struct lever_opportunity **o = NULL;
	size_t n = 0, before = q->n;
	enum lever_err le;
	int auth_try = 0, rc = 0;
	long retry_after;

	do
		le = lever_opportunities_updated(&p->lv, rule->stage, rule->tag, since, &o, &n);
	while (pipeline_reauthorize(p, le, &auth_try));
	if (le != LEVER_OK) {
		pipeline_from_lever(p, le, err, errlen, &retry_after);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct store_invitation *inv = NULL;
		int64_t at = entered_at(o[i], rule->stage);
		enum store_err se;

		/* Not retroactive (as invite's rule_applies); at 0: unknown. An
		 * id a delivery could not carry (intake) is not queued either. */
		if (o[i]->archived || at <= 0 || at < rule->created_at || !leverid_ok(o[i]->id))
			continue;
		se = store_invitation_get(p->st, p->acct->id, o[i]->id, rule->campaign, &inv);
		store_invitation_free(inv);
		if (se == STORE_OK)
			continue;
		if (se != STORE_NOTFOUND) {
			snprintf(err, errlen, "store: %.400s", store_last_error(p->st));
			rc = -1;
		} else {
			rc = add_job(p, q, o[i]->id, rule->stage, at, err, errlen);
		}
	}
	lever_opportunities_free(o, n);
	return rc < 0 ? -1 : (int)(q->n - before);
}

struct marks { int64_t reconciled_at, sent_at; };

static int mark(struct store_account *cur, void *arg)
{
	const struct marks *m = arg;

	if (m->reconciled_at)
		cur->reconciled_at = m->reconciled_at;
	if (m->sent_at)
		cur->reconcile_sent_at = m->sent_at;
	return 0;
}

int reconcile_run(struct pipeline *p)
{
	struct store_rule **rules = NULL;
	struct queued q = { NULL, 0, 0 };
	struct marks m = { 0, 0 };
	size_t n_rules = 0;
	int64_t start = clock_wall_ms();
	int found = 0, failed = 0;
	char err[512];

	if (p->parked)
		return -1;
	/* reconciled_at as stored now; the runner lock makes this runner its
	 * only writer. */
	if (pipeline_reload(p) < 0 || store_rule_list(p->st, p->acct->id, &rules, &n_rules) != STORE_OK) {
		log_warn("account %u: reconciliation: %s", p->acct->id, store_last_error(p->st));
		return -1;
	}
	if (n_rules && pipeline_authorize(p, 0, err, sizeof err) != PIPE_DONE) {
		log_warn("account %u: reconciliation: %s", p->acct->id, err);
		failed = 1;
	}
	for (size_t i = 0; i < n_rules && !failed; i++) {
		int64_t since = p->acct->reconciled_at > rules[i]->created_at
					? p->acct->reconciled_at : rules[i]->created_at;
		int r = one_rule(p, rules[i], since > RECONCILE_OVERLAP_MS ? since - RECONCILE_OVERLAP_MS : 0,
				 &q, err, sizeof err);

		if (r < 0) {
			/* The next sweep lists the whole window again. */
			log_warn("account %u: reconciliation of rule %u: %s", p->acct->id,
				 rules[i]->id, err);
			failed = 1;
		} else {
			found += r;
		}
	}
	if (found) {
		log_info("account %u: reconciliation: %d candidate(s) in a rule's stage without "
			 "an invitation: queued", p->acct->id, found);
		m.sent_at = clock_wall_ms();
	}
	if (n_rules && !failed)
		m.reconciled_at = start;
	if ((m.sent_at || m.reconciled_at) &&
	    store_account_update(p->st, p->acct->id, mark, &m) != STORE_OK) {
		log_warn("account %u: reconciliation: %s", p->acct->id, store_last_error(p->st));
		failed = 1;
	}
	queued_free(&q);
	store_rules_free(rules, n_rules);
	return failed ? -1 : found;
}
