/* ratelimit: token bucket, process-local or shared through a file.
 * Sleeping is fine: the queue runners call Lever outside any request,
 * and an admin page that lists Lever's data waits its turn like them. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "net/ratelimit.h"

void ratelimit_init(struct ratelimit *rl, double rate, double burst)
{
	rl->rate = rate * RATELIMIT_HEADROOM;
	rl->burst = burst < 1 ? 1 : burst;
	/* Start with one token only: a process with a bucket of its own
	 * cannot know how many requests the previous runner of this account
	 * just made. */
	rl->tokens = 1;
	rl->last_us = clock_mono_us();
	rl->path[0] = '\0';
}

int ratelimit_share(struct ratelimit *rl, const char *db_home, uint32_t account)
{
	int n = snprintf(rl->path, sizeof rl->path, "%s/rate-%u.bucket", db_home, account);

	if (n < 0 || (size_t)n >= sizeof rl->path) {
		rl->path[0] = '\0';
		return -1;
	}
	return 0;
}

/* Refills *tokens for the time since *last_us, then takes one token,
 * which may leave the bucket below zero: a reservation. Returns how long
 * the caller waits for its token (0: at once). A clock behind *last_us
 * (the file written before a reboot) counts as a full bucket. */
static int64_t reserve(const struct ratelimit *rl, double *tokens, int64_t *last_us)
{
	int64_t now = clock_mono_us();

	if (now < *last_us)
		*tokens = rl->burst;
	else
		*tokens += (double)(now - *last_us) / 1e6 * rl->rate;
	if (*tokens > rl->burst)
		*tokens = rl->burst;
	*last_us = now;
	*tokens -= 1;
	return *tokens >= 0 ? 0 : (int64_t)(-*tokens / rl->rate * 1e6) + 1;
}

/* The shared bucket: {tokens, last_us} in the file, read and written
 * under an exclusive flock held only for the update (never while
 * sleeping). Returns the wait, or -1 when the file cannot be used. */
static int64_t reserve_shared(const struct ratelimit *rl)
{
	struct { double tokens; int64_t last_us; } b;
	int64_t wait = -1;
	int fd = open(rl->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX) == 0) {
		/* A new (or torn) file: a full bucket as of now. */
		if (pread(fd, &b, sizeof b, 0) != (ssize_t)sizeof b || b.tokens != b.tokens ||
		    b.tokens > rl->burst) {
			b.tokens = rl->burst;
			b.last_us = clock_mono_us();
		}
		wait = reserve(rl, &b.tokens, &b.last_us);
		if (pwrite(fd, &b, sizeof b, 0) != (ssize_t)sizeof b)
			wait = -1;
	}
	close(fd);   /* releases the lock */
	return wait;
}

void ratelimit_wait(struct ratelimit *rl)
{
	int64_t wait = -1;

	if (!rl || rl->rate <= 0)
		return;
	if (rl->path[0]) {
		wait = reserve_shared(rl);
		if (wait < 0) {
			log_warn("rate limit: cannot use %s; limiting this process only", rl->path);
			rl->path[0] = '\0';
		}
	}
	if (wait < 0)
		wait = reserve(rl, &rl->tokens, &rl->last_us);
	clock_sleep_ms((wait + 999) / 1000); /* rounded up: never early */
}
