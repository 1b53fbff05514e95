/* fuzz_ear.c: libFuzzer target for EAR attestation results (lib/ear.c).
 *
 * The input is used twice:
 *  - as a token: hg_ear_verify() with a key made in LLVMFuzzerInitialize(),
 *    of which no input can hold a signature: 0 there is a forgery;
 *  - as a claims-set: signed here with that key (a valid COSE_Sign1 around
 *    the fuzzer's bytes) and verified, which drives the claims decoder
 *    (reachable only after a good signature) with hostile bytes. Whatever
 *    it accepts must hold its contract (bounded counts, a known profile,
 *    tiers, times) and must sign and verify again to the same claims
 *    (the encoder accepts everything the decoder does); its JSON view
 *    must build.
 * Reader contract: -1 (with a reason) or 0; never a crash, a leak or an
 * overread (ASan); nothing over the HG_EAR_MAX_* bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "cbor_w.h"
#include "cose.h"
#include "ear.h"

#include "cel.h"

#include "fuzz_check.h"

#define NOW 1800000000

static EVP_PKEY *key, *other;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	key = EVP_EC_gen("P-256");
	other = EVP_EC_gen("P-256");
	if (!key || !other) {
		fprintf(stderr, "fuzz_ear: EVP_EC_gen failed\n");
		abort();
	}
	return 0;
}

static void claims_ok(const struct hg_ear_claims *c)
{
	CHECK(c->nsubmods >= 1 && c->nsubmods <= HG_EAR_MAX_SUBMODS);
	CHECK(c->exp > NOW && c->exp > c->iat && c->iat <= NOW + HG_EAR_IAT_SKEW);
	CHECK(c->exp - c->iat <= HG_EAR_MAX_TTL);
	CHECK(c->developer && c->build);
	CHECK(c->nonce_len == 0 ||
	      (c->nonce_len >= HG_EAR_NONCE_MIN && c->nonce_len <= HG_EAR_NONCE_MAX));
	for (size_t i = 0; i < c->nsubmods; i++) {
		const struct hg_ear_submod *s = &c->submods[i];

		CHECK(hg_ear_status_name(s->status) != NULL);
		CHECK(s->ndigests <= HG_EAR_MAX_DIGESTS);
		for (size_t j = 0; j < s->ndigests; j++)
			CHECK(s->digests[j].len > 0 && s->digests[j].len <= HG_MAX_DIGEST);
	}
}

/* hg_ear_submod_covers(), the remote gate's question, on hostile claims:
 * a submodule covers exactly its own workload digests, and never a list
 * holding a digest it does not vouch for. */
static void covers(const struct hg_ear_submod *s)
{
	struct hg_ear_digest *want = calloc(s->ndigests + 1, sizeof(*want));
	size_t n = 0;
	char err[256];

	CHECK(want != NULL);
	for (size_t j = 0; j < s->ndigests; j++)
		if (hg_kind_is_workload(hg_kind_parse(s->digests[j].kind, strlen(s->digests[j].kind))))
			want[n++] = s->digests[j];
	CHECK(hg_ear_submod_covers(s, want, n, err, sizeof(err)) == 0);
	if (n > 0) {
		int present = 0;

		want[n - 1].d[0] ^= 0x80;
		for (size_t j = 0; j < s->ndigests; j++)
			present |= !strcmp(s->digests[j].kind, want[n - 1].kind) &&
				   !strcmp(s->digests[j].name, want[n - 1].name) &&
				   s->digests[j].alg == want[n - 1].alg &&
				   s->digests[j].len == want[n - 1].len &&
				   !memcmp(s->digests[j].d, want[n - 1].d, want[n - 1].len);
		if (!present) {
			err[0] = '\0';
			CHECK(hg_ear_submod_covers(s, want, n, err, sizeof(err)) == -1 && err[0]);
		}
	}
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_ear_claims c, c2;
	char err[512];
	struct cw w;
	uint8_t *tok = NULL;
	size_t toklen = 0;
	int r;

	/* As a token: no input is signed by `other`. */
	r = hg_ear_verify(data, size, other, NOW, &c, err, sizeof(err));
	CHECK(r != 0);
	CHECK(c.nsubmods == 0 && err[0] != '\0');
	hg_ear_claims_free(&c);

	/* As a claims-set, validly signed. */
	cw_init(&w);
	if (hg_cose_sign1(key, data, size, &w) < 0) {
		cw_free(&w);
		return 0;
	}
	r = hg_ear_verify(w.buf, w.len, key, NOW, &c, err, sizeof(err));
	/* The same token under the other key: refused, for the signature. */
	CHECK(hg_ear_verify(w.buf, w.len, other, NOW, &c2, err, sizeof(err)) == -1);
	CHECK(!strcmp(err, "signature does not verify with this key"));
	cw_free(&w);
	if (r != 0) {
		CHECK(r == -1 && c.nsubmods == 0);
		return 0;
	}
	claims_ok(&c);
	{
		json_object *j = hg_ear_claims_json(&c);

		CHECK(j != NULL);
		json_object_put(j);
	}
	/* What was accepted signs again and reads back the same. */
	CHECK(hg_ear_sign(&c, key, &tok, &toklen) == 0);
	CHECK(hg_ear_verify(tok, toklen, key, NOW, &c2, err, sizeof(err)) == 0);
	CHECK(c2.nsubmods == c.nsubmods && c2.iat == c.iat && c2.exp == c.exp &&
	      c2.nonce_len == c.nonce_len && !memcmp(c2.nonce, c.nonce, c.nonce_len));
	for (size_t i = 0; i < c.nsubmods; i++) {
		const struct hg_ear_submod *s = &c.submods[i];
		const struct hg_ear_submod *t = hg_ear_submod_find(&c2, s->name);

		CHECK(t && t->status == s->status && t->ndigests == s->ndigests &&
		      !memcmp(t->tv, s->tv, sizeof(s->tv)));
		covers(s);
	}
	free(tok);
	hg_ear_claims_free(&c2);
	hg_ear_claims_free(&c);
	return 0;
}
