/* leverauth: Lever rotates the refresh token on every refresh and treats
 * the old one as spent, so two processes refreshing at once would lose
 * the grant. Refreshes of one account are serialized with an flock on
 * db_home/refresh-<id>.lock (released by the kernel if the holder dies);
 * the holder re-reads the account first and skips the refresh when
 * another process already did it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/crypto.h"
#include "clients/leverauth.h"
#include "base/log.h"
#include "net/ratelimit.h"

#define AUTH_LOCK_WAIT_MS 30000

/* Only the credentials: lv's rate limit bucket must carry on. */
static void set_creds(const struct conf *c, const struct store_account *a, struct lever *lv)
{
	/* One rate limit per Lever account, whichever process calls. */
	if (ratelimit_share(&lv->rl, c->db_home, a->id) < 0)
		log_warn("rate limit: db_home path too long; limiting this process only");
	lv->api_key = a->lever_api_key;
	lv->bearer = a->access_token;
}

/* Blocks (bounded) for the account's refresh lock; fd or -1. */
static int refresh_lock(const struct conf *c, uint32_t account)
{
	char path[PATH_MAX];
	int64_t until = clock_mono_us() + (int64_t)AUTH_LOCK_WAIT_MS * 1000;
	int fd;

	snprintf(path, sizeof path, "%s/refresh-%u.lock", c->db_home, account);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("refresh lock %s: %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || clock_mono_us() > until) {
			log_err("refresh lock %s: %s", path,
				errno == EWOULDBLOCK ? "held too long" : strerror(errno));
			close(fd);
			return -1;
		}
		clock_sleep_ms(20);
	}
	return fd;
}

struct lost_grant {
	const char *refresh_token;   /* the one Lever refused */
	const char *reason;
};

/* Only the grant Lever refused: a reconnect since has a new one. */
static int apply_lost_grant(struct store_account *cur, void *arg)
{
	const struct lost_grant *g = arg;
	char *why;

	if (cur->disconnected || !cur->refresh_token ||
	    strcmp(cur->refresh_token, g->refresh_token) != 0 || !(why = strdup(g->reason)))
		return 1;
	cur->disconnected = 1;
	cur->disconnected_at = clock_wall_ms();
	free(cur->disconnected_reason);
	cur->disconnected_reason = why;
	return 0;
}

struct rotation {
	const char *from;            /* the refresh token the refresh spent */
	const struct lever_tokens *tok;
	int64_t expires_at;
};

/* Compare-and-swap on the refresh token: a Disconnect or a reconnect
 * made meanwhile wins, and nothing else of the record changes. */
static int apply_rotation(struct store_account *cur, void *arg)
{
	const struct rotation *r = arg;
	char *at, *rt;

	if (cur->disconnected || !cur->refresh_token || strcmp(cur->refresh_token, r->from) != 0)
		return 1;
	at = strdup(r->tok->access_token);
	rt = strdup(r->tok->refresh_token ? r->tok->refresh_token : r->from);
	if (!at || !rt) {
		crypto_free_secret(at);
		crypto_free_secret(rt);
		return 1;
	}
	crypto_free_secret(cur->access_token);
	crypto_free_secret(cur->refresh_token);
	cur->access_token = at;
	cur->refresh_token = rt;
	cur->token_expires_at = r->expires_at;
	return 0;
}

/* Reads the account again into *fresh (freeing what was there). */
static enum auth_result reload(struct store *st, uint32_t id, struct store_account **fresh,
			       char *err, size_t errlen)
{
	store_account_free(*fresh);
	*fresh = NULL;
	if (store_account_get(st, id, fresh) != STORE_OK) {
		snprintf(err, errlen, "store: %.300s", store_last_error(st));
		return AUTH_TEMPORARY;
	}
	if ((*fresh)->disconnected || !(*fresh)->refresh_token) {
		snprintf(err, errlen, "account %u is not connected to Lever", id);
		return AUTH_DISCONNECTED;
	}
	return AUTH_OK;
}

enum auth_result auth_prepare(const struct conf *c, struct store *st,
			      struct store_account **acct, struct lever *lv, enum auth_force force,
			      char *err, size_t errlen)
{
	struct store_account *a = *acct, *fresh = NULL;
	struct lever_tokens tok;
	struct rotation rot;
	enum auth_result r = AUTH_TEMPORARY;
	enum lever_err le;
	enum store_err se;
	char *used = NULL;
	int fd;

	memset(&tok, 0, sizeof tok);
	err[0] = '\0';
	if (a->lever_api_key) {
		set_creds(c, a, lv);
		return AUTH_OK;
	}
	if (a->disconnected || !a->refresh_token) {
		snprintf(err, errlen, "account %u is not connected to Lever", a->id);
		return AUTH_DISCONNECTED;
	}
	if (!force && a->access_token && a->token_expires_at - AUTH_EARLY_MS > clock_wall_ms()) {
		set_creds(c, a, lv);
		return AUTH_OK;
	}
	if (!c->lever_client_id || !c->lever_client_secret) {
		snprintf(err, errlen, "lever_client_id and lever_client_secret are not configured");
		return AUTH_TEMPORARY;
	}
	used = a->access_token ? strdup(a->access_token) : NULL;
	if ((fd = refresh_lock(c, a->id)) < 0) {
		snprintf(err, errlen, "could not take the refresh lock");
		goto out;
	}
	/* Another process may have refreshed while we waited. */
	if ((r = reload(st, a->id, &fresh, err, errlen)) != AUTH_OK)
		goto unlock;
	if (force != AUTH_REFRESH_NOW && fresh->access_token &&
	    (!used || strcmp(fresh->access_token, used) != 0) &&
	    fresh->token_expires_at - AUTH_EARLY_MS > clock_wall_ms()) {
		log_debug("account %u: token already refreshed by another process", a->id);
		goto unlock;
	}
	r = AUTH_TEMPORARY;
	le = lever_token_refresh(c->lever_token_url, c->lever_client_id, c->lever_client_secret,
				 fresh->refresh_token, &tok, err, errlen);
	if (le == LEVER_REVOKED || le == LEVER_UNAUTHORIZED) {
		char reason[600];
		struct lost_grant g = { fresh->refresh_token, reason };

		snprintf(reason, sizeof reason, "refreshing the access token failed (%.500s); "
			 "a Lever Super Admin must reconnect", err);
		if (store_account_update(st, a->id, apply_lost_grant, &g) == STORE_OK)
			log_warn("account %u disconnected from Lever: %s", a->id, reason);
		r = AUTH_DISCONNECTED;
		goto unlock;
	}
	if (le != LEVER_OK)
		goto unlock;
	/* The old refresh token is spent from now on: store the new one. A
	 * Disconnect or reconnect made meanwhile stands (the swap fails);
	 * either way the caller goes on with the record as it is now. */
	rot.from = fresh->refresh_token;
	rot.tok = &tok;
	rot.expires_at = clock_wall_ms() + tok.expires_in * 1000;
	se = store_account_update(st, a->id, apply_rotation, &rot);
	if (se == STORE_OK) {
		log_info("account %u: Lever access token refreshed", a->id);
	} else if (se == STORE_EXISTS) {
		log_info("account %u changed while its token was refreshed: keeping the change",
			 a->id);
	} else {
		log_err("account %u: refreshed token not stored: %s", a->id, store_last_error(st));
		snprintf(err, errlen, "store: %.300s", store_last_error(st));
		goto unlock;
	}
	r = reload(st, a->id, &fresh, err, errlen);
unlock:
	close(fd);
out:
	if (r == AUTH_OK) {
		store_account_free(*acct);
		*acct = fresh;
		fresh = NULL;
		set_creds(c, *acct, lv);
	}
	store_account_free(fresh);
	lever_tokens_clear(&tok);
	crypto_free_secret(used);
	return r;
}
