/* webhook.fcgi: Lever deliveries and CodinGame callbacks.
 * Verify, record durably, answer, then wake the account's runner: the
 * answer never waits on Lever or CodinGame. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/conf.h"
#include "domain/intake.h"
#include "base/log.h"
#include "store/prog.h"
#include "domain/queue.h"
#include "web/req.h"
#include "store/store.h"

struct ctx {
	struct conf *conf;
	struct store *st;
	uint32_t wake;     /* account whose runner to start after answering */
};

/* "123" or "123/" -> 123; 0 when not a plain account id. */
static uint32_t parse_account(const char *s)
{
	char *end;
	unsigned long long v;

	if (*s < '1' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v > UINT32_MAX || (*end && strcmp(end, "/") != 0))
		return 0;
	return (uint32_t)v;
}

/* Lever and CodinGame both POST; anything else is refused before any
 * lookup (a GET is no way to wake the queue runner). */
static void post_only(struct req *r)
{
	static const char msg[] = "405 Method Not Allowed: POST only\n";

	req_reply(r, 405, "text/plain; charset=utf-8", "Allow: POST\r\n", msg, sizeof msg - 1);
}

static void lever(struct ctx *x, struct req *r, const char *rest)
{
	struct store_account *acct = NULL;
	struct intake_result res;
	uint32_t id;
	enum store_err se;

	if (strcmp(r->method, "POST") != 0) {
		post_only(r);
		return;
	}
	if (!(id = parse_account(rest))) {
		req_reply_text(r, 404, "unknown account");
		return;
	}
	se = store_account_get(x->st, id, &acct);
	if (se == STORE_NOTFOUND) {
		req_reply_text(r, 404, "unknown account");
		return;
	}
	if (se != STORE_OK) {
		log_err("account %u: %s", id, store_last_error(x->st));
		req_reply_text(r, 503, "store unavailable, retry later");
		return;
	}
	switch (req_read_body(r, x->conf->max_body_bytes)) {
	case REQ_BODY_OK:
		break;
	case REQ_BODY_TOOBIG:
		req_reply_text(r, 413, "body over max_body_bytes");
		goto out;
	case REQ_BODY_NOMEM:
		req_reply_text(r, 503, "out of memory");
		goto out;
	default:
		req_reply_text(r, 400, "missing or short body");
		goto out;
	}
	intake_lever(x->st, acct, r->body, r->body_len, clock_wall_ms(),
		     (int64_t)x->conf->replay_window_seconds * 1000, &res);
	req_reply_text(r, res.status, res.reason);
	if (res.queued)
		x->wake = id;
out:
	store_account_free(acct);
}

/* "<account>/<secret>" from the CodinGame callback URL. */
static void codingame(struct ctx *x, struct req *r, const char *rest)
{
	struct store_account *acct = NULL;
	struct intake_result res;
	char idbuf[16];
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : 0;
	uint32_t id = 0;
	enum store_err se;

	if (strcmp(r->method, "POST") != 0) {
		post_only(r);
		return;
	}
	if (n > 0 && n < sizeof idbuf) {
		memcpy(idbuf, rest, n);
		idbuf[n] = '\0';
		id = parse_account(idbuf);
	}
	if (!id || !slash[1] || strchr(slash + 1, '/')) {
		req_reply_text(r, 404, "unknown callback");
		return;
	}
	se = store_account_get(x->st, id, &acct);
	if (se == STORE_NOTFOUND) {
		req_reply_text(r, 404, "unknown callback");
		return;
	}
	if (se != STORE_OK) {
		log_err("account %u: %s", id, store_last_error(x->st));
		req_reply_text(r, 503, "store unavailable, retry later");
		return;
	}
	switch (req_read_body(r, x->conf->max_body_bytes)) {
	case REQ_BODY_OK:
	case REQ_BODY_BAD:     /* no body: still "look again" */
		break;
	case REQ_BODY_TOOBIG:
		req_reply_text(r, 413, "body over max_body_bytes");
		goto out;
	default:
		req_reply_text(r, 503, "out of memory");
		goto out;
	}
	intake_codingame(x->st, acct, slash + 1, r->body ? r->body : "", r->body_len,
			 clock_wall_ms(), &res);
	req_reply_text(r, res.status, res.reason);
	if (res.queued)
		x->wake = id;
out:
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
