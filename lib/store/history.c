/* history: the indexes that keep work lists, the Activity page and the
 * Campaigns page independent of how many invitations an account has
 * (issue 13 item 7). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/clock.h"
#include "store/store_int.h"


/* What keeps the cost of a runner pass, the Activity page and the
 * Campaigns page independent of how many invitations an account has
 * sent: indexes kept in step with every invitation write, in the same
 * transaction (hist_inv_write, called by op_inv_write).
 *
 * inv_index.db: account(4) | kind(1) | ord64(t)(8) | invitation key, no
 * value. Kinds: HX_POLL, the sent tests whose result is still to read or
 * act on, t = when results_poll looks next (0: at once); HX_WAIT, the
 * invitations waiting for an email, t = 0; HX_TIME, every invitation,
 * t = updated_at (the Activity page, newest first).
 *
 * campaign_sums.db: the campaign summaries (sums.c), what the
 * Campaigns page shows without reading invitations.
 *
 * A store written before these existed is indexed once, at open, in
 * batches (hist_build); meta's HIST_META holds how far it got (the last
 * invitation key indexed) and then HIST_DONE. The summaries are counted
 * the same way under their own key, SUMS_META, so that a store whose
 * summaries are of an older format gets them recounted once. A write to
 * an invitation a build has not reached yet leaves what that build makes
 * alone: the build counts it as it is when it gets there. */

#define HX_POLL 'p'
#define HX_WAIT 'w'
#define HX_TIME 'u'
#define HX_HEAD 13              /* account(4) | kind(1) | ord64(t)(8) */
#define HIST_META "history_indexes"
#define SUMS_META "campaign_sums_2"   /* the summaries of sums.c's format */
#define HIST_DONE "\x01"        /* shorter than any invitation key */
#define HIST_BATCH 500          /* invitations indexed per transaction */
#define CURSOR_MAX 300          /* bytes in a cursor (hex: twice, STORE_CURSOR_MAX) */

/* What one invitation puts in the indexes. */
struct hx_of {
	int poll, wait;             /* in HX_POLL / HX_WAIT */
	int64_t poll_at, updated;
};

static void hx_of(const struct store_invitation *i, struct hx_of *o)
{
	int sent = strcmp(i->state, "sent") == 0;

	memset(o, 0, sizeof *o);
	o->updated = i->updated_at;
	o->wait = strcmp(i->state, "waiting_email") == 0;
	/* What results_poll skips for good: no test, or all done. */
	o->poll = sent && i->test_id &&
		  !(i->result_note && strcmp(i->result_note, "posted") == 0 &&
		    i->tags_done && i->stage_done);
	/* A final status seen but not acted on yet is due at once. */
	o->poll_at = i->result_status ? 0 : i->next_poll_at;
}

static int hx_entry(struct store *st, DB_TXN *txn, const DBT *ik, int kind, int64_t t, int del)
{
	DB *db = st->db[T_INV_INDEX];
	unsigned char *key = malloc(HX_HEAD + ik->size);
	DBT k, v = dbt(NULL, 0);
	int ret;

	if (!key)
		return ENOMEM;
	memcpy(key, ik->data, 4);
	key[4] = (unsigned char)kind;
	put_be64(key + 5, ord64(t));
	memcpy(key + HX_HEAD, ik->data, ik->size);
	k = dbt(key, HX_HEAD + ik->size);
	ret = del ? db->del(db, txn, &k, 0) : db->put(db, txn, &k, &v, 0);
	free(key);
	return ret == DB_NOTFOUND ? 0 : ret;
}

#define PART_INDEX 1   /* inv_index.db */
#define PART_SUMS 2    /* campaign_sums.db */

/* Moves invitation ik's entries in the parts asked for from what old put
 * in (NULL: nothing) to what nw puts in (NULL: nothing). */
static int hx_move(struct store *st, DB_TXN *txn, const DBT *ik,
		   const struct store_invitation *old, const struct store_invitation *nw,
		   int parts)
{
	struct hx_of a, b;
	int ret = 0;

	if (parts & PART_SUMS &&
	    (ret = sums_move(st, txn, get_be32(ik->data), old, nw)) != 0)
		return ret;
	if (!(parts & PART_INDEX))
		return 0;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	if (old)
		hx_of(old, &a);
	if (nw)
		hx_of(nw, &b);
	if (a.poll != b.poll || a.poll_at != b.poll_at) {
		if ((a.poll && (ret = hx_entry(st, txn, ik, HX_POLL, a.poll_at, 1)) != 0) ||
		    (b.poll && (ret = hx_entry(st, txn, ik, HX_POLL, b.poll_at, 0)) != 0))
			return ret;
	}
	if (a.wait != b.wait &&
	    (ret = hx_entry(st, txn, ik, HX_WAIT, 0, a.wait)) != 0)
		return ret;
	if (!old || !nw || a.updated != b.updated) {
		if ((old && (ret = hx_entry(st, txn, ik, HX_TIME, a.updated, 1)) != 0) ||
		    (nw && (ret = hx_entry(st, txn, ik, HX_TIME, b.updated, 0)) != 0))
			return ret;
	}
	return 0;
}

/* Berkeley DB's default order: bytes, then length. */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

/* The builds: what each counts, and meta's key for how far it got. */
static const struct build_of {
	const char *meta;
	int part;
	const char *what;
} builds[] = {
	{ HIST_META, PART_INDEX, "the history indexes" },
	{ SUMS_META, PART_SUMS, "the campaign summaries" },
};
#define N_BUILDS (sizeof builds / sizeof builds[0])

/* *in: whether build b has counted invitation ik (or will not reach it
 * any more). 0, or Berkeley DB's error. */
static int built(struct store *st, DB_TXN *txn, const struct build_of *b, const DBT *ik,
		 int *in)
{
	DB *meta = st->db[T_META];
	DBT k = dbt(b->meta, strlen(b->meta)), v = dbt(NULL, 0);
	int ret = meta->get(meta, txn, &k, &v, 0);

	*in = 0;
	if (ret == DB_NOTFOUND)   /* not started yet: the build counts it */
		return 0;
	if (ret != 0)
		return ret;
	/* Done, or at or before where it got: counted, so kept in step. */
	*in = (v.size == 1 && memcmp(v.data, HIST_DONE, 1) == 0) ||
	      key_cmp(ik->data, ik->size, v.data, v.size) <= 0;
	return 0;
}

/* Called by op_inv_write before it writes nw over the record ik (oldv:
 * the record there, NULL: none). */
int hist_inv_write(struct store *st, DB_TXN *txn, const DBT *ik, const DBT *oldv,
			  const struct store_invitation *nw)
{
	struct store_invitation *old = NULL;
	int ret, parts = 0, in;

	for (size_t i = 0; i < N_BUILDS; i++) {
		if ((ret = built(st, txn, &builds[i], ik, &in)) != 0)
			return ret;
		parts |= in ? builds[i].part : 0;
	}
	if (!parts)
		return 0;
	if (oldv && (ret = inv_decode(st, ik, oldv, &old)) != 0)
		return ret;
	ret = hx_move(st, txn, ik, old, nw, parts);
	store_invitation_free(old);
	return ret;
}

struct hist_build {
	const struct build_of *of;
	size_t batch;   /* out: invitations counted by this transaction */
	int done;
};

/* Counts the next HIST_BATCH invitations after where the build got. */
static int op_hist_build(struct store *st, DB_TXN *txn, void *p)
{
	struct hist_build *b = p;
	DB *meta = st->db[T_META], *db = st->db[T_INVITATIONS];
	DBT mk = dbt(b->of->meta, strlen(b->of->meta)), mv = dbt(NULL, 0), k, v = dbt(NULL, 0);
	unsigned char *last = NULL;
	size_t last_len = 0;
	u_int32_t flag = DB_FIRST;
	DBC *c = NULL;
	int ret, t_ret;

	b->batch = 0;
	b->done = 0;
	ret = meta->get(meta, txn, &mk, &mv, DB_RMW);
	if (ret == 0 && mv.size == 1 && memcmp(mv.data, HIST_DONE, 1) == 0) {
		b->done = 1;
		return 0;
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		return ret;
	if (ret == 0) {
		if (!(last = malloc(mv.size)))
			return ENOMEM;
		memcpy(last, mv.data, mv.size);
		last_len = mv.size;
		flag = DB_SET_RANGE;
	} else if (b->of->part == PART_SUMS && (ret = sums_drop_old(st, txn)) != 0) {
		return ret;   /* the first batch: an older format's summaries go */
	}
	k = dbt(last, last_len);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		goto out;
	while (b->batch < HIST_BATCH && (ret = c->get(c, &k, &v, flag)) == 0) {
		struct store_invitation *inv = NULL;
		unsigned char *nl;

		flag = DB_NEXT;
		if (last && key_cmp(k.data, k.size, last, last_len) == 0)
			continue;   /* counted by the previous batch */
		if (!(nl = realloc(last, k.size))) {
			ret = ENOMEM;
			break;
		}
		last = nl;
		memcpy(last, k.data, k.size);
		last_len = k.size;
		if ((ret = inv_decode(st, &k, &v, &inv)) == 0)
			ret = hx_move(st, txn, &k, NULL, inv, b->of->part);
		store_invitation_free(inv);
		if (ret != 0)
			break;
		b->batch++;
	}
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	if (ret == DB_NOTFOUND) {
		b->done = 1;
		mv = dbt(HIST_DONE, 1);
		ret = meta->put(meta, txn, &mk, &mv, 0);
	} else if (ret == 0) {
		mv = dbt(last, last_len);
		ret = meta->put(meta, txn, &mk, &mv, 0);
	}
out:
	free(last);
	return ret;
}

/* Whether every build is done: a plain read, so that the opens of a
 * built store (all but one) take no write lock. */
static int op_hist_done(struct store *st, DB_TXN *txn, void *p)
{
	int *done = p, ret = 0;

	*done = 1;
	for (size_t i = 0; i < N_BUILDS && ret == 0 && *done; i++) {
		DBT k = dbt(builds[i].meta, strlen(builds[i].meta)), v = dbt(NULL, 0);

		ret = st->db[T_META]->get(st->db[T_META], txn, &k, &v, 0);
		*done = ret == 0 && v.size == 1 && memcmp(v.data, HIST_DONE, 1) == 0;
	}
	return ret == DB_NOTFOUND ? 0 : ret;
}

/* Runs build of to its end; how many invitations it counted, or -1 on
 * failure (logged: the next open carries on). */
static long hist_build_one(struct store *st, const struct build_of *of)
{
	struct hist_build b = { .of = of };
	char what[64];
	long total = 0;

	snprintf(what, sizeof what, "building %s", of->what);
	for (;;) {
		if (run(st, what, RUN_TXN, op_hist_build, &b) != STORE_OK) {
			log_err("store: %s: %s (the next open carries on)", what, st->err);
			return -1;
		}
		total += (long)b.batch;
		if (b.done)
			return total;
		if (total == (long)b.batch)
			log_info("store %s: counting the invitations of a store written by "
				 "an earlier version for %s (once)", st->home, of->what);
	}
}

/* Once per store, and at once when it is done (one read per open). */
void hist_build(struct store *st)
{
	int64_t t0 = clock_mono_us() / 1000;
	long n[N_BUILDS];
	int done = 0;

	if (run(st, "reading the history indexes' state", RUN_READ, op_hist_done, &done) ==
	    STORE_OK && done)
		return;
	for (size_t i = 0; i < N_BUILDS; i++)
		if ((n[i] = hist_build_one(st, &builds[i])) < 0)
			return;
	if (n[0])
		log_info("store %s: history indexes and campaign summaries built: %ld "
			 "invitation(s) in %lld ms", st->home, n[0],
			 (long long)(clock_mono_us() / 1000 - t0));
	else if (n[1])
		log_info("store %s: campaign summaries recounted in their new format: %ld "
			 "invitation(s) in %lld ms", st->home, n[1],
			 (long long)(clock_mono_us() / 1000 - t0));
}

struct hx_list {
	uint32_t account;
	int kind;
	int64_t due_by;                 /* work */
	const unsigned char *cursor;    /* page: ord64(t) | invitation key */
	size_t cursor_len;
	int older;
	size_t limit;
	struct store_invitation **list;
	size_t n;
	int more_older, more_newer;
};

static void hx_list_clear(struct hx_list *a)
{
	store_invitations_free(a->list, a->n);
	a->list = NULL;
	a->n = 0;
}

/* Reads the invitation an index key names, into the list; a dangling
 * entry is skipped. */
static int hx_take(struct store *st, DB_TXN *txn, struct hx_list *a, const DBT *k, size_t *cap)
{
	DBT ik = dbt((const unsigned char *)k->data + HX_HEAD, k->size - HX_HEAD),
	    iv = dbt(NULL, 0);
	void *list = a->list;
	int ret;

	if (buf_reserve(&list, cap, a->n + 1, sizeof *a->list) != 0)
		return ENOMEM;
	a->list = list;
	ret = st->db[T_INVITATIONS]->get(st->db[T_INVITATIONS], txn, &ik, &iv, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret == 0 && (ret = inv_decode(st, &ik, &iv, &a->list[a->n])) == 0)
		a->n++;
	return ret;
}

static int hx_in(const DBT *k, const unsigned char *prefix)
{
	return k->size > HX_HEAD && memcmp(k->data, prefix, 5) == 0;
}

/* The account's HX_POLL or HX_WAIT entries due by a->due_by, in order. */
static int op_hx_work(struct store *st, DB_TXN *txn, void *p)
{
	struct hx_list *a = p;
	DB *db = st->db[T_INV_INDEX];
	unsigned char prefix[5];
	DBT k = dbt(prefix, 5), v = dbt(NULL, 0);
	u_int32_t flag = DB_SET_RANGE;
	size_t cap = 0;
	DBC *c = NULL;
	int ret, t_ret;

	hx_list_clear(a);
	put_be32(prefix, a->account);
	prefix[4] = (unsigned char)a->kind;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	while ((!a->limit || a->n < a->limit) && (ret = c->get(c, &k, &v, flag)) == 0) {
		flag = DB_NEXT;
		if (!hx_in(&k, prefix) ||
		    unord64(get_be64((const unsigned char *)k.data + 5)) > a->due_by)
			break;
		if ((ret = hx_take(st, txn, a, &k, &cap)) != 0)
			break;
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

enum store_err store_invitation_work(struct store *st, uint32_t account, int kind,
				     int64_t due_by, size_t limit,
				     struct store_invitation ***out, size_t *n)
{
	struct hx_list a = { .account = account, .kind = kind, .due_by = due_by,
			     .limit = limit };
	enum store_err e;

	*out = NULL;
	*n = 0;
	if (kind != STORE_WORK_POLL && kind != STORE_WORK_WAITING) {
		set_err(st, "listing invitations: no such work list");
		return STORE_ERR;
	}
	e = run(st, "listing invitations to work on", RUN_READ, op_hx_work, &a);
	if (e != STORE_OK) {
		hx_list_clear(&a);
		return e;
	}
	*out = a.list;
	*n = a.n;
	return STORE_OK;
}

/* Puts c at the greatest key below key (DB_NOTFOUND: none). */
static int seek_below(DBC *c, const unsigned char *key, size_t len, DBT *k, DBT *v)
{
	int ret;

	*k = dbt(key, len);
	ret = c->get(c, k, v, DB_SET_RANGE);
	if (ret == 0)
		return c->get(c, k, v, DB_PREV);
	return ret == DB_NOTFOUND ? c->get(c, k, v, DB_LAST) : ret;
}

/* One page of the account's HX_TIME entries: before the cursor (older,
 * or the newest when there is none) or after it (newer). */
static int op_hx_page(struct store *st, DB_TXN *txn, void *p)
{
	struct hx_list *a = p;
	DB *db = st->db[T_INV_INDEX];
	unsigned char key[5 + CURSOR_MAX];
	size_t len = 5, cap = 0;
	DBT k, v = dbt(NULL, 0);
	DBC *c = NULL;
	int ret, t_ret, up = !a->older && a->cursor, *more_far, got = 0;

	hx_list_clear(a);
	a->more_older = a->more_newer = 0;
	more_far = up ? &a->more_newer : &a->more_older;
	put_be32(key, a->account);
	key[4] = HX_TIME;
	if (a->cursor) {
		memcpy(key + 5, a->cursor, a->cursor_len);
		len += a->cursor_len;
	} else {
		memset(key + 5, 0xff, 9);   /* above every entry of the account */
		len += 9;
	}
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	k = dbt(key, len);
	if (up) {
		ret = c->get(c, &k, &v, DB_SET_RANGE);
		if (ret == 0 && key_cmp(k.data, k.size, key, len) == 0)
			ret = c->get(c, &k, &v, DB_NEXT);
	} else {
		ret = seek_below(c, key, len, &k, &v);
	}
	while (ret == 0 && hx_in(&k, key)) {
		if ((size_t)got++ == a->limit) {
			*more_far = 1;
			break;
		}
		if ((ret = hx_take(st, txn, a, &k, &cap)) != 0)
			break;
		ret = c->get(c, &k, &v, up ? DB_NEXT : DB_PREV);
	}
	/* Anything the other way: at or past the cursor. */
	if ((ret == 0 || ret == DB_NOTFOUND) && a->cursor) {
		k = dbt(key, len);
		ret = up ? seek_below(c, key, len, &k, &v) : c->get(c, &k, &v, DB_SET_RANGE);
		if (ret == 0)
			*(up ? &a->more_older : &a->more_newer) = hx_in(&k, key);
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	/* Newest first, whichever way it was read. */
	for (size_t i = 0; up && ret == 0 && i < a->n / 2; i++) {
		struct store_invitation *t = a->list[i];

		a->list[i] = a->list[a->n - 1 - i];
		a->list[a->n - 1 - i] = t;
	}
	return ret;
}

static int hex_val(int ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* A cursor store_invitation_cursor made for this account: ord64(t) |
 * account | opportunity (no NUL, not empty) | 0 | campaign(8). */
static size_t cursor_decode(const char *hex, uint32_t account, unsigned char *out)
{
	size_t len = strlen(hex), n = len / 2;
	const unsigned char *nul;

	if (len % 2 || n < 8 + 4 + 1 + 1 + 8 || n > CURSOR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_val(hex[2 * i]), lo = hex_val(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	nul = memchr(out + 12, 0, n - 12);
	if (get_be32(out + 8) != account || nul != out + n - 9 || nul == out + 12)
		return 0;
	return n;
}

int store_invitation_cursor(const struct store_invitation *inv, char *buf, size_t len)
{
	unsigned char *ik;
	size_t iklen = 0, need;
	unsigned char t[8];
	int ok = 0;

	if (!inv->opportunity || !(ik = inv_key_alloc(inv->account, inv->opportunity,
						      inv->campaign, &iklen)))
		return -1;
	need = 2 * (8 + iklen) + 1;
	if (8 + iklen <= CURSOR_MAX && need <= len) {
		put_be64(t, ord64(inv->updated_at));
		for (size_t i = 0; i < 8 + iklen; i++)
			sprintf(buf + 2 * i, "%02x", i < 8 ? t[i] : ik[i - 8]);
		ok = 1;
	}
	free(ik);
	return ok ? 0 : -1;
}

enum store_err store_invitation_page(struct store *st, uint32_t account, const char *cursor,
				     int older, size_t limit, struct store_invitation ***out,
				     size_t *n, int *more_older, int *more_newer)
{
	unsigned char cur[CURSOR_MAX];
	struct hx_list a = { .account = account, .older = older, .limit = limit };
	enum store_err e;

	*out = NULL;
	*n = 0;
	*more_older = *more_newer = 0;
	if (cursor) {
		if (!(a.cursor_len = cursor_decode(cursor, account, cur)))
			return STORE_NOTFOUND;
		a.cursor = cur;
	}
	e = run(st, "reading a page of invitations", RUN_READ, op_hx_page, &a);
	if (e != STORE_OK) {
		hx_list_clear(&a);
		return e;
	}
	*out = a.list;
	*n = a.n;
	*more_older = a.more_older;
	*more_newer = a.more_newer;
	return STORE_OK;
}
