/* queue: runner lock, detached wake-up and the runner loop. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "domain/forget.h"
#include "domain/health.h"
#include "domain/invite.h"
#include "domain/pipeline.h"
#include "domain/queue.h"
#include "domain/reconcile.h"
#include "domain/results.h"

/* A runner waits for jobs due this soon instead of exiting. */
#define QUEUE_LINGER_MS 10000
/* A woken runner stays runner_linger_ms once its queue is empty, looking
 * every QUEUE_IDLE_POLL_MS: deliveries arriving meanwhile find its lock
 * taken and start no process, so a burst costs one runner, not one each. */
#define QUEUE_IDLE_POLL_MS 20
/* A working runner tidies the store (store_tidy) this often. */
#define QUEUE_TIDY_MS 1000

/* The waker hands its runner the lock it took (see queue_wake): the
 * descriptor's number, in this variable of the runner's environment. */
#define QUEUE_LOCK_ENV "CGLEVER_RUNNER_LOCK_FD"
#define QUEUE_LOCK_FD 3
#define STR_(x) #x
#define STR(x) STR_(x)

static void lock_path(const struct conf *c, uint32_t account, char *path, size_t len)
{
	snprintf(path, len, "%s/runner-%u.lock", c->db_home, account);
}

/* The lock this process was started with, if it is this account's:
 * the same file, and held (another flock on it would be refused). */
static int handed_lock(const struct conf *c, uint32_t account)
{
	const char *v = getenv(QUEUE_LOCK_ENV);
	char path[PATH_MAX];
	struct stat held, want;
	int fd;

	if (!v || strcmp(v, STR(QUEUE_LOCK_FD)) != 0)
		return -1;
	unsetenv(QUEUE_LOCK_ENV);   /* once: a later queue_lock takes its own */
	fd = QUEUE_LOCK_FD;
	lock_path(c, account, path, sizeof path);
	if (fstat(fd, &held) != 0 || stat(path, &want) != 0 || held.st_dev != want.st_dev ||
	    held.st_ino != want.st_ino || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int queue_lock(const struct conf *c, uint32_t account)
{
	char path[PATH_MAX];
	int fd;

	if ((fd = handed_lock(c, account)) >= 0)
		return fd;
	lock_path(c, account, path, sizeof path);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_err("runner lock %s: %s", path, strerror(errno));
		return -2;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int busy = errno == EWOULDBLOCK;

		if (!busy)
			log_err("runner lock %s: %s", path, strerror(errno));
		close(fd);
		return busy ? -1 : -2;
	}
	return fd;
}

void queue_unlock(int fd)
{
	if (fd >= 0)
		close(fd);   /* closing drops the flock */
}

static void close_from(int lowfd)
{
	struct rlimit rl;
	long max = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < 65536)
		max = (long)rl.rlim_cur;
	for (long fd = lowfd; fd < max; fd++)
		close((int)fd);
}

void queue_wake(const struct conf *c, uint32_t account)
{
	char id[16], env[PATH_MAX + 32];
	pid_t pid;
	int fd;

	/* The job is committed before this check, and a runner that runs
	 * out of jobs drops its lock before it looks a last time: a job
	 * committed while a runner holds the lock is taken by that runner or
	 * wakes a new one. A runner that stops holding the lock for another
	 * reason (runner_max_seconds, a disconnected account, a store error)
	 * or fails to start (logged) leaves such a job to the next wake or
	 * sweep. The lock taken here goes to the runner: while it starts
	 * (tens of ms: exec, configuration, store), other deliveries find
	 * the lock taken and start no second runner, whose store open would
	 * hold up every write for nothing. */
	fd = queue_lock(c, account);
	if (fd < 0)
		return;
	snprintf(id, sizeof id, "%u", account);
	snprintf(env, sizeof env, "CGLEVER_CONFIG=%s", c->path);
	pid = fork();
	if (pid < 0) {
		log_err("cannot start the queue runner: fork: %s", strerror(errno));
		queue_unlock(fd);
		return;
	}
	if (pid == 0) {
		char *argv[] = { c->ctl_path, "sweep", "--account", id, NULL };
		char *envp[] = { env, "PATH=/usr/bin:/bin", QUEUE_LOCK_ENV "=" STR(QUEUE_LOCK_FD), NULL };
		int null;

		/* Child: new session, then fork again so the runner is not
		 * our child (no zombie) and cannot get a controlling tty. */
		if (setsid() < 0 || (pid = fork()) < 0)
			_exit(1);
		if (pid > 0)
			_exit(0);
		null = open("/dev/null", O_RDWR);
		if (null < 0)
			_exit(1);
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		/* stderr stays: it is the web server's error log; the lock
		 * goes to descriptor 3 (dup2 clears close-on-exec). */
		if (fd != QUEUE_LOCK_FD && dup2(fd, QUEUE_LOCK_FD) < 0)
			_exit(1);
		if (fd == QUEUE_LOCK_FD)
			(void)fcntl(fd, F_SETFD, 0);
		close_from(QUEUE_LOCK_FD + 1);
		signal(SIGPIPE, SIG_DFL);
		execve(c->ctl_path, argv, envp);
		log_err("cannot start the queue runner %s: %s", c->ctl_path, strerror(errno));
		_exit(127);
	}
	queue_unlock(fd);   /* the runner holds it now */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int64_t queue_backoff_ms(int first_s, int attempts)
{
	int64_t ms = (int64_t)first_s * 1000;

	for (int i = 1; i < attempts && ms < 3600000; i++)
		ms *= 2;
	return ms > 3600000 ? 3600000 : ms;
}

/* Works a leased job: the dispatch on its kind. On PIPE_RETRY
 * *retry_after_s is a hint (-1: none). */
static enum pipe_result work(struct pipeline *p, const struct store_job *job,
			     char *err, size_t errlen, long *retry_after_s)
{
	enum pipe_result r;

	*retry_after_s = -1;
	err[0] = '\0';
	if (strcmp(job->kind, "stage_change") == 0)
		return invite_stage_change(p, job, err, errlen, retry_after_s);
	if (strcmp(job->kind, "forget") == 0)
		return forget_work(p, job, err, errlen);
	if (strcmp(job->kind, "check_test") == 0 || strcmp(job->kind, "poll") == 0) {
		if ((r = pipeline_authorize(p, 0, err, errlen)) != PIPE_DONE)
			return r;
		return strcmp(job->kind, "poll") == 0 ? results_poll(p, 1, err, errlen)
						      : results_check_test(p, job->test_id, err, errlen);
	}
	snprintf(err, errlen, "unknown job kind %s", job->kind);
	return PIPE_FAIL;
}

static void finish(const struct conf *c, struct store *st, struct store_job *job,
		   enum pipe_result r, const char *err, long retry_after,
		   struct queue_stats *stats)
{
	int64_t due;

	if (r == PIPE_PARK) {
		/* Not the job's fault: it waits, due again at once after a
		 * reconnect (the runner does not work a disconnected account). */
		log_warn("job %016llx (opportunity %s) waits: %s", (unsigned long long)job->id,
			 job->opportunity, err);
		if (store_job_reschedule(st, job, clock_wall_ms(), err) != STORE_OK)
			log_err("job %016llx: %s", (unsigned long long)job->id, store_last_error(st));
		return;
	}
	if (r == PIPE_DONE) {
		if (store_job_done(st, job) != STORE_OK)
			log_err("job %016llx done but not removed: %s",
				(unsigned long long)job->id, store_last_error(st));
		stats->done++;
		return;
	}
	if (r == PIPE_FAIL || job->attempts >= c->job_max_attempts) {
		log_err("job %016llx (opportunity %s) failed after %d tries: %s",
			(unsigned long long)job->id, job->opportunity, job->attempts, err);
		if (store_job_fail(st, job, err) != STORE_OK)
			log_err("job %016llx: %s", (unsigned long long)job->id, store_last_error(st));
		stats->failed++;
		return;
	}
	due = clock_wall_ms() + queue_backoff_ms(c->job_backoff_seconds, job->attempts);
	if (retry_after > 0 && clock_wall_ms() + retry_after * 1000 > due)
		due = clock_wall_ms() + retry_after * 1000;
	log_warn("job %016llx (opportunity %s) try %d failed, next in %llds: %s",
		 (unsigned long long)job->id, job->opportunity, job->attempts,
		 (long long)((due - clock_wall_ms()) / 1000), err);
	if (store_job_reschedule(st, job, due, err) != STORE_OK)
		log_err("job %016llx: %s", (unsigned long long)job->id, store_last_error(st));
	stats->retried++;
}

int queue_run(const struct conf *c, struct store *st, uint32_t account,
	      int recheck, int64_t deadline_us, struct queue_stats *stats)
{
	struct pipeline p;
	int lock, rc = 0, linger = !recheck;

	memset(stats, 0, sizeof *stats);
	lock = queue_lock(c, account);
	if (lock == -1)
		log_info("account %u: another runner is at work", account);
	if (lock < 0)
		return lock == -1 ? 0 : -1;
	if (pipeline_open(&p, c, st, account) < 0) {
		log_err("account %u: cannot load it: %s", account, store_last_error(st));
		queue_unlock(lock);
		return -1;
	}
	for (int64_t idle_until = 0, tidy_at = 0;;) {
		struct store_job *job = NULL;
		int64_t now = clock_wall_ms(), due = INT64_MAX;
		enum store_err se;

		if (now >= tidy_at) {   /* the runner does the store's chores */
			if (store_tidy(st) != STORE_OK)
				log_warn("account %u: %s", account, store_last_error(st));
			tidy_at = now + QUEUE_TIDY_MS;
		}

		if (p.acct->disconnected || p.parked) {
			log_info("account %u is disconnected from Lever: its jobs wait", account);
			break;
		}
		/* Between jobs, never inside one: a runner stopped mid-job
		 * (a signal) would leave the store to be recovered. */
		if (clock_mono_us() >= deadline_us) {
			log_info("account %u: runner_max_seconds (%d s) reached: stopping; "
				 "the next wake or sweep carries on", account, c->runner_max_seconds);
			break;
		}
		se = store_job_lease(st, account, now, (int64_t)c->job_lease_seconds * 1000,
				     &job, &due);
		if (se == STORE_OK) {
			char err[512];
			long retry_after = -1;
			enum pipe_result r = PIPE_RETRY;

			if (pipeline_reload(&p) < 0)
				snprintf(err, sizeof err, "cannot load the account: %.400s",
					 store_last_error(st));
			else
				r = work(&p, job, err, sizeof err, &retry_after);

			finish(c, st, job, r, err, retry_after, stats);
			store_job_free(job);
			idle_until = 0;
			continue;
		}
		if (se != STORE_NOTFOUND) {
			log_err("account %u: cannot take a job: %s", account, store_last_error(st));
			rc = -1;
			break;
		}
		if (due != INT64_MAX && due - now <= QUEUE_LINGER_MS) {
			int64_t ms = due - now + 1, left = (deadline_us - clock_mono_us()) / 1000 + 1;

			if (ms > left)   /* not past the deadline */
				ms = left > 0 ? left : 0;
			clock_sleep_ms(ms);
			continue;
		}
		if (recheck) {
			char err[512];
			int sent = invite_recheck_waiting(&p);

			if (sent > 0)
				log_info("account %u: %d waiting invitation(s) sent", account, sent);
			/* Results arrive even without a CodinGame callback. */
			if (!p.parked && results_poll(&p, 0, err, sizeof err) != PIPE_DONE)
				log_warn("account %u: polling results: %s", account, err);
			/* Stage changes no delivery brought: their jobs are worked next. */
			if (!p.parked)
				reconcile_run(&p);
			if (!p.parked && health_webhooks_check(&p, 0, err, sizeof err) != PIPE_DONE)
				log_warn("account %u: looking for the webhooks in Lever: %s", account, err);
			recheck = 0;
			continue;
		}
		if (!idle_until)   /* a woken runner lingers; a whole sweep does not */
			idle_until = now + (linger ? c->runner_linger_ms : 0);
		if (now < idle_until) {
			clock_sleep_ms(QUEUE_IDLE_POLL_MS);
			continue;
		}
		/* Drop the lock, then look again: a delivery committed while we
		 * held it saw the lock taken and did not start a runner. */
		queue_unlock(lock);
		lock = -1;
		if (store_job_next_due(st, account) > clock_wall_ms())
			break;
		lock = queue_lock(c, account);
		if (lock < 0)
			break;       /* another runner took over */
	}
	queue_unlock(lock);
	pipeline_close(&p);
	return rc;
}
