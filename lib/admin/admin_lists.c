/* admin_lists: the lists cache (see admin_lists.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_lists.h"
#include "base/clock.h"
#include "clients/leverauth.h"

#define LISTS_TTL_MS 60000
/* A failure is kept for less: the next page views within it do not call
 * again a Lever or CodinGame that just failed (or answered 429). */
#define LISTS_FAIL_TTL_MS 10000
#define LISTS_SLOTS 8

static struct slot {
	uint32_t account;
	int64_t at;
	uint64_t creds;          /* which credentials the lists were read with */
	struct admin_lists l;
} slots[LISTS_SLOTS];

/* A fingerprint of the account's credentials: the lists are read again
 * as soon as Lever is (re)connected or the CodinGame key changes. */
static uint64_t creds_print(const struct store_account *a)
{
	const char *parts[] = { a->lever_api_key, a->refresh_token, a->codingame_api_key };
	uint64_t h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < 3; i++) {
		for (const unsigned char *c = (const unsigned char *)(parts[i] ? parts[i] : ""); *c; c++)
			h = (h ^ *c) * UINT64_C(1099511628211);
		h = (h ^ 0xff) * UINT64_C(1099511628211);
	}
	h ^= (uint64_t)a->disconnected;
	return h;
}

const char *admin_stage_name(const struct admin_lists *l, const char *id)
{
	for (size_t i = 0; l && i < l->n_stages; i++)
		if (strcmp(l->stages[i].id, id) == 0)
			return l->stages[i].text;
	return NULL;
}

const char *admin_campaign_name(const struct admin_lists *l, int64_t id)
{
	return l ? cg_campaign_name(l->camps, l->n_camps, id) : NULL;
}

const struct admin_lists *admin_lists_get(struct admin *a, const struct store_account *acct)
{
	struct slot *s = NULL;
	struct store_account *copy = NULL;
	struct lever lv;
	struct codingame cg;
	int64_t now = clock_wall_ms();
	char err[600];

	for (int i = 0; i < LISTS_SLOTS; i++)
		if (slots[i].account == acct->id)
			s = &slots[i];
	if (!s) {   /* the oldest slot makes room */
		s = &slots[0];
		for (int i = 1; i < LISTS_SLOTS; i++)
			if (slots[i].at < s->at)
				s = &slots[i];
		if (s->account != acct->id) {
			lever_stages_free(s->l.stages, s->l.n_stages);
			lever_tags_free(s->l.tags, s->l.n_tags);
			cg_campaigns_free(s->l.camps, s->l.n_camps);
			memset(s, 0, sizeof *s);
			s->account = acct->id;
		}
	}
	if (s->at && s->creds == creds_print(acct) &&
	    now - s->at < (s->l.lever_err[0] || s->l.cg_err[0] ? LISTS_FAIL_TTL_MS : LISTS_TTL_MS))
		return &s->l;
	s->at = now;
	s->creds = creds_print(acct);
	s->l.lever_err[0] = s->l.cg_err[0] = '\0';
	/* Lever: through the account's credentials (refreshed if needed). */
	if (store_account_get(a->st, acct->id, &copy) == STORE_OK) {
		lever_init(&lv, a->conf->lever_api_url, copy->lever_api_key, copy->access_token,
			   a->conf->lever_rate);
		if (auth_prepare(a->conf, a->st, &copy, &lv, 0, err, sizeof err) != AUTH_OK) {
			snprintf(s->l.lever_err, sizeof s->l.lever_err, "%.290s", err);
		} else {
			struct lever_stage *st = NULL;
			struct lever_tag *tg = NULL;
			size_t ns = 0, nt = 0;

			if (lever_stages_list(&lv, &st, &ns) == LEVER_OK &&
			    lever_tags_list(&lv, &tg, &nt) == LEVER_OK) {
				lever_stages_free(s->l.stages, s->l.n_stages);
				lever_tags_free(s->l.tags, s->l.n_tags);
				s->l.stages = st, s->l.n_stages = ns;
				s->l.tags = tg, s->l.n_tags = nt;
			} else {
				lever_stages_free(st, ns);
				snprintf(s->l.lever_err, sizeof s->l.lever_err, "%.290s", lv.error);
			}
		}
	}
	store_account_free(copy);
	if (acct->codingame_api_key) {
		struct cg_campaign *c = NULL;
		size_t n = 0;

		cg_init(&cg, a->conf->codingame_api_url, acct->codingame_api_key);
		if (cg_campaigns_list(&cg, &c, &n) == CG_OK) {
			cg_campaigns_free(s->l.camps, s->l.n_camps);
			s->l.camps = c, s->l.n_camps = n;
		} else {
			snprintf(s->l.cg_err, sizeof s->l.cg_err, "%.290s", cg.error);
		}
	} else {
		snprintf(s->l.cg_err, sizeof s->l.cg_err, "no CodinGame key saved yet");
	}
	return &s->l;
}
