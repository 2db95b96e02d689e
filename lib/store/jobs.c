/* jobs: the queue, ordered by account, due time and id. Jobs are updated
 * in place (lease, reschedule, fail, retry): fields this version does not
 * know survive. Coalesced jobs keep their pacing records among the
 * delivery tokens (deliveries.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define JOB_KEY_LEN 20   /* account(4) | due(8) | id(8) */

static void job_key(unsigned char *k, uint32_t account, int64_t due, uint64_t id)
{
	put_be32(k, account);
	put_be64(k + 4, ord64(due));
	put_be64(k + 12, id);
}

static int64_t add_sat(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX - 1;   /* INT64_MAX means failed */
	return a + b;
}

/* ------------------------------------------------------------------ jobs */

#define FLD(kind, m, fl) FIELD_##kind(store_job, m, fl)
static const struct field job_fields[] = {
	FLD(STR, kind, F_REQUIRED), FLD(STR, opportunity, F_REQUIRED),
	FLD(STR, from_stage, 0), FLD(STR, to_stage, 0), FLD(I64, triggered_at, 0),
	FLD(INT, attempts, 0), FLD(BOOL, failed, 0), FLD(STR, last_error, 0),
	FLD(I64, created_at, 0),
	FLD(I64, test_id, 0), FLD(U32, rule_id, 0),
	FLD(STR, candidate, 0), FLD(STR, contact, 0),
};
#undef FLD
static const struct rec_type job_type = REC_TYPE("jobs", store_job, job_fields);

void store_job_free(struct store_job *j) { rec_free(&job_type, j); }
void store_jobs_free(struct store_job **j, size_t n) { rec_list_free(&job_type, j, n); }

/* The job in key/o; the key gives account, due and id. */
static int job_decode(struct store *st, const unsigned char *key, size_t klen,
		      struct json_object *o, struct store_job **out)
{
	struct store_job *j;
	void *rec;
	int ret;

	*out = NULL;
	if (klen != JOB_KEY_LEN) {
		set_err(st, "corrupt key in jobs");
		return ERR_SET;
	}
	if ((ret = rec_from_json(st, &job_type, o, &rec)) != 0)
		return ret;
	j = rec;
	j->account = get_be32(key);
	j->due = unord64(get_be64(key + 4));
	j->id = get_be64(key + 12);
	j->failed = j->failed || j->due == INT64_MAX;
	*out = j;
	return 0;
}

/* The list's take function (see walk()): out is a struct store_job **. */
static int job_take(struct store *st, const DBT *k, const DBT *v, struct walk *w, void *out)
{
	struct json_object *o = jparse(st, "jobs", v);
	struct store_job **j = out;
	int ret;

	(void)w;
	*j = NULL;
	if (!o)
		return ERR_SET;
	ret = job_decode(st, k->data, k->size, o, j);
	json_object_put(o);
	return ret;
}

/* Inserts job under a fresh random id; job->id is set on success. */
int job_insert(struct store *st, DB_TXN *txn, struct store_job *job)
{
	unsigned char kb[JOB_KEY_LEN];
	char *text = NULL;
	uint64_t id;
	DBT k, v;
	int ret;

	if ((ret = random_id(&id)) != 0)
		return ret;
	if (!(text = rec_encode(&job_type, job)))
		return ENOMEM;
	job_key(kb, job->account, job->due, id);
	k = dbt(kb, sizeof kb);
	v = dbt(text, strlen(text));
	ret = st->db[T_JOBS]->put(st->db[T_JOBS], txn, &k, &v, DB_NOOVERWRITE);
	rec_text_free(&job_type, text);
	if (ret == DB_KEYEXIST) {   /* 2^-64: not a duplicate delivery */
		set_err(st, "job id collision, try again");
		return ERR_SET;
	}
	if (ret == 0)
		job->id = id;
	return ret;
}

struct job_arg {
	struct store_job *job;         /* add/done/reschedule/fail */
	uint32_t account;              /* lease/list/retry */
	uint64_t id;                   /* retry */
	int64_t now, lease_ms;         /* lease; retry: now */
	int64_t due;                   /* reschedule/fail: new due */
	const char *error;
	int fail;
	struct store_job *out;         /* lease */
	int64_t next_due;              /* lease */
};

static int op_job_add(struct store *st, DB_TXN *txn, void *p)
{
	struct job_arg *a = p;

	return job_insert(st, txn, a->job);
}

enum store_err store_job_add(struct store *st, struct store_job *job)
{
	struct job_arg arg = { .job = job };

	if (!job->kind || !job->opportunity) {
		set_err(st, "adding a job: no kind or opportunity");
		return STORE_ERR;
	}
	return run(st, "adding a job", RUN_TXN, op_job_add, &arg);
}

/* Moves the record at cursor c (key k, value o) to due, after update()
 * changed o; returns the moved job in *out when out is not NULL. */
static int job_move(struct store *st, DB_TXN *txn, DBC *c, const DBT *k,
		    struct json_object *o, int64_t due, struct store_job **out)
{
	unsigned char nk[JOB_KEY_LEN];
	char *text;
	DBT nkey, nval;
	int ret;

	if (!(text = ju_dump_alloc(o)))
		return ENOMEM;
	job_key(nk, get_be32(k->data), due, get_be64((unsigned char *)k->data + 12));
	if ((ret = c->del(c, 0)) != 0)
		goto out;
	nkey = dbt(nk, sizeof nk);
	nval = dbt(text, strlen(text));
	if ((ret = st->db[T_JOBS]->put(st->db[T_JOBS], txn, &nkey, &nval, 0)) != 0)
		goto out;
	if (out)
		ret = job_decode(st, nk, sizeof nk, o, out);
out:
	free(text);
	return ret;
}

/* Positions c on the account's first job and sets *due from its key:
 * jobs sort by due time within the account, failed ones (INT64_MAX)
 * last, so the first record decides. DB_NOTFOUND: the account has none. */
static int first_job(DBC *c, uint32_t account, u_int32_t flags, DBT *k, DBT *v,
		     int64_t *due)
{
	unsigned char prefix[4];
	int ret;

	put_be32(prefix, account);
	*k = dbt(prefix, 4);
	if ((ret = c->get(c, k, v, DB_SET_RANGE | flags)) != 0)
		return ret;
	if (k->size != JOB_KEY_LEN || get_be32(k->data) != account)
		return DB_NOTFOUND;
	*due = unord64(get_be64((unsigned char *)k->data + 4));
	return 0;
}

static int op_job_lease(struct store *st, DB_TXN *txn, void *p)
{
	struct job_arg *a = p;
	DB *db = st->db[T_JOBS];
	DBC *c = NULL;
	struct json_object *o = NULL;
	DBT k, v = dbt(NULL, 0);
	int64_t due;
	int ret, t_ret;

	store_job_free(a->out);
	a->out = NULL;
	a->next_due = INT64_MAX;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	/* DB_RMW: two runners serialize here instead of deadlocking on an
	 * upgrade. */
	if ((ret = first_job(c, a->account, DB_RMW, &k, &v, &due)) != 0)
		goto out;
	if (due > a->now) {
		if (due != INT64_MAX)
			a->next_due = due;
		ret = DB_NOTFOUND;
		goto out;
	}
	if (!(o = jparse(st, "jobs", &v))) {
		ret = ERR_SET;
		goto out;
	}
	jint(o, "attempts", jget_i64(o, "attempts") + 1);
	ret = job_move(st, txn, c, &k, o, add_sat(a->now, a->lease_ms), &a->out);
out:
	json_object_put(o);
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

struct next_due_arg {
	uint32_t account;
	int64_t due;
};

static int op_job_next_due(struct store *st, DB_TXN *txn, void *p)
{
	struct next_due_arg *a = p;
	DB *db = st->db[T_JOBS];
	DBC *c = NULL;
	DBT k, v = dbt(NULL, 0);
	int ret, t_ret;

	a->due = INT64_MAX;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	v.flags = DB_DBT_PARTIAL;   /* the key says it all */
	ret = first_job(c, a->account, 0, &k, &v, &a->due);
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

int64_t store_job_next_due(struct store *st, uint32_t account)
{
	struct next_due_arg arg = { .account = account, .due = INT64_MAX };

	if (run(st, "looking for the next due job", RUN_READ, op_job_next_due, &arg) != STORE_OK)
		return INT64_MAX;
	return arg.due;
}

enum store_err store_job_lease(struct store *st, uint32_t account, int64_t now,
			       int64_t lease_ms, struct store_job **out, int64_t *next_due)
{
	struct job_arg arg = { .account = account, .now = now, .lease_ms = lease_ms };
	enum store_err e;

	*out = NULL;
	if (next_due)
		*next_due = INT64_MAX;
	/* Lazy: a lease lost in a power cut only lets the job be taken again,
	 * and working a job twice is safe (see pipeline.h). */
	e = run(st, "leasing a job", RUN_TXN_LAZY, op_job_lease, &arg);
	if (e == STORE_OK)
		*out = arg.out;
	else
		store_job_free(arg.out);
	if (e == STORE_NOTFOUND && next_due)
		*next_due = arg.next_due;
	return e;
}

/* A coalesced job's pacing record lives among the delivery tokens, keyed
 * account(4) | 0 | "kind test_id": no token holds a NUL byte (ju_parse
 * refuses them), so the two never meet, and the tokens' pruning drops
 * old pacing records too. */
static unsigned char *pace_key_alloc(const struct store_job *j, size_t *len)
{
	char tail[80];
	int n = snprintf(tail, sizeof tail, "%s %lld", j->kind, (long long)j->test_id);
	unsigned char *k;

	if (n < 0 || (size_t)n >= sizeof tail || !(k = malloc(5 + (size_t)n)))
		return NULL;
	put_be32(k, j->account);
	k[4] = 0;
	memcpy(k + 5, tail, (size_t)n);
	*len = 5 + (size_t)n;
	return k;
}

/* *found = 1 when the account has a pending (not failed) job of j's kind
 * and test id. Failed jobs sort last (due INT64_MAX): the walk stops there. */
static int job_pending(struct store *st, DB_TXN *txn, const struct store_job *j, int *found)
{
	DB *db = st->db[T_JOBS];
	DBC *c = NULL;
	DBT k, v = dbt(NULL, 0);
	int64_t due;
	int ret, t_ret;

	*found = 0;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	for (ret = first_job(c, j->account, 0, &k, &v, &due); ret == 0 && due != INT64_MAX;) {
		struct json_object *o = jparse(st, "jobs", &v);
		const char *kind;

		if (!o) {
			ret = ERR_SET;
			break;
		}
		kind = ju_str(o, "kind");
		*found = kind && strcmp(kind, j->kind) == 0 && jget_i64(o, "test_id") == j->test_id;
		json_object_put(o);
		if (*found || (ret = c->get(c, &k, &v, DB_NEXT)) != 0)
			break;
		if (k.size != JOB_KEY_LEN || get_be32(k.data) != j->account)
			ret = DB_NOTFOUND;
		else
			due = unord64(get_be64((unsigned char *)k.data + 4));
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

struct coalesce_arg {
	struct store_job *job;
	int64_t now, gap_ms;
	int64_t due;                   /* the caller's: an attempt may be run again */
};

static int op_job_add_coalesced(struct store *st, DB_TXN *txn, void *p)
{
	struct coalesce_arg *a = p;
	DB *db = st->db[T_DELIVERIES];
	struct json_object *o;
	unsigned char *key;
	char *text = NULL;
	size_t klen = 0;
	int64_t last = INT64_MIN, at = a->now;   /* when the job may run */
	DBT k, v = dbt(NULL, 0);
	int ret, found;

	if (!(key = pace_key_alloc(a->job, &klen)))
		return ENOMEM;
	k = dbt(key, klen);
	/* The pacing record's write lock, taken first (also when it does not
	 * exist yet), makes concurrent requests for one job take turns. */
	ret = db->get(db, txn, &k, &v, DB_RMW);
	if (ret == 0) {
		if (!(o = jparse(st, "deliveries", &v))) {
			ret = ERR_SET;
			goto out;
		}
		if (!ju_int64(o, "received_at", &last))
			last = INT64_MIN;
		json_object_put(o);
	} else if (ret != DB_NOTFOUND) {
		goto out;
	}
	if ((ret = job_pending(st, txn, a->job, &found)) != 0)
		goto out;
	if (found) {
		ret = DB_KEYEXIST;
		goto out;
	}
	/* gap_ms after the previous one, but never further from now than
	 * gap_ms (a clock set back must not push it far out). */
	if (last != INT64_MIN && last > a->now - a->gap_ms)
		at = last < a->now ? last + a->gap_ms : a->now + a->gap_ms;
	if (!(text = received_json(at))) {
		ret = ENOMEM;
		goto out;
	}
	k = dbt(key, klen);
	v = dbt(text, strlen(text));
	if ((ret = db->put(db, txn, &k, &v, 0)) != 0)
		goto out;
	a->job->due = at > a->now ? at : a->due;
	ret = job_insert(st, txn, a->job);
out:
	free(key);
	free(text);
	return ret;
}

enum store_err store_job_add_coalesced(struct store *st, struct store_job *job, int64_t now,
				       int64_t gap_ms)
{
	struct coalesce_arg arg = { .job = job, .now = now, .gap_ms = gap_ms, .due = job->due };

	if (!job->kind || !job->opportunity || gap_ms < 0) {
		set_err(st, "adding a job: no kind or opportunity, or a negative gap");
		return STORE_ERR;
	}
	return run(st, "adding a coalesced job", RUN_TXN, op_job_add_coalesced, &arg);
}

static int op_job_done(struct store *st, DB_TXN *txn, void *p)
{
	struct job_arg *a = p;
	unsigned char kb[JOB_KEY_LEN];
	DBT k;

	job_key(kb, a->job->account, a->job->due, a->job->id);
	k = dbt(kb, sizeof kb);
	return st->db[T_JOBS]->del(st->db[T_JOBS], txn, &k, 0);
}

enum store_err store_job_done(struct store *st, const struct store_job *job)
{
	struct job_arg arg = { .job = (struct store_job *)job };

	return run(st, "removing a done job", RUN_TXN_LAZY, op_job_done, &arg);
}

/* reschedule and fail: the stored record is updated in place, so fields
 * this version does not know survive. */
static int op_job_move(struct store *st, DB_TXN *txn, void *p)
{
	struct job_arg *a = p;
	DB *db = st->db[T_JOBS];
	DBC *c = NULL;
	unsigned char kb[JOB_KEY_LEN];
	struct json_object *o = NULL;
	DBT k, v = dbt(NULL, 0);
	int ret, t_ret;

	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	job_key(kb, a->job->account, a->job->due, a->job->id);
	k = dbt(kb, sizeof kb);
	if ((ret = c->get(c, &k, &v, DB_SET | DB_RMW)) != 0)
		goto out;
	if (!(o = jparse(st, "jobs", &v))) {
		ret = ERR_SET;
		goto out;
	}
	jbool(o, "failed", a->fail);
	if (a->error)
		jstr(o, "last_error", a->error);
	ret = job_move(st, txn, c, &k, o, a->due, NULL);
out:
	json_object_put(o);
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

static enum store_err job_move_public(struct store *st, struct store_job *job, int64_t due,
				      const char *error, int fail, const char *what)
{
	struct job_arg arg = { .job = job, .due = due, .error = error, .fail = fail };
	enum store_err e;
	char *copy = NULL;

	if (error && !(copy = strdup(error))) {
		set_err(st, "%s: out of memory", what);
		return STORE_ERR;
	}
	e = run(st, what, fail ? RUN_TXN : RUN_TXN_LAZY, op_job_move, &arg);
	if (e != STORE_OK) {
		free(copy);
		return e;
	}
	job->due = due;
	job->failed = fail;
	if (copy) {
		free(job->last_error);
		job->last_error = copy;
	}
	return STORE_OK;
}

/* Also clears the failed mark: this is how a failed job is retried. */
enum store_err store_job_reschedule(struct store *st, struct store_job *job, int64_t due,
				    const char *error)
{
	if (due == INT64_MAX)
		due = INT64_MAX - 1;   /* INT64_MAX means failed */
	return job_move_public(st, job, due, error, 0, "rescheduling a job");
}

enum store_err store_job_fail(struct store *st, struct store_job *job, const char *error)
{
	return job_move_public(st, job, INT64_MAX, error, 1, "marking a job failed");
}

/* Walks the account's jobs for the id (the due time, part of the key, is
 * unknown to the caller). Read locks are kept: the record found is then
 * moved in the same transaction. */
static int op_job_retry(struct store *st, DB_TXN *txn, void *p)
{
	struct job_arg *a = p;
	DB *db = st->db[T_JOBS];
	DBC *c = NULL;
	unsigned char prefix[4];
	struct json_object *o = NULL;
	DBT k, v = dbt(NULL, 0);
	u_int32_t flag = DB_SET_RANGE;
	int ret, t_ret;

	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	put_be32(prefix, a->account);
	k = dbt(prefix, 4);
	while ((ret = c->get(c, &k, &v, flag)) == 0) {
		flag = DB_NEXT;
		if (k.size < 4 || get_be32(k.data) != a->account) {
			ret = DB_NOTFOUND;
			break;
		}
		if (k.size == JOB_KEY_LEN &&
		    get_be64((unsigned char *)k.data + 12) == a->id)
			break;
	}
	if (ret != 0)
		goto out;
	if (!(o = jparse(st, "jobs", &v))) {
		ret = ERR_SET;
		goto out;
	}
	if (!jget_bool(o, "failed") &&
	    unord64(get_be64((unsigned char *)k.data + 4)) != INT64_MAX) {
		ret = DB_KEYEXIST;   /* pending or leased: not ours to move */
		goto out;
	}
	jbool(o, "failed", 0);
	jint(o, "attempts", 0);
	ret = job_move(st, txn, c, &k, o, a->now, NULL);
out:
	json_object_put(o);
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

enum store_err store_job_retry(struct store *st, uint32_t account, uint64_t job_id,
			       int64_t now)
{
	struct job_arg arg = { .account = account, .id = job_id,
			       .now = now == INT64_MAX ? INT64_MAX - 1 : now };

	return run(st, "retrying a job", RUN_TXN, op_job_retry, &arg);
}

/* Keys start with the account: its jobs are one range. */
enum store_err store_job_list(struct store *st, uint32_t account,
			      struct store_job ***out, size_t *n)
{
	unsigned char prefix[4];
	struct walk w = { .t = T_JOBS, .prefix = account ? prefix : NULL, .prefix_len = 4,
			  .take = job_take, .type = &job_type };

	put_be32(prefix, account);
	return run_walk(st, "listing jobs", &w, out, n);
}
