/* oauth: the authorization-code flow of API-NOTES.md. The state is
 * random, single use (taken from the store in one transaction), expires
 * after 10 minutes and belongs to the admin who started the flow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "crypto.h"
#include "http.h"
#include "lever.h"
#include "leverauth.h"
#include "log.h"
#include "oauth.h"
#include "ratelimit.h"

void oauth_redirect_uri(const struct conf *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/oauth.fcgi/callback", c->public_url);
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
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

/* Removes the account's old webhook (if any) and registers a new one. */
static int replace_webhook(const struct conf *c, struct store_account *a, const char *token,
			   char *err, size_t errlen)
{
	struct lever lv;
	char url[1024], *id = NULL, *sig = NULL;
	enum lever_err e;

	lever_init(&lv, c->lever_api_url, NULL, token, c->lever_rate);
	if (a->webhook_id) {
		e = lever_webhook_delete(&lv, a->webhook_id);
		if (e != LEVER_OK && e != LEVER_NOTFOUND)
			log_warn("account %u: old webhook %s not removed: %s", a->id, a->webhook_id,
				 lv.error);
	}
	account_webhook_url(c, a->id, url, sizeof url);
	e = lever_webhook_create(&lv, url, "candidateStageChange", &id, &sig);
	if (e != LEVER_OK) {
		snprintf(err, errlen, "%.400s", lv.error[0] ? lv.error : lever_strerror(e));
		return -1;
	}
	free(a->webhook_id);
	a->webhook_id = id;
	wipe_free(a->webhook_token);
	a->webhook_token = sig;
	return 0;
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
	if (replace_webhook(c, a, tok.access_token, err, sizeof err) < 0) {
		fail(res, 502, "Connected, but registering the webhook in Lever failed: %s. "
		     "Nothing was saved; try again.", err);
		goto out;
	}
	wipe_free(a->lever_api_key);   /* OAuth replaces an API key */
	a->lever_api_key = NULL;
	wipe_free(a->access_token);
	wipe_free(a->refresh_token);
	a->access_token = tok.access_token;
	a->refresh_token = tok.refresh_token;
	tok.access_token = tok.refresh_token = NULL;
	a->token_expires_at = clock_wall_ms() + tok.expires_in * 1000;
	a->disconnected = 0;
	a->disconnected_at = 0;
	free(a->disconnected_reason);
	a->disconnected_reason = NULL;
	if (store_account_put(st, a) != STORE_OK) {
		fail(res, 503, "The tokens could not be stored: %s", store_last_error(st));
		goto out;
	}
	log_info("account %u connected to Lever by %s; webhook %s", a->id, user, a->webhook_id);
	res->status = 303;
	snprintf(res->message, sizeof res->message, "connected");
out:
	lever_tokens_clear(&tok);
	store_account_free(a);
	store_oauth_state_free(s);
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
	if (a->webhook_id && (a->lever_api_key || a->refresh_token)) {
		enum lever_err e = LEVER_UNAUTHORIZED;

		if (auth_prepare(c, st, &a, &lv, 0, err, sizeof err) == AUTH_OK)
			e = lever_webhook_delete(&lv, a->webhook_id);
		if (e != LEVER_OK && e != LEVER_NOTFOUND)
			snprintf(msg, msglen, "Lever could not be told (%.300s): remove the "
				 "cglever webhook by hand in Lever's settings.",
				 lv.error[0] ? lv.error : err);
	}
	wipe_free(a->lever_api_key);
	wipe_free(a->access_token);
	wipe_free(a->refresh_token);
	wipe_free(a->webhook_token);
	free(a->webhook_id);
	a->lever_api_key = a->access_token = a->refresh_token = NULL;
	a->webhook_token = a->webhook_id = NULL;
	a->token_expires_at = 0;
	a->disconnected = 1;
	a->disconnected_at = clock_wall_ms();
	free(a->disconnected_reason);
	if (asprintf(&a->disconnected_reason, "disconnected by %s", user) < 0)
		a->disconnected_reason = NULL;
	if (store_account_put(st, a) != STORE_OK) {
		snprintf(msg, msglen, "store: %.300s", store_last_error(st));
		goto out;
	}
	log_info("account %u disconnected from Lever by %s", account, user);
	rc = msg[0] ? 1 : 0;
out:
	store_account_free(a);
	return rc;
}
