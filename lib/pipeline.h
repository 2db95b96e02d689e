/* pipeline: stage change -> invitation. Works one job for one account,
 * with the account's Lever and CodinGame clients. */
#ifndef CGLEVER_PIPELINE_H
#define CGLEVER_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include "codingame.h"
#include "conf.h"
#include "lever.h"
#include "store.h"

struct pipeline {
	const struct conf *conf;          /* borrowed */
	struct store *st;                 /* borrowed */
	struct store_account *acct;       /* owned */
	struct lever lv;                  /* rate limited per account */
	struct codingame cg;
	int parked;                       /* the account lost its Lever grant */
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
void pipeline_close(struct pipeline *p);
/* Works a leased job. On PIPE_RETRY *retry_after_s is a hint (-1: none). */
enum pipe_result pipeline_work(struct pipeline *p, const struct store_job *job,
			       char *err, size_t errlen, long *retry_after_s);
/* Sends invitations that waited for an email, where one has appeared.
 * Returns the number sent, -1 on a store error. */
int pipeline_recheck_waiting(struct pipeline *p);

#endif
