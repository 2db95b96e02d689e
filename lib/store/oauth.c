/* oauth: the OAuth states, single-use, bound to an account and an admin. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* The state is the key; the rest is in the text. */
static const struct field state_fields[] = {
	FIELD_STR(store_oauth_state, state, F_KEY), FIELD_U32(store_oauth_state, account, 0),
	FIELD_STR(store_oauth_state, user, F_REQUIRED),
	FIELD_I64(store_oauth_state, expires_at, 0),
};
static const struct rec_type state_type =
	REC_TYPE("oauth_states", store_oauth_state, state_fields);

void store_oauth_state_free(struct store_oauth_state *s) { rec_free(&state_type, s); }

struct state_arg {
	const struct store_oauth_state *in;
	const char *state;
	struct store_oauth_state *out;
};

static int op_state_put(struct store *st, DB_TXN *txn, void *p)
{
	struct state_arg *a = p;
	char *text;
	DBT k, v;
	int ret;

	if (!(text = rec_encode(&state_type, a->in)))
		return ENOMEM;
	k = dbt(a->in->state, strlen(a->in->state));
	v = dbt(text, strlen(text));
	ret = st->db[T_OAUTH_STATES]->put(st->db[T_OAUTH_STATES], txn, &k, &v, DB_NOOVERWRITE);
	rec_text_free(&state_type, text);
	return ret;
}

enum store_err store_oauth_state_put(struct store *st, const struct store_oauth_state *s)
{
	struct state_arg arg = { .in = s };

	if (!s->state || !*s->state || !s->user) {
		set_err(st, "saving an OAuth state: no state or user");
		return STORE_ERR;
	}
	return run(st, "saving an OAuth state", RUN_TXN, op_state_put, &arg);
}

static int op_state_take(struct store *st, DB_TXN *txn, void *p)
{
	struct state_arg *a = p;
	DBT k = dbt(a->state, strlen(a->state)), v = dbt(NULL, 0);
	void *rec = NULL;
	int ret;

	store_oauth_state_free(a->out);
	a->out = NULL;
	ret = st->db[T_OAUTH_STATES]->get(st->db[T_OAUTH_STATES], txn, &k, &v, DB_RMW);
	if (ret != 0)
		return ret;
	ret = rec_from_dbt(st, &state_type, &v, &rec);
	a->out = rec;
	if (ret == 0 && !(a->out->state = strdup(a->state)))
		ret = ENOMEM;
	if (ret == 0)   /* single use: gone with the same commit */
		ret = st->db[T_OAUTH_STATES]->del(st->db[T_OAUTH_STATES], txn, &k, 0);
	return ret;
}

/* Deletes at most PRUNE_BATCH states that expired before *before (the
 * ones never taken: an abandoned "Connect Lever"); *before becomes the
 * count deleted. */
static int op_state_prune(struct store *st, DB_TXN *txn, void *p)
{
	int64_t *arg = p, before = *arg, n = 0;
	DBC *c = NULL;
	DBT k = dbt(NULL, 0), v = dbt(NULL, 0);
	int ret;

	if ((ret = st->db[T_OAUTH_STATES]->cursor(st->db[T_OAUTH_STATES], txn, &c, 0)) != 0)
		return ret;
	while (n < PRUNE_BATCH && (ret = c->get(c, &k, &v, DB_NEXT | DB_RMW)) == 0) {
		struct json_object *o = jparse(st, "oauth_states", &v);
		int64_t exp = o ? jget_i64(o, "expires_at") : 0;

		json_object_put(o);
		if (exp < before) {
			if ((ret = c->del(c, 0)) != 0)
				break;
			n++;
		}
	}
	(void)c->close(c);
	*arg = n;
	return ret == DB_NOTFOUND ? 0 : ret;
}

enum store_err store_oauth_state_prune(struct store *st, int64_t before)
{
	int64_t n;
	enum store_err e;

	do {
		n = before;
		e = run(st, "pruning OAuth states", RUN_TXN, op_state_prune, &n);
	} while (e == STORE_OK && n == PRUNE_BATCH);
	return e;
}

enum store_err store_oauth_state_take(struct store *st, const char *state,
				      struct store_oauth_state **out)
{
	struct state_arg arg = { .state = state };
	enum store_err e;

	*out = NULL;
	if (!state || !*state)
		return STORE_NOTFOUND;
	e = run(st, "taking an OAuth state", RUN_TXN, op_state_take, &arg);
	if (e == STORE_OK)
		*out = arg.out;
	else
		store_oauth_state_free(arg.out);
	return e;
}

