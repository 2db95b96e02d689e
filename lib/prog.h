/* prog: how every program starts: configuration, log level, store. */
#ifndef CGLEVER_PROG_H
#define CGLEVER_PROG_H

#include "conf.h"
#include "store.h"

/* Loads the configuration ($CGLEVER_CONFIG or the compiled-in path) and
 * opens the store; on failure says why on stderr, naming the program,
 * and returns -1 (nothing left open). */
int prog_open(const char *name, struct conf **c, struct store **st);
void prog_close(struct conf *c, struct store *st);

#endif
