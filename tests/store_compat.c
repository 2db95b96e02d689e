/* store_compat: writes a known set of records through the public store
 * API, or reads them all back and prints every field, one line a record,
 * so that two builds of the store (t0037-store-compat: the version
 * before the store was split, and this one) can be checked to read each
 * other's databases alike.
 *   store_compat DB_HOME SECRET write|read */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

#define S(x) ((x) ? (x) : "(null)")

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct store *st, const char *what)
{
	fprintf(stderr, "store_compat: %s: %s\n", what, store_last_error(st));
	return 1;
}

static int write_all(struct store *st)
{
	struct store_account full = {
		.name = "full", .lever_api_key = "lever-key-secret",
		.codingame_api_key = "cg-key-secret", .webhook_id = "wh-1",
		.webhook_token = "wh-token-secret", .callback_secret = "cb-secret",
		.created_at = 1700000000001, .access_token = "access-secret",
		.refresh_token = "refresh-secret", .token_expires_at = 1700000009999,
		.disconnected = 1, .disconnected_at = 1700000005555,
		.disconnected_reason = "revoked in Lever",
	};
	struct store_account bare = { .name = "bare" };
	struct store_rule r1 = {
		.account = 1, .tag = "python", .stage = "stage-1", .campaign = 4242,
		.created_at = 1700000000002, .pass_score = 70, .fail_score = 40,
		.pass_tag = "passed", .fail_tag = "failed", .review_tag = "review",
		.pass_stage = "stage-2", .created_by = "admin",
	};
	struct store_rule r2 = { .account = 2, .tag = "go", .stage = "stage-3",
				 .campaign = 7, .pass_score = -1, .fail_score = -1 };
	struct store_rule r2edit = { .tag = "golang", .stage = "stage-4", .campaign = 8,
				     .pass_score = 0, .fail_score = -1, .review_tag = "look" };
	struct store_job j1 = {
		.due = 1000, .kind = "stage_change", .opportunity = "opp-1",
		.from_stage = "a", .to_stage = "b", .triggered_at = 1700000000003,
		.created_at = 1700000000004, .test_id = 99, .rule_id = 1,
	};
	struct store_job j2 = { .due = 2000, .kind = "check_test", .opportunity = "opp-2" };
	struct store_invitation i1 = {
		.account = 1, .opportunity = "opp-1", .campaign = 4242, .rule_id = 1,
		.state = "sent", .email = "a@example.com", .name = "Ada", .test_id = 99,
		.test_url = "https://cg.example/t/99", .waiting_note = "posted",
		.error = "none", .created_at = 11, .updated_at = 12, .sent_at = 13,
		.sent_note = "posted", .result_note = "posting", .result_status = "completed",
		.score = 87.5, .tags_done = 1, .stage_done = 1, .next_poll_at = 14, .polls = 3,
	};
	struct store_invitation i2 = { .account = 2, .opportunity = "opp-2", .campaign = 7,
				       .state = "waiting_email" };
	struct store_oauth_state os = { .state = "state-1", .account = 1, .user = "admin",
					.expires_at = 1700000000005 };

	if (store_account_add(st, &full) || store_account_add(st, &bare))
		return fail(st, "adding accounts");
	if (store_rule_add(st, &r1) || store_rule_add(st, &r2))
		return fail(st, "adding rules");
	r2edit.id = r2.id;
	if (store_rule_update(st, &r2edit))
		return fail(st, "updating a rule");
	j1.account = 1;
	j2.account = 2;
	if (store_job_add(st, &j1) || store_job_add(st, &j2))
		return fail(st, "adding jobs");
	if (store_job_reschedule(st, &j1, 1500, "try again") || store_job_fail(st, &j2, "gave up"))
		return fail(st, "moving jobs");
	if (store_invitation_create(st, &i1) || store_invitation_put(st, &i2))
		return fail(st, "writing invitations");
	if (store_oauth_state_put(st, &os))
		return fail(st, "saving an OAuth state");
	if (store_audit_add(st, "admin", 1, "rule.add", "rule 1"))
		return fail(st, "adding audit entries");
	/* Audit keys order by the millisecond, then at random: the second
	 * entry goes in a later millisecond so the list's order is fixed. */
	for (int64_t t = wall_ms(); wall_ms() <= t;)
		;
	if (store_audit_add(st, NULL, 0, "sweep", NULL))
		return fail(st, "adding audit entries");
	return 0;
}

static int read_all(struct store *st)
{
	struct store_account **a = NULL;
	struct store_rule **r = NULL;
	struct store_job **j = NULL;
	struct store_invitation **v = NULL, *bt = NULL;
	struct store_audit **au = NULL;
	struct store_oauth_state *os = NULL;
	size_t na = 0, nr = 0, nj = 0, nv = 0, nau = 0;
	int rc = 0;

	if (store_account_list(st, &a, &na) || store_rule_list(st, 0, &r, &nr) ||
	    store_job_list(st, 0, &j, &nj) || store_invitation_list(st, 0, &v, &nv) ||
	    store_audit_list(st, 0, 0, 0, &au, &nau) || store_invitation_by_test(st, 99, &bt) ||
	    store_oauth_state_take(st, "state-1", &os))
		rc = fail(st, "reading");
	for (size_t i = 0; i < na; i++)
		printf("account %u %s %s %s %s %s %s %lld %s %s %lld %d %lld %s\n", a[i]->id,
		       S(a[i]->name), S(a[i]->lever_api_key), S(a[i]->codingame_api_key),
		       S(a[i]->webhook_id), S(a[i]->webhook_token), S(a[i]->callback_secret),
		       (long long)a[i]->created_at, S(a[i]->access_token), S(a[i]->refresh_token),
		       (long long)a[i]->token_expires_at, a[i]->disconnected,
		       (long long)a[i]->disconnected_at, S(a[i]->disconnected_reason));
	for (size_t i = 0; i < nr; i++)
		printf("rule %u %u %s %s %lld %lld %d %d %s %s %s %s %s\n", r[i]->id, r[i]->account,
		       S(r[i]->tag), S(r[i]->stage), (long long)r[i]->campaign,
		       (long long)r[i]->created_at, r[i]->pass_score, r[i]->fail_score,
		       S(r[i]->pass_tag), S(r[i]->fail_tag), S(r[i]->review_tag),
		       S(r[i]->pass_stage), S(r[i]->created_by));
	for (size_t i = 0; i < nj; i++)   /* ids are random: not printed */
		printf("job %u %lld %s %s %s %s %lld %d %d %s %lld %lld %u\n", j[i]->account,
		       (long long)j[i]->due, S(j[i]->kind), S(j[i]->opportunity),
		       S(j[i]->from_stage), S(j[i]->to_stage), (long long)j[i]->triggered_at,
		       j[i]->attempts, j[i]->failed, S(j[i]->last_error),
		       (long long)j[i]->created_at, (long long)j[i]->test_id, j[i]->rule_id);
	for (size_t i = 0; i < nv; i++)
		printf("invitation %u %s %lld %u %s %s %s %lld %s %s %s %lld %lld %lld %s %s %s "
		       "%.3f %d %d %lld %d\n", v[i]->account, S(v[i]->opportunity),
		       (long long)v[i]->campaign, v[i]->rule_id, S(v[i]->state), S(v[i]->email),
		       S(v[i]->name), (long long)v[i]->test_id, S(v[i]->test_url),
		       S(v[i]->waiting_note), S(v[i]->error), (long long)v[i]->created_at,
		       (long long)v[i]->updated_at, (long long)v[i]->sent_at, S(v[i]->sent_note),
		       S(v[i]->result_note), S(v[i]->result_status), v[i]->score, v[i]->tags_done,
		       v[i]->stage_done, (long long)v[i]->next_poll_at, v[i]->polls);
	if (bt)
		printf("by_test 99 %s\n", S(bt->opportunity));
	for (size_t i = 0; i < nau; i++)   /* times are the writer's clock: not printed */
		printf("audit %s %u %s %s\n", S(au[i]->user), au[i]->account, S(au[i]->action),
		       S(au[i]->detail));
	if (os)
		printf("oauth %s %u %s %lld\n", S(os->state), os->account, S(os->user),
		       (long long)os->expires_at);
	store_accounts_free(a, na);
	store_rules_free(r, nr);
	store_jobs_free(j, nj);
	store_invitations_free(v, nv);
	store_invitation_free(bt);
	store_audits_free(au, nau);
	store_oauth_state_free(os);
	return rc;
}

int main(int argc, char **argv)
{
	struct conf c;
	struct store *st = NULL;
	char err[512];
	int rc;

	if (argc != 4 || (strcmp(argv[3], "write") && strcmp(argv[3], "read"))) {
		fprintf(stderr, "usage: store_compat DB_HOME SECRET write|read\n");
		return 2;
	}
	memset(&c, 0, sizeof c);
	c.db_home = argv[1];
	c.secret = argv[2];
	if (store_open(&c, &st, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "store_compat: %s\n", err);
		return 1;
	}
	rc = strcmp(argv[3], "write") == 0 ? write_all(st) : read_all(st);
	store_close(st);
	return rc;
}
