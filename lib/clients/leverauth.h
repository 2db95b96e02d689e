/* leverauth: the credentials an account's Lever calls use. An API key as
 * is; OAuth access tokens refreshed before expiry or after a 401, one
 * refresh at a time per account across all processes. */
#ifndef CGLEVER_LEVERAUTH_H
#define CGLEVER_LEVERAUTH_H

#include <stddef.h>
#include "base/conf.h"
#include "clients/lever.h"
#include "store/store.h"

enum auth_result {
	AUTH_OK = 0,
	AUTH_DISCONNECTED,   /* grant gone (or never there): the account waits */
	AUTH_TEMPORARY       /* token endpoint unreachable: try later */
};

/* Refresh this long before the access token expires. */
#define AUTH_EARLY_MS 60000

/* auth_prepare's force: refresh only when due; after a 401 (a token
 * another process stored since is taken as is); now, whatever the store
 * holds. */
enum auth_force { AUTH_IF_DUE = 0, AUTH_AFTER_401, AUTH_REFRESH_NOW };

/* Makes lv (already lever_init'ed) usable for *acct: sets its credentials, refreshing the access
 * token when it expires within AUTH_EARLY_MS, or as force says. *acct may be replaced by a fresh copy
 * (the old one freed); lv borrows from it. On AUTH_DISCONNECTED the
 * account is recorded as disconnected with the reason. */
enum auth_result auth_prepare(const struct conf *c, struct store *st,
			      struct store_account **acct, struct lever *lv, enum auth_force force,
			      char *err, size_t errlen);


#endif
