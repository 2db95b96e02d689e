/* account: setting up an account (store + Lever webhook registration). */
#ifndef CGLEVER_ACCOUNT_H
#define CGLEVER_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>
#include "base/conf.h"
#include "store/store.h"

struct account_new {
	const char *name;
	const char *lever_api_key;      /* may be NULL */
	const char *codingame_api_key;  /* may be NULL */
	const char *webhook_token;      /* of a hand-made webhook; may be NULL */
};

/* Creates the account. With a CodinGame key, checks it by listing the
 * campaigns. With a Lever API key and no webhook token, registers the
 * webhooks (hooks.h) at public_url and keeps their tokens. On any
 * failure nothing is left behind and err says why. */
int account_create(const struct conf *c, struct store *st, const struct account_new *in,
		   uint32_t *id, char *err, size_t errlen);

/* The account's CodinGame callback URL (holds its secret). */
void account_callback_url(const struct conf *c, const struct store_account *a, char *buf,
			  size_t len);
/* Registers (on: ACCOUNT_CALLBACK_ON) or removes (0) the account's
 * callback in CodinGame. CodinGame keeps one callback per organization:
 * when another URL is registered, ON leaves it and returns 1 with err
 * naming its owner (account_callback_owner), off leaves it and returns
 * 0; ACCOUNT_CALLBACK_REPLACE (the admin confirmed) replaces it. 0 done,
 * -1 with err. */
#define ACCOUNT_CALLBACK_ON 1
#define ACCOUNT_CALLBACK_REPLACE 2
int account_callback(const struct conf *c, struct store *st, uint32_t id, int on,
		     char *err, size_t errlen);
/* "another URL (https://host...)": whose a registered callback URL is,
 * without its path (it may hold the other integration's secret). */
void account_callback_owner(const char *url, char *buf, size_t len);

#endif
