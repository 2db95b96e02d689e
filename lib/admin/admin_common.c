/* admin_common: what every admin page shares. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_common.h"
#include "base/log.h"
#include "web/page.h"

void admin_url(const struct admin *a, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(buf, len, "%s/admin.fcgi/", a->conf->public_url);

	if (n < 0 || (size_t)n >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	va_end(ap);
}

void admin_begin(struct admin *a, struct html *h, const char *title)
{
	char url[1200];

	html_init(h);
	html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>");
	html_txt(h, title);
	html_raw(h, " - cglever</title>\n<link rel=\"stylesheet\" href=\"");
	admin_url(a, url, sizeof url, "style.css");
	html_attr(h, url);
	html_raw(h, "\">\n</head>\n<body>\n<header><nav><a href=\"");
	admin_url(a, url, sizeof url, "%s", "");
	html_attr(h, url);
	html_raw(h, "\">cglever</a> <a href=\"");
	admin_url(a, url, sizeof url, "audit");
	html_attr(h, url);
	html_raw(h, "\">Audit log</a> <span>");
	html_txt(h, a->user);
	html_raw(h, "</span></nav></header>\n<main>\n<h1>");
	html_txt(h, title);
	html_raw(h, "</h1>\n");
	if (*a->r->query) {
		/* Only known codes are shown: nothing from the URL is echoed. */
		const char *q = strstr(a->r->query, "msg=");
		char code[32];

		if (q && (q == a->r->query || q[-1] == '&')) {
			snprintf(code, sizeof code, "%.*s", (int)strcspn(q + 4, "&"), q + 4);
			if (admin_message(code))
				html_message(h, "ok", admin_message(code));
		}
	}
}

void admin_end(struct admin *a, struct html *h, int status)
{
	html_raw(h, "</main>\n</body>\n</html>\n");
	page_send(a->r, status, h);
	html_free(h);
}

void admin_back_link(struct admin *a, struct html *h, const struct store_account *acct)
{
	char url[1200];

	admin_url(a, url, sizeof url, "account/%u", acct->id);
	html_raw(h, "<p><a href=\"");
	html_attr(h, url);
	html_raw(h, "\">Back to ");
	html_txt(h, acct->name);
	html_raw(h, "</a></p>\n");
}

int64_t admin_job_waiting_ms(const struct store_job *j, int64_t now)
{
	int64_t since = j->due > j->created_at ? j->due : j->created_at;

	return j->failed || since >= now ? 0 : now - since;
}

void admin_duration(struct html *h, int64_t ms)
{
	/* From two days on in days, below that in the largest unit that fits. */
	static const struct { int64_t from, unit; const char *name; } units[] = {
		{ 2 * 86400000LL, 86400000, " days" }, { 3600000, 3600000, " h" },
		{ 60000, 60000, " min" }, { 0, 1000, " s" },
	};
	size_t i = 0;

	while (units[i].from > 0 && ms < units[i].from)
		i++;
	html_int(h, (ms > 0 ? ms : 0) / units[i].unit);
	html_txt(h, units[i].name);
}

static const struct { const char *code, *text; } messages[] = {
	{ "created", "Account created. Connect Lever and save the CodinGame key next." },
	{ "keysaved", "CodinGame key checked and saved." },
	{ "optionssaved", "Options saved." },
	{ "callbackon", "CodinGame will now call cglever when a test ends." },
	{ "callbackoff", "CodinGame's callback is off; results arrive by polling." },
	{ "ruleadded", "Rule added. It applies to stage changes from now on." },
	{ "rulesaved", "Rule saved." },
	{ "ruledeleted", "Rule deleted." },
	{ "retried", "The job will run again now." },
	{ "resent", "CodinGame sent the invitation email again." },
	{ "cancelled", "The test was cancelled in CodinGame; the note on the Lever timeline "
		       "follows in a moment." },
	{ "backfilled", "The test is on its way to the candidates already in the stage." },
	{ "connected", "Lever is connected and cglever's webhooks registered. One step is left "
		       "in Lever: Settings > Integrations and API > Webhooks, switch the "
		       "\"Candidate Stage Change\" and \"Candidate Deleted\" webhook groups on." },
	{ "disconnected", "Disconnected: cglever's webhooks were removed from Lever and its tokens "
			  "forgotten. Rules and history are kept." },
	{ "webhookschecked", "Looked for cglever's webhooks in Lever: the Health panel says "
			     "what was found." },
	{ "webhooksregistered", "cglever's webhooks are registered in Lever again. The webhook "
				"group must be switched on in Lever (Settings > Integrations and "
				"API > Webhooks)." },
};

const char *admin_message(const char *code)
{
	for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++)
		if (strcmp(messages[i].code, code) == 0)
			return messages[i].text;
	return NULL;
}

void admin_done(struct admin *a, const char *fmt_path, uint32_t id, const char *msg)
{
	char path[200], url[1400];

	snprintf(path, sizeof path, fmt_path, id);
	admin_url(a, url, sizeof url, "%s?msg=%s", path, msg);
	page_redirect(a->r, url);
}

struct store_account *admin_load_account(struct admin *a, uint32_t id)
{
	struct store_account *acct = NULL;
	enum store_err e = store_account_get(a->st, id, &acct);

	if (e == STORE_NOTFOUND)
		page_error(a->conf, a->r, 404, "Not found", "There is no such account.");
	else if (e != STORE_OK)
		page_error(a->conf, a->r, 503, "Unavailable", "The store is unavailable; retry later.");
	return e == STORE_OK ? acct : NULL;
}

struct form *admin_form(struct admin *a, const struct form_field *tbl, size_t n)
{
	return page_post_form(a->conf, a->r, a->user, tbl, n);
}

void admin_audit_log(struct admin *a, uint32_t account, const char *action, const char *fmt, ...)
{
	char detail[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	if (store_audit_add(a->st, a->user, account, action, detail) != STORE_OK)
		log_err("audit log: %s", store_last_error(a->st));
	log_info("admin %s: %s %s", a->user, action, detail);
}

void admin_button(struct admin *a, struct html *h, const char *action_path,
		  const char *label, const char *name, const char *value)
{
	char url[1200];

	admin_url(a, url, sizeof url, "%s", action_path);
	html_form_begin(h, url, "post");
	page_csrf_field(a->conf, h, a->user);
	if (name)
		html_hidden(h, name, value);
	html_button(h, label);
	html_form_end(h);
}

void admin_css(struct admin *a)
{
	static const char css[] =
		"body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}"
		"header{background:#234;padding:.5em 1em}header a,header span{color:#fff;margin-right:1em}"
		"main{max-width:60em;margin:0 auto;padding:1em}"
		"table{border-collapse:collapse;width:100%;margin:1em 0}"
		"th,td{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}"
		"form{display:inline-block;margin:.2em 0}"
		"form.block{display:block;background:#fff;border:1px solid #ddd;padding:1em;margin:1em 0}"
		"label{display:block;margin:.5em 0 .2em}input,select{max-width:100%;font-size:1em}"
		".msg{padding:.6em;border-radius:4px}.ok{background:#e6f4e6}.error{background:#fbe3e3}"
		".field-error{color:#a00;margin:.2em 0}"
		"svg.chart{display:block;width:100%;max-width:34rem;height:auto;margin:.5em 0}"
		"@media (max-width:40em){table,td,th{font-size:.9em}}";

	req_reply(a->r, 200, "text/css; charset=utf-8", NULL, css,
		  sizeof css - 1);
}
