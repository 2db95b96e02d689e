/* invrec: the invitation record, its key and its text: what both
 * invitations.c (the writes and reads) and history.c (the indexes that
 * point at invitations) decode, below both. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* account(4) | opportunity | 0 | campaign(8) */
unsigned char *inv_key_alloc(uint32_t account, const char *opp, int64_t campaign,
			     size_t *len)
{
	size_t ol = strlen(opp);
	unsigned char *k = malloc(4 + ol + 1 + 8);

	if (!k)
		return NULL;
	put_be32(k, account);
	memcpy(k + 4, opp, ol);
	k[4 + ol] = 0;
	put_be64(k + 5 + ol, (uint64_t)campaign);
	*len = 4 + ol + 1 + 8;
	return k;
}

/* The opportunity is in the key, the rest in the text. */
#define FLD(kind, m, fl) FIELD_##kind(store_invitation, m, fl)
static const struct field inv_fields[] = {
	FLD(STR, opportunity, F_KEY),
	FLD(U32, rule_id, 0), FLD(STR, state, F_REQUIRED),
	FLD(STR, email, 0), FLD(STR, name, 0),
	FLD(I64, test_id, 0), FLD(STR, test_url, 0),
	FLD(STR, waiting_note, 0), FLD(STR, error, 0),
	FLD(I64, created_at, 0), FLD(I64, updated_at, 0), FLD(I64, sent_at, 0),
	FLD(STR, sent_note, 0), FLD(STR, result_note, 0), FLD(STR, result_status, 0),
	FLD(DBL, score, 0), FLD(BOOL, tags_done, 0), FLD(BOOL, stage_done, 0),
	FLD(I64, next_poll_at, 0), FLD(INT, polls, 0),
	/* Added by issue 16: absent in older records, written only when set. */
	FLD(STR, outcome_tag, 0), FLD(STR, reminder, 0), FLD(STR, report_file, 0),
	FLD(I64, forgotten_at, F_OMIT0),
	FLD(I64, started_at, F_OMIT0), FLD(I64, finished_at, F_OMIT0), FLD(STR, tech_scores, 0),
	FLD(STR, contact, 0),
};
#undef FLD
const struct rec_type inv_type = REC_TYPE("invitations", store_invitation, inv_fields);

void store_invitation_free(struct store_invitation *i) { rec_free(&inv_type, i); }
void store_invitations_free(struct store_invitation **i, size_t n)
{
	rec_list_free(&inv_type, i, n);
}

int inv_decode(struct store *st, const DBT *k, const DBT *v, struct store_invitation **out)
{
	const unsigned char *kd = k->data, *nul;
	struct store_invitation *i;
	struct json_object *o = NULL;
	void *rec = NULL;
	int ret;

	*out = NULL;
	/* account(4) | opportunity | 0 | campaign(8) */
	if (k->size < 4 + 1 + 8 || !(nul = memchr(kd + 4, 0, k->size - 4)) ||
	    (size_t)(kd + k->size - nul) != 1 + 8) {
		set_err(st, "corrupt key in invitations");
		return ERR_SET;
	}
	if (!(o = jparse(st, "invitations", v)))
		return ERR_SET;
	if ((ret = rec_from_json(st, &inv_type, o, &rec)) != 0)
		goto out;
	i = rec;
	i->account = get_be32(kd);
	i->campaign = (int64_t)get_be64(nul + 1);
	/* Records written before waiting_note kept a flag, set once posted. */
	if (!(i->opportunity = strdup((const char *)kd + 4)) ||
	    (!i->waiting_note && jget_bool(o, "note_posted") &&
	     !(i->waiting_note = strdup("posted")))) {
		ret = ENOMEM;
		goto out;
	}
	*out = i;
	rec = NULL;
out:
	store_invitation_free(rec);
	json_object_put(o);
	return ret;
}
