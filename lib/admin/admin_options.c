/* admin_options: the account's options form and its POST. */
#include <stdio.h>

#include "admin/admin_options.h"
#include "web/page.h"

static const struct form_field option_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
	{ "attach_report", FORM_INT, 1, 0, 1, 1, NULL },
	{ "forget_deletes_test", FORM_INT, 1, 0, 1, 1, NULL },
};

static void checkbox(struct html *h, const char *name, int on, const char *text)
{
	html_raw(h, "<label><input type=\"checkbox\" name=\"");
	html_attr(h, name);
	html_raw(h, "\" value=\"1\"");
	html_raw(h, on ? " checked>" : ">");
	html_raw(h, " ");
	html_txt(h, text);
	html_raw(h, "</label>\n");
}

void admin_options_form(struct admin *a, struct html *h, const struct store_account *acct)
{
	char url[1200];

	html_raw(h, "<h2>Options</h2>\n");
	admin_url(a, url, sizeof url, "account/%u/options", acct->id);
	html_raw(h, "<form class=\"block\" id=\"options\" method=\"post\" action=\"");
	html_attr(h, url);
	html_raw(h, "\">\n");
	page_csrf_field(a->conf, h, a->user);
	checkbox(h, "attach_report", acct->attach_report,
		 "Attach CodinGame's PDF report to the Lever opportunity when a test ends "
		 "(for hiring managers without a CodinGame seat)");
	checkbox(h, "forget_deletes_test", acct->forget_deletes_test,
		 "When a person is forgotten, also delete their test at CodinGame");
	html_raw(h, "<p><button type=\"submit\">Save options</button></p>\n</form>\n");
}

struct options { int attach_report, forget_deletes_test, changed; };

/* Runs in the account's update transaction (maybe more than once). */
static int set_options(struct store_account *cur, void *arg)
{
	struct options *o = arg;

	o->changed = cur->attach_report != o->attach_report ||
		     cur->forget_deletes_test != o->forget_deletes_test;
	cur->attach_report = o->attach_report;
	cur->forget_deletes_test = o->forget_deletes_test;
	return 0;
}

void admin_options(struct admin *a, uint32_t id)
{
	struct form *f = admin_form(a, option_fields, 3);
	struct options o;
	enum store_err se;

	if (!f)
		return;
	o.attach_report = f->present[1] && f->num[1] == 1;
	o.forget_deletes_test = f->present[2] && f->num[2] == 1;
	o.changed = 0;
	se = store_account_update(a->st, id, set_options, &o);
	if (se == STORE_NOTFOUND) {
		page_error(a->conf, a->r, 404, "Not found", "There is no such account.");
	} else if (se != STORE_OK) {
		page_error(a->conf, a->r, 503, "Unavailable", "The options could not be saved; retry.");
	} else {
		if (o.changed)
			admin_audit_log(a, id, "options", "attach report %s, forgetting deletes the "
					"test %s", o.attach_report ? "on" : "off",
					o.forget_deletes_test ? "on" : "off");
		admin_done(a, "account/%u", id, "optionssaved");
	}
	form_free(f);
}
