/* cglever-ctl: the operator's command line and the queue runner. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "domain/account.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/num.h"
#include "store/prog.h"
#include "domain/queue.h"
#include "store/store.h"

static const char usage[] =
	"usage: cglever-ctl COMMAND ...\n"
	"  account add NAME [--lever-api-key-file F] [--codingame-api-key-file F]\n"
	"                   [--webhook-token-file F]\n"
	"  account list\n"
	"  rule add ACCOUNT --tag T --stage STAGE_ID --campaign ID\n"
	"           [--pass SCORE [--fail SCORE] [--pass-tag T] [--fail-tag T]\n"
	"            [--review-tag T] [--on-pass-stage STAGE_ID]]\n"
	"  rule list\n"
	"  rule delete ID\n"
	"  callback ACCOUNT on|off   (CodinGame calls cglever when a test ends)\n"
	"  invitations ACCOUNT\n"
	"  jobs [ACCOUNT]\n"
	"  sweep [--account ID]\n"
	"  backup DIR                (hot backup; DIR must not exist or be empty)\n"
	"  --version\n"
	"The configuration is $CGLEVER_CONFIG or " CGLEVER_DEFAULT_CONFIG ".\n";

struct ctl {
	struct conf *conf;
	struct store *st;
};

static int fail_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "cglever-ctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

/* Bounded decimal id; 0 when not one. */
static int64_t parse_id(const char *s, int64_t max)
{
	int64_t v;

	return num_parse_str(s, 1, max, &v) == NUM_OK ? v : 0;
}

/* The secret is the first line of the file; a trailing newline is ignored. */
static char *read_key_file(const char *path, const char *what)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		fprintf(stderr, "cglever-ctl: %s %s: %s\n", what, path, strerror(errno));
		return NULL;
	}
	if (!fgets(buf, sizeof buf, f))
		buf[0] = '\0';
	fclose(f);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0 || n >= sizeof buf - 1 || strspn(buf, " \t") == n) {
		fprintf(stderr, "cglever-ctl: %s %s: the first line must hold the key\n", what, path);
		memset(buf, 0, sizeof buf);
		return NULL;
	}
	char *s = strdup(buf);

	memset(buf, 0, sizeof buf);
	return s;
}

static void free_secret(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static int account_add(struct ctl *x, int argc, char **argv)
{
	struct account_new in = { 0 };
	char *lever = NULL, *cg = NULL, *token = NULL, err[1024];
	uint32_t id;
	int rc = 1;

	if (argc < 1 || argv[0][0] == '-')
		return fail_usage("account add: NAME is required%s", "");
	in.name = argv[0];
	if (strlen(in.name) > 100 || strcspn(in.name, "\t\r\n") != strlen(in.name))
		return fail_usage("account add: NAME must be one line of at most 100 bytes%s", "");
	for (int i = 1; i < argc; i += 2) {
		char **slot;
		const char *what;

		if (strcmp(argv[i], "--lever-api-key-file") == 0)
			slot = &lever, what = "Lever API key file";
		else if (strcmp(argv[i], "--codingame-api-key-file") == 0)
			slot = &cg, what = "CodinGame API key file";
		else if (strcmp(argv[i], "--webhook-token-file") == 0)
			slot = &token, what = "webhook token file";
		else {
			rc = fail_usage("account add: unknown option %s", argv[i]);
			goto out;
		}
		if (i + 1 >= argc) {
			rc = fail_usage("account add: %s needs a file", argv[i]);
			goto out;
		}
		if (*slot) {
			rc = fail_usage("account add: %s given twice", argv[i]);
			goto out;
		}
		if (!(*slot = read_key_file(argv[i + 1], what)))
			goto out;
	}
	in.lever_api_key = lever;
	in.codingame_api_key = cg;
	in.webhook_token = token;
	if (account_create(x->conf, x->st, &in, &id, err, sizeof err) < 0) {
		fprintf(stderr, "cglever-ctl: account add: %s\n", err);
		goto out;
	}
	printf("%u\n", id);
	if (!lever && !token)
		fprintf(stderr, "cglever-ctl: note: account %u has no Lever key and no webhook "
			"token yet; deliveries will be refused until it has one\n", id);
	rc = 0;
out:
	free_secret(lever);
	free_secret(cg);
	free_secret(token);
	return rc;
}

static int account_list(struct ctl *x)
{
	struct store_account **a = NULL;
	size_t n = 0;

	if (store_account_list(x->st, &a, &n) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(x->st));
		return 1;
	}
	printf("%-6s %-24s %-8s %-10s %-11s %s\n", "ID", "NAME", "LEVER", "CODINGAME", "WEBHOOK",
	       "STATUS");
	for (size_t i = 0; i < n; i++)
		printf("%-6u %-24s %-8s %-10s %-11s %s%s%s\n", a[i]->id, a[i]->name,
		       a[i]->lever_api_key ? "api-key" : a[i]->refresh_token ? "oauth" : "none",
		       a[i]->codingame_api_key ? "api-key" : "none",
		       a[i]->webhook_id ? "registered" : a[i]->webhook_token ? "by-hand" : "none",
		       a[i]->disconnected ? "disconnected" : "connected",
		       a[i]->disconnected_reason ? ": " : "",
		       a[i]->disconnected_reason ? a[i]->disconnected_reason : "");
	store_accounts_free(a, n);
	return 0;
}

/* A score in 0..100. */
static int parse_score(const char *s, int *out)
{
	int64_t v;

	if (num_parse_str(s, 0, 100, &v) != NUM_OK)
		return -1;
	*out = (int)v;
	return 0;
}

static int stage_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

static int rule_add(struct ctl *x, int argc, char **argv)
{
	struct store_rule r = { 0 };
	struct store_account *a = NULL;
	const char *tag = NULL, *stage = NULL, *camp = NULL, *pass = NULL, *fail = NULL;
	const char *pass_tag = NULL, *fail_tag = NULL, *review_tag = NULL, *pass_stage = NULL;
	enum store_err se;

	if (argc < 1 || !(r.account = (uint32_t)parse_id(argv[0], UINT32_MAX)))
		return fail_usage("rule add: ACCOUNT must be an account id%s", "");
	for (int i = 1; i < argc; i += 2) {
		const char **slot;

		if (strcmp(argv[i], "--tag") == 0)
			slot = &tag;
		else if (strcmp(argv[i], "--stage") == 0)
			slot = &stage;
		else if (strcmp(argv[i], "--campaign") == 0)
			slot = &camp;
		else if (strcmp(argv[i], "--pass") == 0)
			slot = &pass;
		else if (strcmp(argv[i], "--fail") == 0)
			slot = &fail;
		else if (strcmp(argv[i], "--pass-tag") == 0)
			slot = &pass_tag;
		else if (strcmp(argv[i], "--fail-tag") == 0)
			slot = &fail_tag;
		else if (strcmp(argv[i], "--review-tag") == 0)
			slot = &review_tag;
		else if (strcmp(argv[i], "--on-pass-stage") == 0)
			slot = &pass_stage;
		else
			return fail_usage("rule add: unknown option %s", argv[i]);
		if (i + 1 >= argc)
			return fail_usage("rule add: %s needs a value", argv[i]);
		*slot = argv[i + 1];
	}
	if (!tag || !*tag || strlen(tag) > 200)
		return fail_usage("rule add: --tag T is required (1..200 bytes)%s", "");
	if (!stage || !stage_ok(stage))
		return fail_usage("rule add: --stage must be a Lever stage id%s", "");
	if (!camp || !(r.campaign = (int64_t)parse_id(camp, INT64_MAX)))
		return fail_usage("rule add: --campaign must be a CodinGame campaign id%s", "");
	r.pass_score = r.fail_score = -1;
	if (pass && parse_score(pass, &r.pass_score) < 0)
		return fail_usage("rule add: --pass must be a score from 0 to 100%s", "");
	if (fail && (!pass || parse_score(fail, &r.fail_score) < 0 || r.fail_score > r.pass_score))
		return fail_usage("rule add: --fail needs --pass and a score from 0 to the pass "
				  "score%s", "");
	if (!pass && (pass_tag || fail_tag || review_tag || pass_stage))
		return fail_usage("rule add: tags and --on-pass-stage need --pass%s", "");
	if (pass_stage && !stage_ok(pass_stage))
		return fail_usage("rule add: --on-pass-stage must be a Lever stage id%s", "");
	{
		const char *tags[] = { pass_tag, fail_tag, review_tag };

		for (size_t i = 0; i < 3; i++)
			if (tags[i] && (!*tags[i] || strlen(tags[i]) > 200))
				return fail_usage("rule add: tags must be 1..200 bytes%s", "");
	}
	r.pass_tag = (char *)pass_tag;
	r.fail_tag = (char *)fail_tag;
	r.review_tag = (char *)review_tag;
	r.pass_stage = (char *)pass_stage;
	se = store_account_get(x->st, r.account, &a);
	store_account_free(a);
	if (se == STORE_NOTFOUND) {
		fprintf(stderr, "cglever-ctl: rule add: no account %u\n", r.account);
		return 1;
	}
	r.tag = (char *)tag;
	r.stage = (char *)stage;
	r.created_at = clock_wall_ms();
	if (se != STORE_OK || store_rule_add(x->st, &r) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: rule add: %s\n", store_last_error(x->st));
		return 1;
	}
	printf("%u\n", r.id);
	return 0;
}

static void fmt_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || ms == INT64_MAX) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int rule_list(struct ctl *x)
{
	struct store_rule **r = NULL;
	size_t n = 0;
	char when[32];

	if (store_rule_list(x->st, 0, &r, &n) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(x->st));
		return 1;
	}
	printf("%-6s %-8s %-20s %-38s %-10s %s\n", "ID", "ACCOUNT", "TAG", "STAGE", "CAMPAIGN",
	       "CREATED");
	for (size_t i = 0; i < n; i++) {
		fmt_time(r[i]->created_at, when, sizeof when);
		printf("%-6u %-8u %-20s %-38s %-10" PRId64 " %s\n", r[i]->id, r[i]->account,
		       r[i]->tag, r[i]->stage, r[i]->campaign, when);
	}
	store_rules_free(r, n);
	return 0;
}

static int rule_delete(struct ctl *x, int argc, char **argv)
{
	uint32_t id;
	enum store_err se;

	if (argc != 1 || !(id = (uint32_t)parse_id(argv[0], UINT32_MAX)))
		return fail_usage("rule delete: ID must be a rule id%s", "");
	se = store_rule_delete(x->st, id);
	if (se == STORE_NOTFOUND) {
		fprintf(stderr, "cglever-ctl: rule delete: no rule %u\n", id);
		return 1;
	}
	if (se != STORE_OK) {
		fprintf(stderr, "cglever-ctl: rule delete: %s\n", store_last_error(x->st));
		return 1;
	}
	return 0;
}

static int invitations(struct ctl *x, int argc, char **argv)
{
	struct store_invitation **v = NULL;
	uint32_t account;
	size_t n = 0;
	char when[32];

	if (argc != 1 || !(account = (uint32_t)parse_id(argv[0], UINT32_MAX)))
		return fail_usage("invitations: ACCOUNT must be an account id%s", "");
	if (store_invitation_list(x->st, account, &v, &n) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(x->st));
		return 1;
	}
	printf("%-38s %-10s %-14s %-10s %-32s %s\n", "OPPORTUNITY", "CAMPAIGN", "STATE", "TEST",
	       "EMAIL", "UPDATED");
	for (size_t i = 0; i < n; i++) {
		fmt_time(v[i]->updated_at, when, sizeof when);
		printf("%-38s %-10" PRId64 " %-14s %-10" PRId64 " %-32s %s\n", v[i]->opportunity,
		       v[i]->campaign, v[i]->state, v[i]->test_id,
		       v[i]->email ? v[i]->email : "-", when);
	}
	store_invitations_free(v, n);
	return 0;
}

static int jobs(struct ctl *x, int argc, char **argv)
{
	struct store_job **j = NULL;
	uint32_t account = 0;
	size_t n = 0;
	char when[32];

	if (argc > 1 || (argc == 1 && !(account = (uint32_t)parse_id(argv[0], UINT32_MAX))))
		return fail_usage("jobs: ACCOUNT must be an account id%s", "");
	if (store_job_list(x->st, account, &j, &n) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(x->st));
		return 1;
	}
	printf("%-16s %-8s %-38s %-8s %-6s %-20s %s\n", "JOB", "ACCOUNT", "OPPORTUNITY", "STATE",
	       "TRIES", "DUE", "LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		if (j[i]->due == STORE_DUE_NOW)
			snprintf(when, sizeof when, "now");
		else
			fmt_time(j[i]->due, when, sizeof when);
		printf("%016" PRIx64 " %-8u %-38s %-8s %-6d %-20s %s\n", j[i]->id, j[i]->account,
		       j[i]->opportunity, j[i]->failed ? "failed" : "pending", j[i]->attempts,
		       when, j[i]->last_error ? j[i]->last_error : "");
	}
	store_jobs_free(j, n);
	return 0;
}

static int callback(struct ctl *x, int argc, char **argv)
{
	uint32_t id;
	char err[600];

	if (argc != 2 || !(id = (uint32_t)parse_id(argv[0], UINT32_MAX)) ||
	    (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0))
		return fail_usage("callback: ACCOUNT on|off%s", "");
	if (account_callback(x->conf, x->st, id, strcmp(argv[1], "on") == 0, err, sizeof err) < 0) {
		fprintf(stderr, "cglever-ctl: callback: %s\n", err);
		return 1;
	}
	return 0;
}

static int backup(struct ctl *x, int argc, char **argv)
{
	if (argc != 1 || !*argv[0])
		return fail_usage("backup: DIR is required%s", "");
	if (store_backup(x->st, argv[0]) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(x->st));
		return 1;
	}
	printf("backup written to %s; restore by copying its files into an empty db_home\n",
	       argv[0]);
	return 0;
}

static int sweep(struct ctl *x, int argc, char **argv)
{
	struct store_account **a = NULL;
	struct queue_stats s;
	uint32_t only = 0;
	size_t n = 0;
	int rc = 0;
	/* A runner does not live for ever: after runner_max_seconds it stops
	 * between jobs (and between accounts here), closes the store cleanly
	 * and exits 0; the next wake or sweep carries on. A store operation
	 * that hangs is the store's stall watchdog's business. */
	int64_t deadline = clock_mono_us() + (int64_t)x->conf->runner_max_seconds * 1000000;

	if (argc == 2 && strcmp(argv[0], "--account") == 0) {
		if (!(only = (uint32_t)parse_id(argv[1], UINT32_MAX)))
			return fail_usage("sweep: --account needs an account id%s", "");
	} else if (argc != 0) {
		return fail_usage("sweep: unexpected argument %s", argv[0]);
	}
	if (only) {
		/* The runner the webhook starts: this account's due jobs only. */
		return queue_run(x->conf, x->st, only, 0, deadline, &s) < 0 ? 1 : 0;
	}
	if (store_account_list(x->st, &a, &n) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", store_last_error(x->st));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (clock_mono_us() >= deadline) {
			log_info("sweep: runner_max_seconds (%d s) reached: %zu account(s) "
				 "left for the next sweep", x->conf->runner_max_seconds, n - i);
			break;
		}
		if (queue_run(x->conf, x->st, a[i]->id, 1, deadline, &s) < 0)
			rc = 1;
		else if (s.done || s.retried || s.failed)
			log_info("sweep: account %u: %d done, %d to retry, %d failed", a[i]->id,
				 s.done, s.retried, s.failed);
	}
	store_accounts_free(a, n);
	/* Tokens outlive the replay window by a day (see intake.h). */
	if (store_delivery_prune(x->st, clock_wall_ms() -
				 (x->conf->replay_window_seconds + 86400LL) * 1000) != STORE_OK ||
	    store_oauth_state_prune(x->st, clock_wall_ms()) != STORE_OK ||
	    store_checkpoint(x->st) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: sweep: %s\n", store_last_error(x->st));
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct ctl x = { 0 };
	char err[1024];
	const char *cmd, *sub;
	int rc = 2;

	signal(SIGPIPE, SIG_IGN);
	log_init("cglever-ctl", LOG_LEVEL_INFO);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		/* CGLEVER_VERSION: the Makefile's, from debian/changelog. */
		puts("cglever-ctl " CGLEVER_VERSION);
		return 0;
	}
	cmd = argv[1];
	sub = argc > 2 ? argv[2] : "";
	if (strcmp(cmd, "account") && strcmp(cmd, "rule") && strcmp(cmd, "invitations") &&
	    strcmp(cmd, "jobs") && strcmp(cmd, "sweep") && strcmp(cmd, "callback") && strcmp(cmd, "backup"))
		return fail_usage("unknown command %s", cmd);
	if ((strcmp(cmd, "account") == 0 && strcmp(sub, "add") && strcmp(sub, "list")) ||
	    (strcmp(cmd, "rule") == 0 && strcmp(sub, "add") && strcmp(sub, "list") &&
	     strcmp(sub, "delete")))
		return fail_usage(*sub ? "unknown subcommand %s" : "missing subcommand%s", sub);
	if (conf_load(NULL, &x.conf, err, sizeof err) < 0) {
		fprintf(stderr, "cglever-ctl: %s\n", err);
		return 1;
	}
	log_set_level(x.conf->log_level);
	if (prog_check_owner("cglever-ctl", x.conf) < 0) {
		rc = 1;
		goto out;
	}
	if (store_open(x.conf, &x.st, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "cglever-ctl: %s\n", err);
		rc = 1;
		goto out;
	}
	if (strcmp(cmd, "account") == 0)
		rc = strcmp(sub, "add") == 0 ? account_add(&x, argc - 3, argv + 3)
		     : argc == 3 ? account_list(&x)
				 : fail_usage("account list: unexpected argument %s", argv[3]);
	else if (strcmp(cmd, "rule") == 0)
		rc = strcmp(sub, "add") == 0	   ? rule_add(&x, argc - 3, argv + 3)
		     : strcmp(sub, "delete") == 0 ? rule_delete(&x, argc - 3, argv + 3)
		     : argc == 3		   ? rule_list(&x)
				 : fail_usage("rule list: unexpected argument %s", argv[3]);
	else if (strcmp(cmd, "invitations") == 0)
		rc = invitations(&x, argc - 2, argv + 2);
	else if (strcmp(cmd, "jobs") == 0)
		rc = jobs(&x, argc - 2, argv + 2);
	else if (strcmp(cmd, "callback") == 0)
		rc = callback(&x, argc - 2, argv + 2);
	else if (strcmp(cmd, "backup") == 0)
		rc = backup(&x, argc - 2, argv + 2);
	else
		rc = sweep(&x, argc - 2, argv + 2);
out:
	store_close(x.st);
	conf_free(x.conf);
	return rc;
}
