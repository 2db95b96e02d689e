/* account: creation is all-or-nothing; the webhook URL needs the id, so
 * the record is added first and removed again if Lever refuses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "domain/account.h"
#include "clients/codingame.h"
#include "base/crypto.h"
#include "clients/lever.h"
#include "domain/hooks.h"
#include "base/log.h"

static int check_codingame(const struct conf *c, const char *key, char *err, size_t errlen)
{
	struct codingame cg;
	struct cg_campaign *camps = NULL;
	size_t n = 0;
	enum cg_err e;

	cg_init(&cg, c->codingame_api_url, key);
	e = cg_campaigns_list(&cg, &camps, &n);
	cg_campaigns_free(camps, n);
	if (e != CG_OK) {
		snprintf(err, errlen, "CodinGame API key check failed: %s",
			 cg.error[0] ? cg.error : cg_strerror(e));
		return -1;
	}
	return 0;
}

int account_create(const struct conf *c, struct store *st, const struct account_new *in,
		   uint32_t *id, char *err, size_t errlen)
{
	struct store_account a;
	char secret[65];
	struct lever lv;
	enum store_err se;
	int rc = -1;

	memset(&a, 0, sizeof a);
	if (in->codingame_api_key && check_codingame(c, in->codingame_api_key, err, errlen) < 0)
		return -1;
	if (crypto_random_hex(secret, 24) < 0) {
		snprintf(err, errlen, "no random bytes for the callback secret");
		return -1;
	}
	a.name = (char *)in->name;
	a.lever_api_key = (char *)in->lever_api_key;
	a.codingame_api_key = (char *)in->codingame_api_key;
	a.webhook_token = (char *)in->webhook_token;
	a.callback_secret = secret;
	a.created_at = clock_wall_ms();
	se = store_account_add(st, &a);
	if (se == STORE_EXISTS) {
		snprintf(err, errlen, "an account named '%s' already exists", in->name);
		return -1;
	}
	if (se != STORE_OK) {
		snprintf(err, errlen, "store: %.400s", store_last_error(st));
		return -1;
	}
	if (in->lever_api_key && !in->webhook_token) {
		lever_init(&lv, c->lever_api_url, in->lever_api_key, NULL, c->lever_rate);
		if (hooks_register(c, st, a.id, &lv, NULL, NULL, err, errlen) < 0)
			goto out;
	}
	*id = a.id;
	rc = 0;
out:
	if (rc < 0 && store_account_delete(st, a.id) != STORE_OK)
		log_err("account %u: could not undo: %s", a.id, store_last_error(st));
	memset(secret, 0, sizeof secret);
	return rc;
}

void account_callback_url(const struct conf *c, const struct store_account *a, char *buf,
			  size_t len)
{
	snprintf(buf, len, "%s/webhook.fcgi/codingame/%u/%s", c->public_url, a->id,
		 a->callback_secret ? a->callback_secret : "");
}

void account_callback_owner(const char *url, char *buf, size_t len)
{
	size_t scheme = strstr(url, "://") ? (size_t)(strstr(url, "://") - url) + 3 : 0;

	/* Scheme and host only: the rest may hold the other one's secret. */
	snprintf(buf, len, "another URL (%.*s...)", (int)(scheme + strcspn(url + scheme, "/?#")),
		 url);
}

int account_callback(const struct conf *c, struct store *st, uint32_t id, int on,
		     char *err, size_t errlen)
{
	struct store_account *a = NULL;
	struct codingame cg;
	char url[1200], *current = NULL;
	enum cg_err e;
	int rc = -1;

	if (store_account_get(st, id, &a) != STORE_OK) {
		snprintf(err, errlen, "no account %u", id);
		return -1;
	}
	if (!a->codingame_api_key || !a->callback_secret) {
		snprintf(err, errlen, "account %u has no CodinGame API key", id);
		goto out;
	}
	cg_init(&cg, c->codingame_api_url, a->codingame_api_key);
	account_callback_url(c, a, url, sizeof url);
	/* CodinGame keeps one callback per organization: another's is
	 * replaced only when asked, and never removed. */
	if ((e = cg_webhook_get(&cg, &current)) != CG_OK)
		goto cg_failed;
	if (current && strcmp(current, url) != 0 && on != ACCOUNT_CALLBACK_REPLACE) {
		account_callback_owner(current, err, errlen);
		rc = on ? 1 : 0;
		log_info("account %u: CodinGame's callback is %s: %s", id, err,
			 on ? "not replaced" : "left as it is");
		goto out;
	}
	e = on ? cg_webhook_set(&cg, url) : current ? cg_webhook_delete(&cg) : CG_OK;
	if (e != CG_OK && !(e == CG_NOTFOUND && !on))
		goto cg_failed;
	log_info("account %u: CodinGame callback %s", id, on ? "registered" : "removed");
	rc = 0;
	goto out;
cg_failed:
	snprintf(err, errlen, "CodinGame: %.400s", cg.error[0] ? cg.error : cg_strerror(e));
out:
	free(current);
	explicit_bzero(url, sizeof url);
	store_account_free(a);
	return rc;
}
