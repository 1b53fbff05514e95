/* ear_dec.c: verifying an EAR token and decoding its claims (see ear.h).
 *
 * Why verify before decode: the claims are the verifier's own words only
 * once the signature holds; until then the payload is attacker bytes, and
 * the less code that reads them the better. After the signature, decoding
 * is still strict (exact length, every bound checked, no duplicate and no
 * unknown key): a signing key used with a buggy or older issuer must not
 * make the reader guess.
 */
#include "ear.h"
#include "ear_int.h"

#include "cbor_r.h"
#include "cose.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tier_ok(int status)
{
	return hg_ear_status_name(status) != NULL;
}

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
				   hg_ear_tv_name((int)label), (long long)v);
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
	/* exp > iat: exp - iat cannot overflow unless iat is near INT64_MIN. */
	if (c->iat < 0 && c->exp > INT64_MAX + c->iat)
		return bad(d, "lifetime (exp - iat) over %d seconds", HG_EAR_MAX_TTL);
	if (c->exp - c->iat > HG_EAR_MAX_TTL)
		return bad(d, "lifetime (exp - iat) %lld seconds, over %d",
			   (long long)(c->exp - c->iat), HG_EAR_MAX_TTL);
	/* iat - now may overflow for a hostile iat: compare without it. */
	if (c->iat > now && now <= INT64_MAX - HG_EAR_IAT_SKEW && c->iat > now + HG_EAR_IAT_SKEW)
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
