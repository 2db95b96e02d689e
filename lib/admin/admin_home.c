/* admin_home: the accounts, and a new one. */
#include <stdio.h>
#include <string.h>

#include "admin/admin_common.h"
#include "admin/admin_home.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "web/page.h"

static void status_cell(struct html *h, const struct store_account *acct)
{
	if (acct->disconnected)
		html_raw(h, "<strong>disconnected</strong>");
	else if (acct->refresh_token)
		html_txt(h, "connected (OAuth)");
	else if (acct->lever_api_key)
		html_txt(h, "connected (API key)");
	else
		html_txt(h, "not connected");
	if (acct->disconnected && acct->disconnected_reason) {
		html_raw(h, "<br>");
		html_txt(h, acct->disconnected_reason);
	}
}

static void home(struct admin *a, int status, const char *name, const char *error)
{
	struct store_account **acc = NULL;
	struct html h;
	char url[1200];
	size_t n = 0;

	if (store_account_list(a->st, &acc, &n) != STORE_OK) {
		page_error(a->conf, a->r, 503, "Unavailable", "The store is unavailable; retry later.");
		return;
	}
	admin_begin(a, &h, "Accounts");
	html_raw(&h, "<table>\n<tr><th>Account</th><th>Lever</th><th>Webhook</th>"
		     "<th>CodinGame key</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		html_raw(&h, "<tr><td><a href=\"");
		admin_url(a, url, sizeof url, "account/%u", acc[i]->id);
		html_attr(&h, url);
		html_raw(&h, "\">");
		html_txt(&h, acc[i]->name);
		html_raw(&h, "</a></td><td>");
		status_cell(&h, acc[i]);
		html_raw(&h, "</td><td>");
		html_txt(&h, acc[i]->webhook_id ? "registered" : acc[i]->webhook_token ? "made by hand"
										   : "none");
		html_raw(&h, "</td><td>");
		html_txt(&h, acc[i]->codingame_api_key ? "saved" : "none");
		html_raw(&h, "</td></tr>\n");
	}
	html_raw(&h, "</table>\n");
	if (!n)
		html_raw(&h, "<p>No account yet.</p>\n");
	admin_url(a, url, sizeof url, "account");
	html_raw(&h, "<form class=\"block\" method=\"post\" action=\"");
	html_attr(&h, url);
	html_raw(&h, "\">\n<h2>New account</h2>\n");
	page_csrf_field(a->conf, &h, a->user);
	html_raw(&h, "<label for=\"name\">Name</label>\n");
	if (error) {
		html_raw(&h, "<p class=\"field-error\" id=\"name-error\">");
		html_txt(&h, error);
		html_raw(&h, "</p>\n");
	}
	html_raw(&h, "<input id=\"name\" name=\"name\" maxlength=\"100\" required value=\"");
	html_attr(&h, name ? name : "");
	html_raw(&h, "\">\n<button type=\"submit\">Create account</button>\n</form>\n");
	store_accounts_free(acc, n);
	admin_end(a, &h, status);
}

void admin_home(struct admin *a)
{
	home(a, 200, NULL, NULL);
}

static const struct form_field create_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
	{ "name", FORM_STRING, 100, 0, 0, 0, NULL },
};

void admin_account_create(struct admin *a)
{
	struct form *f = admin_form(a, create_fields, 2);
	struct store_account acct;
	char secret[65];
	enum store_err e;

	if (!f)
		return;
	if (!f->str[1][0]) {
		home(a, 400, f->str[1], "A name is required.");
		goto out;
	}
	memset(&acct, 0, sizeof acct);
	if (crypto_random_hex(secret, 24) < 0) {
		page_error(a->conf, a->r, 503, "Unavailable", "No random bytes.");
		goto out;
	}
	acct.name = (char *)f->str[1];
	acct.callback_secret = secret;
	acct.created_at = clock_wall_ms();
	e = store_account_add(a->st, &acct);
	if (e == STORE_EXISTS) {
		home(a, 400, f->str[1], "An account with this name exists already.");
		goto out;
	}
	if (e != STORE_OK) {
		page_error(a->conf, a->r, 503, "Unavailable", "The store is unavailable; retry later.");
		goto out;
	}
	admin_audit_log(a, acct.id, "account created", "name %s", acct.name);
	admin_done(a, "account/%u", acct.id, "created");
out:
	form_free(f);
}
