/* admin_campaigns: per campaign, what a recruiter takes in at a glance:
 * the funnel sent -> started -> completed -> passed, the score histogram,
 * the median score and time to complete and the average per technology,
 * as figures and as inline SVG charts (no script), from the summaries
 * the store keeps (no invitation is read: the page costs the same
 * whatever the history). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_campaigns.h"
#include "admin/admin_common.h"
#include "admin/admin_lists.h"
#include "admin/admin_svg.h"
#include "base/buf.h"
#include "web/page.h"

#define BINS 10

struct tech {
	const char *name;   /* the summaries' */
	int count;
	int64_t sum;        /* hundredths */
};

/* One campaign: its rules' summaries (store_campaign_sums) added up. */
struct summary {
	int64_t campaign;
	int sent, started, completed, waiting, judged, passed, timed;
	int bins[BINS];
	int score_lo, score_hi;      /* the two middle scores, hundredths */
	int min_lo, min_hi;          /* the two middle times, minutes */
	struct tech *tech;
	size_t n_tech;
};

/* k ascending lists of values with how many have each. */
struct sorted {
	const int *v, *c;
	size_t n;
};

static const struct store_rule *rule_of(struct store_rule **r, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (r[i]->id == id)
			return r[i];
	return NULL;
}

/* The two middle values (equal when total is odd) of the k lists' total
 * values, walked in order across the lists. -1 when out of memory. */
static int middle(const struct sorted *l, size_t k, size_t total, int *lo_v, int *hi_v)
{
	size_t lo = (total - 1) / 2, hi = total / 2, seen = 0;
	size_t *at = calloc(k ? k : 1, sizeof *at);

	if (!at)
		return -1;
	while (total && seen <= hi) {
		size_t best = k;

		/* The smallest value not walked yet, across the lists. */
		for (size_t i = 0; i < k; i++)
			if (at[i] < l[i].n && (best == k || l[i].v[at[i]] < l[best].v[at[best]]))
				best = i;
		if (best == k)
			break;
		if (seen <= lo && lo < seen + (size_t)l[best].c[at[best]])
			*lo_v = l[best].v[at[best]];
		if (seen <= hi && hi < seen + (size_t)l[best].c[at[best]])
			*hi_v = l[best].v[at[best]];
		seen += (size_t)l[best].c[at[best]];
		at[best]++;
	}
	free(at);
	return 0;
}

static int tech_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tech *)a)->name, ((const struct tech *)b)->name);
}

/* Adds r's technologies to s's, by name. -1 when out of memory. */
static int add_techs(struct summary *s, size_t *cap, const struct store_campaign_sum *r)
{
	for (size_t j = 0; j < r->n_tech; j++) {
		size_t i = 0;
		void *list = s->tech;

		while (i < s->n_tech && strcmp(s->tech[i].name, r->tech[j]) != 0)
			i++;
		if (i == s->n_tech) {
			if (buf_reserve(&list, cap, s->n_tech + 1, sizeof *s->tech) != 0)
				return -1;
			s->tech = list;
			s->tech[s->n_tech++] = (struct tech){ .name = r->tech[j] };
		}
		s->tech[i].count += r->tech_count[j];
		s->tech[i].sum += r->tech_sum[j];
	}
	return 0;
}

/* Adds up the summaries of one campaign (k of them from sums). -1 when
 * out of memory. */
static int add_up(struct summary *s, struct store_campaign_sum **sums, size_t k,
		  struct store_rule **rules, size_t n_rules)
{
	struct sorted *sc = calloc(k, sizeof *sc), *tm = calloc(k, sizeof *tm);
	size_t cap = 0;
	int ret = -1;

	memset(s, 0, sizeof *s);
	s->campaign = sums[0]->campaign;
	if (!sc || !tm)
		goto out;
	for (size_t i = 0; i < k; i++) {
		const struct store_campaign_sum *r = sums[i];
		const struct store_rule *rule = rule_of(rules, n_rules, r->rule_id);

		s->sent += r->sent;
		s->started += r->started;
		s->waiting += r->waiting;
		s->completed += r->completed;
		sc[i] = (struct sorted){ r->score, r->count, r->n };
		tm[i] = (struct sorted){ r->minutes, r->time_count, r->n_times };
		for (size_t j = 0; j < r->n_times; j++)
			s->timed += r->time_count[j];
		/* Passed: against the pass mark of the rule that sent it. */
		if (rule && rule->pass_score >= 0)
			s->judged += r->completed;
		for (size_t j = 0; j < r->n; j++) {
			s->bins[r->score[j] >= 10000 ? BINS - 1 : r->score[j] / 1000] += r->count[j];
			if (rule && rule->pass_score >= 0 && r->score[j] >= rule->pass_score * 100)
				s->passed += r->count[j];
		}
		if (add_techs(s, &cap, r) != 0)
			goto out;
	}
	if (middle(sc, k, (size_t)s->completed, &s->score_lo, &s->score_hi) != 0 ||
	    middle(tm, k, (size_t)s->timed, &s->min_lo, &s->min_hi) != 0)
		goto out;
	if (s->n_tech)
		qsort(s->tech, s->n_tech, sizeof *s->tech, tech_cmp);
	ret = 0;
out:
	free(sc);
	free(tm);
	return ret;
}

/* "12 (40%)": n and its share of all. */
static void share(char *buf, size_t len, int n, int all)
{
	snprintf(buf, len, "%d (%.0f%%)", n, all ? 100.0 * n / all : 0.0);
}

/* A median time, half-minutes exact: "25 min", "25.5 min", "2 h 5 min". */
static void minutes_text(char *buf, size_t len, int lo, int hi)
{
	int twice = lo + hi, h = twice / 120;
	double m = (double)(twice % 120) / 2;

	if (hi >= STORE_SUM_MINUTES_MAX)
		snprintf(buf, len, "a week or more");
	else if (h)
		snprintf(buf, len, "%d h %g min", h, m);
	else
		snprintf(buf, len, "%g min", m);
}

/* One row of the figures table: <tr><th>label</th><td class=cls>text. */
static void row(struct html *h, const char *label, const char *cls, const char *attrs,
		const char *text)
{
	html_raw(h, "<tr><th>");
	html_txt(h, label);
	html_raw(h, "</th><td class=\"");
	html_raw(h, cls);
	html_raw(h, "\"");
	if (attrs) {
		html_raw(h, " ");
		html_raw(h, attrs);
	}
	html_raw(h, ">");
	html_txt(h, text);
	html_raw(h, "</td></tr>\n");
}

static void figures(struct html *h, const struct summary *s)
{
	char buf[96], attrs[64];

	html_raw(h, "<table class=\"figures\">\n");
	snprintf(buf, sizeof buf, "%d", s->sent);
	row(h, "Sent", "sent", NULL, buf);
	snprintf(buf, sizeof buf, "%d", s->started);
	row(h, "Started", "started", NULL, buf);
	snprintf(buf, sizeof buf, "%d", s->completed);
	row(h, "Completed", "completed", NULL, buf);
	snprintf(buf, sizeof buf, "%d", s->waiting);
	row(h, "Waiting", "waiting", NULL, buf);
	if (s->judged)
		snprintf(buf, sizeof buf, "%d", s->passed);
	row(h, "Passed", "passed", NULL, s->judged ? buf : "n/a (no pass mark)");
	if (s->completed)
		snprintf(buf, sizeof buf, "%.1f%%", (double)(s->score_lo + s->score_hi) / 200);
	row(h, "Median score", "median", NULL, s->completed ? buf : "-");
	if (s->judged)
		snprintf(buf, sizeof buf, "%.0f%%", 100.0 * s->passed / s->judged);
	row(h, "Pass rate", "passrate", NULL, s->judged ? buf : "-");
	if (s->timed) {
		size_t n;

		snprintf(attrs, sizeof attrs, "data-minutes=\"%g\"", (double)(s->min_lo + s->min_hi) / 2);
		minutes_text(buf, sizeof buf, s->min_lo, s->min_hi);
		n = strlen(buf);
		snprintf(buf + n, sizeof buf - n, " (of %d, to the minute)", s->timed);
	}
	row(h, "Median time to complete", "mediantime", s->timed ? attrs : NULL,
	    s->timed ? buf : "-");
	html_raw(h, "</table>\n");
}

static void funnel(struct html *h, const struct summary *s)
{
	static const char *const steps[] = { "Sent", "Started", "Completed", "Passed" };
	static const char *const keys[] = { "sent", "started", "completed", "passed" };
	const int n[] = { s->sent, s->started, s->completed, s->passed };
	char notes[4][48], attrs[4][64];
	struct svg_bar b[4];

	for (int i = 0; i < 4; i++) {
		int na = i == 3 && !s->judged;

		if (na)
			snprintf(notes[i], sizeof notes[i], "n/a (no pass mark)");
		else
			share(notes[i], sizeof notes[i], n[i], s->sent);
		snprintf(attrs[i], sizeof attrs[i], "data-step=\"%s\" data-n=\"%d\"", keys[i],
			 na ? -1 : n[i]);
		b[i] = (struct svg_bar){ .label = steps[i], .note = notes[i],
					 .value = na ? 0 : n[i], .attrs = attrs[i] };
	}
	html_raw(h, "<h3>Funnel</h3>\n");
	svg_rows(h, "Funnel", "Tests sent, started, completed and passed, with their share of those "
			      "sent. Started counts the tests seen started at CodinGame (at the "
			      "latest poll or callback).", b, 4, s->sent);
}

static void histogram(struct html *h, const struct summary *s)
{
	static const char *const ticks[] = { "0", "10", "20", "30", "40", "50",
					     "60", "70", "80", "90", "100" };
	char notes[BINS][16], tips[BINS][48], attrs[BINS][48];
	struct svg_bar b[BINS];

	for (int i = 0; i < BINS; i++) {
		snprintf(notes[i], sizeof notes[i], "%d", s->bins[i]);
		snprintf(tips[i], sizeof tips[i], "%d-%d%%: %d test(s)", i * 10,
			 i == BINS - 1 ? 100 : i * 10 + 9, s->bins[i]);
		snprintf(attrs[i], sizeof attrs[i], "data-bin=\"%d\" data-count=\"%d\"", i, s->bins[i]);
		b[i] = (struct svg_bar){ .label = ticks[i], .note = notes[i], .tip = tips[i],
					 .value = s->bins[i], .attrs = attrs[i] };
	}
	html_raw(h, "<h3>Scores</h3>\n");
	svg_columns(h, "Score distribution", "How many completed tests scored in each band of "
						 "10 percent (the last band includes 100).",
		    "Score (%)", "Tests", ticks, b, BINS);
}

static void technologies(struct html *h, const struct summary *s)
{
	struct svg_bar *b = calloc(s->n_tech ? s->n_tech : 1, sizeof *b);
	char (*notes)[40] = calloc(s->n_tech ? s->n_tech : 1, sizeof *notes);
	char (*attrs)[64] = calloc(s->n_tech ? s->n_tech : 1, sizeof *attrs);

	html_raw(h, "<h3>Average per technology</h3>\n");
	if (!s->n_tech || !b || !notes || !attrs) {
		html_raw(h, s->n_tech ? "<p>Out of memory.</p>\n"
				      : "<p class=\"notech\">The reports name no technology.</p>\n");
		goto out;
	}
	for (size_t i = 0; i < s->n_tech; i++) {
		double avg = (double)s->tech[i].sum / s->tech[i].count / 100;

		snprintf(notes[i], sizeof notes[i], "%.1f%% (%d)", avg, s->tech[i].count);
		snprintf(attrs[i], sizeof attrs[i], "data-avg=\"%.2f\" data-n=\"%d\"", avg,
			 s->tech[i].count);
		b[i] = (struct svg_bar){ .label = s->tech[i].name, .note = notes[i], .value = avg,
					 .attrs = attrs[i] };
	}
	svg_rows(h, "Average score per technology",
		 "The average score of each technology the completed tests' reports name, with "
		 "how many tests it was scored in.", b, s->n_tech, 100);
out:
	free(b);
	free(notes);
	free(attrs);
}

static void campaign(struct html *h, const struct summary *s, const char *name)
{
	html_raw(h, "<section class=\"campaign\" data-campaign=\"");
	html_int(h, s->campaign);
	html_raw(h, "\">\n<h2>");
	if (name)
		html_txt(h, name);
	else
		html_int(h, s->campaign);
	html_raw(h, "</h2>\n");
	figures(h, s);
	funnel(h, s);
	if (s->completed) {
		histogram(h, s);
		technologies(h, s);
	} else {
		html_raw(h, "<p class=\"noresults\">No results yet: none of the tests sent is "
			    "completed.</p>\n");
	}
	html_raw(h, "</section>\n");
}

void admin_campaigns(struct admin *a, uint32_t id)
{
	struct store_account *acct = NULL;
	struct store_campaign_sum **sums = NULL;
	struct store_rule **rules = NULL;
	const struct admin_lists *l;
	size_t n_sums = 0, n_rules = 0, shown = 0;
	struct html h;

	if (!(acct = admin_load_account(a, id)))
		return;
	/* Kept up to date by the store as invitations change. Sorted by
	 * campaign, then rule. */
	if (store_campaign_sums(a->st, id, &sums, &n_sums) != STORE_OK ||
	    store_rule_list(a->st, id, &rules, &n_rules) != STORE_OK) {
		page_error(a->conf, a->r, 503, "Unavailable", "The store is unavailable; retry later.");
		goto out;
	}
	l = admin_lists_get(a, acct);
	admin_begin(a, &h, "Campaigns");
	admin_back_link(a, &h, acct);
	for (size_t from = 0, k; from < n_sums; from += k) {
		struct summary s;

		for (k = 1; from + k < n_sums && sums[from + k]->campaign == sums[from]->campaign; k++)
			;
		if (add_up(&s, sums + from, k, rules, n_rules) != 0)
			h.oom = 1;   /* answered 500 */
		else if (s.sent && ++shown)
			campaign(&h, &s, admin_campaign_name(l, s.campaign));
		free(s.tech);
	}
	if (!shown)
		html_raw(&h, "<p>No test sent yet.</p>\n");
	admin_end(a, &h, 200);
out:
	store_campaign_sums_free(sums, n_sums);
	store_rules_free(rules, n_rules);
	store_account_free(acct);
}
