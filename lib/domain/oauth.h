/* oauth: connecting a Lever account with OAuth, and disconnecting it. */
#ifndef CGLEVER_OAUTH_H
#define CGLEVER_OAUTH_H

#include <stddef.h>
#include <stdint.h>
#include "base/conf.h"
#include "store/store.h"

/* Scopes Lever recommends for an assessment partner (API-NOTES.md), and
 * files:write:admin with users:read:admin for attaching the PDF report
 * (as an admin user: Lever wants perform_as on files). */
#define OAUTH_SCOPES "offline_access opportunities:write:admin notes:write:admin " \
		     "stages:read:admin tags:read:admin webhooks:write:admin " \
		     "files:write:admin users:read:admin"

/* Stores a single-use state bound to account and user (valid for
 * oauth_state_seconds), and returns the
 * Lever authorize URL to redirect to. -1 with err on failure. */
int oauth_start(const struct conf *c, struct store *st, uint32_t account, const char *user,
		char **url_alloc, char *err, size_t errlen);

struct oauth_result {
	int status;              /* 303 on success; 400 or 502 with a message */
	uint32_t account;        /* connected account (wake its runner) */
	char message[700];       /* for the page: what happened, what to do */
};

/* The callback: checks state (known, unused, unexpired, same user),
 * handles Lever's error, exchanges the code, stores the tokens, replaces
 * the account's webhook with a new one. */
void oauth_finish(const struct conf *c, struct store *st, const char *user,
		  const char *state, const char *code, const char *error,
		  const char *error_description, struct oauth_result *res);

/* Deletes the account's webhook in Lever and forgets its Lever
 * credentials; rules and history stay. 0 on success; 1 when the account
 * is disconnected but Lever could not be told (message says so); -1 on
 * failure (nothing changed). */
int oauth_disconnect(const struct conf *c, struct store *st, uint32_t account,
		     const char *user, char *msg, size_t msglen);

/* public_url + "/oauth.fcgi/callback" */
void oauth_redirect_uri(const struct conf *c, char *buf, size_t len);

#endif
