/* admin_rule_widget: the rule form and table (see admin_rule_widget.h),
 * with drop-downs filled from the live Lever tags and stages and the
 * CodinGame campaigns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin_lists.h"
#include "admin/admin_rule_widget.h"
#include "base/leverid.h"
#include "web/page.h"

static void field_error(struct html *h, const struct admin_rule_errors *err, const char *field)
{
	if (err && err->field && strcmp(err->field, field) == 0) {
		html_raw(h, "<p class=\"field-error\">");
		html_txt(h, err->text);
		html_raw(h, "</p>\n");
	}
}

static void label(struct html *h, const char *id, const char *text)
{
	html_raw(h, "<label for=\"");
	html_attr(h, id);
	html_raw(h, "\">");
	html_txt(h, text);
	html_raw(h, "</label>\n");
}

static void option(struct html *h, const char *value, const char *text, int selected)
{
	html_raw(h, "<option value=\"");
	html_attr(h, value);
	html_raw(h, selected ? "\" selected>" : "\">");
	html_txt(h, text);
	html_raw(h, "</option>\n");
}

static void text_input(struct html *h, const char *id, const char *value, int required)
{
	html_raw(h, "<input id=\"");
	html_attr(h, id);
	html_raw(h, "\" name=\"");
	html_attr(h, id);
	html_raw(h, required ? "\" maxlength=\"200\" required value=\"" : "\" maxlength=\"200\" value=\"");
	html_attr(h, value ? value : "");
	html_raw(h, "\">\n");
}

static void stage_select(struct html *h, const char *id, const struct admin_lists *l,
			 const char *value, int optional)
{
	int found = 0;

	html_raw(h, "<select id=\"");
	html_attr(h, id);
	html_raw(h, "\" name=\"");
	html_attr(h, id);
	html_raw(h, optional ? "\">\n" : "\" required>\n");
	if (optional)
		option(h, "", "(do not move)", !value || !*value);
	for (size_t i = 0; i < l->n_stages; i++) {
		int sel = value && strcmp(value, l->stages[i].id) == 0;

		found |= sel;
		option(h, l->stages[i].id, l->stages[i].text, sel);
	}
	if (value && *value && !found)   /* a stage Lever no longer lists */
		option(h, value, value, 1);
	html_raw(h, "</select>\n");
}

void admin_rule_form(struct admin *a, struct html *h, const struct store_account *acct,
		     const struct store_rule *v, const char *action_path, const char *button,
		     const struct admin_rule_errors *err)
{
	const struct admin_lists *l = admin_lists_get(a, acct);
	char url[1200], num[32];
	int found = 0;

	admin_url(a, url, sizeof url, "%s", action_path);
	html_raw(h, "<form class=\"block\" method=\"post\" action=\"");
	html_attr(h, url);
	html_raw(h, "\">\n");
	page_csrf_field(a->conf, h, a->user);
	if (l->lever_err[0]) {
		html_message(h, "error", l->n_stages ? "Lever is unreachable; showing the last known "
					   "tags and stages." : "Lever's tags and stages are not "
					   "available (is Lever connected?); type them instead.");
		html_raw(h, "<p class=\"field-error\">");
		html_txt(h, l->lever_err);
		html_raw(h, "</p>\n");
	}
	if (l->cg_err[0]) {
		html_message(h, "error", l->n_camps ? "CodinGame is unreachable; showing the last "
					   "known campaigns." : "CodinGame campaigns are not available "
					   "(is the API key saved?).");
		html_raw(h, "<p class=\"field-error\">");
		html_txt(h, l->cg_err);
		html_raw(h, "</p>\n");
	}
	label(h, "tag", "Lever tag");
	field_error(h, err, "tag");
	if (l->n_tags) {
		html_raw(h, "<select id=\"tag\" name=\"tag\" required>\n");
		for (size_t i = 0; i < l->n_tags; i++) {
			int sel = v && v->tag && strcmp(v->tag, l->tags[i].text) == 0;

			found |= sel;
			option(h, l->tags[i].text, l->tags[i].text, sel);
		}
		if (v && v->tag && !found)
			option(h, v->tag, v->tag, 1);
		html_raw(h, "</select>\n");
	} else {
		text_input(h, "tag", v ? v->tag : NULL, 1);
	}
	label(h, "stage", "Lever stage (the rule applies when a candidate enters it)");
	field_error(h, err, "stage");
	if (l->n_stages)
		stage_select(h, "stage", l, v ? v->stage : NULL, 0);
	else
		text_input(h, "stage", v ? v->stage : NULL, 1);
	label(h, "campaign", "CodinGame campaign");
	field_error(h, err, "campaign");
	html_raw(h, "<select id=\"campaign\" name=\"campaign\" required>\n");
	found = 0;
	for (size_t i = 0; i < l->n_camps; i++) {
		int sel = v && v->campaign == l->camps[i].id;

		if (l->camps[i].archived && !sel)
			continue;
		found |= sel;
		snprintf(num, sizeof num, "%lld", (long long)l->camps[i].id);
		option(h, num, l->camps[i].name ? l->camps[i].name : num, sel);
	}
	if (v && v->campaign && !found) {
		snprintf(num, sizeof num, "%lld", (long long)v->campaign);
		option(h, num, num, 1);
	}
	html_raw(h, "</select>\n");
	html_raw(h, "<p>Optional, on a result: tag at or above the pass score, below the fail "
		    "score, and in between; move on pass.</p>\n");
	label(h, "pass", "Pass score (%)");
	field_error(h, err, "pass");
	snprintf(num, sizeof num, "%d", v ? v->pass_score : -1);
	html_raw(h, "<input id=\"pass\" name=\"pass\" type=\"number\" min=\"0\" max=\"100\" value=\"");
	html_attr(h, v && v->pass_score >= 0 ? num : "");
	html_raw(h, "\">\n");
	label(h, "fail", "Fail score (%) (default: the pass score)");
	field_error(h, err, "fail");
	snprintf(num, sizeof num, "%d", v ? v->fail_score : -1);
	html_raw(h, "<input id=\"fail\" name=\"fail\" type=\"number\" min=\"0\" max=\"100\" value=\"");
	html_attr(h, v && v->fail_score >= 0 ? num : "");
	html_raw(h, "\">\n");
	label(h, "pass_tag", "Tag on pass (default codingame-pass)");
	text_input(h, "pass_tag", v ? v->pass_tag : NULL, 0);
	label(h, "fail_tag", "Tag on fail (default codingame-fail)");
	text_input(h, "fail_tag", v ? v->fail_tag : NULL, 0);
	label(h, "review_tag", "Tag in between (default codingame-review)");
	text_input(h, "review_tag", v ? v->review_tag : NULL, 0);
	label(h, "pass_stage", "Move to this stage on pass");
	field_error(h, err, "pass_stage");
	stage_select(h, "pass_stage", l, v ? v->pass_stage : NULL, 1);
	label(h, "reminder_days", "Reminder: if the test is not started this many days after "
	      "it was sent, CodinGame resends it once (empty: no reminder)");
	field_error(h, err, "reminder_days");
	snprintf(num, sizeof num, "%d", v ? v->reminder_days : 0);
	html_raw(h, "<input id=\"reminder_days\" name=\"reminder_days\" type=\"number\" "
		    "min=\"1\" max=\"60\" value=\"");
	html_attr(h, v && v->reminder_days > 0 ? num : "");
	html_raw(h, "\">\n");
	html_raw(h, "<p><button type=\"submit\">");
	html_txt(h, button);
	html_raw(h, "</button></p>\n</form>\n");
}

void admin_rules_table(struct admin *a, struct html *h, const struct store_account *acct)
{
	const struct admin_lists *l = admin_lists_get(a, acct);
	struct store_rule **rules = NULL;
	char url[1200], path[64], when[40];
	size_t n = 0;

	if (store_rule_list(a->st, acct->id, &rules, &n) != STORE_OK) {
		html_message(h, "error", "The rules could not be read.");
		return;
	}
	if (!n) {
		html_raw(h, "<p>No rule yet.</p>\n");
		store_rules_free(rules, n);
		return;
	}
	html_raw(h, "<table>\n<tr><th>Tag</th><th>Stage</th><th>Campaign</th><th>Result</th>"
		    "<th>Created</th><th></th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		const struct store_rule *r = rules[i];
		const char *sn = admin_stage_name(l, r->stage), *cn = admin_campaign_name(l, r->campaign);
		time_t t = (time_t)(r->created_at / 1000);
		struct tm tm;

		html_raw(h, "<tr id=\"rule-");
		html_int(h, r->id);
		html_raw(h, "\"><td>");
		html_txt(h, r->tag);
		html_raw(h, "</td><td>");
		html_txt(h, sn ? sn : r->stage);
		html_raw(h, "</td><td>");
		if (cn)
			html_txt(h, cn);
		else
			html_int(h, r->campaign);
		html_raw(h, "</td><td>");
		if (r->pass_score >= 0) {
			html_txt(h, "pass at ");
			html_int(h, r->pass_score);
			html_txt(h, "%, fail below ");
			html_int(h, r->fail_score >= 0 ? r->fail_score : r->pass_score);
			html_txt(h, "%");
			if (r->pass_stage) {
				const char *ps = admin_stage_name(l, r->pass_stage);

				html_txt(h, "; on pass, move to ");
				html_txt(h, ps ? ps : r->pass_stage);
			}
		} else {
			html_txt(h, "note only");
		}
		html_raw(h, "</td><td>");
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
		html_txt(h, when);
		if (r->created_by) {
			html_txt(h, " by ");
			html_txt(h, r->created_by);
		}
		html_txt(h, "; applies to stage changes from then on");
		html_raw(h, "</td><td><a href=\"");
		admin_url(a, url, sizeof url, "rule/%u/edit", r->id);
		html_attr(h, url);
		html_raw(h, "\">Edit</a> ");
		/* A POST: listing may take many Lever calls, which no link or
		 * image on another site may start. */
		snprintf(path, sizeof path, "rule/%u/preview", r->id);
		admin_button(a, h, path, "Send to candidates already in this stage", NULL, NULL);
		snprintf(path, sizeof path, "rule/%u/delete", r->id);
		admin_button(a, h, path, "Delete", NULL, NULL);
		html_raw(h, "</td></tr>\n");
	}
	html_raw(h, "</table>\n");
	store_rules_free(rules, n);
}

const struct form_field admin_rule_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
	{ "tag", FORM_STRING, 200, 0, 0, 0, NULL },
	{ "stage", FORM_STRING, 64, 0, 0, 0, NULL },
	{ "campaign", FORM_INT, 0, 0, 1, INT64_MAX, NULL },
	{ "pass", FORM_INT, 0, 0, 0, 100, NULL },
	{ "fail", FORM_INT, 0, 0, 0, 100, NULL },
	{ "pass_tag", FORM_STRING, 200, 0, 0, 0, NULL },
	{ "fail_tag", FORM_STRING, 200, 0, 0, 0, NULL },
	{ "review_tag", FORM_STRING, 200, 0, 0, 0, NULL },
	{ "pass_stage", FORM_STRING, 64, 0, 0, 0, NULL },
	{ "reminder_days", FORM_INT, 0, 0, 1, 60, NULL },
};
const size_t admin_rule_n_fields = sizeof admin_rule_fields / sizeof admin_rule_fields[0];

/* A FORM_INT value, or -1 when the field was left empty. */
static int64_t num_or_none(const struct form *f, size_t i)
{
	return f->present[i] ? f->num[i] : -1;
}

static const char *opt(const char *s)
{
	return *s ? s : NULL;
}

int admin_rule_read(const struct form *f, struct store_rule *r, struct admin_rule_errors *err)
{
	r->tag = (char *)f->str[1];
	r->stage = (char *)f->str[2];
	r->pass_tag = (char *)opt(f->str[6]);
	r->fail_tag = (char *)opt(f->str[7]);
	r->review_tag = (char *)opt(f->str[8]);
	r->pass_stage = (char *)opt(f->str[9]);
	r->reminder_days = f->present[10] ? (int)f->num[10] : 0;   /* the form checked 1..60 */
	if (!*r->tag) {
		*err = (struct admin_rule_errors){ "tag", "Choose a Lever tag." };
		return -1;
	}
	if (!leverid_ok(r->stage)) {
		*err = (struct admin_rule_errors){ "stage", "Choose a Lever stage." };
		return -1;
	}
	/* The form already refused numbers out of range (400). */
	r->campaign = num_or_none(f, 3);
	if (r->campaign < 1) {
		*err = (struct admin_rule_errors){ "campaign", "Choose a CodinGame campaign." };
		return -1;
	}
	r->pass_score = (int)num_or_none(f, 4);
	r->fail_score = (int)num_or_none(f, 5);
	if (r->fail_score >= 0 && (r->pass_score < 0 || r->fail_score > r->pass_score)) {
		*err = (struct admin_rule_errors){ "fail", "A score from 0 to the pass score, "
							   "with a pass score." };
		return -1;
	}
	if (r->pass_stage && !leverid_ok(r->pass_stage)) {
		*err = (struct admin_rule_errors){ "pass_stage", "Choose a Lever stage." };
		return -1;
	}
	if (r->pass_score < 0 && (r->pass_tag || r->fail_tag || r->review_tag || r->pass_stage)) {
		*err = (struct admin_rule_errors){ "pass", "Result tags and the move need a pass score." };
		return -1;
	}
	return 0;
}
