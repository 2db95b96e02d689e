/* conf: `key = value` lines, `#` comments (see strip_comment). Every key
 * is declared once in the table below with its kind and limits. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/conf.h"
#include "base/crypto.h"
#include "base/num.h"

enum kind { K_STR, K_SECRET, K_URL, K_LONG, K_LIST, K_LEVEL }; /* K_SECRET: a K_STR wiped when freed */

struct key {
	const char *name;
	enum kind kind;
	size_t off;
	int required;
	long min, max;           /* K_LONG bounds */
	const char *dflt;        /* applied when absent; NULL = none */
};

#define S(f) offsetof(struct conf, f)
static const struct key keys[] = {
	{ "db_home", K_STR, S(db_home), 1, 0, 0, NULL },
	{ "secret_key_file", K_STR, S(secret_key_file), 1, 0, 0, NULL },
	{ "public_url", K_URL, S(public_url), 1, 0, 0, NULL },
	{ "lever_api_url", K_URL, S(lever_api_url), 0, 0, 0, "https://api.lever.co/v1" },
	{ "lever_auth_url", K_URL, S(lever_auth_url), 0, 0, 0, "https://auth.lever.co/authorize" },
	{ "lever_token_url", K_URL, S(lever_token_url), 0, 0, 0, "https://auth.lever.co/oauth/token" },
	{ "lever_audience", K_STR, S(lever_audience), 0, 0, 0, NULL },
	{ "lever_client_id", K_STR, S(lever_client_id), 0, 0, 0, NULL },
	{ "lever_client_secret", K_SECRET, S(lever_client_secret), 0, 0, 0, NULL },
	{ "codingame_api_url", K_URL, S(codingame_api_url), 0, 0, 0,
	  "https://www.codingame.com/assessment/api/v1.1" },
	{ "ctl_path", K_STR, S(ctl_path), 0, 0, 0, CGLEVER_DEFAULT_CTL },
	{ "admin_users", K_LIST, 0, 0, 0, 0, NULL },
	{ "log_level", K_LEVEL, 0, 0, 0, 0, NULL },
	{ "max_body_bytes", K_LONG, S(max_body_bytes), 0, 256, 64L << 20, "65536" },
	{ "job_lease_seconds", K_LONG, S(job_lease_seconds), 0, 1, 86400, "60" },
	{ "job_max_attempts", K_LONG, S(job_max_attempts), 0, 1, 100, "8" },
	{ "http_timeout_seconds", K_LONG, S(http_timeout_seconds), 0, 1, 300, "10" },
	{ "lever_rate", K_LONG, S(lever_rate), 0, 1, 10, "10" },
	{ "oauth_state_seconds", K_LONG, S(oauth_state_seconds), 0, 1, 3600, "600" },
	{ "job_backoff_seconds", K_LONG, S(job_backoff_seconds), 0, 1, 3600, "30" },
	{ "replay_window_seconds", K_LONG, S(replay_window_seconds), 0, 60, 30L * 86400, "604800" },
	{ "runner_linger_ms", K_LONG, S(runner_linger_ms), 0, 0, 60000, "1500" },
	{ "runner_max_seconds", K_LONG, S(runner_max_seconds), 0, 1, 86400, "900" },
	{ "retention_days", K_LONG, S(retention_days), 0, 1, 36500, "730" },
};
#undef S

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

/* The one rule for `#` (cglever.conf(5)): at the start of a line or after
 * a space or tab it starts a comment running to the end of the line, so
 * `key = value   # why` holds `value`; anywhere else (a URL's fragment,
 * `a#b`) it is part of the value. */
static void strip_comment(char *line)
{
	for (char *p = line; *p; p++)
		if (*p == '#' && (p == line || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
}

static int set_long(struct conf *c, const struct key *k, const char *v,
		    char *why, size_t whylen)
{
	int64_t n;

	switch (num_parse_str(v, k->min, k->max, &n)) {
	case NUM_OK:
		break;
	case NUM_RANGE:
		snprintf(why, whylen, "%s is out of range %ld..%ld", v, k->min, k->max);
		return -1;
	case NUM_SYNTAX:
		snprintf(why, whylen, "not a number (plain decimal digits) in %ld..%ld",
			 k->min, k->max);
		return -1;
	}
	if (k->off == offsetof(struct conf, max_body_bytes))
		c->max_body_bytes = (long)n;
	else
		*(int *)((char *)c + k->off) = (int)n;
	return 0;
}

/* A host then the end, a port or a path: no empty host ("https:///"),
 * no userinfo, and "http://127.0.0.1.evil.example" is not loopback. */
static int host_ends(const char *h, size_t n)
{
	return n > 0 && (h[n] == '\0' || h[n] == ':' || h[n] == '/');
}

/* Plain http is allowed to loopback only (the bundled simulators). */
static int url_ok(const char *v)
{
	if (strncmp(v, "https://", 8) == 0)
		return host_ends(v + 8, strspn(v + 8, "abcdefghijklmnopqrstuvwxyz"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-"));
	if (strncmp(v, "http://", 7) != 0)
		return 0;
	v += 7;
	return (strncmp(v, "127.0.0.1", 9) == 0 && host_ends(v, 9)) ||
	       (strncmp(v, "localhost", 9) == 0 && host_ends(v, 9)) ||
	       (strncmp(v, "[::1]", 5) == 0 && host_ends(v, 5));
}

static int set_list(struct conf *c, const char *v)
{
	char *copy = strdup(v), *save = NULL, *tok;
	void *users = c->admin_users;
	size_t cap = c->n_admin_users; /* realloc'd at least this big */
	int rc = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *t = trim(tok);

		if (!*t)
			continue;
		if (buf_reserve(&users, &cap, c->n_admin_users + 1, sizeof *c->admin_users) < 0) {
			rc = -1;
			break;
		}
		c->admin_users = users;
		if (!(c->admin_users[c->n_admin_users] = strdup(t))) {
			rc = -1;
			break;
		}
		c->n_admin_users++;
	}
	free(copy);
	return rc;
}

static int set_value(struct conf *c, const struct key *k, const char *v,
		     char *why, size_t whylen)
{
	char **slot;
	int lvl;

	switch (k->kind) {
	case K_LONG:
		return set_long(c, k, v, why, whylen);
	case K_LIST:
		return set_list(c, v) < 0 ? (snprintf(why, whylen, "out of memory"), -1) : 0;
	case K_LEVEL:
		if ((lvl = log_level_parse(v)) < 0) {
			snprintf(why, whylen, "must be error, warn, info or debug");
			return -1;
		}
		c->log_level = (enum log_level)lvl;
		return 0;
	case K_URL:
		if (!url_ok(v)) {
			snprintf(why, whylen, "must be an https:// URL (http:// only to loopback)");
			return -1;
		}
		/* fall through */
	case K_STR:
	case K_SECRET:
		if (!*v) {
			snprintf(why, whylen, "empty value");
			return -1;
		}
		slot = (char **)((char *)c + k->off);
		free(*slot);
		if (!(*slot = strdup(v))) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		if (k->kind == K_URL) {
			size_t n = strlen(*slot);

			while (n > 0 && (*slot)[n - 1] == '/')
				(*slot)[--n] = '\0';
		}
		return 0;
	}
	return -1;
}

/* The secret is the first line of a file only its owner can read. */
static int read_secret(struct conf *c, char *why, size_t whylen)
{
	struct stat sb;
	char line[1024], iobuf[BUFSIZ];
	FILE *f;
	size_t n;

	f = fopen(c->secret_key_file, "r");
	if (!f) {
		snprintf(why, whylen, "cannot read %s: %s", c->secret_key_file, strerror(errno));
		return -1;
	}
	/* stdio reads the whole file into its buffer: ours, wiped below. */
	setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
	if (fstat(fileno(f), &sb) < 0 || (sb.st_mode & 0077)) {
		snprintf(why, whylen, "%s must be mode 0600 or 0400 (readable by its owner only)",
			 c->secret_key_file);
		fclose(f);
		return -1;
	}
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	explicit_bzero(iobuf, sizeof iobuf);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	if (n < 32) {
		snprintf(why, whylen, "first line of %s must hold at least 32 characters",
			 c->secret_key_file);
		return -1;
	}
	c->secret = strdup(line);
	explicit_bzero(line, sizeof line);
	if (!c->secret) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

int conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	struct conf *c;
	FILE *f = NULL;
	/* The file holds lever_client_secret: what stdio and we read of it
	 * is wiped before the function returns. */
	char line[4096], why[512], iobuf[BUFSIZ];
	struct stat sb;
	int lineno = 0, seen[sizeof keys / sizeof keys[0]] = { 0 };
	int secret_line = 0;
	int rc = -1;

	*out = NULL;
	if (!path)
		path = getenv("CGLEVER_CONFIG");
	if (!path || !*path)
		path = CGLEVER_DEFAULT_CONFIG;
	c = calloc(1, sizeof *c);
	if (!c || !(c->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	c->log_level = LOG_LEVEL_INFO;
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot read configuration: %s", path, strerror(errno));
		goto out;
	}
	setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
	/* It holds the OAuth client secret: owner and group (the web
	 * server's) only, as make install leaves it (0640). */
	if (fstat(fileno(f), &sb) < 0 || (sb.st_mode & 0007)) {
		snprintf(err, errlen, "%s: readable or writable by others (mode %04o): "
			 "chmod o-rwx %s", path, (unsigned)(sb.st_mode & 07777), path);
		goto out;
	}
	while (fgets(line, sizeof line, f)) {
		char *p, *eq, *k, *v;
		size_t i;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			goto out;
		}
		strip_comment(line);
		p = trim(line);
		if (!*p)
			continue;
		eq = strchr(p, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected `key = value`", path, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(p);
		v = trim(eq + 1);
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (strcmp(keys[i].name, k) == 0)
				break;
		if (i == sizeof keys / sizeof keys[0]) {
			snprintf(err, errlen, "%s:%d: %s: unknown key", path, lineno, k);
			goto out;
		}
		if (seen[i]) {
			snprintf(err, errlen, "%s:%d: %s: given twice (first on line %d)",
				 path, lineno, k, seen[i]);
			goto out;
		}
		seen[i] = lineno;
		if (set_value(c, &keys[i], v, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s:%d: %s: %s", path, lineno, k, why);
			goto out;
		}
		if (strcmp(k, "secret_key_file") == 0)
			secret_line = lineno;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (seen[i])
			continue;
		if (keys[i].required) {
			snprintf(err, errlen, "%s:%d: %s: missing required key", path,
				 lineno, keys[i].name);
			goto out;
		}
		if (keys[i].dflt && set_value(c, &keys[i], keys[i].dflt, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s: %s: bad default: %s", path, keys[i].name, why);
			goto out;
		}
	}
	if (!c->lever_audience) {
		size_t n = strlen(c->lever_api_url) + 2;

		if (!(c->lever_audience = malloc(n))) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		snprintf(c->lever_audience, n, "%s/", c->lever_api_url);
	}
	if (read_secret(c, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s:%d: secret_key_file: %s", path, secret_line, why);
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	explicit_bzero(iobuf, sizeof iobuf);
	explicit_bzero(line, sizeof line);
	if (rc == 0)
		*out = c;
	else
		conf_free(c);
	return rc;
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	free(c->path);
	crypto_free_secret(c->secret);
	/* Every string key, from the table. */
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char *v = keys[i].kind == K_STR || keys[i].kind == K_SECRET ||
			  keys[i].kind == K_URL ? *(char **)((char *)c + keys[i].off) : NULL;

		if (keys[i].kind == K_SECRET)
			crypto_free_secret(v);
		else
			free(v);
	}
	for (size_t i = 0; i < c->n_admin_users; i++)
		free(c->admin_users[i]);
	free(c->admin_users);
	free(c);
}

int conf_is_admin(const struct conf *c, const char *user)
{
	if (!user || !*user)
		return 0;
	for (size_t i = 0; i < c->n_admin_users; i++)
		if (strcmp(c->admin_users[i], user) == 0)
			return 1;
	return 0;
}
