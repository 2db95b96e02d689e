/* conf: the `key = value` configuration file (see DESIGN.md). */
#ifndef CGLEVER_CONF_H
#define CGLEVER_CONF_H

#include <stddef.h>
#include "base/log.h"

#ifndef CGLEVER_DEFAULT_CTL
#define CGLEVER_DEFAULT_CTL "/usr/local/sbin/cglever-ctl"
#endif
#ifndef CGLEVER_DEFAULT_CONFIG
#define CGLEVER_DEFAULT_CONFIG "/etc/cglever/cglever.conf"
#endif

struct conf {
	char *path;                 /* file it was read from */
	char *db_home;
	char *secret_key_file;
	char *secret;               /* first line of secret_key_file */
	char *public_url;           /* no trailing slash */
	char *lever_api_url;        /* no trailing slash */
	char *lever_auth_url;
	char *lever_token_url;
	char *lever_audience;
	char *lever_client_id;
	char *lever_client_secret;
	char *codingame_api_url;    /* includes /assessment/api/v1.1, no trailing slash */
	char *ctl_path;             /* bin/cglever-ctl, started by the webhook */
	char **admin_users;
	size_t n_admin_users;
	enum log_level log_level;
	long max_body_bytes;
	int job_lease_seconds;      /* a leased job is free again after this */
	int job_max_attempts;       /* then the job is kept as failed */
	int http_timeout_seconds;   /* per outbound request */
	int lever_rate;             /* outbound Lever requests per second per account */
	int oauth_state_seconds;    /* how long a "Connect Lever" sign-in may take */
	int job_backoff_seconds;    /* first retry delay; doubles up to an hour */
	int replay_window_seconds;  /* oldest triggeredAt accepted (Lever retries for days) */
	int runner_linger_ms;       /* a woken runner waits this long for more work */
	int runner_max_seconds;     /* a runner stops between jobs after this */
	int retention_days;         /* finished invitations' personal data kept this long */
};

/* Loads path, or $CGLEVER_CONFIG, or CGLEVER_DEFAULT_CONFIG when path is
 * NULL. On error returns -1 and writes "FILE:LINE: key: why" to err. */
int conf_load(const char *path, struct conf **out, char *err, size_t errlen);
void conf_free(struct conf *c);
/* 1 when user is listed in admin_users. */
int conf_is_admin(const struct conf *c, const char *user);

#endif
