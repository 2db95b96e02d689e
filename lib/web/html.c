/* html: output buffer and escaping helpers. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "web/html.h"
#include "base/utf8.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void html_init(struct html *h)
{
	memset(h, 0, sizeof *h);
}

void html_free(struct html *h)
{
	if (!h)
		return;
	free(h->out.data);
	html_init(h);
}

/* Appends n bytes; on allocation failure marks oom and drops the rest. */
static void put(struct html *h, const char *s, size_t n)
{
	if (!h->oom && n > 0 && buf_append(&h->out, s, n) < 0)
		h->oom = 1;
}

void html_raw(struct html *h, const char *s)
{
	if (s)
		put(h, s, strlen(s));
}

/* One escaper for text and attributes: with both quotes escaped the
 * result is safe in element content and in any quoted attribute. Bad
 * UTF-8 is replaced rather than passed on, so no browser can be talked
 * into another reading of the bytes. */
static void escape(struct html *h, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n, i = 0, run = 0, k;
	uint32_t cp;

	if (!s)
		return;
	n = strlen(str);
	while (i < n) {
		const char *rep = NULL;

		k = utf8_seq(s + i, n - i, &cp);
		if (k == 0) {
			rep = replacement;
			k = 1;
		} else {
			switch (cp) {
			case '&':  rep = "&amp;";  break;
			case '<':  rep = "&lt;";   break;
			case '>':  rep = "&gt;";   break;
			case '"':  rep = "&quot;"; break;
			case '\'': rep = "&#39;";  break;
			case '\t': case '\n': case '\r': break;
			default:
				if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
					rep = replacement;
			}
		}
		if (rep) {
			put(h, str + i - run, run);
			run = 0;
			html_raw(h, rep);
		} else {
			run += k;
		}
		i += k;
	}
	put(h, str + i - run, run);
}

void html_txt(struct html *h, const char *s)
{
	escape(h, s);
}

void html_attr(struct html *h, const char *s)
{
	escape(h, s);
}

void html_url_arg(struct html *h, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3] = { '%', 0, 0 };
	size_t i, run = 0;

	if (!s)
		return;
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			run++;
			continue;
		}
		put(h, s + i - run, run);
		run = 0;
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		put(h, esc, 3);
	}
	put(h, s + i - run, run);
}

void html_int(struct html *h, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%" PRId64, v);

	if (n > 0 && (size_t)n < sizeof num)
		put(h, num, (size_t)n);
}

void html_page_begin(struct html *h, const char *title)
{
	html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		 "<meta charset=\"utf-8\">\n"
		 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		 "<meta name=\"referrer\" content=\"no-referrer\">\n"
		 "<title>");
	html_txt(h, title);
	html_raw(h, "</title>\n</head>\n<body>\n<main>\n<h1>");
	html_txt(h, title);
	html_raw(h, "</h1>\n");
}

void html_page_end(struct html *h)
{
	html_raw(h, "</main>\n</body>\n</html>\n");
}

void html_form_begin(struct html *h, const char *action_url, const char *method)
{
	/* Only two methods exist for a form; anything else is a typo and
	 * post is the one that carries the CSRF token. */
	int get = method && strcasecmp(method, "get") == 0;

	html_raw(h, get ? "<form method=\"get\" action=\""
			: "<form method=\"post\" action=\"");
	html_attr(h, action_url);
	html_raw(h, "\">\n");
}

void html_form_end(struct html *h)
{
	html_raw(h, "</form>\n");
}

void html_hidden(struct html *h, const char *name, const char *value)
{
	html_raw(h, "<input type=\"hidden\" name=\"");
	html_attr(h, name);
	html_raw(h, "\" value=\"");
	html_attr(h, value);
	html_raw(h, "\">\n");
}

void html_button(struct html *h, const char *label)
{
	html_raw(h, "<button type=\"submit\">");
	html_txt(h, label);
	html_raw(h, "</button>\n");
}

void html_message(struct html *h, const char *kind, const char *text)
{
	int ok = kind && strcmp(kind, "ok") == 0;

	html_raw(h, ok ? "<p class=\"msg ok\" role=\"status\">"
		       : "<p class=\"msg error\" role=\"alert\">");
	html_txt(h, text);
	html_raw(h, "</p>\n");
}
