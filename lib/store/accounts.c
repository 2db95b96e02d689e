/* accounts: the accounts table (keyed by id) and its name index. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* Freeing an account wipes the copies of its secrets it holds, and the
 * text written for it is wiped too. Not the copies Berkeley DB keeps (its
 * cache, in System V shared memory) nor json-c's while a record is
 * parsed or built: those are freed as they are. */
#define FLD(kind, m, fl) FIELD_##kind(store_account, m, fl)
static const struct field account_fields[] = {
	FLD(STR, name, F_REQUIRED),
	FLD(STR, lever_api_key, F_SECRET), FLD(STR, codingame_api_key, F_SECRET),
	FLD(STR, webhook_id, 0), FLD(STR, webhook_token, F_SECRET),
	FLD(STR, callback_secret, F_SECRET), FLD(I64, created_at, 0),
	/* OAuth, instead of lever_api_key */
	FLD(STR, access_token, F_SECRET), FLD(STR, refresh_token, F_SECRET),
	FLD(I64, token_expires_at, 0),
	FLD(BOOL, disconnected, 0), FLD(I64, disconnected_at, 0), FLD(STR, disconnected_reason, 0),
	/* Added by issue 16: absent in older records, written only when set. */
	FLD(STR, forget_webhook_id, 0), FLD(STR, forget_webhook_token, F_SECRET),
	FLD(BOOL, attach_report, F_OMIT0), FLD(BOOL, forget_deletes_test, F_OMIT0),
	FLD(I64, reconciled_at, F_OMIT0), FLD(I64, reconcile_sent_at, F_OMIT0),
	FLD(I64, webhook_checked_at, F_OMIT0), FLD(BOOL, webhook_missing, F_OMIT0),
	FLD(I64, codingame_checked_at, F_OMIT0),
};
#undef FLD
static const struct rec_type account_type = REC_TYPE("accounts", store_account, account_fields);

void store_account_free(struct store_account *a) { rec_free(&account_type, a); }
void store_accounts_free(struct store_account **a, size_t n) { rec_list_free(&account_type, a, n); }

static int account_decode(struct store *st, const DBT *k, const DBT *v,
			  struct store_account **out)
{
	void *a = NULL;
	int ret = rec_from_id_dbt(st, &account_type, offsetof(struct store_account, id), k, v, &a);

	*out = a;
	return ret;
}

struct account_arg {
	struct store_account *in;      /* add/put */
	uint32_t id;                   /* get/delete; set by add */
	struct store_account *out;     /* get */
};

static int account_put_record(struct store *st, DB_TXN *txn, uint32_t id,
			      const struct store_account *a)
{
	unsigned char kb[4];
	char *text = rec_encode(&account_type, a);
	DBT k, v;
	int ret;

	if (!text)
		return ENOMEM;
	put_be32(kb, id);
	k = dbt(kb, 4);
	v = dbt(text, strlen(text));
	ret = st->db[T_ACCOUNTS]->put(st->db[T_ACCOUNTS], txn, &k, &v, 0);
	rec_text_free(&account_type, text);
	return ret;
}

static int op_account_add(struct store *st, DB_TXN *txn, void *p)
{
	struct account_arg *a = p;
	unsigned char idb[4];
	DBT k, v;
	int ret;

	if ((ret = next_id(st, txn, "account_id", &a->id)) != 0)
		return ret;
	put_be32(idb, a->id);
	k = dbt(a->in->name, strlen(a->in->name));
	v = dbt(idb, 4);
	if ((ret = st->db[T_ACCOUNT_NAMES]->put(st->db[T_ACCOUNT_NAMES], txn, &k, &v,
						 DB_NOOVERWRITE)) != 0)
		return ret;   /* DB_KEYEXIST: the name is taken */
	return account_put_record(st, txn, a->id, a->in);
}

enum store_err store_account_add(struct store *st, struct store_account *a)
{
	struct account_arg arg = { .in = a };
	enum store_err e;

	if (!a->name || !a->name[0]) {
		set_err(st, "adding an account: no name");
		return STORE_ERR;
	}
	e = run(st, "adding an account", RUN_TXN, op_account_add, &arg);
	if (e == STORE_OK)
		a->id = arg.id;
	return e;
}

int get_account(struct store *st, DB_TXN *txn, uint32_t id, u_int32_t flags,
		struct store_account **out)
{
	unsigned char kb[4];
	DBT k, v = dbt(NULL, 0);
	int ret;

	put_be32(kb, id);
	k = dbt(kb, 4);
	if ((ret = st->db[T_ACCOUNTS]->get(st->db[T_ACCOUNTS], txn, &k, &v, flags)) != 0)
		return ret;
	return account_decode(st, &k, &v, out);
}

struct account_edit {
	uint32_t id;
	store_account_edit_fn fn;
	void *arg;
	int declined;
};

static int op_account_update(struct store *st, DB_TXN *txn, void *p)
{
	struct account_edit *e = p;
	struct store_account *cur = NULL;
	int ret;

	e->declined = 0;
	if ((ret = get_account(st, txn, e->id, DB_RMW, &cur)) != 0)
		return ret;
	if (e->fn(cur, e->arg) != 0) {
		e->declined = 1;
		ret = DB_NOTFOUND;   /* nothing written: the transaction aborts */
	} else {
		ret = account_put_record(st, txn, e->id, cur);
	}
	store_account_free(cur);
	return ret;
}

enum store_err store_account_update(struct store *st, uint32_t id, store_account_edit_fn fn,
				    void *arg)
{
	struct account_edit e = { .id = id, .fn = fn, .arg = arg };
	enum store_err r = run(st, "updating an account", RUN_TXN, op_account_update, &e);

	return r == STORE_NOTFOUND && e.declined ? STORE_EXISTS : r;
}

static int op_account_delete(struct store *st, DB_TXN *txn, void *p)
{
	struct account_arg *a = p;
	struct store_account *old = NULL;
	unsigned char kb[4];
	DBT k;
	int ret;

	if ((ret = get_account(st, txn, a->id, DB_RMW, &old)) != 0)
		return ret;
	k = dbt(old->name, strlen(old->name));
	ret = st->db[T_ACCOUNT_NAMES]->del(st->db[T_ACCOUNT_NAMES], txn, &k, 0);
	if (ret != 0 && ret != DB_NOTFOUND)
		goto out;
	put_be32(kb, a->id);
	k = dbt(kb, 4);
	ret = st->db[T_ACCOUNTS]->del(st->db[T_ACCOUNTS], txn, &k, 0);
out:
	store_account_free(old);
	return ret;
}

enum store_err store_account_delete(struct store *st, uint32_t id)
{
	struct account_arg arg = { .id = id };

	return run(st, "deleting an account", RUN_TXN, op_account_delete, &arg);
}

static int op_account_get(struct store *st, DB_TXN *txn, void *p)
{
	struct account_arg *a = p;

	store_account_free(a->out);
	a->out = NULL;
	return get_account(st, txn, a->id, 0, &a->out);
}

/* The webhook path: one read in a read-only transaction (no log
 * write, no sync). */
enum store_err store_account_get(struct store *st, uint32_t id, struct store_account **out)
{
	struct account_arg arg = { .id = id };
	enum store_err e;

	*out = NULL;
	e = run(st, "reading an account", RUN_READ, op_account_get, &arg);
	if (e == STORE_OK)
		*out = arg.out;
	else
		store_account_free(arg.out);
	return e;
}

static int account_take(struct store *st, const DBT *k, const DBT *v, struct walk *w,
			void *out)
{
	(void)w;
	return account_decode(st, k, v, out);
}

enum store_err store_account_list(struct store *st, struct store_account ***out, size_t *n)
{
	struct walk w = { .t = T_ACCOUNTS, .take = account_take, .type = &account_type };

	return run_walk(st, "listing accounts", &w, out, n);
}
