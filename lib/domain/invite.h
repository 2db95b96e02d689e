/* invite: stage change -> invitation. For each rule matching a stage
 * change, one invitation, sent once; then its "test sent" note
 * (results). */
#ifndef CGLEVER_INVITE_H
#define CGLEVER_INVITE_H

#include <stddef.h>
#include "domain/pipeline.h"
#include "store/store.h"

/* Works a leased "stage_change" job. On PIPE_RETRY *retry_after_s is a
 * hint (-1: none; the caller sets it). Working a job twice is safe: each
 * invitation and note is recorded before its request leaves and looked up
 * after an unknown outcome. */
enum pipe_result invite_stage_change(struct pipeline *p, const struct store_job *job,
				     char *err, size_t errlen, long *retry_after_s);
/* Sends invitations that waited for an email, where one has appeared.
 * Returns the number sent, -1 on a store error. */
int invite_recheck_waiting(struct pipeline *p);

#endif
