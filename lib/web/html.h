/* html: an output buffer and escaping helpers, cgit-style. Everything
 * that is not a literal in the program goes through html_txt, html_attr,
 * html_url_arg or html_int; html_raw is for trusted markup only.
 * Pages carry no inline script or style: the CSP is
 * "default-src 'none'; style-src 'self'". */
#ifndef CGLEVER_HTML_H
#define CGLEVER_HTML_H

#include <stddef.h>
#include <stdint.h>
#include "base/buf.h"

/* The page so far in out (see base/buf.h). Once an allocation fails oom
 * stays set and later writes are dropped, so a page is built without
 * checks at each call and checked once (answer 500 on oom). */
struct html {
	struct buf out;
	int oom;
};

void html_init(struct html *h);
/* Frees the buffer and resets h for reuse; accepts NULL. */
void html_free(struct html *h);

/* Trusted literal markup, copied as is. */
void html_raw(struct html *h, const char *s);
/* Untrusted text for element content: & < > " ' escaped; invalid UTF-8
 * and control characters other than \t \n \r become U+FFFD. NULL = "". */
void html_txt(struct html *h, const char *s);
/* The same escaping, for a double-quoted attribute value. */
void html_attr(struct html *h, const char *s);
/* Percent-encodes all but RFC 3986 unreserved bytes (A-Z a-z 0-9 - . _ ~),
 * for one query argument or path segment; safe in an attribute as is. */
void html_url_arg(struct html *h, const char *s);
void html_int(struct html *h, int64_t v);

/* <!DOCTYPE html> ... <body><main><h1>title</h1>; the title is escaped. */
void html_page_begin(struct html *h, const char *title);
void html_page_end(struct html *h);
/* <form method="post|get" action="...">: method is "get" (any case) or anything
 * else for post; action_url is attribute-escaped. */
void html_form_begin(struct html *h, const char *action_url, const char *method);
void html_form_end(struct html *h);
void html_hidden(struct html *h, const char *name, const char *value);
/* <button type="submit">label</button> */
void html_button(struct html *h, const char *label);
/* <p class="msg ok" role="status"> for kind "ok"; anything else is shown
 * as an error (class "msg error", role "alert"). */
void html_message(struct html *h, const char *kind, const char *text);

#endif
