/* prog: the common start of the FastCGI programs and cglever-ctl. */
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "store/prog.h"

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
	if (prog_check_owner(name, *c) < 0) {
		conf_free(*c);
		*c = NULL;
		return -1;
	}
	if (store_open(*c, st, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "%s: %s\n", name, err);
		conf_free(*c);
		*c = NULL;
		return -1;
	}
	return 0;
}

int prog_check_owner(const char *name, const struct conf *c)
{
	struct stat sb;
	struct passwd *pw;

	if (stat(c->db_home, &sb) != 0 || sb.st_uid == geteuid())
		return 0;
	pw = getpwuid(sb.st_uid);
	fprintf(stderr, "%s: db_home %s belongs to %s (uid %u), not to the user running "
		"this (uid %u): run it as that user (e.g. sudo -u %s %s ...) so that the "
		"store's files keep one owner\n", name, c->db_home,
		pw ? pw->pw_name : "another user", (unsigned)sb.st_uid, (unsigned)geteuid(),
		pw ? pw->pw_name : "OWNER", name);
	return -1;
}

void prog_close(struct conf *c, struct store *st)
{
	store_close(st);
	conf_free(c);
}
