/* csrf: HMAC-signed, timestamped tokens; see csrf.h. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "web/csrf.h"
#include "base/num.h"

#define TS_MAX_DIGITS 19
#define MAC_HEX 64

/* MAC over "csrf\0" user "\0" ts: the NUL keeps user and ts apart. */
static int csrf_mac(const unsigned char *key, size_t keylen, const char *user, const char *ts,
		    size_t tslen, char mac[MAC_HEX + 1])
{
	size_t ulen = strlen(user), mlen;
	char *msg = NULL;
	int rc = -1;

	if (ulen > SIZE_MAX - tslen - 16)
		goto out;
	mlen = 5 + ulen + 1 + tslen;
	msg = malloc(mlen);
	if (!msg)
		goto out;
	memcpy(msg, "csrf", 5); /* with its NUL */
	memcpy(msg + 5, user, ulen + 1);
	memcpy(msg + 5 + ulen + 1, ts, tslen);
	if (crypto_hmac_sha256_hex(key, keylen, msg, mlen, mac) != 0)
		goto out;
	rc = 0;
out:
	free(msg);
	return rc;
}

int csrf_make(const unsigned char *key, size_t keylen, const char *user, int64_t now_ms,
	      char out[CSRF_LEN])
{
	char ts[TS_MAX_DIGITS + 2], mac[MAC_HEX + 1];
	int n;

	out[0] = '\0';
	/* An empty key would make tokens anyone can compute. */
	if (!key || !keylen || !user || !*user || now_ms < 0)
		return -1;
	n = snprintf(ts, sizeof ts, "%" PRId64, now_ms);
	if (n <= 0 || n > TS_MAX_DIGITS)
		return -1;
	if (csrf_mac(key, keylen, user, ts, (size_t)n, mac) != 0)
		return -1;
	/* n <= 19, so n + 1 + 64 + 1 <= CSRF_LEN. */
	memcpy(out, ts, (size_t)n);
	out[n] = '.';
	memcpy(out + n + 1, mac, MAC_HEX + 1);
	return 0;
}

int csrf_check(const unsigned char *key, size_t keylen, const char *user, const char *token,
	       int64_t now_ms, int64_t max_age_ms)
{
	char ts[TS_MAX_DIGITS + 1], mac[MAC_HEX + 1];
	const char *dot, *given;
	size_t tslen;
	int64_t t;

	if (!key || !keylen || !user || !*user || !token || now_ms < 0)
		return 0;
	if (max_age_ms <= 0)
		max_age_ms = CSRF_MAX_AGE_MS;
	/* Bounded look at the input: never scan past what a token can be. */
	if (strnlen(token, CSRF_LEN) >= CSRF_LEN)
		return 0;
	dot = strchr(token, '.');
	if (!dot)
		return 0;
	tslen = (size_t)(dot - token);
	given = dot + 1;
	/* Canonical digits only (what csrf_make writes): no sign, space or
	 * leading zero, so each token has exactly one spelling. */
	if (tslen == 0 || tslen > TS_MAX_DIGITS || (tslen > 1 && token[0] == '0') ||
	    num_parse(token, tslen, 0, INT64_MAX, &t) != NUM_OK)
		return 0;
	if (strlen(given) != MAC_HEX)
		return 0;
	memcpy(ts, token, tslen);
	ts[tslen] = '\0';

	if (csrf_mac(key, keylen, user, ts, tslen, mac) != 0)
		return 0;
	if (!crypto_ct_equal(mac, MAC_HEX, given, MAC_HEX))
		return 0;
	/* Both are non-negative, so neither difference overflows. */
	if (now_ms - t > max_age_ms)
		return 0;
	if (t - now_ms > CSRF_MAX_FUTURE_MS)
		return 0;
	return 1;
}
