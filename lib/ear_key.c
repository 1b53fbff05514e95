/* ear_key.c: the verifier's EAR signing key and its public half, from
 * PEM files (see ear.h). ES256 only (RFC 9053 §2.1: ECDSA on P-256 with
 * SHA-256), as lib/cose.h signs and checks nothing else.
 */
#include "ear.h"

#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

/* A PEM key is a few hundred bytes; anything this big is not one. */
#define KEY_FILE_MAX 16384

/* No passphrase prompt: a service must not block on a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

static int is_p256(EVP_PKEY *key)
{
	char group[32];

	return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	       EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
					      sizeof(group), NULL) &&
	       !strcmp(group, "prime256v1");
}

int hg_ear_load_key(const char *path, int want_private, EVP_PKEY **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *mem = NULL;
	EVP_PKEY *key = NULL;
	int ret = -1;

	*out = NULL;
	if (hg_read_file(path, KEY_FILE_MAX, 0, &buf, &len) < 0) {
		hg_err("%s: %s", path, errno == EFBIG ? "larger than a PEM key" : hg_strerror_read(errno));
		goto out;
	}
	mem = BIO_new_mem_buf(buf, (int)len);
	if (!mem) {
		hg_err("%s: out of memory", path);
		goto out;
	}
	key = want_private ? PEM_read_bio_PrivateKey(mem, NULL, no_passphrase, NULL)
			   : PEM_read_bio_PUBKEY(mem, NULL, no_passphrase, NULL);
	if (!key) {
		hg_err("%s: not a PEM %s key (unencrypted)", path, want_private ? "private" : "public");
		goto out;
	}
	if (!is_p256(key)) {
		hg_err("%s: not an ECDSA P-256 key (EAR tokens are ES256)", path);
		goto out;
	}
	*out = key;
	key = NULL;
	ret = 0;
out:
	EVP_PKEY_free(key);
	BIO_free(mem);
	if (buf) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return ret;
}
