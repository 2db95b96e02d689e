/* crypto: thin wrappers over libcrypto. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include "base/crypto.h"

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* One HMAC-SHA256 context per process, set up once and keyed per call:
 * OpenSSL 3's one-shot HMAC() looks the algorithms up on every call,
 * which cost more than the MAC itself on the webhook's refusal path. */
static EVP_MAC_CTX *hmac_ctx;

static EVP_MAC_CTX *hmac_sha256(void)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac;

	if (hmac_ctx)
		return hmac_ctx;
	if (!(mac = EVP_MAC_fetch(NULL, "HMAC", NULL)))
		return NULL;
	hmac_ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);   /* the context keeps its own reference */
	if (hmac_ctx && !EVP_MAC_CTX_set_params(hmac_ctx, params)) {
		EVP_MAC_CTX_free(hmac_ctx);
		hmac_ctx = NULL;
	}
	return hmac_ctx;
}

int crypto_hmac_sha256_hex(const void *key, size_t keylen,
			   const void *msg, size_t msglen, char out[65])
{
	unsigned char mac[32];
	size_t maclen = 0;
	EVP_MAC_CTX *ctx = hmac_sha256();
	int ok;

	/* A NULL key would mean "the previous one" to EVP_MAC_init. */
	ok = ctx && key && EVP_MAC_init(ctx, key, keylen, NULL) &&
	     EVP_MAC_update(ctx, msg, msglen) &&
	     EVP_MAC_final(ctx, mac, &maclen, sizeof mac) && maclen == sizeof mac;
	if (ok)
		to_hex(mac, maclen, out);
	OPENSSL_cleanse(mac, sizeof mac);
	return ok ? 0 : -1;
}

int crypto_derive_key(const void *secret, size_t secretlen, const char *label,
		      unsigned char *out, size_t outlen)
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[4];
	int ok = 0;

	if (!secret || !secretlen || !label)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secretlen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label,
						      strlen(label));
	params[3] = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL))) {
		ctx = EVP_KDF_CTX_new(kdf);
		EVP_KDF_free(kdf);   /* the context keeps its own reference */
	}
	ok = ctx && EVP_KDF_derive(ctx, out, outlen, params) == 1;
	EVP_KDF_CTX_free(ctx);   /* frees and cleanses its copy of the key */
out:
	if (!ok)
		OPENSSL_cleanse(out, outlen);
	return ok ? 0 : -1;
}

int crypto_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return 0;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

int crypto_random_hex(char *out, size_t nbytes)
{
	unsigned char buf[64];

	if (nbytes > sizeof buf || RAND_bytes(buf, (int)nbytes) != 1)
		return -1;
	to_hex(buf, nbytes, out);
	return 0;
}

void crypto_free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}
