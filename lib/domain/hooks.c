/* hooks: cglever's webhooks in Lever, created and removed in pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "base/log.h"
#include "domain/hooks.h"

struct hooks {
	char *stage_id, *stage_token;     /* candidateStageChange */
	char *forget_id, *forget_token;   /* candidateDeleted */
};

/* Frees what h holds (tokens wiped) and zeroes it. */
static void hooks_clear(struct hooks *h)
{
	free(h->stage_id);
	free(h->forget_id);
	crypto_free_secret(h->stage_token);
	crypto_free_secret(h->forget_token);
	memset(h, 0, sizeof *h);
}

/* The URL Lever delivers to for this account. */
static void hooks_url(const struct conf *c, uint32_t account, char *buf, size_t len)
{
	snprintf(buf, len, "%s/webhook.fcgi/lever/%u", c->public_url, account);
}

/* Creates both webhooks at the account's URL with lv's credentials. 0, or
 * -1 with err after removing the one it may have created. */
static int hooks_create(const struct conf *c, struct lever *lv, uint32_t account,
			struct hooks *out, char *err, size_t errlen)
{
	char url[1024];
	enum lever_err e;

	memset(out, 0, sizeof *out);
	hooks_url(c, account, url, sizeof url);
	e = lever_webhook_create(lv, url, "candidateStageChange", &out->stage_id,
				 &out->stage_token);
	if (e == LEVER_OK)
		e = lever_webhook_create(lv, url, "candidateDeleted", &out->forget_id,
					 &out->forget_token);
	if (e == LEVER_OK)
		return 0;
	snprintf(err, errlen, "registering the webhooks in Lever failed: %.400s",
		 lv->error[0] ? lv->error : lever_strerror(e));
	if (out->stage_id) {
		char ignored[8];

		if (hooks_delete(lv, out->stage_id, NULL, ignored, sizeof ignored) < 0)
			log_warn("account %u: new webhook %s not removed", account, out->stage_id);
	}
	hooks_clear(out);
	return -1;
}

static int delete_one(struct lever *lv, const char *id, char *err, size_t errlen)
{
	enum lever_err e;

	if (!id)
		return 0;
	e = lever_webhook_delete(lv, id);
	if (e == LEVER_OK || e == LEVER_NOTFOUND)
		return 0;
	snprintf(err, errlen, "removing webhook %.64s failed: %.400s", id,
		 lv->error[0] ? lv->error : lever_strerror(e));
	return -1;
}

int hooks_delete(struct lever *lv, const char *stage_id, const char *forget_id, char *err,
		 size_t errlen)
{
	int a = delete_one(lv, stage_id, err, errlen);
	int b = delete_one(lv, forget_id, err, errlen);

	return a < 0 || b < 0 ? -1 : 0;
}

/* Puts copies of h's ids and tokens in cur and the ids they replace in
 * *old_stage_id and *old_forget_id (freed first: a retried transaction
 * runs this again). 0, or 1 when out of memory (cur unchanged). */
static int hooks_apply(struct store_account *cur, const struct hooks *h, char **old_stage_id,
		       char **old_forget_id)
{
	char *sid = strdup(h->stage_id), *stok = strdup(h->stage_token);
	char *fid = strdup(h->forget_id), *ftok = strdup(h->forget_token);

	if (!sid || !stok || !fid || !ftok) {
		free(sid);
		free(fid);
		crypto_free_secret(stok);
		crypto_free_secret(ftok);
		return 1;
	}
	free(*old_stage_id);
	free(*old_forget_id);
	*old_stage_id = cur->webhook_id;
	*old_forget_id = cur->forget_webhook_id;
	cur->webhook_id = sid;
	cur->forget_webhook_id = fid;
	crypto_free_secret(cur->webhook_token);
	crypto_free_secret(cur->forget_webhook_token);
	cur->webhook_token = stok;
	cur->forget_webhook_token = ftok;
	cur->webhook_missing = 0;
	return 0;
}

struct register_edit {
	const struct hooks *h;
	store_account_edit_fn also;
	void *also_arg;
	char *old_stage_id, *old_forget_id;
};

static int apply_register(struct store_account *cur, void *arg)
{
	struct register_edit *e = arg;

	if (hooks_apply(cur, e->h, &e->old_stage_id, &e->old_forget_id))
		return 1;
	return e->also ? e->also(cur, e->also_arg) : 0;
}

/* old when it is a webhook other than new, else NULL. */
static const char *replaced(const char *old, const char *new)
{
	return old && strcmp(old, new) != 0 ? old : NULL;
}

/* After h is stored: removes the old webhooks h replaced; a failure is
 * logged. */
static void hooks_drop_replaced(struct lever *lv, uint32_t account, const struct hooks *h,
				const char *old_stage_id, const char *old_forget_id)
{
	char why[600];

	/* Lever would otherwise deliver twice, once signed with a token we
	 * no longer hold. */
	if (hooks_delete(lv, replaced(old_stage_id, h->stage_id),
			 replaced(old_forget_id, h->forget_id), why, sizeof why) < 0)
		log_warn("account %u: old webhook not removed: %s", account, why);
}

int hooks_register(const struct conf *c, struct store *st, uint32_t account, struct lever *lv,
		   store_account_edit_fn also, void *also_arg, char *err, size_t errlen)
{
	struct hooks h;
	struct register_edit e = { &h, also, also_arg, NULL, NULL };
	char why[600];
	int rc = -1;

	if (hooks_create(c, lv, account, &h, err, errlen) < 0)
		return -1;
	if (store_account_update(st, account, apply_register, &e) != STORE_OK) {
		snprintf(err, errlen, "the webhooks%s could not be stored: %.300s",
			 also ? " and the connection" : "",
			 store_last_error(st));
		if (hooks_delete(lv, h.stage_id, h.forget_id, why, sizeof why) < 0)
			log_warn("account %u: %s", account, why);
		goto out;
	}
	log_info("account %u: webhooks %s (stage change) and %s (deletion) registered", account,
		 h.stage_id, h.forget_id);
	hooks_drop_replaced(lv, account, &h, e.old_stage_id, e.old_forget_id);
	rc = 0;
out:
	free(e.old_stage_id);
	free(e.old_forget_id);
	hooks_clear(&h);
	return rc;
}
