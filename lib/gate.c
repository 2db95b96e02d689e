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

#include "gate.h"
#include "log.h"

#define TURN 0
#define ENV_BYTE(id) ((off_t)16 + (off_t)(id))

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

void gate_lock(struct gate *g, long env)
{
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
	/* ...and those under way in env finish. The wait ends by liveness:
	 * the kernel drops a dead holder's lock, and a live one stuck on a
	 * mutex a killed process left locked is ended by its own stall
	 * watchdog (store.c). Nothing is remembered across opens. */
	if (lock_byte(g->fd, F_WRLCK, ENV_BYTE(env), 1) != 0) {
		lock_failed("taking it exclusively");
		return;
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
