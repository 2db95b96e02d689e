/* run: the transaction runner every store operation goes through, its
 * stall watchdog, the id counters and the list walk (see env.c for why
 * no process ever sleeps inside Berkeley DB waiting for a lock). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "store/store_int.h"

#define LOCK_PATIENCE_MS 3000            /* a live holder never keeps a lock this long */

int random_id(uint64_t *out)
{
	uint64_t v = 0;
	size_t got = 0;

	while (got < sizeof v) {
		ssize_t n = getrandom((unsigned char *)&v + got, sizeof v - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		got += (size_t)n;
	}
	*out = v ? v : 1;
	return 0;
}

static int64_t mono_ms(void) { return clock_mono_us() / 1000; }

/* ------------------------------------------------------ stall watchdog */

/* A process SIGKILLed inside one of Berkeley DB's own critical sections
 * leaves its mutex locked for good, and whoever waits on it sleeps
 * forever: no timeout exists for those waits. So every store operation
 * runs under a deadline; one that has not returned after STALL_SECONDS
 * is stuck that way, and the process exits (75, EX_TEMPFAIL). The web
 * server starts a new one, Lever retries the delivery, the next runner
 * takes the job; the next process to open the environment frees what
 * the stuck one held. A thread checks the deadline once a second, so an
 * operation costs two memory writes and no system call (a timer
 * re-armed per operation cost two). */
static _Atomic int64_t stall_deadline;   /* monotonic ms; 0: nothing under way */
static int stall_armed;   /* 0: no watchdog thread (creation failed) */
static const char *volatile stall_what = "opening the store";

static void on_stall(void)
{
	static const char msg1[] = "cglever: a store operation (";
	static const char msg2[] = ") stalled for 30 s (a killed process's lock?); "
		"exiting to be replaced\n";
	const char *what = stall_what;

	(void)!write(STDERR_FILENO, msg1, sizeof msg1 - 1);
	(void)!write(STDERR_FILENO, what, strlen(what));
	(void)!write(STDERR_FILENO, msg2, sizeof msg2 - 1);
	_exit(75);
}

static void *stall_watch(void *unused)
{
	(void)unused;
	for (;;) {
		int64_t d;

		clock_sleep_ms(1000);
		d = atomic_load(&stall_deadline);
		if (d && mono_ms() >= d)
			on_stall();
	}
	return NULL;
}

/* A forked child has no watchdog thread: its next store_open starts one. */
static void stall_forked(void) { stall_armed = 0; }

void stall_init(void)
{
	static int atfork;
	sigset_t all, old;
	pthread_t t;
	int ret;

	if (stall_armed)
		return;
	if (!atfork && pthread_atfork(NULL, NULL, stall_forked) == 0)
		atfork = 1;
	/* Signals stay with the main thread (its handlers, alarm()). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = pthread_create(&t, NULL, stall_watch, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret == 0) {
		pthread_detach(t);
		stall_armed = 1;
	} else {
		log_warn("store: no stall watchdog: %s", strerror(ret));
	}
}

void stall_set(const char *what, int seconds)
{
	if (what)
		stall_what = what;
	atomic_store(&stall_deadline, seconds ? mono_ms() + (int64_t)seconds * 1000 : 0);
}

/* ------------------------------------------------------------ the runner */

/* 0.5 to 1.5 times 0.1, 0.2, 0.4 ... 12.8, 12.8... ms: random so that
 * the processes wanting one lock spread out. Short at first: a write
 * transaction holds its locks for well under a millisecond (which is
 * why this sleeps in microseconds, below clock_sleep_ms). */
void backoff(int tries)
{
	uint64_t r = 0;
	long base = 100L << (tries < 7 ? tries : 7);   /* microseconds */
	long us;
	struct timespec ts;

	(void)random_id(&r);
	us = base / 2 + (long)(r % (uint64_t)base);
	ts.tv_sec = 0;
	ts.tv_nsec = us * 1000L;
	nanosleep(&ts, NULL);
}

static int attempt_in(struct store *st, enum run_mode mode, op_fn fn, void *arg)
{
	DB_TXN *txn = NULL;
	u_int32_t flags = DB_TXN_NOWAIT | (mode == RUN_READ ? DB_READ_COMMITTED : 0);
	int ret;

	if (mode != RUN_NOTXN && mode != RUN_COPY &&
	    (ret = st->env->txn_begin(st->env, NULL, &txn, flags)) != 0)
		return ret;
	ret = fn(st, txn, arg);
	if (!txn)
		return ret;
	if (ret != 0) {
		(void)txn->abort(txn);
		return ret;
	}
	/* Default: synchronous, durable. */
	return txn->commit(txn, mode == RUN_TXN_LAZY || mode == RUN_TXN_FLUSH ?
			   DB_TXN_WRITE_NOSYNC : 0);
}

/* Reads pass the gate by: they write no log, so recovery has nothing of
 * theirs to overwrite, and one caught by recovery fails with
 * DB_RUNRECOVERY and runs again in the new environment. */
static int attempt(struct store *st, enum run_mode mode, op_fn fn, void *arg)
{
	int ret, gated = mode != RUN_READ && mode != RUN_COPY;

	if (gated)
		gate_enter(&st->gate);
	ret = attempt_in(st, mode, fn, arg);
	/* A key already there is flushed too: its first commit may still be
	 * on its way to the disk. */
	if (mode == RUN_TXN_FLUSH && (ret == 0 || ret == DB_KEYEXIST)) {
		int f = st->env->log_flush(st->env, NULL);

		if (f != 0)
			ret = f;
	}
	if (gated)
		gate_leave(&st->gate);
	return ret;
}

static enum store_err run_watched(struct store *st, const char *what, enum run_mode mode,
				  op_fn fn, void *arg)
{
	int ret = 0, reopened = 0, checked = 0, tries = 0;
	int64_t give_up = mono_ms() + LOCK_PATIENCE_MS;

	for (;;) {
		if (!st->env) {   /* an earlier reopen failed: try again */
			reopened = 1;
			if (env_open(st) != 0)
				return STORE_ERR;
		}
		ret = attempt(st, mode, fn, arg);
		if (ret == DB_LOCK_NOTGRANTED || ret == DB_LOCK_DEADLOCK) {
			if (mono_ms() < give_up) {
				backoff(tries++);
				continue;
			}
			/* Held too long: maybe by a killed process. failchk
			 * frees what dead processes held, in place. */
			if (!checked) {
				checked = 1;
				gate_enter(&st->gate);
				ret = st->env->failchk(st->env, 0);
				gate_leave(&st->gate);
				if (ret == 0) {
					tries = 0;
					give_up = mono_ms() + LOCK_PATIENCE_MS;
					continue;
				}
				log_warn("store: %s: failchk: %s", what, db_strerror(ret));
			}
			if (!reopened) {
				reopened = 1;
				if (reopen(st, what, ret) != 0)
					return STORE_ERR;
				tries = 0;
				give_up = mono_ms() + LOCK_PATIENCE_MS;
				continue;
			}
		}
		/* Another process ran recovery: the environment is new. */
		if (ret == DB_RUNRECOVERY && !reopened) {
			reopened = 1;
			if (reopen(st, what, ret) != 0)
				return STORE_ERR;
			continue;
		}
		break;
	}
	switch (ret) {
	case 0: return STORE_OK;
	case DB_NOTFOUND: return STORE_NOTFOUND;
	case DB_KEYEXIST: return STORE_EXISTS;
	case ERR_SET: return STORE_ERR;
	}
	set_err(st, "%s: %s", what, db_strerror(ret));
	return STORE_ERR;
}

enum store_err run(struct store *st, const char *what, enum run_mode mode, op_fn fn, void *arg)
{
	enum store_err e;

	/* A checkpoint or a backup of a big store may take minutes. */
	stall_set(what, mode == RUN_NOTXN || mode == RUN_COPY ? 15 * 60 : STALL_SECONDS);
	e = run_watched(st, what, mode, fn, arg);
	stall_set(NULL, 0);
	return e;
}

/* -------------------------------------------------------------- counters */

int next_id(struct store *st, DB_TXN *txn, const char *name, uint32_t *out)
{
	DB *db = st->db[T_META];
	DBT k = dbt(name, strlen(name)), v = dbt(NULL, 0);
	unsigned char buf[4];
	uint32_t id = 1;
	int ret;

	ret = db->get(db, txn, &k, &v, DB_RMW);
	if (ret == 0) {
		if (v.size != 4) {
			set_err(st, "corrupt counter %s in meta", name);
			return ERR_SET;
		}
		id = get_be32(v.data);
	} else if (ret != DB_NOTFOUND)
		return ret;
	if (id == 0 || id == UINT32_MAX) {
		set_err(st, "counter %s exhausted", name);
		return ERR_SET;
	}
	put_be32(buf, id + 1);
	v = dbt(buf, 4);
	if ((ret = db->put(db, txn, &k, &v, 0)) != 0)
		return ret;
	*out = id;
	return 0;
}

/* ------------------------------------------------------------ list walks */

/* The list is a void * here and only the take functions write its
 * elements, with their own type. */
int walk(struct store *st, DB_TXN *txn, struct walk *w)
{
	DB *db = st->db[w->t];
	DBC *c = NULL;
	DBT k = dbt(w->prefix, w->prefix ? w->prefix_len : 0), v = dbt(NULL, 0);
	u_int32_t flag = w->prefix ? DB_SET_RANGE : w->backwards ? DB_LAST : DB_FIRST;
	size_t cap = 0, elem = sizeof(void *);
	int ret, t_ret;

	w->list = NULL;
	w->n = 0;
	w->skipped = 0;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	while ((!w->limit || w->n < w->limit) && (ret = c->get(c, &k, &v, flag)) == 0) {
		flag = w->backwards ? DB_PREV : DB_NEXT;
		if (w->prefix && (k.size < w->prefix_len ||
				  memcmp(k.data, w->prefix, w->prefix_len) != 0))
			break;
		if (buf_reserve(&w->list, &cap, w->n + 1, elem) != 0) {
			ret = ENOMEM;
			break;
		}
		ret = w->take(st, &k, &v, w, (char *)w->list + w->n * elem);
		if (ret == WALK_SKIP)
			ret = 0;
		else if (ret != 0)
			break;
		else
			w->n++;
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	if (w->n == 0) {   /* every record skipped: an empty list is NULL */
		free(w->list);
		w->list = NULL;
	}
	return ret;
}

static int op_walk(struct store *st, DB_TXN *txn, void *p)
{
	struct walk *w = p;

	rec_list_free(w->type, w->list, w->n);   /* an earlier attempt's */
	return walk(st, txn, w);
}

enum store_err run_walk(struct store *st, const char *what, struct walk *w, void *out,
			size_t *n)
{
	void *none = NULL;
	enum store_err e;

	w->list = NULL;
	w->n = 0;
	e = run(st, what, RUN_READ, op_walk, w);
	if (e != STORE_OK) {
		rec_list_free(w->type, w->list, w->n);
		w->list = NULL;
		w->n = 0;
	}
	/* out is a struct X ***: the pointer is copied, not stored as a void *. */
	memcpy(out, w->list ? &w->list : &none, sizeof none);
	*n = w->n;
	return e;
}
