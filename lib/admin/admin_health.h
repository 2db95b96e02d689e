/* admin_health: the account page's Health panel (issue 16 item 6) and
 * its forms: "Check now" and "Register again" for the Lever webhooks,
 * and the question asked before the CodinGame callback replaces another
 * integration's. */
#ifndef CGLEVER_ADMIN_HEALTH_H
#define CGLEVER_ADMIN_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include "admin/admin_common.h"

/* The panel: webhooks (registered, gone from Lever), last delivery,
 * Lever token, CodinGame key and callback, queue, last sweep. Plain HTML,
 * every value escaped; asks CodinGame for its callback URL (GET /webhook). */
void admin_health_panel(struct admin *a, struct html *h, const struct store_account *acct);

/* POST account/N/webhookcheck: looks for the webhooks in Lever now. */
void admin_webhooks_check(struct admin *a, uint32_t id);
/* POST account/N/webhooks: "Register again". */
void admin_webhooks_register(struct admin *a, uint32_t id);
/* The answer to "Turn callback on" when CodinGame holds another URL
 * (owner: account_callback_owner's words): says so and offers to
 * replace it, a form that sends replace=1 with on=1. */
void admin_callback_confirm(struct admin *a, uint32_t id, const char *owner);

/* What the panel and the metrics show of an account's queue and
 * deliveries, from cheap sources: the account's job list (the queue, not
 * history) and store_delivery_last (a window of tokens). -1 when the
 * store cannot say. */
struct admin_queue_facts {
	size_t pending, failed;
	int64_t oldest_pending_ms;   /* how long the longest-waiting due job has waited */
	int64_t last_delivery;       /* ms epoch; 0: none remembered */
};
int admin_queue_facts(struct admin *a, uint32_t account, int64_t now,
		      struct admin_queue_facts *q);

#endif
