/* invitations: one per (account, opportunity, campaign), and the index
 * from a CodinGame test id to its invitation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

struct inv_arg {
	const struct store_invitation *in;   /* create/put */
	int create;
	uint32_t account;                    /* get/list */
	const char *opportunity;             /* get */
	int64_t campaign;                    /* get */
	int64_t test_id;                     /* by_test */
	struct store_invitation *out;        /* get/by_test */
};

static int test_index_put(struct store *st, DB_TXN *txn, int64_t test_id,
			  const unsigned char *key, size_t klen)
{
	unsigned char tb[8];
	DBT k, v;

	put_be64(tb, (uint64_t)test_id);
	k = dbt(tb, 8);
	v = dbt(key, klen);
	return st->db[T_INV_BY_TEST]->put(st->db[T_INV_BY_TEST], txn, &k, &v, 0);
}

/* Drops test_id from the index when it points at key. */
static int test_index_del(struct store *st, DB_TXN *txn, int64_t test_id,
			  const unsigned char *key, size_t klen)
{
	DB *db = st->db[T_INV_BY_TEST];
	unsigned char tb[8];
	DBT k, v = dbt(NULL, 0);
	int ret;

	put_be64(tb, (uint64_t)test_id);
	k = dbt(tb, 8);
	ret = db->get(db, txn, &k, &v, DB_RMW);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0)
		return ret;
	if (v.size != klen || memcmp(v.data, key, klen) != 0)
		return 0;
	return db->del(db, txn, &k, 0);
}

static int op_inv_write(struct store *st, DB_TXN *txn, void *p)
{
	struct inv_arg *a = p;
	const struct store_invitation *in = a->in;
	DB *db = st->db[T_INVITATIONS];
	unsigned char *key = NULL;
	char *text = NULL;
	size_t klen = 0;
	DBT k, v = dbt(NULL, 0), prev = dbt(NULL, 0);
	int ret;

	if (!(key = inv_key_alloc(in->account, in->opportunity, in->campaign, &klen)) ||
	    !(text = rec_encode(&inv_type, in))) {
		ret = ENOMEM;
		goto out;
	}
	k = dbt(key, klen);
	if (!a->create) {
		/* Keep the index in step with the test id being replaced. */
		ret = db->get(db, txn, &k, &v, DB_RMW);
		if (ret == 0) {
			struct json_object *o = jparse(st, "invitations", &v);
			int64_t old = o ? jget_i64(o, "test_id") : 0;

			prev = v;
			json_object_put(o);
			if (old && old != in->test_id &&
			    (ret = test_index_del(st, txn, old, key, klen)) != 0)
				goto out;
		} else if (ret != DB_NOTFOUND)
			goto out;
	}
	if ((ret = hist_inv_write(st, txn, &k, prev.data ? &prev : NULL, in)) != 0)
		goto out;
	v = dbt(text, strlen(text));
	if ((ret = db->put(db, txn, &k, &v, a->create ? DB_NOOVERWRITE : 0)) != 0)
		goto out;
	if (in->test_id)
		ret = test_index_put(st, txn, in->test_id, key, klen);
out:
	free(key);
	rec_text_free(&inv_type, text);
	return ret;
}

static enum store_err inv_write(struct store *st, const struct store_invitation *inv,
				int create)
{
	struct inv_arg arg = { .in = inv, .create = create };

	if (!inv->opportunity || !inv->state) {
		set_err(st, "writing an invitation: no opportunity or state");
		return STORE_ERR;
	}
	return run(st, create ? "creating an invitation" : "saving an invitation",
		   RUN_TXN, op_inv_write, &arg);
}

enum store_err store_invitation_create(struct store *st, const struct store_invitation *inv)
{
	return inv_write(st, inv, 1);
}

enum store_err store_invitation_put(struct store *st, const struct store_invitation *inv)
{
	return inv_write(st, inv, 0);
}

static int op_inv_get(struct store *st, DB_TXN *txn, void *p)
{
	struct inv_arg *a = p;
	unsigned char *key;
	size_t klen = 0;
	DBT k, v = dbt(NULL, 0);
	int ret;

	store_invitation_free(a->out);
	a->out = NULL;
	if (!(key = inv_key_alloc(a->account, a->opportunity, a->campaign, &klen)))
		return ENOMEM;
	k = dbt(key, klen);
	ret = st->db[T_INVITATIONS]->get(st->db[T_INVITATIONS], txn, &k, &v, 0);
	if (ret == 0)
		ret = inv_decode(st, &k, &v, &a->out);
	free(key);
	return ret;
}

static enum store_err inv_result(struct inv_arg *a, enum store_err e,
				 struct store_invitation **out)
{
	if (e == STORE_OK)
		*out = a->out;
	else
		store_invitation_free(a->out);
	return e;
}

enum store_err store_invitation_get(struct store *st, uint32_t account,
				    const char *opportunity, int64_t campaign,
				    struct store_invitation **out)
{
	struct inv_arg arg = { .account = account, .opportunity = opportunity,
			       .campaign = campaign };

	*out = NULL;
	if (!opportunity)
		return STORE_NOTFOUND;
	return inv_result(&arg, run(st, "reading an invitation", RUN_READ, op_inv_get, &arg),
			  out);
}

static int op_inv_by_test(struct store *st, DB_TXN *txn, void *p)
{
	struct inv_arg *a = p;
	unsigned char tb[8];
	DBT k, v = dbt(NULL, 0), iv = dbt(NULL, 0);
	int ret;

	store_invitation_free(a->out);
	a->out = NULL;
	put_be64(tb, (uint64_t)a->test_id);
	k = dbt(tb, 8);
	if ((ret = st->db[T_INV_BY_TEST]->get(st->db[T_INV_BY_TEST], txn, &k, &v, 0)) != 0)
		return ret;
	/* v belongs to the index handle until its next call; the second
	 * get is on another handle. */
	if ((ret = st->db[T_INVITATIONS]->get(st->db[T_INVITATIONS], txn, &v, &iv, 0)) != 0)
		return ret;   /* a dangling index entry reads as not found */
	return inv_decode(st, &v, &iv, &a->out);
}

enum store_err store_invitation_by_test(struct store *st, int64_t test_id,
					struct store_invitation **out)
{
	struct inv_arg arg = { .test_id = test_id };

	*out = NULL;
	if (!test_id)
		return STORE_NOTFOUND;
	/* A plain transaction: both reads see one committed state. */
	return inv_result(&arg, run(st, "finding an invitation by test", RUN_TXN,
				    op_inv_by_test, &arg), out);
}

static int inv_take(struct store *st, const DBT *k, const DBT *v, struct walk *w, void *out)
{
	(void)w;
	return inv_decode(st, k, v, out);
}

/* Keys start with the account: its invitations are one range. */
enum store_err store_invitation_list(struct store *st, uint32_t account,
				     struct store_invitation ***out, size_t *n)
{
	unsigned char prefix[4];
	struct walk w = { .t = T_INVITATIONS, .prefix = account ? prefix : NULL,
			  .prefix_len = 4, .take = inv_take, .type = &inv_type };

	put_be32(prefix, account);
	return run_walk(st, "listing invitations", &w, out, n);
}

struct inv_many {
	const struct store_invitation *in;
	size_t n;
};

static int op_inv_many(struct store *st, DB_TXN *txn, void *p)
{
	struct inv_many *m = p;
	int ret = 0;

	for (size_t i = 0; i < m->n && ret == 0; i++) {
		struct inv_arg a = { .in = &m->in[i], .create = 1 };

		if (!m->in[i].opportunity || !m->in[i].state) {
			set_err(st, "creating invitations: no opportunity or state");
			return ERR_SET;
		}
		ret = op_inv_write(st, txn, &a);
	}
	return ret;
}

enum store_err store_invitation_create_many(struct store *st,
					    const struct store_invitation *inv, size_t n)
{
	struct inv_many m = { .in = inv, .n = n };

	return run(st, "creating invitations", RUN_TXN, op_inv_many, &m);
}

