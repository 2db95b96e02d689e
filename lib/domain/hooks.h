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

/* Removes the webhooks with these ids (NULL: skipped); one already gone
 * counts as removed. 0, or -1 with err (both are tried). */
int hooks_delete(struct lever *lv, const char *stage_id, const char *forget_id, char *err,
		 size_t errlen);
/* Registers the account's webhooks anew (a new account, "Register
 * again", a Lever connection): creates both, stores them (with also's
 * edit, when not NULL, in the same change), and only then removes the
 * ones they replace, so deliveries verify throughout. If the store
 * refuses, the new ones go and the old ones stay. 0, or -1 with err. */
int hooks_register(const struct conf *c, struct store *st, uint32_t account, struct lever *lv,
		   store_account_edit_fn also, void *also_arg, char *err, size_t errlen);

#endif
