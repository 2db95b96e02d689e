/* ratelimit: token bucket; sleeping is fine because only queue runners
 * (never FastCGI request handlers) call Lever. */
#include <time.h>

#include "ratelimit.h"

int64_t clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ratelimit_init(struct ratelimit *rl, double rate, double burst)
{
	rl->rate = rate;
	rl->burst = burst < 1 ? 1 : burst;
	/* Start with one token only: a new process cannot know how many
	 * requests the previous runner of this account just made. */
	rl->tokens = 1;
	rl->last_us = clock_mono_us();
}

void ratelimit_wait(struct ratelimit *rl)
{
	if (!rl || rl->rate <= 0)
		return;
	for (;;) {
		int64_t now = clock_mono_us();
		double wait_s;
		struct timespec ts;

		rl->tokens += (double)(now - rl->last_us) / 1e6 * rl->rate;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
		rl->last_us = now;
		if (rl->tokens >= 1) {
			rl->tokens -= 1;
			return;
		}
		wait_s = (1 - rl->tokens) / rl->rate;
		ts.tv_sec = (time_t)wait_s;
		ts.tv_nsec = (long)((wait_s - (double)ts.tv_sec) * 1e9) + 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		nanosleep(&ts, NULL);
	}
}
