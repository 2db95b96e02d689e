/* lever_token: Lever's OAuth token endpoint (Auth0: form-encoded in,
 * {"access_token",...} or {"error",...} out). */
#ifndef CGLEVER_LEVER_TOKEN_H
#define CGLEVER_LEVER_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include "clients/lever_parse.h"

struct lever_tokens {
	char *access_token;
	char *refresh_token;         /* a NEW one on every refresh: the old is spent */
	int64_t expires_in;          /* seconds, at most a year */
};
/* grant_type=authorization_code. */
enum lever_err lever_token_exchange(const char *token_url, const char *client_id,
				    const char *client_secret, const char *code,
				    const char *redirect_uri, struct lever_tokens *out,
				    char *err, size_t errlen);
/* grant_type=refresh_token. Retried only when surely not acted on
 * (nothing sent, or a 429): a replayed refresh would be refused as spent. */
enum lever_err lever_token_refresh(const char *token_url, const char *client_id,
				   const char *client_secret, const char *refresh_token,
				   struct lever_tokens *out, char *err, size_t errlen);
/* Wipes and frees the members (not the struct). */
void lever_tokens_clear(struct lever_tokens *t);
/* The token endpoint's reply with its HTTP status (any status: an Auth0
 * error too), classified as lever_token_exchange/refresh return it. No
 * I/O: for tests and fuzzing. */
enum lever_err lever_parse_token_reply(long status, const char *json, size_t len,
				      struct lever_tokens *out, char *err, size_t errlen);

#endif
