/* ctl: the operator's commands (see ctl.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/ctl.h"
#include "domain/forget.h"
#include "domain/health.h"
#include "domain/queue.h"

/* The secret is the first line of the file; a trailing newline is ignored. */
char *ctl_read_key_file(const char *path, const char *what)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		fprintf(stderr, "cglever-ctl: %s %s: %s\n", what, path, strerror(errno));
		return NULL;
	}
	if (!fgets(buf, sizeof buf, f))
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0 || n >= sizeof buf - 1 || strspn(buf, " \t") == n) {
		fprintf(stderr, "cglever-ctl: %s %s: the first line must hold the key\n", what, path);
		memset(buf, 0, sizeof buf);
		return NULL;
	}
	char *s = strdup(buf);

	memset(buf, 0, sizeof buf);
	return s;
}

int ctl_account_add(const struct conf *c, struct store *st, const struct account_new *in)
{
	char err[1024];
	uint32_t id;

	if (account_create(c, st, in, &id, err, sizeof err) < 0) {
		fprintf(stderr, "cglever-ctl: account add: %s\n", err);
		return 1;
	}
	printf("%u\n", id);
	if (!in->lever_api_key && !in->webhook_token)
		fprintf(stderr, "cglever-ctl: note: account %u has no Lever key and no webhook "
			"token yet; deliveries will be refused until it has one\n", id);
	return 0;
}

int ctl_account_list(struct store *st)
{
	struct store_account **a = NULL;
	size_t n = 0;

	if (store_account_list(st, &a, &n) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(st));
		return 1;
	}
	printf("%-6s %-24s %-8s %-10s %-11s %s\n", "ID", "NAME", "LEVER", "CODINGAME", "WEBHOOK",
	       "STATUS");
	for (size_t i = 0; i < n; i++)
		printf("%-6u %-24s %-8s %-10s %-11s %s%s%s\n", a[i]->id, a[i]->name,
		       a[i]->lever_api_key ? "api-key" : a[i]->refresh_token ? "oauth" : "none",
		       a[i]->codingame_api_key ? "api-key" : "none",
		       a[i]->webhook_id ? "registered" : a[i]->webhook_token ? "by-hand" : "none",
		       a[i]->disconnected ? "disconnected" : "connected",
		       a[i]->disconnected_reason ? ": " : "",
		       a[i]->disconnected_reason ? a[i]->disconnected_reason : "");
	store_accounts_free(a, n);
	return 0;
}

int ctl_rule_add(struct store *st, struct store_rule *r)
{
	struct store_account *a = NULL;
	enum store_err se = store_account_get(st, r->account, &a);

	store_account_free(a);
	if (se == STORE_NOTFOUND) {
		fprintf(stderr, "cglever-ctl: rule add: no account %u\n", r->account);
		return 1;
	}
	r->created_at = clock_wall_ms();
	if (se != STORE_OK || store_rule_add(st, r) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: rule add: %s\n", store_last_error(st));
		return 1;
	}
	printf("%u\n", r->id);
	return 0;
}

static void fmt_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || ms == INT64_MAX) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int ctl_rule_list(struct store *st)
{
	struct store_rule **r = NULL;
	size_t n = 0;
	char when[32];

	if (store_rule_list(st, 0, &r, &n) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(st));
		return 1;
	}
	printf("%-6s %-8s %-20s %-38s %-10s %s\n", "ID", "ACCOUNT", "TAG", "STAGE", "CAMPAIGN",
	       "CREATED");
	for (size_t i = 0; i < n; i++) {
		fmt_time(r[i]->created_at, when, sizeof when);
		printf("%-6u %-8u %-20s %-38s %-10" PRId64 " %s\n", r[i]->id, r[i]->account,
		       r[i]->tag, r[i]->stage, r[i]->campaign, when);
	}
	store_rules_free(r, n);
	return 0;
}

int ctl_rule_delete(struct store *st, uint32_t id)
{
	enum store_err se = store_rule_delete(st, id);

	if (se == STORE_NOTFOUND) {
		fprintf(stderr, "cglever-ctl: rule delete: no rule %u\n", id);
		return 1;
	}
	if (se != STORE_OK) {
		fprintf(stderr, "cglever-ctl: rule delete: %s\n", store_last_error(st));
		return 1;
	}
	return 0;
}

int ctl_invitations(struct store *st, uint32_t account)
{
	struct store_invitation **v = NULL;
	size_t n = 0;
	char when[32];

	if (store_invitation_list(st, account, &v, &n) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(st));
		return 1;
	}
	printf("%-38s %-10s %-14s %-10s %-32s %s\n", "OPPORTUNITY", "CAMPAIGN", "STATE", "TEST",
	       "EMAIL", "UPDATED");
	for (size_t i = 0; i < n; i++) {
		fmt_time(v[i]->updated_at, when, sizeof when);
		printf("%-38s %-10" PRId64 " %-14s %-10" PRId64 " %-32s %s\n", v[i]->opportunity,
		       v[i]->campaign, v[i]->state, v[i]->test_id,
		       v[i]->email ? v[i]->email : "-", when);
	}
	store_invitations_free(v, n);
	return 0;
}

int ctl_jobs(struct store *st, uint32_t account)
{
	struct store_job **j = NULL;
	size_t n = 0;
	char when[32];

	if (store_job_list(st, account, &j, &n) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(st));
		return 1;
	}
	printf("%-16s %-8s %-38s %-8s %-6s %-20s %s\n", "JOB", "ACCOUNT", "OPPORTUNITY", "STATE",
	       "TRIES", "DUE", "LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		if (j[i]->due == STORE_DUE_NOW)
			snprintf(when, sizeof when, "now");
		else
			fmt_time(j[i]->due, when, sizeof when);
		printf("%016" PRIx64 " %-8u %-38s %-8s %-6d %-20s %s\n", j[i]->id, j[i]->account,
		       j[i]->opportunity, j[i]->failed ? "failed" : "pending", j[i]->attempts,
		       when, j[i]->last_error ? j[i]->last_error : "");
	}
	store_jobs_free(j, n);
	return 0;
}

int ctl_callback(const struct conf *c, struct store *st, uint32_t account, int on)
{
	char err[600];
	int rc = account_callback(c, st, account, on, err, sizeof err);

	if (rc > 0)   /* another integration's callback: the admin page asks first */
		fprintf(stderr, "cglever-ctl: callback: CodinGame's callback is %s: not replaced "
			"(the account page can replace it)\n", err);
	else if (rc < 0)
		fprintf(stderr, "cglever-ctl: callback: %s\n", err);
	return rc ? 1 : 0;
}

int ctl_backup(struct store *st, const char *dir)
{
	if (store_backup(st, dir) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(st));
		return 1;
	}
	printf("backup written to %s; restore by copying its files into an empty db_home\n",
	       dir);
	return 0;
}

int ctl_sweep(const struct conf *c, struct store *st, uint32_t only)
{
	struct store_account **a = NULL;
	struct queue_stats s;
	size_t n = 0;
	int rc = 0;
	/* A runner does not live for ever: after runner_max_seconds it stops
	 * between jobs (and between accounts here), closes the store cleanly
	 * and exits 0; the next wake or sweep carries on. A store operation
	 * that hangs is the store's stall watchdog's business. */
	int64_t deadline = clock_mono_us() + (int64_t)c->runner_max_seconds * 1000000;

	if (only) {
		/* The runner the webhook starts: this account's due jobs only. */
		return queue_run(c, st, only, 0, deadline, &s) < 0 ? 1 : 0;
	}
	if (store_account_list(st, &a, &n) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(st));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (clock_mono_us() >= deadline) {
			log_info("sweep: runner_max_seconds (%d s) reached: %zu account(s) "
				 "left for the next sweep", c->runner_max_seconds, n - i);
			break;
		}
		if (queue_run(c, st, a[i]->id, 1, deadline, &s) < 0)
			rc = 1;
		else if (s.done || s.retried || s.failed)
			log_info("sweep: account %u: %d done, %d to retry, %d failed", a[i]->id,
				 s.done, s.retried, s.failed);
	}
	store_accounts_free(a, n);
	if (forget_retention(c, st, clock_wall_ms()) < 0)
		rc = 1;
	/* Tokens outlive the replay window by a day (see intake.h). */
	if (store_delivery_prune(st, clock_wall_ms() -
				 (c->replay_window_seconds + 86400LL) * 1000) != STORE_OK ||
	    store_oauth_state_prune(st, clock_wall_ms()) != STORE_OK ||
	    store_checkpoint(st) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: sweep: %s\n", store_last_error(st));
		rc = 1;
	}
	health_sweep_done(c);   /* the account page warns when cron stops */
	return rc;
}

/* The account's runner lock, waited for: a runner lives at most
 * runner_max_seconds, and no runner may write an invitation back over
 * the forgetting. -1 when it cannot be had. */
static int lock_account(const struct conf *c, uint32_t account)
{
	int64_t until = clock_mono_us() + ((int64_t)c->runner_max_seconds + 5) * 1000000;
	int fd, said = 0;

	while ((fd = queue_lock(c, account)) == -1 && clock_mono_us() < until) {
		if (!said++)
			fprintf(stderr, "cglever-ctl: forget: waiting for account %u's queue "
				"runner to finish\n", account);
		clock_sleep_ms(100);
	}
	return fd;
}

int ctl_forget(const struct conf *c, struct store *st, const char *email)
{
	struct store_account **a = NULL;
	size_t n = 0;
	int rc = 0, total = 0;

	if (store_account_list(st, &a, &n) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(st));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct forget_tally t;
		struct pipeline p;
		char err[600] = "";
		int lock = lock_account(c, a[i]->id);

		if (lock < 0 || pipeline_open(&p, c, st, a[i]->id) < 0) {
			fprintf(stderr, "cglever-ctl: forget: account %u: %s\n", a[i]->id,
				lock < 0 ? "its queue runner is busy; try again" : store_last_error(st));
			queue_unlock(lock);
			rc = 1;
			continue;
		}
		if (forget_email(&p, email, &t, err, sizeof err) != PIPE_DONE) {
			fprintf(stderr, "cglever-ctl: forget: account %u: %s (run it again)\n",
				a[i]->id, err);
			rc = 1;
		}
		pipeline_close(&p);
		queue_unlock(lock);
		if (t.forgotten)
			printf("account %u: %d invitation(s) forgotten, %d test(s) cancelled, "
			       "%d deleted, %d left as they were\n", a[i]->id, t.forgotten,
			       t.cancelled, t.deleted, t.left);
		total += t.forgotten;
		/* Deliveries that found the lock taken started no runner. */
		if (store_job_next_due(st, a[i]->id) <= clock_wall_ms())
			queue_wake(c, a[i]->id);
	}
	store_accounts_free(a, n);
	if (!total && !rc)
		printf("no invitation holds that email: nothing to forget\n");
	return rc;
}
