/* commitprobe: the store's own durable commit rate, the limit for webhook
 * intake in make bench.
 *
 *   commitprobe [--procs N] [--seconds S] CONFIG
 *	N processes (default 1) each open the store of CONFIG (lib/store/:
 *	the same transactional, encrypted environment in System V shared
 *	memory) and, for S seconds (default 3), record one delivery and its
 *	job per transaction with store_delivery_accept(), exactly what
 *	webhook.fcgi commits for a stage change, durably (synchronous
 *	commit). Prints commits, commits/s and commit latency percentiles.
 *   commitprobe --fsync DIR [--seconds S]
 *	One process appending 256 bytes and calling fdatasync() in a loop
 *	in DIR: what the disk under db_home gives a single committer.
 *
 * Output: one line of key=value pairs, for bench/run.sh. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/conf.h"
#include "base/log.h"
#include "store/store.h"

#define MAX_SAMPLES 400000   /* per process; more commits are counted, not timed */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* n random characters from [0-9A-Za-z] (n < 64). */
static void random_chars(char *out, size_t n)
{
	static const char alpha[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	unsigned char b[64];
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(b + got, n - got, 0);

		if (r < 0 && errno != EINTR)
			abort();
		if (r > 0)
			got += (size_t)r;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = alpha[b[i] % 62];
	out[n] = '\0';
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

struct tally {
	long commits, errors;
	long nsamples;
};

/* One committing process: opens the store, says ready, waits for go,
 * commits for `seconds`, reports on out. */
static void child(const struct conf *c, double seconds, int ready, int go, int out)
{
	struct store *st = NULL;
	struct tally t = { 0, 0, 0 };
	double *lat = malloc(MAX_SAMPLES * sizeof *lat);
	char err[1024], token[49], opp[37], b;
	double end;

	if (!lat || store_open(c, &st, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "commitprobe: %s\n", lat ? err : "out of memory");
		_exit(1);
	}
	if (write_all(ready, "r", 1) < 0 || read_all(go, &b, 1) < 0)
		_exit(1);
	end = now_s() + seconds;
	while (now_s() < end) {
		struct store_job job;
		int64_t now = wall_ms();
		double t0;
		enum store_err se;

		random_chars(token, 48);
		random_chars(opp, 36);
		memset(&job, 0, sizeof job);
		job.kind = "stage_change";
		job.opportunity = opp;
		job.from_stage = "stage-applied";
		job.to_stage = "stage-onsite";
		job.account = 1;
		job.due = now;
		job.triggered_at = now;
		job.created_at = now;
		t0 = now_s();
		se = store_delivery_accept(st, 1, token, now, &job);
		if (se != STORE_OK) {
			if (t.errors++ < 3)
				fprintf(stderr, "commitprobe: %s\n", store_last_error(st));
			continue;
		}
		if (t.nsamples < MAX_SAMPLES)
			lat[t.nsamples++] = (now_s() - t0) * 1000.0;
		t.commits++;
	}
	store_close(st);
	if (write_all(out, &t, sizeof t) < 0 ||
	    write_all(out, lat, (size_t)t.nsamples * sizeof *lat) < 0)
		_exit(1);
	_exit(0);
}

static int probe_store(const char *config, int procs, double seconds)
{
	struct conf *c = NULL;
	char err[1024];
	int ready[2], go[2], *outs = calloc((size_t)procs, sizeof *outs);
	pid_t *pids = calloc((size_t)procs, sizeof *pids);
	double *all = NULL, t0, wall;
	long commits = 0, errors = 0, nall = 0;
	int rc = 0;
	char b;

	if (!outs || !pids)
		return 1;
	if (conf_load(config, &c, err, sizeof err) < 0) {
		fprintf(stderr, "commitprobe: %s\n", err);
		return 1;
	}
	/* Create the environment once, so that N first openers do not race
	 * to create it (the webhook's processes find it made, too). */
	{
		struct store *st = NULL;

		if (store_open(c, &st, err, sizeof err) != STORE_OK) {
			fprintf(stderr, "commitprobe: %s\n", err);
			return 1;
		}
		store_close(st);
	}
	if (pipe(ready) < 0 || pipe(go) < 0)
		return 1;
	for (int i = 0; i < procs; i++) {
		int p[2];

		if (pipe(p) < 0 || (pids[i] = fork()) < 0) {
			perror("commitprobe");
			return 1;
		}
		if (pids[i] == 0) {
			close(p[0]);
			child(c, seconds, ready[1], go[0], p[1]);
		}
		close(p[1]);
		outs[i] = p[0];
	}
	for (int i = 0; i < procs; i++)
		if (read_all(ready[0], &b, 1) < 0) {
			fprintf(stderr, "commitprobe: a process could not open the store\n");
			return 1;
		}
	t0 = now_s();
	for (int i = 0; i < procs; i++)
		(void)write_all(go[1], "g", 1);
	for (int i = 0; i < procs; i++) {
		struct tally t;
		double *more;

		if (read_all(outs[i], &t, sizeof t) < 0) {
			fprintf(stderr, "commitprobe: process %d died\n", i);
			rc = 1;
			continue;
		}
		commits += t.commits;
		errors += t.errors;
		if (!(more = realloc(all, (size_t)(nall + t.nsamples + 1) * sizeof *all)) ||
		    read_all(outs[i], more + nall, (size_t)t.nsamples * sizeof *more) < 0)
			return 1;
		all = more;
		nall += t.nsamples;
	}
	wall = now_s() - t0;
	for (int i = 0; i < procs; i++)
		waitpid(pids[i], NULL, 0);
	qsort(all, (size_t)nall, sizeof *all, cmp_double);
	printf("mode=store procs=%d commits=%ld errors=%ld seconds=%.3f per_s=%.1f "
	       "p50_ms=%.3f p99_ms=%.3f\n", procs, commits, errors, wall,
	       (double)commits / wall, pct(all, (size_t)nall, 50), pct(all, (size_t)nall, 99));
	free(all);
	conf_free(c);
	return rc || errors;
}

static int probe_fsync(const char *dir, double seconds)
{
	char path[4096], buf[256];
	double *lat = malloc(MAX_SAMPLES * sizeof *lat), t0, end;
	long n = 0;
	int fd;

	snprintf(path, sizeof path, "%s/fsync-probe.%ld", dir, (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (fd < 0 || !lat) {
		perror(path);
		return 1;
	}
	memset(buf, 'x', sizeof buf);
	t0 = now_s();
	end = t0 + seconds;
	while (now_s() < end) {
		double s = now_s();

		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || fdatasync(fd) < 0) {
			perror(path);
			return 1;
		}
		if (n < MAX_SAMPLES)
			lat[n] = (now_s() - s) * 1000.0;
		n++;
	}
	end = now_s() - t0;
	close(fd);
	unlink(path);
	qsort(lat, (size_t)(n < MAX_SAMPLES ? n : MAX_SAMPLES), sizeof *lat, cmp_double);
	printf("mode=fsync procs=1 commits=%ld errors=0 seconds=%.3f per_s=%.1f p50_ms=%.3f "
	       "p99_ms=%.3f\n", n, end, (double)n / end,
	       pct(lat, (size_t)(n < MAX_SAMPLES ? n : MAX_SAMPLES), 50),
	       pct(lat, (size_t)(n < MAX_SAMPLES ? n : MAX_SAMPLES), 99));
	free(lat);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: commitprobe [--procs N] [--seconds S] CONFIG\n"
			"       commitprobe --fsync DIR [--seconds S]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *fsync_dir = NULL, *config = NULL;
	int procs = 1;
	double seconds = 3;

	signal(SIGPIPE, SIG_IGN);
	log_init("commitprobe", LOG_LEVEL_WARN);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--procs") == 0 && i + 1 < argc)
			procs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--fsync") == 0 && i + 1 < argc)
			fsync_dir = argv[++i];
		else if (argv[i][0] != '-' && !config)
			config = argv[i];
		else
			usage();
	}
	if (procs < 1 || procs > 256 || seconds <= 0 || seconds > 600)
		usage();
	if (fsync_dir)
		return probe_fsync(fsync_dir, seconds);
	if (!config)
		usage();
	return probe_store(config, procs, seconds);
}
