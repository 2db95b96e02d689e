/* page: what the admin and OAuth programs share: who may use them, HTML
 * answers, and POST forms checked for their CSRF token. */
#ifndef CGLEVER_PAGE_H
#define CGLEVER_PAGE_H

#include <stddef.h>
#include "base/conf.h"
#include "web/form.h"
#include "web/html.h"
#include "web/req.h"

/* The web server's authenticated user, when listed in admin_users;
 * otherwise answers 403 and returns NULL. */
const char *page_admin(const struct conf *c, struct req *r);
/* 1 when the request may come from this site. A browser's request from
 * another site (Sec-Fetch-Site: cross-site, or an Origin other than
 * public_url's; "null" tells nothing) is answered 403 and gives 0: an image or form on a
 * hostile page must not act, nor make cglever call Lever, with the
 * admin's credentials. Requests without those headers (curl, scripts,
 * older browsers on a GET) pass. */
int page_same_site(const struct conf *c, struct req *r);
/* Sends h (or 500 when it ran out of memory). */
void page_send(struct req *r, int status, struct html *h);
/* An HTML error page with a link back to the admin page. */
void page_error(const struct conf *c, struct req *r, int status, const char *title,
		const char *msg);
/* 303 See Other to url. */
void page_redirect(struct req *r, const char *url);
/* A hidden "csrf" field for user's forms. */
void page_csrf_field(const struct conf *c, struct html *h, const char *user);
/* Reads a POST form whose table includes a required "csrf" field and
 * checks the token for user. Answers the error itself (405, 413, 400,
 * 403) and returns NULL on any problem. */
struct form *page_post_form(const struct conf *c, struct req *r, const char *user,
			    const struct form_field *tbl, size_t n);
/* public_url + "/admin.fcgi/" */
void page_admin_url(const struct conf *c, char *buf, size_t len);

#endif
