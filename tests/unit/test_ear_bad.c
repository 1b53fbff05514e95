/* test_ear_bad.c: every token hg_ear_verify() must refuse, each pinned to
 * its reason (lib/ear.h). The claims are built by hand (ear_fx.c) and,
 * unless the case is about the envelope or the signature, validly signed:
 * the refusal is the decoder's, after the signature held.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/ec.h>

#include "ear_fx.h"

static EVP_PKEY *key;

static int setup(void **state)
{
	(void)state;
	key = EVP_EC_gen("P-256");
	return key ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	return 0;
}

/* The token K describes must be refused (-1) with WHY in the reason. */
static void refused(const struct knobs *k, const char *why, int line)
{
	size_t len;
	uint8_t *t = fx_token(key, k, &len);
	char err[512] = "";
	int r;

	if (!t)
		fail_msg("line %d: could not build the token", line);
	r = fx_verify(key, t, len, err, sizeof(err));
	free(t);
	if (r != -1 || !strstr(err, why))
		fail_msg("line %d: verify %d \"%s\", want -1 \"%s\"", line, r, err, why);
}
#define REFUSED(why, ...) do { struct knobs k; fx_knobs(&k); __VA_ARGS__; refused(&k, why, __LINE__); } while (0)

static void test_default_is_valid(void **state)
{
	struct knobs k;
	size_t len;
	uint8_t *t;
	char err[256] = "";

	(void)state;
	fx_knobs(&k);
	t = fx_token(key, &k, &len);
	assert_non_null(t);
	assert_int_equal(fx_verify(key, t, len, err, sizeof(err)), 0);
	free(t);
}

static void test_missing_claims(void **state)
{
	(void)state;
	REFUSED("no eat_profile", k.omit = 265);
	REFUSED("no iat", k.omit = 6);
	REFUSED("no exp", k.omit = 4);
	REFUSED("no ear.verifier-id", k.omit = 1004);
	REFUSED("no submods", k.omit = 266);
	REFUSED("no ear.status", k.no_status = 1);
	REFUSED("ear.verifier-id lacks build", k.vid_missing_build = 1);
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	REFUSED("claims-set: duplicate key 6", k.dup = 6);
	REFUSED("claims-set: duplicate key 4", k.dup = 4);
	REFUSED("claims-set: duplicate key 265", k.dup = 265);
	REFUSED("claims-set: duplicate key 266", k.dup = 266);
	REFUSED("claims-set: duplicate key 1004", k.dup = 1004);
	REFUSED("claims-set: duplicate key 10", k.dup = 10);
	REFUSED("submod: duplicate key 1000", k.dup_status = 1);
	REFUSED("ear.trustworthiness-vector: duplicate key 0", k.tv_dup = 1);
	REFUSED("submods: duplicate name \"host-a\"", k.nsubmods = 2; k.dup_submod = 1);
	REFUSED("ear.verifier-id: duplicate key 0", k.vid_dup = 1);
}

static void test_unknown_claims(void **state)
{
	(void)state;
	REFUSED("claims-set: unknown claim 1002", k.extra = 1002);   /* raw evidence */
	REFUSED("claims-set: unknown claim -70000", k.extra = -70000);
	REFUSED("unknown claim 1002", k.sub_extra = 1002);
	REFUSED("unknown claim 7", k.sub_extra = 7);
	REFUSED("unknown component 8", k.tv_label = 8; k.tv_value = 2);
}

static void test_profile_and_times(void **state)
{
	(void)state;
	REFUSED("eat_profile is not", k.profile = "tag:github.com,2023:veraison/ear");
	REFUSED("eat_profile is not", k.profile = HG_EAR_PROFILE "x");
	REFUSED("expired", k.iat = FX_NOW - 10; k.exp = FX_NOW);   /* exp == now */
	REFUSED("expired", k.iat = FX_NOW - 600; k.exp = FX_NOW - 1);
	REFUSED("issued in the future", k.iat = FX_NOW + HG_EAR_IAT_SKEW + 1; k.exp = FX_NOW + 1000);
	REFUSED("is not after iat", k.iat = FX_NOW + 10; k.exp = FX_NOW + 10);
	REFUSED("lifetime (exp - iat) 86401 seconds, over 86400", k.exp = FX_NOW + HG_EAR_MAX_TTL + 1);
	REFUSED("over 86400", k.iat = INT64_MIN + 5; k.exp = INT64_MAX);
	/* Within the skew it is fine. */
	{
		struct knobs k;
		size_t len;
		uint8_t *t;
		char err[256] = "";

		fx_knobs(&k);
		k.iat = FX_NOW + HG_EAR_IAT_SKEW;
		k.exp = FX_NOW + 1000;
		t = fx_token(key, &k, &len);
		assert_int_equal(fx_verify(key, t, len, err, sizeof(err)), 0);
		free(t);
	}
}

static void test_status_and_vector_values(void **state)
{
	static const int64_t bad_status[] = { 1, 3, 31, 33, 95, 97, 99, 127, -2, -96, 256, 65536 + 2 };
	static const int64_t ok_status[] = { 0, 2, 32, 96 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad_status) / sizeof(bad_status[0]); i++)
		REFUSED("is not a trust tier", k.status = bad_status[i]);
	for (size_t i = 0; i < sizeof(ok_status) / sizeof(ok_status[0]); i++) {
		struct knobs k;
		size_t len;
		uint8_t *t;
		char err[256] = "";

		fx_knobs(&k);
		k.status = ok_status[i];
		t = fx_token(key, &k, &len);
		assert_int_equal(fx_verify(key, t, len, err, sizeof(err)), 0);
		free(t);
	}
	REFUSED("outside -128..127", k.tv_label = 4; k.tv_value = 128);
	REFUSED("outside -128..127", k.tv_label = 4; k.tv_value = -129);
	REFUSED("ear.trustworthiness-vector is empty", k.tv_empty = 1);
}

static void test_bounds(void **state)
{
	(void)state;
	REFUSED("submod name: longer than 4096 bytes", k.name_len = HG_EAR_MAX_TEXT + 1);
	REFUSED("hostgate.measured has more than 4096 entries", k.nmeasured = HG_EAR_MAX_DIGESTS + 1);
	REFUSED("submods has more than 1024 entries", k.nsubmods = HG_EAR_MAX_SUBMODS + 1);
	REFUSED("eat_nonce is 7 bytes", k.nonce_len = 7);
	REFUSED("eat_nonce is 65 bytes", k.nonce_len = 65);
	REFUSED("sha256 digest is 31 bytes", k.digest_len = 31);
	REFUSED("longer than 64 bytes", k.digest_len = 65);
	REFUSED("alg \"md5\" is not a known bank", k.alg = "md5");
	REFUSED("kind \"rootkit\" is not a record kind", k.kind = "rootkit");
	REFUSED("trailing bytes after the claims-set", k.trailing = 1);
	/* At the bounds, accepted. */
	{
		struct knobs k;
		size_t len;
		uint8_t *t;
		char err[256] = "";

		fx_knobs(&k);
		k.name_len = HG_EAR_MAX_TEXT;
		k.nmeasured = HG_EAR_MAX_DIGESTS;
		k.nonce_len = 64;
		t = fx_token(key, &k, &len);
		assert_int_equal(fx_verify(key, t, len, err, sizeof(err)), 0);
		free(t);
	}
	/* A token over HG_EAR_MAX_TOKEN, whatever it holds. */
	{
		uint8_t *big = calloc(1, HG_EAR_MAX_TOKEN + 1);
		char err[256] = "";

		assert_int_equal(fx_verify(key, big, HG_EAR_MAX_TOKEN + 1, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "more than 1048576"));
		free(big);
	}
}

/* Envelopes: signed with the claims valid, so the header is the reason. */
static void envelope(int64_t tag, const uint8_t *prot, size_t plen, int64_t unprot_alg,
		     const char *why, int line)
{
	struct knobs k;
	size_t plen2, len;
	uint8_t *p, *t;
	char err[256] = "";
	int r;

	fx_knobs(&k);
	p = fx_claims(&k, &plen2);
	t = fx_envelope(key, tag, prot, plen, unprot_alg, p, plen2, &len);
	assert_non_null(t);
	r = fx_verify(key, t, len, err, sizeof(err));
	free(p);
	free(t);
	if (r != -1 || !strstr(err, why))
		fail_msg("line %d: verify %d \"%s\", want \"%s\"", line, r, err, why);
}

static void test_envelopes(void **state)
{
	static const uint8_t es256[] = { 0xa1, 0x01, 0x26 };
	static const uint8_t es384[] = { 0xa1, 0x01, 0x38, 0x22 };           /* {1: -35} */
	static const uint8_t crit[] = { 0xa2, 0x01, 0x26, 0x02, 0x81, 0x3a, 0x00, 0x01, 0x11, 0x70 };
	static const uint8_t kid[] = { 0xa2, 0x01, 0x26, 0x04, 0x41, 0x01 }; /* {1:-7, 4:h'01'} */
	static const uint8_t none[] = { 0xa0 };

	(void)state;
	/* The control: our own envelope builder, normal headers: valid. */
	{
		struct knobs k;
		size_t pl, len;
		uint8_t *p, *t;
		char err[256] = "";

		fx_knobs(&k);
		p = fx_claims(&k, &pl);
		t = fx_envelope(key, 18, es256, sizeof(es256), 0, p, pl, &len);
		assert_int_equal(fx_verify(key, t, len, err, sizeof(err)), 0);
		free(p);
		free(t);
	}
	envelope(61, es256, sizeof(es256), 0, "CBOR tag is not COSE_Sign1 (18)", __LINE__);  /* CWT tag */
	envelope(98, es256, sizeof(es256), 0, "CBOR tag is not COSE_Sign1 (18)", __LINE__);  /* COSE_Sign */
	envelope(-1, es256, sizeof(es256), 0, "not a tagged COSE_Sign1", __LINE__);
	envelope(18, es384, sizeof(es384), 0, "protected header is not exactly {alg: ES256}", __LINE__);
	envelope(18, crit, sizeof(crit), 0, "protected header is not exactly {alg: ES256}", __LINE__);
	envelope(18, kid, sizeof(kid), 0, "protected header is not exactly {alg: ES256}", __LINE__);
	envelope(18, none, sizeof(none), -7, "protected header is not exactly {alg: ES256}", __LINE__);
	envelope(18, es256, sizeof(es256), -7, "unprotected header is not empty", __LINE__);
	envelope(18, es256, sizeof(es256), -35, "unprotected header is not empty", __LINE__);
}

/* Bytes after the COSE_Sign1, and a payload that is not a claims map. */
static void test_trailing_and_not_a_map(void **state)
{
	struct knobs k;
	size_t len;
	uint8_t *t, *t2;
	char err[256] = "";

	(void)state;
	fx_knobs(&k);
	t = fx_token(key, &k, &len);
	t2 = malloc(len + 1);
	memcpy(t2, t, len);
	t2[len] = 0x00;
	assert_int_equal(fx_verify(key, t2, len + 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "1 trailing bytes after the COSE_Sign1"));
	free(t);
	free(t2);

	{
		static const uint8_t es256[] = { 0xa1, 0x01, 0x26 };
		/* [1] and an indefinite-length map {_ 6: 1}: both refused. */
		static const uint8_t arr[] = { 0x81, 0x01 };
		static const uint8_t indef[] = { 0xbf, 0x06, 0x01, 0xff };

		t = fx_envelope(key, 18, es256, sizeof(es256), 0, arr, sizeof(arr), &len);
		assert_int_equal(fx_verify(key, t, len, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "claims-set:"));
		free(t);
		t = fx_envelope(key, 18, es256, sizeof(es256), 0, indef, sizeof(indef), &len);
		assert_int_equal(fx_verify(key, t, len, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "claims-set: indefinite"));
		free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_valid),
		cmocka_unit_test(test_missing_claims),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_unknown_claims),
		cmocka_unit_test(test_profile_and_times),
		cmocka_unit_test(test_status_and_vector_values),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_envelopes),
		cmocka_unit_test(test_trailing_and_not_a_map),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
