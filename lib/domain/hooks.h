/* hooks: cglever's two webhooks in a Lever account, candidateStageChange
 * (sends tests) and candidateDeleted (forgets people). Lever gives each
 * webhook its own signature token and returns it only at creation. */
#ifndef CGLEVER_HOOKS_H
#define CGLEVER_HOOKS_H

#include <stddef.h>
#include <stdint.h>
#include "base/conf.h"
#include "clients/lever.h"
#include "store/store.h"

struct hooks {
	char *stage_id, *stage_token;     /* candidateStageChange */
	char *forget_id, *forget_token;   /* candidateDeleted */
};
/* Frees what h holds (tokens wiped) and zeroes it. */
void hooks_clear(struct hooks *h);

/* The URL Lever delivers to for this account. */
void hooks_url(const struct conf *c, uint32_t account, char *buf, size_t len);

/* Creates both webhooks at the account's URL with lv's credentials. 0, or
 * -1 with err after removing the one it may have created. */
int hooks_create(const struct conf *c, struct lever *lv, uint32_t account, struct hooks *out,
		 char *err, size_t errlen);
/* Removes the webhooks with these ids (NULL: skipped); one already gone
 * counts as removed. 0, or -1 with err (both are tried). */
int hooks_delete(struct lever *lv, const char *stage_id, const char *forget_id, char *err,
		 size_t errlen);
/* Inside a store_account_update: puts copies of h's ids and tokens in
 * cur and the ids they replace in *old_stage_id and *old_forget_id
 * (freed first: a retried transaction runs this again). 0, or 1 when
 * out of memory (cur unchanged). */
int hooks_apply(struct store_account *cur, const struct hooks *h, char **old_stage_id,
		char **old_forget_id);
/* After h is stored: removes the old webhooks h replaced (ids equal to
 * h's are kept); a failure is logged. */
void hooks_drop_replaced(struct lever *lv, uint32_t account, const struct hooks *h,
			 const char *old_stage_id, const char *old_forget_id);
/* Registers the account's webhooks anew ("Register again", a new
 * account): creates both, stores them, and only then removes the ones
 * they replace, so deliveries verify throughout. If the store refuses,
 * the new ones go and the old ones stay. 0, or -1 with err. */
int hooks_register(const struct conf *c, struct store *st, uint32_t account, struct lever *lv,
		   char *err, size_t errlen);

#endif
