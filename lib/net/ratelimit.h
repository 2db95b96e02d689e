/* ratelimit: a token bucket that sleeps the caller, for outbound calls.
 * Shared (ratelimit_share), the bucket lives in a small file that every
 * process calling the same Lever account updates under flock: the queue
 * runners, the cron sweep and the admin pages then keep ONE limit
 * between them. */
#ifndef CGLEVER_RATELIMIT_H
#define CGLEVER_RATELIMIT_H

#include <limits.h>
#include <stdint.h>

struct ratelimit {
	double rate;       /* tokens per second; 0 = unlimited */
	double burst;      /* bucket size */
	double tokens;     /* the process-local bucket (no shared file) */
	int64_t last_us;   /* monotonic microseconds of the last refill */
	char path[PATH_MAX]; /* the shared bucket's file; "" = this process only */
};

/* Requests are spaced for this share of the rate: the time between our
 * clock and the arrival at Lever varies (scheduling, the network), and
 * the spare tenth keeps any one second of arrivals within the rate. */
#define RATELIMIT_HEADROOM 0.9

void ratelimit_init(struct ratelimit *rl, double rate, double burst);
/* From now on rl takes its tokens from db_home/rate-<account>.bucket,
 * shared with every process that shares it. Returns 0, or -1 (the path
 * does not fit; rl stays local to this process). */
int ratelimit_share(struct ratelimit *rl, const char *db_home, uint32_t account);
/* Blocks until a token is available, then takes it. NULL = no limit. */
void ratelimit_wait(struct ratelimit *rl);

#endif
