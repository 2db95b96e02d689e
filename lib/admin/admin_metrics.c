/* admin_metrics: every account's figures, gathered first, then written
 * metric by metric (each with its HELP and TYPE before its samples).
 * The sources are cheap, none a walk of history: the campaign summaries
 * (store_campaign_sums: sent tests and their results), the waiting-email
 * work list (only those invitations), the job list (the queue), the
 * remembered delivery tokens (a replay window's worth) and the account
 * records. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_health.h"
#include "admin/admin_metrics.h"
#include "base/buf.h"
#include "base/clock.h"
#include "domain/health.h"

struct facts {
	uint32_t id;
	int64_t sent, waiting_email, completed, no_result;
	struct admin_queue_facts q;
	int webhook_missing, disconnected;
	int64_t token_expires_at;     /* OAuth only, else 0 */
};

struct out {
	struct buf b;
	int oom;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line || buf_append(&o->b, line, (size_t)n) < 0)
		o->oom = 1;
}

static int gather(struct admin *a, const struct store_account *acct, int64_t now,
		  struct facts *f)
{
	struct store_campaign_sum **s = NULL;
	struct store_invitation **w = NULL;
	size_t ns = 0, nw = 0;

	memset(f, 0, sizeof *f);
	f->id = acct->id;
	f->webhook_missing = acct->webhook_missing;
	f->disconnected = acct->disconnected;
	f->token_expires_at = acct->refresh_token ? acct->token_expires_at : 0;
	if (store_campaign_sums(a->st, acct->id, &s, &ns) != STORE_OK)
		return -1;
	for (size_t i = 0; i < ns; i++) {
		f->sent += s[i]->sent;
		f->no_result += s[i]->waiting;
		f->completed += s[i]->completed;
	}
	store_campaign_sums_free(s, ns);
	if (store_invitation_work(a->st, acct->id, STORE_WORK_WAITING, INT64_MAX, 0, &w, &nw) !=
	    STORE_OK)
		return -1;
	store_invitations_free(w, nw);
	f->waiting_email = (int64_t)nw;
	return admin_queue_facts(a, acct->id, now, &f->q);
}

static void head(struct out *o, const char *name, const char *type, const char *help)
{
	outf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

#define SAMPLE(o, name, labels, f, value) \
	outf(o, "%s{account=\"%u\"%s} %lld\n", name, (f)->id, labels, (long long)(value))

static void write_all(struct out *o, const struct facts *f, size_t n, int64_t last_sweep)
{
	size_t i;

	head(o, "cglever_invitations", "gauge", "Invitations by state: sent (from the campaign "
	     "summaries) and waiting_email (waiting for the candidate's email).");
	for (i = 0; i < n; i++) {
		SAMPLE(o, "cglever_invitations", ",state=\"sent\"", &f[i], f[i].sent);
		SAMPLE(o, "cglever_invitations", ",state=\"waiting_email\"", &f[i],
		       f[i].waiting_email);
	}
	head(o, "cglever_tests", "gauge", "Sent tests by result status: completed, none (no "
	     "final status yet), other (aborted, cancelled or expired).");
	for (i = 0; i < n; i++) {
		SAMPLE(o, "cglever_tests", ",result=\"completed\"", &f[i], f[i].completed);
		SAMPLE(o, "cglever_tests", ",result=\"none\"", &f[i], f[i].no_result);
		SAMPLE(o, "cglever_tests", ",result=\"other\"", &f[i],
		       f[i].sent - f[i].completed - f[i].no_result);
	}
	head(o, "cglever_jobs", "gauge", "Jobs in the queue: pending, or failed (kept after "
	     "their last try, waiting for the admin's retry).");
	for (i = 0; i < n; i++) {
		SAMPLE(o, "cglever_jobs", ",state=\"pending\"", &f[i], f[i].q.pending);
		SAMPLE(o, "cglever_jobs", ",state=\"failed\"", &f[i], f[i].q.failed);
	}
	head(o, "cglever_job_oldest_pending_seconds", "gauge", "How long the longest-waiting "
	     "due job has waited for a queue runner.");
	for (i = 0; i < n; i++)
		SAMPLE(o, "cglever_job_oldest_pending_seconds", "", &f[i],
		       f[i].q.oldest_pending_ms / 1000);
	head(o, "cglever_last_delivery_timestamp_seconds", "gauge", "When the last webhook "
	     "delivery from Lever arrived (Unix time; no sample: none remembered).");
	for (i = 0; i < n; i++)
		if (f[i].q.last_delivery)
			SAMPLE(o, "cglever_last_delivery_timestamp_seconds", "", &f[i],
			       f[i].q.last_delivery / 1000);
	head(o, "cglever_webhook_missing", "gauge", "1 when cglever's webhook was gone from "
	     "Lever when last looked for.");
	for (i = 0; i < n; i++)
		SAMPLE(o, "cglever_webhook_missing", "", &f[i], f[i].webhook_missing);
	head(o, "cglever_lever_disconnected", "gauge", "1 when the account lost its Lever "
	     "connection (jobs wait).");
	for (i = 0; i < n; i++)
		SAMPLE(o, "cglever_lever_disconnected", "", &f[i], f[i].disconnected);
	head(o, "cglever_lever_token_expiry_timestamp_seconds", "gauge", "When the OAuth "
	     "access token expires (Unix time; refreshed before; no sample: an API key).");
	for (i = 0; i < n; i++)
		if (f[i].token_expires_at)
			SAMPLE(o, "cglever_lever_token_expiry_timestamp_seconds", "", &f[i],
			       f[i].token_expires_at / 1000);
	head(o, "cglever_last_sweep_timestamp_seconds", "gauge", "When the last whole "
	     "\"cglever-ctl sweep\" ended (Unix time; 0: never).");
	outf(o, "cglever_last_sweep_timestamp_seconds %lld\n", (long long)(last_sweep / 1000));
}

void admin_metrics(struct admin *a)
{
	struct store_account **acct = NULL;
	struct facts *f = NULL;
	struct out o = { { NULL, 0, 0 }, 0 };
	int64_t now = clock_wall_ms();
	size_t n = 0, i;

	if (store_account_list(a->st, &acct, &n) != STORE_OK ||
	    (n && !(f = calloc(n, sizeof *f)))) {
		req_reply_text(a->r, 503, "the store could not list the accounts");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (gather(a, acct[i], now, &f[i]) < 0)
			break;
	if (i < n) {
		req_reply_text(a->r, 503, "the store could not say");
		goto out;
	}
	write_all(&o, f, n, health_last_sweep(a->conf));
	if (o.oom)
		req_reply_text(a->r, 500, "out of memory");
	else
		req_reply(a->r, 200, "text/plain; version=0.0.4; charset=utf-8", NULL,
			  o.b.data ? o.b.data : "", o.b.len);
out:
	free(o.b.data);
	free(f);
	store_accounts_free(acct, n);
}
