/* apicall: one call to a JSON API (Lever, CodinGame) on top of http.h.
 * Performs the request, classifies the outcome, parses the reply or the
 * {"code","message"} error envelope, and writes the error text
 * "METHOD /path: HTTP 404 Code: message". Each client maps the class to
 * its own error enum and keeps its own quirks. */
#ifndef CGLEVER_APICALL_H
#define CGLEVER_APICALL_H

#include <json-c/json.h>
#include "net/http.h"

enum api_class {
	API_OK = 0,
	API_NOTFOUND,       /* 404 */
	API_UNAUTHORIZED,   /* 401/403 */
	API_TEMPORARY,      /* 429/5xx/timeout/connection after retries */
	API_REJECTED,       /* other 4xx */
	API_BAD_REPLY       /* 1xx/3xx, reply too large or not the JSON expected */
};

/* What a 2xx reply must hold when the caller asks for it. */
enum api_reply {
	API_REPLY_OBJECT = 0,
	API_REPLY_OBJECT_OR_ARRAY
};

struct api_result {
	long status;               /* HTTP status, 0 when none received */
	long retry_after;          /* seconds from the last reply, -1 if none */
	/* 1 when the request may have been acted on though no good reply
	 * came: a timeout, a 5xx, a reply too large, a 2xx not as expected. */
	int outcome_unknown;
	char code[64];             /* API error code from the envelope, or "" */
	char error[512];           /* "" on API_OK */
};

/* Performs req at base_url + path: method, body (a NUL-terminated JSON
 * text or NULL; url, body_len and content_type are set here), auth,
 * header, retry, rl. path (which starts with '/' and may carry a query)
 * names the call in the error text, its query cut off. On API_OK with
 * json_out, *json_out is the parsed reply (caller puts it); without
 * json_out the body of a 2xx is not looked at. res is always filled. */
enum api_class api_call(const struct http_request *req, const char *base_url,
			const char *path, enum api_reply want,
			struct json_object **json_out, struct api_result *res);

/* Like api_call, for a reply that is not JSON (a PDF): on API_OK
 * *body_alloc holds the 2xx reply's bytes (NUL-terminated, *len of them;
 * caller frees), else NULL. */
enum api_class api_call_bytes(const struct http_request *req, const char *base_url,
			      const char *path, char **body_alloc, size_t *len,
			      struct api_result *res);

/* Writes "METHOD /path: what more" into buf, the query left out: it may
 * hold a candidate's email. more may be NULL. */
void api_set_error(char *buf, size_t len, const char *method, const char *path,
		   const char *what, const char *more);

#endif
