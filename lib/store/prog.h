/* prog: how every program starts: configuration, log level, store. */
#ifndef CGLEVER_PROG_H
#define CGLEVER_PROG_H

#include "base/conf.h"
#include "store/store.h"

/* Loads the configuration ($CGLEVER_CONFIG or the compiled-in path) and
 * opens the store; on failure says why on stderr, naming the program,
 * and returns -1 (nothing left open). */
int prog_open(const char *name, struct conf **c, struct store **st);
void prog_close(struct conf *c, struct store *st);
/* The store has one owner: 0 when db_home is missing (the store makes it,
 * ours) or belongs to the effective user; else says on stderr whose it
 * is and how to run the program as that user, and returns -1. A program
 * run as another user (root, by hand) would leave files in db_home the
 * service cannot open. */
int prog_check_owner(const char *name, const struct conf *c);

#endif
