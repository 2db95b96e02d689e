/* cglever-ctl: the operator's command line and the queue runner.
 * Argument parsing and dispatch only; the commands live in
 * lib/domain/ctl.c. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"
#include "base/crypto.h"
#include "base/leverid.h"
#include "base/log.h"
#include "base/num.h"
#include "domain/ctl.h"
#include "domain/forget.h"
#include "store/prog.h"
#include "store/store.h"

static const char usage[] =
	"usage: cglever-ctl COMMAND ...\n"
	"  account add NAME [--lever-api-key-file F] [--codingame-api-key-file F]\n"
	"                   [--webhook-token-file F]\n"
	"  account list\n"
	"  rule add ACCOUNT --tag T --stage STAGE_ID --campaign ID\n"
	"           [--pass SCORE [--fail SCORE] [--pass-tag T] [--fail-tag T]\n"
	"            [--review-tag T] [--on-pass-stage STAGE_ID]] [--reminder-days N]\n"
	"  rule list\n"
	"  rule delete ID\n"
	"  callback ACCOUNT on|off   (CodinGame calls cglever when a test ends)\n"
	"  invitations ACCOUNT\n"
	"  jobs [ACCOUNT]\n"
	"  sweep [--account ID]\n"
	"  backup DIR                (hot backup; DIR must not exist or be empty)\n"
	"  forget --email E          (a person's data, every account)\n"
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

static int account_add(struct ctl *x, int argc, char **argv)
{
	struct account_new in = { 0 };
	char *lever = NULL, *cg = NULL, *token = NULL;
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
		if (!(*slot = ctl_read_key_file(argv[i + 1], what)))
			goto out;
	}
	in.lever_api_key = lever;
	in.codingame_api_key = cg;
	in.webhook_token = token;
	rc = ctl_account_add(x->conf, x->st, &in);
out:
	crypto_free_secret(lever);
	crypto_free_secret(cg);
	crypto_free_secret(token);
	return rc;
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

static int rule_add(struct ctl *x, int argc, char **argv)
{
	struct store_rule r = { 0 };
	const char *tag = NULL, *stage = NULL, *camp = NULL, *pass = NULL, *fail = NULL;
	const char *pass_tag = NULL, *fail_tag = NULL, *review_tag = NULL, *pass_stage = NULL;
	const char *remind = NULL;
	const struct { const char *opt, **slot; } opts[] = {
		{ "--tag", &tag }, { "--stage", &stage }, { "--campaign", &camp },
		{ "--pass", &pass }, { "--fail", &fail }, { "--pass-tag", &pass_tag },
		{ "--fail-tag", &fail_tag }, { "--review-tag", &review_tag },
		{ "--on-pass-stage", &pass_stage }, { "--reminder-days", &remind },
	};

	if (argc < 1 || !(r.account = (uint32_t)parse_id(argv[0], UINT32_MAX)))
		return fail_usage("rule add: ACCOUNT must be an account id%s", "");
	for (int i = 1; i < argc; i += 2) {
		size_t k = 0;

		while (k < sizeof opts / sizeof opts[0] && strcmp(argv[i], opts[k].opt) != 0)
			k++;
		if (k == sizeof opts / sizeof opts[0])
			return fail_usage("rule add: unknown option %s", argv[i]);
		if (i + 1 >= argc)
			return fail_usage("rule add: %s needs a value", argv[i]);
		*opts[k].slot = argv[i + 1];
	}
	if (!tag || !*tag || strlen(tag) > 200)
		return fail_usage("rule add: --tag T is required (1..200 bytes)%s", "");
	if (!stage || !leverid_ok(stage))
		return fail_usage("rule add: --stage must be a Lever stage id%s", "");
	if (!camp || !(r.campaign = (int64_t)parse_id(camp, INT64_MAX)))
		return fail_usage("rule add: --campaign must be a CodinGame campaign id%s", "");
	if (remind && !(r.reminder_days = (int)parse_id(remind, 60)))
		return fail_usage("rule add: --reminder-days must be from 1 to 60%s", "");
	r.pass_score = r.fail_score = -1;
	if (pass && parse_score(pass, &r.pass_score) < 0)
		return fail_usage("rule add: --pass must be a score from 0 to 100%s", "");
	if (fail && (!pass || parse_score(fail, &r.fail_score) < 0 || r.fail_score > r.pass_score))
		return fail_usage("rule add: --fail needs --pass and a score from 0 to the pass "
				  "score%s", "");
	if (!pass && (pass_tag || fail_tag || review_tag || pass_stage))
		return fail_usage("rule add: tags and --on-pass-stage need --pass%s", "");
	if (pass_stage && !leverid_ok(pass_stage))
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
	r.tag = (char *)tag;
	r.stage = (char *)stage;
	return ctl_rule_add(x->st, &r);
}

static int rule_delete(struct ctl *x, int argc, char **argv)
{
	uint32_t id;

	if (argc != 1 || !(id = (uint32_t)parse_id(argv[0], UINT32_MAX)))
		return fail_usage("rule delete: ID must be a rule id%s", "");
	return ctl_rule_delete(x->st, id);
}

/* The commands that take one account id (jobs: at most one). */
static int with_account(struct ctl *x, const char *cmd, int argc, char **argv)
{
	uint32_t id = 0;

	if (strcmp(cmd, "jobs") == 0) {
		if (argc > 1 || (argc == 1 && !(id = (uint32_t)parse_id(argv[0], UINT32_MAX))))
			return fail_usage("jobs: ACCOUNT must be an account id%s", "");
		return ctl_jobs(x->st, id);
	}
	if (strcmp(cmd, "invitations") == 0) {
		if (argc != 1 || !(id = (uint32_t)parse_id(argv[0], UINT32_MAX)))
			return fail_usage("invitations: ACCOUNT must be an account id%s", "");
		return ctl_invitations(x->st, id);
	}
	if (argc != 2 || !(id = (uint32_t)parse_id(argv[0], UINT32_MAX)) ||
	    (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0))
		return fail_usage("callback: ACCOUNT on|off%s", "");
	return ctl_callback(x->conf, x->st, id, strcmp(argv[1], "on") == 0);
}

static int sweep(struct ctl *x, int argc, char **argv)
{
	uint32_t only = 0;

	if (argc == 2 && strcmp(argv[0], "--account") == 0) {
		if (!(only = (uint32_t)parse_id(argv[1], UINT32_MAX)))
			return fail_usage("sweep: --account needs an account id%s", "");
	} else if (argc != 0) {
		return fail_usage("sweep: unexpected argument %s", argv[0]);
	}
	return ctl_sweep(x->conf, x->st, only);
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
	    strcmp(cmd, "jobs") && strcmp(cmd, "sweep") && strcmp(cmd, "callback") &&
	    strcmp(cmd, "backup") && strcmp(cmd, "forget"))
		return fail_usage("unknown command %s", cmd);
	/* The address is not echoed: it is the personal data being removed. */
	if (strcmp(cmd, "forget") == 0 &&
	    (argc != 4 || strcmp(argv[2], "--email") != 0 || !forget_email_ok(argv[3])))
		return fail_usage("forget: --email needs one email address%s", "");
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
		     : argc == 3 ? ctl_account_list(x.st)
				 : fail_usage("account list: unexpected argument %s", argv[3]);
	else if (strcmp(cmd, "rule") == 0)
		rc = strcmp(sub, "add") == 0	   ? rule_add(&x, argc - 3, argv + 3)
		     : strcmp(sub, "delete") == 0 ? rule_delete(&x, argc - 3, argv + 3)
		     : argc == 3		   ? ctl_rule_list(x.st)
				 : fail_usage("rule list: unexpected argument %s", argv[3]);
	else if (strcmp(cmd, "backup") == 0)
		rc = argc != 3 || !*argv[2] ? fail_usage("backup: DIR is required%s", "")
					    : ctl_backup(x.st, argv[2]);
	else if (strcmp(cmd, "sweep") == 0)
		rc = sweep(&x, argc - 2, argv + 2);
	else if (strcmp(cmd, "forget") == 0)
		rc = ctl_forget(x.conf, x.st, argv[3]);
	else
		rc = with_account(&x, cmd, argc - 2, argv + 2);
out:
	store_close(x.st);
	conf_free(x.conf);
	return rc;
}
