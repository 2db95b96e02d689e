/* store: every Berkeley DB call lives here. One transactional, encrypted
 * environment shared by all processes (see DESIGN.md). Records are owned
 * by the caller after a get/list and freed with the matching *_free,
 * which accept NULL. */
#ifndef CGLEVER_STORE_H
#define CGLEVER_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "base/conf.h"

enum store_err {
	STORE_OK = 0,
	STORE_NOTFOUND,
	STORE_EXISTS,      /* key already present (duplicate delivery, name taken) */
	STORE_ERR          /* anything else; see store_last_error() */
};

struct store;

/* Opens (creating db_home with mode 0700 and the databases when missing)
 * the environment with DB_REGISTER|DB_RECOVER, encrypted with conf->secret.
 * On error returns STORE_ERR with a message in err. */
enum store_err store_open(const struct conf *c, struct store **out,
			  char *err, size_t errlen);
void store_close(struct store *st);

const char *store_strerror(enum store_err e);
/* The last error's message (Berkeley DB's text and what was being done). */
const char *store_last_error(const struct store *st);

/* ---- accounts ---- */
struct store_account {
	uint32_t id;                 /* assigned by store_account_add, from 1 */
	char *name;                  /* unique */
	char *lever_api_key;         /* secrets: may be NULL */
	char *codingame_api_key;
	char *webhook_id;            /* Lever webhook id, when registered by us */
	char *webhook_token;         /* signature token for deliveries */
	char *callback_secret;       /* secret part of the CodinGame callback URL */
	int64_t created_at;          /* ms epoch */
	/* OAuth (instead of lever_api_key): tokens and when the access token expires. */
	char *access_token;
	char *refresh_token;
	int64_t token_expires_at;    /* ms epoch */
	/* Lever refused the grant (revoked) or an admin disconnected: jobs wait. */
	int disconnected;
	int64_t disconnected_at;
	char *disconnected_reason;
	/* Issue 16. The candidateDeleted webhook (its own signature token). */
	char *forget_webhook_id;
	char *forget_webhook_token;
	int attach_report;           /* attach CodinGame's PDF report to the opportunity */
	int forget_deletes_test;     /* forgetting a person also deletes their test at CodinGame */
	int64_t reconciled_at;       /* ms epoch: the last reconciliation pass started (0: none) */
	int64_t reconcile_sent_at;   /* ms epoch: a pass last found a candidate no webhook brought */
	int64_t webhook_checked_at;  /* ms epoch: our webhooks last looked for in Lever */
	int webhook_missing;         /* that look did not find them */
	int64_t codingame_checked_at; /* ms epoch: the CodinGame key last answered */
};
enum store_err store_account_add(struct store *st, struct store_account *a); /* sets a->id; STORE_EXISTS on name */
/* One change to an account, made on the record as it is when the change
 * commits (never on a copy read before a network call): fn edits *cur in
 * place and returns 0 to write it, or non-zero to leave the record as it
 * is (a compare-and-swap that lost: STORE_EXISTS). fn may run more than
 * once (a retried transaction), each time on a fresh copy; the name is
 * not fn's to change. STORE_NOTFOUND: no such account. */
typedef int (*store_account_edit_fn)(struct store_account *cur, void *arg);
enum store_err store_account_update(struct store *st, uint32_t id, store_account_edit_fn fn,
				    void *arg);
/* Removes the account record and its name (used to undo a failed add). */
enum store_err store_account_delete(struct store *st, uint32_t id);
enum store_err store_account_get(struct store *st, uint32_t id, struct store_account **out);
enum store_err store_account_list(struct store *st, struct store_account ***out, size_t *n);
void store_account_free(struct store_account *a);
void store_accounts_free(struct store_account **a, size_t n);

/* ---- rules: tag + stage -> campaign ---- */
struct store_rule {
	uint32_t id;                 /* assigned by store_rule_add */
	uint32_t account;
	char *tag;
	char *stage;                 /* Lever stage id */
	int64_t campaign;            /* CodinGame campaign id */
	int64_t created_at;          /* ms epoch; rules are not retroactive */
	/* Optional result handling: score % at or above pass_score adds
	 * pass_tag (and moves to pass_stage when set), below fail_score adds
	 * fail_tag, between adds review_tag. pass_score < 0: none. */
	int pass_score, fail_score;
	char *pass_tag, *fail_tag, *review_tag;
	char *pass_stage;
	char *created_by;            /* who added it (REMOTE_USER, ...); may be NULL */
	int reminder_days;           /* resend an unstarted test once after this; 0: never */
};
enum store_err store_rule_add(struct store *st, struct store_rule *r);
enum store_err store_rule_delete(struct store *st, uint32_t id);  /* STORE_NOTFOUND */
enum store_err store_rule_get(struct store *st, uint32_t id, struct store_rule **out); /* STORE_NOTFOUND */
/* Replaces tag, stage, campaign, pass_score, fail_score, pass_tag,
 * fail_tag, review_tag, pass_stage and reminder_days of rule r->id (a NULL string or a
 * negative score removes it); id, account, created_at and created_by stay.
 * STORE_NOTFOUND when there is no such rule. */
enum store_err store_rule_update(struct store *st, const struct store_rule *r);
/* account 0: every account's rules. Sorted by id. */
enum store_err store_rule_list(struct store *st, uint32_t account,
			       struct store_rule ***out, size_t *n);
void store_rule_free(struct store_rule *r);
void store_rules_free(struct store_rule **r, size_t n);

/* ---- jobs: the queue, ordered by (account, due, id) ---- */
/* The due time of a new job: at once. Not the current time, so that new
 * jobs, ordered by their random ids, spread over the queue's pages
 * instead of all landing on its last one, where concurrent deliveries
 * would wait on each other for one page lock. */
#define STORE_DUE_NOW 0
struct store_job {
	uint64_t id;                 /* assigned by store_delivery_accept */
	uint32_t account;
	int64_t due;                 /* ms epoch; STORE_DUE_NOW; INT64_MAX when failed */
	char *kind;                  /* "stage_change" */
	char *opportunity;
	char *from_stage;
	char *to_stage;
	int64_t triggered_at;        /* ms epoch, from the delivery */
	int attempts;                /* leases taken so far */
	int failed;                  /* 1: kept after its last try */
	char *last_error;
	int64_t created_at;
	int64_t test_id;             /* "check_test": the CodinGame test to re-read */
	uint32_t rule_id;            /* a backfill: this rule only, whatever its age */
	/* "forget" (candidateDeleted): the ids the delivery carried besides
	 * opportunity (which is then its opportunityId, or "*": none). */
	char *candidate;             /* candidateId, when not the same as opportunity */
	char *contact;               /* contactId: the person, all their opportunities */
};
/* One transaction: remember (account, token); when it is new, add job
 * (due = job->due; job NULL: the token only). Durable when it returns
 * STORE_OK or STORE_EXISTS (the token was seen before: nothing written).
 * Sets job->id. */
enum store_err store_delivery_accept(struct store *st, uint32_t account,
				     const char *token, int64_t now,
				     struct store_job *job);
/* 1 when (account, token) was recorded. */
int store_delivery_seen(struct store *st, uint32_t account, const char *token);
/* Forgets delivery tokens received before `before` (ms epoch). */
enum store_err store_delivery_prune(struct store *st, int64_t before);
/* Adds a job outside a delivery (e.g. a manual retry). Sets job->id. */
enum store_err store_job_add(struct store *st, struct store_job *job);
/* Adds a job that only asks for another look (a CodinGame callback), so
 * that a flood of requests makes no flood of work. One transaction:
 * STORE_EXISTS, nothing written, while the account has a pending (not
 * failed) job of the same kind and test_id; otherwise the job is added,
 * due as given, or gap_ms after the previous one so added when that is
 * later than now (job->due is then set to it). now: the current time
 * (ms). Sets job->id. */
enum store_err store_job_add_coalesced(struct store *st, struct store_job *job, int64_t now,
				       int64_t gap_ms);
/* Takes the account's first job with due <= now that is not failed: in one
 * transaction moves it to due = now + lease_ms and increments attempts,
 * so a runner killed mid-job leaves it for the next one after the lease.
 * STORE_NOTFOUND when none is due; *next_due (may be NULL) is then the
 * earliest due time of the account's pending jobs, INT64_MAX if none. */
enum store_err store_job_lease(struct store *st, uint32_t account, int64_t now,
			       int64_t lease_ms, struct store_job **out,
			       int64_t *next_due);
/* Earliest due time of the account's pending jobs; INT64_MAX if none
 * (or if the store cannot say). */
int64_t store_job_next_due(struct store *st, uint32_t account);
/* Deletes the job (its current due time and id identify it). */
enum store_err store_job_done(struct store *st, const struct store_job *job);
/* Moves the job to a new due time, recording the error. Updates job->due. */
enum store_err store_job_reschedule(struct store *st, struct store_job *job,
				    int64_t due, const char *error);
/* Keeps the job as failed (never due again until retried). */
enum store_err store_job_fail(struct store *st, struct store_job *job,
			      const char *error);
/* Retries the account's failed job job_id: moves it to due = now with
 * failed = 0 and attempts = 0 (last_error kept). STORE_NOTFOUND when the
 * account has no such job, STORE_EXISTS when it exists but is not failed
 * (nothing done). */
enum store_err store_job_retry(struct store *st, uint32_t account, uint64_t job_id,
			       int64_t now);
/* All the account's jobs (0: all accounts), pending and failed. */
enum store_err store_job_list(struct store *st, uint32_t account,
			      struct store_job ***out, size_t *n);
void store_job_free(struct store_job *j);
void store_jobs_free(struct store_job **j, size_t n);

/* ---- invitations: one per (account, opportunity, campaign) ---- */
struct store_invitation {
	uint32_t account;
	char *opportunity;
	int64_t campaign;
	uint32_t rule_id;
	char *state;                 /* waiting_email, sending, sent, failed */
	char *email;                 /* where it was (or is being) sent */
	char *name;
	int64_t test_id;             /* CodinGame test id once known, else 0 */
	char *test_url;
	char *waiting_note;          /* the "waiting for an email" note */
	char *error;
	int64_t created_at, updated_at, sent_at;
	/* The notes on the Lever timeline (waiting_note above too): NULL
	 * none yet, "posting" when a request may have left, "posted"; then
	 * the result. */
	char *sent_note;             /* the "test sent" note */
	char *result_note;           /* the result (or "aborted") note */
	char *result_status;         /* final CodinGame status once seen, else NULL */
	double score;                /* report score % when completed */
	int tags_done, stage_done;   /* thresholds applied */
	int64_t next_poll_at;        /* ms epoch: when sweep polls it next */
	int polls;
	/* Issue 16, each NULL, "posting"/"sending" while a request may have
	 * left, then done: the codingame-expired/-cancelled tag, the
	 * reminder (resend), the PDF report attached to the opportunity. */
	char *outcome_tag;
	char *reminder;
	char *report_file;
	int64_t forgotten_at;        /* ms epoch: personal data removed (forget, retention) */
	/* From the finished test (CodinGame's start_time, end_time, and
	 * report.technologies as "name<TAB>score%<LF>" lines). */
	int64_t started_at, finished_at;
	char *tech_scores;
	char *contact;               /* the person's Lever contact id (candidateDeleted) */
};
/* STORE_EXISTS when one exists for the key (nothing written). */
enum store_err store_invitation_create(struct store *st, const struct store_invitation *inv);
/* Insert or replace; keeps the by-test-id index in step. */
enum store_err store_invitation_put(struct store *st, const struct store_invitation *inv);
enum store_err store_invitation_get(struct store *st, uint32_t account,
				    const char *opportunity, int64_t campaign,
				    struct store_invitation **out);
enum store_err store_invitation_by_test(struct store *st, int64_t test_id,
					struct store_invitation **out);
/* account 0: all. */
enum store_err store_invitation_list(struct store *st, uint32_t account,
				     struct store_invitation ***out, size_t *n);
void store_invitation_free(struct store_invitation *i);
void store_invitations_free(struct store_invitation **i, size_t n);

/* ---- OAuth states: single-use, bound to an account and an admin ---- */
struct store_oauth_state {
	char *state;                 /* random, the key */
	uint32_t account;
	char *user;                  /* REMOTE_USER who started the flow */
	int64_t expires_at;          /* ms epoch */
};
enum store_err store_oauth_state_put(struct store *st, const struct store_oauth_state *s);
/* Reads and deletes in one transaction: a state works once. STORE_NOTFOUND
 * when unknown or already used (expiry is the caller's to check). */
enum store_err store_oauth_state_take(struct store *st, const char *state,
				      struct store_oauth_state **out);
void store_oauth_state_free(struct store_oauth_state *s);
/* Deletes the states that expired before `before` (ms epoch). */
enum store_err store_oauth_state_prune(struct store *st, int64_t before);

/* ---- audit log: who did what, ordered by time ---- */
struct store_audit {
	int64_t at;                  /* ms epoch, set by store_audit_add */
	char *user;                  /* may be NULL */
	uint32_t account;            /* 0: not about one account */
	char *action;
	char *detail;                /* may be NULL */
};
/* Records an entry at the current time. action is required. */
enum store_err store_audit_add(struct store *st, const char *user, uint32_t account,
			       const char *action, const char *detail);
/* Newest first: skips the first offset entries (of the account's, when
 * account is not 0) and returns at most limit (0: no limit). */
enum store_err store_audit_list(struct store *st, uint32_t account, size_t offset,
				size_t limit, struct store_audit ***out, size_t *n);
void store_audit_free(struct store_audit *a);
void store_audits_free(struct store_audit **a, size_t n);

/* ---- maintenance ---- */
/* Hot backup (Berkeley DB's DB_ENV->backup) into dir, which must not
 * exist or be empty: the encrypted databases and the logs needed to
 * recover them. Restore: copy dir's files into an empty db_home (mode
 * 0700) and open it with the same secret_key_file; recovery runs. */
enum store_err store_backup(struct store *st, const char *dir);
/* Checkpoint; log files no longer needed are removed automatically. */
enum store_err store_checkpoint(struct store *st);
/* Background upkeep for a busy runner: writes dirty cache pages ahead of
 * need and checkpoints once a few MiB of log have built up. */
enum store_err store_tidy(struct store *st);

/* ==== history indexes (issue 13 item 7) ==== */
/* Indexes kept in step with every invitation write, so that work lists,
 * the Activity page and the Campaigns page cost the same whatever the
 * history (a store from an earlier version is indexed once, at open). */

/* Work lists: STORE_WORK_POLL, the sent tests whose result is still to
 * read or act on, by when results_poll looks next (0: a final status
 * seen, not acted on yet); STORE_WORK_WAITING, the invitations waiting
 * for an email. The account's entries due by due_by (INT64_MAX: all), in
 * that order, at most limit (0: no limit). */
#define STORE_WORK_POLL 'p'
#define STORE_WORK_WAITING 'w'
enum store_err store_invitation_work(struct store *st, uint32_t account, int kind,
				     int64_t due_by, size_t limit,
				     struct store_invitation ***out, size_t *n);
/* The Activity page: at most limit of the account's invitations by
 * updated_at, newest first. cursor NULL: the newest; else those just
 * older than it (older = 1) or just newer (older = 0). *more_older and
 * *more_newer: whether there are more each side of the page.
 * STORE_NOTFOUND: cursor is not one store_invitation_cursor makes for
 * this account. */
enum store_err store_invitation_page(struct store *st, uint32_t account, const char *cursor,
				     int older, size_t limit, struct store_invitation ***out,
				     size_t *n, int *more_older, int *more_newer);
/* The cursor (lower-case hex) of inv's place in that order, into buf
 * (STORE_CURSOR_MAX bytes are enough). 0, or -1 when it does not fit. */
#define STORE_CURSOR_MAX 601
int store_invitation_cursor(const struct store_invitation *inv, char *buf, size_t len);

/* The Campaigns page: per campaign and rule, the invitations sent, those
 * without a result yet, those known to have started (a start time kept,
 * or completed or aborted), and the completed tests' scores, in
 * hundredths of a percent rounded down (so score >= a whole pass mark
 * exactly when the stored hundredths are), ascending with how many scored
 * each; their times to complete in whole minutes rounded down (at most
 * STORE_SUM_MINUTES_MAX: longer ones count as that), ascending with how
 * many took each (tests without both times left out); and per technology
 * of their reports, how many scored it and the sum of the scores, in
 * hundredths (at most 64 technologies, names cut to 64 bytes). */
#define STORE_SUM_MINUTES_MAX 10080   /* a week */
struct store_campaign_sum {
	int64_t campaign;
	uint32_t rule_id;
	int sent, waiting, completed;
	size_t n;                    /* distinct scores */
	int *score;                  /* hundredths of a percent, 0..10000 */
	int *count;
	int started;
	size_t n_times;              /* distinct times to complete */
	int *minutes;
	int *time_count;
	size_t n_tech;
	char **tech;                 /* names, as the reports give them */
	int *tech_count;
	int64_t *tech_sum;           /* hundredths of a percent */
};
enum store_err store_campaign_sums(struct store *st, uint32_t account,
				   struct store_campaign_sum ***out, size_t *n);
void store_campaign_sum_free(struct store_campaign_sum *s);
void store_campaign_sums_free(struct store_campaign_sum **s, size_t n);
/* Creates n invitations in one transaction (a bulk import, the
 * benchmark's history): all or none; STORE_EXISTS when one exists. */
enum store_err store_invitation_create_many(struct store *st,
					    const struct store_invitation *inv, size_t n);
/* ==== end of history indexes ==== */

/* ==== health (issue 16 item 6) ==== */
/* When the account's latest remembered delivery arrived (ms epoch; 0:
 * none remembered). Deliveries are pruned a day after the replay window,
 * so this reads at most that window's tokens, and says nothing of older
 * ones. */
enum store_err store_delivery_last(struct store *st, uint32_t account, int64_t *at);
/* ==== end of health ==== */

#endif
