/* admin_lists: the live Lever stages/tags and CodinGame campaigns of an
 * account, cached per process and account for a minute (a failure for
 * 10 s); on failure the last known lists stay and *_err says why. */
#ifndef CGLEVER_ADMIN_LISTS_H
#define CGLEVER_ADMIN_LISTS_H

#include <stddef.h>
#include <stdint.h>
#include "admin/admin_common.h"
#include "clients/codingame.h"
#include "clients/lever.h"

struct admin_lists {
	struct lever_stage *stages; size_t n_stages;
	struct lever_tag *tags; size_t n_tags;
	struct cg_campaign *camps; size_t n_camps;
	char lever_err[300], cg_err[300];
};
const struct admin_lists *admin_lists_get(struct admin *a, const struct store_account *acct);
const char *admin_stage_name(const struct admin_lists *l, const char *id);
const char *admin_campaign_name(const struct admin_lists *l, int64_t id);

#endif
