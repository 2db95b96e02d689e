/* gate: see gate.h.
 *
 * Byte TURN is a turnstile every operation passes (shared, for an
 * instant) and an open holds (exclusive) while it waits, so that a
 * stream of operations cannot starve it. Byte ENV_BYTE(id) is held
 * shared for the whole operation by those working in environment id. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/gate.h"

#define TURN 0
#define ENV_BYTE(id) ((off_t)16 + (off_t)(id))
/* How long operations may stay under way once a process died, how often
 * to look for a dead one, and how often to try the lock. */
#define GATE_PATIENCE_MS 2000
#define GATE_LOOK_MS 100
#define POLL_MS 2

static int lock_byte(int fd, short type, off_t byte, int wait)
{
	struct flock fl;
	int ret;

	memset(&fl, 0, sizeof fl);   /* OFD locks want l_pid 0 */
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = byte;
	fl.l_len = 1;
	do
		ret = fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
	while (ret < 0 && errno == EINTR);
	return ret;
}

/* A lock that cannot be taken for another reason than a conflict (no
 * locks on this file system) leaves the gate open: said once. */
static void lock_failed(const char *what)
{
	static int said;

	if (!said++)
		log_err("store: gate.lock: %s: %s; recovery is not kept away from "
			"operations under way", what, strerror(errno));
}

int gate_open(struct gate *g, const char *home, char *err, size_t errlen)
{
	char path[PATH_MAX];

	g->depth = 0;
	g->excl = 0;
	g->env = -1;
	g->held = -1;
	if ((size_t)snprintf(path, sizeof path, "%s/gate.lock", home) >= sizeof path) {
		snprintf(err, errlen, "store %s: path too long", home);
		g->fd = -1;
		return -1;
	}
	g->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (g->fd < 0) {
		snprintf(err, errlen, "store %s: gate.lock: %s", home, strerror(errno));
		return -1;
	}
	return 0;
}

void gate_close(struct gate *g)
{
	if (g->fd >= 0)
		close(g->fd);   /* drops whatever it held */
	g->fd = -1;
	g->depth = 0;
	g->excl = 0;
	g->env = -1;
	g->held = -1;
}

void gate_enter(struct gate *g)
{
	if (g->fd < 0 || g->depth++ > 0 || g->excl || g->env < 0)
		return;
	if (lock_byte(g->fd, F_RDLCK, TURN, 1) != 0) {
		lock_failed("passing the turnstile");
		return;
	}
	if (lock_byte(g->fd, F_RDLCK, ENV_BYTE(g->env), 1) != 0)
		lock_failed("taking it shared");
	(void)lock_byte(g->fd, F_UNLCK, TURN, 0);
}

void gate_leave(struct gate *g)
{
	if (g->fd < 0 || g->depth == 0 || --g->depth > 0 || g->excl || g->env < 0)
		return;
	(void)lock_byte(g->fd, F_UNLCK, ENV_BYTE(g->env), 0);
}

void gate_lock(struct gate *g, long env, int (*dead)(void *), void *arg)
{
	int64_t now, next_look = 0, dead_since = -1;

	if (g->fd < 0 || g->excl)
		return;
	g->excl = 1;
	/* New operations stop at the turnstile... */
	if (lock_byte(g->fd, F_WRLCK, TURN, 1) != 0) {
		lock_failed("closing the turnstile");
		return;
	}
	if (env < 0)
		return;
	/* ...and those under way in env finish: as long as every process in
	 * the environment lives, however long they take (a backup, a slow
	 * disk). Once one is dead, the operations still under way may be
	 * stuck on a mutex it left locked, which only recovery releases (it
	 * panics the environment, and they give up without writing): they
	 * get GATE_PATIENCE_MS to finish first. Nothing is remembered. */
	while (lock_byte(g->fd, F_WRLCK, ENV_BYTE(env), 0) != 0) {
		if (errno != EAGAIN && errno != EACCES) {
			lock_failed("taking it exclusively");
			return;
		}
		now = clock_mono_us() / 1000;
		if (dead_since < 0 && now >= next_look) {
			if (next_look == 0)
				log_debug("store: waiting for the operations under way to finish");
			if (dead(arg))
				dead_since = now;
			next_look = now + GATE_LOOK_MS;
		}
		if (dead_since >= 0 && now - dead_since >= GATE_PATIENCE_MS) {
			log_warn("store: operations still under way %d s after a process of the "
				 "store died (stuck on its mutex?): recovering anyway",
				 GATE_PATIENCE_MS / 1000);
			return;
		}
		clock_sleep_ms(POLL_MS);
	}
	g->held = env;
}

void gate_unlock(struct gate *g, long env)
{
	if (g->fd < 0 || !g->excl)
		return;
	if (g->held >= 0)
		(void)lock_byte(g->fd, F_UNLCK, ENV_BYTE(g->held), 0);
	(void)lock_byte(g->fd, F_UNLCK, TURN, 0);
	g->held = -1;
	g->excl = 0;
	g->env = env;
}
