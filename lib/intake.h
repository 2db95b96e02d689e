/* intake: a Lever webhook delivery, verified and recorded durably. No
 * outbound call happens here: the queue runner does the work later. */
#ifndef CGLEVER_INTAKE_H
#define CGLEVER_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

struct intake_result {
	int status;          /* HTTP status to answer */
	const char *reason;  /* short, safe to show Lever */
	int queued;          /* 1: a job was committed; wake the runner */
};

/* How far triggeredAt may be from now (Lever suggests rejecting stale
 * deliveries; it retries for a while, so allow days, not minutes). */
#define INTAKE_MAX_AGE_MS   (7LL * 24 * 3600 * 1000)
#define INTAKE_MAX_SKEW_MS  (5LL * 60 * 1000)

/* Verifies and records one delivery for account (already looked up). */
void intake_lever(struct store *st, const struct store_account *acct,
		  const char *body, size_t len, int64_t now,
		  struct intake_result *res);

/* A CodinGame callback for acct: the secret from the URL must match
 * (constant time; 404 otherwise). The body is untrusted and only says
 * "look again": a test id found in it queues a check of that test when
 * this account sent it (otherwise it is ignored); no id queues a check of
 * all the account's unfinished tests. */
void intake_codingame(struct store *st, const struct store_account *acct, const char *secret,
		      const char *body, size_t len, int64_t now, struct intake_result *res);

#endif
