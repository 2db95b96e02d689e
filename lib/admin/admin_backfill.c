/* admin_backfill: "Send to candidates already in this stage" — the only
 * retroactive path, always explicit: a list first, then a confirmation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_backfill.h"
#include "admin/admin_common.h"
#include "base/clock.h"
#include "clients/leverauth.h"
#include "web/page.h"
#include "domain/queue.h"

/* Opportunities in the rule's stage with its tag, not archived, that
 * never got this campaign. -1 (answered) on failure. */
static int candidates(struct admin *a, const struct store_rule *r,
		      struct lever_opportunity ***out, size_t *n)
{
	struct store_account *acct = admin_load_account(a, r->account);
	struct lever_opportunity **all = NULL;
	struct lever lv;
	size_t n_all = 0, k = 0;
	char err[600];
	enum lever_err e;

	*out = NULL;
	*n = 0;
	if (!acct)
		return -1;
	lever_init(&lv, a->conf->lever_api_url, acct->lever_api_key, acct->access_token,
		   a->conf->lever_rate);
	if (auth_prepare(a->conf, a->st, &acct, &lv, 0, err, sizeof err) != AUTH_OK) {
		page_error(a->conf, a->r, 502, "Lever unavailable", err);
		store_account_free(acct);
		return -1;
	}
	e = lever_opportunities_list(&lv, r->stage, r->tag, &all, &n_all);
	store_account_free(acct);
	if (e != LEVER_OK) {
		page_error(a->conf, a->r, 502, "Lever unavailable", lv.error);
		return -1;
	}
	for (size_t i = 0; i < n_all; i++) {
		struct store_invitation *inv = NULL;
		int keep = !all[i]->archived &&
			   store_invitation_get(a->st, r->account, all[i]->id, r->campaign, &inv) ==
				   STORE_NOTFOUND;

		store_invitation_free(inv);
		if (keep)
			all[k++] = all[i];
		else
			lever_opportunity_free(all[i]);
	}
	*out = all;
	*n = k;
	return 0;
}

static struct store_rule *load(struct admin *a, uint32_t id)
{
	struct store_rule *r = NULL;

	if (store_rule_get(a->st, id, &r) != STORE_OK) {
		page_error(a->conf, a->r, 404, "Not found", "There is no such rule.");
		return NULL;
	}
	return r;
}

static const struct form_field confirm_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
};

void admin_backfill(struct admin *a, uint32_t id)
{
	struct form *f = admin_form(a, confirm_fields, 1);
	struct store_rule *r = NULL;
	struct lever_opportunity **o = NULL;
	struct html h;
	char path[64], url[1200];
	size_t n = 0;

	if (!f || !(r = load(a, id)) || candidates(a, r, &o, &n) < 0)
		goto out;
	admin_begin(a, &h, "Send to candidates already in this stage");
	html_raw(&h, "<p><a href=\"");
	admin_url(a, url, sizeof url, "account/%u", r->account);
	html_attr(&h, url);
	html_raw(&h, "\">Back</a></p>\n<p>");
	html_txt(&h, "Candidates now in stage ");
	html_txt(&h, r->stage);
	html_txt(&h, " with tag ");
	html_txt(&h, r->tag);
	html_txt(&h, " who never got this campaign:");
	html_raw(&h, "</p>\n");
	if (!n) {
		html_raw(&h, "<p>Nobody.</p>\n");
	} else {
		html_raw(&h, "<ul>\n");
		for (size_t i = 0; i < n; i++) {
			html_raw(&h, "<li>");
			html_txt(&h, o[i]->name ? o[i]->name : o[i]->id);
			html_txt(&h, o[i]->n_emails ? "" : " (no email: a note will say the test waits)");
			html_raw(&h, "</li>\n");
		}
		html_raw(&h, "</ul>\n");
		snprintf(path, sizeof path, "rule/%u/backfill", id);
		admin_button(a, &h, path, "Send the test to these candidates", NULL, NULL);
	}
	admin_end(a, &h, 200);
out:
	lever_opportunities_free(o, n);
	store_rule_free(r);
	form_free(f);
}

void admin_backfill_confirm(struct admin *a, uint32_t id)
{
	struct form *f = admin_form(a, confirm_fields, 1);
	struct store_rule *r = NULL;
	struct lever_opportunity **o = NULL;
	size_t n = 0, queued = 0;

	if (!f || !(r = load(a, id)) || candidates(a, r, &o, &n) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct store_job job;

		memset(&job, 0, sizeof job);
		job.account = r->account;
		job.kind = "stage_change";
		job.opportunity = o[i]->id;
		job.to_stage = r->stage;
		job.rule_id = r->id;
		job.triggered_at = job.created_at = clock_wall_ms();
		job.due = STORE_DUE_NOW;
		if (store_job_add(a->st, &job) == STORE_OK)
			queued++;
	}
	admin_audit_log(a, r->account, "backfill", "rule %u: %zu of %zu candidates queued", id,
			queued, n);
	if (queued)
		queue_wake(a->conf, r->account);
	admin_done(a, "account/%u/activity", r->account, "backfilled");
out:
	lever_opportunities_free(o, n);
	store_rule_free(r);
	form_free(f);
}
