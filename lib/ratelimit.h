/* ratelimit: a token bucket that sleeps the caller, for outbound calls. */
#ifndef CGLEVER_RATELIMIT_H
#define CGLEVER_RATELIMIT_H

#include <stdint.h>

struct ratelimit {
	double rate;       /* tokens per second; 0 = unlimited */
	double burst;      /* bucket size */
	double tokens;
	int64_t last_us;   /* monotonic microseconds of the last refill */
};

void ratelimit_init(struct ratelimit *rl, double rate, double burst);
/* Blocks until a token is available, then takes it. NULL = no limit. */
void ratelimit_wait(struct ratelimit *rl);
/* Monotonic and wall clocks. */
int64_t clock_mono_us(void);
int64_t clock_wall_ms(void);

#endif
