/* admin_account: one account: its Lever connection, CodinGame key,
 * callback switch and rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_account.h"
#include "admin/admin_options.h"
#include "admin/admin_common.h"
#include "admin/admin_health.h"
#include "admin/admin_rule_widget.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "clients/codingame.h"
#include "domain/account.h"
#include "domain/oauth.h"
#include "web/page.h"

static void section_lever(struct admin *a, struct html *h, const struct store_account *acct)
{
	char url[1200], id[16];
	int connected = !acct->disconnected && (acct->lever_api_key || acct->refresh_token);

	snprintf(id, sizeof id, "%u", acct->id);
	html_raw(h, "<h2>Lever</h2>\n<p>");
	if (connected)
		html_txt(h, acct->refresh_token ? "Connected with OAuth." : "Connected with an API key.");
	else if (acct->disconnected)
		html_txt(h, "Disconnected. Jobs wait until Lever is reconnected.");
	else
		html_txt(h, "Not connected yet.");
	if (acct->disconnected_reason) {
		html_raw(h, " ");
		html_txt(h, acct->disconnected_reason);
	}
	html_raw(h, " Webhook: ");
	html_txt(h, acct->webhook_id ? "registered." : acct->webhook_token ? "made by hand." : "none.");
	html_raw(h, "</p>\n");
	snprintf(url, sizeof url, "%s/oauth.fcgi/start", a->conf->public_url);
	html_form_begin(h, url, "post");
	page_csrf_field(a->conf, h, a->user);
	html_hidden(h, "account", id);
	html_button(h, connected || acct->disconnected ? "Reconnect Lever" : "Connect Lever");
	html_form_end(h);
	if (connected)
		admin_button(a, h, "disconnect", "Disconnect", "account", id);
}

static void section_codingame(struct admin *a, struct html *h, const struct store_account *acct,
			      const char *error)
{
	char url[1200], id[16];
	size_t n = acct->codingame_api_key ? strlen(acct->codingame_api_key) : 0;

	snprintf(id, sizeof id, "%u", acct->id);
	html_raw(h, "<h2>CodinGame</h2>\n<p>");
	if (n) {
		/* The key is never shown again: its last four characters only. */
		html_txt(h, "API key saved, ending in ");
		html_txt(h, acct->codingame_api_key + (n > 4 ? n - 4 : 0));
		html_txt(h, ".");
	} else {
		html_txt(h, "No API key saved yet.");
	}
	html_raw(h, "</p>\n");
	admin_url(a, url, sizeof url, "account/%u/codingame", acct->id);
	html_raw(h, "<form class=\"block\" method=\"post\" action=\"");
	html_attr(h, url);
	html_raw(h, "\">\n");
	page_csrf_field(a->conf, h, a->user);
	html_raw(h, "<label for=\"codingame_key\">CodinGame API key (checked by listing the "
		    "campaigns before it is saved)</label>\n");
	if (error) {
		html_raw(h, "<p class=\"field-error\">");
		html_txt(h, error);
		html_raw(h, "</p>\n");
	}
	html_raw(h, "<input id=\"codingame_key\" name=\"codingame_key\" type=\"password\" "
		    "autocomplete=\"off\" maxlength=\"200\" required>\n"
		    "<button type=\"submit\">Save key</button>\n</form>\n");
	html_raw(h, "<p>Callback: CodinGame tells cglever when a test ends (polling "
		    "remains the fallback).</p>\n");
	snprintf(url, sizeof url, "account/%u/callback", acct->id);
	admin_button(a, h, url, "Turn callback on", "on", "1");
	admin_button(a, h, url, "Turn callback off", "on", "0");
}

/* Jobs due for over a minute that no runner took: the webhook answers
 * Lever and queues, but nothing works the queue. Not said of a
 * disconnected account, whose jobs wait by design (see section_lever). */
static void queue_warning(struct admin *a, struct html *h, const struct store_account *acct)
{
	struct store_job **jobs = NULL;
	int64_t now = clock_wall_ms(), oldest = 0;
	size_t n = 0, late = 0;

	if (acct->disconnected)
		return;
	if (store_job_list(a->st, acct->id, &jobs, &n) != STORE_OK) {
		html_message(h, "error", "The job queue could not be read; reload the page.");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t w = admin_job_waiting_ms(jobs[i], now);

		if (w > ADMIN_JOB_LATE_MS) {
			late++;
			if (w > oldest)
				oldest = w;
		}
	}
	store_jobs_free(jobs, n);
	if (!late)
		return;
	html_raw(h, "<div class=\"msg error\" role=\"alert\" id=\"queue-late\"><p>");
	html_int(h, (int64_t)late);
	html_txt(h, late == 1 ? " job has" : " jobs have");
	html_txt(h, " waited more than a minute for the queue runner (the oldest ");
	admin_duration(h, oldest);
	html_txt(h, "). Nothing is lost, but no runner is working this account's queue. Check:");
	html_raw(h, "</p>\n<ul><li>");
	html_txt(h, "ctl_path in the configuration names cglever-ctl, and the web server's "
		    "user can run it (the web server's error log says \"cannot start the queue "
		    "runner\" when it cannot);");
	html_raw(h, "</li><li>");
	html_txt(h, "the runner itself: run \"cglever-ctl sweep\" as the web server's user "
		    "and read what it says;");
	html_raw(h, "</li><li>");
	html_txt(h, "that cron or the systemd timer runs \"cglever-ctl sweep\" every minute.");
	html_raw(h, "</li></ul>\n</div>\n");
}

static void page(struct admin *a, struct store_account *acct, int status, const char *key_error,
		 const struct store_rule *rule_values, const struct admin_rule_errors *rule_error)
{
	struct html h;
	char url[1200], path[64];

	admin_begin(a, &h, acct->name);
	html_raw(&h, "<p><a href=\"");
	admin_url(a, url, sizeof url, "account/%u/activity", acct->id);
	html_attr(&h, url);
	html_raw(&h, "\">Activity</a> | <a href=\"");
	admin_url(a, url, sizeof url, "account/%u/campaigns", acct->id);
	html_attr(&h, url);
	html_raw(&h, "\">Campaigns</a></p>\n");
	queue_warning(a, &h, acct);
	admin_health_panel(a, &h, acct);
	section_lever(a, &h, acct);
	section_codingame(a, &h, acct, key_error);
	html_raw(&h, "<h2>Rules</h2>\n");
	admin_rules_table(a, &h, acct);
	snprintf(path, sizeof path, "account/%u/rules", acct->id);
	admin_rule_form(a, &h, acct, rule_values, path, "Add rule", rule_error);
	admin_options_form(a, &h, acct);
	admin_end(a, &h, status);
}

void admin_account(struct admin *a, uint32_t id)
{
	struct store_account *acct;

	if (!(acct = admin_load_account(a, id)))
		return;
	page(a, acct, 200, NULL, NULL, NULL);
	store_account_free(acct);
}

void admin_rule_create(struct admin *a, uint32_t account)
{
	struct form *f = admin_form(a, admin_rule_fields, admin_rule_n_fields);
	struct store_account *acct = NULL;
	struct store_rule r;
	struct admin_rule_errors err;

	if (!f || !(acct = admin_load_account(a, account)))
		goto out;
	memset(&r, 0, sizeof r);
	if (admin_rule_read(f, &r, &err) < 0) {
		page(a, acct, 400, NULL, &r, &err);
		goto out;
	}
	r.account = account;
	r.created_at = clock_wall_ms();
	r.created_by = (char *)a->user;
	if (store_rule_add(a->st, &r) != STORE_OK) {
		page_error(a->conf, a->r, 503, "Unavailable", "The rule could not be saved; retry.");
		goto out;
	}
	admin_audit_log(a, account, "rule added", "rule %u: tag %s, stage %s -> campaign %lld",
			r.id, r.tag, r.stage, (long long)r.campaign);
	admin_done(a, "account/%u", account, "ruleadded");
out:
	store_account_free(acct);
	form_free(f);
}

static const struct form_field key_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
	{ "codingame_key", FORM_STRING, 200, 0, 0, 0, NULL },
};

static int set_codingame_key(struct store_account *cur, void *key)
{
	char *k = strdup((const char *)key);

	if (!k)
		return 1;
	crypto_free_secret(cur->codingame_api_key);
	cur->codingame_api_key = k;
	return 0;
}

void admin_codingame_key(struct admin *a, uint32_t id)
{
	struct form *f = admin_form(a, key_fields, 2);
	struct store_account *acct = NULL;
	struct cg_campaign *c = NULL;
	struct codingame cg;
	size_t n = 0;
	char msg[600];

	if (!f || !(acct = admin_load_account(a, id)))
		goto out;
	if (!f->str[1][0]) {
		page(a, acct, 400, "Paste the key first.", NULL, NULL);
		goto out;
	}
	cg_init(&cg, a->conf->codingame_api_url, f->str[1]);
	if (cg_campaigns_list(&cg, &c, &n) != CG_OK) {
		/* What was typed is a secret: the field comes back empty. */
		snprintf(msg, sizeof msg, "CodinGame refused this key: %.400s", cg.error);
		page(a, acct, 400, msg, NULL, NULL);
		goto out;
	}
	/* Only the key changes: tokens a runner rotated meanwhile stay. */
	if (store_account_update(a->st, id, set_codingame_key, (void *)f->str[1]) != STORE_OK) {
		page_error(a->conf, a->r, 503, "Unavailable", "The key could not be saved; retry.");
		goto out;
	}
	admin_audit_log(a, id, "CodinGame key saved", "key checked (%zu campaigns)", n);
	admin_done(a, "account/%u", id, "keysaved");
out:
	cg_campaigns_free(c, n);
	store_account_free(acct);
	form_free(f);
}

static const struct form_field callback_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
	{ "on", FORM_INT, 1, 1, 0, 1, NULL },
	{ "replace", FORM_INT, 1, 0, 0, 1, NULL },   /* confirmed: replace another's URL */
};

void admin_callback(struct admin *a, uint32_t id)
{
	struct form *f = admin_form(a, callback_fields, 3);
	char err[600];
	int rc;

	if (!f)
		return;
	rc = account_callback(a->conf, a->st, id, f->num[1] && f->num[2] ?
			      ACCOUNT_CALLBACK_REPLACE : (int)f->num[1], err, sizeof err);
	if (rc > 0) {
		admin_callback_confirm(a, id, err);
	} else if (rc < 0) {
		page_error(a->conf, a->r, 400, "Callback not changed", err);
	} else {
		admin_audit_log(a, id, "callback", "%s", f->num[1] ? "on" : "off");
		admin_done(a, "account/%u", id, f->num[1] ? "callbackon" : "callbackoff");
	}
	form_free(f);
}

static const struct form_field disconnect_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
	{ "account", FORM_INT, 10, 1, 1, UINT32_MAX, NULL },
};

void admin_disconnect(struct admin *a)
{
	struct form *f = admin_form(a, disconnect_fields, 2);
	char msg[600];
	int rc;

	if (!f)
		return;
	rc = oauth_disconnect(a->conf, a->st, (uint32_t)f->num[1], a->user, msg, sizeof msg);
	if (rc < 0) {
		page_error(a->conf, a->r, 400, "Not disconnected", msg);
	} else {
		admin_audit_log(a, (uint32_t)f->num[1], "disconnected", "%s", rc ? msg : "Lever");
		if (rc > 0)
			page_error(a->conf, a->r, 200, "Disconnected, with a warning", msg);
		else
			admin_done(a, "account/%u", (uint32_t)f->num[1], "disconnected");
	}
	form_free(f);
}
