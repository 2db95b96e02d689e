/* admin: the admin pages (one file per page, cgit style). Handlers read
 * only validated form values and write all output through html.h. */
#ifndef CGLEVER_ADMIN_H
#define CGLEVER_ADMIN_H

#include <stddef.h>
#include <stdint.h>
#include "clients/codingame.h"
#include "base/conf.h"
#include "web/form.h"
#include "web/html.h"
#include "clients/lever.h"
#include "web/req.h"
#include "store/store.h"

struct admin {
	const struct conf *conf;
	struct store *st;
	struct req *r;
	const char *user;          /* REMOTE_USER, checked against admin_users */
};

/* Pages (admin_home.c, admin_account.c, admin_rules.c, admin_activity.c,
 * admin_campaigns.c, admin_audit.c). */
void admin_home(struct admin *a);
void admin_account_create(struct admin *a);
void admin_account(struct admin *a, uint32_t id);
void admin_codingame_key(struct admin *a, uint32_t id);
void admin_callback(struct admin *a, uint32_t id);
void admin_rule_create(struct admin *a, uint32_t account);
void admin_rule_edit(struct admin *a, uint32_t rule);
void admin_rule_update(struct admin *a, uint32_t rule);
void admin_rule_delete(struct admin *a, uint32_t rule);
void admin_activity(struct admin *a, uint32_t id);
void admin_action(struct admin *a, uint32_t id);
void admin_campaigns(struct admin *a, uint32_t id);
void admin_audit(struct admin *a);
/* The list (POST rule/N/preview: many Lever calls, so CSRF-checked), then
 * the confirmation (POST rule/N/backfill). */
void admin_backfill(struct admin *a, uint32_t rule);
void admin_backfill_confirm(struct admin *a, uint32_t rule);
void admin_css(struct admin *a);

/* ---- shared (admin_common.c) ---- */
/* "<public_url>/admin.fcgi/<path>" */
void admin_url(const struct admin *a, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void admin_begin(struct admin *a, struct html *h, const char *title);
void admin_end(struct admin *a, struct html *h, int status);
/* "Back to <account>" */
void admin_back_link(struct admin *a, struct html *h, const struct store_account *acct);
/* 303 to an admin path with ?msg=code (codes: see admin_common.c). */
void admin_done(struct admin *a, const char *fmt_path, uint32_t id, const char *msg);
/* The message for ?msg=, or NULL. */
const char *admin_message(const char *code);
/* The account or an answered 404 (NULL). */
struct store_account *admin_load_account(struct admin *a, uint32_t id);
/* A POST form (CSRF-checked); NULL when answered. */
struct form *admin_form(struct admin *a, const struct form_field *tbl, size_t n);
void admin_audit_log(struct admin *a, uint32_t account, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A POST button form carrying the CSRF token and hidden name=value pairs. */
void admin_button(struct admin *a, struct html *h, const char *action_path,
		  const char *label, const char *name, const char *value);

/* A job due this long without a runner taking it means nobody works the
 * queue: a woken runner takes a due job within seconds and the sweep
 * runs every minute. The account page then warns. */
#define ADMIN_JOB_LATE_MS 60000
/* How long the pending job j has been due without being taken, at now
 * (ms epoch): 0 when it is not due yet (backoff, lease) or failed. A new
 * job (due STORE_DUE_NOW) is due since it was created. */
int64_t admin_job_waiting_ms(const struct store_job *j, int64_t now);
/* A duration, rounded down: "45 s", "3 min", "5 h", "2 days". */
void admin_duration(struct html *h, int64_t ms);

/* The rule form (add or edit): drop-downs from the live lists, values
 * (may be NULL) pre-filled, an error shown next to its field. */
struct admin_rule_errors { const char *field; const char *text; };
void admin_rule_form(struct admin *a, struct html *h, const struct store_account *acct,
		     const struct store_rule *values, const char *action_path,
		     const char *button, const struct admin_rule_errors *err);
/* The account page again, with the rule form's error (status 400). */
void admin_account_error(struct admin *a, struct store_account *acct,
			 const struct store_rule *values, const struct admin_rule_errors *err);
/* The rules table of an account, with Edit and Delete. */
void admin_rules_table(struct admin *a, struct html *h, const struct store_account *acct);

/* Live Lever stages/tags and CodinGame campaigns of an account, cached
 * per process and account for a minute (a failure for 10 s); on failure
 * the last known lists stay and *err says why. */
struct admin_lists {
	struct lever_stage *stages; size_t n_stages;
	struct lever_tag *tags; size_t n_tags;
	struct cg_campaign *camps; size_t n_camps;
	char lever_err[300], cg_err[300];
};
const struct admin_lists *admin_lists_get(struct admin *a, const struct store_account *acct);
const char *admin_stage_name(const struct admin_lists *l, const char *id);
const char *admin_campaign_name(const struct admin_lists *l, int64_t id);

#endif
