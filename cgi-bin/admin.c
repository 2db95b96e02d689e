/* admin.fcgi: the admin pages. Argument parsing and dispatch only; the
 * pages live in lib/admin_*.c. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/num.h"
#include "domain/oauth.h"
#include "web/page.h"
#include "store/prog.h"
#include "web/req.h"
#include "store/store.h"

static const struct form_field disconnect_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
	{ "account", FORM_INT, 10, 1, 1, UINT32_MAX, NULL },
};

static void disconnect(struct admin *a)
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
	if (slash[1] < '1' || slash[1] > '9')
		return -1;
	end = slash + 1 + strcspn(slash + 1, "/");
	if (num_parse(slash + 1, (size_t)(end - slash - 1), 1, UINT32_MAX, &v) != NUM_OK)
		return -1;
	*id = (uint32_t)v;
	*tail = *end ? end + 1 : "";
	return strchr(*tail, '/') ? -1 : 0;
}

static void dispatch(struct admin *a)
{
	const char *path = a->r->path_info, *tail;
	const char *m = a->r->method;
	char kind[32];
	uint32_t id;
	int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;

	if (!*path || strcmp(path, "/") == 0)
		{ admin_home(a); return; }
	if (split(path, kind, sizeof kind, &id, &tail) < 0)
		goto notfound;
	if (!id) {
		if (strcmp(kind, "account") == 0 && post)
			{ admin_account_create(a); return; }
		if (strcmp(kind, "disconnect") == 0 && post)
			{ disconnect(a); return; }
		if (strcmp(kind, "audit") == 0 && get)
			{ admin_audit(a); return; }
		if (strcmp(kind, "style.css") == 0 && get)
			{ admin_css(a); return; }
	} else if (strcmp(kind, "account") == 0) {
		if (!*tail && get)
			{ admin_account(a, id); return; }
		if (strcmp(tail, "codingame") == 0 && post)
			{ admin_codingame_key(a, id); return; }
		if (strcmp(tail, "callback") == 0 && post)
			{ admin_callback(a, id); return; }
		if (strcmp(tail, "rules") == 0 && post)
			{ admin_rule_create(a, id); return; }
		if (strcmp(tail, "activity") == 0 && get)
			{ admin_activity(a, id); return; }
		if (strcmp(tail, "action") == 0 && post)
			{ admin_action(a, id); return; }
		if (strcmp(tail, "campaigns") == 0 && get)
			{ admin_campaigns(a, id); return; }
	} else if (strcmp(kind, "rule") == 0) {
		if (!*tail && post)
			{ admin_rule_update(a, id); return; }
		if (strcmp(tail, "edit") == 0 && get)
			{ admin_rule_edit(a, id); return; }
		if (strcmp(tail, "delete") == 0 && post)
			{ admin_rule_delete(a, id); return; }
		if (strcmp(tail, "preview") == 0 && post)
			{ admin_backfill(a, id); return; }
		if (strcmp(tail, "backfill") == 0 && post)
			{ admin_backfill_confirm(a, id); return; }
	}
	if (get || post) {
notfound:
		page_error(a->conf, a->r, 404, "Not found", "No such page.");
		return;
	}
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
