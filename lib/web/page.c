/* page: shared by admin.fcgi and oauth.fcgi. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/crypto.h"
#include "web/csrf.h"
#include "base/log.h"
#include "web/page.h"

void page_admin_url(const struct conf *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/admin.fcgi/", c->public_url);
}

void page_send(struct req *r, int status, struct html *h)
{
	if (h->oom) {
		req_reply_text(r, 500, "out of memory");
		return;
	}
	req_reply(r, status, "text/html; charset=utf-8", NULL, h->out.data, h->out.len);
}

void page_error(const struct conf *c, struct req *r, int status, const char *title,
		const char *msg)
{
	struct html h;
	char back[1024];

	page_admin_url(c, back, sizeof back);
	html_init(&h);
	html_page_begin(&h, title);
	html_message(&h, "error", msg);
	html_raw(&h, "<p><a href=\"");
	html_attr(&h, back);
	html_raw(&h, "\">Back to the cglever admin page</a></p>\n");
	html_page_end(&h);
	page_send(r, status, &h);
	html_free(&h);
}

/* public_url's origin: "scheme://host[:port]", without the path. */
static size_t origin_len(const char *url)
{
	const char *host = strstr(url, "://");

	return host ? (size_t)(host + 3 - url) + strcspn(host + 3, "/?#") : strlen(url);
}

int page_same_site(const struct conf *c, struct req *r)
{
	const char *site = req_env(r, "HTTP_SEC_FETCH_SITE");
	const char *origin = req_env(r, "HTTP_ORIGIN");
	size_t n = origin_len(c->public_url);

	/* "Origin: null" is what browsers send on our own forms' POSTs, as
	 * our pages say Referrer-Policy: no-referrer: it tells nothing, so
	 * Sec-Fetch-Site and the CSRF token decide. */
	if (origin && strcmp(origin, "null") == 0)
		origin = NULL;
	if ((site && strcmp(site, "cross-site") == 0) ||
	    (origin && (strlen(origin) != n || strncasecmp(origin, c->public_url, n) != 0))) {
		log_limited(LOG_LEVEL_WARN, "admin request from another site refused");
		page_error(c, r, 403, "Refused: request from another site",
			   "This request came from another web site, not from cglever's own "
			   "pages, so cglever did not act on it. Open the cglever admin page "
			   "and use its links and buttons.");
		return 0;
	}
	return 1;
}

const char *page_admin(const struct conf *c, struct req *r)
{
	if (!r->remote_user) {
		page_error(c, r, 403, "Sign-in required",
			   "The web server did not authenticate you. cglever's admin pages trust "
			   "only the web server's sign-in: protect admin.fcgi and oauth.fcgi with "
			   "it (INSTALL, section 4: Apache \"AuthType Basic\" with an AuthUserFile "
			   "and \"Require valid-user\") and list the user names in admin_users.");
		return NULL;
	}
	if (!conf_is_admin(c, r->remote_user)) {
		log_warn("admin page refused to %s: not in admin_users", r->remote_user);
		page_error(c, r, 403, "Not allowed",
			   "You are signed in, but your user is not listed in admin_users in "
			   "cglever's configuration (INSTALL, section 4, says how access is set up).");
		return NULL;
	}
	return r->remote_user;
}

void page_redirect(struct req *r, const char *url)
{
	char hdr[2200];

	/* url is built by us from escaped parts; no CR/LF can reach here. */
	if (strpbrk(url, "\r\n") || snprintf(hdr, sizeof hdr, "Location: %s\r\n", url) >=
						    (int)sizeof hdr) {
		req_reply_text(r, 500, "bad redirect");
		return;
	}
	req_reply(r, 303, "text/plain; charset=utf-8", hdr, "See Other\n", 10);
}

/* The CSRF key, derived from the passphrase once per process: the
 * passphrase itself only ever encrypts the store. NULL on failure. */
static const unsigned char *csrf_key(const struct conf *c)
{
	static unsigned char key[CSRF_KEY_LEN];
	static int ready;

	if (!ready && c->secret &&
	    crypto_derive_key(c->secret, strlen(c->secret), CSRF_KEY_LABEL, key, sizeof key) == 0)
		ready = 1;
	if (!ready)
		log_err("cannot derive the CSRF key");
	return ready ? key : NULL;
}

void page_csrf_field(const struct conf *c, struct html *h, const char *user)
{
	const unsigned char *key = csrf_key(c);
	char tok[CSRF_LEN];

	if (key && csrf_make(key, CSRF_KEY_LEN, user, clock_wall_ms(), tok) == 0)
		html_hidden(h, "csrf", tok);
}

struct form *page_post_form(const struct conf *c, struct req *r, const char *user,
			    const struct form_field *tbl, size_t n)
{
	struct form *f = NULL;
	const char *ct = req_env(r, "CONTENT_TYPE");
	const unsigned char *key;
	int i;

	if (strcmp(r->method, "POST") != 0) {
		static const char msg[] = "405 Method Not Allowed: POST only\n";

		req_reply(r, 405, "text/plain; charset=utf-8", "Allow: POST\r\n", msg,
			  sizeof msg - 1);
		return NULL;
	}
	if (!ct || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		page_error(c, r, 415, "Bad request", "Forms must be sent form-encoded.");
		return NULL;
	}
	switch (req_read_body(r, c->max_body_bytes)) {
	case REQ_BODY_OK:
		break;
	case REQ_BODY_TOOBIG:
		page_error(c, r, 413, "Too large", "The form is larger than max_body_bytes.");
		return NULL;
	default:
		page_error(c, r, 400, "Bad request", "The form could not be read.");
		return NULL;
	}
	if (form_parse(tbl, n, r->body, r->body_len, &f) < 0) {
		page_error(c, r, 400, "Bad request", f ? f->error : "out of memory");
		form_free(f);
		return NULL;
	}
	i = form_index(tbl, n, "csrf");
	key = csrf_key(c);
	if (i < 0 || !key ||
	    !csrf_check(key, CSRF_KEY_LEN, user, f->str[i], clock_wall_ms(), CSRF_MAX_AGE_MS)) {
		log_warn("form refused for %s: bad or stale CSRF token", user);
		page_error(c, r, 403, "Form expired",
			   "This form is stale or was not sent from cglever's admin page. "
			   "Reload the admin page and try again.");
		form_free(f);
		return NULL;
	}
	return f;
}
