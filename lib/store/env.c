/* env: the store environment: its open (recovery included), the regions
 * in System V shared memory, the gate around them, and its close; the
 * store handle's own open and close and the maintenance operations are
 * open.c's. Every Berkeley DB call of cglever lives in lib/store (see
 * store.h).
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
 * DB_RUNRECOVERY, and run() (run.c) hides that: it closes everything, reopens
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
 * Every operation is an op that run() calls in a transaction (see
 * store_int.h, which lists the files of lib/store in the order they
 * call each other). Keys are big-endian so that byte order is numeric
 * order. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "store/store_int.h"

#define CACHE_BYTES     (8u << 20)       /* mpool cache */
#define LOG_BUF_BYTES   (1u << 20)       /* in-memory log buffer */
#define REG_TIMEOUT_US  1000u            /* recovery waits this for old users: the
					 * gate already kept them out */

/* A slot of __db.register: a process id in 24 characters and a newline
 * (Berkeley DB's env_register.c, PID_LEN). */
#define REG_SLOT 25

#define ENV_FLAGS (DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | \
		   DB_INIT_MPOOL | DB_REGISTER | DB_RECOVER | DB_SYSTEM_MEM)
/* Slots for processes in the environment: every FastCGI process and
 * runner takes one; failchk frees those of dead processes. */
#define THREAD_SLOTS 512

static const char *const tbl_file[T_COUNT] = {
	"accounts.db", "account_names.db", "rules.db", "deliveries.db",
	"jobs.db", "invitations.db", "invitations_by_test.db", "meta.db",
	"oauth_states.db", "audit.db", "inv_index.db", "campaign_sums.db",
};

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

/* ------------------------------------------------------- the environment */

/* dbflags: DB_NOSYNC when the environment may be panicked, so that no
 * page of the old cache can reach a database file. */
void env_close(struct store *st, u_int32_t dbflags)
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

int env_open(struct store *st)
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

int reopen(struct store *st, const char *what, int ret)
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
