/* admin_health: the account page's Health panel and its forms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin_health.h"
#include "base/clock.h"
#include "clients/codingame.h"
#include "clients/leverauth.h"
#include "domain/account.h"
#include "domain/health.h"
#include "web/page.h"

/* A successful use of the CodinGame key is recorded at most this often:
 * the record is not written on every page view. */
#define CG_STAMP_EVERY_MS (10 * 60 * 1000LL)

int admin_queue_facts(struct admin *a, uint32_t account, int64_t now,
		      struct admin_queue_facts *q)
{
	struct store_job **jobs = NULL;
	size_t n = 0;

	memset(q, 0, sizeof *q);
	if (store_job_list(a->st, account, &jobs, &n) != STORE_OK)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int64_t w = admin_job_waiting_ms(jobs[i], now);

		if (jobs[i]->failed)
			q->failed++;
		else
			q->pending++;
		if (w > q->oldest_pending_ms)
			q->oldest_pending_ms = w;
	}
	store_jobs_free(jobs, n);
	return store_delivery_last(a->st, account, &q->last_delivery) == STORE_OK ? 0 : -1;
}

/* "3 min ago (2024-05-01 12:00:00 UTC)", or "in 3 min (...)". */
static void when(struct html *h, int64_t at, int64_t now)
{
	char buf[64];
	time_t t = (time_t)(at / 1000);
	struct tm tm;

	if (at > now) {
		html_txt(h, "in ");
		admin_duration(h, at - now);
	} else {
		admin_duration(h, now - at);
		html_txt(h, " ago");
	}
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, " (%Y-%m-%d %H:%M:%S UTC)", &tm);
	html_txt(h, buf);
}

static void item(struct html *h, const char *label, const char *id)
{
	html_raw(h, "<dt>");
	html_txt(h, label);
	html_raw(h, "</dt><dd id=\"");
	html_attr(h, id);
	html_raw(h, "\">");
}

/* An alert inside an item; warning_begin leaves it open for a button. */
static void warning_begin(struct html *h, const char *id, const char *text)
{
	html_raw(h, "<div class=\"msg error\" role=\"alert\" id=\"");
	html_attr(h, id);
	html_raw(h, "\"><p>");
	html_txt(h, text);
	html_raw(h, "</p>");
}

static void warning(struct html *h, const char *id, const char *text)
{
	warning_begin(h, id, text);
	html_raw(h, "</div>");
}

static void webhooks(struct admin *a, struct html *h, const struct store_account *acct,
		     int64_t now)
{
	char path[64];

	item(h, "Lever webhooks", "health-webhook");
	if (!acct->webhook_id && !acct->forget_webhook_id) {
		html_txt(h, acct->webhook_token ? "Made by hand in Lever: cglever does not look "
						  "after it." : "None registered.");
		html_raw(h, "</dd>\n");
		return;
	}
	html_txt(h, "Registered by cglever (stage changes and deletions). ");
	if (!acct->webhook_checked_at) {
		html_txt(h, "Not looked for in Lever yet (the sweep looks hourly).");
	} else {
		html_txt(h, acct->webhook_missing ? "Gone from Lever when looked for " :
						    "Present in Lever when looked for ");
		when(h, acct->webhook_checked_at, now);
		html_txt(h, ".");
	}
	snprintf(path, sizeof path, "account/%u/webhookcheck", acct->id);
	admin_button(a, h, path, "Check now", NULL, NULL);
	if (acct->webhook_missing) {
		warning_begin(h, "webhook-gone", "cglever's webhook is gone from Lever (deleted there): "
			"no stage change reaches cglever by webhook. Register it again; the "
			"webhook group must stay switched on in Lever (Settings > Integrations "
			"and API > Webhooks).");
		snprintf(path, sizeof path, "account/%u/webhooks", acct->id);
		admin_button(a, h, path, "Register again", NULL, NULL);
		html_raw(h, "</div>");
	}
	html_raw(h, "</dd>\n");
}

static void last_delivery(struct html *h, const struct store_account *acct,
			  const struct admin_queue_facts *q, int64_t now)
{
	item(h, "Last delivery from Lever", "health-delivery");
	if (q->last_delivery)
		when(h, q->last_delivery, now);
	else
		html_txt(h, "None received lately.");
	if (acct->reconcile_sent_at > q->last_delivery + HEALTH_DELIVERY_GAP_MS)
		warning(h, "deliveries-stopped", "Deliveries stopped while the sweep still finds "
			"candidates that no webhook brought: the webhook group may be switched "
			"off in Lever. A Lever Super Admin switches it on in Lever: Settings > "
			"Integrations and API > Webhooks.");
	html_raw(h, "</dd>\n");
}

static void token(struct html *h, const struct store_account *acct, int64_t now)
{
	item(h, "Lever credentials", "health-token");
	if (acct->disconnected) {
		html_txt(h, "Disconnected");
		if (acct->disconnected_at) {
			html_txt(h, " ");
			when(h, acct->disconnected_at, now);
		}
		html_txt(h, ": jobs wait until Lever is reconnected.");
	} else if (acct->lever_api_key) {
		html_txt(h, "API key (does not expire; no refresh).");
	} else if (acct->refresh_token) {
		html_txt(h, acct->token_expires_at > now ? "OAuth access token valid until " :
							  "OAuth access token expired ");
		when(h, acct->token_expires_at, now);
		html_txt(h, acct->token_expires_at > now ? ". Next refresh " :
			 ". Next refresh at the next call to Lever, or ");
		when(h, acct->token_expires_at - AUTH_EARLY_MS > now ?
		     acct->token_expires_at - AUTH_EARLY_MS : now, now);
		html_txt(h, ".");
	} else {
		html_txt(h, "Not connected yet.");
	}
	html_raw(h, "</dd>\n");
}

static int stamp_codingame(struct store_account *cur, void *at)
{
	if (cur->codingame_checked_at >= *(int64_t *)at)
		return 1;
	cur->codingame_checked_at = *(int64_t *)at;
	return 0;
}

/* The key and the callback: one GET /webhook tells both. */
static void codingame(struct admin *a, struct html *h, const struct store_account *acct,
		      int64_t now)
{
	struct codingame cg;
	char ours[1200], owner[300];
	char *url = NULL;
	enum cg_err e = CG_UNAUTHORIZED;
	int64_t checked = acct->codingame_checked_at;

	if (acct->codingame_api_key) {
		cg_init(&cg, a->conf->codingame_api_url, acct->codingame_api_key);
		if ((e = cg_webhook_get(&cg, &url)) == CG_OK) {
			if (now - checked >= CG_STAMP_EVERY_MS)
				(void)store_account_update(a->st, acct->id, stamp_codingame, &now);
			checked = now;
		}
	}
	item(h, "CodinGame key", "health-codingame");
	if (!acct->codingame_api_key) {
		html_txt(h, "No key saved yet.");
	} else {
		html_txt(h, checked ? "Last worked " : "Not known to work yet");
		if (checked)
			when(h, checked, now);
		html_txt(h, e == CG_OK ? "." : ". CodinGame did not answer now: ");
		if (e != CG_OK)
			html_txt(h, cg.error);
	}
	html_raw(h, "</dd>\n");
	item(h, "CodinGame callback", "health-callback");
	account_callback_url(a->conf, acct, ours, sizeof ours);
	if (e != CG_OK)
		html_txt(h, "Unknown (CodinGame did not say).");
	else if (!url)
		html_txt(h, "Not registered: results arrive by polling.");
	else if (strcmp(url, ours) == 0)
		html_txt(h, "Registered: this account's URL.");
	else {
		account_callback_owner(url, owner, sizeof owner);
		html_txt(h, "Registered to ");
		html_txt(h, owner);
		warning(h, "callback-foreign", "CodinGame keeps one callback per organization "
			"and this one belongs to someone else (another integration, or another "
			"cglever account). cglever polls for results instead; \"Turn callback "
			"on\" asks before replacing it.");
	}
	html_raw(h, "</dd>\n");
	explicit_bzero(ours, sizeof ours);
	free(url);
}

static void queue(struct html *h, const struct admin_queue_facts *q)
{
	item(h, "Queue", "health-queue");
	html_int(h, (int64_t)q->pending);
	html_txt(h, " pending, ");
	html_int(h, (int64_t)q->failed);
	html_txt(h, " failed");
	if (q->oldest_pending_ms) {
		html_txt(h, "; the oldest due job has waited ");
		admin_duration(h, q->oldest_pending_ms);
	}
	html_txt(h, ".");
	html_raw(h, "</dd>\n");
}

static void sweep(struct admin *a, struct html *h, int64_t now)
{
	int64_t last = health_last_sweep(a->conf);

	item(h, "Last sweep", "health-sweep");
	if (last)
		when(h, last, now);
	else
		html_txt(h, "Never.");
	if (now - last > HEALTH_SWEEP_LATE_MS)
		warning(h, "sweep-late", "cron (or the systemd timer) has not run \"cglever-ctl "
			"sweep\" for over 5 minutes: results are not polled, failed jobs not "
			"retried and the webhooks not looked for. Check the cron entry or the "
			"timer (see INSTALL).");
	html_raw(h, "</dd>\n");
}

void admin_health_panel(struct admin *a, struct html *h, const struct store_account *acct)
{
	struct admin_queue_facts q;
	int64_t now = clock_wall_ms();
	int qok = admin_queue_facts(a, acct->id, now, &q) == 0;

	html_raw(h, "<h2>Health</h2>\n<dl class=\"health\">\n");
	webhooks(a, h, acct, now);
	if (qok)
		last_delivery(h, acct, &q, now);
	token(h, acct, now);
	codingame(a, h, acct, now);
	if (qok)
		queue(h, &q);
	else
		html_raw(h, "<dt>Queue</dt><dd>The store could not say; reload the page.</dd>\n");
	sweep(a, h, now);
	html_raw(h, "</dl>\n");
}

static const struct form_field csrf_only[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
};

void admin_webhooks_check(struct admin *a, uint32_t id)
{
	struct form *f = admin_form(a, csrf_only, 1);
	char err[600];

	if (!f)
		return;
	if (health_check_now(a->conf, a->st, id, err, sizeof err) < 0)
		page_error(a->conf, a->r, 400, "Not checked", err);
	else
		admin_done(a, "account/%u", id, "webhookschecked");
	form_free(f);
}

void admin_webhooks_register(struct admin *a, uint32_t id)
{
	struct form *f = admin_form(a, csrf_only, 1);
	char err[600];

	if (!f)
		return;
	if (health_register_again(a->conf, a->st, id, err, sizeof err) < 0) {
		page_error(a->conf, a->r, 400, "Webhooks not registered", err);
	} else {
		admin_audit_log(a, id, "webhooks registered again", "both webhooks created anew");
		admin_done(a, "account/%u", id, "webhooksregistered");
	}
	form_free(f);
}

void admin_callback_confirm(struct admin *a, uint32_t id, const char *owner)
{
	struct html h;
	char url[1200], sid[16];

	snprintf(sid, sizeof sid, "%u", id);
	admin_begin(a, &h, "Replace CodinGame's callback?");
	html_raw(&h, "<p id=\"callback-confirm\">");
	html_txt(&h, "CodinGame's callback for this organization is ");
	html_txt(&h, owner);
	html_txt(&h, ". CodinGame keeps only one: replacing it stops that integration's "
		     "callbacks (it may rely on them). Nothing was changed.");
	html_raw(&h, "</p>\n");
	admin_url(a, url, sizeof url, "account/%u/callback", id);
	html_form_begin(&h, url, "post");
	page_csrf_field(a->conf, &h, a->user);
	html_hidden(&h, "on", "1");
	html_hidden(&h, "replace", "1");
	html_button(&h, "Replace it with cglever's callback");
	html_form_end(&h);
	html_raw(&h, "<p><a href=\"");
	admin_url(a, url, sizeof url, "account/%u", id);
	html_attr(&h, url);
	html_raw(&h, "\">Keep it (back to the account)</a></p>\n");
	admin_end(a, &h, 409);
}
