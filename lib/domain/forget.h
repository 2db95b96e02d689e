/* forget: removing a person's data from the store (issue 16 item 5).
 * Three ways in, one way of forgetting an invitation: Lever's
 * candidateDeleted (a "forget" job), `cglever-ctl forget --email` (a
 * data-subject request) and retention_days (the sweep).
 *
 * Forgetting an invitation: its unstarted CodinGame test is cancelled
 * (and deleted with the account's forget_deletes_test), then email,
 * name, test_url, error, tech_scores, contact and the test id are
 * removed from the record and forgotten_at is set. What stays, holding
 * no person: the key (account, Lever opportunity id, campaign), so a
 * late stage change for the opportunity sends nothing again; the state
 * ("sent" stays "sent", so the Campaigns counts stay; any other becomes
 * "forgotten"), the times, the score and the note/tag progress markers
 * (states like "posted", never text). The history indexes hold only
 * invitation keys and counts. */
#ifndef CGLEVER_FORGET_H
#define CGLEVER_FORGET_H

#include <stddef.h>
#include <stdint.h>
#include "domain/pipeline.h"

struct forget_tally {
	int forgotten;     /* invitations whose personal data was removed */
	int cancelled;     /* tests cancelled at CodinGame (not started) */
	int deleted;       /* tests deleted at CodinGame (forget_deletes_test) */
	int left;          /* tests left as they were: started or finished */
};

/* The "forget" job of a candidateDeleted delivery: every invitation of
 * the account for job->opportunity or job->candidate, or whose contact
 * is job->contact, is forgotten, and the account's pending stage_change
 * and check_test jobs of those opportunities are dropped. One audit line
 * (ids and counts). PIPE_RETRY when CodinGame or the store failed (the
 * personal data is removed all the same; the retry cancels the test). */
enum pipe_result forget_work(struct pipeline *p, const struct store_job *job, char *err,
			     size_t errlen);

/* 1 when s looks like one email address (what `forget --email` takes):
 * 3..320 bytes, one '@' with text both sides, no space or control. */
int forget_email_ok(const char *s);
/* A data-subject request for p's account (the caller holds its runner
 * lock): every invitation whose email is email, compared without case,
 * is forgotten; one audit line naming no person when any was. */
enum pipe_result forget_email(struct pipeline *p, const char *email, struct forget_tally *t,
			      char *err, size_t errlen);

/* retention_days: at most once a day (the mtime of db_home/retention-pass
 * says when the last complete pass was), the personal data of finished
 * invitations (result posted, or failed) last changed more than
 * retention_days ago is removed, without any call to CodinGame, at most
 * FORGET_RETENTION_BATCH a sweep (a pass that stops there is carried on
 * by the next sweep). Returns how many were forgotten, -1 on a store
 * error (logged). */
#define FORGET_RETENTION_BATCH 500
int forget_retention(const struct conf *c, struct store *st, int64_t now);

#endif
