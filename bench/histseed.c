/* histseed: a long history for "cost vs history" in make bench.
 *
 *   histseed CONFIG ACCOUNT RULE CAMPAIGN FROM COUNT
 *	Adds COUNT invitations (numbers FROM .. FROM+COUNT-1) to ACCOUNT in
 *	the store of CONFIG, through the store API in transactions of
 *	BATCH: nine in ten finished (completed, scored, notes posted,
 *	thresholds applied), one in ten sent and waiting for its result,
 *	its next poll a week away. So nothing is due: what a runner pass or
 *	a page costs then is the cost of the history alone.
 *
 * Built with -DHISTSEED_ONE_BY_ONE, one transaction per invitation, with
 * nothing newer than store_invitation_create: t0038 links it with an
 * earlier version's library to write a store as that version did. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/num.h"
#include "store/store.h"

#define BATCH 200

static int arg(const char *s, int64_t max, int64_t *out)
{
	return num_parse(s, strlen(s), 0, max, out) == NUM_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct store_invitation inv[BATCH];
	static char opp[BATCH][48], name[BATCH][40], email[BATCH][64];
	struct conf *c = NULL;
	struct store *st = NULL;
	int64_t account, rule, campaign, from, count, now = clock_wall_ms();
	char err[512];
	int rc = 1;

	if (argc != 7 || arg(argv[2], UINT32_MAX, &account) || arg(argv[3], UINT32_MAX, &rule) ||
	    arg(argv[4], INT64_MAX, &campaign) || arg(argv[5], 99999999, &from) ||
	    arg(argv[6], 99999999, &count)) {
		fprintf(stderr, "usage: histseed CONFIG ACCOUNT RULE CAMPAIGN FROM COUNT\n");
		return 2;
	}
	log_init("histseed", LOG_LEVEL_WARN);
	if (conf_load(argv[1], &c, err, sizeof err) < 0 ||
	    store_open(c, &st, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "histseed: %s\n", err);
		goto out;
	}
	for (int64_t i = from; i < from + count;) {
		size_t n = 0;

		for (; n < BATCH && i < from + count; n++, i++) {
			struct store_invitation *v = &inv[n];
			int done = i % 10 != 0;

			memset(v, 0, sizeof *v);
			snprintf(opp[n], sizeof opp[n], "00000000-0000-4000-8000-%012lld", (long long)i);
			snprintf(name[n], sizeof name[n], "Candidate %lld", (long long)i);
			snprintf(email[n], sizeof email[n], "c%lld@history.example.com", (long long)i);
			v->account = (uint32_t)account;
			v->opportunity = opp[n];
			v->campaign = campaign;
			v->rule_id = (uint32_t)rule;
			v->state = "sent";
			v->email = email[n];
			v->name = name[n];
			v->test_id = 1000000000LL + i;
			v->sent_note = "posted";
			v->created_at = v->updated_at = v->sent_at = now - 86400000LL + i;
			v->next_poll_at = now + 7 * 86400000LL;
			if (done) {
				v->result_status = "completed";
				v->result_note = "posted";
				v->score = (double)(i * 37 % 101);
				v->tags_done = v->stage_done = 1;
			}
		}
#ifdef HISTSEED_ONE_BY_ONE
		for (size_t k = 0; k < n; k++)
			if (store_invitation_create(st, &inv[k]) != STORE_OK) {
				fprintf(stderr, "histseed: %s\n", store_last_error(st));
				goto out;
			}
#else
		if (store_invitation_create_many(st, inv, n) != STORE_OK) {
			fprintf(stderr, "histseed: %s\n", store_last_error(st));
			goto out;
		}
#endif
	}
	rc = 0;
out:
	store_close(st);
	conf_free(c);
	return rc;
}
