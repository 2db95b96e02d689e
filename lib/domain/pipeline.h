/* pipeline: the context one runner works an account's jobs in (the
 * account, its Lever and CodinGame clients) and what the modules working
 * those jobs share. invite (stage change -> invitation) and results
 * (test -> result) use it; queue dispatches each job to one of them. */
#ifndef CGLEVER_PIPELINE_H
#define CGLEVER_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include "clients/codingame.h"
#include "base/conf.h"
#include "clients/lever.h"
#include "clients/leverauth.h"
#include "store/store.h"

struct pipeline {
	const struct conf *conf;          /* borrowed */
	struct store *st;                 /* borrowed */
	struct store_account *acct;       /* owned */
	struct lever lv;                  /* rate limited per account */
	struct codingame cg;
	int parked;                       /* the account lost its Lever grant, or has none */
	struct cg_campaign *camps;        /* owned, loaded on first use */
	size_t n_camps;
	int camps_loaded;
};

enum pipe_result {
	PIPE_DONE = 0,      /* finished (including "nothing to do") */
	PIPE_RETRY,         /* temporary failure: try again later */
	PIPE_FAIL,          /* final failure: keep the job as failed */
	PIPE_PARK           /* the account lost its Lever grant: keep the job
			       for after a reconnect, stop working the account */
};

/* Loads the account; -1 when it is unknown or the store fails. */
int pipeline_open(struct pipeline *p, const struct conf *c, struct store *st,
		  uint32_t account);
/* Takes the account as stored now (0, or -1: p unchanged): a runner
 * outlives edits made meanwhile (a CodinGame key saved, a reconnect,
 * tokens another process refreshed), and a job must not run on the copy
 * the runner loaded when it started. */
int pipeline_reload(struct pipeline *p);
void pipeline_close(struct pipeline *p);

/* Valid Lever credentials for the next calls (force: after a 401). */
enum pipe_result pipeline_authorize(struct pipeline *p, enum auth_force force, char *err, size_t errlen);
/* After a Lever call returned e: 1 when the caller should make it again
 * with new credentials (do ... while; *auth_try starts at 0). */
int pipeline_reauthorize(struct pipeline *p, enum lever_err e, int *auth_try);
/* The job's outcome after a Lever call returned e: PIPE_PARK once the
 * account is parked, PIPE_DONE for LEVER_OK; err says why. */
enum pipe_result pipeline_from_lever(struct pipeline *p, enum lever_err e, char *err,
				     size_t errlen, long *retry_after_s);
enum pipe_result pipeline_from_cg(struct pipeline *p, enum cg_err e, char *err, size_t errlen);
void pipeline_set_str(char **slot, const char *v);
/* Saves inv (updated_at set). */
enum pipe_result pipeline_save(struct pipeline *p, struct store_invitation *inv,
			       char *err, size_t errlen);
/* Posts text on inv's opportunity once: *state goes "" -> "posting"
 * (saved before the request leaves) -> "posted". After an unknown outcome
 * the notes are searched for marker (which text must contain) instead of
 * posting again. */
enum pipe_result pipeline_note_once(struct pipeline *p, struct store_invitation *inv,
				    char **state, const char *text, const char *marker,
				    char *err, size_t errlen);
/* The campaign's name from CodinGame (cached per runner), or NULL. */
const char *pipeline_campaign_name(struct pipeline *p, int64_t campaign);
/* The pause before try+1 of a request retried in place (try >= 1):
 * 0.5 s, 1.5 s, 2.5 s, ... */
void pipeline_pause(int try);

#endif
