/* clock: the one home of reading the clocks and of sleeping. */
#ifndef CGLEVER_CLOCK_H
#define CGLEVER_CLOCK_H

#include <stdint.h>

/* Monotonic microseconds (for intervals and deadlines). */
int64_t clock_mono_us(void);
/* Wall-clock milliseconds since the epoch (for what is stored or shown). */
int64_t clock_wall_ms(void);
/* Sleeps ms milliseconds, resuming after signals; ms <= 0 returns at once. */
void clock_sleep_ms(int64_t ms);

#endif
