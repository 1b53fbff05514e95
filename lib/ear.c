/* ear.c: the EAR claims-set (see ear.h): building it, its deterministic
 * CBOR encoding (RFC 8949 §4.2.1 key order) and signing it as a
 * COSE_Sign1 (lib/cose.h). Verification and decoding are in ear_dec.c;
 * the verdict mapping and the JSON view in ear_verdict.c; labels in
 * ear_int.h. The encoder refuses what the decoder would refuse (but for
 * the time), so the verifier never issues a token no one can read.
 */
#include "ear.h"
#include "ear_int.h"

#include "cbor_w.h"
#include "cose.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const tv_names[HG_TV_N] = {
	"instance-identity", "configuration", "executables", "file-system",
	"hardware", "runtime-opaque", "storage-opaque", "sourced-data",
};

const char *hg_ear_tv_name(int component)
{
	return component >= 0 && component < HG_TV_N ? tv_names[component] : NULL;
}

const char *hg_ear_status_name(int status)
{
	switch (status) {
	case HG_EAR_NONE: return "none";
	case HG_EAR_AFFIRMING: return "affirming";
	case HG_EAR_WARNING: return "warning";
	case HG_EAR_CONTRAINDICATED: return "contraindicated";
	default: return NULL;
	}
}

static void submod_free(struct hg_ear_submod *s)
{
	for (size_t i = 0; i < s->ndigests; i++) {
		free(s->digests[i].kind);
		free(s->digests[i].name);
	}
	free(s->digests);
	free(s->name);
	free(s->policy_id);
}

void hg_ear_claims_free(struct hg_ear_claims *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsubmods; i++)
		submod_free(&c->submods[i]);
	free(c->submods);
	free(c->developer);
	free(c->build);
	memset(c, 0, sizeof(*c));
}

const struct hg_ear_submod *hg_ear_submod_find(const struct hg_ear_claims *c,
					       const char *name)
{
	for (size_t i = 0; i < c->nsubmods; i++)
		if (!strcmp(c->submods[i].name, name))
			return &c->submods[i];
	return NULL;
}

struct hg_ear_submod *hg_ear_submod_add(struct hg_ear_claims *c, const char *name)
{
	struct hg_ear_submod *v, *s;

	if (c->nsubmods >= HG_EAR_MAX_SUBMODS || hg_ear_submod_find(c, name))
		return NULL;
	v = realloc(c->submods, (c->nsubmods + 1) * sizeof(*v));
	if (!v)
		return NULL;
	c->submods = v;
	s = &v[c->nsubmods];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return NULL;
	c->nsubmods++;
	return s;
}

int hg_ear_digest_add(struct hg_ear_submod *s, const char *kind, const char *name,
		      uint64_t record, const struct hg_digest *d)
{
	struct hg_ear_digest *v, *e;

	if (s->ndigests >= HG_EAR_MAX_DIGESTS || !hg_bank_by_alg(d->alg) ||
	    d->len != hg_bank_by_alg(d->alg)->size)
		return -1;
	v = realloc(s->digests, (s->ndigests + 1) * sizeof(*v));
	if (!v)
		return -1;
	s->digests = v;
	e = &v[s->ndigests];
	memset(e, 0, sizeof(*e));
	e->kind = strdup(kind);
	e->name = strdup(name);
	if (!e->kind || !e->name) {
		free(e->kind);
		free(e->name);
		return -1;
	}
	e->record = record;
	e->alg = d->alg;
	e->len = d->len;
	memcpy(e->d, d->d, d->len);
	s->ndigests++;
	return 0;
}

static int same_file(const struct hg_ear_digest *a, const struct hg_ear_digest *b)
{
	return a->alg == b->alg && a->len == b->len && !memcmp(a->d, b->d, a->len) &&
	       !strcmp(a->kind, b->kind) && !strcmp(a->name, b->name);
}

int hg_ear_submod_covers(const struct hg_ear_submod *s, const struct hg_ear_digest *want,
			 size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < s->ndigests && !same_file(&s->digests[j], &want[i]); j++)
			;
		if (j == s->ndigests) {
			snprintf(err, errlen, "submodule \"%s\" does not vouch for %s %s (%s)",
				 s->name, want[i].kind, want[i].name,
				 hg_bank_by_alg(want[i].alg) ? hg_bank_by_alg(want[i].alg)->name : "?");
			return -1;
		}
	}
	for (size_t j = 0; j < s->ndigests; j++) {
		const struct hg_ear_digest *e = &s->digests[j];
		int in_bank = 0, listed = 0;

		if (!hg_kind_is_workload(hg_kind_parse(e->kind, strlen(e->kind))))
			continue;
		for (size_t i = 0; i < n; i++) {
			in_bank |= want[i].alg == e->alg;
			listed |= same_file(&want[i], e);
		}
		if (in_bank && !listed) {
			snprintf(err, errlen, "submodule \"%s\" also vouches for %s %s (record %llu)",
				 s->name, e->kind, e->name, (unsigned long long)e->record);
			return -1;
		}
	}
	return 0;
}

/* ---- encoding ----------------------------------------------------------- */

/* A text the reader would accept: the same rule both ways. */
static int text_ok(const char *s)
{
	const char *why;
	size_t n = s ? strlen(s) : 0;

	return s && n <= HG_EAR_MAX_TEXT && hg_name_check((const uint8_t *)s, n, &why) == 0;
}

static int tier_ok(int status)
{
	return hg_ear_status_name(status) != NULL;
}

/* Map keys in RFC 8949 §4.2.1 order: shorter encoding first, then
 * bytewise; for text keys that is length first, then memcmp. */
static int name_cmp(const void *a, const void *b)
{
	const struct hg_ear_submod *x = *(const struct hg_ear_submod *const *)a;
	const struct hg_ear_submod *y = *(const struct hg_ear_submod *const *)b;
	size_t lx = strlen(x->name), ly = strlen(y->name);

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return memcmp(x->name, y->name, lx);
}

static size_t tv_count(const struct hg_ear_submod *s)
{
	size_t n = 0;

	for (int i = 0; i < HG_TV_N; i++)
		n += s->tv[i] != HG_AR_NO_CLAIM;
	return n;
}

static int encode_submod(const struct hg_ear_submod *s, struct cw *w)
{
	size_t tvn = tv_count(s);

	if (!tier_ok(s->status) || (s->policy_id && !text_ok(s->policy_id)) ||
	    s->ndigests > HG_EAR_MAX_DIGESTS)
		return -1;
	cw_map(w, 1 + (tvn > 0) + (s->policy_id != NULL) + (s->ndigests > 0));
	cw_int(w, L_STATUS);
	cw_int(w, s->status);
	if (tvn) {
		/* The draft's CDDL makes the vector non-empty when present. */
		cw_int(w, L_TV);
		cw_map(w, tvn);
		for (int i = 0; i < HG_TV_N; i++) {
			if (s->tv[i] == HG_AR_NO_CLAIM)
				continue;
			cw_int(w, i);
			cw_int(w, s->tv[i]);
		}
	}
	if (s->policy_id) {
		cw_int(w, L_POLICY_ID);
		cw_textz(w, s->policy_id);
	}
	if (s->ndigests) {
		cw_int(w, L_MEASURED);
		cw_array(w, s->ndigests);
		for (size_t i = 0; i < s->ndigests; i++) {
			const struct hg_ear_digest *d = &s->digests[i];
			const struct hg_bank *b = hg_bank_by_alg(d->alg);

			if (!b || d->len != b->size || !text_ok(d->kind) || !text_ok(d->name) ||
			    hg_kind_parse(d->kind, strlen(d->kind)) == HG_KIND_NONE)
				return -1;
			cw_map(w, 5);
			cw_int(w, M_KIND);
			cw_textz(w, d->kind);
			cw_int(w, M_NAME);
			cw_textz(w, d->name);
			cw_int(w, M_RECORD);
			cw_uint(w, d->record);
			cw_int(w, M_ALG);
			cw_textz(w, b->name);
			cw_int(w, M_DIGEST);
			cw_bytes(w, d->d, d->len);
		}
	}
	return w->err ? -1 : 0;
}

/* The claims-set; keys in deterministic order: 4, 6, 10, 265, 266, 1004. */
static int encode_claims(const struct hg_ear_claims *c, struct cw *w)
{
	const struct hg_ear_submod **order = NULL;
	int ret = -1;

	if (c->nsubmods == 0 || c->nsubmods > HG_EAR_MAX_SUBMODS || c->exp <= c->iat ||
	    (c->iat < 0 && c->exp > INT64_MAX + c->iat) || c->exp - c->iat > HG_EAR_MAX_TTL ||
	    !text_ok(c->developer) || !text_ok(c->build) ||
	    (c->nonce_len && (c->nonce_len < HG_EAR_NONCE_MIN || c->nonce_len > HG_EAR_NONCE_MAX)))
		goto out;
	order = calloc(c->nsubmods, sizeof(*order));
	if (!order)
		goto out;
	for (size_t i = 0; i < c->nsubmods; i++) {
		if (!text_ok(c->submods[i].name))
			goto out;
		order[i] = &c->submods[i];
	}
	qsort(order, c->nsubmods, sizeof(*order), name_cmp);
	for (size_t i = 1; i < c->nsubmods; i++)
		if (!name_cmp(&order[i - 1], &order[i]))
			goto out;   /* a duplicate name: the map would have it twice */
	cw_map(w, 5 + (c->nonce_len > 0));
	cw_int(w, L_EXP);
	cw_int(w, c->exp);
	cw_int(w, L_IAT);
	cw_int(w, c->iat);
	if (c->nonce_len) {
		cw_int(w, L_NONCE);
		cw_bytes(w, c->nonce, c->nonce_len);
	}
	cw_int(w, L_PROFILE);
	cw_textz(w, HG_EAR_PROFILE);
	cw_int(w, L_SUBMODS);
	cw_map(w, c->nsubmods);
	for (size_t i = 0; i < c->nsubmods; i++) {
		cw_textz(w, order[i]->name);
		if (encode_submod(order[i], w) < 0)
			goto out;
	}
	cw_int(w, L_VERIFIER_ID);
	cw_map(w, 2);
	cw_int(w, L_DEVELOPER);
	cw_textz(w, c->developer);
	cw_int(w, L_BUILD);
	cw_textz(w, c->build);
	ret = w->err ? -1 : 0;
out:
	free(order);
	return ret;
}

int hg_ear_sign(const struct hg_ear_claims *c, EVP_PKEY *key, uint8_t **out,
		size_t *outlen)
{
	struct cw payload, tok;
	int ret = -1;

	cw_init(&payload);
	cw_init(&tok);
	if (encode_claims(c, &payload) < 0 ||
	    hg_cose_sign1(key, payload.buf, payload.len, &tok) < 0 ||
	    tok.len > HG_EAR_MAX_TOKEN)
		goto out;
	*out = cw_take(&tok, outlen);
	ret = 0;
out:
	cw_free(&payload);
	cw_free(&tok);
	return ret;
}
