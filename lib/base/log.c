/* log: stderr is the web server's error log; one line per message. */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

static char log_prog[32] = "cglever";
static enum log_level log_threshold = LOG_LEVEL_INFO;
static char log_reqid[40];

static pid_t log_pid;   /* getpid() is a system call each time: kept, reset by fork */

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static void log_forked(void) { log_pid = 0; }

void log_init(const char *prog, enum log_level level)
{
	static int atfork;

	snprintf(log_prog, sizeof log_prog, "%s", prog ? prog : "cglever");
	log_threshold = level;
	if (!atfork && pthread_atfork(NULL, NULL, log_forked) == 0)
		atfork = 1;
}

void log_set_level(enum log_level level) { log_threshold = level; }

int log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void log_set_request_id(const char *id)
{
	snprintf(log_reqid, sizeof log_reqid, "%s", id ? id : "");
}

const char *log_request_id(void) { return log_reqid; }

static void log_line(enum log_level level, unsigned left_out, const char *fmt, va_list ap)
{
	char line[2048];
	char stamp[32];
	int64_t ms = clock_wall_ms();
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	int n;

	if (!log_pid)
		log_pid = getpid();
	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof line, "%s.%03ldZ %s[%ld] %s%s%s%s: ", stamp,
		     (long)(ms % 1000), log_prog, (long)log_pid,
		     log_reqid[0] ? "req=" : "", log_reqid,
		     log_reqid[0] ? " " : "", level_names[level]);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	if (left_out) {
		n = (int)strlen(line);
		snprintf(line + n, sizeof line - (size_t)n,
			 " (and %u more such lines left out since the last one)", left_out);
	}
	/* One write per line so lines from several processes do not mix;
	 * control characters from untrusted input cannot forge lines. */
	n = (int)strlen(line);
	for (int i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20)
			line[i] = ' ';
	if (n < (int)sizeof line - 1)
		line[n++] = '\n';
	else
		line[sizeof line - 2] = '\n', n = (int)sizeof line - 1;
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	log_line(level, 0, fmt, ap);
	va_end(ap);
}

void log_limited(enum log_level level, const char *fmt, ...)
{
	static int64_t next_ms;
	static unsigned left_out;
	int64_t now;
	va_list ap;

	if (level > log_threshold)
		return;
	now = clock_mono_us() / 1000;
	if (now < next_ms) {
		left_out++;
		return;
	}
	next_ms = now + 1000;
	va_start(ap, fmt);
	log_line(level, left_out, fmt, ap);
	va_end(ap);
	left_out = 0;
}
