/* admin_activity: the failed and pending jobs and the latest invitations
 * of an account, with retry, resend and cancel. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "admin/admin_activity.h"
#include "admin/admin_common.h"
#include "admin/admin_lists.h"
#include "base/log.h"
#include "web/page.h"
#include "domain/queue.h"

#define PER_PAGE 50
#define MAX_PENDING_SHOWN 100

static void when(struct html *h, int64_t ms)
{
	char buf[40];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
	html_txt(h, buf);
}

static void status_text(struct html *h, const struct store_invitation *v)
{
	char buf[64];

	if (strcmp(v->state, "waiting_email") == 0) {
		html_txt(h, "waiting for email");
	} else if (strcmp(v->state, "failed") == 0) {
		html_txt(h, "failed: ");
		html_txt(h, v->error ? v->error : "");
	} else if (strcmp(v->state, "sent") == 0 && v->result_status) {
		if (strcmp(v->result_status, "completed") == 0)
			snprintf(buf, sizeof buf, "completed %.0f%%", v->score);
		else
			snprintf(buf, sizeof buf, "%s", v->result_status);
		html_txt(h, buf);
	} else {
		html_txt(h, v->state);
	}
}

/* The page asked for: ?before=CURSOR (older than it), ?after=CURSOR
 * (newer), or neither (the newest); other parameters (msg) are not ours.
 * 0, or -1 when one is repeated, both are given or one is empty (the
 * store checks the cursor itself). *cursor is malloc'd, or NULL. */
static int page_arg(const char *query, char **cursor, int *older)
{
	*cursor = NULL;
	*older = 1;
	for (const char *p = query; *p; p += strcspn(p, "&"), p += *p == '&') {
		size_t n = strcspn(p, "&");
		int before = strncmp(p, "before=", 7) == 0;

		if (!before && strncmp(p, "after=", 6) != 0)
			continue;
		if (*cursor || n == (before ? 7u : 6u)) {
			free(*cursor);
			*cursor = NULL;
			return -1;
		}
		if (!(*cursor = strndup(p + (before ? 7 : 6), n - (before ? 7 : 6))))
			return -1;
		*older = before;
	}
	return 0;
}

/* "Newer" or "Older": a link to the page next to the row v. */
static void page_link(struct admin *a, struct html *h, uint32_t id,
		      const struct store_invitation *v, int older)
{
	char cur[STORE_CURSOR_MAX], url[1200 + STORE_CURSOR_MAX];

	if (store_invitation_cursor(v, cur, sizeof cur) != 0)
		return;
	admin_url(a, url, sizeof url, "account/%u/activity?%s=%s", id,
		  older ? "before" : "after", cur);
	html_raw(h, "<a class=\"");
	html_raw(h, older ? "older" : "newer");
	html_raw(h, "\" href=\"");
	html_attr(h, url);
	html_raw(h, older ? "\">Older</a>" : "\">Newer</a> ");
}

static void failed_jobs(struct admin *a, struct html *h, struct store_job **jobs, size_t n)
{
	char url[1200], val[32];
	size_t shown = 0;

	html_raw(h, "<h2>Failed jobs</h2>\n");
	for (size_t i = 0; i < n; i++) {
		if (!jobs[i]->failed)
			continue;
		if (!shown++)
			html_raw(h, "<table>\n<tr><th>Opportunity</th><th>Error</th><th></th></tr>\n");
		html_raw(h, "<tr><td>");
		html_txt(h, jobs[i]->opportunity);
		html_raw(h, "</td><td>");
		html_txt(h, jobs[i]->last_error ? jobs[i]->last_error : "");
		html_raw(h, "</td><td>");
		admin_url(a, url, sizeof url, "account/%u/action", jobs[i]->account);
		html_form_begin(h, url, "post");
		page_csrf_field(a->conf, h, a->user);
		html_hidden(h, "action", "retry");
		snprintf(val, sizeof val, "%016" PRIx64, jobs[i]->id);
		html_hidden(h, "job", val);
		html_button(h, "Retry");
		html_form_end(h);
		html_raw(h, "</td></tr>\n");
	}
	html_raw(h, shown ? "</table>\n" : "<p>None.</p>\n");
}

/* The queue as the runner sees it, in the store's order (due time): what
 * waits, since when, and why, so a runner that cannot start shows. */
static void pending_jobs(struct html *h, struct store_job **jobs, size_t n)
{
	int64_t now = clock_wall_ms();
	size_t shown = 0, pending = 0;

	html_raw(h, "<h2>Pending jobs</h2>\n");
	for (size_t i = 0; i < n; i++) {
		const struct store_job *j = jobs[i];
		int64_t waiting = admin_job_waiting_ms(j, now);

		if (j->failed)
			continue;
		if (pending++ >= MAX_PENDING_SHOWN)
			continue;
		if (!shown++)
			html_raw(h, "<table>\n<tr><th>Job</th><th>Opportunity</th><th>Queued</th>"
				    "<th>Tries</th><th>Next try</th><th>Last error</th></tr>\n");
		html_raw(h, "<tr class=\"pending\"><td>");
		html_txt(h, strcmp(j->kind, "stage_change") == 0 ? "stage change"
			    : strcmp(j->kind, "check_test") == 0 ? "read test result"
			    : strcmp(j->kind, "poll") == 0 ? "read test results" : j->kind);
		html_raw(h, "</td><td>");
		html_txt(h, j->opportunity);
		html_raw(h, "</td><td class=\"age\">");
		admin_duration(h, now - j->created_at);
		html_txt(h, " ago");
		html_raw(h, "</td><td>");
		html_int(h, j->attempts);
		html_raw(h, "</td><td>");
		if (waiting > 0) {
			html_txt(h, "due, waiting for a runner for ");
			admin_duration(h, waiting);
		} else if (j->due > now) {
			html_txt(h, "in ");
			admin_duration(h, j->due - now);
		} else {
			html_txt(h, "due now");
		}
		html_raw(h, "</td><td>");
		html_txt(h, j->last_error ? j->last_error : "");
		html_raw(h, "</td></tr>\n");
	}
	if (shown)
		html_raw(h, "</table>\n");
	if (pending > shown) {
		html_raw(h, "<p>");
		html_int(h, (int64_t)(pending - shown));
		html_txt(h, " more pending.");
		html_raw(h, "</p>\n");
	}
	if (!pending)
		html_raw(h, "<p>None.</p>\n");
}

void admin_activity(struct admin *a, uint32_t id)
{
	struct store_account *acct = NULL;
	struct store_invitation **inv = NULL;
	struct store_job **jobs = NULL;
	const struct admin_lists *l;
	size_t n_inv = 0, n_jobs = 0;
	char url[1200], path[64], val[32], *cursor = NULL;
	int older = 1, more_older = 0, more_newer = 0;
	enum store_err e;
	struct html h;

	if (page_arg(a->r->query, &cursor, &older) != 0) {
		page_error(a->conf, a->r, 400, "Bad request", "Bad page cursor.");
		return;
	}
	if (!(acct = admin_load_account(a, id)))
		goto out;
	/* One page, read through the store's index by update time. */
	e = store_invitation_page(a->st, id, cursor, older, PER_PAGE, &inv, &n_inv, &more_older,
				  &more_newer);
	if (e == STORE_NOTFOUND) {
		page_error(a->conf, a->r, 400, "Bad request", "Bad page cursor.");
		goto out;
	}
	if (e != STORE_OK || store_job_list(a->st, id, &jobs, &n_jobs) != STORE_OK) {
		page_error(a->conf, a->r, 503, "Unavailable", "The store is unavailable; retry later.");
		goto out;
	}
	l = admin_lists_get(a, acct);
	admin_begin(a, &h, "Activity");
	admin_back_link(a, &h, acct);
	failed_jobs(a, &h, jobs, n_jobs);
	pending_jobs(&h, jobs, n_jobs);
	snprintf(path, sizeof path, "account/%u/action", id);
	html_raw(&h, "<h2>Invitations</h2>\n");
	if (!n_inv) {
		html_raw(&h, "<p>No invitation on this page.</p>\n");
		if (cursor) {   /* past either end: back to the newest */
			admin_url(a, url, sizeof url, "account/%u/activity", id);
			html_raw(&h, "<p><a class=\"newest\" href=\"");
			html_attr(&h, url);
			html_raw(&h, "\">Newest</a></p>\n");
		}
	} else {
		html_raw(&h, "<table>\n<tr><th>Candidate</th><th>Campaign</th><th>Status</th>"
			     "<th>Updated</th><th></th></tr>\n");
		for (size_t i = 0; i < n_inv; i++) {
			const struct store_invitation *v = inv[i];
			const char *cn = admin_campaign_name(l, v->campaign);
			int waiting = strcmp(v->state, "sent") == 0 && !v->result_status && v->test_id;

			html_raw(&h, "<tr><td>");
			html_txt(&h, v->name ? v->name : v->opportunity);
			html_raw(&h, "<br>");
			html_txt(&h, v->email ? v->email : "(no email)");
			html_raw(&h, "</td><td>");
			if (cn)
				html_txt(&h, cn);
			else
				html_int(&h, v->campaign);
			html_raw(&h, "</td><td>");
			status_text(&h, v);
			html_raw(&h, "</td><td>");
			when(&h, v->updated_at);
			html_raw(&h, "</td><td>");
			if (waiting) {
				snprintf(val, sizeof val, "%lld", (long long)v->test_id);
				admin_url(a, url, sizeof url, "%s", path);
				for (int k = 0; k < 2; k++) {
					html_form_begin(&h, url, "post");
					page_csrf_field(a->conf, &h, a->user);
					html_hidden(&h, "action", k ? "cancel" : "resend");
					html_hidden(&h, "test", val);
					html_button(&h, k ? "Cancel test" : "Resend email");
					html_form_end(&h);
				}
			}
			html_raw(&h, "</td></tr>\n");
		}
		html_raw(&h, "</table>\n");
	}
	if (n_inv && (more_newer || more_older)) {
		html_raw(&h, "<p>");
		if (more_newer)
			page_link(a, &h, id, inv[0], 0);
		if (more_older)
			page_link(a, &h, id, inv[n_inv - 1], 1);
		html_raw(&h, "</p>\n");
	}
	admin_end(a, &h, 200);
out:
	free(cursor);
	store_invitations_free(inv, n_inv);
	store_jobs_free(jobs, n_jobs);
	store_account_free(acct);
}

/* The test is over: its note is due now, not at the next poll. The same
 * job a CodinGame callback queues (the runner reads the test and posts
 * the result note once, marker and all), then a runner is woken. If the
 * job cannot be recorded, the sweep's poll still posts the note later. */
static void note_cancelled(struct admin *a, const struct store_invitation *inv)
{
	struct store_job job;

	memset(&job, 0, sizeof job);
	job.account = inv->account;
	job.kind = "check_test";
	job.opportunity = inv->opportunity;
	job.test_id = inv->test_id;
	job.due = STORE_DUE_NOW;
	job.created_at = clock_wall_ms();
	if (store_job_add(a->st, &job) != STORE_OK) {
		log_warn("test %lld cancelled; its note waits for the sweep: %s",
			 (long long)inv->test_id, store_last_error(a->st));
		return;
	}
	queue_wake(a->conf, inv->account);
}

static const struct form_field action_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
	{ "action", FORM_STRING, 10, 1, 0, 0, "abcdefghijklmnopqrstuvwxyz" },
	{ "job", FORM_STRING, 16, 0, 0, 0, "0123456789abcdef" },
	{ "test", FORM_INT, 19, 0, 1, INT64_MAX, NULL },
};

void admin_action(struct admin *a, uint32_t id)
{
	struct form *f = admin_form(a, action_fields, 4);
	struct store_account *acct = NULL;
	struct store_invitation *inv = NULL;
	const char *act;

	if (!f || !(acct = admin_load_account(a, id)))
		goto out;
	act = f->str[1];
	if (strcmp(act, "retry") == 0 && f->str[2][0]) {
		uint64_t job = strtoull(f->str[2], NULL, 16);
		enum store_err e = store_job_retry(a->st, id, job, clock_wall_ms());

		if (e == STORE_NOTFOUND || e == STORE_EXISTS) {
			page_error(a->conf, a->r, 400, "Not retried",
				   e == STORE_EXISTS ? "This job is not failed: it is already queued."
						     : "There is no such job.");
			goto out;
		}
		if (e != STORE_OK) {
			page_error(a->conf, a->r, 503, "Unavailable", "The store is unavailable.");
			goto out;
		}
		admin_audit_log(a, id, "job retried", "job %s", f->str[2]);
		queue_wake(a->conf, id);
		admin_done(a, "account/%u/activity", id, "retried");
	} else if ((strcmp(act, "resend") == 0 || strcmp(act, "cancel") == 0) && f->present[3]) {
		struct codingame cg;

		if (store_invitation_by_test(a->st, f->num[3], &inv) != STORE_OK ||
		    inv->account != id) {
			page_error(a->conf, a->r, 400, "Not done", "This account sent no such test.");
			goto out;
		}
		cg_init(&cg, a->conf->codingame_api_url, acct->codingame_api_key);
		if (cg_test_action(&cg, f->num[3], act) != CG_OK) {
			char msg[600];

			snprintf(msg, sizeof msg, "CodinGame refused: %.500s", cg.error);
			page_error(a->conf, a->r, 400, "Not done", msg);
			goto out;
		}
		admin_audit_log(a, id, strcmp(act, "resend") == 0 ? "invitation resent" : "test cancelled",
				"test %lld (opportunity %s)", (long long)f->num[3], inv->opportunity);
		if (strcmp(act, "cancel") == 0)
			note_cancelled(a, inv);
		admin_done(a, "account/%u/activity", id,
			   strcmp(act, "resend") == 0 ? "resent" : "cancelled");
	} else {
		page_error(a->conf, a->r, 400, "Bad request", "Unknown action.");
	}
out:
	store_invitation_free(inv);
	store_account_free(acct);
	form_free(f);
}
