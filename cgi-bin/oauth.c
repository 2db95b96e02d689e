/* oauth.fcgi: /start (POST from the admin page) and /callback (Lever
 * sends the browser back here). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/log.h"
#include "domain/oauth.h"
#include "web/page.h"
#include "store/prog.h"
#include "domain/queue.h"
#include "web/req.h"
#include "store/store.h"

#define HEX "0123456789abcdef"

struct ctx {
	struct conf *conf;
	struct store *st;
	uint32_t wake;
};

static const struct form_field start_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789." HEX },
	{ "account", FORM_INT, 10, 1, 1, UINT32_MAX, NULL },
};

static void start(struct ctx *x, struct req *r, const char *user)
{
	struct form *f = page_post_form(x->conf, r, user, start_fields, 2);
	char err[600], *url = NULL;

	if (!f)
		return;
	if (oauth_start(x->conf, x->st, (uint32_t)f->num[1], user, &url, err, sizeof err) < 0)
		page_error(x->conf, r, 400, "Cannot connect", err);
	else
		page_redirect(r, url);
	free(url);
	form_free(f);
}

static const struct form_field callback_fields[] = {
	{ "code", FORM_STRING, 512, 0, 0, 0, NULL },
	{ "state", FORM_STRING, 128, 0, 0, 0, HEX },
	{ "error", FORM_STRING, 100, 0, 0, 0, NULL },
	{ "error_description", FORM_STRING, 500, 0, 0, 0, NULL },
};

static const char *opt(const struct form *f, int i)
{
	return f->present[i] && f->str[i][0] ? f->str[i] : NULL;
}

static void callback(struct ctx *x, struct req *r, const char *user)
{
	struct oauth_result res;
	struct form *f = NULL;
	char url[1200];

	if (strcmp(r->method, "GET") != 0) {
		req_reply_text(r, 405, "GET only");
		return;
	}
	/* Lever may add parameters: ignore those we do not use. */
	if (form_parse_ex(callback_fields, 4, r->query, strlen(r->query), FORM_ALLOW_UNKNOWN,
			  &f) < 0) {
		page_error(x->conf, r, 400, "Bad answer from Lever", f ? f->error : "out of memory");
		form_free(f);
		return;
	}
	oauth_finish(x->conf, x->st, user, opt(f, 1), opt(f, 0), opt(f, 2), opt(f, 3), &res);
	if (res.status == 303) {
		page_admin_url(x->conf, url, sizeof url);
		snprintf(url + strlen(url), sizeof url - strlen(url), "?msg=connected&account=%u",
			 res.account);
		page_redirect(r, url);
		x->wake = res.account;   /* jobs parked while disconnected */
	} else {
		page_error(x->conf, r, res.status, "Lever was not connected", res.message);
	}
	form_free(f);
}

int main(void)
{
	struct ctx x = { 0 };
	struct req r;

	if (prog_open("oauth.fcgi", &x.conf, &x.st) < 0)
		return 1;
	if (req_init(&r) < 0) {
		prog_close(x.conf, x.st);
		return 1;
	}
	while (req_accept(&r)) {
		const char *user = page_admin(x.conf, &r);

		x.wake = 0;
		if (!user)
			;   /* answered */
		else if (strcmp(r.path_info, "/start") == 0)
			start(&x, &r, user);
		else if (strcmp(r.path_info, "/callback") == 0)
			callback(&x, &r, user);
		else
			page_error(x.conf, &r, 404, "Not found", "No such page.");
		req_finish(&r);
		if (x.wake)
			queue_wake(x.conf, x.wake);
	}
	req_free(&r);
	prog_close(x.conf, x.st);
	return 0;
}
