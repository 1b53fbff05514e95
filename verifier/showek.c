/* showek.c: see showek.h. */
#include "showek.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../lib/util.h"

struct ekinfo {
	const char *why;              /* NULL: decoded */
	char *subject, *issuer;       /* RFC 2253 form */
	const char *key_type;         /* "rsa", "ec" or OpenSSL's name */
	int key_bits;
	char curve[64];               /* "" unless EC */
	char not_after[32];           /* ISO 8601, UTC */
	uint8_t sha256[32];
};

static char *name_str(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL, *p;
	long len;

	if (!b || X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) < 0)
		goto out;
	len = BIO_get_mem_data(b, &p);
	if (len < 0 || !(s = malloc((size_t)len + 1)))
		goto out;
	memcpy(s, p, (size_t)len);
	s[len] = 0;
out:
	BIO_free(b);
	return s;
}

static void ekinfo_free(struct ekinfo *e)
{
	free(e->subject);
	free(e->issuer);
	memset(e, 0, sizeof(*e));
}

/* Fill E from the certificate DER[0..LEN); E->why says what failed. */
static void ekinfo_get(const uint8_t *der, size_t len, struct ekinfo *e)
{
	const unsigned char *p = der;
	X509 *x = NULL;
	EVP_PKEY *k;
	struct tm tm;
	unsigned int mdlen = 0;

	memset(e, 0, sizeof(*e));
	if (len > LONG_MAX || !(x = d2i_X509(NULL, &p, (long)len))) {
		e->why = "not a DER X.509 certificate";
		goto out;
	}
	if ((size_t)(p - der) != len) {
		e->why = "trailing bytes after the certificate";
		goto out;
	}
	e->subject = name_str(X509_get_subject_name(x));
	e->issuer = name_str(X509_get_issuer_name(x));
	if (!e->subject || !e->issuer) {
		e->why = "cannot print its names";
		goto out;
	}
	/* An EK certificate's subject is often empty (the SAN in
	 * directoryName form names the TPM instead), which is fine. */
	k = X509_get0_pubkey(x);
	if (!k) {
		e->why = "public key not readable";
		goto out;
	}
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA: e->key_type = "rsa"; break;
	case EVP_PKEY_EC: e->key_type = "ec"; break;
	default: e->key_type = EVP_PKEY_get0_type_name(k); break;
	}
	if (!e->key_type)
		e->key_type = "unknown";
	e->key_bits = EVP_PKEY_get_bits(k);
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	    !EVP_PKEY_get_group_name(k, e->curve, sizeof(e->curve), NULL))
		e->curve[0] = 0;
	if (!ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) ||
	    !strftime(e->not_after, sizeof(e->not_after), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		e->why = "notAfter not readable";
		goto out;
	}
	if (!X509_digest(x, EVP_sha256(), e->sha256, &mdlen) || mdlen != 32) {
		e->why = "cannot hash it";
		goto out;
	}
out:
	X509_free(x);
}

void hv_ekcerts_print(const struct hg_evidence *ev, FILE *f)
{
	for (size_t i = 0; i < ev->n_ek_certs; i++) {
		struct ekinfo e;
		char hex[65];

		ekinfo_get(ev->ek_cert[i], ev->ek_cert_len[i], &e);
		fprintf(f, "ek cert %zu: %zu bytes\n", i, ev->ek_cert_len[i]);
		if (e.why) {
			fprintf(f, "    NOTE: %s\n", e.why);
			ekinfo_free(&e);
			continue;
		}
		hg_hex_encode(e.sha256, 32, hex);
		fprintf(f, "    subject:   %s\n", e.subject[0] ? e.subject : "(empty)");
		fprintf(f, "    issuer:    %s\n", e.issuer);
		fprintf(f, "    key:       %s %d%s%s\n", e.key_type, e.key_bits,
			e.curve[0] ? " " : "", e.curve);
		fprintf(f, "    not after: %s\n", e.not_after);
		fprintf(f, "    sha256:    %s\n", hex);
		ekinfo_free(&e);
	}
}

json_object *hv_ekcerts_json(const struct hg_evidence *ev)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < ev->n_ek_certs; i++) {
		json_object *o = json_object_new_object();
		struct ekinfo e;
		char hex[65];

		ekinfo_get(ev->ek_cert[i], ev->ek_cert_len[i], &e);
		json_object_object_add(o, "size", json_object_new_uint64(ev->ek_cert_len[i]));
		if (e.why) {
			json_object_object_add(o, "error", json_object_new_string(e.why));
		} else {
			hg_hex_encode(e.sha256, 32, hex);
			json_object_object_add(o, "subject", json_object_new_string(e.subject));
			json_object_object_add(o, "issuer", json_object_new_string(e.issuer));
			json_object_object_add(o, "key_type", json_object_new_string(e.key_type));
			json_object_object_add(o, "key_bits", json_object_new_int(e.key_bits));
			if (e.curve[0])
				json_object_object_add(o, "curve", json_object_new_string(e.curve));
			json_object_object_add(o, "not_after", json_object_new_string(e.not_after));
			json_object_object_add(o, "sha256", json_object_new_string(hex));
		}
		json_object_array_add(a, o);
		ekinfo_free(&e);
	}
	return a;
}
