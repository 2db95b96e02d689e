/* http: the one libcurl client. One reused easy handle per process, TLS
 * peers always verified, timeouts, retries with exponential backoff on
 * 429/5xx/timeouts honouring Retry-After. */
#ifndef CGLEVER_HTTP_H
#define CGLEVER_HTTP_H

#include <stddef.h>
#include "net/ratelimit.h"

enum http_err {
	HTTP_OK = 0,        /* an HTTP status was received (any status) */
	HTTP_ERR_CONNECT,   /* request never reached the server */
	HTTP_ERR_TIMEOUT,   /* timed out: the server may have acted on it */
	HTTP_ERR_TOOBIG,    /* reply larger than the cap */
	HTTP_ERR_OTHER
};

enum http_retry {
	HTTP_RETRY_IDEMPOTENT = 0, /* retry 429, 5xx, timeouts, connect errors */
	HTTP_RETRY_UNSAFE          /* retry only what surely was not acted on:
				      connect errors and 429 */
};

struct http_request {
	const char *method;        /* "GET", "POST", "PUT", "DELETE" */
	const char *url;
	const char *body;          /* NULL: no body */
	size_t body_len;
	const char *content_type;  /* e.g. "application/json" */
	const char *basic_user;    /* HTTP Basic, empty password */
	const char *basic_pass;    /* NULL = empty */
	const char *bearer;        /* Authorization: Bearer */
	const char *header;        /* one extra "Name: value" header */
	/* A multipart/form-data body of one file part instead of body
	 * (when file_field is set; the method is then POST). */
	const char *file_field;    /* the part's name, e.g. "file" */
	const char *file_name;     /* its filename */
	const char *file_type;     /* its Content-Type, e.g. "application/pdf" */
	const char *file_data;
	size_t file_len;
	const char *accept;        /* Accept header; NULL: application/json */
	size_t max_reply;          /* reply size cap; 0: the default (8 MiB) */
	enum http_retry retry;
	int max_tries;             /* 0 = default (4) */
	struct ratelimit *rl;      /* waited on before every try; may be NULL */
};

struct http_response {
	long status;               /* 0 when none received */
	char *body;                /* NUL-terminated, owned */
	size_t body_len;
	long retry_after;          /* seconds from the last reply, -1 if none */
	int tries;
	char error[256];           /* why, when not HTTP_OK */
};

/* Set once per process: timeout per try, and the base backoff in ms
 * (tests shorten it). Defaults: 10 s, 500 ms. Max backoff/Retry-After
 * honoured inside one call: 30 s; a longer Retry-After ends the call. */
void http_configure(long timeout_seconds, long backoff_base_ms);
/* Performs the request with retries. Fills resp (caller frees with
 * http_response_free, also on error). */
enum http_err http_do(const struct http_request *req, struct http_response *resp);
void http_response_free(struct http_response *resp);
const char *http_strerror(enum http_err e);
/* Percent-encodes s for a query string or path; caller frees. */
char *http_escape_alloc(const char *s);
/* Releases the process-wide handle. */
void http_cleanup(void);

#endif
