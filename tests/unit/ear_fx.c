/* ear_fx.c: see ear_fx.h. Labels are spelled out as numbers here on
 * purpose (draft-ietf-rats-ear-04 "EAR Data Model"; RFC 8392 §3.1): a
 * test that borrowed ear.c's constants would agree with a wrong one. */
#include "ear_fx.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>

#include "../../lib/cbor_w.h"
#include "../../lib/cose.h"

void fx_knobs(struct knobs *k)
{
	memset(k, 0, sizeof(*k));
	k->status = INT64_MIN;
	k->tv_label = -1;
	k->nmeasured = 1;
}

static void put_dup(struct cw *w, int64_t label, const struct knobs *k, int n);

/* One top-level claim's value. */
static void put_value(struct cw *w, int64_t label, const struct knobs *k)
{
	switch (label) {
	case 4:
		cw_int(w, k->exp ? k->exp : FX_NOW + 300);
		break;
	case 6:
		cw_int(w, k->iat ? k->iat : FX_NOW);
		break;
	case 10: {
		uint8_t n[80];
		size_t len = k->nonce_len ? k->nonce_len : 16;

		memset(n, 0x5a, sizeof(n));
		cw_bytes(w, n, len);
		break;
	}
	case 265:
		cw_textz(w, k->profile ? k->profile : HG_EAR_PROFILE);
		break;
	case 266: {
		size_t ns = k->nsubmods ? k->nsubmods : 1;

		cw_map(w, ns);
		for (size_t s = 0; s < ns; s++) {
			size_t nkeys = 1 + 1 + (k->no_measured ? 0 : 1) + (k->sub_extra != 0) +
				       (k->dup_status != 0) - (k->no_status != 0);

			if (k->name_len) {
				char *name = malloc(k->name_len);

				memset(name, 'h', k->name_len);
				cw_text(w, name, k->name_len);
				free(name);
			} else if (ns == 1 || k->dup_submod) {
				cw_textz(w, FX_HOST);
			} else {
				char name[32];

				snprintf(name, sizeof(name), "vm:%zu", s);
				cw_textz(w, name);
			}
			cw_map(w, nkeys);
			if (!k->no_status) {
				cw_int(w, 1000);
				cw_int(w, k->status != INT64_MIN ? k->status : 2);
			}
			if (k->dup_status) {
				cw_int(w, 1000);
				cw_int(w, 96);
			}
			cw_int(w, 1001);
			if (k->tv_empty) {
				cw_map(w, 0);
			} else {
				cw_map(w, 2 + (k->tv_label >= 0) + (k->tv_dup != 0));
				cw_int(w, 0);
				cw_int(w, 2);
				cw_int(w, 1);
				cw_int(w, 2);
				if (k->tv_dup) {
					cw_int(w, 0);
					cw_int(w, 96);
				}
				if (k->tv_label >= 0) {
					cw_int(w, k->tv_label);
					cw_int(w, k->tv_value);
				}
			}
			if (!k->no_measured) {
				uint8_t d[80];
				size_t dl = k->digest_len ? (size_t)k->digest_len : 32;

				memset(d, 0xab, sizeof(d));
				cw_int(w, -70000);
				cw_array(w, k->nmeasured);
				for (size_t i = 0; i < k->nmeasured; i++) {
					cw_map(w, 5);
					cw_int(w, 0);
					cw_textz(w, k->kind ? k->kind : "config");
					cw_int(w, 1);
					cw_textz(w, "/etc/vm1.xml");
					cw_int(w, 2);
					cw_uint(w, 3 + i);
					cw_int(w, 3);
					cw_textz(w, k->alg ? k->alg : "sha256");
					cw_int(w, 4);
					cw_bytes(w, d, dl);
				}
			}
			if (k->sub_extra) {
				cw_int(w, k->sub_extra);
				cw_int(w, 0);
			}
		}
		break;
	}
	case 1004:
		cw_map(w, 2 - (k->vid_missing_build != 0) + (k->vid_dup != 0));
		cw_int(w, 0);
		cw_textz(w, "acme");
		if (k->vid_dup) {
			cw_int(w, 0);
			cw_textz(w, "evil");
		}
		if (!k->vid_missing_build) {
			cw_int(w, 1);
			cw_textz(w, "hostgate-verify test");
		}
		break;
	default:
		cw_int(w, 0);
	}
}

static void put_dup(struct cw *w, int64_t label, const struct knobs *k, int n)
{
	for (int i = 0; i < n; i++) {
		cw_int(w, label);
		put_value(w, label, k);
	}
}

uint8_t *fx_claims(const struct knobs *k, size_t *len)
{
	static const int64_t labels[] = { 4, 6, 10, 265, 266, 1004 };
	struct cw w;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		if (labels[i] == k->omit || (labels[i] == 10 && k->no_nonce))
			continue;
		n += labels[i] == k->dup ? 2 : 1;
	}
	n += k->extra != 0;
	cw_init(&w);
	cw_map(&w, n);
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		if (labels[i] == k->omit || (labels[i] == 10 && k->no_nonce))
			continue;
		put_dup(&w, labels[i], k, labels[i] == k->dup ? 2 : 1);
	}
	if (k->extra)
		put_dup(&w, k->extra, k, 1);
	for (size_t i = 0; i < k->trailing; i++)
		cw_uint(&w, 0);
	if (w.err) {
		cw_free(&w);
		return NULL;
	}
	return cw_take(&w, len);
}

uint8_t *fx_envelope(EVP_PKEY *key, int64_t tag, const uint8_t *prot, size_t plen,
		     int64_t unprot_alg, const uint8_t *payload, size_t len, size_t *outlen)
{
	struct cw tbs, w;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der[80], raw[64];
	const uint8_t *q = der;
	size_t derlen = sizeof(der);
	ECDSA_SIG *es;
	const BIGNUM *r, *s;

	cw_init(&tbs);
	cw_init(&w);
	cw_array(&tbs, 4);
	cw_textz(&tbs, "Signature1");
	cw_bytes(&tbs, prot, plen);
	cw_bytes(&tbs, NULL, 0);
	cw_bytes(&tbs, payload, len);
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, der, &derlen, tbs.buf, tbs.len) != 1)
		return NULL;
	es = d2i_ECDSA_SIG(NULL, &q, (long)derlen);
	ECDSA_SIG_get0(es, &r, &s);
	BN_bn2binpad(r, raw, 32);
	BN_bn2binpad(s, raw + 32, 32);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	cw_free(&tbs);
	if (tag >= 0)
		cw_tag(&w, (uint64_t)tag);
	cw_array(&w, 4);
	cw_bytes(&w, prot, plen);
	if (unprot_alg) {
		cw_map(&w, 1);
		cw_int(&w, 1);
		cw_int(&w, unprot_alg);
	} else {
		cw_map(&w, 0);
	}
	cw_bytes(&w, payload, len);
	cw_bytes(&w, raw, sizeof(raw));
	return cw_take(&w, outlen);
}

uint8_t *fx_token(EVP_PKEY *key, const struct knobs *k, size_t *len)
{
	size_t plen;
	uint8_t *p = fx_claims(k, &plen), *t;
	struct cw w;

	if (!p)
		return NULL;
	cw_init(&w);
	if (hg_cose_sign1(key, p, plen, &w) < 0) {
		free(p);
		cw_free(&w);
		return NULL;
	}
	free(p);
	t = cw_take(&w, len);
	return t;
}

int fx_verify(EVP_PKEY *pub, const uint8_t *tok, size_t len, char *err, size_t errlen)
{
	struct hg_ear_claims c;
	int r = hg_ear_verify(tok, len, pub, FX_NOW, &c, err, errlen);

	hg_ear_claims_free(&c);
	return r;
}
