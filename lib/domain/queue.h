/* queue: the per-account queue runner. One runner per account at a time
 * (an flock on db_home/runner-<id>.lock, released by the kernel if the
 * runner dies); jobs are leased in the store so a killed runner's job is
 * taken again after the lease. */
#ifndef CGLEVER_QUEUE_H
#define CGLEVER_QUEUE_H

#include <stdint.h>
#include "base/conf.h"
#include "store/store.h"

/* Takes the account's runner lock without waiting: fd >= 0 when taken,
 * -1 when another process holds it, -2 on error. */
int queue_lock(const struct conf *c, uint32_t account);
void queue_unlock(int fd);

/* Starts `cglever-ctl sweep --account ID` fully detached (double fork,
 * setsid, descriptors closed) unless a runner already holds the lock.
 * Never waits on the runner. */
void queue_wake(const struct conf *c, uint32_t account);

struct queue_stats { int done, retried, failed; };

/* The runner: works the account's due jobs in order, waits for jobs due
 * within a few seconds, exits when nothing is due. With recheck (a whole
 * sweep), also sends invitations whose candidate gained an email and
 * polls results; without (a runner woken by a delivery), it first stays
 * runner_linger_ms for more deliveries. Once deadline_us (clock_mono_us)
 * has passed it takes no further job and returns; the jobs left wait for
 * the next wake or sweep. Returns -1 when the account cannot be loaded,
 * 0 otherwise (also when another runner holds the lock). */
int queue_run(const struct conf *c, struct store *st, uint32_t account,
	      int recheck, int64_t deadline_us, struct queue_stats *stats);

/* Backoff before try n+1 (n >= 1) in ms: first_s (job_backoff_seconds),
 * doubling, capped at 1 h. */
int64_t queue_backoff_ms(int first_s, int attempts);

#endif
