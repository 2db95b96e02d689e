/* admin_svg: bar charts as inline SVG (see admin_svg.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_svg.h"
#include "base/utf8.h"

#define WIDTH 360          /* viewBox units; about a phone's CSS pixels */
#define FILL "#24527a"     /* dark enough to print as a clear grey */
#define TRACK "#e4e4e4"
#define INK "#111"
#define LABEL_MAX 40       /* characters of a label shown (the tooltip has it all) */

/* Trusted markup from a format (numbers and literals only). */
static void out(struct html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(struct html *h, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	html_raw(h, buf);
}

static void begin(struct html *h, int height, const char *title, const char *desc)
{
	out(h, "<svg class=\"chart\" width=\"100%%\" viewBox=\"0 0 %d %d\" role=\"img\" "
	       "font-family=\"sans-serif\" font-size=\"11\" fill=\"" INK "\">\n<title>",
	    WIDTH, height);
	html_txt(h, title);
	html_raw(h, "</title>\n<desc>");
	html_txt(h, desc);
	html_raw(h, "</desc>\n");
}

/* <text> at x, y with the (escaped) string s. */
static void text(struct html *h, double x, double y, const char *anchor, const char *cls,
		 const char *s)
{
	out(h, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
	if (anchor)
		out(h, " text-anchor=\"%s\"", anchor);
	if (cls)
		out(h, " class=\"%s\"", cls);
	html_raw(h, ">");
	html_txt(h, s);
	html_raw(h, "</text>\n");
}

/* A bar: a rect with its tooltip. */
static void bar(struct html *h, const struct svg_bar *b, double x, double y, double w, double hh)
{
	out(h, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"" FILL
	       "\"", x, y, w, hh);
	if (b->attrs) {
		html_raw(h, " ");
		html_raw(h, b->attrs);
	}
	html_raw(h, "><title>");
	if (b->tip) {
		html_txt(h, b->tip);
	} else {
		html_txt(h, b->label);
		html_txt(h, ": ");
		html_txt(h, b->note);
	}
	html_raw(h, "</title></rect>\n");
}

void svg_columns(struct html *h, const char *title, const char *desc, const char *x_axis,
		 const char *y_axis, const char *const *ticks, const struct svg_bar *b,
		 size_t n)
{
	const double x0 = 34, plot = WIDTH - x0 - 16, base = 150, tall = 118;
	double max = 1, col = n ? plot / (double)n : plot;

	for (size_t i = 0; i < n; i++)
		if (b[i].value > max)
			max = b[i].value;
	begin(h, 190, title, desc);
	for (size_t i = 0; i < n; i++) {
		double hh = tall * b[i].value / max, x = x0 + col * (double)i;

		bar(h, &b[i], x + 3, base - hh, col - 6, hh);
		text(h, x + col / 2, base - hh - 4, "middle", "count", b[i].note);
	}
	out(h, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"" INK "\"/>\n", x0,
	    base, x0 + plot, base);
	for (size_t i = 0; i <= n; i++)
		text(h, x0 + col * (double)i, base + 13, "middle", "tick", ticks[i]);
	text(h, x0 + plot / 2, base + 34, "middle", "axis", x_axis);
	out(h, "<g transform=\"rotate(-90)\">");
	text(h, -(base - tall / 2), 12, "middle", "axis", y_axis);
	html_raw(h, "</g>\n</svg>\n");
}

void svg_rows(struct html *h, const char *title, const char *desc, const struct svg_bar *b,
	      size_t n, double max)
{
	const double row = 32, full = 240;

	for (size_t i = 0; max <= 0 && i < n; i++)
		if (b[i].value > max)
			max = b[i].value;
	if (max <= 0)
		max = 1;
	begin(h, (int)(row * (double)n) + 4, title, desc);
	for (size_t i = 0; i < n; i++) {
		double y = row * (double)i, w = full * (b[i].value > 0 ? b[i].value : 0) / max;
		char *cut = utf8_cut_alloc(b[i].label ? b[i].label : "", LABEL_MAX);
		char label[4 * LABEL_MAX + 8];

		/* A long name ends in an ellipsis; the tooltip has it whole. */
		snprintf(label, sizeof label, "%s%s", cut ? cut : "",
			 cut && b[i].label && strcmp(cut, b[i].label) ? "\xe2\x80\xa6" : "");
		free(cut);
		text(h, 0, y + 12, NULL, "label", label);
		out(h, "<rect x=\"0\" y=\"%.1f\" width=\"%.1f\" height=\"12\" fill=\"" TRACK "\"/>\n",
		    y + 16, full);
		bar(h, &b[i], 0, y + 16, w, 12);
		text(h, full + 6, y + 26, NULL, "figure", b[i].note);
	}
	html_raw(h, "</svg>\n");
}
