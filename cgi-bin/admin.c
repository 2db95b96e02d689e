/* admin.fcgi: the accounts and their Lever connection. (Rules and the
 * activity pages come with the admin-pages issue; cglever-ctl covers them
 * meanwhile.) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "oauth.h"
#include "page.h"
#include "req.h"
#include "store.h"

struct ctx {
	struct conf *conf;
	struct store *st;
};

static const struct form_field view_fields[] = {
	{ "msg", FORM_STRING, 20, 0, 0, 0, "abcdefghijklmnopqrstuvwxyz" },
	{ "account", FORM_INT, 10, 0, 0, UINT32_MAX, NULL },
};

static void when(struct html *h, int64_t ms)
{
	char buf[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
	html_txt(h, buf);
}

static void account_row(struct ctx *x, struct html *h, const char *user,
			const struct store_account *a)
{
	char action[1200], id[16];
	int connected = !a->disconnected && (a->lever_api_key || a->refresh_token);

	snprintf(id, sizeof id, "%u", a->id);
	html_raw(h, "<tr><td>");
	html_int(h, a->id);
	html_raw(h, "</td><td>");
	html_txt(h, a->name);
	html_raw(h, "</td><td>");
	if (connected) {
		html_txt(h, a->refresh_token ? "connected (OAuth)" : "connected (API key)");
	} else {
		html_raw(h, "<strong>disconnected</strong>");
		if (a->disconnected_at) {
			html_txt(h, " since ");
			when(h, a->disconnected_at);
		}
		if (a->disconnected_reason) {
			html_raw(h, "<br>");
			html_txt(h, a->disconnected_reason);
		}
	}
	html_raw(h, "</td><td>");
	snprintf(action, sizeof action, "%s/oauth.fcgi/start", x->conf->public_url);
	html_form_begin(h, action, "post");
	page_csrf_field(x->conf, h, user);
	html_hidden(h, "account", id);
	html_button(h, connected ? "Reconnect Lever" : (a->disconnected ? "Reconnect Lever"
									 : "Connect Lever"));
	html_form_end(h);
	if (connected) {
		snprintf(action, sizeof action, "%s/admin.fcgi/disconnect", x->conf->public_url);
		html_form_begin(h, action, "post");
		page_csrf_field(x->conf, h, user);
		html_hidden(h, "account", id);
		html_button(h, "Disconnect");
		html_form_end(h);
	}
	html_raw(h, "</td></tr>\n");
}

static void view(struct ctx *x, struct req *r, const char *user)
{
	struct store_account **a = NULL;
	struct form *f = NULL;
	struct html h;
	size_t n = 0;

	if (strcmp(r->method, "GET") != 0) {
		req_reply_text(r, 405, "GET only");
		return;
	}
	if (form_parse_ex(view_fields, 2, r->query, strlen(r->query), FORM_ALLOW_UNKNOWN, &f) < 0) {
		page_error(x->conf, r, 400, "Bad request", f ? f->error : "out of memory");
		form_free(f);
		return;
	}
	if (store_account_list(x->st, &a, &n) != STORE_OK) {
		log_err("%s", store_last_error(x->st));
		page_error(x->conf, r, 503, "Unavailable", "The store is unavailable; retry later.");
		form_free(f);
		return;
	}
	html_init(&h);
	html_page_begin(&h, "cglever");
	if (strcmp(f->str[0], "connected") == 0) {
		char msg[300];

		snprintf(msg, sizeof msg, "Lever is connected for account %lld and cglever's "
			 "webhook is registered. One step is left in Lever: Settings > Integrations "
			 "and API > Webhooks, switch the \"Candidate Stage Change\" webhook group on.",
			 (long long)f->num[1]);
		html_message(&h, "ok", msg);
	} else if (strcmp(f->str[0], "disconnected") == 0) {
		html_message(&h, "ok", "Disconnected: cglever's webhook was removed from Lever and "
			     "its tokens forgotten. Rules and history are kept.");
	}
	html_raw(&h, "<h2>Accounts</h2>\n<table>\n<tr><th>Id</th><th>Name</th><th>Lever</th>"
		     "<th></th></tr>\n");
	for (size_t i = 0; i < n; i++)
		account_row(x, &h, user, a[i]);
	html_raw(&h, "</table>\n");
	if (!n)
		html_raw(&h, "<p>No account yet: create one with <code>cglever-ctl account add "
			     "NAME</code>.</p>\n");
	html_page_end(&h);
	page_send(r, 200, &h);
	html_free(&h);
	store_accounts_free(a, n);
	form_free(f);
}

static const struct form_field disconnect_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
	{ "account", FORM_INT, 10, 1, 1, UINT32_MAX, NULL },
};

static void disconnect(struct ctx *x, struct req *r, const char *user)
{
	struct form *f = page_post_form(x->conf, r, user, disconnect_fields, 2);
	char msg[600], url[1200];
	int rc;

	if (!f)
		return;
	rc = oauth_disconnect(x->conf, x->st, (uint32_t)f->num[1], user, msg, sizeof msg);
	if (rc < 0) {
		page_error(x->conf, r, 400, "Not disconnected", msg);
	} else if (rc > 0) {
		page_error(x->conf, r, 200, "Disconnected, with a warning", msg);
	} else {
		page_admin_url(x->conf, url, sizeof url);
		strncat(url, "?msg=disconnected", sizeof url - strlen(url) - 1);
		page_redirect(r, url);
	}
	form_free(f);
}

int main(void)
{
	struct ctx x = { 0 };
	struct req r;
	char err[1024];
	int rc = 1;

	signal(SIGPIPE, SIG_IGN);
	log_init("admin", LOG_LEVEL_INFO);
	if (conf_load(NULL, &x.conf, err, sizeof err) < 0) {
		fprintf(stderr, "admin.fcgi: %s\n", err);
		return 1;
	}
	log_set_level(x.conf->log_level);
	if (store_open(x.conf, &x.st, err, sizeof err) != STORE_OK) {
		log_err("%s", err);
		goto out;
	}
	if (req_init(&r) < 0)
		goto out;
	while (req_accept(&r)) {
		const char *user = page_admin(x.conf, &r);

		if (!user)
			;   /* answered */
		else if (strcmp(r.path_info, "") == 0 || strcmp(r.path_info, "/") == 0)
			view(&x, &r, user);
		else if (strcmp(r.path_info, "/disconnect") == 0)
			disconnect(&x, &r, user);
		else
			page_error(x.conf, &r, 404, "Not found", "No such page.");
		req_finish(&r);
	}
	req_free(&r);
	rc = 0;
out:
	store_close(x.st);
	conf_free(x.conf);
	return rc;
}
