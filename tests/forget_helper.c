/* forget_helper: what t0044-forget sets up through the store's public API
 * where cglever has no command for it:
 *   forget_helper DB_HOME SECRET deletes-test ACCOUNT on|off
 *       sets the account's forget_deletes_test option (store_account_update);
 *   forget_helper DB_HOME SECRET finished ACCOUNT OPP EMAIL NAME DAYS_AGO
 *       writes a finished invitation (result posted) last changed DAYS_AGO
 *       days ago, as a test that ended long ago leaves it (retention). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

static int set_option(struct store_account *cur, void *arg)
{
	cur->forget_deletes_test = *(int *)arg;
	return 0;
}

static int finished(struct store *st, char **argv)
{
	struct timespec ts;
	int64_t now, at;
	struct store_invitation inv;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	at = now - (int64_t)atoi(argv[8]) * 86400000;
	memset(&inv, 0, sizeof inv);
	inv.account = (uint32_t)atoi(argv[4]);
	inv.opportunity = argv[5];
	inv.campaign = 1;
	inv.state = "sent";
	inv.email = argv[6];
	inv.name = argv[7];
	inv.test_url = "https://cg.example/t/1";
	inv.created_at = inv.sent_at = inv.started_at = at - 3600000;
	inv.updated_at = inv.finished_at = at;
	inv.sent_note = inv.result_note = "posted";
	inv.result_status = "completed";
	inv.score = 80;
	inv.tags_done = inv.stage_done = 1;
	inv.tech_scores = "C\t80%\n";
	return store_invitation_put(st, &inv) == STORE_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct conf c;
	struct store *st = NULL;
	char err[512];
	int rc, on;

	if (!(argc == 6 && strcmp(argv[3], "deletes-test") == 0) &&
	    !(argc == 9 && strcmp(argv[3], "finished") == 0)) {
		fprintf(stderr, "usage: see forget_helper.c\n");
		return 2;
	}
	memset(&c, 0, sizeof c);
	c.db_home = argv[1];
	c.secret = argv[2];
	if (store_open(&c, &st, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "forget_helper: %s\n", err);
		return 1;
	}
	on = argc == 6 && strcmp(argv[5], "on") == 0;
	rc = argc == 6 ? store_account_update(st, (uint32_t)atoi(argv[4]), set_option, &on) !=
				 STORE_OK
		       : finished(st, argv);
	if (rc)
		fprintf(stderr, "forget_helper: %s\n", store_last_error(st));
	store_close(st);
	return rc;
}
