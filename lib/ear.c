/* ear.c: the EAR claims-set, its CBOR encoding, signing and verification
 * (see ear.h). The verdict mapping and the JSON view are in ear_verdict.c.
 *
 * Labels: draft-ietf-rats-ear-04, "EAR Data Model" (its CDDL, and the
 * JC<> label table); CWT claims RFC 8392 §3.1.4 (exp), §3.1.6 (iat);
 * EAT (RFC 9711) eat_nonce, eat_profile and submods; AR4SI
 * (draft-ietf-rats-ar4si) for the verifier-id, the trust tiers and the
 * trustworthiness vector.
 *
 * Why verify before decode: the claims are the verifier's own words only
 * once the signature holds; until then the payload is attacker bytes, and
 * the less code that reads them the better. After the signature, decoding
 * is still strict (exact length, every bound checked): a signing key used
 * with a buggy or older issuer must not make the reader guess.
 */
#include "ear.h"

#include "cbor_r.h"
#include "cbor_w.h"
#include "cose.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Claim labels (draft-ietf-rats-ear-04 "EAR Data Model"; RFC 8392 §3.1). */
#define L_EXP 4
#define L_IAT 6
#define L_NONCE 10
#define L_PROFILE 265
#define L_SUBMODS 266
#define L_STATUS 1000
#define L_TV 1001
#define L_POLICY_ID 1003
#define L_VERIFIER_ID 1004
/* hostgate's private claim (RFC 8392 §9.1: below -65536 is private use). */
#define L_MEASURED (-70000)
/* ear.verifier-id members (AR4SI verifier-id: developer, build). */
#define L_DEVELOPER 0
#define L_BUILD 1
/* hostgate.measured entry members. */
#define M_KIND 0
#define M_NAME 1
#define M_RECORD 2
#define M_ALG 3
#define M_DIGEST 4

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

			if (!b || d->len != b->size || !text_ok(d->kind) || !text_ok(d->name))
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

/* ---- decoding ----------------------------------------------------------- */

struct dec {
	struct cr r;
	char *err;
	size_t errlen;
	int oom;
};

static int bad(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int cbor_bad(struct dec *d, const char *what, int st)
{
	return bad(d, "%s: %s", what, cr_strerror(st));
}

/* A text of at most HG_EAR_MAX_TEXT bytes that follows lib/text.h's
 * rule, copied NUL-terminated into *OUT. */
static int dec_text(struct dec *d, const char *what, char **out)
{
	const char *p, *why;
	size_t n;
	int st;

	if ((st = cr_text(&d->r, &p, &n)) != CR_OK)
		return cbor_bad(d, what, st);
	if (n > HG_EAR_MAX_TEXT)
		return bad(d, "%s: longer than %d bytes", what, HG_EAR_MAX_TEXT);
	if (hg_name_check((const uint8_t *)p, n, &why) < 0)
		return bad(d, "%s %s", what, why);
	*out = strndup(p, n);
	if (!*out) {
		d->oom = 1;
		return bad(d, "out of memory");
	}
	return 0;
}

/* A map of COUNT integer labels: the next label, refused when seen. */
static int dec_label(struct dec *d, const char *what, int64_t *label)
{
	int st;

	if ((st = cr_int(&d->r, label)) != CR_OK)
		return st == CR_ETYPE ? bad(d, "%s: a key is not an integer label", what)
				      : cbor_bad(d, what, st);
	return 0;
}

/* Bit I of *SEEN for a label already met: a duplicate key. */
static int once(struct dec *d, const char *what, uint32_t *seen, int bit, int64_t label)
{
	if (*seen & (1u << bit))
		return bad(d, "%s: duplicate key %lld", what, (long long)label);
	*seen |= 1u << bit;
	return 0;
}

static int dec_tv(struct dec *d, struct hg_ear_submod *s, const char *where)
{
	size_t n;
	int64_t label, v;
	uint32_t seen = 0;
	int st;

	if ((st = cr_map(&d->r, &n)) != CR_OK)
		return cbor_bad(d, "ear.trustworthiness-vector", st);
	if (n == 0)
		return bad(d, "submod \"%s\": ear.trustworthiness-vector is empty", where);
	if (n > HG_TV_N)
		return bad(d, "submod \"%s\": ear.trustworthiness-vector has more than %d entries",
			   where, HG_TV_N);
	for (size_t i = 0; i < n; i++) {
		if (dec_label(d, "ear.trustworthiness-vector", &label) < 0)
			return -1;
		if (label < 0 || label >= HG_TV_N)
			return bad(d, "submod \"%s\": ear.trustworthiness-vector: unknown component %lld",
				   where, (long long)label);
		if (once(d, "ear.trustworthiness-vector", &seen, (int)label, label) < 0)
			return -1;
		if ((st = cr_int(&d->r, &v)) != CR_OK)
			return cbor_bad(d, "ear.trustworthiness-vector", st);
		/* AR4SI: a trustworthiness claim is an int8. */
		if (v < -128 || v > 127)
			return bad(d, "submod \"%s\": %s claim %lld is outside -128..127", where,
				   tv_names[label], (long long)v);
		s->tv[label] = (int8_t)v;
	}
	return 0;
}

static int dec_digest(struct dec *d, struct hg_ear_submod *s, const char *where)
{
	struct hg_ear_digest e;
	const struct hg_bank *b;
	const uint8_t *p;
	char *alg = NULL;
	size_t n, plen;
	int64_t label;
	uint32_t seen = 0;
	int st, ret = -1;

	memset(&e, 0, sizeof(e));
	if ((st = cr_map(&d->r, &n)) != CR_OK) {
		cbor_bad(d, "hostgate.measured entry", st);
		goto out;
	}
	if (n != 5) {
		bad(d, "submod \"%s\": a hostgate.measured entry has %zu keys, not 5", where, n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (dec_label(d, "hostgate.measured entry", &label) < 0)
			goto out;
		if (label < M_KIND || label > M_DIGEST) {
			bad(d, "submod \"%s\": hostgate.measured entry: unknown key %lld", where,
			    (long long)label);
			goto out;
		}
		if (once(d, "hostgate.measured entry", &seen, (int)label, label) < 0)
			goto out;
		switch (label) {
		case M_KIND:
			if (dec_text(d, "hostgate.measured kind", &e.kind) < 0)
				goto out;
			break;
		case M_NAME:
			if (dec_text(d, "hostgate.measured name", &e.name) < 0)
				goto out;
			break;
		case M_RECORD:
			if ((st = cr_uint(&d->r, &e.record)) != CR_OK) {
				cbor_bad(d, "hostgate.measured record", st);
				goto out;
			}
			break;
		case M_ALG:
			if (dec_text(d, "hostgate.measured alg", &alg) < 0)
				goto out;
			break;
		case M_DIGEST:
			if ((st = cr_bytes(&d->r, &p, &plen)) != CR_OK) {
				cbor_bad(d, "hostgate.measured digest", st);
				goto out;
			}
			if (plen > HG_MAX_DIGEST) {
				bad(d, "submod \"%s\": a hostgate.measured digest is longer than %d bytes",
				    where, HG_MAX_DIGEST);
				goto out;
			}
			memcpy(e.d, p, plen);
			e.len = (uint8_t)plen;
			break;
		}
	}
	if (hg_kind_parse(e.kind, strlen(e.kind)) == HG_KIND_NONE) {
		bad(d, "submod \"%s\": hostgate.measured kind \"%s\" is not a record kind", where,
		    e.kind);
		goto out;
	}
	b = hg_bank_by_name(alg);
	if (!b) {
		bad(d, "submod \"%s\": hostgate.measured alg \"%s\" is not a known bank", where, alg);
		goto out;
	}
	if (e.len != b->size) {
		bad(d, "submod \"%s\": a hostgate.measured %s digest is %u bytes, not %zu", where,
		    b->name, e.len, b->size);
		goto out;
	}
	e.alg = b->alg;
	/* Bounded by the caller (the array count was checked). */
	s->digests[s->ndigests++] = e;
	memset(&e, 0, sizeof(e));
	ret = 0;
out:
	free(e.kind);
	free(e.name);
	free(alg);
	return ret;
}

static int dec_submod(struct dec *d, struct hg_ear_submod *s)
{
	size_t n;
	int64_t label, v;
	uint32_t seen = 0;
	int st;

	if ((st = cr_map(&d->r, &n)) != CR_OK)
		return cbor_bad(d, "submod", st);
	for (size_t i = 0; i < n; i++) {
		if (dec_label(d, "submod", &label) < 0)
			return -1;
		switch (label) {
		case L_STATUS:
			if (once(d, "submod", &seen, 0, label) < 0)
				return -1;
			if ((st = cr_int(&d->r, &v)) != CR_OK)
				return cbor_bad(d, "ear.status", st);
			if (v != (int)v || !tier_ok((int)v))
				return bad(d, "submod \"%s\": ear.status %lld is not a trust tier (0, 2, 32, 96)",
					   s->name, (long long)v);
			s->status = (enum hg_ear_status)v;
			break;
		case L_TV:
			if (once(d, "submod", &seen, 1, label) < 0 || dec_tv(d, s, s->name) < 0)
				return -1;
			break;
		case L_POLICY_ID:
			if (once(d, "submod", &seen, 2, label) < 0 ||
			    dec_text(d, "ear.appraisal-policy-id", &s->policy_id) < 0)
				return -1;
			break;
		case L_MEASURED: {
			size_t m;

			if (once(d, "submod", &seen, 3, label) < 0)
				return -1;
			if ((st = cr_array(&d->r, &m)) != CR_OK)
				return cbor_bad(d, "hostgate.measured", st);
			if (m > HG_EAR_MAX_DIGESTS)
				return bad(d, "submod \"%s\": hostgate.measured has more than %d entries",
					   s->name, HG_EAR_MAX_DIGESTS);
			/* m is bounded by the bytes left, and by the cap. */
			s->digests = calloc(m ? m : 1, sizeof(*s->digests));
			if (!s->digests) {
				d->oom = 1;
				return bad(d, "out of memory");
			}
			for (size_t j = 0; j < m; j++)
				if (dec_digest(d, s, s->name) < 0)
					return -1;
			break;
		}
		default:
			return bad(d, "submod \"%s\": unknown claim %lld", s->name, (long long)label);
		}
	}
	if (!(seen & 1))
		return bad(d, "submod \"%s\": no ear.status", s->name);
	return 0;
}

static int dec_submods(struct dec *d, struct hg_ear_claims *c)
{
	size_t n;
	char *name = NULL;
	int st, ret = -1;

	if ((st = cr_map(&d->r, &n)) != CR_OK)
		return cbor_bad(d, "submods", st);
	if (n == 0)
		return bad(d, "submods is empty");
	if (n > HG_EAR_MAX_SUBMODS)
		return bad(d, "submods has more than %d entries", HG_EAR_MAX_SUBMODS);
	for (size_t i = 0; i < n; i++) {
		struct hg_ear_submod *s;

		if (dec_text(d, "submod name", &name) < 0)
			goto out;
		if (hg_ear_submod_find(c, name)) {
			bad(d, "submods: duplicate name \"%s\"", name);
			goto out;
		}
		s = hg_ear_submod_add(c, name);
		if (!s) {
			d->oom = 1;
			bad(d, "out of memory");
			goto out;
		}
		free(name);
		name = NULL;
		if (dec_submod(d, s) < 0)
			goto out;
	}
	ret = 0;
out:
	free(name);
	return ret;
}

static int dec_verifier_id(struct dec *d, struct hg_ear_claims *c)
{
	size_t n;
	int64_t label;
	uint32_t seen = 0;
	int st;

	if ((st = cr_map(&d->r, &n)) != CR_OK)
		return cbor_bad(d, "ear.verifier-id", st);
	for (size_t i = 0; i < n; i++) {
		if (dec_label(d, "ear.verifier-id", &label) < 0)
			return -1;
		if (label != L_DEVELOPER && label != L_BUILD)
			return bad(d, "ear.verifier-id: unknown key %lld", (long long)label);
		if (once(d, "ear.verifier-id", &seen, (int)label, label) < 0)
			return -1;
		if (dec_text(d, label == L_DEVELOPER ? "ear.verifier-id developer"
						      : "ear.verifier-id build",
			     label == L_DEVELOPER ? &c->developer : &c->build) < 0)
			return -1;
	}
	if (seen != 3)
		return bad(d, "ear.verifier-id lacks %s", seen & 1 ? "build" : "developer");
	return 0;
}

/* Top-level claims, bit per label for the duplicate and required checks. */
enum { B_EXP, B_IAT, B_NONCE, B_PROFILE, B_SUBMODS, B_VID };

static int dec_claims(struct dec *d, struct hg_ear_claims *c, int64_t now)
{
	size_t n, plen;
	const char *p;
	int64_t label;
	uint32_t seen = 0;
	const uint8_t *b;
	int st;

	if ((st = cr_map(&d->r, &n)) != CR_OK)
		return cbor_bad(d, "claims-set", st);
	for (size_t i = 0; i < n; i++) {
		if (dec_label(d, "claims-set", &label) < 0)
			return -1;
		switch (label) {
		case L_EXP:
			if (once(d, "claims-set", &seen, B_EXP, label) < 0)
				return -1;
			if ((st = cr_int(&d->r, &c->exp)) != CR_OK)
				return cbor_bad(d, "exp", st);
			break;
		case L_IAT:
			if (once(d, "claims-set", &seen, B_IAT, label) < 0)
				return -1;
			if ((st = cr_int(&d->r, &c->iat)) != CR_OK)
				return cbor_bad(d, "iat", st);
			break;
		case L_NONCE:
			if (once(d, "claims-set", &seen, B_NONCE, label) < 0)
				return -1;
			/* EAT also allows an array of nonces; we issue one. */
			if ((st = cr_bytes(&d->r, &b, &plen)) != CR_OK)
				return cbor_bad(d, "eat_nonce", st);
			if (plen < HG_EAR_NONCE_MIN || plen > HG_EAR_NONCE_MAX)
				return bad(d, "eat_nonce is %zu bytes, not %d..%d", plen,
					   HG_EAR_NONCE_MIN, HG_EAR_NONCE_MAX);
			memcpy(c->nonce, b, plen);
			c->nonce_len = plen;
			break;
		case L_PROFILE:
			if (once(d, "claims-set", &seen, B_PROFILE, label) < 0)
				return -1;
			if ((st = cr_text(&d->r, &p, &plen)) != CR_OK)
				return cbor_bad(d, "eat_profile", st);
			if (plen != strlen(HG_EAR_PROFILE) || memcmp(p, HG_EAR_PROFILE, plen))
				return bad(d, "eat_profile is not %s", HG_EAR_PROFILE);
			break;
		case L_SUBMODS:
			if (once(d, "claims-set", &seen, B_SUBMODS, label) < 0 || dec_submods(d, c) < 0)
				return -1;
			break;
		case L_VERIFIER_ID:
			if (once(d, "claims-set", &seen, B_VID, label) < 0 || dec_verifier_id(d, c) < 0)
				return -1;
			break;
		default:
			return bad(d, "claims-set: unknown claim %lld", (long long)label);
		}
	}
	if (!(seen & (1u << B_PROFILE)))
		return bad(d, "no eat_profile");
	if (!(seen & (1u << B_IAT)))
		return bad(d, "no iat");
	if (!(seen & (1u << B_EXP)))
		return bad(d, "no exp");
	if (!(seen & (1u << B_VID)))
		return bad(d, "no ear.verifier-id");
	if (!(seen & (1u << B_SUBMODS)))
		return bad(d, "no submods");
	if (cr_left(&d->r))
		return bad(d, "%zu trailing bytes after the claims-set", cr_left(&d->r));
	/* Times last: a well-formed token that is merely old says so. */
	if (c->exp <= c->iat)
		return bad(d, "exp %lld is not after iat %lld", (long long)c->exp, (long long)c->iat);
	if (c->iat > now && c->iat - now > HG_EAR_IAT_SKEW)
		return bad(d, "issued in the future (iat %lld, now %lld)", (long long)c->iat,
			   (long long)now);
	if (c->exp <= now)
		return bad(d, "expired (exp %lld, now %lld)", (long long)c->exp, (long long)now);
	return 0;
}

int hg_ear_verify(const uint8_t *token, size_t len, EVP_PKEY *pub, int64_t now,
		  struct hg_ear_claims *out, char *err, size_t errlen)
{
	struct hg_cose_sign1 s;
	struct dec d = { .err = err, .errlen = errlen };
	const char *why;
	struct cr r;
	int vr;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	if (len > HG_EAR_MAX_TOKEN)
		return bad(&d, "token is %zu bytes, more than %d", len, HG_EAR_MAX_TOKEN);
	cr_init(&r, token, len);
	if (hg_cose_sign1_decode(&r, &s, &why) < 0)
		return bad(&d, "COSE_Sign1: %s", why);
	if (cr_left(&r))
		return bad(&d, "%zu trailing bytes after the COSE_Sign1", cr_left(&r));
	vr = hg_cose_sign1_verify(pub, &s);
	if (vr == -2) {
		bad(&d, "could not check the signature (out of memory)");
		return -2;
	}
	if (vr < 0)
		return bad(&d, "signature does not verify with this key");
	cr_init(&d.r, s.payload, s.payload_len);
	if (dec_claims(&d, out, now) < 0) {
		hg_ear_claims_free(out);
		return d.oom ? -2 : -1;
	}
	return 0;
}
