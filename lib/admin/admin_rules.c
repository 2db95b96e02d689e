/* admin_rules: edit and delete a rule (a rule is added from its
 * account's page, admin_account.c). */
#include <stdio.h>
#include <string.h>

#include "admin/admin_common.h"
#include "admin/admin_rule_widget.h"
#include "admin/admin_rules.h"
#include "web/page.h"

static void edit_page(struct admin *a, const struct store_rule *stored, const struct store_rule *v,
		      const struct admin_rule_errors *err, int status)
{
	struct store_account *acct = admin_load_account(a, stored->account);
	struct html h;
	char path[64];

	if (!acct)
		return;
	admin_begin(a, &h, "Edit rule");
	admin_back_link(a, &h, acct);
	snprintf(path, sizeof path, "rule/%u", stored->id);
	admin_rule_form(a, &h, acct, v, path, "Save rule", err);
	admin_end(a, &h, status);
	store_account_free(acct);
}

static struct store_rule *load_rule(struct admin *a, uint32_t id)
{
	struct store_rule *r = NULL;
	enum store_err e = store_rule_get(a->st, id, &r);

	if (e == STORE_NOTFOUND)
		page_error(a->conf, a->r, 404, "Not found", "There is no such rule.");
	else if (e != STORE_OK)
		page_error(a->conf, a->r, 503, "Unavailable", "The store is unavailable; retry later.");
	return e == STORE_OK ? r : NULL;
}

void admin_rule_edit(struct admin *a, uint32_t id)
{
	struct store_rule *r;

	if (!(r = load_rule(a, id)))
		return;
	edit_page(a, r, r, NULL, 200);
	store_rule_free(r);
}

void admin_rule_update(struct admin *a, uint32_t id)
{
	struct form *f = admin_form(a, admin_rule_fields, admin_rule_n_fields);
	struct store_rule *stored = NULL, r;
	struct admin_rule_errors err;

	if (!f || !(stored = load_rule(a, id)))
		goto out;
	r = *stored;
	if (admin_rule_read(f, &r, &err) < 0) {
		edit_page(a, stored, &r, &err, 400);
		goto out;
	}
	if (store_rule_update(a->st, &r) != STORE_OK) {
		page_error(a->conf, a->r, 503, "Unavailable", "The rule could not be saved; retry.");
		goto out;
	}
	admin_audit_log(a, r.account, "rule changed", "rule %u: tag %s, stage %s -> campaign %lld",
			id, r.tag, r.stage, (long long)r.campaign);
	admin_done(a, "account/%u", r.account, "rulesaved");
out:
	store_rule_free(stored);
	form_free(f);
}

static const struct form_field delete_fields[] = {
	{ "csrf", FORM_STRING, 100, 1, 0, 0, "0123456789.abcdef" },
};

void admin_rule_delete(struct admin *a, uint32_t id)
{
	struct form *f = admin_form(a, delete_fields, 1);
	struct store_rule *r = NULL;

	if (!f || !(r = load_rule(a, id)))
		goto out;
	if (store_rule_delete(a->st, id) != STORE_OK) {
		page_error(a->conf, a->r, 503, "Unavailable", "The rule could not be deleted; retry.");
		goto out;
	}
	admin_audit_log(a, r->account, "rule deleted", "rule %u: tag %s, stage %s -> campaign %lld",
			id, r->tag, r->stage, (long long)r->campaign);
	admin_done(a, "account/%u", r->account, "ruledeleted");
out:
	store_rule_free(r);
	form_free(f);
}
