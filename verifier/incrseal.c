/* incrseal.c: the incremental state sealed under the verifier's key, for
 * states kept in files (check --state-in/--state-out; incr.h "Sealing").
 *
 *   sealed = [state: bstr, mac: bstr(32)]   (a CBOR array of 2, exact)
 *   mac    = HMAC-SHA256(key, "hostgate incremental state v1" || state)
 *
 * The key is 32 random bytes in DIR/incr.key (0600; DIR the verifier's
 * state directory, vstate.h), made on first use: a file is written aside
 * and link()ed into place, so two first uses agree on one key (the loser
 * reads the winner's). A state whose MAC does not verify was not written
 * by this verifier, or was changed since: it is not used (full check).
 */
#include "incrseal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../lib/cbor_r.h"
#include "../lib/cbor_w.h"
#include "../lib/util.h"
#include "incr.h"

static const char label[] = "hostgate incremental state v1";

static int mac(const uint8_t key[HV_INCR_KEY_LEN], const uint8_t *p, size_t n,
	       uint8_t out[32])
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t len = 0;
	int ret = -1;

	if (c && EVP_MAC_init(c, key, HV_INCR_KEY_LEN, params) == 1 &&
	    EVP_MAC_update(c, (const uint8_t *)label, sizeof(label) - 1) == 1 &&
	    EVP_MAC_update(c, p, n) == 1 && EVP_MAC_final(c, out, &len, 32) == 1 && len == 32)
		ret = 0;
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return ret;
}

int hv_incr_seal(const uint8_t key[HV_INCR_KEY_LEN], const uint8_t *st, size_t len,
		 uint8_t **out, size_t *outlen)
{
	uint8_t tag[32];
	struct cw w;

	if (mac(key, st, len, tag) < 0)
		return -1;
	cw_init(&w);
	cw_array(&w, 2);
	cw_bytes(&w, st, len);
	cw_bytes(&w, tag, sizeof(tag));
	if (w.err) {
		cw_free(&w);
		return -1;
	}
	*out = cw_take(&w, outlen);
	return 0;
}

int hv_incr_unseal(const uint8_t key[HV_INCR_KEY_LEN], const uint8_t *buf, size_t len,
		   const uint8_t **st, size_t *stlen, const char **why)
{
	const uint8_t *tag;
	size_t n, tlen;
	uint8_t want[32];
	struct cr r;

	cr_init(&r, buf, len);
	if (cr_array(&r, &n) != CR_OK || n != 2 || cr_bytes(&r, st, stlen) != CR_OK ||
	    cr_bytes(&r, &tag, &tlen) != CR_OK || tlen != 32 || cr_left(&r) != 0) {
		*why = "not a sealed state ([state, mac])";
		return -1;
	}
	if (mac(key, *st, *stlen, want) < 0) {
		*why = "cannot compute the MAC";
		return -1;
	}
	if (CRYPTO_memcmp(want, tag, 32)) {
		*why = "its MAC does not verify under this verifier's key (changed, or another verifier's)";
		return -1;
	}
	return 0;
}

int hv_incr_key(const char *dir, int create, uint8_t key[HV_INCR_KEY_LEN])
{
	char path[4096], tmp[4096 + 32];
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd = -1, ret = -1;

	if (snprintf(path, sizeof(path), "%s/%s", dir, HV_INCR_KEY_FILE) >= (int)sizeof(path)) {
		hg_err("%s: state directory path too long", dir);
		return -1;
	}
	if (hg_read_file(path, HV_INCR_KEY_LEN + 1, 1, &buf, &len) == 0) {
		if (len != HV_INCR_KEY_LEN) {
			hg_err("%s: not a %d-byte key", path, HV_INCR_KEY_LEN);
			goto out;
		}
		memcpy(key, buf, HV_INCR_KEY_LEN);
		ret = 0;
		goto out;
	}
	if (errno != ENOENT) {
		hg_err("%s: %s", path, hg_strerror_read(errno));
		goto out;
	}
	if (!create) {
		ret = 1;
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (hg_mkdir_p(dir, 0700) < 0 || RAND_bytes(key, HV_INCR_KEY_LEN) != 1 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    hg_write_all(fd, key, HV_INCR_KEY_LEN) < 0 || fsync(fd) < 0) {
		hg_err("%s: cannot make the state key: %s", path, strerror(errno));
		goto out;
	}
	if (link(tmp, path) < 0) {
		if (errno != EEXIST) {
			hg_err("%s: cannot make the state key: %s", path, strerror(errno));
			goto out;
		}
		/* Another first use won: its key is the one. */
		ret = hv_incr_key(dir, 0, key);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(buf);
	return ret;
}
