/* crypto: HMAC-SHA256, constant-time compare and random tokens (libcrypto). */
#ifndef CGLEVER_CRYPTO_H
#define CGLEVER_CRYPTO_H

#include <stddef.h>

/* Lower-case hex HMAC-SHA256 into out (65 bytes with the NUL). 0 on success. */
int crypto_hmac_sha256_hex(const void *key, size_t keylen,
			   const void *msg, size_t msglen, char out[65]);
/* Derives outlen bytes for one use of secret (HKDF-SHA256, RFC 5869,
 * through OpenSSL's EVP_KDF; label is the HKDF info, one per use, e.g.
 * "cglever csrf v1"), so that no two uses share a key. 0 on success; out
 * is wiped on failure. */
int crypto_derive_key(const void *secret, size_t secretlen, const char *label,
		      unsigned char *out, size_t outlen);
/* 1 when equal; time depends only on the lengths. */
int crypto_ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* nbytes random bytes as 2*nbytes hex chars + NUL into out. 0 on success. */
int crypto_random_hex(char *out, size_t nbytes);
/* Wipes the NUL-terminated secret s, then frees it; NULL is fine. The one
 * home of wipe-and-free. */
void crypto_free_secret(char *s);

#endif
