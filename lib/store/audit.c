/* audit: who did what, keyed by time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "store/store_int.h"

#define AUDIT_KEY_LEN 16   /* at(8) | random(8) */

/* The time is in the key, the rest in the text. */
static const struct field audit_fields[] = {
	FIELD_STR(store_audit, user, 0), FIELD_U32(store_audit, account, 0),
	FIELD_STR(store_audit, action, F_REQUIRED), FIELD_STR(store_audit, detail, 0),
};
static const struct rec_type audit_type = REC_TYPE("audit", store_audit, audit_fields);

void store_audit_free(struct store_audit *a) { rec_free(&audit_type, a); }
void store_audits_free(struct store_audit **a, size_t n) { rec_list_free(&audit_type, a, n); }

/* The entry in k/o; the key gives its time. */
static int audit_decode(struct store *st, const DBT *k, struct json_object *o,
			struct store_audit **out)
{
	void *a = NULL;
	int ret;

	*out = NULL;
	if (k->size != AUDIT_KEY_LEN) {
		set_err(st, "corrupt key in audit");
		return ERR_SET;
	}
	if ((ret = rec_from_json(st, &audit_type, o, &a)) != 0)
		return ret;
	*out = a;
	(*out)->at = unord64(get_be64(k->data));
	return 0;
}

static int op_audit_add(struct store *st, DB_TXN *txn, void *p)
{
	const struct store_audit *a = p;
	unsigned char kb[AUDIT_KEY_LEN];
	uint64_t r;
	char *text;
	DBT k, v;
	int ret;

	if ((ret = random_id(&r)) != 0)
		return ret;
	if (!(text = rec_encode(&audit_type, a)))
		return ENOMEM;
	put_be64(kb, ord64(a->at));
	put_be64(kb + 8, r);
	k = dbt(kb, sizeof kb);
	v = dbt(text, strlen(text));
	ret = st->db[T_AUDIT]->put(st->db[T_AUDIT], txn, &k, &v, DB_NOOVERWRITE);
	rec_text_free(&audit_type, text);
	if (ret == DB_KEYEXIST) {   /* 2^-64 within one millisecond */
		set_err(st, "audit key collision, try again");
		return ERR_SET;
	}
	return ret;
}

enum store_err store_audit_add(struct store *st, const char *user, uint32_t account,
			       const char *action, const char *detail)
{
	/* The time is taken once: a retried transaction keeps it. The
	 * strings are only read. */
	struct store_audit in = { .at = clock_wall_ms(), .user = (char *)user,
				  .account = account, .action = (char *)action,
				  .detail = (char *)detail };

	if (!action || !action[0]) {
		set_err(st, "adding an audit entry: no action");
		return STORE_ERR;
	}
	return run(st, "adding an audit entry", RUN_TXN, op_audit_add, &in);
}

/* The account filter reads every entry (keys are by time); the offset
 * counts matching entries only. */
static int audit_take(struct store *st, const DBT *k, const DBT *v, struct walk *w, void *out)
{
	const uint32_t *account = w->ctx;
	struct json_object *o = jparse(st, "audit", v);
	int ret;

	if (!o)
		return ERR_SET;
	if (*account && (uint32_t)jget_i64(o, "account") != *account)
		ret = WALK_SKIP;
	else if (w->skipped < w->offset) {
		w->skipped++;
		ret = WALK_SKIP;
	} else
		ret = audit_decode(st, k, o, out);
	json_object_put(o);
	return ret;
}

/* Newest first: backwards from the last key. */
enum store_err store_audit_list(struct store *st, uint32_t account, size_t offset,
				size_t limit, struct store_audit ***out, size_t *n)
{
	struct walk w = { .t = T_AUDIT, .backwards = 1, .limit = limit, .offset = offset,
			  .take = audit_take, .ctx = &account, .type = &audit_type };

	return run_walk(st, "listing the audit log", &w, out, n);
}
