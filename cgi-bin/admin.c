/* admin.fcgi: the admin pages. Request routing only; the pages live in
 * lib/admin/. */
#include <stdio.h>
#include <string.h>

#include "admin/admin_account.h"
#include "admin/admin_activity.h"
#include "admin/admin_audit.h"
#include "admin/admin_backfill.h"
#include "admin/admin_campaigns.h"
#include "admin/admin_common.h"
#include "admin/admin_health.h"
#include "admin/admin_home.h"
#include "admin/admin_options.h"
#include "admin/admin_metrics.h"
#include "admin/admin_rules.h"
#include "base/num.h"
#include "store/prog.h"
#include "web/page.h"
#include "web/req.h"

/* "/account/12/rules" -> kind "account", id 12, tail "rules". */
static int split(const char *path, char *kind, size_t klen, uint32_t *id, const char **tail)
{
	const char *p = path + 1, *slash = strchr(p, '/'), *end;
	int64_t v;

	*id = 0;
	*tail = "";
	if (!slash) {
		snprintf(kind, klen, "%s", p);
		return 0;
	}
	snprintf(kind, klen, "%.*s", (int)(slash - p), p);
	if (slash[1] == '0')   /* one spelling per page: no leading zero */
		return -1;
	end = slash + 1 + strcspn(slash + 1, "/");
	if (num_parse(slash + 1, (size_t)(end - slash - 1), 1, UINT32_MAX, &v) != NUM_OK)
		return -1;
	*id = (uint32_t)v;
	*tail = *end ? end + 1 : "";
	return strchr(*tail, '/') ? -1 : 0;
}

/* kind[/id][/tail] and the method -> the page: page for a path without
 * an id, page_id for one with. */
static const struct route {
	const char *kind, *tail;
	int post;
	void (*page)(struct admin *a);
	void (*page_id)(struct admin *a, uint32_t id);
} routes[] = {
	{ "account", "", 1, admin_account_create, NULL },
	{ "disconnect", "", 1, admin_disconnect, NULL },
	{ "audit", "", 0, admin_audit, NULL },
	{ "style.css", "", 0, admin_css, NULL },
	{ "account", "", 0, NULL, admin_account },
	{ "account", "codingame", 1, NULL, admin_codingame_key },
	{ "account", "callback", 1, NULL, admin_callback },
	{ "account", "rules", 1, NULL, admin_rule_create },
	{ "account", "activity", 0, NULL, admin_activity },
	{ "account", "action", 1, NULL, admin_action },
	{ "account", "campaigns", 0, NULL, admin_campaigns },
	{ "account", "options", 1, NULL, admin_options },
	{ "rule", "", 1, NULL, admin_rule_update },
	{ "rule", "edit", 0, NULL, admin_rule_edit },
	{ "rule", "delete", 1, NULL, admin_rule_delete },
	{ "rule", "preview", 1, NULL, admin_backfill },
	{ "rule", "backfill", 1, NULL, admin_backfill_confirm },
	{ "account", "webhookcheck", 1, NULL, admin_webhooks_check },
	{ "account", "webhooks", 1, NULL, admin_webhooks_register },
	{ "metrics", "", 0, admin_metrics, NULL },
};

static void dispatch(struct admin *a)
{
	const char *path = a->r->path_info, *tail;
	char kind[32];
	uint32_t id;
	int get = strcmp(a->r->method, "GET") == 0, post = strcmp(a->r->method, "POST") == 0;

	if (!*path || strcmp(path, "/") == 0) {
		admin_home(a);
		return;
	}
	if (split(path, kind, sizeof kind, &id, &tail) < 0) {
		page_error(a->conf, a->r, 404, "Not found", "No such page.");
		return;
	}
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const struct route *rt = &routes[i];

		if (strcmp(rt->kind, kind) != 0 || strcmp(rt->tail, tail) != 0 ||
		    !(rt->post ? post : get) || !id != !rt->page_id)
			continue;
		if (rt->page)
			rt->page(a);
		else
			rt->page_id(a, id);
		return;
	}
	if (get || post)
		page_error(a->conf, a->r, 404, "Not found", "No such page.");
	else
		req_reply_text(a->r, 405, "GET or POST only");
}

int main(void)
{
	struct conf *conf;
	struct store *st;
	struct req r;

	if (prog_open("admin.fcgi", &conf, &st) < 0)
		return 1;
	if (req_init(&r) < 0) {
		prog_close(conf, st);
		return 1;
	}
	while (req_accept(&r)) {
		struct admin a = { conf, st, &r, NULL };

		if (page_same_site(conf, &r) && (a.user = page_admin(conf, &r)))
			dispatch(&a);
		req_finish(&r);
	}
	req_free(&r);
	prog_close(conf, st);
	return 0;
}
