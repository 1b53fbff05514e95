/* cel_fx.c: see cel_fx.h. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "../../lib/cbor_w.h"
#include "../../lib/cel.h"
#include "../../lib/cose.h"
#include "../../lib/digest.h"
#include "cel_fx.h"

const uint16_t cfx_three[3] = { HG_ALG_SHA1, HG_ALG_SHA256, HG_ALG_SHA384 };

/* Hash with OpenSSL directly, not through lib/digest.c. */
void cfx_evp_hash(uint16_t alg, const void *p, size_t n, struct hg_digest *out)
{
	const EVP_MD *md = alg == HG_ALG_SHA1 ? EVP_sha1() :
			   alg == HG_ALG_SHA256 ? EVP_sha256() :
			   alg == HG_ALG_SHA384 ? EVP_sha384() : EVP_sha512();
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(p, n, out->d, &len, md, NULL), 1);
	out->alg = alg;
	out->len = (uint8_t)len;
}

void cfx_file_digests(const uint16_t *algs, size_t n, const char *data,
			 struct hg_digests *d)
{
	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < n; i++)
		cfx_evp_hash(algs[i], data, strlen(data), &d->v[i]);
	d->n = n;
}

void cfx_put_digests(struct cw *w, const struct hg_digests *d)
{
	cw_array(w, d->n);
	for (size_t i = 0; i < d->n; i++) {
		cw_array(w, 2);
		cw_uint(w, d->v[i].alg);
		cw_bytes(w, d->v[i].d, d->v[i].len);
	}
}

void cfx_assert_digests_equal(const struct hg_digests *a,
				 const struct hg_digests *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->v[i].alg, b->v[i].alg);
		assert_int_equal(a->v[i].len, b->v[i].len);
		assert_memory_equal(a->v[i].d, b->v[i].d, a->v[i].len);
	}
}

uint8_t *cfx_cose_key(size_t *len)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct cw w;

	assert_non_null(k);
	cw_init(&w);
	assert_int_equal(hg_cose_key_encode(k, &w), 0);
	EVP_PKEY_free(k);
	return cw_take(&w, len);
}
