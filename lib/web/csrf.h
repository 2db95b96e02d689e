/* csrf: stateless CSRF tokens bound to the signed-in user.
 * token = "<ms timestamp>.<hex HMAC-SHA256(key, "csrf\0" user "\0" ts)>"
 * The key is one of its own (page.c derives it from the passphrase with
 * crypto_derive_key, label CSRF_KEY_LABEL), never the passphrase itself.
 * Nothing is stored: any process can check a token any other made, and
 * a token from one admin is useless in another admin's session. */
#ifndef CGLEVER_CSRF_H
#define CGLEVER_CSRF_H

#include <stddef.h>
#include <stdint.h>

#define CSRF_KEY_LABEL "cglever csrf v1"
#define CSRF_KEY_LEN 32

/* Up to 19 timestamp digits, '.', 64 hex digits, NUL. */
#define CSRF_LEN 85
/* A page left open over a working day still submits. */
#define CSRF_MAX_AGE_MS (12LL * 60 * 60 * 1000)
/* Clock skew tolerated between the processes that make and check. */
#define CSRF_MAX_FUTURE_MS (5LL * 60 * 1000)

/* Writes the token for user at now_ms (e.g. clock_wall_ms()) into out.
 * Returns 0, or -1 on an empty key or user or a negative time (out is
 * then ""). */
int csrf_make(const unsigned char *key, size_t keylen, const char *user, int64_t now_ms,
	      char out[CSRF_LEN]);
/* 1 when token was made with key for user, is at most max_age_ms old
 * (<= 0 means CSRF_MAX_AGE_MS) and at most CSRF_MAX_FUTURE_MS ahead of
 * now_ms; 0 otherwise (also for NULL or malformed input). */
int csrf_check(const unsigned char *key, size_t keylen, const char *user, const char *token,
	       int64_t now_ms, int64_t max_age_ms);

#endif
