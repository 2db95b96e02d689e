/* admin_audit: who changed what and when. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/admin_audit.h"
#include "admin/admin_common.h"
#include "web/page.h"

void admin_audit(struct admin *a)
{
	struct store_audit **list = NULL;
	struct html h;
	size_t n = 0;

	if (store_audit_list(a->st, 0, 0, 200, &list, &n) != STORE_OK) {
		page_error(a->conf, a->r, 503, "Unavailable", "The store is unavailable; retry later.");
		return;
	}
	admin_begin(a, &h, "Audit log");
	html_raw(&h, "<table>\n<tr><th>When</th><th>Who</th><th>Account</th><th>What</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		char when[40];
		time_t t = (time_t)(list[i]->at / 1000);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
		html_raw(&h, "<tr><td>");
		html_txt(&h, when);
		html_raw(&h, "</td><td>");
		html_txt(&h, list[i]->user);
		html_raw(&h, "</td><td>");
		html_int(&h, list[i]->account);
		html_raw(&h, "</td><td>");
		html_txt(&h, list[i]->action);
		html_txt(&h, ": ");
		html_txt(&h, list[i]->detail);
		html_raw(&h, "</td></tr>\n");
	}
	html_raw(&h, "</table>\n");
	if (!n)
		html_raw(&h, "<p>Nothing yet.</p>\n");
	store_audits_free(list, n);
	admin_end(a, &h, 200);
}
