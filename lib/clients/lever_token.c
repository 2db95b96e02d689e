/* lever_token: the OAuth token endpoint; see lever_token.h. The request
 * carries the client secret and a code or refresh token, the reply the
 * tokens: the form, json-c's copies and the reply body are wiped before
 * they are freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "base/jsonutil.h"
#include "clients/lever_token.h"
#include "net/http.h"

void lever_tokens_clear(struct lever_tokens *t)
{
	crypto_free_secret(t->access_token);
	crypto_free_secret(t->refresh_token);
	memset(t, 0, sizeof *t);
}

/* Appends "&name=escaped(value)" (no '&' first); -1 on no memory. A
 * growing buffer would leave copies behind in what realloc frees, so
 * each step is a fresh string and the old one is wiped. */
static int form_add(char **form, const char *name, const char *value)
{
	char *esc = http_escape_alloc(value ? value : ""), *grown = NULL;
	int n;

	if (!esc)
		return -1;
	n = asprintf(&grown, "%s%s%s=%s", *form ? *form : "", *form ? "&" : "", name, esc);
	crypto_free_secret(esc);
	if (n < 0)
		return -1;
	crypto_free_secret(*form);
	*form = grown;
	return 0;
}

enum lever_err lever_parse_token_reply(long status, const char *json, size_t len,
				      struct lever_tokens *out, char *err, size_t errlen)
{
	struct json_object *root = NULL;
	enum lever_err e;
	char why[128];
	const char *oerr, *desc;

	memset(out, 0, sizeof *out);
	if (json && len)
		root = ju_parse(json, len, why, sizeof why);
	if (status >= 200 && status <= 299) {
		int64_t ttl = 0;

		out->access_token = ju_strdup(root, "access_token");
		out->refresh_token = ju_strdup(root, "refresh_token");
		if (!out->access_token || !ju_int64(root, "expires_in", &ttl) || ttl <= 0) {
			snprintf(err, errlen, "token endpoint: HTTP %ld without access_token "
				 "and expires_in", status);
			lever_tokens_clear(out);
			e = LEVER_BAD_REPLY;
			goto out;
		}
		/* Lever's tokens live an hour; a year at most keeps the
		 * callers' milliseconds far from overflow. */
		out->expires_in = ttl < 366 * 86400 ? ttl : 366 * 86400;
		e = LEVER_OK;
		goto out;
	}
	/* Auth0 errors: {"error":"invalid_grant","error_description":"..."}. */
	oerr = ju_str(root, "error");
	desc = ju_str(root, "error_description");
	snprintf(err, errlen, "token endpoint: HTTP %ld %.40s%s%.200s", status,
		 oerr ? oerr : "", desc ? ": " : "", desc ? desc : "");
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	if (oerr && strcmp(oerr, "invalid_grant") == 0)
		e = LEVER_REVOKED;
	else if (status == 429 || status >= 500)
		e = LEVER_TEMPORARY;
	else if (status == 401 || status == 403 ||
		 (oerr && strcmp(oerr, "invalid_client") == 0))
		e = LEVER_UNAUTHORIZED;
	else
		e = LEVER_REJECTED;
out:
	ju_wipe_str(root, "access_token");
	ju_wipe_str(root, "refresh_token");
	json_object_put(root);
	return e;
}

/* POSTs the form fields[0..n) (name, value pairs) to the token endpoint. */
static enum lever_err token_call(const char *token_url, const char *const fields[][2],
				 size_t n, struct lever_tokens *out, char *err, size_t errlen)
{
	struct http_request req;
	struct http_response resp;
	enum lever_err e = LEVER_TEMPORARY;
	char *form = NULL;

	memset(out, 0, sizeof *out);
	memset(&resp, 0, sizeof resp);
	snprintf(err, errlen, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (form_add(&form, fields[i][0], fields[i][1]) < 0)
			goto out;
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = token_url;
	req.body = form;
	req.body_len = strlen(form);
	req.content_type = "application/x-www-form-urlencoded";
	req.retry = HTTP_RETRY_UNSAFE;
	if (http_do(&req, &resp) != HTTP_OK)
		snprintf(err, errlen, "token endpoint: %.300s", resp.error);
	else
		e = lever_parse_token_reply(resp.status, resp.body, resp.body_len, out, err, errlen);
	if (resp.body)
		explicit_bzero(resp.body, resp.body_len);
	http_response_free(&resp);
out:
	crypto_free_secret(form);
	return e;
}

enum lever_err lever_token_exchange(const char *token_url, const char *client_id,
				    const char *client_secret, const char *code,
				    const char *redirect_uri, struct lever_tokens *out,
				    char *err, size_t errlen)
{
	const char *const f[][2] = {
		{ "grant_type", "authorization_code" }, { "client_id", client_id },
		{ "client_secret", client_secret }, { "code", code },
		{ "redirect_uri", redirect_uri },
	};

	return token_call(token_url, f, sizeof f / sizeof f[0], out, err, errlen);
}

enum lever_err lever_token_refresh(const char *token_url, const char *client_id,
				   const char *client_secret, const char *refresh_token,
				   struct lever_tokens *out, char *err, size_t errlen)
{
	const char *const f[][2] = {
		{ "grant_type", "refresh_token" }, { "client_id", client_id },
		{ "client_secret", client_secret }, { "refresh_token", refresh_token },
	};

	return token_call(token_url, f, sizeof f / sizeof f[0], out, err, errlen);
}
