/* aktool.c: software "AKs" for the quote tamper suite (a test tool).
 *
 *   aktool pub KEY.pem [FIELD=VALUE]...   TPM2B_PUBLIC of KEY's public key
 *                                         to stdout, as an AK would carry it
 *   aktool sign KEY.pem ATTEST [e1]       TPMT_SIGNATURE over ATTEST's bytes
 *                                         to stdout (RSASSA or ECDSA,
 *                                         SHA-256)
 * pub FIELDs (default: what hostgate's own AK template has):
 *   attrs=HEX     objectAttributes (default 0x00050072: fixedTPM,
 *                 fixedParent, sensitiveDataOrigin, userWithAuth,
 *                 restricted, sign)
 *   exponent=N    the RSA exponent field (default 0, i.e. 65537): the
 *                 modulus stays KEY's, so exponent=1 claims e = 1
 *   hash=ALG      the scheme's hash (sha1, sha256, ...)
 *   namealg=ALG   nameAlg
 *   scheme=NAME   rsassa, rsapss, ecdsa, null
 *   offcurve=1    ECC: the point's y coordinate has its last byte flipped
 * sign with "e1" does not sign: it writes the PKCS#1 v1.5 encoding of
 * SHA-256(ATTEST) as the "signature", which is what verifies under any
 * modulus when the exponent is 1 (s^1 = EM): the forgery the AK rule
 * must stop before any signature is looked at.
 *
 * It is a forger's tool by design: nothing it makes is a TPM's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <tss2/tss2_mu.h>

#include "../../lib/digest.h"
#include "../../lib/util.h"

static void die(const char *msg)
{
	fprintf(stderr, "aktool: %s\n", msg);
	exit(1);
}

static EVP_PKEY *load_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f)
		die("cannot open the key");
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		die("not a PEM private key");
	return k;
}

static uint16_t alg_of(const char *name)
{
	const struct hg_bank *b = hg_bank_by_name(name);

	if (!b)
		die("unknown hash");
	return b->alg;
}

static void put_bn(const EVP_PKEY *k, const char *param, uint8_t *buf,
		   uint16_t *size, size_t len)
{
	BIGNUM *bn = NULL;

	if (!EVP_PKEY_get_bn_param(k, param, &bn) || BN_bn2binpad(bn, buf, (int)len) < 0)
		die("cannot read the key");
	*size = (uint16_t)len;
	BN_free(bn);
}

static int cmd_pub(int argc, char **argv)
{
	EVP_PKEY *k = load_key(argv[2]);
	TPM2B_PUBLIC pub = { 0 };
	TPMT_PUBLIC *p = &pub.publicArea;
	uint16_t hash = TPM2_ALG_SHA256, scheme = 0;
	int offcurve = 0;
	uint8_t out[sizeof(TPM2B_PUBLIC)];
	size_t off = 0;

	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = 0x00050072;
	if (EVP_PKEY_is_a(k, "RSA")) {
		p->type = TPM2_ALG_RSA;
		scheme = TPM2_ALG_RSASSA;
		p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.rsaDetail.keyBits = (uint16_t)EVP_PKEY_get_bits(k);
		put_bn(k, OSSL_PKEY_PARAM_RSA_N, p->unique.rsa.buffer, &p->unique.rsa.size,
		       (size_t)EVP_PKEY_get_size(k));
	} else {
		char group[64];
		size_t sz;

		if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL))
			die("not RSA or EC");
		p->type = TPM2_ALG_ECC;
		scheme = TPM2_ALG_ECDSA;
		p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		if (!strcmp(group, "prime256v1")) {
			p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
			sz = 32;
		} else if (!strcmp(group, "secp384r1")) {
			p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P384;
			sz = 48;
		} else {
			die("curve not P-256 or P-384");
		}
		put_bn(k, OSSL_PKEY_PARAM_EC_PUB_X, p->unique.ecc.x.buffer, &p->unique.ecc.x.size, sz);
		put_bn(k, OSSL_PKEY_PARAM_EC_PUB_Y, p->unique.ecc.y.buffer, &p->unique.ecc.y.size, sz);
	}
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *v;

		if (!eq)
			die("FIELD=VALUE expected");
		*eq = '\0';
		v = eq + 1;
		if (!strcmp(argv[i], "attrs"))
			p->objectAttributes = (TPMA_OBJECT)strtoul(v, NULL, 16);
		else if (!strcmp(argv[i], "exponent"))
			p->parameters.rsaDetail.exponent = (UINT32)strtoul(v, NULL, 0);
		else if (!strcmp(argv[i], "hash"))
			hash = alg_of(v);
		else if (!strcmp(argv[i], "namealg"))
			p->nameAlg = alg_of(v);
		else if (!strcmp(argv[i], "scheme"))
			scheme = !strcmp(v, "rsassa") ? TPM2_ALG_RSASSA
				 : !strcmp(v, "rsapss") ? TPM2_ALG_RSAPSS
				 : !strcmp(v, "ecdsa")  ? TPM2_ALG_ECDSA
							: TPM2_ALG_NULL;
		else if (!strcmp(argv[i], "offcurve"))
			offcurve = atoi(v);
		else
			die("unknown field");
	}
	if (p->type == TPM2_ALG_RSA) {
		p->parameters.rsaDetail.scheme.scheme = scheme;
		p->parameters.rsaDetail.scheme.details.anySig.hashAlg = hash;
	} else {
		p->parameters.eccDetail.scheme.scheme = scheme;
		p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = hash;
		if (offcurve)
			p->unique.ecc.y.buffer[p->unique.ecc.y.size - 1] ^= 1;
	}
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, out, sizeof(out), &off) != 0)
		die("cannot marshal");
	fwrite(out, 1, off, stdout);
	EVP_PKEY_free(k);
	return 0;
}

/* EMSA-PKCS1-v1_5 of SHA-256(MSG), K bytes (RFC 8017 §9.2). */
static void pkcs1_em(const uint8_t *msg, size_t len, uint8_t *em, size_t k)
{
	static const uint8_t prefix[] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
		0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
	};
	struct hg_digest d;
	size_t t = sizeof(prefix) + 32;

	if (hg_hash(TPM2_ALG_SHA256, msg, len, &d) < 0 || k < t + 11)
		die("cannot hash");
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xff, k - t - 3);
	em[k - t - 1] = 0x00;
	memcpy(em + k - t, prefix, sizeof(prefix));
	memcpy(em + k - 32, d.d, 32);
}

static int cmd_sign(int argc, char **argv)
{
	EVP_PKEY *k = load_key(argv[2]);
	TPMT_SIGNATURE ts = { 0 };
	uint8_t *msg = NULL, out[sizeof(TPMT_SIGNATURE)], der[256];
	size_t len, off = 0, dlen = sizeof(der);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (hg_read_file(argv[3], 1u << 16, 0, &msg, &len) < 0)
		die("cannot read ATTEST");
	if (EVP_PKEY_is_a(k, "RSA")) {
		size_t n = (size_t)EVP_PKEY_get_size(k);

		ts.sigAlg = TPM2_ALG_RSASSA;
		ts.signature.rsassa.hash = TPM2_ALG_SHA256;
		ts.signature.rsassa.sig.size = (UINT16)n;
		if (argc > 4 && !strcmp(argv[4], "e1")) {
			pkcs1_em(msg, len, ts.signature.rsassa.sig.buffer, n);
		} else if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) != 1 ||
			   EVP_DigestSign(ctx, ts.signature.rsassa.sig.buffer, &n, msg, len) != 1) {
			die("cannot sign");
		}
	} else {
		const uint8_t *pd = der;
		ECDSA_SIG *s;
		const BIGNUM *r, *sv;
		size_t sz = (size_t)(EVP_PKEY_get_bits(k) + 7) / 8;

		if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) != 1 ||
		    EVP_DigestSign(ctx, der, &dlen, msg, len) != 1 ||
		    !(s = d2i_ECDSA_SIG(NULL, &pd, (long)dlen)))
			die("cannot sign");
		ECDSA_SIG_get0(s, &r, &sv);
		ts.sigAlg = TPM2_ALG_ECDSA;
		ts.signature.ecdsa.hash = TPM2_ALG_SHA256;
		BN_bn2binpad(r, ts.signature.ecdsa.signatureR.buffer, (int)sz);
		BN_bn2binpad(sv, ts.signature.ecdsa.signatureS.buffer, (int)sz);
		ts.signature.ecdsa.signatureR.size = (UINT16)sz;
		ts.signature.ecdsa.signatureS.size = (UINT16)sz;
		ECDSA_SIG_free(s);
	}
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(&ts, out, sizeof(out), &off) != 0)
		die("cannot marshal");
	fwrite(out, 1, off, stdout);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	free(msg);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "pub"))
		return cmd_pub(argc, argv);
	if (argc >= 4 && !strcmp(argv[1], "sign"))
		return cmd_sign(argc, argv);
	fprintf(stderr, "usage: aktool pub KEY.pem [FIELD=VALUE]... | sign KEY.pem ATTEST [e1]\n");
	return 2;
}
