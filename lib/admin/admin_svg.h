/* admin_svg: bar charts as inline SVG that read without JavaScript, on a
 * phone and on paper: a viewBox 360 units wide drawn at the page's width
 * (class "chart": the style sheet caps it), a <title> and <desc> for
 * screen readers, every figure written as text beside its bar, dark
 * fills and black text (no colour carries meaning), presentation
 * attributes only (the CSP allows no inline style). Every string is
 * escaped (html_txt, html_attr). */
#ifndef CGLEVER_ADMIN_SVG_H
#define CGLEVER_ADMIN_SVG_H

#include <stddef.h>
#include "web/html.h"

struct svg_bar {
	const char *label;   /* under a column, or above a row (cut to 40 characters) */
	const char *note;    /* the figure, at the bar's end */
	const char *tip;     /* the bar's tooltip (<title>); NULL: label and note */
	double value;        /* the bar's length against the chart's max */
	const char *attrs;   /* trusted attributes for the bar (data-*), or NULL */
};

/* Columns side by side over a baseline: ticks are the n + 1 labels of
 * the columns' edges (a histogram's bucket bounds), x_axis and y_axis
 * the axes' names. The tallest column is max (at least 1). */
void svg_columns(struct html *h, const char *title, const char *desc, const char *x_axis,
		 const char *y_axis, const char *const *ticks, const struct svg_bar *b,
		 size_t n);
/* Horizontal bars, one a row, each label above its bar, against max
 * (a full-width bar; <= 0: the longest bar). */
void svg_rows(struct html *h, const char *title, const char *desc, const struct svg_bar *b,
	      size_t n, double max);

#endif
