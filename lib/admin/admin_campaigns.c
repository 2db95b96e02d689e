/* admin_campaigns: per campaign, what a recruiter takes in at a glance:
 * sent, completed, waiting, median score, pass rate and the score
 * distribution as an inline SVG bar chart (no script). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_campaigns.h"
#include "admin/admin_common.h"
#include "admin/admin_lists.h"
#include "web/page.h"

#define BINS 10

struct summary {
	int64_t campaign;
	int sent, completed, waiting, judged, passed;
	double *scores;
	size_t n_scores;
	int bins[BINS];
};

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static const struct store_rule *rule_of(struct store_rule **r, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (r[i]->id == id)
			return r[i];
	return NULL;
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
	struct store_invitation **inv = NULL;
	struct store_rule **rules = NULL;
	struct summary *sums = NULL;
	const struct admin_lists *l;
	size_t n_inv = 0, n_rules = 0, n_sums = 0;
	char buf[64];
	struct html h;

	if (!(acct = admin_load_account(a, id)))
		return;
	if (store_invitation_list(a->st, id, &inv, &n_inv) != STORE_OK ||
	    store_rule_list(a->st, id, &rules, &n_rules) != STORE_OK ||
	    (n_inv && !(sums = calloc(n_inv, sizeof *sums)))) {
		page_error(a->conf, a->r, 503, "Unavailable", "The store is unavailable; retry later.");
		goto out;
	}
	for (size_t i = 0; i < n_inv; i++) {
		const struct store_invitation *v = inv[i];
		const struct store_rule *r;
		struct summary *s = NULL;

		for (size_t k = 0; k < n_sums && !s; k++)
			if (sums[k].campaign == v->campaign)
				s = &sums[k];
		if (!s) {
			s = &sums[n_sums++];
			s->campaign = v->campaign;
			if (!(s->scores = calloc(n_inv, sizeof *s->scores))) {
				page_error(a->conf, a->r, 503, "Unavailable", "Out of memory.");
				goto out;
			}
		}
		if (strcmp(v->state, "sent") != 0)
			continue;
		s->sent++;
		if (!v->result_status) {
			s->waiting++;
			continue;
		}
		if (strcmp(v->result_status, "completed") != 0)
			continue;
		s->completed++;
		s->scores[s->n_scores++] = v->score;
		s->bins[v->score >= 100 ? BINS - 1 : v->score < 0 ? 0 : (int)(v->score / 10)]++;
		/* Pass rate: against the threshold of the rule that sent it. */
		if ((r = rule_of(rules, n_rules, v->rule_id)) && r->pass_score >= 0) {
			s->judged++;
			s->passed += v->score >= r->pass_score;
		}
	}
	l = admin_lists_get(a, acct);
	admin_begin(a, &h, "Campaigns");
	admin_back_link(a, &h, acct);
	if (!n_sums)
		html_raw(&h, "<p>No test sent yet.</p>\n");
	for (size_t k = 0; k < n_sums; k++) {
		struct summary *s = &sums[k];
		const char *cn = admin_campaign_name(l, s->campaign);

		html_raw(&h, "<section class=\"campaign\" data-campaign=\"");
		html_int(&h, s->campaign);
		html_raw(&h, "\">\n<h2>");
		if (cn)
			html_txt(&h, cn);
		else
			html_int(&h, s->campaign);
		html_raw(&h, "</h2>\n<table>\n");
		html_raw(&h, "<tr><th>Sent</th><td class=\"sent\">");
		html_int(&h, s->sent);
		html_raw(&h, "</td></tr>\n<tr><th>Completed</th><td class=\"completed\">");
		html_int(&h, s->completed);
		html_raw(&h, "</td></tr>\n<tr><th>Waiting</th><td class=\"waiting\">");
		html_int(&h, s->waiting);
		html_raw(&h, "</td></tr>\n<tr><th>Median score</th><td class=\"median\">");
		if (s->n_scores) {
			double med;

			qsort(s->scores, s->n_scores, sizeof *s->scores, cmp_double);
			med = s->n_scores % 2 ? s->scores[s->n_scores / 2]
					      : (s->scores[s->n_scores / 2 - 1] + s->scores[s->n_scores / 2]) / 2;
			snprintf(buf, sizeof buf, "%.1f%%", med);
			html_txt(&h, buf);
		} else {
			html_txt(&h, "-");
		}
		html_raw(&h, "</td></tr>\n<tr><th>Pass rate</th><td class=\"passrate\">");
		if (s->judged) {
			snprintf(buf, sizeof buf, "%.0f%%", 100.0 * s->passed / s->judged);
			html_txt(&h, buf);
		} else {
			html_txt(&h, "-");
		}
		html_raw(&h, "</td></tr>\n</table>\n");
		chart(&h, s);
		html_raw(&h, "</section>\n");
	}
	admin_end(a, &h, 200);
out:
	for (size_t k = 0; k < n_sums; k++)
		free(sums[k].scores);
	free(sums);
	store_invitations_free(inv, n_inv);
	store_rules_free(rules, n_rules);
	store_account_free(acct);
}
