/* env: the store environment's life: open, recovery, the regions in
 * System V shared memory, the gate, close, backup and checkpoints. Every
 * Berkeley DB call of cglever lives in lib/store (see store.h).
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
 * store_int.h). The files beside this one: run.c (the runner and the
 * list walk), record.c (records and their field tables), and one per
 * table or table group. Keys are big-endian so that byte order is
 * numeric order. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crypto.h"
#include "base/log.h"
#include "store/store_int.h"

#define CACHE_BYTES     (8u << 20)       /* mpool cache */
#define LOG_BUF_BYTES   (1u << 20)       /* in-memory log buffer */
#define REG_TIMEOUT_US  1000u            /* recovery waits this for old users: the
					 * gate already kept them out */
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
	stall_set("opening the store", STALL_SECONDS);
	ret = env_open(st);
	/* Another process may be running recovery or creating the
	 * databases meanwhile: a few more tries. */
	for (int tries = 0; tries < 3 && (ret == DB_RUNRECOVERY || ret == DB_LOCK_DEADLOCK ||
					  ret == DB_LOCK_NOTGRANTED); tries++) {
		backoff(tries);
		ret = env_open(st);
	}
	stall_set(NULL, 0);
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
	crypto_free_secret(st->secret);
	free(st->home);
	free(st);
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
