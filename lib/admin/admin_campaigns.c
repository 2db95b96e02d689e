/* admin_campaigns: per campaign, what a recruiter takes in at a glance:
 * sent, completed, waiting, median score, pass rate and the score
 * distribution as an inline SVG bar chart (no script), from the
 * summaries the store keeps (no invitation is read). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_campaigns.h"
#include "admin/admin_common.h"
#include "admin/admin_lists.h"
#include "web/page.h"

#define BINS 10

/* One campaign: its rules' summaries (store_campaign_sums) added up. */
struct summary {
	int64_t campaign;
	int sent, completed, waiting, judged, passed;
	int bins[BINS];
	int64_t lo_score, hi_score;  /* the two middle scores, hundredths */
	size_t seen;                 /* scores walked so far, for the median */
};

static const struct store_rule *rule_of(struct store_rule **r, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (r[i]->id == id)
			return r[i];
	return NULL;
}

/* The median of the campaign's scores from the summaries' counts (k
 * summaries from sums[from]), every score in order, no invitation read. */
static void median(struct summary *s, struct store_campaign_sum **sums, size_t from, size_t k)
{
	size_t total = (size_t)s->completed, lo = (total - 1) / 2, hi = total / 2;
	size_t *at = calloc(k, sizeof *at);

	if (!at || !total) {
		free(at);
		return;
	}
	for (s->seen = 0; s->seen <= hi;) {
		size_t best = k;

		/* The smallest score not walked yet, across the rules. */
		for (size_t i = 0; i < k; i++)
			if (at[i] < sums[from + i]->n &&
			    (best == k || sums[from + i]->score[at[i]] <
						  sums[from + best]->score[at[best]]))
				best = i;
		if (best == k)
			break;
		{
			const struct store_campaign_sum *r = sums[from + best];
			size_t c = (size_t)r->count[at[best]];

			if (s->seen <= lo && lo < s->seen + c)
				s->lo_score = r->score[at[best]];
			if (s->seen <= hi && hi < s->seen + c)
				s->hi_score = r->score[at[best]];
			s->seen += c;
			at[best]++;
		}
	}
	free(at);
}

/* Adds up the summaries of one campaign (k of them from sums[from]). */
static void add_up(struct summary *s, struct store_campaign_sum **sums, size_t from, size_t k,
		   struct store_rule **rules, size_t n_rules)
{
	memset(s, 0, sizeof *s);
	s->campaign = sums[from]->campaign;
	for (size_t i = from; i < from + k; i++) {
		const struct store_campaign_sum *r = sums[i];
		const struct store_rule *rule = rule_of(rules, n_rules, r->rule_id);

		s->sent += r->sent;
		s->waiting += r->waiting;
		s->completed += r->completed;
		for (size_t j = 0; j < r->n; j++) {
			s->bins[r->score[j] >= 10000 ? BINS - 1 : r->score[j] / 1000] += r->count[j];
			/* Pass rate: against the threshold of the rule that sent it. */
			if (rule && rule->pass_score >= 0) {
				s->judged += r->count[j];
				s->passed += r->score[j] >= rule->pass_score * 100 ? r->count[j] : 0;
			}
		}
	}
	median(s, sums, from, k);
}

static void chart(struct html *h, const struct summary *s)
{
	int max = 1;

	for (int b = 0; b < BINS; b++)
		if (s->bins[b] > max)
			max = s->bins[b];
	html_raw(h, "<svg width=\"300\" height=\"120\" viewBox=\"0 0 300 120\" role=\"img\" "
		    "aria-label=\"score distribution\">\n");
	for (int b = 0; b < BINS; b++) {
		int height = s->bins[b] * 90 / max;
		char buf[400];

		snprintf(buf, sizeof buf,
			 "<rect class=\"bar\" data-bin=\"%d\" data-count=\"%d\" x=\"%d\" y=\"%d\" "
			 "width=\"26\" height=\"%d\"><title>%d-%d%%: %d</title></rect>\n"
			 "<text x=\"%d\" y=\"115\">%d</text>\n",
			 b, s->bins[b], b * 30 + 2, 100 - height, height, b * 10,
			 b == BINS - 1 ? 100 : b * 10 + 9, s->bins[b], b * 30 + 4, b * 10);
		html_raw(h, buf);
	}
	html_raw(h, "</svg>\n");
}

void admin_campaigns(struct admin *a, uint32_t id)
{
	struct store_account *acct = NULL;
	struct store_campaign_sum **sums = NULL;
	struct store_rule **rules = NULL;
	const struct admin_lists *l;
	size_t n_sums = 0, n_rules = 0, shown = 0;
	char buf[64];
	struct html h;

	if (!(acct = admin_load_account(a, id)))
		return;
	/* Kept up to date by the store as invitations change: the page costs
	 * the same whatever the history. Sorted by campaign, then rule. */
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
		const char *cn;

		for (k = 1; from + k < n_sums && sums[from + k]->campaign == sums[from]->campaign; k++)
			;
		add_up(&s, sums, from, k, rules, n_rules);
		if (!s.sent)
			continue;
		shown++;
		cn = admin_campaign_name(l, s.campaign);
		html_raw(&h, "<section class=\"campaign\" data-campaign=\"");
		html_int(&h, s.campaign);
		html_raw(&h, "\">\n<h2>");
		if (cn)
			html_txt(&h, cn);
		else
			html_int(&h, s.campaign);
		html_raw(&h, "</h2>\n<table>\n");
		html_raw(&h, "<tr><th>Sent</th><td class=\"sent\">");
		html_int(&h, s.sent);
		html_raw(&h, "</td></tr>\n<tr><th>Completed</th><td class=\"completed\">");
		html_int(&h, s.completed);
		html_raw(&h, "</td></tr>\n<tr><th>Waiting</th><td class=\"waiting\">");
		html_int(&h, s.waiting);
		html_raw(&h, "</td></tr>\n<tr><th>Median score</th><td class=\"median\">");
		if (s.completed) {
			snprintf(buf, sizeof buf, "%.1f%%", (double)(s.lo_score + s.hi_score) / 200);
			html_txt(&h, buf);
		} else {
			html_txt(&h, "-");
		}
		html_raw(&h, "</td></tr>\n<tr><th>Pass rate</th><td class=\"passrate\">");
		if (s.judged) {
			snprintf(buf, sizeof buf, "%.0f%%", 100.0 * s.passed / s.judged);
			html_txt(&h, buf);
		} else {
			html_txt(&h, "-");
		}
		html_raw(&h, "</td></tr>\n</table>\n");
		chart(&h, &s);
		html_raw(&h, "</section>\n");
	}
	if (!shown)
		html_raw(&h, "<p>No test sent yet.</p>\n");
	admin_end(a, &h, 200);
out:
	store_campaign_sums_free(sums, n_sums);
	store_rules_free(rules, n_rules);
	store_account_free(acct);
}
