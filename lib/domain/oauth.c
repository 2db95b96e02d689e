/* oauth: the authorization-code flow of API-NOTES.md. The state is
 * random, single use (taken from the store in one transaction), expires
 * after 10 minutes and belongs to the admin who started the flow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "domain/hooks.h"
#include "base/crypto.h"
#include "net/http.h"
#include "clients/lever.h"
#include "clients/leverauth.h"
#include "base/log.h"
#include "domain/oauth.h"

void oauth_redirect_uri(const struct conf *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/oauth.fcgi/callback", c->public_url);
}

int oauth_start(const struct conf *c, struct store *st, uint32_t account, const char *user,
		char **url_alloc, char *err, size_t errlen)
{
	struct store_oauth_state s;
	struct store_account *a = NULL;
	char state[65], redirect[1024];
	const char *names[] = { "client_id", "redirect_uri", "response_type", "state",
				"audience", "scope", "prompt" };
	const char *values[7];
	char *url = NULL;
	size_t len = 0;
	FILE *f = NULL;
	int rc = -1;

	*url_alloc = NULL;
	if (!c->lever_client_id || !c->lever_client_secret) {
		snprintf(err, errlen, "OAuth is not configured: set lever_client_id and "
			 "lever_client_secret in %s (see INSTALL)", c->path);
		return -1;
	}
	if (store_account_get(st, account, &a) != STORE_OK) {
		snprintf(err, errlen, "no account %u", account);
		return -1;
	}
	store_account_free(a);
	if (crypto_random_hex(state, 32) < 0) {
		snprintf(err, errlen, "no random bytes");
		return -1;
	}
	s.state = state;
	s.account = account;
	s.user = (char *)user;
	s.expires_at = clock_wall_ms() + (int64_t)c->oauth_state_seconds * 1000;
	if (store_oauth_state_put(st, &s) != STORE_OK) {
		snprintf(err, errlen, "store: %.300s", store_last_error(st));
		return -1;
	}
	oauth_redirect_uri(c, redirect, sizeof redirect);
	values[0] = c->lever_client_id;
	values[1] = redirect;
	values[2] = "code";
	values[3] = state;
	values[4] = c->lever_audience;
	values[5] = OAUTH_SCOPES;
	values[6] = "consent";
	if (!(f = open_memstream(&url, &len)))
		goto nomem;
	fputs(c->lever_auth_url, f);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *v = http_escape_alloc(values[i]);

		if (!v)
			goto nomem;
		fprintf(f, "%c%s=%s", i ? '&' : '?', names[i], v);
		free(v);
	}
	if (fclose(f) != 0) {
		f = NULL;
		goto nomem;
	}
	f = NULL;
	*url_alloc = url;
	url = NULL;
	rc = 0;
	log_info("account %u: OAuth started by %s", account, user);
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	if (f)
		fclose(f);
	free(url);
	return rc;
}

static void fail(struct oauth_result *res, int status, const char *fmt, const char *arg)
{
	char a[400];

	/* Bounded so that the fixed text always fits. */
	snprintf(a, sizeof a, "%.399s", arg ? arg : "");
	res->status = status;
	snprintf(res->message, sizeof res->message, fmt, a);
	log_warn("OAuth callback: %s", res->message);
}

/* What a connection stores besides the webhooks. */
struct connect_edit {
	const struct lever_tokens *tok;
	int64_t expires_at;
};

static int apply_connect(struct store_account *cur, void *arg)
{
	struct connect_edit *e = arg;
	char *at = strdup(e->tok->access_token), *rt = strdup(e->tok->refresh_token);

	if (!at || !rt) {
		crypto_free_secret(at);
		crypto_free_secret(rt);
		return 1;
	}
	crypto_free_secret(cur->lever_api_key);   /* OAuth replaces an API key */
	cur->lever_api_key = NULL;
	crypto_free_secret(cur->access_token);
	crypto_free_secret(cur->refresh_token);
	cur->access_token = at;
	cur->refresh_token = rt;
	cur->token_expires_at = e->expires_at;
	cur->disconnected = 0;
	cur->disconnected_at = 0;
	free(cur->disconnected_reason);
	cur->disconnected_reason = NULL;
	return 0;
}

/* New webhooks and the tokens, stored in one change (hooks_register). */
static int connect_account(const struct conf *c, struct store *st, uint32_t account,
			   const struct lever_tokens *tok, char *err, size_t errlen)
{
	struct connect_edit e = { tok, clock_wall_ms() + tok->expires_in * 1000 };
	struct lever lv;

	lever_init(&lv, c->lever_api_url, NULL, tok->access_token, c->lever_rate);
	return hooks_register(c, st, account, &lv, apply_connect, &e, err, errlen);
}

void oauth_finish(const struct conf *c, struct store *st, const char *user,
		  const char *state, const char *code, const char *error,
		  const char *error_description, struct oauth_result *res)
{
	struct store_oauth_state *s = NULL;
	struct store_account *a = NULL;
	struct lever_tokens tok;
	char redirect[1024], err[600];
	enum store_err se;

	memset(res, 0, sizeof *res);
	memset(&tok, 0, sizeof tok);
	if (!state || !*state) {
		fail(res, 400, "Lever's answer carries no state: start again from the admin page.%s", NULL);
		return;
	}
	se = store_oauth_state_take(st, state, &s);
	if (se == STORE_NOTFOUND) {
		fail(res, 400, "This sign-in answer is unknown or was already used: start again "
		     "from the admin page.%s", NULL);
		return;
	}
	if (se != STORE_OK) {
		fail(res, 503, "The store is unavailable: %s", store_last_error(st));
		return;
	}
	if (s->expires_at < clock_wall_ms()) {
		fail(res, 400, "This sign-in took too long and expired: start again "
		     "from the admin page.%s", NULL);
		goto out;
	}
	if (!user || strcmp(user, s->user) != 0) {
		fail(res, 400, "This sign-in was started by another admin (%s): start your own "
		     "from the admin page.", s->user);
		goto out;
	}
	res->account = s->account;
	if (error) {
		snprintf(err, sizeof err, "%.60s%s%.200s", error, error_description ? ": " : "",
			 error_description ? error_description : "");
		fail(res, 400, "Lever did not grant access (%s). Nothing was changed; a Lever "
		     "Super Admin can try again from the admin page.", err);
		goto out;
	}
	if (!code || !*code) {
		fail(res, 400, "Lever's answer carries no code: start again from the admin page.%s",
		     NULL);
		goto out;
	}
	if (store_account_get(st, s->account, &a) != STORE_OK) {
		fail(res, 400, "The account being connected no longer exists.%s", NULL);
		goto out;
	}
	oauth_redirect_uri(c, redirect, sizeof redirect);
	if (lever_token_exchange(c->lever_token_url, c->lever_client_id, c->lever_client_secret,
				 code, redirect, &tok, err, sizeof err) != LEVER_OK) {
		fail(res, 502, "Lever refused to exchange the code: %s. Start again from the "
		     "admin page.", err);
		goto out;
	}
	if (!tok.refresh_token) {
		fail(res, 502, "Lever granted no refresh token (is offline_access allowed for "
		     "this app?).%s", NULL);
		goto out;
	}
	if (connect_account(c, st, a->id, &tok, err, sizeof err) < 0) {
		fail(res, 502, "Connecting failed: %s. Nothing was changed; try again.", err);
		goto out;
	}
	log_info("account %u connected to Lever by %s", a->id, user);
	res->status = 303;
	snprintf(res->message, sizeof res->message, "connected");
out:
	lever_tokens_clear(&tok);
	store_account_free(a);
	store_oauth_state_free(s);
}

/* Forgets the Lever credentials: whatever a refresh under way stores
 * afterwards is refused (its compare-and-swap fails on a disconnected
 * account). */
static int apply_disconnect(struct store_account *cur, void *arg)
{
	char *why = NULL;

	if (asprintf(&why, "disconnected by %s", (const char *)arg) < 0)
		return 1;
	crypto_free_secret(cur->lever_api_key);
	crypto_free_secret(cur->access_token);
	crypto_free_secret(cur->refresh_token);
	crypto_free_secret(cur->webhook_token);
	crypto_free_secret(cur->forget_webhook_token);
	free(cur->webhook_id);
	free(cur->forget_webhook_id);
	cur->lever_api_key = cur->access_token = cur->refresh_token = NULL;
	cur->webhook_token = cur->webhook_id = NULL;
	cur->forget_webhook_token = cur->forget_webhook_id = NULL;
	cur->token_expires_at = 0;
	cur->disconnected = 1;
	cur->disconnected_at = clock_wall_ms();
	free(cur->disconnected_reason);
	cur->disconnected_reason = why;
	return 0;
}

int oauth_disconnect(const struct conf *c, struct store *st, uint32_t account,
		     const char *user, char *msg, size_t msglen)
{
	struct store_account *a = NULL;
	struct lever lv;
	char err[600];
	int rc = -1;

	if (store_account_get(st, account, &a) != STORE_OK) {
		snprintf(msg, msglen, "no account %u", account);
		return -1;
	}
	msg[0] = '\0';
	lever_init(&lv, c->lever_api_url, a->lever_api_key, a->access_token, c->lever_rate);
	if ((a->webhook_id || a->forget_webhook_id) && (a->lever_api_key || a->refresh_token)) {
		if (auth_prepare(c, st, &a, &lv, 0, err, sizeof err) != AUTH_OK ||
		    hooks_delete(&lv, a->webhook_id, a->forget_webhook_id, err, sizeof err) < 0)
			snprintf(msg, msglen, "Lever could not be told (%.300s): remove the "
				 "cglever webhooks by hand in Lever's settings.", err);
	}
	if (store_account_update(st, account, apply_disconnect, (void *)user) != STORE_OK) {
		snprintf(msg, msglen, "store: %.300s", store_last_error(st));
		goto out;
	}
	log_info("account %u disconnected from Lever by %s", account, user);
	rc = msg[0] ? 1 : 0;
out:
	store_account_free(a);
	return rc;
}
