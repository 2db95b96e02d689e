/* gate: keeps Berkeley DB's recovery away from operations under way.
 *
 * DB_REGISTER recovery rebuilds the environment while other processes
 * may still be inside it, and a commit one of them is writing at that
 * moment can be overwritten by the new environment's log (Berkeley DB's
 * env_register.c says so, and that only a registry kept by the
 * application closes the window). This is that registry: every store
 * operation holds the gate shared, every environment open (where
 * recovery runs) holds it exclusively. Recovery then starts only when
 * no operation is under way, and the operations that follow find the
 * old environment panicked and reopen.
 *
 * An operation holds the byte of the environment it works in (its id:
 * the System V shm id of the environment's first region, new after each
 * recovery). So an open waits only for operations in the environment
 * it may recover, not for processes still stuck in an older one (on a
 * mutex a killed process left locked: they never write again).
 *
 * The locks are open-file-description locks on db_home/gate.lock: the
 * kernel drops them when their holder dies, and they belong to the
 * store handle, not to the process. */
#ifndef CGLEVER_GATE_H
#define CGLEVER_GATE_H

#include <stddef.h>

struct gate {
	int fd;      /* -1: not open */
	int depth;   /* nesting of gate_enter */
	int excl;    /* held exclusively (gate_enter nests inside) */
	long env;    /* id of the environment operations work in; -1: none */
	long held;   /* the environment byte gate_lock holds; -1: none */
};

/* Opens (creating, mode 0600) home/gate.lock. 0, or -1 with err filled. */
int gate_open(struct gate *g, const char *home, char *err, size_t errlen);
void gate_close(struct gate *g);

/* Shared, for one operation; nests, and is a no-op inside gate_lock. */
void gate_enter(struct gate *g);
void gate_leave(struct gate *g);

/* Exclusive, for opening the environment whose id is env (-1: none
 * yet): new operations wait, and those under way in env finish, however
 * long they take while dead(arg) says no process of the environment is
 * dead; once one is, they get GATE_PATIENCE_MS (they may be stuck on its
 * mutex, which only the recovery this open runs releases). Must not be
 * called inside gate_enter. gate_unlock names the environment now open
 * (-1: none). */
void gate_lock(struct gate *g, long env, int (*dead)(void *), void *arg);
void gate_unlock(struct gate *g, long env);

#endif
