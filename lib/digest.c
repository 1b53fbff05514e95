/* digest.c: see digest.h. */
#include "digest.h"

#include <pthread.h>
#include <stdlib.h>
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
 * allocation costs as much as the hash itself. Each thread keeps one
 * context per bank and re-initialises it (EVP_DigestInit_ex2 reuses the
 * provider's context for the same digest): 560 -> 325 ns for 200 bytes
 * of SHA-256 here. (OpenSSL 3.0's one-shot SHA256() goes through
 * EVP_Q_digest, which fetches the digest each call: slower still.) */
struct hash_ctxs {
	EVP_MD_CTX *c[NBANKS];
};

static pthread_key_t ctx_key;
static int ctx_key_ok;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void free_ctxs(void *arg)
{
	struct hash_ctxs *h = arg;

	for (size_t i = 0; i < NBANKS; i++)
		EVP_MD_CTX_free(h->c[i]);
	free(h);
}

static void make_key(void)
{
	ctx_key_ok = pthread_key_create(&ctx_key, free_ctxs) == 0;
}

/* This thread's context for bank B, or NULL (then a one-off context). */
static EVP_MD_CTX *thread_ctx(const struct hg_bank *b)
{
	struct hash_ctxs *h;

	pthread_once(&ctx_once, make_key);
	if (!ctx_key_ok)
		return NULL;
	h = pthread_getspecific(ctx_key);
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h || pthread_setspecific(ctx_key, h) != 0) {
			free(h);
			return NULL;
		}
	}
	if (!h->c[b - banks])
		h->c[b - banks] = EVP_MD_CTX_new();
	return h->c[b - banks];
}

int hg_hash(uint16_t alg, const void *data, size_t len, struct hg_digest *out)
{
	const struct hg_bank *b = hg_bank_by_alg(alg);
	const EVP_MD *md = hg_bank_md(b);
	EVP_MD_CTX *c;
	unsigned int n = 0;

	if (!md)
		return -1;
	c = thread_ctx(b);
	if (c) {
		if (!EVP_DigestInit_ex2(c, md, NULL) || !EVP_DigestUpdate(c, data, len) ||
		    !EVP_DigestFinal_ex(c, out->d, &n))
			return -1;
	} else if (!EVP_Digest(data, len, out->d, &n, md, NULL)) {
		return -1;
	}
	if (n != b->size)
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
