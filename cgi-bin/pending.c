/* oauth.fcgi and admin.fcgi until their issues land: answer every
 * request with 501 and say so, instead of pretending to work. */
#include <signal.h>
#include <stdio.h>

#include "conf.h"
#include "log.h"
#include "req.h"

#ifndef PENDING_NAME
#define PENDING_NAME "pending"
#endif

int main(void)
{
	struct conf *c = NULL;
	struct req r;
	char err[1024];

	signal(SIGPIPE, SIG_IGN);
	log_init(PENDING_NAME, LOG_LEVEL_INFO);
	if (conf_load(NULL, &c, err, sizeof err) < 0) {
		fprintf(stderr, PENDING_NAME ".fcgi: %s\n", err);
		return 1;
	}
	if (req_init(&r) < 0)
		return 1;
	while (req_accept(&r)) {
		req_reply_text(&r, 501, PENDING_NAME ".fcgi is not available yet; "
			       "use cglever-ctl to configure accounts and rules");
		req_finish(&r);
	}
	req_free(&r);
	conf_free(c);
	return 0;
}
