/* open: store_open and store_close, and the maintenance operations
 * (backup, checkpoints, tidying) that go through the runner. Above
 * env.c (the environment itself), run.c and history.c (an older store's
 * indexes are built at open). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crypto.h"
#include "store/store_int.h"

#define TIDY_CLEAN_PCT  20               /* store_tidy keeps this much of the cache clean */
#define TIDY_LOG_KB     4096             /* and checkpoints after this much log */

/* shm keys: one block of SHM_STRIDE keys per db_home (BDB uses key+0,
 * key+1, ... for its regions), far above the small keys other programs
 * pick by hand, and within a positive 32-bit key_t. */
#define SHM_BASE   0x10000000L
#define SHM_STRIDE 256L
#define SHM_BLOCKS 0x6FFFFFL

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
