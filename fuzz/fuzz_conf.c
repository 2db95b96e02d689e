/* fuzz_conf: conf_load over arbitrary configuration text. conf_load
 * reads a file, so each input is written to a memory file (memfd) and
 * loaded through /proc/self/fd: nothing is left on disk. "@KEYFILE@" in
 * the input stands for a good secret key file (mode 0600, 64 hex digits),
 * so that inputs can also reach a successful load. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conf.h"
#include "fuzz_common.h"

#define KEY_TOKEN "@KEYFILE@"

static int conf_fd = -1;
static char conf_path[64], key_path[64];

static int memfile(const char *name, char *path, size_t pathlen)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	/* conf.c wants the key readable by its owner only. */
	if (fd < 0 || fchmod(fd, 0600) < 0) {
		perror("fuzz_conf: memfd");
		exit(1);
	}
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char key[] =
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
	int kfd;

	(void)argc;
	(void)argv;
	/* secret_key_file = /dev/stdin would wait for a terminal. */
	if (!freopen("/dev/null", "r", stdin)) {
		perror("fuzz_conf: /dev/null");
		exit(1);
	}
	kfd = memfile("cglever-fuzz-key", key_path, sizeof key_path);
	if (write(kfd, key, sizeof key - 1) != (ssize_t)(sizeof key - 1)) {
		perror("fuzz_conf: key");
		exit(1);
	}
	conf_fd = memfile("cglever-fuzz-conf", conf_path, sizeof conf_path);
	return 0;
}

/* The input with every KEY_TOKEN replaced by key_path; caller frees. */
static char *expand(const uint8_t *data, size_t size, size_t *outlen)
{
	size_t tl = strlen(KEY_TOKEN), kl = strlen(key_path), n = 0, i = 0;
	char *out = malloc(size / tl * kl + size + 1);

	if (!out)
		abort();
	while (i < size) {
		if (size - i >= tl && memcmp(data + i, KEY_TOKEN, tl) == 0) {
			memcpy(out + n, key_path, kl);
			n += kl;
			i += tl;
		} else {
			out[n++] = (char)data[i++];
		}
	}
	*outlen = n;
	return out;
}

static int no_trailing_slash(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] != '/';
}

/* conf.h: https:// with a host, or plain http to loopback exactly. */
static int url_ok(const char *v)
{
	const char *h = NULL;
	size_t n = 0;

	if (strncmp(v, "https://", 8) == 0) {
		h = v + 8;
		n = strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
	} else if (strncmp(v, "http://127.0.0.1", 16) == 0 || strncmp(v, "http://localhost", 16) == 0) {
		h = v + 7;
		n = 9;
	} else if (strncmp(v, "http://[::1]", 12) == 0) {
		h = v + 7;
		n = 5;
	}
	return h && n > 0 && (h[n] == '\0' || h[n] == ':' || h[n] == '/');
}

/* What conf.h promises about a loaded configuration. */
static void check_conf(const struct conf *c)
{
	const char *urls[] = { c->public_url, c->lever_api_url, c->lever_auth_url,
			       c->lever_token_url, c->codingame_api_url };

	FUZZ_CHECK(strcmp(c->path, conf_path) == 0);
	FUZZ_CHECK(c->db_home && *c->db_home && c->secret_key_file && *c->secret_key_file);
	FUZZ_CHECK(c->secret && strlen(c->secret) >= 32 && !strpbrk(c->secret, "\r\n"));
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		FUZZ_CHECK(urls[i] && no_trailing_slash(urls[i]));
		FUZZ_CHECK(url_ok(urls[i]));
	}
	FUZZ_CHECK(c->lever_audience && *c->lever_audience && c->ctl_path && *c->ctl_path);
	FUZZ_CHECK(c->log_level >= LOG_LEVEL_ERROR && c->log_level <= LOG_LEVEL_DEBUG);
	FUZZ_CHECK(c->max_body_bytes >= 256 && c->max_body_bytes <= 64L << 20);
	FUZZ_CHECK(c->job_lease_seconds >= 1 && c->job_lease_seconds <= 86400);
	FUZZ_CHECK(c->job_max_attempts >= 1 && c->job_max_attempts <= 100);
	FUZZ_CHECK(c->http_timeout_seconds >= 1 && c->http_timeout_seconds <= 300);
	FUZZ_CHECK(c->lever_rate >= 1 && c->lever_rate <= 10);
	FUZZ_CHECK(c->oauth_state_seconds >= 1 && c->oauth_state_seconds <= 3600);
	for (size_t i = 0; i < c->n_admin_users; i++) {
		const char *u = c->admin_users[i];

		FUZZ_CHECK(u && *u && !strchr(u, ','));
		FUZZ_CHECK(u[0] != ' ' && u[0] != '\t' && !strchr(" \t\r\n", u[strlen(u) - 1]));
		FUZZ_CHECK(conf_is_admin(c, u));
	}
	FUZZ_CHECK(!conf_is_admin(c, "") && !conf_is_admin(c, NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c = NULL;
	char err[600];
	size_t len;
	char *text;
	int rc;

	/* Special files could block (a FIFO, a terminal): only the memory
	 * files and ordinary paths are read. */
	if ((size >= 5 && memmem(data, size, "/dev/", 5)) ||
	    (size >= 6 && memmem(data, size, "/proc/", 6)))
		return 0;
	text = expand(data, size, &len);
	if (ftruncate(conf_fd, 0) < 0 || pwrite(conf_fd, text, len, 0) != (ssize_t)len) {
		perror("fuzz_conf: write");
		abort();
	}
	free(text);
	err[0] = '\0';
	rc = conf_load(conf_path, &c, err, sizeof err);
	if (rc == 0) {
		FUZZ_CHECK(c != NULL);
		check_conf(c);
		conf_free(c);
	} else {
		FUZZ_CHECK(rc == -1 && c == NULL);
		fuzz_check_msg(err, sizeof err, 1);
	}
	return 0;
}
