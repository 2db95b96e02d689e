/* rules: tag + stage -> campaign, keyed by id. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* Account, created_at and created_by are written once (F_KEEP); the
 * rest is what a rule's owner may change (add and update). */
#define FLD(kind, m, fl) FIELD_##kind(store_rule, m, fl)
static const struct field rule_fields[] = {
	FLD(U32, account, F_KEEP), FLD(I64, created_at, F_KEEP), FLD(STR, created_by, F_KEEP),
	FLD(STR, tag, F_REQUIRED), FLD(STR, stage, F_REQUIRED), FLD(I64, campaign, 0),
	FLD(INT, pass_score, F_UNSET_NEG), FLD(INT, fail_score, F_UNSET_NEG),
	FLD(STR, pass_tag, 0), FLD(STR, fail_tag, 0), FLD(STR, review_tag, 0),
	FLD(STR, pass_stage, 0),
	FLD(INT, reminder_days, F_OMIT0),   /* issue 16 */
};
#undef FLD
static const struct rec_type rule_type = REC_TYPE("rules", store_rule, rule_fields);

void store_rule_free(struct store_rule *r) { rec_free(&rule_type, r); }
void store_rules_free(struct store_rule **r, size_t n) { rec_list_free(&rule_type, r, n); }

static int rule_decode(struct store *st, const DBT *k, const DBT *v, struct store_rule **out)
{
	void *r = NULL;
	int ret = rec_from_id_dbt(st, &rule_type, offsetof(struct store_rule, id), k, v, &r);

	*out = r;
	return ret;
}

struct rule_arg {
	const struct store_rule *in;   /* add/update */
	uint32_t id;             /* get/delete; set by add */
	struct store_rule *out;  /* get */
};

/* Writes text under rule id (flags: DB_NOOVERWRITE or 0) and frees it. */
static int rule_put(struct store *st, DB_TXN *txn, uint32_t id, char *text, u_int32_t flags)
{
	unsigned char kb[4];
	DBT k, v;
	int ret;

	if (!text)
		return ENOMEM;
	put_be32(kb, id);
	k = dbt(kb, 4);
	v = dbt(text, strlen(text));
	ret = st->db[T_RULES]->put(st->db[T_RULES], txn, &k, &v, flags);
	rec_text_free(&rule_type, text);
	return ret;
}

static int op_rule_add(struct store *st, DB_TXN *txn, void *p)
{
	struct rule_arg *a = p;
	const struct store_rule *r = a->in;
	struct store_account *acct = NULL;
	int ret;

	/* A rule needs its account (read-locked until commit). */
	if ((ret = get_account(st, txn, r->account, 0, &acct)) != 0)
		return ret;
	store_account_free(acct);
	if ((ret = next_id(st, txn, "rule_id", &a->id)) != 0)
		return ret;
	return rule_put(st, txn, a->id, rec_encode(&rule_type, r), DB_NOOVERWRITE);
}

/* STORE_NOTFOUND when the account does not exist. */
enum store_err store_rule_add(struct store *st, struct store_rule *r)
{
	struct rule_arg arg = { .in = r };
	enum store_err e;

	if (!r->tag || !r->stage) {
		set_err(st, "adding a rule: no tag or no stage");
		return STORE_ERR;
	}
	e = run(st, "adding a rule", RUN_TXN, op_rule_add, &arg);
	if (e == STORE_OK)
		r->id = arg.id;
	return e;
}

static int op_rule_delete(struct store *st, DB_TXN *txn, void *p)
{
	struct rule_arg *a = p;
	unsigned char kb[4];
	DBT k;

	put_be32(kb, a->id);
	k = dbt(kb, 4);
	return st->db[T_RULES]->del(st->db[T_RULES], txn, &k, 0);
}

enum store_err store_rule_delete(struct store *st, uint32_t id)
{
	struct rule_arg arg = { .id = id };

	return run(st, "deleting a rule", RUN_TXN, op_rule_delete, &arg);
}

static int op_rule_get(struct store *st, DB_TXN *txn, void *p)
{
	struct rule_arg *a = p;
	unsigned char kb[4];
	DBT k, v = dbt(NULL, 0);
	int ret;

	store_rule_free(a->out);
	a->out = NULL;
	put_be32(kb, a->id);
	k = dbt(kb, 4);
	if ((ret = st->db[T_RULES]->get(st->db[T_RULES], txn, &k, &v, 0)) != 0)
		return ret;
	return rule_decode(st, &k, &v, &a->out);
}

enum store_err store_rule_get(struct store *st, uint32_t id, struct store_rule **out)
{
	struct rule_arg arg = { .id = id };
	enum store_err e;

	*out = NULL;
	e = run(st, "reading a rule", RUN_READ, op_rule_get, &arg);
	if (e == STORE_OK)
		*out = arg.out;
	else
		store_rule_free(arg.out);
	return e;
}

/* In place, like the job updates: fields this version does not know
 * survive, and so do account, created_at and created_by. */
static int op_rule_update(struct store *st, DB_TXN *txn, void *p)
{
	struct rule_arg *a = p;
	struct json_object *o;
	unsigned char kb[4];
	char *text;
	DBT k, v = dbt(NULL, 0);
	int ret;

	put_be32(kb, a->in->id);
	k = dbt(kb, 4);
	if ((ret = st->db[T_RULES]->get(st->db[T_RULES], txn, &k, &v, DB_RMW)) != 0)
		return ret;
	if (!(o = jparse(st, "rules", &v)))
		return ERR_SET;
	rec_set(o, &rule_type, a->in, F_KEEP);
	text = ju_dump_alloc(o);
	json_object_put(o);
	return rule_put(st, txn, a->in->id, text, 0);
}

enum store_err store_rule_update(struct store *st, const struct store_rule *r)
{
	struct rule_arg arg = { .in = r };

	if (!r->tag || !r->stage) {
		set_err(st, "updating rule %u: no tag or no stage", r->id);
		return STORE_ERR;
	}
	return run(st, "updating a rule", RUN_TXN, op_rule_update, &arg);
}

/* Rules are keyed by id alone: the account filter reads every rule. */
static int rule_take(struct store *st, const DBT *k, const DBT *v, struct walk *w, void *out)
{
	const uint32_t *account = w->ctx;
	struct store_rule **r = out;
	int ret = rule_decode(st, k, v, r);

	if (ret == 0 && *account && (*r)->account != *account) {
		store_rule_free(*r);
		*r = NULL;
		return WALK_SKIP;
	}
	return ret;
}

/* account 0: every account's rules, sorted by id. */
enum store_err store_rule_list(struct store *st, uint32_t account,
			       struct store_rule ***out, size_t *n)
{
	struct walk w = { .t = T_RULES, .take = rule_take, .ctx = &account, .type = &rule_type };

	return run_walk(st, "listing rules", &w, out, n);
}
