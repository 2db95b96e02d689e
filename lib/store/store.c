/* store: every Berkeley DB call of cglever lives here (see store.h).
 *
 * One transactional environment in db_home, shared by every FastCGI
 * process and cglever-ctl run, encrypted with AES (DB_ENCRYPT on every
 * database; the logs follow the environment). The regions cache pages in
 * clear and hold the passphrase, so they live in System V shared memory
 * (DB_SYSTEM_MEM) and never in __db.* files.
 *
 * Crash safety across processes: DB_REGISTER notices a process that died
 * with the environment open, and the next opener (DB_RECOVER) rebuilds
 * the environment from the log; the processes still running then see
 * DB_RUNRECOVERY, and run() hides that: it closes everything, reopens
 * and retries the operation once. Berkeley DB alone would let that
 * recovery start while another process is writing a commit, which the
 * new environment could then overwrite: the gate (gate.h) makes every
 * open wait for the operations under way, and holds new ones back.
 * DB_FAILCHK is not used in the open: in 5.3, with encryption, the open
 * that runs it uses up the handle's key and may crash when it falls
 * back to recovery (__crypto_region_init); failchk is called on an open
 * handle instead, when a lock stays refused (run_watched()).
 *
 * No process ever sleeps inside Berkeley DB waiting for a lock: a process
 * killed while holding one never releases it, and its waiters would sleep
 * forever (lock timeouts are only checked when another request
 * conflicts, and recovery builds a new environment without waking the
 * old one's sleepers). So every transaction is DB_TXN_NOWAIT and run()
 * retries a refused lock with a short randomized backoff; when a lock
 * stays refused for LOCK_PATIENCE_MS it reopens, which runs recovery if
 * a registered process died, and tries for as long again.
 *
 * Every operation is a function op(st, txn, arg) that run() calls inside
 * a transaction. An op may be called again after a retry, so it frees
 * what a previous call left in arg before filling it anew; the public
 * wrapper frees it on failure.
 *
 * Records are JSON text (json-c); unknown fields are ignored on reading
 * and kept by the in-place updates of jobs. Keys are big-endian so that
 * byte order is numeric order. */
#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/crypto.h"
#include "store/gate.h"
#include "base/jsonutil.h"
#include "base/log.h"
#include "store/store.h"

#define CACHE_BYTES     (8u << 20)       /* mpool cache */
#define LOG_BUF_BYTES   (1u << 20)       /* in-memory log buffer */
#define LOCK_PATIENCE_MS 3000            /* a live holder never keeps a lock this long */
#define REG_TIMEOUT_US  1000u            /* recovery waits this for old users: the
					 * gate already kept them out */
#define PRUNE_BATCH     500              /* records examined per prune transaction */
#define TIDY_CLEAN_PCT  20               /* store_tidy keeps this much of the cache clean */
#define TIDY_LOG_KB     4096             /* and checkpoints after this much log */

/* shm keys: one block of SHM_STRIDE keys per db_home (BDB uses key+0,
 * key+1, ... for its regions), far above the small keys other programs
 * pick by hand, and within a positive 32-bit key_t. */
#define SHM_BASE   0x10000000L
#define SHM_STRIDE 256L
#define SHM_BLOCKS 0x6FFFFFL

/* A slot of __db.register: a process id in 24 characters and a newline
 * (Berkeley DB's env_register.c, PID_LEN). */
#define REG_SLOT 25
/* Regions per environment (BDB uses key+0, key+1, ...; 3 seen). */
#define SHM_REGIONS 8

#define ENV_FLAGS (DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | \
		   DB_INIT_MPOOL | DB_REGISTER | DB_RECOVER | DB_SYSTEM_MEM)
/* Slots for processes in the environment: every FastCGI process and
 * runner takes one; failchk frees those of dead processes. */
#define THREAD_SLOTS 512

/* An op's own error: the message is already in st->err. Berkeley DB's
 * codes are errno values or in -30999..-30800, so -1 is free. */
#define ERR_SET (-1)

enum tbl {
	T_ACCOUNTS, T_ACCOUNT_NAMES, T_RULES, T_DELIVERIES, T_JOBS,
	T_INVITATIONS, T_INV_BY_TEST, T_META, T_OAUTH_STATES, T_AUDIT,
	T_INV_INDEX, T_CAMPAIGN_SUMS,   /* history indexes (end of file) */
	T_COUNT
};

static const char *const tbl_file[T_COUNT] = {
	"accounts.db", "account_names.db", "rules.db", "deliveries.db",
	"jobs.db", "invitations.db", "invitations_by_test.db", "meta.db",
	"oauth_states.db", "audit.db", "inv_index.db", "campaign_sums.db",
};

struct store {
	DB_ENV *env;
	DB *db[T_COUNT];
	char *home;          /* realpath of db_home, kept to reopen */
	char *secret;        /* kept to reopen; wiped on close */
	long shm_key;
	struct gate gate;    /* see gate.h */
	char bdb_msg[256];   /* Berkeley DB's own last message */
	int quiet;           /* closing a panicked environment: its complaints are expected */
	int shmids[SHM_REGIONS];   /* the open environment's segments; -1: none */
	char err[768];
};

enum run_mode {
	RUN_NOTXN,   /* checkpoint: takes no locks */
	RUN_COPY,    /* backup: no transaction, and it writes no log: passes
		      * the gate like reads, so a long backup never holds
		      * an open (and its recovery) back */
	RUN_READ,    /* reads: DB_READ_COMMITTED, read locks dropped as it goes */
	RUN_TXN,     /* writes, and reads that must be consistent */
	RUN_TXN_LAZY, /* a write that may be lost in a power cut (not in a
		       * process crash): written to the OS, not flushed to
		       * disk; the next durable commit carries it */
	RUN_TXN_FLUSH /* committed as RUN_TXN_LAZY, so its page locks go at
		       * once, then the log flushed outside any lock:
		       * durable on return, and concurrent flushes share
		       * one disk write (group commit) */
};

typedef int (*op_fn)(struct store *st, DB_TXN *txn, void *arg);

/* History indexes (end of file). */
static void hist_build(struct store *st);
static int hist_inv_write(struct store *st, DB_TXN *txn, const DBT *ik, const DBT *oldv,
			  const struct store_invitation *nw);

/* ---------------------------------------------------------------- errors */

static void set_err(struct store *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_err(struct store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof st->err, fmt, ap);
	va_end(ap);
}

const char *store_strerror(enum store_err e)
{
	switch (e) {
	case STORE_OK: return "ok";
	case STORE_NOTFOUND: return "not found";
	case STORE_EXISTS: return "already exists";
	case STORE_ERR: return "store error";
	}
	return "unknown store error";
}

const char *store_last_error(const struct store *st)
{
	return st && st->err[0] ? st->err : "no error";
}

/* Berkeley DB's own messages: to the log, and kept for the next error
 * message. They name files and calls, never record contents. */
static void on_bdb_error(const DB_ENV *env, const char *pfx, const char *msg)
{
	struct store *st = env->app_private;

	(void)pfx;
	if (st && st->quiet)
		log_debug("berkeley db: %s", msg);
	else
		log_err("berkeley db: %s", msg);
	if (st)
		snprintf(st->bdb_msg, sizeof st->bdb_msg, "%s", msg);
}

static void on_bdb_msg(const DB_ENV *env, const char *msg)
{
	(void)env;
	log_debug("berkeley db: %s", msg);
}

#ifdef __SANITIZE_ADDRESS__
/* ASan builds only: Berkeley DB cannot free a panicked environment
 * handle (see reopen()), so what it allocated for one is reported at
 * exit. Only allocations made by its allocator are left out. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:__os_malloc\nleak:__os_realloc\nleak:__os_calloc\n";
}
#endif

/* For failchk: every process is single-threaded, so a process that
 * exists is alive (EPERM: it exists, under another user). */
static int is_alive(DB_ENV *env, pid_t pid, db_threadid_t tid, u_int32_t flags)
{
	(void)env;
	(void)tid;
	(void)flags;
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* ------------------------------------------------------------ byte keys */

static void put_be32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Signed values sort as unsigned bytes once the sign bit is flipped. */
static uint64_t ord64(int64_t v) { return (uint64_t)v ^ (UINT64_C(1) << 63); }
static int64_t unord64(uint64_t v) { return (int64_t)(v ^ (UINT64_C(1) << 63)); }

static DBT dbt(const void *data, size_t size)
{
	DBT d;

	memset(&d, 0, sizeof d);
	d.data = (void *)data;   /* Berkeley DB does not write through key/data it is given */
	d.size = (u_int32_t)size;
	return d;
}

#define JOB_KEY_LEN 20   /* account(4) | due(8) | id(8) */

static void job_key(unsigned char *k, uint32_t account, int64_t due, uint64_t id)
{
	put_be32(k, account);
	put_be64(k + 4, ord64(due));
	put_be64(k + 12, id);
}

/* account(4) | token */
static unsigned char *delivery_key_alloc(uint32_t account, const char *token, size_t *len)
{
	size_t tl = strlen(token);
	unsigned char *k = malloc(4 + tl);

	if (!k)
		return NULL;
	put_be32(k, account);
	memcpy(k + 4, token, tl);
	*len = 4 + tl;
	return k;
}

/* account(4) | opportunity | 0 | campaign(8) */
static unsigned char *inv_key_alloc(uint32_t account, const char *opp, int64_t campaign,
				    size_t *len)
{
	size_t ol = strlen(opp);
	unsigned char *k = malloc(4 + ol + 1 + 8);

	if (!k)
		return NULL;
	put_be32(k, account);
	memcpy(k + 4, opp, ol);
	k[4 + ol] = 0;
	put_be64(k + 5 + ol, (uint64_t)campaign);
	*len = 4 + ol + 1 + 8;
	return k;
}

/* Random, so concurrent deliveries never update one shared counter. */
static int random_id(uint64_t *out)
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

static int64_t add_sat(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX - 1;   /* INT64_MAX means failed */
	return a + b;
}

/* ----------------------------------------------------------------- JSON */

static void jstr(struct json_object *o, const char *k, const char *v)
{
	if (v)
		json_object_object_add(o, k, json_object_new_string(v));
}

static void jint(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void jbool(struct json_object *o, const char *k, int v)
{
	json_object_object_add(o, k, json_object_new_boolean(v ? 1 : 0));
}

/* Sets a string field, or removes it when v is NULL. */
static void jstr_set(struct json_object *o, const char *k, const char *v)
{
	if (v)
		jstr(o, k, v);
	else
		json_object_object_del(o, k);
}

/* Serializes and releases o; NULL when out of memory. */
static char *jdump_put(struct json_object *o)
{
	char *s = o ? ju_dump_alloc(o) : NULL;

	json_object_put(o);
	return s;
}

static struct json_object *jparse(struct store *st, const char *table, const DBT *v)
{
	char why[128];
	struct json_object *o = ju_parse(v->data, v->size, why, sizeof why);

	if (!o)
		set_err(st, "corrupt record in %s: %s", table, why);
	else if (!json_object_is_type(o, json_type_object)) {
		set_err(st, "corrupt record in %s: not an object", table);
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* Copies a string field: 0, ENOMEM, or ERR_SET when a required field is
 * missing. */
static int jdup(struct store *st, struct json_object *o, const char *table,
		const char *key, int required, char **out)
{
	const char *s = ju_str(o, key);

	*out = NULL;
	if (!s) {
		if (!required)
			return 0;
		set_err(st, "corrupt record in %s: no %s", table, key);
		return ERR_SET;
	}
	*out = strdup(s);
	return *out ? 0 : ENOMEM;
}

static int64_t jget_i64(struct json_object *o, const char *key)
{
	int64_t v = 0;

	return ju_int64(o, key, &v) ? v : 0;
}

static int jget_bool(struct json_object *o, const char *key)
{
	int v = 0;

	return ju_bool(o, key, &v) ? v : 0;
}

/* ------------------------------------------------------------ the runner */

/* dbflags: DB_NOSYNC when the environment may be panicked, so that no
 * page of the old cache can reach a database file. */
static void env_close(struct store *st, u_int32_t dbflags)
{
	gate_enter(&st->gate);   /* a close may write pages */
	for (int i = 0; i < T_COUNT; i++)
		if (st->db[i]) {
			(void)st->db[i]->close(st->db[i], dbflags);
			st->db[i] = NULL;
		}
	if (st->env) {
		(void)st->env->close(st->env, 0);
		st->env = NULL;
	}
	gate_leave(&st->gate);
}

/* The id of the environment now in db_home, for the gate: the shm id
 * of its first region, which recovery replaces. -1: none. */
static long env_id(const struct store *st)
{
	return shmget((key_t)st->shm_key, 0, 0);
}

static int env_make(struct store *st, u_int32_t flags)
{
	DB_ENV *env = NULL;
	const char *what = "creating the environment handle";
	const char *file = "";
	int ret;

	st->bdb_msg[0] = '\0';
	if ((ret = db_env_create(&env, 0)) != 0)
		goto fail;
	env->app_private = st;
	env->set_errcall(env, on_bdb_error);
	env->set_msgcall(env, on_bdb_msg);
	what = "setting the encryption key";
	if ((ret = env->set_encrypt(env, st->secret, DB_ENCRYPT_AES)) != 0)
		goto fail;
	what = "configuring the environment";
	if ((ret = env->set_shm_key(env, st->shm_key)) != 0 ||
	    (ret = env->set_cachesize(env, 0, CACHE_BYTES, 1)) != 0 ||
	    (ret = env->set_lg_bsize(env, LOG_BUF_BYTES)) != 0 ||
	    (ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1)) != 0 ||
	    /* Nothing waits on a lock (DB_TXN_NOWAIT), but should anything
	     * (a database open) deadlock, the detector breaks it. */
	    (ret = env->set_lk_detect(env, DB_LOCK_DEFAULT)) != 0 ||
	    /* A refused lock reads "not granted", not "deadlock". */
	    (ret = env->set_flags(env, DB_TIME_NOTGRANTED, 1)) != 0 ||
	    (ret = env->set_timeout(env, REG_TIMEOUT_US, DB_SET_REG_TIMEOUT)) != 0 ||
	    (ret = env->set_thread_count(env, THREAD_SLOTS)) != 0 ||
	    (ret = env->set_isalive(env, is_alive)) != 0)
		goto fail;
	what = "opening the environment";
	/* Mode 0600 also gives the shm segments owner-only permissions. */
	if ((ret = env->open(env, st->home, flags, 0600)) != 0)
		goto fail;
	st->env = env;
	env = NULL;
	what = "opening database";
	for (int i = 0; i < T_COUNT; i++) {
		DB *db = NULL;

		file = tbl_file[i];
		if ((ret = db_create(&db, st->env, 0)) != 0)
			goto fail;
		st->db[i] = db;   /* closed by env_close even if open fails */
		if ((ret = db->set_flags(db, DB_ENCRYPT)) != 0 ||
		    (ret = db->open(db, NULL, file, NULL, DB_BTREE,
				    DB_AUTO_COMMIT | DB_CREATE, 0600)) != 0)
			goto fail;
	}
	return 0;
fail:
	set_err(st, "store %s: %s%s%s: %s%s%s%s", st->home, what, *file ? " " : "", file,
		db_strerror(ret), st->bdb_msg[0] ? " (" : "", st->bdb_msg,
		st->bdb_msg[0] ? ")" : "");
	if (strstr(st->bdb_msg, "shm")) {
		size_t l = strlen(st->err);

		/* No fallback to file-backed regions: they would put clear
		 * pages and the passphrase on disk. */
		snprintf(st->err + l, sizeof st->err - l,
			 "; System V shared memory (key 0x%lx) is required to keep "
			 "clear-text pages off the disk: check kernel.shmmax/shmall "
			 "and stale segments (ipcs -m)", st->shm_key);
	}
	if (env)
		(void)env->close(env, 0);
	env_close(st, 0);
	return ret ? ret : EINVAL;
}

/* Whether a live process has the environment open: Berkeley DB's
 * DB_REGISTER keeps an fcntl lock on its slot in __db.register for as
 * long as a process is registered, and the kernel drops it when the
 * process dies. 1: yes (or unknown), 0: no. Only called while this
 * process has no environment open in home: closing a descriptor of the
 * file drops every fcntl lock the process holds on it. */
static int env_in_use(const struct store *st)
{
	char path[PATH_MAX];
	struct flock fl;
	int fd, r;

	snprintf(path, sizeof path, "%s/__db.register", st->home);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return errno == ENOENT ? 0 : 1;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;   /* l_start 0, l_len 0: the whole file */
	r = fcntl(fd, F_GETLK, &fl) != 0 || fl.l_type != F_UNLCK;
	close(fd);
	return r;
}

/* Whether a process registered in the environment died with it open:
 * a slot of __db.register that names a process but whose lock (DB_REGISTER
 * keeps an fcntl lock on its slot's first byte) nobody holds. Berkeley
 * DB's own test, read-only. 1: yes, 0: no or unknown. Same caution as
 * env_in_use: only while this process has no environment open. */
static int someone_dead(void *arg)
{
	const struct store *st = arg;
	char path[PATH_MAX], slot[REG_SLOT];
	int fd, dead = 0;

	snprintf(path, sizeof path, "%s/__db.register", st->home);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	for (off_t pos = 0; !dead && pread(fd, slot, REG_SLOT, pos) == REG_SLOT; pos += REG_SLOT) {
		struct flock fl;

		if (slot[0] == 'X')   /* an empty slot */
			continue;
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = pos;
		fl.l_len = 1;
		dead = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK;
	}
	close(fd);
	return dead;
}

/* A reboot (or ipcrm) removed the environment's System V segments but
 * left the region file that names them: every open would fail to attach
 * for good. With no live process in the environment, the region files
 * and the register are stale: removes them (1). 0: nothing stale; -1:
 * they could not be removed (st->err says why). */
static int drop_stale_regions(struct store *st)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof path, "%s/__db.001", st->home);
	if (env_id(st) >= 0 || errno != ENOENT || stat(path, &sb) != 0 || env_in_use(st))
		return 0;
	for (int i = 1; i <= 99; i++) {   /* __db.001 ... : Berkeley DB's region files */
		snprintf(path, sizeof path, "%s/__db.%03d", st->home, i);
		if (unlink(path) != 0 && errno != ENOENT) {
			set_err(st, "store %s: removing the stale region file %s: %s",
				st->home, path, strerror(errno));
			return -1;
		}
	}
	snprintf(path, sizeof path, "%s/__db.register", st->home);
	if (unlink(path) != 0 && errno != ENOENT) {
		set_err(st, "store %s: removing %s: %s", st->home, path, strerror(errno));
		return -1;
	}
	return 1;
}

/* Notes the segments of the environment just opened. */
static void note_regions(struct store *st)
{
	for (int i = 0; i < SHM_REGIONS; i++)
		st->shmids[i] = shmget((key_t)(st->shm_key + i), 0, 0);
}

static int env_open(struct store *st)
{
	int ret, stale;

	/* Recovery, if it runs, runs inside env->open: no operation is
	 * under way meanwhile. */
	gate_lock(&st->gate, env_id(st), someone_dead, st);
	if ((stale = drop_stale_regions(st)) < 0) {
		gate_unlock(&st->gate, -1);
		return EINVAL;
	}
	if (stale) {
		/* The register that would tell whether the last users
		 * crashed went with the regions: recover from the log
		 * whatever it says (without DB_REGISTER, DB_RECOVER always
		 * runs), then open as usual. */
		log_warn("store %s: the environment's shared memory is gone (a reboot?): "
			 "rebuilding it from the log", st->home);
		if ((ret = env_make(st, ENV_FLAGS & ~(u_int32_t)DB_REGISTER)) != 0) {
			gate_unlock(&st->gate, -1);
			return ret;
		}
		env_close(st, 0);
	}
	ret = env_make(st, ENV_FLAGS);
	if (ret == 0)
		note_regions(st);
	gate_unlock(&st->gate, ret == 0 ? env_id(st) : -1);
	return ret;
}



static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The stall watchdog. A process SIGKILLed inside one of Berkeley DB's
 * own critical sections leaves its mutex locked for good, and whoever
 * waits on it sleeps forever: no timeout exists for those waits. So
 * every store operation runs under a deadline; one that has not returned
 * after STALL_SECONDS is stuck that way, and the process exits (75,
 * EX_TEMPFAIL). The web server starts a new one, Lever retries the
 * delivery, the next runner takes the job; the next process to open the
 * environment frees what the stuck one held. A thread checks the
 * deadline once a second, so an operation costs two memory writes and
 * no system call (a timer re-armed per operation cost two). */
#define STALL_SECONDS 30
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

		sleep(1);
		d = atomic_load(&stall_deadline);
		if (d && mono_ms() >= d)
			on_stall();
	}
	return NULL;
}

/* A forked child has no watchdog thread: its next store_open starts one. */
static void stall_forked(void) { stall_armed = 0; }

static void stall_init(void)
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

static void stall_set(int seconds)
{
	atomic_store(&stall_deadline, seconds ? mono_ms() + (int64_t)seconds * 1000 : 0);
}

/* 0.5 to 1.5 times 0.1, 0.2, 0.4 ... 12.8, 12.8... ms: random so that
 * the processes wanting one lock spread out. Short at first: a write
 * transaction holds its locks for well under a millisecond. */
static void backoff(int tries)
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

/* Berkeley DB cannot free a panicked environment handle: closing it
 * leaves its regions attached, about 13 MB a recovery, for the life of
 * the process. The handle is never used again, so its segments (found
 * by id in /proc/self/maps, where a System V mapping's inode is its shm
 * id) are detached here. Nothing else in the process maps them: one
 * store handle per process. */
static void detach_old_regions(struct store *st)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		unsigned long start;
		long inode;

		if (!strstr(line, "/SYSV") ||
		    sscanf(line, "%lx-%*x %*s %*s %*s %ld", &start, &inode) != 2)
			continue;
		for (int i = 0; i < SHM_REGIONS; i++)
			if (st->shmids[i] >= 0 && inode == st->shmids[i] &&
			    shmdt((void *)start) == 0)
				n++;
	}
	fclose(f);
	if (n)
		log_info("store: detached %d region(s) of the replaced environment", n);
	for (int i = 0; i < SHM_REGIONS; i++)
		st->shmids[i] = -1;
}

static int reopen(struct store *st, const char *what, int ret)
{
	log_warn("store: %s: %s; reopening the environment", what, db_strerror(ret));
	/* Berkeley DB cannot free a panicked environment handle: a few
	 * dozen KiB stay allocated (and the removed segments attached)
	 * until the process exits. */
	st->quiet = 1;
	env_close(st, DB_NOSYNC);
	st->quiet = 0;
	detach_old_regions(st);
	return env_open(st);
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

static enum store_err run(struct store *st, const char *what, enum run_mode mode,
			  op_fn fn, void *arg)
{
	enum store_err e;

	/* A checkpoint or a backup of a big store may take minutes. */
	stall_what = what;
	stall_set(mode == RUN_NOTXN || mode == RUN_COPY ? 15 * 60 : STALL_SECONDS);
	e = run_watched(st, what, mode, fn, arg);
	stall_set(0);
	return e;
}

/* ------------------------------------------------------------ open/close */

/* The shm key of this environment, kept in db_home/shm-key. A fresh
 * random key per new environment: a key derived from the path would
 * collide with segments left by an earlier environment at that path. */
static long shm_key_for(const char *home, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX], buf[32];
	uint64_t r = 0;
	long key = -1;
	int fd, n;

	snprintf(path, sizeof path, "%s/shm-key", home);
	for (int tries = 0; tries < 2 && key < 0; tries++) {
		FILE *f = fopen(path, "r");

		if (f) {
			if (fscanf(f, "%li", &key) != 1 || key < SHM_BASE ||
			    key >= SHM_BASE + SHM_BLOCKS * SHM_STRIDE)
				key = -2;
			fclose(f);
			if (key == -2) {
				snprintf(err, errlen, "store %s: corrupt shm-key file", home);
				return -1;
			}
			break;
		}
		if (errno != ENOENT || random_id(&r) != 0) {
			snprintf(err, errlen, "store %s: shm-key: %s", home, strerror(errno));
			return -1;
		}
		/* Write aside, then link: readers never see a partial file,
		 * and of two creators exactly one wins. */
		snprintf(tmp, sizeof tmp, "%s/shm-key.%ld", home, (long)getpid());
		n = snprintf(buf, sizeof buf, "0x%lx\n",
			     SHM_BASE + (long)(r % (uint64_t)SHM_BLOCKS) * SHM_STRIDE);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, buf, (size_t)n) != n || fsync(fd) != 0) {
			snprintf(err, errlen, "store %s: writing shm-key: %s", home, strerror(errno));
			if (fd >= 0)
				close(fd);
			unlink(tmp);
			return -1;
		}
		close(fd);
		if (link(tmp, path) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "store %s: shm-key: %s", home, strerror(errno));
			unlink(tmp);
			return -1;
		}
		unlink(tmp);
	}
	if (key < 0)
		snprintf(err, errlen, "store %s: shm-key unreadable", home);
	return key;
}

enum store_err store_open(const struct conf *c, struct store **out, char *err, size_t errlen)
{
	struct store *st = NULL;
	struct stat sb;
	int ret;

	*out = NULL;
	if (!c || !c->db_home || !c->secret || !c->secret[0]) {
		snprintf(err, errlen, "store: no db_home or no secret");
		return STORE_ERR;
	}
	if (stat(c->db_home, &sb) != 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "db_home %s: %s", c->db_home, strerror(errno));
			return STORE_ERR;
		}
		if (mkdir(c->db_home, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "db_home %s: cannot create: %s", c->db_home,
				 strerror(errno));
			return STORE_ERR;
		}
		if (stat(c->db_home, &sb) != 0) {
			snprintf(err, errlen, "db_home %s: %s", c->db_home, strerror(errno));
			return STORE_ERR;
		}
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "db_home %s exists and is not a directory", c->db_home);
		return STORE_ERR;
	}
	stall_init();
	if ((st = calloc(1, sizeof *st))) {
		st->gate.fd = -1;
		for (int i = 0; i < SHM_REGIONS; i++)
			st->shmids[i] = -1;
	}
	if (!st || !(st->secret = strdup(c->secret))) {
		snprintf(err, errlen, "store: out of memory");
		goto fail;
	}
	if (!(st->home = realpath(c->db_home, NULL))) {
		snprintf(err, errlen, "db_home %s: %s", c->db_home, strerror(errno));
		goto fail;
	}
	if ((st->shm_key = shm_key_for(st->home, err, errlen)) < 0 ||
	    gate_open(&st->gate, st->home, err, errlen) != 0)
		goto fail;
	stall_what = "opening the store";
	stall_set(STALL_SECONDS);
	ret = env_open(st);
	/* Another process may be running recovery or creating the
	 * databases meanwhile: a few more tries. */
	for (int tries = 0; tries < 3 && (ret == DB_RUNRECOVERY || ret == DB_LOCK_DEADLOCK ||
					  ret == DB_LOCK_NOTGRANTED); tries++) {
		backoff(tries);
		ret = env_open(st);
	}
	stall_set(0);
	if (ret != 0) {
		snprintf(err, errlen, "%s", st->err);
		goto fail;
	}
	hist_build(st);
	*out = st;
	return STORE_OK;
fail:
	store_close(st);
	return STORE_ERR;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	st->quiet = 1;   /* nothing to act on while closing */
	env_close(st, 0);
	gate_close(&st->gate);
	if (st->secret) {
		explicit_bzero(st->secret, strlen(st->secret));
		free(st->secret);
	}
	free(st->home);
	free(st);
}

/* -------------------------------------------------------------- counters */

/* Takes the next id from meta[name] (first is 1). */
static int next_id(struct store *st, DB_TXN *txn, const char *name, uint32_t *out)
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

/* Makes room for one more element in a list of n (capacity *cap);
 * returns the (maybe moved) list, or NULL when out of memory. */
static void *grow(void *list, size_t n, size_t *cap, size_t elem)
{
	void *nw;

	if (n < *cap)
		return list;
	if (!(nw = realloc(list, (*cap ? *cap * 2 : 16) * elem)))
		return NULL;
	*cap = *cap ? *cap * 2 : 16;
	return nw;
}

/* What a take function returns to leave a record out of the list;
 * like ERR_SET, outside Berkeley DB's codes and errno, and it never
 * leaves walk(). */
#define WALK_SKIP (-2)

/* Decodes record k/v into out, the list's next slot (a struct X ** for
 * a list of struct X *); ctx is the op's arg. */
typedef int (*take_fn)(struct store *st, const DBT *k, const DBT *v, void *ctx, void *out);

/* What a list op reads, and what it got. */
struct walk {
	enum tbl t;
	const void *prefix;    /* only the keys that start with it; NULL: all */
	size_t prefix_len;
	int backwards;         /* from the last key down; not with a prefix */
	size_t limit;          /* at most this many; 0: no limit */
	take_fn take;
	void *ctx;
	size_t elem;           /* the size of one list element */
	void *list;            /* out: kept on failure, for the caller to free */
	size_t n;
};

/* The cursor walk of every list op. The list is a void * here and only
 * the take functions write its elements, with their own type. */
static int walk(struct store *st, DB_TXN *txn, struct walk *w)
{
	DB *db = st->db[w->t];
	DBC *c = NULL;
	DBT k = dbt(w->prefix, w->prefix ? w->prefix_len : 0), v = dbt(NULL, 0);
	u_int32_t flag = w->prefix ? DB_SET_RANGE : w->backwards ? DB_LAST : DB_FIRST;
	size_t cap = 0;
	void *list;
	int ret, t_ret;

	w->list = NULL;
	w->n = 0;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	while ((!w->limit || w->n < w->limit) && (ret = c->get(c, &k, &v, flag)) == 0) {
		flag = w->backwards ? DB_PREV : DB_NEXT;
		if (w->prefix && (k.size < w->prefix_len ||
				  memcmp(k.data, w->prefix, w->prefix_len) != 0))
			break;
		if (!(list = grow(w->list, w->n, &cap, w->elem))) {
			ret = ENOMEM;
			break;
		}
		w->list = list;
		ret = w->take(st, &k, &v, w->ctx, (char *)w->list + w->n * w->elem);
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

/* -------------------------------------------------------------- accounts */

void store_account_free(struct store_account *a)
{
	if (!a)
		return;
	free(a->name);
	/* Secrets do not linger in freed memory. */
	char *secrets[] = { a->lever_api_key, a->codingame_api_key, a->webhook_token,
			    a->callback_secret, a->access_token, a->refresh_token };
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		if (secrets[i]) {
			explicit_bzero(secrets[i], strlen(secrets[i]));
			free(secrets[i]);
		}
	free(a->webhook_id);
	free(a->disconnected_reason);
	free(a);
}

void store_accounts_free(struct store_account **a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++)
		store_account_free(a[i]);
	free(a);
}

static char *account_json(const struct store_account *a)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	jstr(o, "name", a->name);
	jstr(o, "lever_api_key", a->lever_api_key);
	jstr(o, "codingame_api_key", a->codingame_api_key);
	jstr(o, "webhook_id", a->webhook_id);
	jstr(o, "webhook_token", a->webhook_token);
	jstr(o, "callback_secret", a->callback_secret);
	jint(o, "created_at", a->created_at);
	jstr(o, "access_token", a->access_token);
	jstr(o, "refresh_token", a->refresh_token);
	jint(o, "token_expires_at", a->token_expires_at);
	jbool(o, "disconnected", a->disconnected);
	jint(o, "disconnected_at", a->disconnected_at);
	jstr(o, "disconnected_reason", a->disconnected_reason);
	return jdump_put(o);
}


static int account_decode(struct store *st, const DBT *k, const DBT *v,
			  struct store_account **out)
{
	struct store_account *a = NULL;
	struct json_object *o = NULL;
	int ret = ERR_SET;

	*out = NULL;
	if (k->size != 4) {
		set_err(st, "corrupt key in accounts");
		goto out;
	}
	if (!(o = jparse(st, "accounts", v)))
		goto out;
	if (!(a = calloc(1, sizeof *a))) {
		ret = ENOMEM;
		goto out;
	}
	a->id = get_be32(k->data);
	if ((ret = jdup(st, o, "accounts", "name", 1, &a->name)) ||
	    (ret = jdup(st, o, "accounts", "lever_api_key", 0, &a->lever_api_key)) ||
	    (ret = jdup(st, o, "accounts", "codingame_api_key", 0, &a->codingame_api_key)) ||
	    (ret = jdup(st, o, "accounts", "webhook_id", 0, &a->webhook_id)) ||
	    (ret = jdup(st, o, "accounts", "webhook_token", 0, &a->webhook_token)) ||
	    (ret = jdup(st, o, "accounts", "callback_secret", 0, &a->callback_secret)) ||
	    (ret = jdup(st, o, "accounts", "access_token", 0, &a->access_token)) ||
	    (ret = jdup(st, o, "accounts", "refresh_token", 0, &a->refresh_token)) ||
	    (ret = jdup(st, o, "accounts", "disconnected_reason", 0, &a->disconnected_reason)))
		goto out;
	a->created_at = jget_i64(o, "created_at");
	a->token_expires_at = jget_i64(o, "token_expires_at");
	a->disconnected = jget_bool(o, "disconnected");
	a->disconnected_at = jget_i64(o, "disconnected_at");
	*out = a;
	a = NULL;
	ret = 0;
out:
	store_account_free(a);
	json_object_put(o);
	return ret;
}

struct account_arg {
	struct store_account *in;      /* add/put */
	uint32_t id;                   /* get/delete; set by add */
	struct store_account *out;     /* get */
	struct store_account **list;   /* list */
	size_t n;
};

static int account_put_record(struct store *st, DB_TXN *txn, uint32_t id,
			      const struct store_account *a)
{
	unsigned char kb[4];
	char *text = account_json(a);
	DBT k, v;
	int ret;

	if (!text)
		return ENOMEM;
	put_be32(kb, id);
	k = dbt(kb, 4);
	v = dbt(text, strlen(text));
	ret = st->db[T_ACCOUNTS]->put(st->db[T_ACCOUNTS], txn, &k, &v, 0);
	crypto_free_secret(text);
	return ret;
}

static int op_account_add(struct store *st, DB_TXN *txn, void *p)
{
	struct account_arg *a = p;
	unsigned char idb[4];
	DBT k, v;
	int ret;

	if ((ret = next_id(st, txn, "account_id", &a->id)) != 0)
		return ret;
	put_be32(idb, a->id);
	k = dbt(a->in->name, strlen(a->in->name));
	v = dbt(idb, 4);
	if ((ret = st->db[T_ACCOUNT_NAMES]->put(st->db[T_ACCOUNT_NAMES], txn, &k, &v,
						 DB_NOOVERWRITE)) != 0)
		return ret;   /* DB_KEYEXIST: the name is taken */
	return account_put_record(st, txn, a->id, a->in);
}

enum store_err store_account_add(struct store *st, struct store_account *a)
{
	struct account_arg arg = { .in = a };
	enum store_err e;

	if (!a->name || !a->name[0]) {
		set_err(st, "adding an account: no name");
		return STORE_ERR;
	}
	e = run(st, "adding an account", RUN_TXN, op_account_add, &arg);
	if (e == STORE_OK)
		a->id = arg.id;
	return e;
}

static int get_account(struct store *st, DB_TXN *txn, uint32_t id, u_int32_t flags,
		       struct store_account **out)
{
	unsigned char kb[4];
	DBT k, v = dbt(NULL, 0);
	int ret;

	put_be32(kb, id);
	k = dbt(kb, 4);
	if ((ret = st->db[T_ACCOUNTS]->get(st->db[T_ACCOUNTS], txn, &k, &v, flags)) != 0)
		return ret;
	return account_decode(st, &k, &v, out);
}

struct account_edit {
	uint32_t id;
	store_account_edit_fn fn;
	void *arg;
	int declined;
};

static int op_account_update(struct store *st, DB_TXN *txn, void *p)
{
	struct account_edit *e = p;
	struct store_account *cur = NULL;
	int ret;

	e->declined = 0;
	if ((ret = get_account(st, txn, e->id, DB_RMW, &cur)) != 0)
		return ret;
	if (e->fn(cur, e->arg) != 0) {
		e->declined = 1;
		ret = DB_NOTFOUND;   /* nothing written: the transaction aborts */
	} else {
		ret = account_put_record(st, txn, e->id, cur);
	}
	store_account_free(cur);
	return ret;
}

enum store_err store_account_update(struct store *st, uint32_t id, store_account_edit_fn fn,
				    void *arg)
{
	struct account_edit e = { .id = id, .fn = fn, .arg = arg };
	enum store_err r = run(st, "updating an account", RUN_TXN, op_account_update, &e);

	return r == STORE_NOTFOUND && e.declined ? STORE_EXISTS : r;
}

static int op_account_delete(struct store *st, DB_TXN *txn, void *p)
{
	struct account_arg *a = p;
	struct store_account *old = NULL;
	unsigned char kb[4];
	DBT k;
	int ret;

	if ((ret = get_account(st, txn, a->id, DB_RMW, &old)) != 0)
		return ret;
	k = dbt(old->name, strlen(old->name));
	ret = st->db[T_ACCOUNT_NAMES]->del(st->db[T_ACCOUNT_NAMES], txn, &k, 0);
	if (ret != 0 && ret != DB_NOTFOUND)
		goto out;
	put_be32(kb, a->id);
	k = dbt(kb, 4);
	ret = st->db[T_ACCOUNTS]->del(st->db[T_ACCOUNTS], txn, &k, 0);
out:
	store_account_free(old);
	return ret;
}

enum store_err store_account_delete(struct store *st, uint32_t id)
{
	struct account_arg arg = { .id = id };

	return run(st, "deleting an account", RUN_TXN, op_account_delete, &arg);
}

static int op_account_get(struct store *st, DB_TXN *txn, void *p)
{
	struct account_arg *a = p;

	store_account_free(a->out);
	a->out = NULL;
	return get_account(st, txn, a->id, 0, &a->out);
}

/* The webhook path: one read in a read-only transaction (no log
 * write, no sync). */
enum store_err store_account_get(struct store *st, uint32_t id, struct store_account **out)
{
	struct account_arg arg = { .id = id };
	enum store_err e;

	*out = NULL;
	e = run(st, "reading an account", RUN_READ, op_account_get, &arg);
	if (e == STORE_OK)
		*out = arg.out;
	else
		store_account_free(arg.out);
	return e;
}

static int account_take(struct store *st, const DBT *k, const DBT *v, void *ctx, void *out)
{
	(void)ctx;
	return account_decode(st, k, v, out);
}

static int op_account_list(struct store *st, DB_TXN *txn, void *p)
{
	struct account_arg *a = p;
	struct walk w = { .t = T_ACCOUNTS, .take = account_take, .elem = sizeof *a->list };
	int ret;

	store_accounts_free(a->list, a->n);
	ret = walk(st, txn, &w);
	a->list = w.list;
	a->n = w.n;
	return ret;
}

enum store_err store_account_list(struct store *st, struct store_account ***out, size_t *n)
{
	struct account_arg arg = { 0 };
	enum store_err e;

	*out = NULL;
	*n = 0;
	e = run(st, "listing accounts", RUN_READ, op_account_list, &arg);
	if (e != STORE_OK) {
		store_accounts_free(arg.list, arg.n);
		return e;
	}
	*out = arg.list;
	*n = arg.n;
	return STORE_OK;
}

/* ----------------------------------------------------------------- rules */

void store_rule_free(struct store_rule *r)
{
	if (!r)
		return;
	free(r->tag);
	free(r->stage);
	free(r->pass_tag);
	free(r->fail_tag);
	free(r->review_tag);
	free(r->pass_stage);
	free(r->created_by);
	free(r);
}

void store_rules_free(struct store_rule **r, size_t n)
{
	if (!r)
		return;
	for (size_t i = 0; i < n; i++)
		store_rule_free(r[i]);
	free(r);
}

static int rule_decode(struct store *st, const DBT *k, const DBT *v, struct store_rule **out)
{
	struct store_rule *r = NULL;
	struct json_object *o = NULL;
	int ret = ERR_SET;

	*out = NULL;
	if (k->size != 4) {
		set_err(st, "corrupt key in rules");
		goto out;
	}
	if (!(o = jparse(st, "rules", v)))
		goto out;
	if (!(r = calloc(1, sizeof *r))) {
		ret = ENOMEM;
		goto out;
	}
	r->id = get_be32(k->data);
	r->account = (uint32_t)jget_i64(o, "account");
	if ((ret = jdup(st, o, "rules", "tag", 1, &r->tag)) ||
	    (ret = jdup(st, o, "rules", "stage", 1, &r->stage)))
		goto out;
	r->campaign = jget_i64(o, "campaign");
	r->created_at = jget_i64(o, "created_at");
	r->pass_score = json_object_object_get_ex(o, "pass_score", NULL)
				? (int)jget_i64(o, "pass_score") : -1;
	r->fail_score = json_object_object_get_ex(o, "fail_score", NULL)
				? (int)jget_i64(o, "fail_score") : -1;
	if ((ret = jdup(st, o, "rules", "pass_tag", 0, &r->pass_tag)) ||
	    (ret = jdup(st, o, "rules", "fail_tag", 0, &r->fail_tag)) ||
	    (ret = jdup(st, o, "rules", "review_tag", 0, &r->review_tag)) ||
	    (ret = jdup(st, o, "rules", "pass_stage", 0, &r->pass_stage)) ||
	    (ret = jdup(st, o, "rules", "created_by", 0, &r->created_by)))
		goto out;
	*out = r;
	r = NULL;
	ret = 0;
out:
	store_rule_free(r);
	json_object_put(o);
	return ret;
}

struct rule_arg {
	const struct store_rule *in;   /* add/update */
	uint32_t id;             /* get/delete; set by add */
	uint32_t account;        /* list filter */
	struct store_rule *out;  /* get */
	struct store_rule **list;
	size_t n;
};

/* The fields a rule's owner may change (add and update). */
static void rule_set_fields(struct json_object *o, const struct store_rule *r)
{
	jstr(o, "tag", r->tag);
	jstr(o, "stage", r->stage);
	jint(o, "campaign", r->campaign);
	if (r->pass_score >= 0)
		jint(o, "pass_score", r->pass_score);
	else
		json_object_object_del(o, "pass_score");
	if (r->fail_score >= 0)
		jint(o, "fail_score", r->fail_score);
	else
		json_object_object_del(o, "fail_score");
	jstr_set(o, "pass_tag", r->pass_tag);
	jstr_set(o, "fail_tag", r->fail_tag);
	jstr_set(o, "review_tag", r->review_tag);
	jstr_set(o, "pass_stage", r->pass_stage);
}

static int op_rule_add(struct store *st, DB_TXN *txn, void *p)
{
	struct rule_arg *a = p;
	const struct store_rule *r = a->in;
	struct store_account *acct = NULL;
	struct json_object *o;
	unsigned char kb[4];
	char *text;
	DBT k, v;
	int ret;

	/* A rule needs its account (read-locked until commit). */
	if ((ret = get_account(st, txn, r->account, 0, &acct)) != 0)
		return ret;
	store_account_free(acct);
	if ((ret = next_id(st, txn, "rule_id", &a->id)) != 0)
		return ret;
	if (!(o = json_object_new_object()))
		return ENOMEM;
	jint(o, "account", r->account);
	jint(o, "created_at", r->created_at);
	jstr(o, "created_by", r->created_by);
	rule_set_fields(o, r);
	if (!(text = jdump_put(o)))
		return ENOMEM;
	put_be32(kb, a->id);
	k = dbt(kb, 4);
	v = dbt(text, strlen(text));
	ret = st->db[T_RULES]->put(st->db[T_RULES], txn, &k, &v, DB_NOOVERWRITE);
	free(text);
	return ret;
}

/* STORE_NOTFOUND when the account does not exist. */
enum store_err store_rule_add(struct store *st, struct store_rule *r)
{
	struct rule_arg arg = { .in = r };
	enum store_err e;

	if (!r->tag || !r->stage) {
		set_err(st, "adding a rule: no tag or no stage");
		return STORE_ERR;
	}
	e = run(st, "adding a rule", RUN_TXN, op_rule_add, &arg);
	if (e == STORE_OK)
		r->id = arg.id;
	return e;
}

static int op_rule_delete(struct store *st, DB_TXN *txn, void *p)
{
	struct rule_arg *a = p;
	unsigned char kb[4];
	DBT k;

	put_be32(kb, a->id);
	k = dbt(kb, 4);
	return st->db[T_RULES]->del(st->db[T_RULES], txn, &k, 0);
}

enum store_err store_rule_delete(struct store *st, uint32_t id)
{
	struct rule_arg arg = { .id = id };

	return run(st, "deleting a rule", RUN_TXN, op_rule_delete, &arg);
}

static int op_rule_get(struct store *st, DB_TXN *txn, void *p)
{
	struct rule_arg *a = p;
	unsigned char kb[4];
	DBT k, v = dbt(NULL, 0);
	int ret;

	store_rule_free(a->out);
	a->out = NULL;
	put_be32(kb, a->id);
	k = dbt(kb, 4);
	if ((ret = st->db[T_RULES]->get(st->db[T_RULES], txn, &k, &v, 0)) != 0)
		return ret;
	return rule_decode(st, &k, &v, &a->out);
}

enum store_err store_rule_get(struct store *st, uint32_t id, struct store_rule **out)
{
	struct rule_arg arg = { .id = id };
	enum store_err e;

	*out = NULL;
	e = run(st, "reading a rule", RUN_READ, op_rule_get, &arg);
	if (e == STORE_OK)
		*out = arg.out;
	else
		store_rule_free(arg.out);
	return e;
}

/* In place, like the job updates: fields this version does not know
 * survive, and so do account, created_at and created_by. */
static int op_rule_update(struct store *st, DB_TXN *txn, void *p)
{
	struct rule_arg *a = p;
	struct json_object *o;
	unsigned char kb[4];
	char *text;
	DBT k, v = dbt(NULL, 0);
	int ret;

	put_be32(kb, a->in->id);
	k = dbt(kb, 4);
	if ((ret = st->db[T_RULES]->get(st->db[T_RULES], txn, &k, &v, DB_RMW)) != 0)
		return ret;
	if (!(o = jparse(st, "rules", &v)))
		return ERR_SET;
	rule_set_fields(o, a->in);
	if (!(text = jdump_put(o)))
		return ENOMEM;
	v = dbt(text, strlen(text));
	ret = st->db[T_RULES]->put(st->db[T_RULES], txn, &k, &v, 0);
	free(text);
	return ret;
}

enum store_err store_rule_update(struct store *st, const struct store_rule *r)
{
	struct rule_arg arg = { .in = r };

	if (!r->tag || !r->stage) {
		set_err(st, "updating rule %u: no tag or no stage", r->id);
		return STORE_ERR;
	}
	return run(st, "updating a rule", RUN_TXN, op_rule_update, &arg);
}

/* Rules are keyed by id alone: the account filter reads every rule. */
static int rule_take(struct store *st, const DBT *k, const DBT *v, void *ctx, void *out)
{
	const struct rule_arg *a = ctx;
	struct store_rule **r = out;
	int ret = rule_decode(st, k, v, r);

	if (ret == 0 && a->account && (*r)->account != a->account) {
		store_rule_free(*r);
		*r = NULL;
		return WALK_SKIP;
	}
	return ret;
}

static int op_rule_list(struct store *st, DB_TXN *txn, void *p)
{
	struct rule_arg *a = p;
	struct walk w = { .t = T_RULES, .take = rule_take, .ctx = a, .elem = sizeof *a->list };
	int ret;

	store_rules_free(a->list, a->n);
	ret = walk(st, txn, &w);
	a->list = w.list;
	a->n = w.n;
	return ret;
}

enum store_err store_rule_list(struct store *st, uint32_t account,
			       struct store_rule ***out, size_t *n)
{
	struct rule_arg arg = { .account = account };
	enum store_err e;

	*out = NULL;
	*n = 0;
	e = run(st, "listing rules", RUN_READ, op_rule_list, &arg);
	if (e != STORE_OK) {
		store_rules_free(arg.list, arg.n);
		return e;
	}
	*out = arg.list;
	*n = arg.n;
	return STORE_OK;
}

/* ------------------------------------------------------------------ jobs */

void store_job_free(struct store_job *j)
{
	if (!j)
		return;
	free(j->kind);
	free(j->opportunity);
	free(j->from_stage);
	free(j->to_stage);
	free(j->last_error);
	free(j);
}

void store_jobs_free(struct store_job **j, size_t n)
{
	if (!j)
		return;
	for (size_t i = 0; i < n; i++)
		store_job_free(j[i]);
	free(j);
}

static char *job_json(const struct store_job *j)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	jstr(o, "kind", j->kind);
	jstr(o, "opportunity", j->opportunity);
	jstr(o, "from_stage", j->from_stage);
	jstr(o, "to_stage", j->to_stage);
	jint(o, "triggered_at", j->triggered_at);
	jint(o, "attempts", j->attempts);
	jbool(o, "failed", j->failed);
	jstr(o, "last_error", j->last_error);
	jint(o, "created_at", j->created_at);
	jint(o, "test_id", j->test_id);
	jint(o, "rule_id", j->rule_id);
	return jdump_put(o);
}

static int job_decode(struct store *st, const unsigned char *key, size_t klen,
		      struct json_object *o, struct store_job **out)
{
	struct store_job *j = NULL;
	int ret;

	*out = NULL;
	if (klen != JOB_KEY_LEN) {
		set_err(st, "corrupt key in jobs");
		return ERR_SET;
	}
	if (!(j = calloc(1, sizeof *j)))
		return ENOMEM;
	j->account = get_be32(key);
	j->due = unord64(get_be64(key + 4));
	j->id = get_be64(key + 12);
	if ((ret = jdup(st, o, "jobs", "kind", 1, &j->kind)) ||
	    (ret = jdup(st, o, "jobs", "opportunity", 1, &j->opportunity)) ||
	    (ret = jdup(st, o, "jobs", "from_stage", 0, &j->from_stage)) ||
	    (ret = jdup(st, o, "jobs", "to_stage", 0, &j->to_stage)) ||
	    (ret = jdup(st, o, "jobs", "last_error", 0, &j->last_error))) {
		store_job_free(j);
		return ret;
	}
	j->triggered_at = jget_i64(o, "triggered_at");
	j->attempts = (int)jget_i64(o, "attempts");
	j->failed = jget_bool(o, "failed") || j->due == INT64_MAX;
	j->created_at = jget_i64(o, "created_at");
	j->test_id = jget_i64(o, "test_id");
	j->rule_id = (uint32_t)jget_i64(o, "rule_id");
	*out = j;
	return 0;
}

/* The list's take function (see walk()): out is a struct store_job **. */
static int job_take(struct store *st, const DBT *k, const DBT *v, void *ctx, void *out)
{
	struct json_object *o = jparse(st, "jobs", v);
	struct store_job **j = out;
	int ret;

	(void)ctx;
	*j = NULL;
	if (!o)
		return ERR_SET;
	ret = job_decode(st, k->data, k->size, o, j);
	json_object_put(o);
	return ret;
}

/* Inserts job under a fresh random id; job->id is set on success. */
static int job_insert(struct store *st, DB_TXN *txn, struct store_job *job)
{
	unsigned char kb[JOB_KEY_LEN];
	char *text = NULL;
	uint64_t id;
	DBT k, v;
	int ret;

	if ((ret = random_id(&id)) != 0)
		return ret;
	if (!(text = job_json(job)))
		return ENOMEM;
	job_key(kb, job->account, job->due, id);
	k = dbt(kb, sizeof kb);
	v = dbt(text, strlen(text));
	ret = st->db[T_JOBS]->put(st->db[T_JOBS], txn, &k, &v, DB_NOOVERWRITE);
	free(text);
	if (ret == DB_KEYEXIST) {   /* 2^-64: not a duplicate delivery */
		set_err(st, "job id collision, try again");
		return ERR_SET;
	}
	if (ret == 0)
		job->id = id;
	return ret;
}

struct delivery_arg {
	uint32_t account;
	const char *token;
	int64_t now;
	struct store_job *job;
	int64_t before;                /* prune */
	unsigned char *from;           /* prune: where this batch starts */
	size_t from_len;
	unsigned char *resume;         /* prune: where the next one starts */
	size_t resume_len;
	int done;                      /* prune: walked to the end */
};

static int op_delivery_accept(struct store *st, DB_TXN *txn, void *p)
{
	struct delivery_arg *a = p;
	struct json_object *o = NULL;
	unsigned char *key = NULL;
	char *text = NULL;
	size_t klen = 0;
	DBT k, v;
	int ret;

	if (!(key = delivery_key_alloc(a->account, a->token, &klen)) ||
	    !(o = json_object_new_object())) {
		ret = ENOMEM;
		goto out;
	}
	jint(o, "received_at", a->now);
	if (!(text = jdump_put(o))) {
		ret = ENOMEM;
		goto out;
	}
	k = dbt(key, klen);
	v = dbt(text, strlen(text));
	/* Concurrent deliveries of one token serialize on this key's page
	 * lock: exactly one commits, the others see DB_KEYEXIST. */
	if ((ret = st->db[T_DELIVERIES]->put(st->db[T_DELIVERIES], txn, &k, &v,
					      DB_NOOVERWRITE)) != 0)
		goto out;
	ret = a->job ? job_insert(st, txn, a->job) : 0;
out:
	free(key);
	free(text);
	return ret;
}

enum store_err store_delivery_accept(struct store *st, uint32_t account, const char *token,
				     int64_t now, struct store_job *job)
{
	struct delivery_arg arg = { .account = account, .token = token, .now = now, .job = job };

	if (!token || !token[0] || (job && (!job->kind || !job->opportunity))) {
		set_err(st, "accepting a delivery: no token, kind or opportunity");
		return STORE_ERR;
	}
	if (job)
		job->account = account;
	/* Durable before this returns, seen before or not. */
	return run(st, "recording a delivery", RUN_TXN_FLUSH, op_delivery_accept, &arg);
}

static int op_delivery_seen(struct store *st, DB_TXN *txn, void *p)
{
	struct delivery_arg *a = p;
	unsigned char *key;
	size_t klen = 0;
	DBT k, v = dbt(NULL, 0);
	int ret;

	if (!(key = delivery_key_alloc(a->account, a->token, &klen)))
		return ENOMEM;
	k = dbt(key, klen);
	ret = st->db[T_DELIVERIES]->get(st->db[T_DELIVERIES], txn, &k, &v, 0);
	free(key);
	return ret;
}

/* 0 also when the store fails (logged): store_delivery_accept still
 * refuses a duplicate. */
int store_delivery_seen(struct store *st, uint32_t account, const char *token)
{
	struct delivery_arg arg = { .account = account, .token = token };
	enum store_err e;

	if (!token)
		return 0;
	e = run(st, "looking up a delivery", RUN_READ, op_delivery_seen, &arg);
	if (e == STORE_ERR)
		log_err("store: %s", st->err);
	return e == STORE_OK;
}

/* Remembers where the next batch starts: the smallest key above k is k
 * followed by a zero byte. */
static int prune_resume_at(struct delivery_arg *a, const DBT *k)
{
	unsigned char *next = realloc(a->resume, (size_t)k->size + 1);

	if (!next)
		return ENOMEM;
	memcpy(next, k->data, k->size);
	next[k->size] = 0;
	a->resume = next;
	a->resume_len = (size_t)k->size + 1;
	return 0;
}

/* One batch: looks at up to PRUNE_BATCH records from a->from. */
static int op_delivery_prune(struct store *st, DB_TXN *txn, void *p)
{
	struct delivery_arg *a = p;
	DB *db = st->db[T_DELIVERIES];
	DBC *c = NULL;
	DBT k, v = dbt(NULL, 0);
	u_int32_t flag = a->from ? DB_SET_RANGE : DB_FIRST;
	int ret, t_ret;

	a->done = 0;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	k = dbt(a->from, a->from_len);
	for (int n = 0; n < PRUNE_BATCH; n++) {
		struct json_object *o;
		int64_t at = 0;

		if ((ret = c->get(c, &k, &v, flag | DB_RMW)) != 0)
			break;
		flag = DB_NEXT;
		if ((ret = prune_resume_at(a, &k)) != 0)
			break;
		/* Unreadable records go too: they only guard against replays. */
		o = jparse(st, "deliveries", &v);
		if (!o || !ju_int64(o, "received_at", &at) || at < a->before)
			ret = c->del(c, 0);
		json_object_put(o);
		if (ret != 0)
			break;
	}
	if (ret == DB_NOTFOUND) {
		a->done = 1;
		ret = 0;
	}
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

/* In batches, so no transaction holds locks on the whole table. */
enum store_err store_delivery_prune(struct store *st, int64_t before)
{
	struct delivery_arg arg = { .before = before };
	enum store_err e;

	for (;;) {
		/* A retried batch starts again at from. */
		e = run(st, "pruning deliveries", RUN_TXN, op_delivery_prune, &arg);
		if (e != STORE_OK || arg.done)
			break;
		free(arg.from);
		arg.from = arg.resume;
		arg.from_len = arg.resume_len;
		arg.resume = NULL;
	}
	free(arg.from);
	free(arg.resume);
	return e;
}

struct job_arg {
	struct store_job *job;         /* add/done/reschedule/fail */
	uint32_t account;              /* lease/list/retry */
	uint64_t id;                   /* retry */
	int64_t now, lease_ms;         /* lease; retry: now */
	int64_t due;                   /* reschedule/fail: new due */
	const char *error;
	int fail;
	struct store_job *out;         /* lease */
	int64_t next_due;              /* lease */
	struct store_job **list;       /* list */
	size_t n;
};

static int op_job_add(struct store *st, DB_TXN *txn, void *p)
{
	struct job_arg *a = p;

	return job_insert(st, txn, a->job);
}

enum store_err store_job_add(struct store *st, struct store_job *job)
{
	struct job_arg arg = { .job = job };

	if (!job->kind || !job->opportunity) {
		set_err(st, "adding a job: no kind or opportunity");
		return STORE_ERR;
	}
	return run(st, "adding a job", RUN_TXN, op_job_add, &arg);
}

/* Moves the record at cursor c (key k, value o) to due, after update()
 * changed o; returns the moved job in *out when out is not NULL. */
static int job_move(struct store *st, DB_TXN *txn, DBC *c, const DBT *k,
		    struct json_object *o, int64_t due, struct store_job **out)
{
	unsigned char nk[JOB_KEY_LEN];
	char *text;
	DBT nkey, nval;
	int ret;

	if (!(text = ju_dump_alloc(o)))
		return ENOMEM;
	job_key(nk, get_be32(k->data), due, get_be64((unsigned char *)k->data + 12));
	if ((ret = c->del(c, 0)) != 0)
		goto out;
	nkey = dbt(nk, sizeof nk);
	nval = dbt(text, strlen(text));
	if ((ret = st->db[T_JOBS]->put(st->db[T_JOBS], txn, &nkey, &nval, 0)) != 0)
		goto out;
	if (out)
		ret = job_decode(st, nk, sizeof nk, o, out);
out:
	free(text);
	return ret;
}

/* Positions c on the account's first job and sets *due from its key:
 * jobs sort by due time within the account, failed ones (INT64_MAX)
 * last, so the first record decides. DB_NOTFOUND: the account has none. */
static int first_job(DBC *c, uint32_t account, u_int32_t flags, DBT *k, DBT *v,
		     int64_t *due)
{
	unsigned char prefix[4];
	int ret;

	put_be32(prefix, account);
	*k = dbt(prefix, 4);
	if ((ret = c->get(c, k, v, DB_SET_RANGE | flags)) != 0)
		return ret;
	if (k->size != JOB_KEY_LEN || get_be32(k->data) != account)
		return DB_NOTFOUND;
	*due = unord64(get_be64((unsigned char *)k->data + 4));
	return 0;
}

static int op_job_lease(struct store *st, DB_TXN *txn, void *p)
{
	struct job_arg *a = p;
	DB *db = st->db[T_JOBS];
	DBC *c = NULL;
	struct json_object *o = NULL;
	DBT k, v = dbt(NULL, 0);
	int64_t due;
	int ret, t_ret;

	store_job_free(a->out);
	a->out = NULL;
	a->next_due = INT64_MAX;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	/* DB_RMW: two runners serialize here instead of deadlocking on an
	 * upgrade. */
	if ((ret = first_job(c, a->account, DB_RMW, &k, &v, &due)) != 0)
		goto out;
	if (due > a->now) {
		if (due != INT64_MAX)
			a->next_due = due;
		ret = DB_NOTFOUND;
		goto out;
	}
	if (!(o = jparse(st, "jobs", &v))) {
		ret = ERR_SET;
		goto out;
	}
	jint(o, "attempts", jget_i64(o, "attempts") + 1);
	ret = job_move(st, txn, c, &k, o, add_sat(a->now, a->lease_ms), &a->out);
out:
	json_object_put(o);
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

struct next_due_arg {
	uint32_t account;
	int64_t due;
};

static int op_job_next_due(struct store *st, DB_TXN *txn, void *p)
{
	struct next_due_arg *a = p;
	DB *db = st->db[T_JOBS];
	DBC *c = NULL;
	DBT k, v = dbt(NULL, 0);
	int ret, t_ret;

	a->due = INT64_MAX;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	v.flags = DB_DBT_PARTIAL;   /* the key says it all */
	ret = first_job(c, a->account, 0, &k, &v, &a->due);
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

int64_t store_job_next_due(struct store *st, uint32_t account)
{
	struct next_due_arg arg = { .account = account, .due = INT64_MAX };

	if (run(st, "looking for the next due job", RUN_READ, op_job_next_due, &arg) != STORE_OK)
		return INT64_MAX;
	return arg.due;
}

enum store_err store_job_lease(struct store *st, uint32_t account, int64_t now,
			       int64_t lease_ms, struct store_job **out, int64_t *next_due)
{
	struct job_arg arg = { .account = account, .now = now, .lease_ms = lease_ms };
	enum store_err e;

	*out = NULL;
	if (next_due)
		*next_due = INT64_MAX;
	/* Lazy: a lease lost in a power cut only lets the job be taken again,
	 * and working a job twice is safe (see pipeline.h). */
	e = run(st, "leasing a job", RUN_TXN_LAZY, op_job_lease, &arg);
	if (e == STORE_OK)
		*out = arg.out;
	else
		store_job_free(arg.out);
	if (e == STORE_NOTFOUND && next_due)
		*next_due = arg.next_due;
	return e;
}

/* A coalesced job's pacing record lives among the delivery tokens, keyed
 * account(4) | 0 | "kind test_id": no token holds a NUL byte (ju_parse
 * refuses them), so the two never meet, and the tokens' pruning drops
 * old pacing records too. */
static unsigned char *pace_key_alloc(const struct store_job *j, size_t *len)
{
	char tail[80];
	int n = snprintf(tail, sizeof tail, "%s %lld", j->kind, (long long)j->test_id);
	unsigned char *k;

	if (n < 0 || (size_t)n >= sizeof tail || !(k = malloc(5 + (size_t)n)))
		return NULL;
	put_be32(k, j->account);
	k[4] = 0;
	memcpy(k + 5, tail, (size_t)n);
	*len = 5 + (size_t)n;
	return k;
}

/* *found = 1 when the account has a pending (not failed) job of j's kind
 * and test id. Failed jobs sort last (due INT64_MAX): the walk stops there. */
static int job_pending(struct store *st, DB_TXN *txn, const struct store_job *j, int *found)
{
	DB *db = st->db[T_JOBS];
	DBC *c = NULL;
	DBT k, v = dbt(NULL, 0);
	int64_t due;
	int ret, t_ret;

	*found = 0;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	for (ret = first_job(c, j->account, 0, &k, &v, &due); ret == 0 && due != INT64_MAX;) {
		struct json_object *o = jparse(st, "jobs", &v);
		const char *kind;

		if (!o) {
			ret = ERR_SET;
			break;
		}
		kind = ju_str(o, "kind");
		*found = kind && strcmp(kind, j->kind) == 0 && jget_i64(o, "test_id") == j->test_id;
		json_object_put(o);
		if (*found || (ret = c->get(c, &k, &v, DB_NEXT)) != 0)
			break;
		if (k.size != JOB_KEY_LEN || get_be32(k.data) != j->account)
			ret = DB_NOTFOUND;
		else
			due = unord64(get_be64((unsigned char *)k.data + 4));
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

struct coalesce_arg {
	struct store_job *job;
	int64_t now, gap_ms;
	int64_t due;                   /* the caller's: an attempt may be run again */
};

static int op_job_add_coalesced(struct store *st, DB_TXN *txn, void *p)
{
	struct coalesce_arg *a = p;
	DB *db = st->db[T_DELIVERIES];
	struct json_object *o;
	unsigned char *key;
	char *text = NULL;
	size_t klen = 0;
	int64_t last = INT64_MIN, at = a->now;   /* when the job may run */
	DBT k, v = dbt(NULL, 0);
	int ret, found;

	if (!(key = pace_key_alloc(a->job, &klen)))
		return ENOMEM;
	k = dbt(key, klen);
	/* The pacing record's write lock, taken first (also when it does not
	 * exist yet), makes concurrent requests for one job take turns. */
	ret = db->get(db, txn, &k, &v, DB_RMW);
	if (ret == 0) {
		if (!(o = jparse(st, "deliveries", &v))) {
			ret = ERR_SET;
			goto out;
		}
		if (!ju_int64(o, "received_at", &last))
			last = INT64_MIN;
		json_object_put(o);
	} else if (ret != DB_NOTFOUND) {
		goto out;
	}
	if ((ret = job_pending(st, txn, a->job, &found)) != 0)
		goto out;
	if (found) {
		ret = DB_KEYEXIST;
		goto out;
	}
	/* gap_ms after the previous one, but never further from now than
	 * gap_ms (a clock set back must not push it far out). */
	if (last != INT64_MIN && last > a->now - a->gap_ms)
		at = last < a->now ? last + a->gap_ms : a->now + a->gap_ms;
	if (!(o = json_object_new_object())) {
		ret = ENOMEM;
		goto out;
	}
	jint(o, "received_at", at);
	if (!(text = jdump_put(o))) {
		ret = ENOMEM;
		goto out;
	}
	k = dbt(key, klen);
	v = dbt(text, strlen(text));
	if ((ret = db->put(db, txn, &k, &v, 0)) != 0)
		goto out;
	a->job->due = at > a->now ? at : a->due;
	ret = job_insert(st, txn, a->job);
out:
	free(key);
	free(text);
	return ret;
}

enum store_err store_job_add_coalesced(struct store *st, struct store_job *job, int64_t now,
				       int64_t gap_ms)
{
	struct coalesce_arg arg = { .job = job, .now = now, .gap_ms = gap_ms, .due = job->due };

	if (!job->kind || !job->opportunity || gap_ms < 0) {
		set_err(st, "adding a job: no kind or opportunity, or a negative gap");
		return STORE_ERR;
	}
	return run(st, "adding a coalesced job", RUN_TXN, op_job_add_coalesced, &arg);
}

static int op_job_done(struct store *st, DB_TXN *txn, void *p)
{
	struct job_arg *a = p;
	unsigned char kb[JOB_KEY_LEN];
	DBT k;

	job_key(kb, a->job->account, a->job->due, a->job->id);
	k = dbt(kb, sizeof kb);
	return st->db[T_JOBS]->del(st->db[T_JOBS], txn, &k, 0);
}

enum store_err store_job_done(struct store *st, const struct store_job *job)
{
	struct job_arg arg = { .job = (struct store_job *)job };

	return run(st, "removing a done job", RUN_TXN_LAZY, op_job_done, &arg);
}

/* reschedule and fail: the stored record is updated in place, so fields
 * this version does not know survive. */
static int op_job_move(struct store *st, DB_TXN *txn, void *p)
{
	struct job_arg *a = p;
	DB *db = st->db[T_JOBS];
	DBC *c = NULL;
	unsigned char kb[JOB_KEY_LEN];
	struct json_object *o = NULL;
	DBT k, v = dbt(NULL, 0);
	int ret, t_ret;

	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	job_key(kb, a->job->account, a->job->due, a->job->id);
	k = dbt(kb, sizeof kb);
	if ((ret = c->get(c, &k, &v, DB_SET | DB_RMW)) != 0)
		goto out;
	if (!(o = jparse(st, "jobs", &v))) {
		ret = ERR_SET;
		goto out;
	}
	jbool(o, "failed", a->fail);
	if (a->error)
		jstr(o, "last_error", a->error);
	ret = job_move(st, txn, c, &k, o, a->due, NULL);
out:
	json_object_put(o);
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

static enum store_err job_move_public(struct store *st, struct store_job *job, int64_t due,
				      const char *error, int fail, const char *what)
{
	struct job_arg arg = { .job = job, .due = due, .error = error, .fail = fail };
	enum store_err e;
	char *copy = NULL;

	if (error && !(copy = strdup(error))) {
		set_err(st, "%s: out of memory", what);
		return STORE_ERR;
	}
	e = run(st, what, fail ? RUN_TXN : RUN_TXN_LAZY, op_job_move, &arg);
	if (e != STORE_OK) {
		free(copy);
		return e;
	}
	job->due = due;
	job->failed = fail;
	if (copy) {
		free(job->last_error);
		job->last_error = copy;
	}
	return STORE_OK;
}

/* Also clears the failed mark: this is how a failed job is retried. */
enum store_err store_job_reschedule(struct store *st, struct store_job *job, int64_t due,
				    const char *error)
{
	if (due == INT64_MAX)
		due = INT64_MAX - 1;   /* INT64_MAX means failed */
	return job_move_public(st, job, due, error, 0, "rescheduling a job");
}

enum store_err store_job_fail(struct store *st, struct store_job *job, const char *error)
{
	return job_move_public(st, job, INT64_MAX, error, 1, "marking a job failed");
}

/* Walks the account's jobs for the id (the due time, part of the key, is
 * unknown to the caller). Read locks are kept: the record found is then
 * moved in the same transaction. */
static int op_job_retry(struct store *st, DB_TXN *txn, void *p)
{
	struct job_arg *a = p;
	DB *db = st->db[T_JOBS];
	DBC *c = NULL;
	unsigned char prefix[4];
	struct json_object *o = NULL;
	DBT k, v = dbt(NULL, 0);
	u_int32_t flag = DB_SET_RANGE;
	int ret, t_ret;

	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	put_be32(prefix, a->account);
	k = dbt(prefix, 4);
	while ((ret = c->get(c, &k, &v, flag)) == 0) {
		flag = DB_NEXT;
		if (k.size < 4 || get_be32(k.data) != a->account) {
			ret = DB_NOTFOUND;
			break;
		}
		if (k.size == JOB_KEY_LEN &&
		    get_be64((unsigned char *)k.data + 12) == a->id)
			break;
	}
	if (ret != 0)
		goto out;
	if (!(o = jparse(st, "jobs", &v))) {
		ret = ERR_SET;
		goto out;
	}
	if (!jget_bool(o, "failed") &&
	    unord64(get_be64((unsigned char *)k.data + 4)) != INT64_MAX) {
		ret = DB_KEYEXIST;   /* pending or leased: not ours to move */
		goto out;
	}
	jbool(o, "failed", 0);
	jint(o, "attempts", 0);
	ret = job_move(st, txn, c, &k, o, a->now, NULL);
out:
	json_object_put(o);
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

enum store_err store_job_retry(struct store *st, uint32_t account, uint64_t job_id,
			       int64_t now)
{
	struct job_arg arg = { .account = account, .id = job_id,
			       .now = now == INT64_MAX ? INT64_MAX - 1 : now };

	return run(st, "retrying a job", RUN_TXN, op_job_retry, &arg);
}

/* Keys start with the account: its jobs are one range. */
static int op_job_list(struct store *st, DB_TXN *txn, void *p)
{
	struct job_arg *a = p;
	unsigned char prefix[4];
	struct walk w = { .t = T_JOBS, .prefix = a->account ? prefix : NULL, .prefix_len = 4,
			  .take = job_take, .elem = sizeof *a->list };
	int ret;

	store_jobs_free(a->list, a->n);
	put_be32(prefix, a->account);
	ret = walk(st, txn, &w);
	a->list = w.list;
	a->n = w.n;
	return ret;
}

enum store_err store_job_list(struct store *st, uint32_t account,
			      struct store_job ***out, size_t *n)
{
	struct job_arg arg = { .account = account };
	enum store_err e;

	*out = NULL;
	*n = 0;
	e = run(st, "listing jobs", RUN_READ, op_job_list, &arg);
	if (e != STORE_OK) {
		store_jobs_free(arg.list, arg.n);
		return e;
	}
	*out = arg.list;
	*n = arg.n;
	return STORE_OK;
}

/* ----------------------------------------------------------- invitations */

void store_invitation_free(struct store_invitation *i)
{
	if (!i)
		return;
	free(i->opportunity);
	free(i->state);
	free(i->email);
	free(i->name);
	free(i->test_url);
	free(i->error);
	free(i->waiting_note);
	free(i->sent_note);
	free(i->result_note);
	free(i->result_status);
	free(i);
}

void store_invitations_free(struct store_invitation **i, size_t n)
{
	if (!i)
		return;
	for (size_t k = 0; k < n; k++)
		store_invitation_free(i[k]);
	free(i);
}

static char *inv_json(const struct store_invitation *i)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	jint(o, "rule_id", i->rule_id);
	jstr(o, "state", i->state);
	jstr(o, "email", i->email);
	jstr(o, "name", i->name);
	jint(o, "test_id", i->test_id);
	jstr(o, "test_url", i->test_url);
	jstr(o, "waiting_note", i->waiting_note);
	jstr(o, "error", i->error);
	jint(o, "created_at", i->created_at);
	jint(o, "updated_at", i->updated_at);
	jint(o, "sent_at", i->sent_at);
	jstr(o, "sent_note", i->sent_note);
	jstr(o, "result_note", i->result_note);
	jstr(o, "result_status", i->result_status);
	json_object_object_add(o, "score", json_object_new_double(i->score));
	jbool(o, "tags_done", i->tags_done);
	jbool(o, "stage_done", i->stage_done);
	jint(o, "next_poll_at", i->next_poll_at);
	jint(o, "polls", i->polls);
	return jdump_put(o);
}

static int inv_decode(struct store *st, const DBT *k, const DBT *v,
		      struct store_invitation **out)
{
	const unsigned char *kd = k->data, *nul;
	struct store_invitation *i = NULL;
	struct json_object *o = NULL;
	int ret = ERR_SET;

	*out = NULL;
	/* account(4) | opportunity | 0 | campaign(8) */
	if (k->size < 4 + 1 + 8 || !(nul = memchr(kd + 4, 0, k->size - 4)) ||
	    (size_t)(kd + k->size - nul) != 1 + 8) {
		set_err(st, "corrupt key in invitations");
		goto out;
	}
	if (!(o = jparse(st, "invitations", v)))
		goto out;
	if (!(i = calloc(1, sizeof *i)) || !(i->opportunity = strdup((const char *)kd + 4))) {
		ret = ENOMEM;
		goto out;
	}
	i->account = get_be32(kd);
	i->campaign = (int64_t)get_be64(nul + 1);
	i->rule_id = (uint32_t)jget_i64(o, "rule_id");
	if ((ret = jdup(st, o, "invitations", "state", 1, &i->state)) ||
	    (ret = jdup(st, o, "invitations", "email", 0, &i->email)) ||
	    (ret = jdup(st, o, "invitations", "name", 0, &i->name)) ||
	    (ret = jdup(st, o, "invitations", "test_url", 0, &i->test_url)) ||
	    (ret = jdup(st, o, "invitations", "error", 0, &i->error)) ||
	    (ret = jdup(st, o, "invitations", "waiting_note", 0, &i->waiting_note)) ||
	    (ret = jdup(st, o, "invitations", "sent_note", 0, &i->sent_note)) ||
	    (ret = jdup(st, o, "invitations", "result_note", 0, &i->result_note)) ||
	    (ret = jdup(st, o, "invitations", "result_status", 0, &i->result_status)))
		goto out;
	i->test_id = jget_i64(o, "test_id");
	/* Records written before waiting_note kept a flag, set once posted. */
	if (!i->waiting_note && jget_bool(o, "note_posted") &&
	    !(i->waiting_note = strdup("posted"))) {
		ret = ENOMEM;
		goto out;
	}
	i->created_at = jget_i64(o, "created_at");
	i->updated_at = jget_i64(o, "updated_at");
	i->sent_at = jget_i64(o, "sent_at");
	{
		struct json_object *sc;

		if (json_object_object_get_ex(o, "score", &sc))
			i->score = json_object_get_double(sc);
	}
	i->tags_done = jget_bool(o, "tags_done");
	i->stage_done = jget_bool(o, "stage_done");
	i->next_poll_at = jget_i64(o, "next_poll_at");
	i->polls = (int)jget_i64(o, "polls");
	*out = i;
	i = NULL;
	ret = 0;
out:
	store_invitation_free(i);
	json_object_put(o);
	return ret;
}

struct inv_arg {
	const struct store_invitation *in;   /* create/put */
	int create;
	uint32_t account;                    /* get/list */
	const char *opportunity;             /* get */
	int64_t campaign;                    /* get */
	int64_t test_id;                     /* by_test */
	struct store_invitation *out;        /* get/by_test */
	struct store_invitation **list;      /* list */
	size_t n;
};

static int test_index_put(struct store *st, DB_TXN *txn, int64_t test_id,
			  const unsigned char *key, size_t klen)
{
	unsigned char tb[8];
	DBT k, v;

	put_be64(tb, (uint64_t)test_id);
	k = dbt(tb, 8);
	v = dbt(key, klen);
	return st->db[T_INV_BY_TEST]->put(st->db[T_INV_BY_TEST], txn, &k, &v, 0);
}

/* Drops test_id from the index when it points at key. */
static int test_index_del(struct store *st, DB_TXN *txn, int64_t test_id,
			  const unsigned char *key, size_t klen)
{
	DB *db = st->db[T_INV_BY_TEST];
	unsigned char tb[8];
	DBT k, v = dbt(NULL, 0);
	int ret;

	put_be64(tb, (uint64_t)test_id);
	k = dbt(tb, 8);
	ret = db->get(db, txn, &k, &v, DB_RMW);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0)
		return ret;
	if (v.size != klen || memcmp(v.data, key, klen) != 0)
		return 0;
	return db->del(db, txn, &k, 0);
}

static int op_inv_write(struct store *st, DB_TXN *txn, void *p)
{
	struct inv_arg *a = p;
	const struct store_invitation *in = a->in;
	DB *db = st->db[T_INVITATIONS];
	unsigned char *key = NULL;
	char *text = NULL;
	size_t klen = 0;
	DBT k, v = dbt(NULL, 0), prev = dbt(NULL, 0);
	int ret;

	if (!(key = inv_key_alloc(in->account, in->opportunity, in->campaign, &klen)) ||
	    !(text = inv_json(in))) {
		ret = ENOMEM;
		goto out;
	}
	k = dbt(key, klen);
	if (!a->create) {
		/* Keep the index in step with the test id being replaced. */
		ret = db->get(db, txn, &k, &v, DB_RMW);
		if (ret == 0) {
			struct json_object *o = jparse(st, "invitations", &v);
			int64_t old = o ? jget_i64(o, "test_id") : 0;

			prev = v;
			json_object_put(o);
			if (old && old != in->test_id &&
			    (ret = test_index_del(st, txn, old, key, klen)) != 0)
				goto out;
		} else if (ret != DB_NOTFOUND)
			goto out;
	}
	if ((ret = hist_inv_write(st, txn, &k, prev.data ? &prev : NULL, in)) != 0)
		goto out;
	v = dbt(text, strlen(text));
	if ((ret = db->put(db, txn, &k, &v, a->create ? DB_NOOVERWRITE : 0)) != 0)
		goto out;
	if (in->test_id)
		ret = test_index_put(st, txn, in->test_id, key, klen);
out:
	free(key);
	free(text);
	return ret;
}

static enum store_err inv_write(struct store *st, const struct store_invitation *inv,
				int create)
{
	struct inv_arg arg = { .in = inv, .create = create };

	if (!inv->opportunity || !inv->state) {
		set_err(st, "writing an invitation: no opportunity or state");
		return STORE_ERR;
	}
	return run(st, create ? "creating an invitation" : "saving an invitation",
		   RUN_TXN, op_inv_write, &arg);
}

enum store_err store_invitation_create(struct store *st, const struct store_invitation *inv)
{
	return inv_write(st, inv, 1);
}

enum store_err store_invitation_put(struct store *st, const struct store_invitation *inv)
{
	return inv_write(st, inv, 0);
}

static int op_inv_get(struct store *st, DB_TXN *txn, void *p)
{
	struct inv_arg *a = p;
	unsigned char *key;
	size_t klen = 0;
	DBT k, v = dbt(NULL, 0);
	int ret;

	store_invitation_free(a->out);
	a->out = NULL;
	if (!(key = inv_key_alloc(a->account, a->opportunity, a->campaign, &klen)))
		return ENOMEM;
	k = dbt(key, klen);
	ret = st->db[T_INVITATIONS]->get(st->db[T_INVITATIONS], txn, &k, &v, 0);
	if (ret == 0)
		ret = inv_decode(st, &k, &v, &a->out);
	free(key);
	return ret;
}

static enum store_err inv_result(struct inv_arg *a, enum store_err e,
				 struct store_invitation **out)
{
	if (e == STORE_OK)
		*out = a->out;
	else
		store_invitation_free(a->out);
	return e;
}

enum store_err store_invitation_get(struct store *st, uint32_t account,
				    const char *opportunity, int64_t campaign,
				    struct store_invitation **out)
{
	struct inv_arg arg = { .account = account, .opportunity = opportunity,
			       .campaign = campaign };

	*out = NULL;
	if (!opportunity)
		return STORE_NOTFOUND;
	return inv_result(&arg, run(st, "reading an invitation", RUN_READ, op_inv_get, &arg),
			  out);
}

static int op_inv_by_test(struct store *st, DB_TXN *txn, void *p)
{
	struct inv_arg *a = p;
	unsigned char tb[8];
	DBT k, v = dbt(NULL, 0), iv = dbt(NULL, 0);
	int ret;

	store_invitation_free(a->out);
	a->out = NULL;
	put_be64(tb, (uint64_t)a->test_id);
	k = dbt(tb, 8);
	if ((ret = st->db[T_INV_BY_TEST]->get(st->db[T_INV_BY_TEST], txn, &k, &v, 0)) != 0)
		return ret;
	/* v belongs to the index handle until its next call; the second
	 * get is on another handle. */
	if ((ret = st->db[T_INVITATIONS]->get(st->db[T_INVITATIONS], txn, &v, &iv, 0)) != 0)
		return ret;   /* a dangling index entry reads as not found */
	return inv_decode(st, &v, &iv, &a->out);
}

enum store_err store_invitation_by_test(struct store *st, int64_t test_id,
					struct store_invitation **out)
{
	struct inv_arg arg = { .test_id = test_id };

	*out = NULL;
	if (!test_id)
		return STORE_NOTFOUND;
	/* A plain transaction: both reads see one committed state. */
	return inv_result(&arg, run(st, "finding an invitation by test", RUN_TXN,
				    op_inv_by_test, &arg), out);
}

static int inv_take(struct store *st, const DBT *k, const DBT *v, void *ctx, void *out)
{
	(void)ctx;
	return inv_decode(st, k, v, out);
}

/* Keys start with the account: its invitations are one range. */
static int op_inv_list(struct store *st, DB_TXN *txn, void *p)
{
	struct inv_arg *a = p;
	unsigned char prefix[4];
	struct walk w = { .t = T_INVITATIONS, .prefix = a->account ? prefix : NULL,
			  .prefix_len = 4, .take = inv_take, .elem = sizeof *a->list };
	int ret;

	store_invitations_free(a->list, a->n);
	put_be32(prefix, a->account);
	ret = walk(st, txn, &w);
	a->list = w.list;
	a->n = w.n;
	return ret;
}

enum store_err store_invitation_list(struct store *st, uint32_t account,
				     struct store_invitation ***out, size_t *n)
{
	struct inv_arg arg = { .account = account };
	enum store_err e;

	*out = NULL;
	*n = 0;
	e = run(st, "listing invitations", RUN_READ, op_inv_list, &arg);
	if (e != STORE_OK) {
		store_invitations_free(arg.list, arg.n);
		return e;
	}
	*out = arg.list;
	*n = arg.n;
	return STORE_OK;
}

/* ---------------------------------------------------------- oauth states */

void store_oauth_state_free(struct store_oauth_state *s)
{
	if (!s)
		return;
	free(s->state);
	free(s->user);
	free(s);
}

struct state_arg {
	const struct store_oauth_state *in;
	const char *state;
	struct store_oauth_state *out;
};

static int op_state_put(struct store *st, DB_TXN *txn, void *p)
{
	struct state_arg *a = p;
	struct json_object *o = json_object_new_object();
	char *text;
	DBT k, v;
	int ret;

	if (!o)
		return ENOMEM;
	jint(o, "account", a->in->account);
	jstr(o, "user", a->in->user);
	jint(o, "expires_at", a->in->expires_at);
	if (!(text = jdump_put(o)))
		return ENOMEM;
	k = dbt(a->in->state, strlen(a->in->state));
	v = dbt(text, strlen(text));
	ret = st->db[T_OAUTH_STATES]->put(st->db[T_OAUTH_STATES], txn, &k, &v, DB_NOOVERWRITE);
	free(text);
	return ret;
}

enum store_err store_oauth_state_put(struct store *st, const struct store_oauth_state *s)
{
	struct state_arg arg = { .in = s };

	if (!s->state || !*s->state || !s->user) {
		set_err(st, "saving an OAuth state: no state or user");
		return STORE_ERR;
	}
	return run(st, "saving an OAuth state", RUN_TXN, op_state_put, &arg);
}

static int op_state_take(struct store *st, DB_TXN *txn, void *p)
{
	struct state_arg *a = p;
	struct json_object *o = NULL;
	DBT k = dbt(a->state, strlen(a->state)), v = dbt(NULL, 0);
	int ret;

	store_oauth_state_free(a->out);
	a->out = NULL;
	ret = st->db[T_OAUTH_STATES]->get(st->db[T_OAUTH_STATES], txn, &k, &v, DB_RMW);
	if (ret != 0)
		return ret;
	if (!(o = jparse(st, "oauth_states", &v)))
		return ERR_SET;
	if (!(a->out = calloc(1, sizeof *a->out)) || !(a->out->state = strdup(a->state))) {
		json_object_put(o);
		return ENOMEM;
	}
	a->out->account = (uint32_t)jget_i64(o, "account");
	a->out->expires_at = jget_i64(o, "expires_at");
	ret = jdup(st, o, "oauth_states", "user", 1, &a->out->user);
	json_object_put(o);
	if (ret == 0)   /* single use: gone with the same commit */
		ret = st->db[T_OAUTH_STATES]->del(st->db[T_OAUTH_STATES], txn, &k, 0);
	return ret;
}

/* Deletes at most PRUNE_BATCH states that expired before *before (the
 * ones never taken: an abandoned "Connect Lever"); *before becomes the
 * count deleted. */
static int op_state_prune(struct store *st, DB_TXN *txn, void *p)
{
	int64_t *arg = p, before = *arg, n = 0;
	DBC *c = NULL;
	DBT k = dbt(NULL, 0), v = dbt(NULL, 0);
	int ret;

	if ((ret = st->db[T_OAUTH_STATES]->cursor(st->db[T_OAUTH_STATES], txn, &c, 0)) != 0)
		return ret;
	while (n < PRUNE_BATCH && (ret = c->get(c, &k, &v, DB_NEXT | DB_RMW)) == 0) {
		struct json_object *o = jparse(st, "oauth_states", &v);
		int64_t exp = o ? jget_i64(o, "expires_at") : 0;

		json_object_put(o);
		if (exp < before) {
			if ((ret = c->del(c, 0)) != 0)
				break;
			n++;
		}
	}
	(void)c->close(c);
	*arg = n;
	return ret == DB_NOTFOUND ? 0 : ret;
}

enum store_err store_oauth_state_prune(struct store *st, int64_t before)
{
	int64_t n;
	enum store_err e;

	do {
		n = before;
		e = run(st, "pruning OAuth states", RUN_TXN, op_state_prune, &n);
	} while (e == STORE_OK && n == PRUNE_BATCH);
	return e;
}

enum store_err store_oauth_state_take(struct store *st, const char *state,
				      struct store_oauth_state **out)
{
	struct state_arg arg = { .state = state };
	enum store_err e;

	*out = NULL;
	if (!state || !*state)
		return STORE_NOTFOUND;
	e = run(st, "taking an OAuth state", RUN_TXN, op_state_take, &arg);
	if (e == STORE_OK)
		*out = arg.out;
	else
		store_oauth_state_free(arg.out);
	return e;
}

/* ------------------------------------------------------------- audit log */

#define AUDIT_KEY_LEN 16   /* at(8) | random(8) */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_audit_free(struct store_audit *a)
{
	if (!a)
		return;
	free(a->user);
	free(a->action);
	free(a->detail);
	free(a);
}

void store_audits_free(struct store_audit **a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++)
		store_audit_free(a[i]);
	free(a);
}

static int audit_decode(struct store *st, const DBT *k, struct json_object *o,
			struct store_audit **out)
{
	struct store_audit *a;
	int ret;

	*out = NULL;
	if (k->size != AUDIT_KEY_LEN) {
		set_err(st, "corrupt key in audit");
		return ERR_SET;
	}
	if (!(a = calloc(1, sizeof *a)))
		return ENOMEM;
	a->at = unord64(get_be64(k->data));
	a->account = (uint32_t)jget_i64(o, "account");
	if ((ret = jdup(st, o, "audit", "action", 1, &a->action)) ||
	    (ret = jdup(st, o, "audit", "user", 0, &a->user)) ||
	    (ret = jdup(st, o, "audit", "detail", 0, &a->detail))) {
		store_audit_free(a);
		return ret;
	}
	*out = a;
	return 0;
}

struct audit_arg {
	int64_t at;                    /* add */
	const char *user, *action, *detail;
	uint32_t account;              /* add; list filter */
	size_t offset, limit;          /* list */
	size_t skipped;                /* list: matches passed over so far */
	struct store_audit **list;
	size_t n;
};

static int op_audit_add(struct store *st, DB_TXN *txn, void *p)
{
	struct audit_arg *a = p;
	struct json_object *o;
	unsigned char kb[AUDIT_KEY_LEN];
	uint64_t r;
	char *text;
	DBT k, v;
	int ret;

	if ((ret = random_id(&r)) != 0)
		return ret;
	if (!(o = json_object_new_object()))
		return ENOMEM;
	jstr(o, "user", a->user);
	jint(o, "account", a->account);
	jstr(o, "action", a->action);
	jstr(o, "detail", a->detail);
	if (!(text = jdump_put(o)))
		return ENOMEM;
	put_be64(kb, ord64(a->at));
	put_be64(kb + 8, r);
	k = dbt(kb, sizeof kb);
	v = dbt(text, strlen(text));
	ret = st->db[T_AUDIT]->put(st->db[T_AUDIT], txn, &k, &v, DB_NOOVERWRITE);
	free(text);
	if (ret == DB_KEYEXIST) {   /* 2^-64 within one millisecond */
		set_err(st, "audit key collision, try again");
		return ERR_SET;
	}
	return ret;
}

enum store_err store_audit_add(struct store *st, const char *user, uint32_t account,
			       const char *action, const char *detail)
{
	/* The time is taken once: a retried transaction keeps it. */
	struct audit_arg arg = { .at = wall_ms(), .user = user, .account = account,
				 .action = action, .detail = detail };

	if (!action || !action[0]) {
		set_err(st, "adding an audit entry: no action");
		return STORE_ERR;
	}
	return run(st, "adding an audit entry", RUN_TXN, op_audit_add, &arg);
}

/* The account filter reads every entry (keys are by time); the offset
 * counts matching entries only. */
static int audit_take(struct store *st, const DBT *k, const DBT *v, void *ctx, void *out)
{
	struct audit_arg *a = ctx;
	struct json_object *o = jparse(st, "audit", v);
	int ret;

	if (!o)
		return ERR_SET;
	if (a->account && (uint32_t)jget_i64(o, "account") != a->account)
		ret = WALK_SKIP;
	else if (a->skipped < a->offset) {
		a->skipped++;
		ret = WALK_SKIP;
	} else
		ret = audit_decode(st, k, o, out);
	json_object_put(o);
	return ret;
}

/* Backwards from the newest entry. */
static int op_audit_list(struct store *st, DB_TXN *txn, void *p)
{
	struct audit_arg *a = p;
	struct walk w = { .t = T_AUDIT, .backwards = 1, .limit = a->limit,
			  .take = audit_take, .ctx = a, .elem = sizeof *a->list };
	int ret;

	store_audits_free(a->list, a->n);
	a->skipped = 0;
	ret = walk(st, txn, &w);
	a->list = w.list;
	a->n = w.n;
	return ret;
}

enum store_err store_audit_list(struct store *st, uint32_t account, size_t offset,
				size_t limit, struct store_audit ***out, size_t *n)
{
	struct audit_arg arg = { .account = account, .offset = offset, .limit = limit };
	enum store_err e;

	*out = NULL;
	*n = 0;
	e = run(st, "listing the audit log", RUN_READ, op_audit_list, &arg);
	if (e != STORE_OK) {
		store_audits_free(arg.list, arg.n);
		return e;
	}
	*out = arg.list;
	*n = arg.n;
	return STORE_OK;
}

/* ----------------------------------------------------------- maintenance */

static int op_checkpoint(struct store *st, DB_TXN *txn, void *p)
{
	(void)txn;
	(void)p;
	return st->env->txn_checkpoint(st->env, 0, 0, 0);
}

/* Writes dirty pages before anyone needs their buffers, so that
 * transactions do not write them on their own time, and checkpoints
 * once enough log has been written since the last one. */
static int op_tidy(struct store *st, DB_TXN *txn, void *p)
{
	int wrote = 0, ret;

	(void)txn;
	(void)p;
	if ((ret = st->env->memp_trickle(st->env, TIDY_CLEAN_PCT, &wrote)) != 0)
		return ret;
	return st->env->txn_checkpoint(st->env, TIDY_LOG_KB, 0, 0);
}

static int op_force_checkpoint(struct store *st, DB_TXN *txn, void *p)
{
	(void)txn;
	(void)p;
	return st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE);
}

static int op_backup(struct store *st, DB_TXN *txn, void *p)
{
	(void)txn;
	return st->env->backup(st->env, p, DB_CREATE);
}

enum store_err store_backup(struct store *st, const char *dir)
{
	struct stat sb;

	if (stat(dir, &sb) == 0) {
		DIR *d = S_ISDIR(sb.st_mode) ? opendir(dir) : NULL;
		struct dirent *e;
		int empty = d != NULL;

		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = 0;
		if (d)
			closedir(d);
		if (!empty) {
			set_err(st, "backup: %s exists and is not an empty directory", dir);
			return STORE_ERR;
		}
	} else if (mkdir(dir, 0700) != 0) {
		set_err(st, "backup: cannot create %s: %s", dir, strerror(errno));
		return STORE_ERR;
	}
	/* A checkpoint first (it writes the log: inside the gate) so the
	 * copy needs little log to recover; then the copy, outside it. */
	if (run(st, "checkpointing before a backup", RUN_NOTXN, op_force_checkpoint, NULL) != STORE_OK)
		return STORE_ERR;
	return run(st, "backing up", RUN_COPY, op_backup, (void *)dir);
}

enum store_err store_tidy(struct store *st)
{
	return run(st, "writing dirty pages", RUN_NOTXN, op_tidy, NULL);
}

enum store_err store_checkpoint(struct store *st)
{
	return run(st, "checkpointing", RUN_NOTXN, op_checkpoint, NULL);
}

/* ==== history indexes (issue 13 item 7) ==== */

/* What keeps the cost of a runner pass, the Activity page and the
 * Campaigns page independent of how many invitations an account has
 * sent: indexes kept in step with every invitation write, in the same
 * transaction (hist_inv_write, called by op_inv_write).
 *
 * inv_index.db: account(4) | kind(1) | ord64(t)(8) | invitation key, no
 * value. Kinds: HX_POLL, the sent tests whose result is still to read or
 * act on, t = when results_poll looks next (0: at once); HX_WAIT, the
 * invitations waiting for an email, t = 0; HX_TIME, every invitation,
 * t = updated_at (the Activity page, newest first).
 *
 * campaign_sums.db: account(4) | campaign(8) | rule(4) -> sent(4) |
 * waiting(4) | pairs of score in hundredths of a percent (2) and how many
 * completed tests scored it (4), ascending: what the Campaigns page
 * shows, median and pass rate included, without reading invitations.
 *
 * A store written before these existed is indexed once, at open, in
 * batches (hist_build); meta's HIST_META holds how far it got (the last
 * invitation key indexed) and then HIST_DONE. A write to an invitation
 * the build has not reached yet leaves the indexes alone: the build
 * counts it as it is when it gets there. */

#define HX_POLL 'p'
#define HX_WAIT 'w'
#define HX_TIME 'u'
#define HX_HEAD 13              /* account(4) | kind(1) | ord64(t)(8) */
#define HIST_META "history_indexes"
#define HIST_DONE "\x01"        /* shorter than any invitation key */
#define HIST_BATCH 500          /* invitations indexed per transaction */
#define SUM_HEAD 8              /* sent(4) | waiting(4) */
#define SUM_PAIR 6              /* score(2) | count(4) */
#define SUM_KEY_LEN 16          /* account(4) | campaign(8) | rule(4) */
#define CURSOR_MAX 300          /* bytes in a cursor (hex: twice, STORE_CURSOR_MAX) */

/* What one invitation puts in the indexes and the summary. */
struct hx_of {
	int poll, wait;             /* in HX_POLL / HX_WAIT */
	int64_t poll_at, updated;
	int sent, waiting, score;   /* score: hundredths, -1: not completed */
	int64_t campaign;
	uint32_t rule;
};

static void hx_of(const struct store_invitation *i, struct hx_of *o)
{
	int sent = strcmp(i->state, "sent") == 0;

	memset(o, 0, sizeof *o);
	o->score = -1;
	o->updated = i->updated_at;
	o->campaign = i->campaign;
	o->rule = i->rule_id;
	o->wait = strcmp(i->state, "waiting_email") == 0;
	/* What results_poll skips for good: no test, or all done. */
	o->poll = sent && i->test_id &&
		  !(i->result_note && strcmp(i->result_note, "posted") == 0 &&
		    i->tags_done && i->stage_done);
	/* A final status seen but not acted on yet is due at once. */
	o->poll_at = i->result_status ? 0 : i->next_poll_at;
	if (!sent)
		return;
	o->sent = 1;
	o->waiting = !i->result_status;
	if (i->result_status && strcmp(i->result_status, "completed") == 0) {
		double s = i->score * 100;

		/* Rounded down: score >= a whole pass_score exactly when the
		 * hundredths are. */
		o->score = s <= 0 ? 0 : s >= 10000 ? 10000 : (int)s;
	}
}

static int hx_entry(struct store *st, DB_TXN *txn, const DBT *ik, int kind, int64_t t, int del)
{
	DB *db = st->db[T_INV_INDEX];
	unsigned char *key = malloc(HX_HEAD + ik->size);
	DBT k, v = dbt(NULL, 0);
	int ret;

	if (!key)
		return ENOMEM;
	memcpy(key, ik->data, 4);
	key[4] = (unsigned char)kind;
	put_be64(key + 5, ord64(t));
	memcpy(key + HX_HEAD, ik->data, ik->size);
	k = dbt(key, HX_HEAD + ik->size);
	ret = del ? db->del(db, txn, &k, 0) : db->put(db, txn, &k, &v, 0);
	free(key);
	return ret == DB_NOTFOUND ? 0 : ret;
}

/* Adds sign times one invitation's share to its campaign summary. */
static int sum_add(struct store *st, DB_TXN *txn, uint32_t account, const struct hx_of *o,
		   int sign)
{
	DB *db = st->db[T_CAMPAIGN_SUMS];
	unsigned char kb[SUM_KEY_LEN], *rec = NULL;
	DBT k, v = dbt(NULL, 0);
	size_t len = SUM_HEAD, at;
	int ret;

	if (!o->sent)
		return 0;
	put_be32(kb, account);
	put_be64(kb + 4, (uint64_t)o->campaign);
	put_be32(kb + 12, o->rule);
	k = dbt(kb, sizeof kb);
	ret = db->get(db, txn, &k, &v, DB_RMW);
	if (ret == 0 && (v.size < SUM_HEAD || (v.size - SUM_HEAD) % SUM_PAIR)) {
		set_err(st, "corrupt record in campaign_sums");
		return ERR_SET;
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		return ret;
	if (ret == 0)
		len = v.size;
	if (!(rec = calloc(1, len + SUM_PAIR)))
		return ENOMEM;
	if (ret == 0)
		memcpy(rec, v.data, v.size);
	put_be32(rec, get_be32(rec) + (uint32_t)(sign * o->sent));
	put_be32(rec + 4, get_be32(rec + 4) + (uint32_t)(sign * o->waiting));
	if (o->score >= 0) {
		for (at = SUM_HEAD; at < len && ((rec[at] << 8) | rec[at + 1]) < o->score;
		     at += SUM_PAIR)
			;
		if (at == len || ((rec[at] << 8) | rec[at + 1]) != o->score) {
			memmove(rec + at + SUM_PAIR, rec + at, len - at);
			rec[at] = (unsigned char)(o->score >> 8);
			rec[at + 1] = (unsigned char)o->score;
			put_be32(rec + at + 2, 0);
			len += SUM_PAIR;
		}
		put_be32(rec + at + 2, get_be32(rec + at + 2) + (uint32_t)sign);
		if (get_be32(rec + at + 2) == 0) {
			memmove(rec + at, rec + at + SUM_PAIR, len - at - SUM_PAIR);
			len -= SUM_PAIR;
		}
	}
	v = dbt(rec, len);
	ret = len == SUM_HEAD && !get_be32(rec) && !get_be32(rec + 4) ? db->del(db, txn, &k, 0)
								     : db->put(db, txn, &k, &v, 0);
	free(rec);
	return ret == DB_NOTFOUND ? 0 : ret;
}

/* Moves invitation ik's entries from what old put in (NULL: nothing) to
 * what nw puts in (NULL: nothing). */
static int hx_move(struct store *st, DB_TXN *txn, const DBT *ik,
		   const struct store_invitation *old, const struct store_invitation *nw)
{
	struct hx_of a, b, none;
	uint32_t account = get_be32(ik->data);
	int ret = 0;

	memset(&none, 0, sizeof none);
	none.score = -1;
	if (old)
		hx_of(old, &a);
	else
		a = none;
	if (nw)
		hx_of(nw, &b);
	else
		b = none;
	if (a.poll != b.poll || a.poll_at != b.poll_at) {
		if ((a.poll && (ret = hx_entry(st, txn, ik, HX_POLL, a.poll_at, 1)) != 0) ||
		    (b.poll && (ret = hx_entry(st, txn, ik, HX_POLL, b.poll_at, 0)) != 0))
			return ret;
	}
	if (a.wait != b.wait &&
	    (ret = hx_entry(st, txn, ik, HX_WAIT, 0, a.wait)) != 0)
		return ret;
	if (!old || !nw || a.updated != b.updated) {
		if ((old && (ret = hx_entry(st, txn, ik, HX_TIME, a.updated, 1)) != 0) ||
		    (nw && (ret = hx_entry(st, txn, ik, HX_TIME, b.updated, 0)) != 0))
			return ret;
	}
	if (a.sent == b.sent && a.waiting == b.waiting && a.score == b.score &&
	    a.campaign == b.campaign && a.rule == b.rule)
		return 0;
	if ((ret = sum_add(st, txn, account, &a, -1)) != 0)
		return ret;
	return sum_add(st, txn, account, &b, 1);
}

/* Berkeley DB's default order: bytes, then length. */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

/* Called by op_inv_write before it writes nw over the record ik (oldv:
 * the record there, NULL: none). */
static int hist_inv_write(struct store *st, DB_TXN *txn, const DBT *ik, const DBT *oldv,
			  const struct store_invitation *nw)
{
	DB *meta = st->db[T_META];
	DBT k = dbt(HIST_META, strlen(HIST_META)), v = dbt(NULL, 0);
	struct store_invitation *old = NULL;
	int ret;

	ret = meta->get(meta, txn, &k, &v, 0);
	if (ret == DB_NOTFOUND)   /* not built yet: the build counts it */
		return 0;
	if (ret != 0)
		return ret;
	if (!(v.size == 1 && memcmp(v.data, HIST_DONE, 1) == 0) &&
	    key_cmp(ik->data, ik->size, v.data, v.size) > 0)
		return 0;   /* past where the build got: it counts it */
	if (oldv && (ret = inv_decode(st, ik, oldv, &old)) != 0)
		return ret;
	ret = hx_move(st, txn, ik, old, nw);
	store_invitation_free(old);
	return ret;
}

struct hist_build {
	size_t batch;   /* out: invitations indexed by this transaction */
	int done;
};

/* Indexes the next HIST_BATCH invitations after where the build got. */
static int op_hist_build(struct store *st, DB_TXN *txn, void *p)
{
	struct hist_build *b = p;
	DB *meta = st->db[T_META], *db = st->db[T_INVITATIONS];
	DBT mk = dbt(HIST_META, strlen(HIST_META)), mv = dbt(NULL, 0), k, v = dbt(NULL, 0);
	unsigned char *last = NULL;
	size_t last_len = 0;
	u_int32_t flag = DB_FIRST;
	DBC *c = NULL;
	int ret, t_ret;

	b->batch = 0;
	b->done = 0;
	ret = meta->get(meta, txn, &mk, &mv, DB_RMW);
	if (ret == 0 && mv.size == 1 && memcmp(mv.data, HIST_DONE, 1) == 0) {
		b->done = 1;
		return 0;
	}
	if (ret != 0 && ret != DB_NOTFOUND)
		return ret;
	if (ret == 0) {
		if (!(last = malloc(mv.size)))
			return ENOMEM;
		memcpy(last, mv.data, mv.size);
		last_len = mv.size;
		flag = DB_SET_RANGE;
	}
	k = dbt(last, last_len);
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		goto out;
	while (b->batch < HIST_BATCH && (ret = c->get(c, &k, &v, flag)) == 0) {
		struct store_invitation *inv = NULL;
		unsigned char *nl;

		flag = DB_NEXT;
		if (last && key_cmp(k.data, k.size, last, last_len) == 0)
			continue;   /* indexed by the previous batch */
		if (!(nl = realloc(last, k.size))) {
			ret = ENOMEM;
			break;
		}
		last = nl;
		memcpy(last, k.data, k.size);
		last_len = k.size;
		if ((ret = inv_decode(st, &k, &v, &inv)) == 0)
			ret = hx_move(st, txn, &k, NULL, inv);
		store_invitation_free(inv);
		if (ret != 0)
			break;
		b->batch++;
	}
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	if (ret == DB_NOTFOUND) {
		b->done = 1;
		mv = dbt(HIST_DONE, 1);
		ret = meta->put(meta, txn, &mk, &mv, 0);
	} else if (ret == 0) {
		mv = dbt(last, last_len);
		ret = meta->put(meta, txn, &mk, &mv, 0);
	}
out:
	free(last);
	return ret;
}

/* Whether the build is done: a plain read, so that the opens of a built
 * store (all but one) take no write lock. */
static int op_hist_done(struct store *st, DB_TXN *txn, void *p)
{
	DBT k = dbt(HIST_META, strlen(HIST_META)), v = dbt(NULL, 0);
	int ret = st->db[T_META]->get(st->db[T_META], txn, &k, &v, 0);

	*(int *)p = ret == 0 && v.size == 1 && memcmp(v.data, HIST_DONE, 1) == 0;
	return ret == DB_NOTFOUND ? 0 : ret;
}

/* Once per store, and at once when it is done (one read per open). */
static void hist_build(struct store *st)
{
	struct hist_build b = { 0 };
	size_t total = 0;
	int64_t t0 = mono_ms();
	int done = 0;

	if (run(st, "reading the history indexes' state", RUN_READ, op_hist_done, &done) ==
	    STORE_OK && done)
		return;
	for (;;) {
		if (run(st, "building the history indexes", RUN_TXN, op_hist_build, &b) !=
		    STORE_OK) {
			log_err("store: building the history indexes: %s (the next open "
				"carries on)", st->err);
			return;
		}
		total += b.batch;
		if (b.done)
			break;
		if (total == b.batch)
			log_info("store %s: indexing the invitations of a store written by "
				 "an earlier version (once)", st->home);
	}
	if (total)
		log_info("store %s: history indexes and campaign summaries built: %zu "
			 "invitation(s) in %lld ms", st->home, total, (long long)(mono_ms() - t0));
}

struct hx_list {
	uint32_t account;
	int kind;
	int64_t due_by;                 /* work */
	const unsigned char *cursor;    /* page: ord64(t) | invitation key */
	size_t cursor_len;
	int older;
	size_t limit;
	struct store_invitation **list;
	size_t n;
	int more_older, more_newer;
};

static void hx_list_clear(struct hx_list *a)
{
	store_invitations_free(a->list, a->n);
	a->list = NULL;
	a->n = 0;
}

/* Reads the invitation an index key names, into the list; a dangling
 * entry is skipped. */
static int hx_take(struct store *st, DB_TXN *txn, struct hx_list *a, const DBT *k, size_t *cap)
{
	DBT ik = dbt((const unsigned char *)k->data + HX_HEAD, k->size - HX_HEAD),
	    iv = dbt(NULL, 0);
	int ret;

	struct store_invitation **list = grow(a->list, a->n, cap, sizeof *a->list);

	if (!list)
		return ENOMEM;
	a->list = list;
	ret = st->db[T_INVITATIONS]->get(st->db[T_INVITATIONS], txn, &ik, &iv, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret == 0 && (ret = inv_decode(st, &ik, &iv, &a->list[a->n])) == 0)
		a->n++;
	return ret;
}

static int hx_in(const DBT *k, const unsigned char *prefix)
{
	return k->size > HX_HEAD && memcmp(k->data, prefix, 5) == 0;
}

/* The account's HX_POLL or HX_WAIT entries due by a->due_by, in order. */
static int op_hx_work(struct store *st, DB_TXN *txn, void *p)
{
	struct hx_list *a = p;
	DB *db = st->db[T_INV_INDEX];
	unsigned char prefix[5];
	DBT k = dbt(prefix, 5), v = dbt(NULL, 0);
	u_int32_t flag = DB_SET_RANGE;
	size_t cap = 0;
	DBC *c = NULL;
	int ret, t_ret;

	hx_list_clear(a);
	put_be32(prefix, a->account);
	prefix[4] = (unsigned char)a->kind;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	while ((!a->limit || a->n < a->limit) && (ret = c->get(c, &k, &v, flag)) == 0) {
		flag = DB_NEXT;
		if (!hx_in(&k, prefix) ||
		    unord64(get_be64((const unsigned char *)k.data + 5)) > a->due_by)
			break;
		if ((ret = hx_take(st, txn, a, &k, &cap)) != 0)
			break;
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

enum store_err store_invitation_work(struct store *st, uint32_t account, int kind,
				     int64_t due_by, size_t limit,
				     struct store_invitation ***out, size_t *n)
{
	struct hx_list a = { .account = account, .kind = kind, .due_by = due_by,
			     .limit = limit };
	enum store_err e;

	*out = NULL;
	*n = 0;
	if (kind != STORE_WORK_POLL && kind != STORE_WORK_WAITING) {
		set_err(st, "listing invitations: no such work list");
		return STORE_ERR;
	}
	e = run(st, "listing invitations to work on", RUN_READ, op_hx_work, &a);
	if (e != STORE_OK) {
		hx_list_clear(&a);
		return e;
	}
	*out = a.list;
	*n = a.n;
	return STORE_OK;
}

/* Puts c at the greatest key below key (DB_NOTFOUND: none). */
static int seek_below(DBC *c, const unsigned char *key, size_t len, DBT *k, DBT *v)
{
	int ret;

	*k = dbt(key, len);
	ret = c->get(c, k, v, DB_SET_RANGE);
	if (ret == 0)
		return c->get(c, k, v, DB_PREV);
	return ret == DB_NOTFOUND ? c->get(c, k, v, DB_LAST) : ret;
}

/* One page of the account's HX_TIME entries: before the cursor (older,
 * or the newest when there is none) or after it (newer). */
static int op_hx_page(struct store *st, DB_TXN *txn, void *p)
{
	struct hx_list *a = p;
	DB *db = st->db[T_INV_INDEX];
	unsigned char key[5 + CURSOR_MAX];
	size_t len = 5, cap = 0;
	DBT k, v = dbt(NULL, 0);
	DBC *c = NULL;
	int ret, t_ret, up = !a->older && a->cursor, *more_far, got = 0;

	hx_list_clear(a);
	a->more_older = a->more_newer = 0;
	more_far = up ? &a->more_newer : &a->more_older;
	put_be32(key, a->account);
	key[4] = HX_TIME;
	if (a->cursor) {
		memcpy(key + 5, a->cursor, a->cursor_len);
		len += a->cursor_len;
	} else {
		memset(key + 5, 0xff, 9);   /* above every entry of the account */
		len += 9;
	}
	if ((ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	k = dbt(key, len);
	if (up) {
		ret = c->get(c, &k, &v, DB_SET_RANGE);
		if (ret == 0 && key_cmp(k.data, k.size, key, len) == 0)
			ret = c->get(c, &k, &v, DB_NEXT);
	} else {
		ret = seek_below(c, key, len, &k, &v);
	}
	while (ret == 0 && hx_in(&k, key)) {
		if ((size_t)got++ == a->limit) {
			*more_far = 1;
			break;
		}
		if ((ret = hx_take(st, txn, a, &k, &cap)) != 0)
			break;
		ret = c->get(c, &k, &v, up ? DB_NEXT : DB_PREV);
	}
	/* Anything the other way: at or past the cursor. */
	if ((ret == 0 || ret == DB_NOTFOUND) && a->cursor) {
		k = dbt(key, len);
		ret = up ? seek_below(c, key, len, &k, &v) : c->get(c, &k, &v, DB_SET_RANGE);
		if (ret == 0)
			*(up ? &a->more_older : &a->more_newer) = hx_in(&k, key);
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	/* Newest first, whichever way it was read. */
	for (size_t i = 0; up && ret == 0 && i < a->n / 2; i++) {
		struct store_invitation *t = a->list[i];

		a->list[i] = a->list[a->n - 1 - i];
		a->list[a->n - 1 - i] = t;
	}
	return ret;
}

static int hex_val(int ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* A cursor store_invitation_cursor made for this account: ord64(t) |
 * account | opportunity (no NUL, not empty) | 0 | campaign(8). */
static size_t cursor_decode(const char *hex, uint32_t account, unsigned char *out)
{
	size_t len = strlen(hex), n = len / 2;
	const unsigned char *nul;

	if (len % 2 || n < 8 + 4 + 1 + 1 + 8 || n > CURSOR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_val(hex[2 * i]), lo = hex_val(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	nul = memchr(out + 12, 0, n - 12);
	if (get_be32(out + 8) != account || nul != out + n - 9 || nul == out + 12)
		return 0;
	return n;
}

int store_invitation_cursor(const struct store_invitation *inv, char *buf, size_t len)
{
	unsigned char *ik;
	size_t iklen = 0, need;
	unsigned char t[8];
	int ok = 0;

	if (!inv->opportunity || !(ik = inv_key_alloc(inv->account, inv->opportunity,
						      inv->campaign, &iklen)))
		return -1;
	need = 2 * (8 + iklen) + 1;
	if (8 + iklen <= CURSOR_MAX && need <= len) {
		put_be64(t, ord64(inv->updated_at));
		for (size_t i = 0; i < 8 + iklen; i++)
			sprintf(buf + 2 * i, "%02x", i < 8 ? t[i] : ik[i - 8]);
		ok = 1;
	}
	free(ik);
	return ok ? 0 : -1;
}

enum store_err store_invitation_page(struct store *st, uint32_t account, const char *cursor,
				     int older, size_t limit, struct store_invitation ***out,
				     size_t *n, int *more_older, int *more_newer)
{
	unsigned char cur[CURSOR_MAX];
	struct hx_list a = { .account = account, .older = older, .limit = limit };
	enum store_err e;

	*out = NULL;
	*n = 0;
	*more_older = *more_newer = 0;
	if (cursor) {
		if (!(a.cursor_len = cursor_decode(cursor, account, cur)))
			return STORE_NOTFOUND;
		a.cursor = cur;
	}
	e = run(st, "reading a page of invitations", RUN_READ, op_hx_page, &a);
	if (e != STORE_OK) {
		hx_list_clear(&a);
		return e;
	}
	*out = a.list;
	*n = a.n;
	*more_older = a.more_older;
	*more_newer = a.more_newer;
	return STORE_OK;
}

void store_campaign_sum_free(struct store_campaign_sum *s)
{
	if (!s)
		return;
	free(s->score);
	free(s->count);
	free(s);
}

void store_campaign_sums_free(struct store_campaign_sum **s, size_t n)
{
	if (!s)
		return;
	for (size_t i = 0; i < n; i++)
		store_campaign_sum_free(s[i]);
	free(s);
}

static int sum_take(struct store *st, const DBT *k, const DBT *v, void *ctx, void *out)
{
	const unsigned char *kd = k->data, *vd = v->data;
	struct store_campaign_sum *s;
	size_t n;

	(void)ctx;
	if (k->size != SUM_KEY_LEN || v->size < SUM_HEAD || (v->size - SUM_HEAD) % SUM_PAIR) {
		set_err(st, "corrupt record in campaign_sums");
		return ERR_SET;
	}
	n = (v->size - SUM_HEAD) / SUM_PAIR;
	if (!(s = calloc(1, sizeof *s)) || (n && (!(s->score = calloc(n, sizeof *s->score)) ||
						   !(s->count = calloc(n, sizeof *s->count))))) {
		store_campaign_sum_free(s);
		return ENOMEM;
	}
	s->campaign = (int64_t)get_be64(kd + 4);
	s->rule_id = get_be32(kd + 12);
	s->sent = (int)get_be32(vd);
	s->waiting = (int)get_be32(vd + 4);
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *pr = vd + SUM_HEAD + i * SUM_PAIR;

		s->score[i] = (pr[0] << 8) | pr[1];
		s->count[i] = (int)get_be32(pr + 2);
		s->completed += s->count[i];
	}
	*(struct store_campaign_sum **)out = s;
	return 0;
}

/* walk() starts a new list: a retried walk frees the last one first. */
static int op_sum_list(struct store *st, DB_TXN *txn, void *p)
{
	struct walk *w = p;

	store_campaign_sums_free(w->list, w->n);
	return walk(st, txn, w);
}

enum store_err store_campaign_sums(struct store *st, uint32_t account,
				   struct store_campaign_sum ***out, size_t *n)
{
	unsigned char prefix[4];
	struct walk w = { .t = T_CAMPAIGN_SUMS, .prefix = prefix, .prefix_len = 4,
			  .take = sum_take, .elem = sizeof **out };
	enum store_err e;

	put_be32(prefix, account);
	e = run(st, "reading the campaign summaries", RUN_READ, op_sum_list, &w);
	if (e != STORE_OK)
		store_campaign_sums_free(w.list, w.n);
	*out = e == STORE_OK ? w.list : NULL;
	*n = e == STORE_OK ? w.n : 0;
	return e;
}

struct inv_many {
	const struct store_invitation *in;
	size_t n;
};

static int op_inv_many(struct store *st, DB_TXN *txn, void *p)
{
	struct inv_many *m = p;
	int ret = 0;

	for (size_t i = 0; i < m->n && ret == 0; i++) {
		struct inv_arg a = { .in = &m->in[i], .create = 1 };

		if (!m->in[i].opportunity || !m->in[i].state) {
			set_err(st, "creating invitations: no opportunity or state");
			return ERR_SET;
		}
		ret = op_inv_write(st, txn, &a);
	}
	return ret;
}

enum store_err store_invitation_create_many(struct store *st,
					    const struct store_invitation *inv, size_t n)
{
	struct inv_many m = { .in = inv, .n = n };

	return run(st, "creating invitations", RUN_TXN, op_inv_many, &m);
}

/* ==== end of history indexes ==== */
