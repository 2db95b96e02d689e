/* store_int: what the files of lib/store share, and only they include:
 * the store handle, the tables, the transaction runner (run.c), the list
 * walk, and the field tables records are written and read from
 * (record.c). See env.c for how the environment is kept safe.
 *
 * The files call each other in this order, bottom to top: a file calls
 * only files below it (and gate.c and err.c call none).
 *   gate.c         the gate around opens and recovery (gate.h)
 *   err.c          set_err, store_strerror, store_last_error
 *   record.c       records as JSON text, by field table
 *   env.c          the environment: open, recovery, regions, close
 *   run.c          the runner, the stall watchdog, ids, the list walk
 *   invrec.c       the invitation record: its key, its text
 *   sums.c         the campaign summaries
 *   history.c      the history indexes of invitations (and when to sum)
 *   invitations.c  invitations and the test id index
 *   accounts.c, jobs.c, oauth.c, audit.c   their tables
 *   rules.c        rules (reads accounts: get_account)
 *   deliveries.c   deliveries (queues jobs: job_insert)
 *   open.c         store_open, store_close, backup, checkpoints
 *   prog.c         the programs' common start (prog.h) */
#ifndef CGLEVER_STORE_INT_H
#define CGLEVER_STORE_INT_H

#include <db.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/jsonutil.h"
#include "store/gate.h"
#include "store/store.h"

/* Regions per environment (BDB uses key+0, key+1, ...; 3 seen). */
#define SHM_REGIONS 8
/* A store operation not returned after this long is stuck (run.c). */
#define STALL_SECONDS 30
#define PRUNE_BATCH 500   /* records examined per prune transaction */

/* An op's own error: the message is already in st->err. Berkeley DB's
 * codes are errno values or in -30999..-30800, so -1 is free. */
#define ERR_SET (-1)
/* What a take function returns to leave a record out of the list;
 * like ERR_SET, outside Berkeley DB's codes and errno, and it never
 * leaves walk(). */
#define WALK_SKIP (-2)

enum tbl {
	T_ACCOUNTS, T_ACCOUNT_NAMES, T_RULES, T_DELIVERIES, T_JOBS,
	T_INVITATIONS, T_INV_BY_TEST, T_META, T_OAUTH_STATES, T_AUDIT,
	T_INV_INDEX, T_CAMPAIGN_SUMS,   /* history indexes (history.c) */
	T_COUNT
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

/* Every operation is a function op(st, txn, arg) that run() calls inside
 * a transaction. An op may be called again after a retry, so it frees
 * what a previous call left in arg before filling it anew; the public
 * wrapper frees it on failure. */
typedef int (*op_fn)(struct store *st, DB_TXN *txn, void *arg);

/* ------------------------------------------------------------ byte keys */
/* Keys are big-endian so that byte order is numeric order. */

static inline void put_be32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static inline uint32_t get_be32(const void *q)
{
	const unsigned char *p = q;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static inline uint64_t get_be64(const void *q)
{
	const unsigned char *p = q;
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Signed values sort as unsigned bytes once the sign bit is flipped. */
static inline uint64_t ord64(int64_t v) { return (uint64_t)v ^ (UINT64_C(1) << 63); }
static inline int64_t unord64(uint64_t v) { return (int64_t)(v ^ (UINT64_C(1) << 63)); }

static inline DBT dbt(const void *data, size_t size)
{
	DBT d;

	memset(&d, 0, sizeof d);
	d.data = (void *)data;   /* Berkeley DB does not write through key/data it is given */
	d.size = (u_int32_t)size;
	return d;
}

/* ------------------------------------------------------ err.c: errors */

/* Writes an op's error message into st->err (see ERR_SET). */
void set_err(struct store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------- record.c: field tables */

enum ftype {
	FT_STR,    /* char *, a JSON string, absent when NULL */
	FT_I64,    /* int64_t, a JSON integer */
	FT_INT,    /* int, a JSON integer */
	FT_U32,    /* uint32_t, a JSON integer */
	FT_BOOL,   /* int, a JSON boolean */
	FT_DBL     /* double, a JSON number */
};
#define F_REQUIRED  1u   /* a string the record is corrupt without */
#define F_SECRET    2u   /* a string wiped when the record is freed */
#define F_UNSET_NEG 4u   /* an int: negative is written as absent, absent reads -1 */
#define F_KEEP      8u   /* written once: rec_set(..., F_KEEP) leaves it */
#define F_KEY      16u   /* a string from the key: not in the text, only freed */
#define F_OMIT0    32u   /* a number or boolean written only when not 0 (a field
                           added later: records without it read and write as before) */

/* One field of a record: its JSON key is the member's name. */
struct field {
	const char *name;
	enum ftype type;
	unsigned flags;
	size_t off;
};
/* The _Generic term is 0, and a compile error when the member is not of
 * the C type the field type stands for. */
#define FIELD_(S, m, ft, ctype, fl) \
	{ #m, ft, fl, offsetof(struct S, m) + 0 * _Generic(((struct S *)0)->m, ctype: 0) }
#define FIELD_STR(S, m, fl)  FIELD_(S, m, FT_STR, char *, fl)
#define FIELD_I64(S, m, fl)  FIELD_(S, m, FT_I64, int64_t, fl)
#define FIELD_INT(S, m, fl)  FIELD_(S, m, FT_INT, int, fl)
#define FIELD_U32(S, m, fl)  FIELD_(S, m, FT_U32, uint32_t, fl)
#define FIELD_BOOL(S, m, fl) FIELD_(S, m, FT_BOOL, int, fl)
#define FIELD_DBL(S, m, fl)  FIELD_(S, m, FT_DBL, double, fl)

/* A kind of record: its table's name (for messages), its fields in the
 * order they are written, and the size of its struct. Members not in
 * the table (ids, parts of the key) are the caller's. */
struct rec_type {
	const char *table;
	const struct field *fields;
	size_t n;
	size_t size;
};
#define REC_TYPE(tbl, S, f) { tbl, f, sizeof f / sizeof f[0], sizeof(struct S) }

/* Writes rec's fields into o, skipping those with a flag in skip; a NULL
 * string and an F_UNSET_NEG field below 0 remove the key. */
void rec_set(struct json_object *o, const struct rec_type *t, const void *rec, unsigned skip);
/* rec's fields as JSON text (free with rec_text_free), or NULL. */
char *rec_encode(const struct rec_type *t, const void *rec);
/* Frees text from rec_encode; wiped first when t has secrets. */
void rec_text_free(const struct rec_type *t, char *text);
/* A new record (zeroed, then its fields read from o) in *out: 0, ENOMEM,
 * or ERR_SET (a required field is missing). */
int rec_from_json(struct store *st, const struct rec_type *t, struct json_object *o,
		  void **out);
/* The same from the record's text in v. */
int rec_from_dbt(struct store *st, const struct rec_type *t, const DBT *v, void **out);
/* The same for a record keyed by its uint32_t id (accounts, rules):
 * checks the key and sets the id member at id_off. */
int rec_from_id_dbt(struct store *st, const struct rec_type *t, size_t id_off,
		    const DBT *k, const DBT *v, void **out);
/* Frees rec (NULL is fine) and its strings, wiping the F_SECRET ones
 * (crypto_free_secret): the one place a record's secrets are wiped. */
void rec_free(const struct rec_type *t, void *rec);
/* Frees a list of n records (a struct X ** passed as void *). */
void rec_list_free(const struct rec_type *t, void *list, size_t n);

/* Single JSON values, for the records updated in place (jobs) and the
 * tiny ones (deliveries). */
struct json_object *jparse(struct store *st, const char *table, const DBT *v);
void jint(struct json_object *o, const char *k, int64_t v);
void jbool(struct json_object *o, const char *k, int v);
void jstr(struct json_object *o, const char *k, const char *v);
int64_t jget_i64(struct json_object *o, const char *key);
int jget_bool(struct json_object *o, const char *key);
/* {"received_at": at} as text (deliveries and pacing records), or NULL. */
char *received_json(int64_t at);

/* -------------------------------------------------- env.c: environment */

/* (Re)opens the environment; closes it (dbflags: DB_NOSYNC when it may
 * be panicked). */
int env_open(struct store *st);
int reopen(struct store *st, const char *what, int ret);
void env_close(struct store *st, u_int32_t dbflags);

/* ---------------------------------------------------- run.c: the runner */

/* Runs fn in a transaction of the given mode (retries, recovery: run.c). */
enum store_err run(struct store *st, const char *what, enum run_mode mode, op_fn fn, void *arg);
/* Random, so concurrent writers never update one shared counter. */
int random_id(uint64_t *out);
/* A short randomized pause before trying a refused lock again. */
void backoff(int tries);
/* The stall watchdog (run.c): started by store_open; what a deadline
 * seconds from now (0: none) is about. */
void stall_init(void);
void stall_set(const char *what, int seconds);
/* Takes the next id from meta[name] (first is 1). */
int next_id(struct store *st, DB_TXN *txn, const char *name, uint32_t *out);

/* --------------------------------------------------- run.c: list walks */

struct walk;
/* Decodes record k/v into out, the list's next slot (a struct X ** for
 * a list of struct X *); w->ctx is the list's own argument. */
typedef int (*take_fn)(struct store *st, const DBT *k, const DBT *v, struct walk *w,
		       void *out);

/* What a list op reads, and what it got. */
struct walk {
	enum tbl t;
	const void *prefix;    /* only the keys that start with it; NULL: all */
	size_t prefix_len;
	int backwards;         /* from the last key down; not with a prefix */
	size_t limit;          /* at most this many; 0: no limit */
	size_t offset;         /* for take: matches to pass over */
	size_t skipped;        /* for take: passed over so far (walk zeroes it) */
	take_fn take;
	void *ctx;
	const struct rec_type *type;   /* of the list's records */
	void *list;            /* out: kept on failure, for the caller to free */
	size_t n;
};
/* The cursor walk of every list op, in a RUN_READ transaction: on
 * success the list (a struct X ** written through out, a struct X ***)
 * and its length; on failure NULL and 0. */
enum store_err run_walk(struct store *st, const char *what, struct walk *w, void *out,
			size_t *n);
/* The walk itself, inside the caller's transaction: for lists of records
 * that are no rec_type (the caller frees an earlier attempt's list). */
int walk(struct store *st, DB_TXN *txn, struct walk *w);

/* ------------------------------------------------ shared between tables */

/* invrec.c: an invitation's record type; its key (malloc'd, *len set);
 * the record k/v decoded into *out. */
extern const struct rec_type inv_type;
unsigned char *inv_key_alloc(uint32_t account, const char *opp, int64_t campaign,
			     size_t *len);
int inv_decode(struct store *st, const DBT *k, const DBT *v, struct store_invitation **out);

/* history.c: builds the history indexes of an older store once (at
 * open); keeps them in step with an invitation write (ik its key, oldv
 * its previous record or NULL, nw the new one), in the writer's txn. */
void hist_build(struct store *st);
int hist_inv_write(struct store *st, DB_TXN *txn, const DBT *ik, const DBT *oldv,
		   const struct store_invitation *nw);
/* sums.c: moves an invitation's share of the campaign summaries from
 * what old gave (NULL: none) to what nw gives (NULL: none); removes the
 * summaries of an older format (recounted by history.c). */
int sums_move(struct store *st, DB_TXN *txn, uint32_t account,
	      const struct store_invitation *old, const struct store_invitation *nw);
int sums_drop_old(struct store *st, DB_TXN *txn);

/* accounts.c: reads account id into *out (DB_RMW in flags to write it). */
int get_account(struct store *st, DB_TXN *txn, uint32_t id, u_int32_t flags,
		struct store_account **out);
/* jobs.c: inserts job under a fresh random id; sets job->id. */
int job_insert(struct store *st, DB_TXN *txn, struct store_job *job);

#endif
