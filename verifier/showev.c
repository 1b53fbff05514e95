/* showev.c: see showev.h. */
#include "showev.h"

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "../lib/digest.h"
#include "../lib/util.h"
#include "showek.h"

/* TPM 2.0 Part 2 §6.3 (algorithms) and §6.4 (curves): the names
 * tpm2-tools prints, for what a verifier is likely to meet. */
static const char *alg_name(uint16_t alg)
{
	switch (alg) {
	case TPM2_ALG_RSA: return "rsa";
	case TPM2_ALG_SHA1: return "sha1";
	case TPM2_ALG_HMAC: return "hmac";
	case TPM2_ALG_KEYEDHASH: return "keyedhash";
	case TPM2_ALG_SHA256: return "sha256";
	case TPM2_ALG_SHA384: return "sha384";
	case TPM2_ALG_SHA512: return "sha512";
	case TPM2_ALG_NULL: return "null";
	case TPM2_ALG_RSASSA: return "rsassa";
	case TPM2_ALG_RSAPSS: return "rsapss";
	case TPM2_ALG_ECDSA: return "ecdsa";
	case TPM2_ALG_ECDAA: return "ecdaa";
	case TPM2_ALG_SM2: return "sm2";
	case TPM2_ALG_ECSCHNORR: return "ecschnorr";
	case TPM2_ALG_ECC: return "ecc";
	case TPM2_ALG_SYMCIPHER: return "symcipher";
	}
	return NULL;
}

static const char *curve_name(uint16_t c)
{
	switch (c) {
	case TPM2_ECC_NIST_P192: return "nist_p192";
	case TPM2_ECC_NIST_P224: return "nist_p224";
	case TPM2_ECC_NIST_P256: return "nist_p256";
	case TPM2_ECC_NIST_P384: return "nist_p384";
	case TPM2_ECC_NIST_P521: return "nist_p521";
	case TPM2_ECC_BN_P256: return "bn_p256";
	case TPM2_ECC_SM2_P256: return "sm2_p256";
	}
	return NULL;
}

/* A name, or "0x%04x" in BUF for one we do not know. */
static const char *alg_str(uint16_t alg, char buf[8])
{
	const char *n = alg_name(alg);

	if (n)
		return n;
	snprintf(buf, 8, "0x%04x", alg);
	return buf;
}

static const struct {
	TPMA_OBJECT bit;
	const char *name;
} attr_names[] = {
	{ TPMA_OBJECT_FIXEDTPM, "fixedtpm" },
	{ TPMA_OBJECT_STCLEAR, "stclear" },
	{ TPMA_OBJECT_FIXEDPARENT, "fixedparent" },
	{ TPMA_OBJECT_SENSITIVEDATAORIGIN, "sensitivedataorigin" },
	{ TPMA_OBJECT_USERWITHAUTH, "userwithauth" },
	{ TPMA_OBJECT_ADMINWITHPOLICY, "adminwithpolicy" },
	{ TPMA_OBJECT_NODA, "noda" },
	{ TPMA_OBJECT_ENCRYPTEDDUPLICATION, "encryptedduplication" },
	{ TPMA_OBJECT_RESTRICTED, "restricted" },
	{ TPMA_OBJECT_DECRYPT, "decrypt" },
	{ TPMA_OBJECT_SIGN_ENCRYPT, "sign" },
	{ TPMA_OBJECT_X509SIGN, "x509sign" },
};

static void problem(struct hv_evdump *d, const char *part, const char *why)
{
	if (d->nproblems < HV_EVDUMP_MAX_PROBLEMS) {
		d->problem[d->nproblems].part = part;
		d->problem[d->nproblems].why = why;
		d->nproblems++;
	}
}

static uint16_t sig_hash(const TPMT_SIGNATURE *s)
{
	switch (s->sigAlg) {
	case TPM2_ALG_RSASSA: case TPM2_ALG_RSAPSS:
		return s->signature.rsassa.hash;
	case TPM2_ALG_ECDSA: case TPM2_ALG_ECDAA: case TPM2_ALG_SM2:
	case TPM2_ALG_ECSCHNORR:
		return s->signature.ecdsa.hash;
	}
	return 0;
}

/* The hash of the AK's scheme, which a quote's pcrDigest uses (Part 3
 * §18.4); from the signature when the AK does not decode. 0: unknown. */
uint16_t hv_evdump_quote_hash(const struct hv_evdump *d)
{
	if (!d->ak_why)
		return d->ak.hash;
	return d->sig_why ? 0 : sig_hash(&d->sig);
}

/* PCRs a selection bitmap can name: unmarshalling bounds sizeofSelect,
 * and this does not rely on it. */
unsigned hv_evdump_sel_bits(const TPMS_PCR_SELECTION *s)
{
	return 8u * (s->sizeofSelect < sizeof(s->pcrSelect) ? s->sizeofSelect
							     : sizeof(s->pcrSelect));
}

int hv_evdump_is_quote(const struct hv_evdump *d)
{
	return d->attest_decoded && d->attest.type == TPM2_ST_ATTEST_QUOTE;
}

/* Lay the values out along the attest's selection: the byte string
 * pcrDigest hashes and 'tpm2_quote -o FILE -F values' writes. Without a
 * quote to follow, the bundle's own order (which evidence.h says is the
 * selection order). */
static int layout_pcrs(struct hv_evdump *d)
{
	const struct hg_pcr_values *v = &d->ev.pcrs;
	const TPML_PCR_SELECTION *sel = &d->attest.attested.quote.pcrSelect;
	size_t used = 0;

	d->pcrs_bin = malloc(HG_MAX_PCR_VALUES * HG_MAX_DIGEST);
	if (!d->pcrs_bin)
		return -1;
	if (!hv_evdump_is_quote(d)) {
		for (size_t i = 0; i < v->n; i++) {
			memcpy(d->pcrs_bin + d->pcrs_bin_len, v->v[i].d, v->v[i].len);
			d->pcrs_bin_len += v->v[i].len;
		}
		return 0;
	}
	for (UINT32 i = 0; i < sel->count && !d->pcrs_why; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

		for (unsigned p = 0; p < hv_evdump_sel_bits(s) && !d->pcrs_why; p++) {
			const struct hg_pcr_value *pv;

			if (!(s->pcrSelect[p / 8] & (1u << (p % 8))))
				continue;
			pv = p < HG_NUM_PCRS ? hg_pcr_values_get(v, s->hash, p) : NULL;
			if (!pv)
				d->pcrs_why = "the bundle lacks a value the quote selects";
			else if (used++ == v->n)
				d->pcrs_why = "the quote selects a value twice";
			else {
				memcpy(d->pcrs_bin + d->pcrs_bin_len, pv->d, pv->len);
				d->pcrs_bin_len += pv->len;
			}
		}
	}
	if (!d->pcrs_why && used != v->n)
		d->pcrs_why = "the bundle has values the quote does not select";
	if (d->pcrs_why) {
		/* Export what the host sent, in its order. */
		d->pcrs_bin_len = 0;
		for (size_t i = 0; i < v->n; i++) {
			memcpy(d->pcrs_bin + d->pcrs_bin_len, v->v[i].d, v->v[i].len);
			d->pcrs_bin_len += v->v[i].len;
		}
	}
	return 0;
}

static void decode_ak(struct hv_evdump *d)
{
	struct hg_digest h;
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(d->ev.ak, d->ev.ak_len, &off, &d->pub) != 0) {
		d->pub_why = d->ak_why = "not a TPM2B_PUBLIC";
	} else if (off != d->ev.ak_len) {
		d->pub_why = d->ak_why = "trailing bytes after TPM2B_PUBLIC";
	} else if (hg_ak_decode(d->ev.ak, d->ev.ak_len, &d->ak, &d->ak_why) == 0) {
		d->ak_why = NULL;
		memcpy(d->name, d->ak.name, d->ak.name_len);
		d->name_len = d->ak.name_len;
		return;
	}
	if (d->ak_why)
		problem(d, "ak", d->ak_why);
	/* Name = nameAlg || H_nameAlg(TPMT_PUBLIC) (Part 1 §16), from the
	 * bytes as they are, so even a refused key can be identified. */
	if (!d->pub_why && hg_hash(d->pub.publicArea.nameAlg, d->ev.ak + 2,
				   d->ev.ak_len - 2, &h) == 0) {
		d->name[0] = (uint8_t)(d->pub.publicArea.nameAlg >> 8);
		d->name[1] = (uint8_t)d->pub.publicArea.nameAlg;
		memcpy(d->name + 2, h.d, h.len);
		d->name_len = 2u + h.len;
	}
}

int hv_evdump_decode(const uint8_t *buf, size_t len, struct hv_evdump *d,
		     const char **why)
{
	size_t off = 0;

	memset(d, 0, sizeof(*d));
	if (hg_evidence_decode(buf, len, &d->ev, why) < 0)
		return -1;
	decode_ak(d);
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(d->ev.attest, d->ev.attest_len, &off,
					  &d->attest) != 0) {
		d->attest_why = "not a TPMS_ATTEST";
	} else {
		d->attest_decoded = 1;
		if (off != d->ev.attest_len)
			d->attest_why = "trailing bytes after TPMS_ATTEST";
		else if (d->attest.magic != TPM2_GENERATED_VALUE)
			d->attest_why = "magic is not TPM_GENERATED_VALUE (the TPM did not make it)";
		else if (d->attest.type != TPM2_ST_ATTEST_QUOTE)
			d->attest_why = "type is not TPM_ST_ATTEST_QUOTE";
	}
	if (d->attest_why)
		problem(d, "attest", d->attest_why);
	off = 0;
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(d->ev.sig, d->ev.sig_len, &off, &d->sig) != 0)
		d->sig_why = "not a TPMT_SIGNATURE";
	else if (off != d->ev.sig_len)
		d->sig_why = "trailing bytes after TPMT_SIGNATURE";
	if (d->sig_why)
		problem(d, "signature", d->sig_why);
	if (layout_pcrs(d) < 0) {
		*why = "out of memory";
		hv_evdump_free(d);
		return -1;
	}
	return 0;
}

void hv_evdump_free(struct hv_evdump *d)
{
	hg_ak_free(&d->ak);
	free(d->pcrs_bin);
	memset(d, 0, sizeof(*d));
}

/* ---- relations between parts: notes, not checks ---------------------- */

static int nonce_matches(const struct hv_evdump *d)
{
	const TPM2B_DATA *x = &d->attest.extraData;

	return x->size == d->ev.nonce_len && !memcmp(x->buffer, d->ev.nonce, x->size);
}

/* 1 matches, 0 does not, -1 cannot tell. */
static int digest_matches(const struct hv_evdump *d)
{
	const TPM2B_DIGEST *pd = &d->attest.attested.quote.pcrDigest;
	uint16_t hash = hv_evdump_quote_hash(d);
	struct hg_digest h;

	if (!hv_evdump_is_quote(d) || d->pcrs_why || !hash ||
	    hg_hash(hash, d->pcrs_bin, d->pcrs_bin_len, &h) < 0)
		return -1;
	return pd->size == h.len && !memcmp(pd->buffer, h.d, h.len);
}

/* Signature scheme and hash against the AK's; -1 cannot tell. */
static int scheme_matches(const struct hv_evdump *d)
{
	if (d->ak_why || d->sig_why)
		return -1;
	return d->sig.sigAlg == d->ak.scheme && sig_hash(&d->sig) == d->ak.hash;
}

/* ---- human ----------------------------------------------------------- */

static void put_hex(FILE *f, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	if (n == 0)
		fputs("(empty)", f);
	for (size_t i = 0; i < n; i++) {
		fputc(digits[p[i] >> 4], f);
		fputc(digits[p[i] & 15], f);
	}
}

/* "0-9,13": the PCRs of one selection bitmap (Part 2 §10.6.2). */
static void put_pcr_list(FILE *f, const TPMS_PCR_SELECTION *s)
{
	unsigned n = hv_evdump_sel_bits(s);
	int any = 0;

	for (unsigned p = 0; p < n; p++) {
		unsigned q = p;

		if (!(s->pcrSelect[p / 8] & (1u << (p % 8))))
			continue;
		while (q + 1 < n && (s->pcrSelect[(q + 1) / 8] & (1u << ((q + 1) % 8))))
			q++;
		fprintf(f, "%s%u", any ? "," : "", p);
		if (q > p)
			fprintf(f, "-%u", q);
		any = 1;
		p = q;
	}
	if (!any)
		fputs("none", f);
}

static void print_ak(const struct hv_evdump *d, FILE *f)
{
	const TPMT_PUBLIC *p = &d->pub.publicArea;
	char b1[8], b2[8];

	fprintf(f, "ak (TPM2B_PUBLIC, %zu bytes):\n", d->ev.ak_len);
	if (d->pub_why) {
		fprintf(f, "    not decoded:     %s\n", d->pub_why);
		return;
	}
	fprintf(f, "    type             %s", alg_str(p->type, b1));
	if (p->type == TPM2_ALG_ECC) {
		const char *c = curve_name(p->parameters.eccDetail.curveID);

		if (c)
			fprintf(f, ", curve %s\n", c);
		else
			fprintf(f, ", curve 0x%04x\n", p->parameters.eccDetail.curveID);
		fprintf(f, "    scheme           %s, hash %s\n",
			alg_str(p->parameters.eccDetail.scheme.scheme, b1),
			alg_str(p->parameters.eccDetail.scheme.details.anySig.hashAlg, b2));
	} else if (p->type == TPM2_ALG_RSA) {
		const TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;

		fprintf(f, ", %u bits, exponent %u\n", r->keyBits,
			r->exponent ? r->exponent : 65537);
		fprintf(f, "    scheme           %s, hash %s\n", alg_str(r->scheme.scheme, b1),
			alg_str(r->scheme.details.anySig.hashAlg, b2));
	} else {
		fputc('\n', f);
	}
	fprintf(f, "    nameAlg          %s\n", alg_str(p->nameAlg, b1));
	fputs("    name             ", f);
	if (d->name_len)
		put_hex(f, d->name, d->name_len);
	else
		fputs("(unknown nameAlg)", f);
	fprintf(f, "\n    attributes       0x%08x", p->objectAttributes);
	for (size_t i = 0, n = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (p->objectAttributes & attr_names[i].bit)
			fprintf(f, "%c%s", n++ ? '|' : ' ', attr_names[i].name);
	if (d->ak_why)
		fprintf(f, "\n    usable as an AK  no: %s\n", d->ak_why);
	else
		fputs("\n    usable as an AK  yes (a fixedTPM restricted signing key)\n", f);
}

static void print_attest(const struct hv_evdump *d, FILE *f)
{
	const TPMS_ATTEST *a = &d->attest;
	char b1[8];
	int m;

	fprintf(f, "attest (TPMS_ATTEST, %zu bytes):\n", d->ev.attest_len);
	if (!d->attest_decoded) {
		fprintf(f, "    not decoded:     %s\n", d->attest_why);
		return;
	}
	if (d->attest_why)
		fprintf(f, "    INVALID:         %s\n", d->attest_why);
	fprintf(f, "    magic            0x%08x%s\n", a->magic,
		a->magic == TPM2_GENERATED_VALUE ? " (TPM_GENERATED_VALUE)" : "");
	fprintf(f, "    type             0x%04x%s\n", a->type,
		a->type == TPM2_ST_ATTEST_QUOTE ? " (TPM_ST_ATTEST_QUOTE)" : "");
	fputs("    qualifiedSigner  ", f);
	put_hex(f, a->qualifiedSigner.name, a->qualifiedSigner.size);
	fputs("\n    extraData        ", f);
	put_hex(f, a->extraData.buffer, a->extraData.size);
	fputs(nonce_matches(d) ? " (the bundle's nonce)\n"
			       : " (NOT the bundle's nonce)\n", f);
	fprintf(f, "    clock            %llu ms, resetCount %u, restartCount %u, safe %s\n",
		(unsigned long long)a->clockInfo.clock, a->clockInfo.resetCount,
		a->clockInfo.restartCount, a->clockInfo.safe ? "yes" : "no");
	fprintf(f, "    firmwareVersion  0x%016llx\n", (unsigned long long)a->firmwareVersion);
	if (a->type != TPM2_ST_ATTEST_QUOTE)
		return;
	fputs("    pcrSelect        ", f);
	for (UINT32 i = 0; i < a->attested.quote.pcrSelect.count; i++) {
		const TPMS_PCR_SELECTION *s = &a->attested.quote.pcrSelect.pcrSelections[i];

		fprintf(f, "%s%s:", i ? "; " : "", alg_str(s->hash, b1));
		put_pcr_list(f, s);
	}
	fputs("\n    pcrDigest        ", f);
	put_hex(f, a->attested.quote.pcrDigest.buffer, a->attested.quote.pcrDigest.size);
	m = digest_matches(d);
	fputs(m > 0 ? " (= hash of the values below)\n"
	      : m == 0 ? " (NOT the hash of the values below)\n" : "\n", f);
}

static void print_sig(const struct hv_evdump *d, FILE *f)
{
	const TPMT_SIGNATURE *s = &d->sig;
	char b1[8], b2[8];
	int m;

	fprintf(f, "signature (TPMT_SIGNATURE, %zu bytes): ", d->ev.sig_len);
	if (d->sig_why) {
		fprintf(f, "not decoded: %s\n", d->sig_why);
		return;
	}
	switch (s->sigAlg) {
	case TPM2_ALG_RSASSA: case TPM2_ALG_RSAPSS:
		fprintf(f, "%s, hash %s, %u bytes", alg_str(s->sigAlg, b1),
			alg_str(s->signature.rsassa.hash, b2), s->signature.rsassa.sig.size);
		break;
	case TPM2_ALG_ECDSA: case TPM2_ALG_ECDAA: case TPM2_ALG_SM2:
	case TPM2_ALG_ECSCHNORR:
		fprintf(f, "%s, hash %s, r %u bytes, s %u bytes", alg_str(s->sigAlg, b1),
			alg_str(s->signature.ecdsa.hash, b2), s->signature.ecdsa.signatureR.size,
			s->signature.ecdsa.signatureS.size);
		break;
	default:
		fprintf(f, "%s", alg_str(s->sigAlg, b1));
	}
	m = scheme_matches(d);
	fputs(m > 0 ? " (the AK's scheme)\n" : m == 0 ? " (NOT the AK's scheme)\n" : "\n", f);
}

void hv_evdump_print(const struct hv_evdump *d, FILE *f)
{
	const struct hg_pcr_values *v = &d->ev.pcrs;

	fprintf(f, "version: %llu\nnonce: ", (unsigned long long)d->ev.version);
	put_hex(f, d->ev.nonce, d->ev.nonce_len);
	fputc('\n', f);
	print_ak(d, f);
	print_attest(d, f);
	print_sig(d, f);
	fprintf(f, "pcrs (%zu values, as the bundle lists them):\n", v->n);
	for (size_t i = 0; i < v->n; i++) {
		const struct hg_bank *b = hg_bank_by_alg(v->v[i].alg);

		fprintf(f, "    %-7s %2u  ", b ? b->name : "?", v->v[i].pcr);
		put_hex(f, v->v[i].d, v->v[i].len);
		fputc('\n', f);
	}
	if (d->pcrs_why)
		fprintf(f, "    NOTE: %s\n", d->pcrs_why);
	if (d->ev.log_first)
		fprintf(f, "log_first: %llu (a partial log, quote --since: records %llu.. in %zu bytes,\n"
			   "           checked only against the verifier's state; not shown)\n",
			(unsigned long long)d->ev.log_first, (unsigned long long)d->ev.log_first,
			d->ev.log_len);
	if (d->ev.uefi)
		fprintf(f, "uefi log: %zu bytes\n", d->ev.uefi_len);
	if (d->ev.n_ek_certs) {
		fprintf(f, "ek certs: %zu (", d->ev.n_ek_certs);
		for (size_t i = 0; i < d->ev.n_ek_certs; i++)
			fprintf(f, "%s%zu", i ? ", " : "", d->ev.ek_cert_len[i]);
		fputs(" bytes)\n", f);
		hv_ekcerts_print(&d->ev, f);
	}
}

/* ---- JSON ------------------------------------------------------------ */

static json_object *hexj(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	json_object *o;

	if (!s)
		return NULL;
	hg_hex_encode(p, n, s);
	o = json_object_new_string(s);
	free(s);
	return o;
}

static json_object *algj(uint16_t alg)
{
	char b[8];

	return json_object_new_string(alg_str(alg, b));
}

static json_object *ak_json(const struct hv_evdump *d)
{
	const TPMT_PUBLIC *p = &d->pub.publicArea;
	json_object *o = json_object_new_object(), *names;

	json_object_object_add(o, "size", json_object_new_uint64(d->ev.ak_len));
	json_object_object_add(o, "usable", json_object_new_boolean(!d->ak_why));
	if (d->ak_why)
		json_object_object_add(o, "error", json_object_new_string(d->ak_why));
	if (d->pub_why)
		return o;
	json_object_object_add(o, "type", algj(p->type));
	if (p->type == TPM2_ALG_ECC) {
		const char *c = curve_name(p->parameters.eccDetail.curveID);

		json_object_object_add(o, "curve", c ? json_object_new_string(c)
						     : json_object_new_int(p->parameters.eccDetail.curveID));
		json_object_object_add(o, "scheme", algj(p->parameters.eccDetail.scheme.scheme));
		json_object_object_add(o, "hash",
				       algj(p->parameters.eccDetail.scheme.details.anySig.hashAlg));
	} else if (p->type == TPM2_ALG_RSA) {
		const TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;

		json_object_object_add(o, "bits", json_object_new_int(r->keyBits));
		json_object_object_add(o, "exponent",
				       json_object_new_int64(r->exponent ? r->exponent : 65537));
		json_object_object_add(o, "scheme", algj(r->scheme.scheme));
		json_object_object_add(o, "hash", algj(r->scheme.details.anySig.hashAlg));
	}
	json_object_object_add(o, "name_alg", algj(p->nameAlg));
	if (d->name_len)
		json_object_object_add(o, "name", hexj(d->name, d->name_len));
	json_object_object_add(o, "attributes", json_object_new_int64(p->objectAttributes));
	names = json_object_new_array();
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (p->objectAttributes & attr_names[i].bit)
			json_object_array_add(names, json_object_new_string(attr_names[i].name));
	json_object_object_add(o, "attribute_names", names);
	return o;
}

static json_object *attest_json(const struct hv_evdump *d)
{
	const TPMS_ATTEST *a = &d->attest;
	json_object *o = json_object_new_object(), *clk, *sel;
	char fw[24];
	int m;

	json_object_object_add(o, "size", json_object_new_uint64(d->ev.attest_len));
	if (d->attest_why)
		json_object_object_add(o, "error", json_object_new_string(d->attest_why));
	if (!d->attest_decoded)
		return o;
	json_object_object_add(o, "magic", json_object_new_int64(a->magic));
	json_object_object_add(o, "type", json_object_new_int(a->type));
	json_object_object_add(o, "qualified_signer",
			       hexj(a->qualifiedSigner.name, a->qualifiedSigner.size));
	json_object_object_add(o, "extra_data", hexj(a->extraData.buffer, a->extraData.size));
	json_object_object_add(o, "extra_data_is_nonce", json_object_new_boolean(nonce_matches(d)));
	clk = json_object_new_object();
	json_object_object_add(clk, "clock", json_object_new_uint64(a->clockInfo.clock));
	json_object_object_add(clk, "reset_count", json_object_new_int64(a->clockInfo.resetCount));
	json_object_object_add(clk, "restart_count", json_object_new_int64(a->clockInfo.restartCount));
	json_object_object_add(clk, "safe", json_object_new_boolean(a->clockInfo.safe));
	json_object_object_add(o, "clock_info", clk);
	json_object_object_add(o, "firmware_version", json_object_new_uint64(a->firmwareVersion));
	/* Exact where a JSON reader's doubles are not (above 2^53). */
	snprintf(fw, sizeof(fw), "0x%016llx", (unsigned long long)a->firmwareVersion);
	json_object_object_add(o, "firmware_version_hex", json_object_new_string(fw));
	if (a->type != TPM2_ST_ATTEST_QUOTE)
		return o;
	sel = json_object_new_array();
	for (UINT32 i = 0; i < a->attested.quote.pcrSelect.count; i++) {
		const TPMS_PCR_SELECTION *s = &a->attested.quote.pcrSelect.pcrSelections[i];
		json_object *b = json_object_new_object(), *pcrs = json_object_new_array();

		json_object_object_add(b, "bank", algj(s->hash));
		for (unsigned p = 0; p < hv_evdump_sel_bits(s); p++)
			if (s->pcrSelect[p / 8] & (1u << (p % 8)))
				json_object_array_add(pcrs, json_object_new_int((int)p));
		json_object_object_add(b, "pcrs", pcrs);
		json_object_array_add(sel, b);
	}
	json_object_object_add(o, "pcr_select", sel);
	json_object_object_add(o, "pcr_digest", hexj(a->attested.quote.pcrDigest.buffer,
						     a->attested.quote.pcrDigest.size));
	m = digest_matches(d);
	json_object_object_add(o, "pcr_digest_matches_values",
			       m < 0 ? NULL : json_object_new_boolean(m));
	return o;
}

static json_object *sig_json(const struct hv_evdump *d)
{
	const TPMT_SIGNATURE *s = &d->sig;
	json_object *o = json_object_new_object();
	int m;

	json_object_object_add(o, "size", json_object_new_uint64(d->ev.sig_len));
	if (d->sig_why) {
		json_object_object_add(o, "error", json_object_new_string(d->sig_why));
		return o;
	}
	json_object_object_add(o, "alg", algj(s->sigAlg));
	switch (s->sigAlg) {
	case TPM2_ALG_RSASSA: case TPM2_ALG_RSAPSS:
		json_object_object_add(o, "hash", algj(s->signature.rsassa.hash));
		json_object_object_add(o, "value_size", json_object_new_int(s->signature.rsassa.sig.size));
		break;
	case TPM2_ALG_ECDSA: case TPM2_ALG_ECDAA: case TPM2_ALG_SM2:
	case TPM2_ALG_ECSCHNORR:
		json_object_object_add(o, "hash", algj(s->signature.ecdsa.hash));
		json_object_object_add(o, "value_size",
				       json_object_new_int(s->signature.ecdsa.signatureR.size +
							   s->signature.ecdsa.signatureS.size));
		break;
	}
	m = scheme_matches(d);
	json_object_object_add(o, "matches_ak_scheme", m < 0 ? NULL : json_object_new_boolean(m));
	return o;
}

void hv_evdump_json(const struct hv_evdump *d, json_object *root)
{
	const struct hg_pcr_values *v = &d->ev.pcrs;
	json_object *pcrs = json_object_new_object();

	json_object_object_add(root, "version", json_object_new_uint64(d->ev.version));
	json_object_object_add(root, "nonce", hexj(d->ev.nonce, d->ev.nonce_len));
	json_object_object_add(root, "ak", ak_json(d));
	json_object_object_add(root, "attest", attest_json(d));
	json_object_object_add(root, "signature", sig_json(d));
	for (size_t i = 0; i < v->n; i++) {
		const struct hg_bank *b = hg_bank_by_alg(v->v[i].alg);
		json_object *bank;
		char idx[8];

		if (!json_object_object_get_ex(pcrs, b->name, &bank)) {
			bank = json_object_new_object();
			json_object_object_add(pcrs, b->name, bank);
		}
		snprintf(idx, sizeof(idx), "%u", v->v[i].pcr);
		json_object_object_add(bank, idx, hexj(v->v[i].d, v->v[i].len));
	}
	json_object_object_add(root, "pcrs", pcrs);
	if (d->pcrs_why)
		json_object_object_add(root, "pcrs_note", json_object_new_string(d->pcrs_why));
	if (d->ev.uefi)
		json_object_object_add(root, "uefi_log_size", json_object_new_uint64(d->ev.uefi_len));
	if (d->ev.log_first)
		json_object_object_add(root, "log_first", json_object_new_uint64(d->ev.log_first));
	if (d->ev.n_ek_certs) {
		json_object *a = json_object_new_array();

		for (size_t i = 0; i < d->ev.n_ek_certs; i++)
			json_object_array_add(a, json_object_new_uint64(d->ev.ek_cert_len[i]));
		json_object_object_add(root, "ek_cert_sizes", a);
		json_object_object_add(root, "ek_certs", hv_ekcerts_json(&d->ev));
	}
}
