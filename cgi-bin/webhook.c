/* webhook.fcgi: Lever deliveries and CodinGame callbacks.
 * Verify, record durably, answer, then wake the account's runner: the
 * answer never waits on Lever or CodinGame. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/conf.h"
#include "domain/intake.h"
#include "base/log.h"
#include "base/num.h"
#include "store/prog.h"
#include "domain/queue.h"
#include "web/req.h"
#include "store/store.h"

struct ctx {
	struct conf *conf;
	struct store *st;
	uint32_t wake;     /* account whose runner to start after answering */
};

/* Lever and CodinGame both POST; anything else is refused before any
 * lookup (a GET is no way to wake the queue runner). */
static void post_only(struct req *r)
{
	static const char msg[] = "405 Method Not Allowed: POST only\n";

	req_reply(r, 405, "text/plain; charset=utf-8", "Allow: POST\r\n", msg, sizeof msg - 1);
}

/* The account named by the n bytes at s (a plain id: no sign, no leading
 * zero) of a POST with its body read; NULL once an answer is sent (unknown
 * is the text of the 404). body_optional: a POST without a body goes on. */
static struct store_account *account_post(struct ctx *x, struct req *r, const char *s,
					  size_t n, const char *unknown, int body_optional)
{
	struct store_account *acct = NULL;
	enum store_err se;
	int64_t id;

	if (strcmp(r->method, "POST") != 0) {
		post_only(r);
		return NULL;
	}
	if (n == 0 || s[0] == '0' || num_parse(s, n, 1, UINT32_MAX, &id) != NUM_OK ||
	    (se = store_account_get(x->st, (uint32_t)id, &acct)) == STORE_NOTFOUND) {
		req_reply_text(r, 404, unknown);
		return NULL;
	}
	if (se != STORE_OK) {
		log_err("account %lld: %s", (long long)id, store_last_error(x->st));
		req_reply_text(r, 503, "store unavailable, retry later");
		return NULL;
	}
	switch (req_read_body(r, x->conf->max_body_bytes)) {
	case REQ_BODY_OK:
		return acct;
	case REQ_BODY_BAD:
		if (body_optional)
			return acct;
		req_reply_text(r, 400, "missing or short body");
		break;
	case REQ_BODY_TOOBIG:
		req_reply_text(r, 413, "body over max_body_bytes");
		break;
	case REQ_BODY_NOMEM:
		req_reply_text(r, 503, "out of memory");
		break;
	}
	store_account_free(acct);
	return NULL;
}

/* "/lever/<account>", a slash after it allowed. */
static void lever(struct ctx *x, struct req *r, const char *rest)
{
	size_t n = strcspn(rest, "/");
	struct store_account *acct;
	struct intake_result res;

	if (rest[n] == '/' && rest[n + 1]) /* only a trailing slash */
		n = 0;
	if (!(acct = account_post(x, r, rest, n, "unknown account", 0)))
		return;
	intake_lever(x->st, acct, r->body, r->body_len, clock_wall_ms(),
		     (int64_t)x->conf->replay_window_seconds * 1000, &res);
	req_reply_text(r, res.status, res.reason);
	if (res.queued)
		x->wake = acct->id;
	store_account_free(acct);
}

/* "/codingame/<account>/<secret>" from the CodinGame callback URL. */
static void codingame(struct ctx *x, struct req *r, const char *rest)
{
	const char *slash = strchr(rest, '/');
	struct store_account *acct;
	struct intake_result res;

	if (!slash || !slash[1] || strchr(slash + 1, '/'))
		slash = rest; /* no account: a 404 below */
	if (!(acct = account_post(x, r, rest, (size_t)(slash - rest), "unknown callback", 1)))
		return;
	/* No body: still "look again". */
	intake_codingame(x->st, acct, slash + 1, r->body ? r->body : "", r->body_len,
			 clock_wall_ms(), &res);
	req_reply_text(r, res.status, res.reason);
	if (res.queued)
		x->wake = acct->id;
	store_account_free(acct);
}

static const struct route {
	const char *prefix;
	void (*fn)(struct ctx *, struct req *, const char *rest);
} routes[] = {
	{ "/lever/", lever },
	{ "/codingame/", codingame },
};

int main(void)
{
	struct ctx x = { 0 };
	struct req r;

	if (prog_open("webhook.fcgi", &x.conf, &x.st) < 0)
		return 1;
	if (req_init(&r) < 0) {
		log_err("FastCGI initialisation failed");
		prog_close(x.conf, x.st);
		return 1;
	}
	while (req_accept(&r)) {
		size_t i;

		x.wake = 0;
		for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
			size_t n = strlen(routes[i].prefix);

			if (strncmp(r.path_info, routes[i].prefix, n) == 0) {
				routes[i].fn(&x, &r, r.path_info + n);
				break;
			}
		}
		if (i == sizeof routes / sizeof routes[0])
			req_reply_text(&r, 404, "no such endpoint");
		/* Answer first (fcgiwrap's rule), then start the runner. */
		req_finish(&r);
		if (x.wake)
			queue_wake(x.conf, x.wake);
	}
	req_free(&r);
	prog_close(x.conf, x.st);
	return 0;
}
