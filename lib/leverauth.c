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
#include <time.h>
#include <unistd.h>

#include "leverauth.h"
#include "log.h"
#include "ratelimit.h"

#define AUTH_LOCK_WAIT_MS 30000

/* Only the credentials: lv's rate limit bucket must carry on. */
static void set_creds(const struct conf *c, const struct store_account *a, struct lever *lv)
{
	(void)c;
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
		struct timespec ts = { 0, 20 * 1000000L };

		if (errno != EWOULDBLOCK || clock_mono_us() > until) {
			log_err("refresh lock %s: %s", path,
				errno == EWOULDBLOCK ? "held too long" : strerror(errno));
			close(fd);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return fd;
}

int auth_mark_disconnected(struct store *st, uint32_t account, const char *reason)
{
	struct store_account *a = NULL;
	int rc = -1;

	if (store_account_get(st, account, &a) != STORE_OK)
		return -1;
	if (!a->disconnected) {
		a->disconnected = 1;
		a->disconnected_at = clock_wall_ms();
		free(a->disconnected_reason);
		a->disconnected_reason = strdup(reason);
		log_warn("account %u disconnected from Lever: %s", account, reason);
	}
	rc = store_account_put(st, a) == STORE_OK ? 0 : -1;
	store_account_free(a);
	return rc;
}

enum auth_result auth_prepare(const struct conf *c, struct store *st,
			      struct store_account **acct, struct lever *lv, enum auth_force force,
			      char *err, size_t errlen)
{
	struct store_account *a = *acct, *fresh = NULL;
	struct lever_tokens tok;
	enum auth_result r = AUTH_TEMPORARY;
	enum lever_err le;
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
	if (store_account_get(st, a->id, &fresh) != STORE_OK) {
		snprintf(err, errlen, "store: %.300s", store_last_error(st));
		goto unlock;
	}
	if (fresh->disconnected || !fresh->refresh_token) {
		snprintf(err, errlen, "account %u is not connected to Lever", a->id);
		r = AUTH_DISCONNECTED;
		goto unlock;
	}
	if (force != AUTH_REFRESH_NOW && fresh->access_token &&
	    (!used || strcmp(fresh->access_token, used) != 0) &&
	    fresh->token_expires_at - AUTH_EARLY_MS > clock_wall_ms()) {
		log_debug("account %u: token already refreshed by another process", a->id);
		r = AUTH_OK;
		goto unlock;
	}
	le = lever_token_refresh(c->lever_token_url, c->lever_client_id, c->lever_client_secret,
				 fresh->refresh_token, &tok, err, errlen);
	if (le == LEVER_REVOKED || le == LEVER_UNAUTHORIZED) {
		char reason[600];

		snprintf(reason, sizeof reason, "refreshing the access token failed (%.500s); "
			 "a Lever Super Admin must reconnect", err);
		auth_mark_disconnected(st, a->id, reason);
		r = AUTH_DISCONNECTED;
		goto unlock;
	}
	if (le != LEVER_OK)
		goto unlock;
	/* The old refresh token is spent from now on: store the new one. */
	free(fresh->access_token);
	fresh->access_token = tok.access_token;
	tok.access_token = NULL;
	if (tok.refresh_token) {
		explicit_bzero(fresh->refresh_token, strlen(fresh->refresh_token));
		free(fresh->refresh_token);
		fresh->refresh_token = tok.refresh_token;
		tok.refresh_token = NULL;
	}
	fresh->token_expires_at = clock_wall_ms() + tok.expires_in * 1000;
	if (store_account_put(st, fresh) != STORE_OK) {
		log_err("account %u: refreshed token not stored: %s", a->id, store_last_error(st));
		snprintf(err, errlen, "store: %.300s", store_last_error(st));
		goto unlock;
	}
	log_info("account %u: Lever access token refreshed", a->id);
	r = AUTH_OK;
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
	if (used) {
		explicit_bzero(used, strlen(used));
		free(used);
	}
	return r;
}
