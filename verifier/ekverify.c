/* ekverify.c: see ekverify.h.
 *
 * Decisions the header leaves open:
 *  - CA directory entries: dotfiles are skipped; symlinks are followed
 *    (a c_rehash'd directory holds hash-named links), but what is opened
 *    must be a regular file of at most HV_CA_FILE_MAX bytes; directories,
 *    FIFOs and devices are skipped (opened O_NONBLOCK so a FIFO cannot
 *    hang the load). Whoever can add a link to DIR can add a file there,
 *    so following links gives away nothing. Files are read in name
 *    order, so an error names the same file every time.
 *  - X509_V_FLAG_X509_STRICT is not set. The real swtpm EK certificates
 *    pass it, but it adds RFC 5280 profile checks (key identifiers
 *    present, basicConstraints critical in CAs, ...) that TPM vendor CA
 *    hierarchies older than the profile do not all meet, and none of them
 *    bears on trust: chain signatures, validity and the CA bit of every
 *    issuer are checked without it.
 *  - HV_EK_ALLOW_EXPIRED covers the whole chain (X509_V_FLAG_NO_CHECK_TIME):
 *    a TPM outlives its vendor's intermediate as it outlives its own
 *    EK certificate.
 *  - Unhandled critical extensions: OpenSSL refuses a critical extension
 *    it does not implement. On the EK certificate alone, the one TCG EK
 *    profile extension OpenSSL does not implement is tolerated critical:
 *    subjectDirectoryAttributes (2.5.29.9; the TCG EK Credential Profile
 *    2.x §3.2 puts the TPM specification and security assertions there).
 *    RFC 5280 §4.2.1.8 wants it non-critical, but it carries attributes
 *    only, no constraint a verifier could fail to enforce, so accepting
 *    it critical does not widen what the certificate allows. Any other
 *    unknown critical extension is refused.
 */
#define _GNU_SOURCE /* memmem */
#include "ekverify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../lib/tpmpub.h"
#include "../lib/util.h"

/* A CA file is a handful of certificates; a bundle of a few hundred
 * fits easily. */
#define HV_CA_FILE_MAX (1u << 20)

/* tcg-kp-EKCertificate, TCG EK Credential Profile 2.x §3.2. */
#define TCG_KP_EKCERT "2.23.133.8.1"

struct hv_ca {
	X509_STORE *store;          /* the roots, trusted */
	STACK_OF(X509) *untrusted;  /* the intermediates, chain building only */
};

__attribute__((format(printf, 3, 4)))
static const char *say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !len)
		return "EK certificate check failed (no room for the reason)";
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

/* "CN=Foo, O=Bar" (most significant first, no spaces around '='), cut to
 * fit OUT; "(empty name)" for an empty one, as EK subjects often are. */
static const char *name_str(const X509_NAME *n, char *out, size_t len)
{
	unsigned long fl = XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ;
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long l;

	snprintf(out, len, "(empty name)");
	if (!b)
		return out;
	if (n && X509_NAME_entry_count(n) > 0 && X509_NAME_print_ex(b, n, 0, fl) >= 0 &&
	    (l = BIO_get_mem_data(b, &p)) > 0)
		snprintf(out, len, "%.*s", (int)(l > INT_MAX ? INT_MAX : l), p);
	BIO_free(b);
	return out;
}

/* "2020-01-01" for an ASN1_TIME, "(unreadable date)" if it is not one. */
static const char *date_str(const ASN1_TIME *t, char *out, size_t len)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || !strftime(out, len, "%Y-%m-%d", &tm))
		snprintf(out, len, "(unreadable date)");
	return out;
}

/* Exactly one DER certificate: d2i_X509 must consume every byte. */
static X509 *decode_der(const uint8_t *der, size_t len, char *whybuf,
			size_t whylen, const char **why)
{
	const unsigned char *p = der;
	X509 *x = NULL;

	if (!len || len > LONG_MAX || !(x = d2i_X509(NULL, &p, (long)len))) {
		*why = "not a DER certificate";
		return NULL;
	}
	if (p != der + len) {
		size_t extra = len - (size_t)(p - der);

		*why = say(whybuf, whylen, "not exactly one DER certificate (%zu trailing byte%s)",
			   extra, extra == 1 ? "" : "s");
		X509_free(x);
		return NULL;
	}
	return x;
}

/* --- the CA directory ------------------------------------------------ */

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

/* Append the certificates of one file (BUF[0..LEN)) to ALL. */
static int parse_ca_file(const char *path, const uint8_t *buf, size_t len,
			 STACK_OF(X509) *all, char *whybuf, size_t whylen,
			 const char **why)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	int n = 0, ret = -1;

	if (!memmem(buf, len, "-----BEGIN ", 11)) {
		if (!(x = decode_der(buf, len, whybuf, whylen, why))) {
			if (*why == whybuf) {
				/* Keep decode_der's count, add the file. */
				char tmp[96];

				snprintf(tmp, sizeof(tmp), "%s", whybuf);
				*why = say(whybuf, whylen, "%s: %s", path, tmp);
			} else {
				*why = say(whybuf, whylen,
					   "%s: neither a PEM nor a DER certificate", path);
			}
			goto out;
		}
		if (!sk_X509_push(all, x))
			goto oom;
		x = NULL;
		ret = 0;
		goto out;
	}
	if (len > INT_MAX || !(bio = BIO_new_mem_buf(buf, (int)len)))
		goto oom;
	for (;;) {
		unsigned long e;

		ERR_clear_error();
		if (!(x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL))) {
			e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				break;   /* no further CERTIFICATE block: the end */
			*why = say(whybuf, whylen, "%s: PEM certificate %d does not decode",
				   path, n + 1);
			goto out;
		}
		if (!sk_X509_push(all, x))
			goto oom;
		x = NULL;
		n++;
	}
	if (!n) {
		*why = say(whybuf, whylen, "%s: PEM file holds no CERTIFICATE block", path);
		goto out;
	}
	ret = 0;
	goto out;
oom:
	*why = "out of memory";
out:
	X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	return ret;
}

static int load_ca_file(int dfd, const char *dir, const char *name,
			STACK_OF(X509) *all, char *whybuf, size_t whylen,
			const char **why)
{
	char path[PATH_MAX];
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd = -1, ret = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		*why = say(whybuf, whylen, "%s: cannot open (%s)", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = 0;   /* a subdirectory, a FIFO...: not a certificate file */
		goto out;
	}
	if (hg_read_fd(fd, HV_CA_FILE_MAX, &buf, &len) < 0) {
		*why = errno == EFBIG
			? say(whybuf, whylen, "%s: larger than %u bytes", path, HV_CA_FILE_MAX)
			: say(whybuf, whylen, "%s: cannot read (%s)", path, strerror(errno));
		goto out;
	}
	ret = parse_ca_file(path, buf, len, all, whybuf, whylen, why);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

static int not_dotfile(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

void hv_ca_free(struct hv_ca *ca)
{
	if (!ca)
		return;
	X509_STORE_free(ca->store);
	sk_X509_pop_free(ca->untrusted, X509_free);
	free(ca);
}

int hv_ca_load(const char *dir, struct hv_ca **out, char *whybuf,
	       size_t whylen, const char **why)
{
	STACK_OF(X509) *all = NULL;
	struct dirent **ents = NULL;
	struct hv_ca *ca = NULL;
	int n = 0, i, dfd = -1, roots = 0, ret = -1;

	*out = NULL;
	*why = "out of memory";
	if (!(ca = calloc(1, sizeof(*ca))) || !(ca->store = X509_STORE_new()) ||
	    !(ca->untrusted = sk_X509_new_null()) || !(all = sk_X509_new_null()))
		goto out;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (n = scandir(dir, &ents, not_dotfile, alphasort)) < 0) {
		n = 0;
		*why = say(whybuf, whylen, "%s: cannot read the CA directory (%s)", dir,
			   strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++)
		if (load_ca_file(dfd, dir, ents[i]->d_name, all, whybuf, whylen, why) < 0)
			goto out;
	if (!sk_X509_num(all)) {
		*why = say(whybuf, whylen, "%s: no certificate in the CA directory", dir);
		goto out;
	}
	/* A root is self-signed, its own signature checked: one whose
	 * signature fails would anchor nothing, and is left as an
	 * intermediate that no chain can end in. */
	for (i = 0; i < sk_X509_num(all); i++) {
		X509 *x = sk_X509_value(all, i);

		if (X509_self_signed(x, 1) == 1) {
			if (X509_STORE_add_cert(ca->store, x) != 1) {
				*why = "out of memory";
				goto out;
			}
			roots++;
		} else {
			if (!X509_up_ref(x))
				goto out;
			if (!sk_X509_push(ca->untrusted, x)) {
				X509_free(x);
				*why = "out of memory";
				goto out;
			}
		}
	}
	if (!roots) {
		*why = say(whybuf, whylen,
			   "%s: no root (self-signed) certificate in the CA directory, only %d intermediate%s",
			   dir, sk_X509_num(all), sk_X509_num(all) == 1 ? "" : "s");
		goto out;
	}
	*out = ca;
	ca = NULL;
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (dfd >= 0)
		close(dfd);
	sk_X509_pop_free(all, X509_free);
	hv_ca_free(ca);
	ERR_clear_error();
	return ret;
}

/* --- one EK certificate ---------------------------------------------- */

/* The first critical extension of X that OpenSSL does not implement and
 * that is not in the tolerated list (see the top of this file); NULL if
 * there is none. */
static const ASN1_OBJECT *bad_critical_ext(const X509 *x)
{
	int i;

	for (i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *ex = X509_get_ext(x, i);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ex);

		if (!X509_EXTENSION_get_critical(ex) || X509_supported_extension(ex))
			continue;
		if (OBJ_obj2nid(obj) == NID_subject_directory_attributes)
			continue;
		return obj;
	}
	return NULL;
}

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION &&
	    X509_STORE_CTX_get_error_depth(ctx) == 0 &&
	    !bad_critical_ext(X509_STORE_CTX_get_current_cert(ctx))) {
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	return ok;
}

/* Why X509_verify_cert refused: the error, and the certificate it is
 * about (depth 0 is the EK certificate). */
static const char *chain_why(X509_STORE_CTX *ctx, char *whybuf, size_t whylen)
{
	int err = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
	const char *estr = X509_verify_cert_error_string(err);
	char what[200], name[160], date[32];
	const ASN1_OBJECT *obj;

	if (depth == 0)
		snprintf(what, sizeof(what), "EK certificate");
	else
		snprintf(what, sizeof(what), "CA certificate %s",
			 name_str(cur ? X509_get_subject_name(cur) : NULL, name, sizeof(name)));
	if (!cur)
		return say(whybuf, whylen, "%s: %s", what, estr);
	switch (err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		return say(whybuf, whylen, "%s's issuer %s is not in the CA directory: no certificate there has that name and the key that signed it (%s)", what,
			   name_str(X509_get_issuer_name(cur), name, sizeof(name)), estr);
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
		return say(whybuf, whylen, "EK certificate is self-signed and not in the CA directory");
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return say(whybuf, whylen, "the chain ends in self-signed %s, which is not in the CA directory",
			   name_str(X509_get_subject_name(cur), name, sizeof(name)));
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return say(whybuf, whylen, "%s expired on %s", what,
			   date_str(X509_get0_notAfter(cur), date, sizeof(date)));
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return say(whybuf, whylen, "%s is not valid before %s", what,
			   date_str(X509_get0_notBefore(cur), date, sizeof(date)));
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return say(whybuf, whylen, "%s signature does not verify", what);
	case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
		if ((obj = bad_critical_ext(cur))) {
			OBJ_obj2txt(name, sizeof(name), obj, 1);
			return say(whybuf, whylen, "%s has an unhandled critical extension %s", what, name);
		}
		break;
	default:
		break;
	}
	return say(whybuf, whylen, "%s: %s", what, estr);
}

/* The EK profile's requirements on the leaf itself, which a chain check
 * with no purpose set does not look at. */
static int leaf_check(X509 *leaf, unsigned flags, const char **why)
{
	EXTENDED_KEY_USAGE *eku = NULL;
	ASN1_OBJECT *ekcert = NULL;
	int crit = -1, i, ret = -1;

	/* X509_check_ca is non-zero for CA:TRUE and for keyCertSign
	 * without basicConstraints: either lets the key sign certificates. */
	if (X509_check_ca(leaf)) {
		*why = (X509_get_extension_flags(leaf) & EXFLAG_CA)
			? "EK certificate is a CA (basicConstraints CA:TRUE)"
			: "EK certificate is a CA (it may sign certificates)";
		goto out;
	}
	if (flags & HV_EK_ALLOW_ANY_EKU) {
		ret = 0;
		goto out;
	}
	eku = X509_get_ext_d2i(leaf, NID_ext_key_usage, &crit, NULL);
	if (!eku) {
		*why = crit == -1 ? "EK certificate has no extendedKeyUsage (TCG EK EKU "
				    TCG_KP_EKCERT " required)"
				  : "EK certificate has a malformed extendedKeyUsage";
		goto out;
	}
	if (!(ekcert = OBJ_txt2obj(TCG_KP_EKCERT, 1))) {
		*why = "out of memory";
		goto out;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
		if (!OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), ekcert))
			break;
	if (i == sk_ASN1_OBJECT_num(eku)) {
		*why = "EK certificate has no TCG EK EKU (" TCG_KP_EKCERT ")";
		goto out;
	}
	ret = 0;
out:
	ASN1_OBJECT_free(ekcert);
	EXTENDED_KEY_USAGE_free(eku);
	return ret;
}

int hv_ek_cert_verify(const struct hv_ca *ca, const uint8_t *der, size_t len,
		      unsigned flags, time_t now, char *whybuf, size_t whylen,
		      const char **why)
{
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	X509 *leaf = NULL;
	int ret = -1;

	if (!(leaf = decode_der(der, len, whybuf, whylen, why)))
		goto out;
	if (!(ctx = X509_STORE_CTX_new()) ||
	    X509_STORE_CTX_init(ctx, ca->store, leaf, ca->untrusted) != 1) {
		*why = "out of memory";
		goto out;
	}
	/* No X509_V_FLAG_PARTIAL_CHAIN: an intermediate in DIR is never an
	 * anchor by itself. No purpose: the EKU is checked below. */
	param = X509_STORE_CTX_get0_param(ctx);
	/* Not both: OpenSSL checks a time set with _set_time even under
	 * NO_CHECK_TIME (x509_vfy.c, ossl_x509_check_cert_time). */
	if (flags & HV_EK_ALLOW_EXPIRED)
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
	else if (now)
		X509_VERIFY_PARAM_set_time(param, now);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	if (X509_verify_cert(ctx) != 1) {
		*why = chain_why(ctx, whybuf, whylen);
		goto out;
	}
	if (leaf_check(leaf, flags, why) < 0)
		goto out;
	ret = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	ERR_clear_error();
	return ret;
}

/* --- the certificate's key and the EK -------------------------------- */

static const char *curve_str(const char *group)
{
	if (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))
		return "P-256";
	if (!strcmp(group, "secp384r1") || !strcmp(group, "P-384"))
		return "P-384";
	if (!strcmp(group, "secp521r1") || !strcmp(group, "P-521"))
		return "P-521";
	return group;
}

/* "RSA-2048", "ECC P-384": the same words for both sides, so that equal
 * strings mean the same algorithm and size. */
static void cert_key_str(EVP_PKEY *k, char *out, size_t len)
{
	char group[64];

	if (EVP_PKEY_is_a(k, "RSA"))
		snprintf(out, len, "RSA-%d", EVP_PKEY_get_bits(k));
	else if (EVP_PKEY_is_a(k, "EC") &&
		 EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
						sizeof(group), NULL) == 1)
		snprintf(out, len, "ECC %s", curve_str(group));
	else
		snprintf(out, len, "%s", EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k)
								    : "an unknown key type");
}

static void tpm_key_str(const TPMT_PUBLIC *p, char *out, size_t len)
{
	switch (p->type) {
	case TPM2_ALG_RSA:
		snprintf(out, len, "RSA-%u", p->parameters.rsaDetail.keyBits);
		break;
	case TPM2_ALG_ECC:
		switch (p->parameters.eccDetail.curveID) {
		case TPM2_ECC_NIST_P256: snprintf(out, len, "ECC P-256"); break;
		case TPM2_ECC_NIST_P384: snprintf(out, len, "ECC P-384"); break;
		case TPM2_ECC_NIST_P521: snprintf(out, len, "ECC P-521"); break;
		default:
			snprintf(out, len, "ECC curve 0x%04x", p->parameters.eccDetail.curveID);
		}
		break;
	default:
		snprintf(out, len, "TPM algorithm 0x%04x", p->type);
	}
}

int hv_ek_cert_matches(const uint8_t *der, size_t len, const TPM2B_PUBLIC *ek,
		       char *whybuf, size_t whylen, const char **why)
{
	char cdesc[80], edesc[80];
	EVP_PKEY *ekkey = NULL, *ckey;
	const char *w = NULL;
	X509 *x = NULL;
	int ret = -1;

	if (!(x = decode_der(der, len, whybuf, whylen, why)))
		goto out;
	if (!(ckey = X509_get0_pubkey(x))) {
		*why = "EK certificate key does not decode";
		goto out;
	}
	cert_key_str(ckey, cdesc, sizeof(cdesc));
	tpm_key_str(&ek->publicArea, edesc, sizeof(edesc));
	if (strcmp(cdesc, edesc)) {
		*why = say(whybuf, whylen, "EK certificate key is %s but the EK is %s", cdesc, edesc);
		goto out;
	}
	if (!(ekkey = hg_tpm_pub_evp(&ek->publicArea, &w))) {
		*why = say(whybuf, whylen, "EK %s", w);
		goto out;
	}
	/* RSA: modulus and exponent; EC: group and point. */
	if (EVP_PKEY_eq(ckey, ekkey) != 1) {
		*why = "EK certificate key differs from the EK";
		goto out;
	}
	ret = 0;
out:
	EVP_PKEY_free(ekkey);
	X509_free(x);
	ERR_clear_error();
	return ret;
}
