/* health: whether an account's setup still works (issue 16 items 2 and
 * 6): cglever's webhooks still in Lever, and when the last whole sweep
 * ran. The account page and admin.fcgi/metrics show what it records. */
#ifndef CGLEVER_HEALTH_H
#define CGLEVER_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include "base/conf.h"
#include "domain/pipeline.h"
#include "store/store.h"

/* The sweep looks for the webhooks in Lever this often per account (at
 * once when they were never looked for). */
#define HEALTH_WEBHOOK_CHECK_MS (3600 * 1000LL)
/* cron runs the sweep every minute: a last sweep older than this means
 * it does not run. */
#define HEALTH_SWEEP_LATE_MS (5 * 60 * 1000LL)
/* Deliveries that stopped this long before the sweep last found a
 * candidate no webhook brought: the webhook group may be off in Lever. */
#define HEALTH_DELIVERY_GAP_MS (3600 * 1000LL)

/* Looks for the account's webhooks in Lever (GET /webhooks, through p's
 * rate-limited, authorized client) when the last look is older than
 * HEALTH_WEBHOOK_CHECK_MS, or now with force, and records the answer
 * (webhook_checked_at, webhook_missing). Nothing to look for when the
 * webhook was made by hand (no webhook id). */
enum pipe_result health_webhooks_check(struct pipeline *p, int force, char *err,
				       size_t errlen);
/* The admin's "Check now": the same look at once. 0 done (the account
 * says what was found), -1 with err. */
int health_check_now(const struct conf *c, struct store *st, uint32_t account, char *err,
		     size_t errlen);
/* The admin's "Register again": both webhooks created anew (hooks.h),
 * the ones they replace removed. 0, or -1 with err. */
int health_register_again(const struct conf *c, struct store *st, uint32_t account,
			  char *err, size_t errlen);

/* The last whole sweep: a file in db_home whose modification time says
 * when it ended. health_sweep_done touches it (a failure is logged). */
#define HEALTH_SWEEP_STAMP "last-sweep"
void health_sweep_done(const struct conf *c);
/* ms epoch, 0 when no sweep has run. */
int64_t health_last_sweep(const struct conf *c);

#endif
