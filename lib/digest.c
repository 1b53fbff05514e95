/* digest.c: see digest.h. */
#include "digest.h"

#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

static const struct hg_bank banks[] = {
	{ HG_ALG_SHA1, "sha1", 20, "SHA1" },
	{ HG_ALG_SHA256, "sha256", 32, "SHA256" },
	{ HG_ALG_SHA384, "sha384", 48, "SHA384" },
	{ HG_ALG_SHA512, "sha512", 64, "SHA512" },
};

const struct hg_bank *hg_bank_by_alg(uint16_t alg)
{
	for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (banks[i].alg == alg)
			return &banks[i];
	return NULL;
}

const struct hg_bank *hg_bank_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (!strcmp(banks[i].name, name))
			return &banks[i];
	return NULL;
}

#define NBANKS (sizeof(banks) / sizeof(banks[0]))

static EVP_MD *fetched[NBANKS];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

/* OpenSSL 3 re-fetches a legacy EVP_MD (EVP_get_digestbyname) from the
 * provider on every Init, under a lock: a tenth of a quote check. Fetch
 * each once for the process; they live until exit by design. */
static void fetch_all(void)
{
	for (size_t i = 0; i < NBANKS; i++)
		fetched[i] = EVP_MD_fetch(NULL, banks[i].ossl, NULL);
}

const EVP_MD *hg_bank_md(const struct hg_bank *b)
{
	if (!b || b < banks || b >= banks + NBANKS)
		return NULL;
	pthread_once(&fetch_once, fetch_all);
	return fetched[b - banks];
}

const struct hg_digest *hg_digests_get(const struct hg_digests *d,
				       uint16_t alg)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].alg == alg)
			return &d->v[i];
	return NULL;
}

/* The verifier hashes every log record twice (its content, for the
 * binding, and the extend): small inputs, where EVP_Digest's context
 * allocation and provider dispatch cost as much as the hash itself
 * (docs/log-format.md "Verification cost"). OpenSSL's one-shot
 * functions (not deprecated in 3.0: only their CTX API is) hash on the
 * stack with the same implementation. */
int hg_hash(uint16_t alg, const void *data, size_t len, struct hg_digest *out)
{
	const unsigned char *p = data;
	const unsigned char *r;
	size_t n;

	switch (alg) {
	case HG_ALG_SHA1: r = SHA1(p, len, out->d); n = SHA_DIGEST_LENGTH; break;
	case HG_ALG_SHA256: r = SHA256(p, len, out->d); n = SHA256_DIGEST_LENGTH; break;
	case HG_ALG_SHA384: r = SHA384(p, len, out->d); n = SHA384_DIGEST_LENGTH; break;
	case HG_ALG_SHA512: r = SHA512(p, len, out->d); n = SHA512_DIGEST_LENGTH; break;
	default: return -1;
	}
	if (!r)
		return -1;
	out->alg = alg;
	out->len = (uint8_t)n;
	return 0;
}

int hg_extend(struct hg_digest *pcr, const struct hg_digest *d)
{
	uint8_t buf[2 * HG_MAX_DIGEST];

	if (pcr->alg != d->alg || pcr->len != d->len || d->len > HG_MAX_DIGEST)
		return -1;
	memcpy(buf, pcr->d, pcr->len);
	memcpy(buf + pcr->len, d->d, d->len);
	return hg_hash(pcr->alg, buf, 2u * pcr->len, pcr);
}

int hg_pcr_reset(uint16_t alg, struct hg_digest *pcr)
{
	const struct hg_bank *b = hg_bank_by_alg(alg);

	if (!b)
		return -1;
	memset(pcr, 0, sizeof(*pcr));
	pcr->alg = alg;
	pcr->len = (uint8_t)b->size;
	return 0;
}
