/* sums: the campaign summaries, what the Campaigns page draws without
 * reading an invitation (issue 13 item 7, issue 16 item 6). Kept in step
 * with every invitation write by history.c, in the writer's transaction.
 *
 * campaign_sums.db: account(4) | campaign(8) | rule(4) | SUM_VERSION(1)
 * -> sent(4) | waiting(4) | started(4) | n_scores(4) | n_times(4) |
 * n_techs(4), then n_scores pairs score(4) | count(4), score in
 * hundredths of a percent rounded down, ascending; n_times pairs
 * minutes(4) | count(4), the completed tests' times to complete in whole
 * minutes rounded down (at most STORE_SUM_MINUTES_MAX), ascending;
 * n_techs technologies len(1) | name | count(4) | sum of scores in
 * hundredths(8). Every part is bounded (10001 scores,
 * STORE_SUM_MINUTES_MAX + 1 times, SUM_TECHS technologies of
 * SUM_NAME_MAX bytes), so a record's size does
 * not grow with history.
 *
 * The first summaries (issue 13) had 16-byte keys and held only sent,
 * waiting and the scores: history.c recounts an older store's summaries
 * once, at open, in this format (sums_drop_old removes the old ones). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/num.h"
#include "store/store_int.h"

#define SUM_VERSION 2
#define SUM_KEY_LEN 17
#define SUM_OLD_KEY_LEN 16
#define SUM_HEAD 24
#define SUM_PAIR 8
#define SUM_TECH_FIXED 13      /* len(1) | count(4) | sum(8) */
#define SUM_TECHS 64           /* technologies kept per summary; more are left out */
#define SUM_NAME_MAX 64        /* bytes of a technology's name kept */

struct sum_pair {
	uint32_t v, n;
};

struct sum_tech {
	size_t len;
	char name[SUM_NAME_MAX + 1];
	uint32_t n;
	int64_t sum;
};

/* A summary record decoded; each pair array has room for one more. */
struct sum_rec {
	uint32_t sent, waiting, started;
	struct sum_pair *p[2];   /* scores, times */
	size_t np[2];
	struct sum_tech *t;      /* SUM_TECHS of them */
	size_t nt;
};

/* What one invitation puts in its summary. */
struct sum_of {
	int sent, waiting, started;
	int score, minutes;      /* -1: none */
	const char *techs;       /* tech_scores of a completed test */
	int64_t campaign;
	uint32_t rule;
};

static void sum_of(const struct store_invitation *i, struct sum_of *o)
{
	memset(o, 0, sizeof *o);
	o->score = o->minutes = -1;
	if (!i || strcmp(i->state, "sent") != 0)
		return;
	o->campaign = i->campaign;
	o->rule = i->rule_id;
	o->sent = 1;
	o->waiting = !i->result_status;
	/* The start time is kept from the first poll that sees it (a
	 * callback makes that poll at once); in stores older than it a
	 * completed or aborted test was started. */
	o->started = i->started_at != 0 ||
		     (i->result_status && (strcmp(i->result_status, "completed") == 0 ||
					   strcmp(i->result_status, "aborted") == 0));
	if (i->result_status && strcmp(i->result_status, "completed") == 0) {
		double s = i->score * 100;

		/* Rounded down: score >= a whole pass_score exactly when the
		 * hundredths are. */
		o->score = s <= 0 ? 0 : s >= 10000 ? 10000 : (int)s;
		if (i->started_at > 0 && i->finished_at >= i->started_at) {
			int64_t m = (i->finished_at - i->started_at) / 60000;

			o->minutes = m > STORE_SUM_MINUTES_MAX ? STORE_SUM_MINUTES_MAX : (int)m;
		}
		o->techs = i->tech_scores;
	}
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int sum_same(const struct sum_of *a, const struct sum_of *b)
{
	return a->sent == b->sent && a->waiting == b->waiting && a->started == b->started &&
	       a->score == b->score && a->minutes == b->minutes && str_eq(a->techs, b->techs) &&
	       a->campaign == b->campaign && a->rule == b->rule;
}

static void sum_clear(struct sum_rec *r)
{
	free(r->p[0]);
	free(r->p[1]);
	free(r->t);
	memset(r, 0, sizeof *r);
}

/* Decodes v (NULL: an empty summary) into r. 0, ENOMEM or ERR_SET. */
static int sum_decode(struct store *st, const DBT *v, struct sum_rec *r)
{
	const unsigned char *d = v ? v->data : NULL, *end = d ? d + v->size : NULL;

	memset(r, 0, sizeof *r);
	if (d && v->size < SUM_HEAD)
		goto corrupt;
	if (d) {
		r->sent = get_be32(d);
		r->waiting = get_be32(d + 4);
		r->started = get_be32(d + 8);
		r->np[0] = get_be32(d + 12);
		r->np[1] = get_be32(d + 16);
		r->nt = get_be32(d + 20);
		d += SUM_HEAD;
		if (r->nt > SUM_TECHS || (size_t)(end - d) / SUM_PAIR < r->np[0] + (size_t)r->np[1])
			goto corrupt;
	}
	for (int j = 0; j < 2; j++) {
		if (!(r->p[j] = calloc(r->np[j] + 1, sizeof *r->p[j])))
			goto oom;
		for (size_t i = 0; i < r->np[j]; i++, d += SUM_PAIR) {
			r->p[j][i].v = get_be32(d);
			r->p[j][i].n = get_be32(d + 4);
		}
	}
	if (!(r->t = calloc(SUM_TECHS, sizeof *r->t)))
		goto oom;
	for (size_t i = 0; i < r->nt; i++) {
		struct sum_tech *t = &r->t[i];

		if (end - d < SUM_TECH_FIXED || (t->len = d[0]) > SUM_NAME_MAX ||
		    (size_t)(end - d) < SUM_TECH_FIXED + t->len)
			goto corrupt;
		memcpy(t->name, d + 1, t->len);
		t->n = get_be32(d + 1 + t->len);
		t->sum = (int64_t)get_be64(d + 5 + t->len);
		d += SUM_TECH_FIXED + t->len;
	}
	if (d != end)
		goto corrupt;
	return 0;
corrupt:
	sum_clear(r);
	set_err(st, "corrupt record in campaign_sums");
	return ERR_SET;
oom:
	sum_clear(r);
	return ENOMEM;
}

/* r as a record (malloc'd, *len set), NULL when out of memory. */
static unsigned char *sum_encode(const struct sum_rec *r, size_t *len)
{
	size_t n = SUM_HEAD + (r->np[0] + r->np[1]) * SUM_PAIR;
	unsigned char *out, *d;

	for (size_t i = 0; i < r->nt; i++)
		n += SUM_TECH_FIXED + r->t[i].len;
	if (!(d = out = malloc(n)))
		return NULL;
	put_be32(d, r->sent);
	put_be32(d + 4, r->waiting);
	put_be32(d + 8, r->started);
	put_be32(d + 12, (uint32_t)r->np[0]);
	put_be32(d + 16, (uint32_t)r->np[1]);
	put_be32(d + 20, (uint32_t)r->nt);
	d += SUM_HEAD;
	for (int j = 0; j < 2; j++)
		for (size_t i = 0; i < r->np[j]; i++, d += SUM_PAIR) {
			put_be32(d, r->p[j][i].v);
			put_be32(d + 4, r->p[j][i].n);
		}
	for (size_t i = 0; i < r->nt; i++) {
		d[0] = (unsigned char)r->t[i].len;
		memcpy(d + 1, r->t[i].name, r->t[i].len);
		put_be32(d + 1 + r->t[i].len, r->t[i].n);
		put_be64(d + 5 + r->t[i].len, (uint64_t)r->t[i].sum);
		d += SUM_TECH_FIXED + r->t[i].len;
	}
	*len = n;
	return out;
}

/* Adds sign to value v's count in the ascending pairs p (room for one
 * more), dropping a count that reaches 0. */
static void pair_add(struct sum_pair *p, size_t *n, uint32_t v, int sign)
{
	size_t at = 0;

	while (at < *n && p[at].v < v)
		at++;
	if (at == *n || p[at].v != v) {
		if (sign < 0)
			return;   /* nothing to take away */
		memmove(p + at + 1, p + at, (*n - at) * sizeof *p);
		p[at].v = v;
		p[at].n = 0;
		(*n)++;
	}
	p[at].n += (uint32_t)sign;
	if (p[at].n == 0) {
		memmove(p + at, p + at + 1, (*n - at - 1) * sizeof *p);
		(*n)--;
	}
}

/* One "name<TAB>score<LF>" line's score ("87.50") in hundredths, or -1. */
static int64_t tech_score(const char *s, size_t len)
{
	const char *dot = memchr(s, '.', len);
	int64_t whole, frac = 0;
	size_t wl = dot ? (size_t)(dot - s) : len;

	if (num_parse(s, wl, 0, 100, &whole) != NUM_OK ||
	    (dot && (len - wl != 3 || num_parse(dot + 1, 2, 0, 99, &frac) != NUM_OK)))
		return -1;
	return whole * 100 + frac;
}

/* Adds sign times the technologies of techs (tech_scores' lines). */
static void techs_add(struct sum_rec *r, const char *techs, int sign)
{
	for (const char *l = techs; l && *l;) {
		size_t len = strcspn(l, "\n"), nl = strcspn(l, "\t"), i;
		int64_t score;

		if (nl < len && (score = tech_score(l + nl + 1, len - nl - 1)) >= 0) {
			/* A long name cut at a character's start. */
			if (nl > SUM_NAME_MAX)
				for (nl = SUM_NAME_MAX; nl && ((unsigned char)l[nl] & 0xc0) == 0x80; nl--)
					;
			for (i = 0; i < r->nt && !(r->t[i].len == nl && !memcmp(r->t[i].name, l, nl)); i++)
				;
			if (i == r->nt && sign > 0 && r->nt < SUM_TECHS) {
				memcpy(r->t[i].name, l, nl);
				r->t[i].len = nl;
				r->nt++;
			}
			if (i < r->nt && (sign > 0 || r->t[i].n > 0)) {
				r->t[i].n += (uint32_t)sign;
				r->t[i].sum += sign * score;
				if (!r->t[i].n)
					memmove(r->t + i, r->t + i + 1, (--r->nt - i) * sizeof *r->t);
			}
		}
		l += len + (l[len] == '\n');
	}
}

/* Adds sign times one invitation's share to its summary. */
static int sum_add(struct store *st, DB_TXN *txn, uint32_t account, const struct sum_of *o,
		   int sign)
{
	DB *db = st->db[T_CAMPAIGN_SUMS];
	unsigned char kb[SUM_KEY_LEN], *out = NULL;
	DBT k, v = dbt(NULL, 0);
	struct sum_rec r;
	size_t len = 0;
	int ret;

	if (!o->sent)
		return 0;
	put_be32(kb, account);
	put_be64(kb + 4, (uint64_t)o->campaign);
	put_be32(kb + 12, o->rule);
	kb[16] = SUM_VERSION;
	k = dbt(kb, sizeof kb);
	ret = db->get(db, txn, &k, &v, DB_RMW);
	if (ret != 0 && ret != DB_NOTFOUND)
		return ret;
	if ((ret = sum_decode(st, ret == 0 ? &v : NULL, &r)) != 0)
		return ret;
	r.sent += (uint32_t)sign;
	r.waiting += (uint32_t)(sign * o->waiting);
	r.started += (uint32_t)(sign * o->started);
	if (o->score >= 0)
		pair_add(r.p[0], &r.np[0], (uint32_t)o->score, sign);
	if (o->minutes >= 0)
		pair_add(r.p[1], &r.np[1], (uint32_t)o->minutes, sign);
	techs_add(&r, o->techs, sign);
	if (!r.sent && !r.waiting && !r.started && !r.np[0] && !r.np[1] && !r.nt) {
		ret = db->del(db, txn, &k, 0);
	} else if (!(out = sum_encode(&r, &len))) {
		ret = ENOMEM;
	} else {
		v = dbt(out, len);
		ret = db->put(db, txn, &k, &v, 0);
	}
	free(out);
	sum_clear(&r);
	return ret == DB_NOTFOUND ? 0 : ret;
}

int sums_move(struct store *st, DB_TXN *txn, uint32_t account,
	      const struct store_invitation *old, const struct store_invitation *nw)
{
	struct sum_of a, b;
	int ret;

	sum_of(old, &a);
	sum_of(nw, &b);
	if (sum_same(&a, &b))
		return 0;
	if ((ret = sum_add(st, txn, account, &a, -1)) != 0)
		return ret;
	return sum_add(st, txn, account, &b, 1);
}

int sums_drop_old(struct store *st, DB_TXN *txn)
{
	DBC *c = NULL;
	DBT k = dbt(NULL, 0), v = dbt(NULL, 0);
	int ret, t_ret;

	if ((ret = st->db[T_CAMPAIGN_SUMS]->cursor(st->db[T_CAMPAIGN_SUMS], txn, &c, 0)) != 0)
		return ret;
	while ((ret = c->get(c, &k, &v, DB_NEXT | DB_RMW)) == 0)
		if (k.size == SUM_OLD_KEY_LEN && (ret = c->del(c, 0)) != 0)
			break;
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

void store_campaign_sum_free(struct store_campaign_sum *s)
{
	if (!s)
		return;
	free(s->score);
	free(s->count);
	free(s->minutes);
	free(s->time_count);
	for (size_t i = 0; s->tech && i < s->n_tech; i++)
		free(s->tech[i]);
	free(s->tech);
	free(s->tech_count);
	free(s->tech_sum);
	free(s);
}

void store_campaign_sums_free(struct store_campaign_sum **s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++)
		store_campaign_sum_free(s[i]);
	free(s);
}

/* Copies the decoded r into the caller's s. 0 or ENOMEM. */
static int sum_fill(struct store_campaign_sum *s, const struct sum_rec *r)
{
	s->sent = (int)r->sent;
	s->waiting = (int)r->waiting;
	s->started = (int)r->started;
	s->n = r->np[0];
	s->n_times = r->np[1];
	s->n_tech = r->nt;
	if ((s->n && (!(s->score = calloc(s->n, sizeof *s->score)) ||
		      !(s->count = calloc(s->n, sizeof *s->count)))) ||
	    (s->n_times && (!(s->minutes = calloc(s->n_times, sizeof *s->minutes)) ||
			    !(s->time_count = calloc(s->n_times, sizeof *s->time_count)))) ||
	    (s->n_tech && (!(s->tech = calloc(s->n_tech, sizeof *s->tech)) ||
			   !(s->tech_count = calloc(s->n_tech, sizeof *s->tech_count)) ||
			   !(s->tech_sum = calloc(s->n_tech, sizeof *s->tech_sum)))))
		return ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		s->score[i] = (int)r->p[0][i].v;
		s->count[i] = (int)r->p[0][i].n;
		s->completed += s->count[i];
	}
	for (size_t i = 0; i < s->n_times; i++) {
		s->minutes[i] = (int)r->p[1][i].v;
		s->time_count[i] = (int)r->p[1][i].n;
	}
	for (size_t i = 0; i < s->n_tech; i++) {
		if (!(s->tech[i] = strndup(r->t[i].name, r->t[i].len)))
			return ENOMEM;
		s->tech_count[i] = (int)r->t[i].n;
		s->tech_sum[i] = r->t[i].sum;
	}
	return 0;
}

static int sum_take(struct store *st, const DBT *k, const DBT *v, struct walk *w, void *out)
{
	const unsigned char *kd = k->data;
	struct store_campaign_sum *s;
	struct sum_rec r;
	int ret;

	(void)w;
	if (k->size == SUM_OLD_KEY_LEN)
		return WALK_SKIP;   /* an older version's, recounted at open */
	if (k->size != SUM_KEY_LEN || kd[16] != SUM_VERSION) {
		set_err(st, "corrupt record in campaign_sums");
		return ERR_SET;
	}
	if ((ret = sum_decode(st, v, &r)) != 0)
		return ret;
	if (!(s = calloc(1, sizeof *s)) || sum_fill(s, &r) != 0) {
		store_campaign_sum_free(s);
		sum_clear(&r);
		return ENOMEM;
	}
	sum_clear(&r);
	s->campaign = (int64_t)get_be64(kd + 4);
	s->rule_id = get_be32(kd + 12);
	*(struct store_campaign_sum **)out = s;
	return 0;
}

/* walk() starts a new list: a retried walk frees the last one first. */
static int op_sum_list(struct store *st, DB_TXN *txn, void *p)
{
	struct walk *w = p;

	store_campaign_sums_free(w->list, w->n);
	return walk(st, txn, w);
}

enum store_err store_campaign_sums(struct store *st, uint32_t account,
				   struct store_campaign_sum ***out, size_t *n)
{
	unsigned char prefix[4];
	struct walk w = { .t = T_CAMPAIGN_SUMS, .prefix = prefix, .prefix_len = 4,
			  .take = sum_take };
	enum store_err e;

	put_be32(prefix, account);
	e = run(st, "reading the campaign summaries", RUN_READ, op_sum_list, &w);
	if (e != STORE_OK)
		store_campaign_sums_free(w.list, w.n);
	*out = e == STORE_OK ? w.list : NULL;
	*n = e == STORE_OK ? w.n : 0;
	return e;
}
