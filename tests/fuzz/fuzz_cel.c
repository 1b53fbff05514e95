/* fuzz_cel.c: libFuzzer target for the CEL-CBOR record decoder (lib/cel.c).
 *
 * The input is one record (a COSE_Sign1 payload); hg_cel_decode() runs on
 * it. Checks beyond "no crash, no leak, no UB":
 *  - failure always names a reason (*why);
 *  - success gives a record whose fields obey lib/cel.h (pcr 0..23, 1..5
 *    banks, type-specific fields present, pointers inside the input, the
 *    content map ending exactly at the end of the input, a name that
 *    follows lib/text.h's rule);
 *  - success round-trips: the decoded fields, encoded again with
 *    hg_cel_encode_file()/_path()/_log_key()/_launch(), decode to the same
 *    fields (the bytes may differ: the decoder accepts non-shortest heads
 *    and digest orders the encoder does not produce).
 *
 * A random mutation rarely passes the digest binding (SHA over the
 * content), so the success branch is mostly reached by the seeds; the
 * structural checks before it are what the fuzzer explores.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor_w.h"
#include "cel.h"
#include "digest.h"
#include "text.h"

#include "fuzz_check.h"

static int inside(const uint8_t *buf, size_t len, const void *p, size_t n)
{
	const uint8_t *q = p;

	return q >= buf && q <= buf + len && n <= (size_t)(buf + len - q);
}

static int same_digest_set(const struct hg_digests *a,
			   const struct hg_digests *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct hg_digest *d = hg_digests_get(b, a->v[i].alg);

		if (!d || d->len != a->v[i].len ||
		    memcmp(d->d, a->v[i].d, d->len))
			return 0;
	}
	return 1;
}

static void check_fields(const uint8_t *data, size_t size,
			 const struct hg_cel_rec *c)
{
	CHECK(c->pcr <= HG_CEL_MAX_PCR);
	CHECK(c->digests.n >= 1 && c->digests.n <= HG_MAX_BANKS);
	for (size_t i = 0; i < c->digests.n; i++) {
		const struct hg_bank *b = hg_bank_by_alg(c->digests.v[i].alg);

		CHECK(b && c->digests.v[i].len == b->size);
	}
	CHECK(c->content_len > 0 && inside(data, size, c->content, c->content_len));
	CHECK(c->content + c->content_len == data + size);
	if (c->type == HG_CT_FILE) {
		CHECK(c->kind > HG_KIND_NONE && c->kind < HG_KIND_MAX);
		CHECK(c->name_len >= 1 && c->name_len <= HG_CEL_MAX_NAME);
		CHECK(inside(c->content, c->content_len, c->name, c->name_len));
		for (size_t i = 0; i < c->name_len; i++)
			CHECK((unsigned char)c->name[i] >= 0x20 && c->name[i] != 0x7f);
		/* The name rule of lib/text.h holds for every decoded name. */
		{
			const char *nwhy;

			CHECK(hg_name_check((const uint8_t *)c->name, c->name_len,
					    &nwhy) == 0);
		}
		/* overlay: path only, no size, no file digests */
		if (!hg_kind_hashed(c->kind)) {
			CHECK(c->kind == HG_KIND_OVERLAY);
			CHECK(c->file.n == 0 && c->size == 0);
			CHECK(c->key == NULL && c->key_len == 0);
			return;
		}
		CHECK(c->file.n == c->digests.n);
		for (size_t i = 0; i < c->digests.n; i++)
			CHECK(hg_digests_get(&c->file, c->digests.v[i].alg));
		CHECK(c->key == NULL && c->key_len == 0);
	} else if (c->type == HG_CT_LAUNCH) {
		struct hg_cel_refs it;
		struct hg_launch_ref ref;
		size_t k = 0, configs = 0;
		uint64_t prev = 0;
		int r;

		CHECK(c->domain_len >= 1 && c->domain_len <= HG_CEL_MAX_DOMAIN);
		CHECK(inside(c->content, c->content_len, c->domain, c->domain_len));
		CHECK(inside(c->content, c->content_len, c->uuid, 16));
		CHECK(c->nrefs >= 1 && c->nrefs <= HG_CEL_MAX_REFS);
		CHECK(inside(c->content, c->content_len, c->refs, c->refs_len));
		CHECK(c->name == NULL && c->key == NULL && c->file.n == 0);
		/* Refs: below the record, ascending, one config, its banks. */
		hg_cel_refs_init(c, &it);
		while ((r = hg_cel_refs_next(&it, &ref)) == 1) {
			CHECK(ref.recnum < c->recnum);
			CHECK(k == 0 || ref.recnum > prev);
			CHECK(hg_kind_is_workload(ref.kind));
			CHECK(ref.digests.n == c->digests.n);
			prev = ref.recnum;
			configs += ref.kind == HG_KIND_CONFIG;
			k++;
		}
		CHECK(r == 0 && k == c->nrefs && configs == 1);
	} else {
		CHECK(c->type == HG_CT_LOG_KEY);
		CHECK(c->key_len > 0 &&
		      inside(c->content, c->content_len, c->key, c->key_len));
		CHECK(c->name == NULL && c->file.n == 0);
	}
}

/* Encode the decoded fields again and decode the result. */
static void round_trip(const struct hg_cel_rec *c)
{
	struct hg_cel_rec c2;
	const char *why = NULL;
	struct cw w;
	uint16_t algs[HG_MAX_BANKS];
	int ret;

	cw_init(&w);
	for (size_t i = 0; i < c->digests.n; i++)
		algs[i] = c->digests.v[i].alg;
	if (c->type == HG_CT_FILE) {
		char name[HG_CEL_MAX_NAME + 1];

		memcpy(name, c->name, c->name_len);
		name[c->name_len] = '\0';
		if (hg_kind_hashed(c->kind))
			ret = hg_cel_encode_file(c->recnum, c->pcr, c->kind, name,
						 c->size, &c->file, &w);
		else
			ret = hg_cel_encode_path(c->recnum, c->pcr, c->kind, name,
						 algs, c->digests.n, &w);
	} else if (c->type == HG_CT_LAUNCH) {
		struct hg_launch_ref *refs = calloc(c->nrefs, sizeof(*refs));
		struct hg_cel_refs it;
		char dom[HG_CEL_MAX_DOMAIN + 1];
		size_t k = 0;

		CHECK(refs != NULL);
		memcpy(dom, c->domain, c->domain_len);
		dom[c->domain_len] = '\0';
		hg_cel_refs_init(c, &it);
		while (k < c->nrefs && hg_cel_refs_next(&it, &refs[k]) == 1)
			k++;
		ret = hg_cel_encode_launch(c->recnum, c->pcr, dom, c->uuid, refs, k,
					   algs, c->digests.n, &w);
		free(refs);
	} else {
		ret = hg_cel_encode_log_key(c->recnum, c->pcr, algs,
					    c->digests.n, c->key, c->key_len,
					    &w);
	}
	CHECK(ret == 0 && !w.err);
	ret = hg_cel_decode(w.buf, w.len, &c2, &why);
	if (ret != 0)
		fprintf(stderr, "re-decode failed: %s\n", why ? why : "?");
	CHECK(ret == 0);
	CHECK(c2.recnum == c->recnum && c2.pcr == c->pcr &&
	      c2.type == c->type);
	CHECK(c2.digests.n == c->digests.n);
	for (size_t i = 0; i < c->digests.n; i++)
		CHECK(hg_digests_get(&c2.digests, c->digests.v[i].alg));
	if (c->type == HG_CT_FILE) {
		CHECK(c2.kind == c->kind && c2.size == c->size);
		CHECK(c2.name_len == c->name_len &&
		      !memcmp(c2.name, c->name, c->name_len));
		CHECK(same_digest_set(&c2.file, &c->file));
	} else if (c->type == HG_CT_LAUNCH) {
		CHECK(c2.domain_len == c->domain_len &&
		      !memcmp(c2.domain, c->domain, c->domain_len));
		CHECK(!memcmp(c2.uuid, c->uuid, 16) && c2.nrefs == c->nrefs);
	} else {
		CHECK(c2.key_len == c->key_len &&
		      !memcmp(c2.key, c->key, c->key_len));
	}
	/* Same content bytes, same binding digests. */
	if (c2.content_len == c->content_len &&
	    !memcmp(c2.content, c->content, c->content_len))
		CHECK(same_digest_set(&c2.digests, &c->digests));
	cw_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_cel_rec rec;
	const char *why = NULL;

	if (hg_cel_decode(data, size, &rec, &why) == 0) {
		check_fields(data, size, &rec);
		round_trip(&rec);
	} else {
		CHECK(why != NULL && why[0] != '\0');
	}
	return 0;
}
