/* http: the one libcurl client; every curl call of the project lives here.
 *
 * One easy handle per process, reset between requests: curl_easy_reset
 * clears the options but keeps the connection and DNS caches, so a queue
 * runner talking to Lever reuses its TLS connection.
 *
 * Failure classes, which decide retries (see http.h):
 *   HTTP_ERR_CONNECT  nothing was sent (resolve, connect, TLS handshake,
 *                     or a timeout before the request went out);
 *   HTTP_ERR_TIMEOUT  the request, or part of it, was sent and no full
 *                     reply came back: the server may have acted on it;
 *   HTTP_ERR_TOOBIG   the reply was over the cap (the server did act);
 *   HTTP_ERR_OTHER    a local or permanent problem (bad URL, certificate
 *                     refused, out of memory): never retried.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/num.h"
#include "net/http.h"
#include "base/log.h"

#define HTTP_DEFAULT_TRIES   4
#define HTTP_BODY_CAP        (8L * 1024 * 1024)
#define HTTP_CONNECT_TIMEOUT 5L
#define HTTP_MAX_WAIT_MS     30000L
#define HTTP_USER_AGENT      "cglever/0.1"

static CURL *g_curl;
static int g_global_done;
static long g_timeout_s = 10;
static long g_backoff_ms = 500;
static uint64_t g_rand_state;

/* Retry-After in seconds past this is "much later": it ends the call. */
#define HTTP_RETRY_AFTER_MAX 999999999L

/* What one transfer collects through the callbacks. */
struct xfer {
	struct buf body;
	size_t cap;                /* reply size cap */
	curl_mime *mime;           /* the file upload's body, or NULL */
	int toobig;
	long retry_after;          /* -1: none in the last reply */
};

void http_configure(long timeout_seconds, long backoff_base_ms)
{
	if (timeout_seconds > 0)
		g_timeout_s = timeout_seconds;
	if (backoff_base_ms >= 0)
		g_backoff_ms = backoff_base_ms;
}

const char *http_strerror(enum http_err e)
{
	switch (e) {
	case HTTP_OK: return "ok";
	case HTTP_ERR_CONNECT: return "could not connect";
	case HTTP_ERR_TIMEOUT: return "no complete reply (may have been acted on)";
	case HTTP_ERR_TOOBIG: return "reply too large";
	case HTTP_ERR_OTHER: return "request failed";
	}
	return "unknown error";
}

static CURL *handle(void)
{
	if (!g_global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		g_global_done = 1;
	}
	if (!g_curl)
		g_curl = curl_easy_init();
	return g_curl;
}

void http_cleanup(void)
{
	if (g_curl) {
		curl_easy_cleanup(g_curl);
		g_curl = NULL;
	}
	if (g_global_done) {
		curl_global_cleanup();
		g_global_done = 0;
	}
}

void http_response_free(struct http_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

char *http_escape_alloc(const char *s)
{
	CURL *c = handle();
	char *e, *out;

	if (!c || !s)
		return NULL;
	e = curl_easy_escape(c, s, 0);
	if (!e)
		return NULL;
	/* Hand back malloc'd memory so callers use plain free(). */
	out = strdup(e);
	curl_free(e);
	return out;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	if (n > x->cap - x->body.len) {
		x->toobig = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return buf_append(&x->body, ptr, n) < 0 ? 0 : n;
}

/* Retry-After: delta-seconds (plain digits, through num_parse: past
 * HTTP_RETRY_AFTER_MAX it just means "much later"), or an HTTP-date turned
 * into seconds from now. Anything else ("+5", "5 5", junk) is no
 * Retry-After: -1, logged. */
static long parse_retry_after(const char *v, size_t n)
{
	char tmp[128];
	int64_t secs;
	time_t when, now;

	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' ||
			 v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	switch (num_parse(v, n, 0, HTTP_RETRY_AFTER_MAX, &secs)) {
	case NUM_OK:
		return (long)secs;
	case NUM_RANGE:
		return HTTP_RETRY_AFTER_MAX;
	case NUM_SYNTAX:
		break;
	}
	if (n > 0 && n < sizeof tmp) {
		memcpy(tmp, v, n);
		tmp[n] = '\0';
		if ((when = curl_getdate(tmp, NULL)) != (time_t)-1) {
			now = time(NULL);
			return when > now ? (long)(when - now) : 0;
		}
	}
	log_debug("http: Retry-After \"%.*s\" ignored: neither seconds nor an HTTP-date",
		  n > 40 ? 40 : (int)n, v);
	return -1;
}

static size_t on_header(char *ptr, size_t size, size_t nitems, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nitems;
	static const char name[] = "retry-after:";

	/* A new status line starts a new reply (e.g. after 100 Continue). */
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
		x->retry_after = -1;
	else if (n > sizeof name - 1 &&
		 strncasecmp(ptr, name, sizeof name - 1) == 0)
		x->retry_after = parse_retry_after(ptr + sizeof name - 1,
						   n - (sizeof name - 1));
	return n;
}

/* xorshift64*: jitter only, no need for anything stronger. */
static double rand_unit(void)
{
	uint64_t x;

	if (!g_rand_state)
		g_rand_state = (uint64_t)clock_mono_us() ^
			       ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	x = g_rand_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g_rand_state = x;
	return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

/* Backoff before try number `next` (2, 3, ...): base * 2^(next-2), ±20%. */
static long backoff_ms(int next)
{
	double ms = (double)g_backoff_ms;

	for (int i = 2; i < next && ms < HTTP_MAX_WAIT_MS; i++)
		ms *= 2;
	ms *= 0.8 + 0.4 * rand_unit();
	if (ms > HTTP_MAX_WAIT_MS)
		ms = HTTP_MAX_WAIT_MS;
	return (long)ms;
}

/* The URL without its query string: queries may carry emails, which stay
 * out of warn-level logs. */
static int url_path_len(const char *url)
{
	size_t n = strcspn(url, "?#");

	return n > 300 ? 300 : (int)n;
}

static enum http_err classify(CURLcode rc, const struct xfer *x, CURL *c)
{
	curl_off_t sent = 0;
	long reqsize = 0;

	if (x->toobig || rc == CURLE_FILESIZE_EXCEEDED)
		return HTTP_ERR_TOOBIG;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return HTTP_ERR_CONNECT;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_BAD_FUNCTION_ARGUMENT:
		return HTTP_ERR_OTHER;
	default:
		break;
	}
	/* Anything else is a network failure; whether the server may have
	 * acted depends on whether any of the request left this host. */
	curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &reqsize);
	curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &sent);
	if (reqsize > 0 || sent > 0)
		return HTTP_ERR_TIMEOUT;
	return HTTP_ERR_CONNECT;
}

/* The one file part of req as a MIME body for c (caller frees), or NULL. */
static curl_mime *file_mime(CURL *c, const struct http_request *req)
{
	curl_mime *m = curl_mime_init(c);
	curl_mimepart *part = m ? curl_mime_addpart(m) : NULL;

	if (!part || curl_mime_name(part, req->file_field) != CURLE_OK ||
	    curl_mime_filename(part, req->file_name) != CURLE_OK ||
	    (req->file_type && curl_mime_type(part, req->file_type) != CURLE_OK) ||
	    curl_mime_data(part, req->file_data, req->file_len) != CURLE_OK) {
		curl_mime_free(m);
		return NULL;
	}
	return m;
}

/* Sets the options of one try (x->mime: the MIME body it made, freed by
 * the caller). Returns 0, or -1 with resp->error set. */
static int setup(CURL *c, const struct http_request *req, struct xfer *x,
		 struct curl_slist **hdrs, char *errbuf, struct http_response *resp)
{
	CURLcode rc = CURLE_OK;
	char line[2048];
	struct curl_slist *h = NULL, *t;

	curl_easy_reset(c);
#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl_easy_setopt(c, opt, val); } while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT);
	SET(CURLOPT_TIMEOUT, g_timeout_s);
	SET(CURLOPT_USERAGENT, HTTP_USER_AGENT);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->cap);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	/* libcurl silently resends a request whose reused connection gave
	 * no reply, even a POST the server may have acted on. A fresh
	 * connection rules that out for requests that must not repeat. */
	if (req->retry == HTTP_RETRY_UNSAFE)
		SET(CURLOPT_FRESH_CONNECT, 1L);

	if (req->file_field) {
		if (!(x->mime = file_mime(c, req))) {
			snprintf(resp->error, sizeof resp->error, "out of memory");
			return -1;
		}
		SET(CURLOPT_MIMEPOST, x->mime);
	} else if (strcmp(req->method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(req->method, "POST") == 0 || req->body) {
		if (strcmp(req->method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, req->method);
		SET(CURLOPT_POST, 1L);
		/* Not copied by curl: req->body outlives the transfer. */
		SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		SET(CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(req->body ? req->body_len : 0));
	} else {
		SET(CURLOPT_CUSTOMREQUEST, req->method);
	}

	if (req->basic_user) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, req->basic_user);
		SET(CURLOPT_PASSWORD, req->basic_pass ? req->basic_pass : "");
	}
	if (rc != CURLE_OK) {
		snprintf(resp->error, sizeof resp->error, "curl setup: %s",
			 curl_easy_strerror(rc));
		return -1;
	}
#undef SET

	/* "Expect:" stops curl from waiting for 100 Continue on big bodies. */
	if (!(t = curl_slist_append(h, "Expect:")))
		goto oom;
	h = t;
	snprintf(line, sizeof line, "Accept: %.200s", req->accept ? req->accept : "application/json");
	if (!(t = curl_slist_append(h, line)))
		goto oom;
	h = t;
	if (req->content_type && req->body) {
		snprintf(line, sizeof line, "Content-Type: %s", req->content_type);
		if (!(t = curl_slist_append(h, line)))
			goto oom;
		h = t;
	}
	if (req->bearer && !req->basic_user) {
		if ((size_t)snprintf(line, sizeof line, "Authorization: Bearer %s",
				     req->bearer) >= sizeof line) {
			explicit_bzero(line, sizeof line);
			snprintf(resp->error, sizeof resp->error, "bearer token too long");
			curl_slist_free_all(h);
			return -1;
		}
		t = curl_slist_append(h, line);
		explicit_bzero(line, sizeof line); /* secret: do not leave it on the stack */
		if (!t)
			goto oom;
		h = t;
	}
	if (req->header) {
		if (!(t = curl_slist_append(h, req->header)))
			goto oom;
		h = t;
	}
	if (curl_easy_setopt(c, CURLOPT_HTTPHEADER, h) != CURLE_OK)
		goto oom;
	*hdrs = h;
	return 0;
oom:
	curl_slist_free_all(h);
	snprintf(resp->error, sizeof resp->error, "out of memory");
	return -1;
}

/* Secrets sit in the header list (bearer, API-Key): wipe before freeing. */
static void free_headers(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

static int retryable(const struct http_request *req, enum http_err e, long status)
{
	if (e == HTTP_ERR_CONNECT)
		return 1;
	if (e == HTTP_OK && status == 429)
		return 1;
	if (req->retry == HTTP_RETRY_UNSAFE)
		return 0;
	return e == HTTP_ERR_TIMEOUT || (e == HTTP_OK && status >= 500 && status <= 599);
}

enum http_err http_do(const struct http_request *req, struct http_response *resp)
{
	CURL *c;
	int max_tries = req->max_tries > 0 ? req->max_tries : HTTP_DEFAULT_TRIES;
	enum http_err e = HTTP_ERR_OTHER;
	const char *method = req->method ? req->method : "GET";

	memset(resp, 0, sizeof *resp);
	resp->retry_after = -1;
	if (!req->url || !req->method) {
		snprintf(resp->error, sizeof resp->error, "no method or URL");
		return HTTP_ERR_OTHER;
	}
	if (!(c = handle())) {
		snprintf(resp->error, sizeof resp->error, "curl init failed");
		return HTTP_ERR_OTHER;
	}

	for (int try = 1; try <= max_tries; try++) {
		struct xfer x = { { NULL, 0, 0 }, req->max_reply ? req->max_reply : HTTP_BODY_CAP,
				  NULL, 0, -1 };
		struct curl_slist *hdrs = NULL;
		char errbuf[CURL_ERROR_SIZE] = "";
		CURLcode rc;
		long wait;

		http_response_free(resp);
		resp->status = 0;
		resp->retry_after = -1;
		resp->error[0] = '\0';
		resp->tries = try;

		ratelimit_wait(req->rl);
		if (setup(c, req, &x, &hdrs, errbuf, resp) < 0) {
			e = HTTP_ERR_OTHER;
			free(x.body.data);
			curl_mime_free(x.mime);
			break;
		}
		log_debug("http: %s %.*s (try %d/%d)", method,
			  url_path_len(req->url), req->url, try, max_tries);
		rc = curl_easy_perform(c);
		/* The list and the error buffer are ours: detach before freeing. */
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
		curl_easy_setopt(c, CURLOPT_MIMEPOST, NULL);
		curl_mime_free(x.mime);   /* a copy of the file: curl_mime_data copies */
		free_headers(hdrs);

		resp->retry_after = x.retry_after;
		if (rc == CURLE_OK) {
			e = HTTP_OK;
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
			if (!x.body.data && buf_append(&x.body, "", 0) < 0) {
				e = HTTP_ERR_OTHER;
				resp->status = 0;
				snprintf(resp->error, sizeof resp->error, "out of memory");
				break;
			}
			resp->body = x.body.data;
			resp->body_len = x.body.len;
		} else {
			e = classify(rc, &x, c);
			free(x.body.data);
			if (e == HTTP_ERR_TOOBIG) {
				curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
				snprintf(resp->error, sizeof resp->error,
					 "reply larger than %zu bytes", x.cap);
			} else {
				snprintf(resp->error, sizeof resp->error, "%s",
					 errbuf[0] ? errbuf : curl_easy_strerror(rc));
			}
		}

		if (try == max_tries || !retryable(req, e, resp->status))
			break;
		if (resp->retry_after > HTTP_MAX_WAIT_MS / 1000) {
			/* Too long to sleep inside one call: the caller
			 * reschedules using resp->retry_after. */
			log_debug("http: %s %.*s: Retry-After %ld s, giving up for now",
				  method, url_path_len(req->url), req->url,
				  resp->retry_after);
			break;
		}
		wait = resp->retry_after >= 0 ? resp->retry_after * 1000 : backoff_ms(try + 1);
		if (e == HTTP_OK)
			log_debug("http: %s %.*s: HTTP %ld, retrying in %ld ms", method,
				  url_path_len(req->url), req->url, resp->status, wait);
		else
			log_debug("http: %s %.*s: %s, retrying in %ld ms", method,
				  url_path_len(req->url), req->url, resp->error, wait);
		clock_sleep_ms(wait);
	}
	if (e != HTTP_OK && e != HTTP_ERR_TOOBIG) {
		http_response_free(resp);
		resp->status = 0;
	}
	return e;
}
