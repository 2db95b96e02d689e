/* req: FastCGI (or CGI) request/response. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/log.h"
#include "base/num.h"
#include "web/req.h"

extern char **environ;

int req_init(struct req *r)
{
	memset(r, 0, sizeof *r);
	r->is_cgi = FCGX_IsCGI();
	if (r->is_cgi)
		return 0;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r->fcgx, 0, 0) != 0)
		return -1;
	return 0;
}

/* The request's id in the log: a random prefix per process, then a
 * count. It only has to tell requests apart in the log, and drawing 8
 * random bytes per request cost more than answering a refused one. */
static void next_id(char out[17])
{
	static uint32_t prefix, count;
	static int ready;

	if (!ready) {
		if (getrandom(&prefix, sizeof prefix, 0) != (ssize_t)sizeof prefix)
			prefix = (uint32_t)random() ^ (uint32_t)getpid();
		ready = 1;
	}
	snprintf(out, 17, "%08x%08x", (unsigned)prefix, (unsigned)++count);
}

static void reset(struct req *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	r->answered = 0;
	log_set_request_id(NULL);
}

const char *req_env(const struct req *r, const char *name)
{
	return r->is_cgi ? getenv(name) : FCGX_GetParam(name, r->envp);
}

/* Longer than any URL cglever makes: refused before any program sees
 * them (the web server caps the headers themselves). */
#define REQ_MAX_PATH_INFO 512
#define REQ_MAX_QUERY     4096

static int too_long(const struct req *r)
{
	return strlen(r->path_info) > REQ_MAX_PATH_INFO || strlen(r->query) > REQ_MAX_QUERY ||
	       (r->remote_user && strlen(r->remote_user) > 256);
}

static int accept_one(struct req *r);

int req_accept(struct req *r)
{
	while (accept_one(r)) {
		if (!too_long(r))
			return 1;
		log_warn("request refused: path or query too long");
		req_reply_text(r, 414, "URI too long");
		req_finish(r);
		if (r->is_cgi)
			return 0;
	}
	return 0;
}

static int accept_one(struct req *r)
{
	reset(r);
	if (r->is_cgi) {
		if (r->started)
			return 0;
		r->envp = environ;
	} else if (FCGX_Accept_r(&r->fcgx) < 0) {
		return 0;
	} else {
		r->envp = r->fcgx.envp;
	}
	r->started = 1;
	r->method = req_env(r, "REQUEST_METHOD");
	r->path_info = req_env(r, "PATH_INFO");
	r->query = req_env(r, "QUERY_STRING");
	r->remote_user = req_env(r, "REMOTE_USER");
	if (!r->method)
		r->method = "";
	if (!r->path_info)
		r->path_info = "";
	if (!r->query)
		r->query = "";
	if (r->remote_user && !*r->remote_user)
		r->remote_user = NULL;
	next_id(r->id);
	log_set_request_id(r->id);
	return 1;
}

static int read_in(struct req *r, char *buf, size_t n)
{
	if (r->is_cgi) {
		ssize_t got = read(STDIN_FILENO, buf, n);

		return got < 0 ? -1 : (int)got;
	}
	return FCGX_GetStr(buf, (int)n, r->fcgx.in);
}

enum req_body req_read_body(struct req *r, long cap)
{
	const char *cl = req_env(r, "CONTENT_LENGTH");
	int64_t len;
	size_t have = 0;

	/* Plain digits only: "+12", " 12" or "0x0c" may be read otherwise by
	 * whatever sits in front of us, so they are refused, not guessed. */
	switch (num_parse_str(cl, 0, INT64_MAX, &len)) {
	case NUM_OK:
		break;
	case NUM_RANGE:
		return REQ_BODY_TOOBIG;
	case NUM_SYNTAX:
		return REQ_BODY_BAD;
	}
	if (len > cap)
		return REQ_BODY_TOOBIG;
	r->body = malloc((size_t)len + 1);
	if (!r->body)
		return REQ_BODY_NOMEM;
	while (have < (size_t)len) {
		size_t want = (size_t)len - have;
		int got = read_in(r, r->body + have, want > INT_MAX ? INT_MAX : want);

		if (got <= 0)
			break;
		have += (size_t)got;
	}
	r->body[have] = '\0';
	r->body_len = have;
	if (have != (size_t)len)
		return REQ_BODY_BAD;
	return REQ_BODY_OK;
}

const char *req_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static void out(struct req *r, const char *s, size_t n)
{
	if (r->is_cgi)
		fwrite(s, 1, n, stdout);
	else
		FCGX_PutStr(s, (int)n, r->fcgx.out);
}

void req_reply(struct req *r, int status, const char *content_type,
	       const char *headers, const char *body, size_t len)
{
	char head[512];
	int n;

	if (r->answered)
		return;
	r->answered = 1;
	/* No form-action in the CSP: "Connect Lever" posts here and is then
	 * redirected to Lever, which browsers would count against it. */
	n = snprintf(head, sizeof head,
		     "Status: %d %s\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "Cache-Control: no-store\r\n"
		     "X-Content-Type-Options: nosniff\r\n"
		     "X-Frame-Options: DENY\r\n"
		     "Referrer-Policy: no-referrer\r\n"
		     "Content-Security-Policy: default-src 'none'; style-src 'self'; frame-ancestors 'none'\r\n",
		     status, req_status_text(status),
		     content_type ? content_type : "text/plain; charset=utf-8", len);
	out(r, head, (size_t)n);
	if (headers)
		out(r, headers, strlen(headers));
	out(r, "\r\n", 2);
	if (body && len)
		out(r, body, len);
}

void req_reply_text(struct req *r, int status, const char *msg)
{
	char buf[512];
	int n = snprintf(buf, sizeof buf, "%d %s%s%s\n", status, req_status_text(status),
			 msg ? ": " : "", msg ? msg : "");

	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	req_reply(r, status, "text/plain; charset=utf-8", NULL, buf, (size_t)n);
}

void req_finish(struct req *r)
{
	if (!r->started)
		return;
	if (!r->answered)
		req_reply_text(r, 500, "no answer");
	if (r->is_cgi)
		fflush(stdout);
	else
		FCGX_Finish_r(&r->fcgx);
	free(r->body);
	r->body = NULL;
}

void req_free(struct req *r)
{
	/* FCGX_Finish_r already released the libfcgi request. */
	reset(r);
}
