/* prog: the common start of the FastCGI programs and cglever-ctl. */
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "prog.h"

int prog_open(const char *name, struct conf **c, struct store **st)
{
	char err[1024];

	*c = NULL;
	*st = NULL;
	/* A client gone away must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	log_init(name, LOG_LEVEL_INFO);
	if (conf_load(NULL, c, err, sizeof err) < 0) {
		fprintf(stderr, "%s: %s\n", name, err);
		return -1;
	}
	log_set_level((*c)->log_level);
	if (store_open(*c, st, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "%s: %s\n", name, err);
		conf_free(*c);
		*c = NULL;
		return -1;
	}
	return 0;
}

void prog_close(struct conf *c, struct store *st)
{
	store_close(st);
	conf_free(c);
}
