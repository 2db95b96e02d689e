/* pipeline: the context one runner works an account's jobs in (its
 * store, Lever and CodinGame clients, credentials) and what the modules
 * working those jobs share: authorizing, saving an invitation, posting a
 * note once, mapping client errors to a job's outcome. invite.c (stage
 * change -> invitation) and results.c (test -> result) are its users;
 * queue.c dispatches a job to one of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "clients/leverauth.h"
#include "base/log.h"
#include "domain/pipeline.h"

int pipeline_open(struct pipeline *p, const struct conf *c, struct store *st,
		  uint32_t account)
{
	memset(p, 0, sizeof *p);
	p->conf = c;
	p->st = st;
	if (store_account_get(st, account, &p->acct) != STORE_OK)
		return -1;
	lever_init(&p->lv, c->lever_api_url, p->acct->lever_api_key, p->acct->access_token,
		   c->lever_rate);
	cg_init(&p->cg, c->codingame_api_url, p->acct->codingame_api_key);
	return 0;
}

/* Valid Lever credentials for the next calls (force: after a 401). */
enum pipe_result pipeline_authorize(struct pipeline *p, enum auth_force force, char *err, size_t errlen)
{
	enum auth_result r = auth_prepare(p->conf, p->st, &p->acct, &p->lv, force, err, errlen);

	/* p->acct may be a new copy: the CodinGame client borrows from it. */
	p->cg.api_key = p->acct->codingame_api_key;
	/* Parked, so that the runner stops instead of taking the job it just
	 * put back (due now, for after a reconnect) again and again. */
	if (r == AUTH_DISCONNECTED) {
		p->parked = 1;
		return PIPE_PARK;
	}
	return r == AUTH_OK ? PIPE_DONE : PIPE_RETRY;
}

/* After a 401 on an OAuth account: returns 1 when the caller should try
 * the call again. The first time it takes the token another process may
 * have stored meanwhile; the second time it refreshes at the token
 * endpoint, since that stored token can be dead as well (early expiry, a
 * reconnect, a revocation of access tokens). A 401 that survives both is
 * a temporary failure of the job: only the token endpoint refusing the
 * refresh token proves the grant is gone, and auth_prepare parks the
 * account then (p->parked). */
int pipeline_reauthorize(struct pipeline *p, enum lever_err e, int *auth_try)
{
	char err[600];
	enum pipe_result r;

	if (e != LEVER_UNAUTHORIZED || p->acct->lever_api_key || *auth_try >= 2)
		return 0;
	++*auth_try;
	r = pipeline_authorize(p, *auth_try == 1 ? AUTH_AFTER_401 : AUTH_REFRESH_NOW,
			       err, sizeof err);
	if (r != PIPE_DONE && r != PIPE_PARK)
		log_warn("account %u: %s", p->acct->id, err);
	return r == PIPE_DONE;
}

int pipeline_reload(struct pipeline *p)
{
	struct store_account *a = NULL;

	if (store_account_get(p->st, p->acct->id, &a) != STORE_OK)
		return -1;
	store_account_free(p->acct);
	p->acct = a;
	p->lv.api_key = a->lever_api_key;
	p->lv.bearer = a->access_token;
	p->cg.api_key = a->codingame_api_key;
	/* The campaign names may belong to the key replaced. */
	cg_campaigns_free(p->camps, p->n_camps);
	p->camps = NULL;
	p->n_camps = 0;
	p->camps_loaded = 0;
	return 0;
}

void pipeline_close(struct pipeline *p)
{
	store_account_free(p->acct);
	p->acct = NULL;
	cg_campaigns_free(p->camps, p->n_camps);
	p->camps = NULL;
	p->n_camps = 0;
}

const char *pipeline_campaign_name(struct pipeline *p, int64_t campaign)
{
	if (!p->camps_loaded) {
		p->camps_loaded = 1;
		if (cg_campaigns_list(&p->cg, &p->camps, &p->n_camps) != CG_OK)
			log_warn("campaign names unavailable: %s", p->cg.error);
	}
	return cg_campaign_name(p->camps, p->n_camps, campaign);
}

void pipeline_pause(int try)
{
	clock_sleep_ms(try * 1000LL - 500);
}

#define NOTE_TRIES 4

enum pipe_result pipeline_note_once(struct pipeline *p, struct store_invitation *inv,
				    char **state, const char *text, const char *marker,
				    char *err, size_t errlen)
{
	int look = *state && strcmp(*state, "posting") == 0;
	enum lever_err e;
	enum pipe_result r;
	long ra = -1;

	if (*state && strcmp(*state, "posted") == 0)
		return PIPE_DONE;
	if ((r = pipeline_authorize(p, 0, err, errlen)) != PIPE_DONE)
		return r;
	for (int try = 1;; try++) {
		if (look) {
			char *id = NULL;

			int auth_try = 0;
			do
				e = lever_note_find(&p->lv, inv->opportunity, marker, &id);
			while (pipeline_reauthorize(p, e, &auth_try));
			if (p->parked)
				return PIPE_PARK;
			if (e != LEVER_OK)
				return pipeline_from_lever(p, e, err, errlen, &ra);
			if (id) {
				log_info("note %s for opportunity %s was already posted", marker,
					 inv->opportunity);
				free(id);
				break;
			}
		}
		pipeline_set_str(state, "posting");
		if ((r = pipeline_save(p, inv, err, errlen)) != PIPE_DONE)
			return r;
		int auth_try = 0;
		do
			e = lever_note_add(&p->lv, inv->opportunity, text, NULL);
		while (pipeline_reauthorize(p, e, &auth_try));
		if (p->parked)
			return PIPE_PARK;
		if (e == LEVER_OK)
			break;
		r = pipeline_from_lever(p, e, err, errlen, &ra);
		if (e != LEVER_TEMPORARY || try >= NOTE_TRIES)
			return r;
		log_warn("note %s for opportunity %s, try %d: %s", marker, inv->opportunity, try, err);
		pipeline_pause(try);
		look = 1;   /* the request may have been acted on */
	}
	pipeline_set_str(state, "posted");
	return pipeline_save(p, inv, err, errlen);
}

enum pipe_result pipeline_from_lever(struct pipeline *p, enum lever_err e,
				   char *err, size_t errlen, long *retry_after_s)
{
	if (p->parked) {   /* pipeline_reauthorize found the grant gone */
		snprintf(err, errlen, "account disconnected from Lever");
		return PIPE_PARK;
	}
	snprintf(err, errlen, "Lever: %.400s", p->lv.error[0] ? p->lv.error : lever_strerror(e));
	switch (e) {
	case LEVER_OK:
		return PIPE_DONE;
	case LEVER_TEMPORARY:
		*retry_after_s = p->lv.retry_after;
		return PIPE_RETRY;
	case LEVER_UNAUTHORIZED:   /* the key may be fixed or reconnected: keep trying */
	case LEVER_BAD_REPLY:
		return PIPE_RETRY;
	default:
		return PIPE_FAIL;
	}
}

enum pipe_result pipeline_from_cg(struct pipeline *p, enum cg_err e,
				char *err, size_t errlen)
{
	snprintf(err, errlen, "CodinGame: %.400s", p->cg.error[0] ? p->cg.error : cg_strerror(e));
	switch (e) {
	case CG_OK:
		return PIPE_DONE;
	case CG_TEMPORARY:
	case CG_UNAUTHORIZED:
	case CG_BAD_REPLY:
		return PIPE_RETRY;
	default:
		return PIPE_FAIL;
	}
}

void pipeline_set_str(char **slot, const char *v)
{
	char *copy = v ? strdup(v) : NULL;

	free(*slot);
	*slot = copy;
}

enum pipe_result pipeline_save(struct pipeline *p, struct store_invitation *inv,
			     char *err, size_t errlen)
{
	inv->updated_at = clock_wall_ms();
	if (store_invitation_put(p->st, inv) != STORE_OK) {
		snprintf(err, errlen, "store: %.400s", store_last_error(p->st));
		return PIPE_RETRY;
	}
	return PIPE_DONE;
}
