/* health: cglever's webhooks looked for in Lever, "Register again", and
 * the last whole sweep's stamp. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/health.h"
#include "domain/hooks.h"

/* 1 when id is NULL (nothing to find) or among the n listed webhooks. */
static int listed(const char *id, const struct lever_webhook *w, size_t n)
{
	for (size_t i = 0; id && i < n; i++)
		if (strcmp(w[i].id, id) == 0)
			return 1;
	return !id;
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

struct found {
	const char *stage_id, *forget_id;   /* the ids looked for */
	int missing;
	int64_t at;
};

/* Only the result of the look: the ids looked for must still be the
 * account's (a "Register again" meanwhile made new ones). */
static int record_found(struct store_account *cur, void *arg)
{
	const struct found *f = arg;

	if (!same(cur->webhook_id, f->stage_id) || !same(cur->forget_webhook_id, f->forget_id))
		return 1;
	cur->webhook_missing = f->missing;
	cur->webhook_checked_at = f->at;
	return 0;
}

enum pipe_result health_webhooks_check(struct pipeline *p, int force, char *err,
				       size_t errlen)
{
	struct lever_webhook *w = NULL;
	struct found f = { NULL, NULL, 0, clock_wall_ms() };
	enum pipe_result r;
	enum store_err se;
	enum lever_err e;
	size_t n = 0;
	int auth_try = 0, was_missing;
	long ra = -1;

	if (!p->acct->webhook_id && !p->acct->forget_webhook_id)
		return PIPE_DONE;    /* made by hand (or none): nothing of ours to look for */
	if (!force && f.at - p->acct->webhook_checked_at < HEALTH_WEBHOOK_CHECK_MS)
		return PIPE_DONE;
	if ((r = pipeline_authorize(p, AUTH_IF_DUE, err, errlen)) != PIPE_DONE)
		return r;
	do
		e = lever_webhooks_list(&p->lv, &w, &n);
	while (pipeline_reauthorize(p, e, &auth_try));
	if (e != LEVER_OK)
		return pipeline_from_lever(p, e, err, errlen, &ra);
	/* p->acct may be a fresh copy after authorizing: read the ids now. */
	f.stage_id = p->acct->webhook_id;
	f.forget_id = p->acct->forget_webhook_id;
	f.missing = !listed(f.stage_id, w, n) || !listed(f.forget_id, w, n);
	was_missing = p->acct->webhook_missing;
	lever_webhooks_free(w, n);
	se = store_account_update(p->st, p->acct->id, record_found, &f);
	if (se != STORE_OK && se != STORE_EXISTS) {
		snprintf(err, errlen, "recording the look: %.400s", store_last_error(p->st));
		return PIPE_RETRY;
	}
	if (f.missing && !was_missing)
		log_warn("account %u: cglever's webhook is gone from Lever: no deliveries reach "
			 "cglever until it is registered again (the account page)", p->acct->id);
	else if (!f.missing && was_missing)
		log_info("account %u: cglever's webhooks are in Lever again", p->acct->id);
	return PIPE_DONE;
}

int health_check_now(const struct conf *c, struct store *st, uint32_t account, char *err,
		     size_t errlen)
{
	struct pipeline p;
	int rc = -1;

	if (pipeline_open(&p, c, st, account) < 0) {
		snprintf(err, errlen, "no account %u", account);
		return -1;
	}
	if (!p.acct->webhook_id && !p.acct->forget_webhook_id)
		snprintf(err, errlen, "cglever did not register this account's webhook (it was "
			 "made by hand in Lever): there is nothing of cglever's to look for");
	else if (p.acct->disconnected)
		snprintf(err, errlen, "the account is disconnected from Lever: reconnect it first");
	else if (health_webhooks_check(&p, 1, err, errlen) == PIPE_DONE)
		rc = 0;
	pipeline_close(&p);
	return rc;
}

int health_register_again(const struct conf *c, struct store *st, uint32_t account,
			  char *err, size_t errlen)
{
	struct pipeline p;
	int rc = -1;

	if (pipeline_open(&p, c, st, account) < 0) {
		snprintf(err, errlen, "no account %u", account);
		return -1;
	}
	/* A hand-made webhook's token would be replaced by ours, and its
	 * deliveries then refused: the admin manages that one in Lever. */
	if (!p.acct->webhook_id && p.acct->webhook_token)
		snprintf(err, errlen, "this account's webhook was made by hand in Lever: manage "
			 "it there (Settings > Integrations and API > Webhooks)");
	else if (p.acct->disconnected || (!p.acct->lever_api_key && !p.acct->refresh_token))
		snprintf(err, errlen, "the account is not connected to Lever: connecting it "
			 "registers the webhooks");
	else if (pipeline_authorize(&p, AUTH_IF_DUE, err, errlen) == PIPE_DONE)
		rc = hooks_register(c, st, account, &p.lv, NULL, NULL, err, errlen);
	pipeline_close(&p);
	return rc;
}

static void stamp_path(const struct conf *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", c->db_home, HEALTH_SWEEP_STAMP);
}

void health_sweep_done(const struct conf *c)
{
	char path[4096];
	int fd;

	stamp_path(c, path, sizeof path);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || futimens(fd, NULL) < 0)
		log_warn("sweep: cannot stamp %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

int64_t health_last_sweep(const struct conf *c)
{
	char path[4096];
	struct stat sb;

	stamp_path(c, path, sizeof path);
	if (stat(path, &sb) < 0)
		return 0;
	return (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
}
