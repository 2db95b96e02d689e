/* forget: removing a person's data (see forget.h). Logs and audit lines
 * name ids and counts only, never an email or a name. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "domain/forget.h"

/* Who is forgotten: any of these that is set. */
struct who {
	const char *opp, *cand, *contact;   /* a forget job's ids */
	const char *email;                  /* a data-subject request */
};

/* Adds id to the list (*v, *n, capacity *cap); -1: out of memory. */
static int add_id(const char ***v, size_t *n, size_t *cap, const char *id)
{
	if (!id)
		return 0;
	if (buf_reserve((void **)v, cap, *n + 1, sizeof **v) < 0)
		return -1;
	(*v)[(*n)++] = id;
	return 0;
}

/* The opportunities whose jobs are dropped: borrowed strings. */
struct opp_list {
	const char **id;
	size_t n, cap;
};

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int matches(const struct store_invitation *inv, const struct who *w)
{
	if (w->email)
		return inv->email && strcasecmp(inv->email, w->email) == 0;
	return same(inv->opportunity, w->opp) || same(inv->opportunity, w->cand) ||
	       same(inv->contact, w->contact);
}

/* The test: cancelled when it has not started (CodinGame answers
 * InvalidTestId, a rejection, for one that has), deleted with the
 * account's option. A test already gone counts as done. */
static enum pipe_result forget_test(struct pipeline *p, const struct store_invitation *inv,
				    struct forget_tally *t, char *err, size_t errlen)
{
	enum cg_err e = CG_REJECTED;

	if (!p->acct->codingame_api_key) {
		snprintf(err, errlen, "no CodinGame API key: test %lld left as it is",
			 (long long)inv->test_id);
		t->left++;
		return PIPE_DONE;
	}
	if (!inv->result_status)   /* a final status seen: nothing to cancel */
		e = cg_test_action(&p->cg, inv->test_id, "cancel");
	if (e == CG_OK)
		t->cancelled++;
	else if (e == CG_REJECTED && !p->acct->forget_deletes_test)
		t->left++;
	else if (e != CG_REJECTED && e != CG_NOTFOUND)
		return pipeline_from_cg(p, e, err, errlen);
	if (!p->acct->forget_deletes_test)
		return PIPE_DONE;
	e = cg_test_delete(&p->cg, inv->test_id);
	if (e == CG_OK)
		t->deleted++;
	return e == CG_OK || e == CG_NOTFOUND ? PIPE_DONE : pipeline_from_cg(p, e, err, errlen);
}

static void clear(char **slot)
{
	free(*slot);
	*slot = NULL;
}

/* Forgets inv (p NULL: no CodinGame call, retention's finished tests).
 * The personal fields go whatever CodinGame says; the test id (and the
 * contact id that finds the record again) stay until the test is dealt
 * with, so that the job's retry can still cancel it. */
static enum pipe_result forget_one(struct pipeline *p, struct store *st,
				   struct store_invitation *inv, struct forget_tally *t,
				   char *err, size_t errlen)
{
	enum pipe_result r = PIPE_DONE;
	int first = !inv->forgotten_at;

	if (!first && !inv->test_id)
		return PIPE_DONE;   /* forgotten before */
	if (p && inv->test_id)
		r = forget_test(p, inv, t, err, errlen);
	clear(&inv->email);
	clear(&inv->name);
	clear(&inv->test_url);
	clear(&inv->error);         /* CodinGame's words may quote the address */
	clear(&inv->tech_scores);
	if (r == PIPE_DONE) {
		inv->test_id = 0;       /* also drops it from the by-test index */
		clear(&inv->contact);
	}
	if (first)
		inv->forgotten_at = clock_wall_ms();
	if (strcmp(inv->state, "sent") != 0)   /* out of the work lists */
		pipeline_set_str(&inv->state, "forgotten");
	if (!inv->state || store_invitation_put(st, inv) != STORE_OK) {
		snprintf(err, errlen, "store: %.400s",
			 inv->state ? store_last_error(st) : "out of memory");
		return PIPE_RETRY;
	}
	t->forgotten += first;
	return r;
}

/* Drops the account's pending stage_change and check_test jobs of the
 * opportunities in opps (n): they would read the person again. */
static enum pipe_result drop_jobs(struct store *st, uint32_t account,
				  const struct opp_list *opps, int *dropped, char *err,
				  size_t errlen)
{
	struct store_job **j = NULL;
	size_t nj = 0, n = opps->n;
	enum pipe_result r = PIPE_DONE;

	if (!n)
		return PIPE_DONE;
	if (store_job_list(st, account, &j, &nj) != STORE_OK) {
		snprintf(err, errlen, "store: %.400s", store_last_error(st));
		return PIPE_RETRY;
	}
	for (size_t i = 0; i < nj; i++) {
		size_t k = 0;

		if (strcmp(j[i]->kind, "stage_change") != 0 && strcmp(j[i]->kind, "check_test") != 0)
			continue;
		while (k < n && strcmp(opps->id[k], j[i]->opportunity) != 0)
			k++;
		if (k == n)
			continue;
		if (store_job_done(st, j[i]) != STORE_OK) {
			snprintf(err, errlen, "store: %.400s", store_last_error(st));
			r = PIPE_RETRY;
		} else {
			(*dropped)++;
		}
	}
	store_jobs_free(j, nj);
	return r;
}

/* The worse of two outcomes (a retry wins over done). */
static enum pipe_result worse(enum pipe_result a, enum pipe_result b)
{
	return a == PIPE_DONE ? b : a;
}

/* Forgets every invitation of p's account that w names; their
 * opportunity ids go to opps, borrowed from *invs, which the caller
 * frees. */
static enum pipe_result forget_who(struct pipeline *p, const struct who *w,
				   struct forget_tally *t, struct store_invitation ***invs,
				   size_t *n, struct opp_list *opps, char *err, size_t errlen)
{
	enum pipe_result r = PIPE_DONE;

	if (store_invitation_list(p->st, p->acct->id, invs, n) != STORE_OK) {
		snprintf(err, errlen, "store: %.400s", store_last_error(p->st));
		return PIPE_RETRY;
	}
	for (size_t i = 0; i < *n; i++) {
		char one[512] = "";

		if (!matches((*invs)[i], w))
			continue;
		r = worse(r, forget_one(p, p->st, (*invs)[i], t, one, sizeof one));
		if (one[0])
			snprintf(err, errlen, "%s", one);
		if (add_id(&opps->id, &opps->n, &opps->cap, (*invs)[i]->opportunity) < 0) {
			snprintf(err, errlen, "out of memory");
			return PIPE_RETRY;
		}
	}
	return r;
}

static void tally_text(const struct forget_tally *t, char *buf, size_t len)
{
	snprintf(buf, len, "%d invitation(s) forgotten, %d test(s) cancelled, %d deleted, "
		 "%d left as they were (started or finished)", t->forgotten, t->cancelled,
		 t->deleted, t->left);
}

enum pipe_result forget_work(struct pipeline *p, const struct store_job *job, char *err,
			     size_t errlen)
{
	struct who w = { .opp = strcmp(job->opportunity, "*") ? job->opportunity : NULL,
			 .cand = job->candidate, .contact = job->contact };
	struct forget_tally t = { 0 };
	struct store_invitation **invs = NULL;
	struct opp_list opps = { 0 };
	char detail[400], counts[200];
	size_t n = 0;
	int dropped = 0;
	enum pipe_result r = PIPE_DONE;

	/* The job's own ids too: a stage change may be pending for an
	 * opportunity that has no invitation yet. */
	if (add_id(&opps.id, &opps.n, &opps.cap, w.opp) < 0 ||
	    add_id(&opps.id, &opps.n, &opps.cap, w.cand) < 0) {
		snprintf(err, errlen, "out of memory");
		r = PIPE_RETRY;
	} else {
		r = forget_who(p, &w, &t, &invs, &n, &opps, err, errlen);
	}
	r = worse(r, drop_jobs(p->st, p->acct->id, &opps, &dropped, err, errlen));
	tally_text(&t, counts, sizeof counts);
	snprintf(detail, sizeof detail, "candidateDeleted (%s%s%s%s%s%s): %s, "
		 "%d pending job(s) dropped", w.opp ? "opportunity " : "", w.opp ? w.opp : "",
		 w.cand ? " candidate " : "", w.cand ? w.cand : "", w.contact ? " contact " : "",
		 w.contact ? w.contact : "", counts, dropped);
	log_info("account %u: %s", p->acct->id, detail);
	if (t.forgotten || t.cancelled || t.deleted || dropped)
		if (store_audit_add(p->st, NULL, p->acct->id, "forget", detail) != STORE_OK)
			log_err("account %u: audit: %s", p->acct->id, store_last_error(p->st));
	free(opps.id);
	store_invitations_free(invs, n);
	return r;
}

int forget_email_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	const char *at = s ? strchr(s, '@') : NULL;

	if (n < 3 || n > 320 || !at || at == s || !at[1] || strchr(at + 1, '@'))
		return 0;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			return 0;
	return 1;
}

enum pipe_result forget_email(struct pipeline *p, const char *email, struct forget_tally *t,
			      char *err, size_t errlen)
{
	struct who w = { .email = email };
	struct store_invitation **invs = NULL;
	struct opp_list opps = { 0 };
	char detail[300];
	size_t n = 0;
	int dropped = 0;
	enum pipe_result r;

	memset(t, 0, sizeof *t);
	r = forget_who(p, &w, t, &invs, &n, &opps, err, errlen);
	r = worse(r, drop_jobs(p->st, p->acct->id, &opps, &dropped, err, errlen));
	if (t->forgotten) {
		tally_text(t, detail, sizeof detail);
		log_info("account %u: data-subject request: %s", p->acct->id, detail);
		if (store_audit_add(p->st, "cglever-ctl", p->acct->id, "forget",
				    detail) != STORE_OK)
			log_err("account %u: audit: %s", p->acct->id, store_last_error(p->st));
	}
	free(opps.id);
	store_invitations_free(invs, n);
	return r;
}

/* ---- retention ---- */

static int finished(const struct store_invitation *inv)
{
	return strcmp(inv->state, "failed") == 0 ||
	       (inv->result_status && inv->result_note && strcmp(inv->result_note, "posted") == 0);
}

/* One account's share of a pass; *budget is what is left of the batch. */
static int retain_account(struct store *st, uint32_t account, int64_t cutoff, int *budget)
{
	struct store_invitation **invs = NULL;
	struct forget_tally t = { 0 };
	char err[512], detail[120];
	size_t n = 0;
	int rc = 0;

	if (store_invitation_list(st, account, &invs, &n) != STORE_OK)
		return -1;
	for (size_t i = 0; i < n && *budget > 0; i++) {
		struct store_invitation *inv = invs[i];
		int64_t last = inv->finished_at > inv->updated_at ? inv->finished_at : inv->updated_at;

		if (inv->forgotten_at || !finished(inv) || last >= cutoff)
			continue;
		if (forget_one(NULL, st, inv, &t, err, sizeof err) != PIPE_DONE) {
			log_err("account %u: retention: %s", account, err);
			rc = -1;
			break;
		}
		(*budget)--;
	}
	store_invitations_free(invs, n);
	if (t.forgotten) {
		snprintf(detail, sizeof detail, "retention: %d finished invitation(s) forgotten",
			 t.forgotten);
		log_info("account %u: %s", account, detail);
		if (store_audit_add(st, NULL, account, "forget", detail) != STORE_OK)
			log_err("account %u: audit: %s", account, store_last_error(st));
	}
	return rc < 0 ? -1 : t.forgotten;
}

int forget_retention(const struct conf *c, struct store *st, int64_t now)
{
	struct store_account **a = NULL;
	char path[PATH_MAX];
	struct stat sb;
	size_t n = 0;
	int budget = FORGET_RETENTION_BATCH, total = 0, fd;
	int64_t cutoff = now - (int64_t)c->retention_days * 86400000;

	snprintf(path, sizeof path, "%s/retention-pass", c->db_home);
	if (stat(path, &sb) == 0 && (int64_t)sb.st_mtime * 1000 > now - 86400000)
		return 0;   /* a complete pass less than a day ago */
	if (store_account_list(st, &a, &n) != STORE_OK) {
		log_err("retention: %s", store_last_error(st));
		return -1;
	}
	for (size_t i = 0; i < n && budget > 0 && total >= 0; i++) {
		int k = retain_account(st, a[i]->id, cutoff, &budget);

		total = k < 0 ? -1 : total + k;
	}
	store_accounts_free(a, n);
	if (total < 0) {
		log_err("retention: %s", store_last_error(st));
		return -1;
	}
	if (budget == 0)
		return total;   /* more may be left: the next sweep carries on */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || futimens(fd, NULL) != 0)
		log_err("retention: %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return total;
}
