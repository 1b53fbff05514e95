/* cel_fx.h: helpers shared by the CEL unit tests (test_cel.c,
 * test_cel_bad.c): hashing with OpenSSL directly (not lib/digest.c),
 * digest lists, and a fresh COSE_Key. Failures abort through cmocka. */
#ifndef HG_TEST_CEL_FX_H
#define HG_TEST_CEL_FX_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/cbor_w.h"
#include "../../lib/digest.h"

extern const uint16_t cfx_three[3];

/* Hash with OpenSSL directly, not through lib/digest.c. */
void cfx_evp_hash(uint16_t alg, const void *p, size_t n, struct hg_digest *out);
/* D gets DATA's digest in each of ALGS, computed with cfx_evp_hash(). */
void cfx_file_digests(const uint16_t *algs, size_t n, const char *data,
		      struct hg_digests *d);
/* [[alg, digest], ...] as the CEL encoder writes it. */
void cfx_put_digests(struct cw *w, const struct hg_digests *d);
void cfx_assert_digests_equal(const struct hg_digests *a,
			      const struct hg_digests *b);
/* A fresh P-256 key's COSE_Key encoding; the caller frees it. */
uint8_t *cfx_cose_key(size_t *len);

#endif
