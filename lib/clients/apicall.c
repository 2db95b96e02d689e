/* apicall: the part of a JSON API call that Lever and CodinGame share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clients/apicall.h"
#include "base/jsonutil.h"

/* Copies untrusted text for error messages: control bytes become '?'. */
static void clean_copy(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	if (!dstlen)
		return;
	for (i = 0; src && src[i] && i + 1 < dstlen; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	dst[i] = '\0';
}

void api_set_error(char *buf, size_t len, const char *method, const char *path,
		   const char *what, const char *more)
{
	int plen = (int)strcspn(path, "?");

	snprintf(buf, len, "%s %.*s: %s%s", method, plen > 200 ? 200 : plen, path,
		 what, more ? more : "");
}

/* A 2xx: parses the reply into *json_out when asked for. */
static enum api_class good_reply(const struct http_request *req, const char *path,
				 const struct http_response *resp, enum api_reply want,
				 struct json_object **json_out, struct api_result *res)
{
	struct json_object *root;
	char why[256], msg[320];
	int array_ok = want == API_REPLY_OBJECT_OR_ARRAY;

	if (!json_out)
		return API_OK;
	root = ju_parse(resp->body, resp->body_len, why, sizeof why);
	if (root && (json_object_is_type(root, json_type_object) ||
		     (array_ok && json_object_is_type(root, json_type_array)))) {
		*json_out = root;
		return API_OK;
	}
	snprintf(msg, sizeof msg, "HTTP %ld: %s", resp->status,
		 !root ? why : array_ok ? "reply is not a JSON object or array"
					: "reply is not a JSON object");
	api_set_error(res->error, sizeof res->error, req->method, path, msg, NULL);
	json_object_put(root);
	res->outcome_unknown = 1; /* a 2xx: it was acted on */
	return API_BAD_REPLY;
}

/* Any other status: code and message from {"code","message"} if any. */
static enum api_class bad_status(const struct http_request *req, const char *path,
				 const struct http_response *resp, struct api_result *res)
{
	struct json_object *root;
	char message[256] = "", msg[400], why[256];
	long st = resp->status;

	root = ju_parse(resp->body, resp->body_len, why, sizeof why);
	clean_copy(res->code, sizeof res->code, ju_str(root, "code"));
	clean_copy(message, sizeof message, ju_str(root, "message"));
	json_object_put(root);
	snprintf(msg, sizeof msg, "HTTP %ld%s%s%s%s", st, res->code[0] ? " " : "",
		 res->code, message[0] ? ": " : "", message);
	api_set_error(res->error, sizeof res->error, req->method, path, msg, NULL);

	/* A 5xx may come after the work was done; 429 surely was not. */
	res->outcome_unknown = st >= 500 && st <= 599;
	if (st == 401 || st == 403)
		return API_UNAUTHORIZED;
	if (st == 404)
		return API_NOTFOUND;
	if (st == 429 || (st >= 500 && st <= 599))
		return API_TEMPORARY;
	if (st >= 400 && st <= 499)
		return API_REJECTED;
	return API_BAD_REPLY; /* 1xx/3xx: redirects are not followed */
}

/* api_call's work; raw (may be NULL): takes the body of a 2xx as it came. */
static enum api_class call(const struct http_request *req, const char *base_url,
			   const char *path, enum api_reply want, struct json_object **json_out,
			   struct http_response *raw, struct api_result *res)
{
	struct http_request r = *req;
	struct http_response resp;
	enum http_err he;
	enum api_class cls;
	char *url = NULL;

	if (json_out)
		*json_out = NULL;
	memset(res, 0, sizeof *res);
	res->retry_after = -1;
	if (asprintf(&url, "%s%s", base_url, path) < 0) {
		api_set_error(res->error, sizeof res->error, r.method, path, "out of memory", NULL);
		return API_TEMPORARY;
	}
	r.url = url;
	r.body_len = r.body ? strlen(r.body) : 0;
	r.content_type = r.body ? "application/json" : NULL;

	he = http_do(&r, &resp);
	res->status = resp.status;
	res->retry_after = resp.retry_after;
	if (he != HTTP_OK) {
		api_set_error(res->error, sizeof res->error, r.method, path, resp.error, NULL);
		/* TIMEOUT: (part of) the request went out and no reply came;
		 * TOOBIG: a reply came, so the server acted. */
		res->outcome_unknown = he == HTTP_ERR_TIMEOUT || he == HTTP_ERR_TOOBIG;
		cls = he == HTTP_ERR_TOOBIG ? API_BAD_REPLY : API_TEMPORARY;
	} else if (resp.status >= 200 && resp.status <= 299) {
		cls = good_reply(&r, path, &resp, want, json_out, res);
		if (raw) {
			*raw = resp;   /* handed over: not freed below */
			memset(&resp, 0, sizeof resp);
		}
	} else {
		cls = bad_status(&r, path, &resp, res);
	}
	http_response_free(&resp);
	free(url);
	return cls;
}

enum api_class api_call(const struct http_request *req, const char *base_url,
			const char *path, enum api_reply want,
			struct json_object **json_out, struct api_result *res)
{
	return call(req, base_url, path, want, json_out, NULL, res);
}

enum api_class api_call_bytes(const struct http_request *req, const char *base_url,
			      const char *path, char **body_alloc, size_t *len,
			      struct api_result *res)
{
	struct http_response raw = { 0 };
	enum api_class cls = call(req, base_url, path, API_REPLY_OBJECT, NULL, &raw, res);

	*body_alloc = cls == API_OK ? raw.body : NULL;
	*len = cls == API_OK ? raw.body_len : 0;
	if (cls != API_OK)
		http_response_free(&raw);
	return cls;
}
