/* admin_common: what every admin page shares: the request it answers,
 * the page frame, links, POST forms, the audit log, small widgets and
 * the style sheet. Handlers use a request value only once it is checked
 * (form.c, num.h, or a list of known values) and write every page
 * through html.h, which escapes. */
#ifndef CGLEVER_ADMIN_COMMON_H
#define CGLEVER_ADMIN_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include "base/conf.h"
#include "store/store.h"
#include "web/form.h"
#include "web/html.h"
#include "web/req.h"

struct admin {
	const struct conf *conf;
	struct store *st;
	struct req *r;
	const char *user;          /* REMOTE_USER, checked against admin_users */
};

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

/* GET style.css */
void admin_css(struct admin *a);

#endif
