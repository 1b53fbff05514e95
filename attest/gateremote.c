/* gateremote.c: see gateremote.h. */
#define _GNU_SOURCE /* asprintf */
#include "gateremote.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../lib/cel.h"
#include "../lib/ear.h"
#include "../lib/util.h"

#define CERT_MAX (64u << 10)
#define REMOTE_WHY_MAX 200     /* of the service's own error text */

static void reasonf(char *r, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reasonf(char *r, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r, n, fmt, ap);
	va_end(ap);
}

/* ---- this host's name: the CN of its client certificate ---------------- */

/* The service knows a host by its certificate's CN (docs/api.md,
 * "Authentication") and names the EAR's submodule so: exactly one CN,
 * printable ASCII, as the service's host-name rule allows no less. */
static int cert_cn(const char *path, char *out, size_t n, char *reason, size_t rlen)
{
	uint8_t *pem = NULL;
	unsigned char *u = NULL;
	size_t len = 0;
	BIO *b = NULL;
	X509 *x = NULL;
	X509_NAME *nm;
	int i, l = -1, ret = -1;

	if (hg_read_file(path, CERT_MAX, 0, &pem, &len) < 0) {
		reasonf(reason, rlen, "verifier-cert %s: %s", path,
			errno == EFBIG ? "larger than 64 KiB" : hg_strerror_read(errno));
		goto out;
	}
	if (!(b = BIO_new_mem_buf(pem, (int)len)) ||
	    !(x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		reasonf(reason, rlen, "verifier-cert %s: not a PEM certificate", path);
		goto out;
	}
	nm = X509_get_subject_name(x);
	i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
	if (i < 0 || X509_NAME_get_index_by_NID(nm, NID_commonName, i) >= 0 ||
	    (l = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)))) <= 0 ||
	    (size_t)l >= n) {
		reasonf(reason, rlen, "verifier-cert %s: not exactly one common name (CN) of 1..%zu bytes",
			path, n - 1);
		goto out;
	}
	for (int k = 0; k < l; k++)
		if (u[k] <= 0x20 || u[k] >= 0x7f) {
			reasonf(reason, rlen, "verifier-cert %s: its CN is not printable ASCII", path);
			goto out;
		}
	memcpy(out, u, (size_t)l);
	out[l] = '\0';
	ret = 0;
out:
	OPENSSL_free(u);
	X509_free(x);
	BIO_free(b);
	free(pem);
	return ret;
}

int hg_remote_open(struct hg_remote *r, const struct hg_gateconf *cfg,
		   char *reason, size_t rlen)
{
	int ret = -1;

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	if (!cfg->verifier_url) {
		reasonf(reason, rlen, "mode = remote, but verifier-url is not set");
		goto out;
	}
	if (cert_cn(cfg->verifier_cert, r->host, sizeof(r->host), reason, rlen) < 0)
		goto out;
	if (hg_ear_load_key(cfg->verifier_ear_key, 0, &r->ear_key) < 0) {
		reasonf(reason, rlen, "verifier-ear-key %s: %s", cfg->verifier_ear_key,
			*hg_err_last() ? hg_err_last() : "not an ECDSA P-256 public key");
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		reasonf(reason, rlen, "libcurl cannot start");
		goto out;
	}
	r->curl_up = 1;
	ret = 0;
out:
	return ret;
}

void hg_remote_close(struct hg_remote *r)
{
	EVP_PKEY_free(r->ear_key);
	r->ear_key = NULL;
	if (r->curl_up)
		curl_global_cleanup();
	r->curl_up = 0;
}

/* ---- one request ---------------------------------------------------------- */

struct body {
	char *p;
	size_t n;
	int over;
};

static size_t on_data(char *p, size_t sz, size_t nm, void *arg)
{
	struct body *b = arg;
	size_t n = sz * nm;
	char *q;

	if (n > HG_REMOTE_MAX_BODY - b->n) {
		b->over = 1;
		return 0; /* aborts the transfer */
	}
	if (!(q = realloc(b->p, b->n + n + 1)))
		return 0;
	memcpy(q + b->n, p, n);
	b->p = q;
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

/* Text the service wrote, fit for one reason line: printable ASCII only,
 * bounded (a verifier's text still reaches virsh's error line). */
static void clean(const char *in, char *out, size_t n)
{
	size_t k = 0;

	for (; in && *in && k + 1 < n && k < REMOTE_WHY_MAX; in++)
		out[k++] = (unsigned char)*in >= 0x20 && (unsigned char)*in < 0x7f ? *in : '?';
	out[k] = '\0';
}

/* The body as one JSON object (trailing white space allowed), or NULL. */
static json_object *json_of(const struct body *b)
{
	json_tokener *t;
	json_object *o = NULL;
	size_t n = b->n;

	while (n && (b->p[n - 1] == '\n' || b->p[n - 1] == '\r' || b->p[n - 1] == ' '))
		n--;
	if (!n || memchr(b->p, '\0', n) || !(t = json_tokener_new()))
		return NULL;
	o = json_tokener_parse_ex(t, b->p, (int)n);
	if (json_tokener_get_error(t) != json_tokener_success ||
	    json_tokener_get_parse_end(t) != n || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(t);
	return o;
}

/* WHAT ("GET /v1/nonce") at URL; 0 only for a 200 whose body is a JSON
 * object (*OUT, the caller's). BODY NULL: GET. */
static int request(struct hg_remote *r, const char *what, const char *url,
		   const uint8_t *body, size_t len, json_object **out,
		   char *reason, size_t rlen)
{
	const struct hg_gateconf *c = r->cfg;
	char errbuf[CURL_ERROR_SIZE] = "", why[REMOTE_WHY_MAX + 1];
	struct curl_slist *hdr = NULL;
	struct body b = { 0 };
	long status = 0, ms = (long)c->verifier_timeout * 1000;
	CURL *e = curl_easy_init();
	CURLcode cc = CURLE_FAILED_INIT;
	json_object *o = NULL, *err;
	int ret = -1;

	*out = NULL;
	if (!e)
		goto transport;
#define SETOPT(opt, val)                                                   \
	do {                                                               \
		if ((cc = curl_easy_setopt(e, opt, val)) != CURLE_OK)      \
			goto transport;                                    \
	} while (0)
	SETOPT(CURLOPT_URL, url);
	/* https only, no redirect, no proxy from libvirtd's environment: the
	 * gate talks to the verifier it was configured with, directly. */
	SETOPT(CURLOPT_PROTOCOLS_STR, "https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	/* verifier-ca only: not also the system store. */
	SETOPT(CURLOPT_CAINFO, c->verifier_ca);
	SETOPT(CURLOPT_CAPATH, (char *)NULL);
	SETOPT(CURLOPT_SSLCERT, c->verifier_cert);
	SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
	SETOPT(CURLOPT_SSLKEY, c->verifier_key_file);
	SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
	SETOPT(CURLOPT_TIMEOUT_MS, ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, ms);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HG_REMOTE_MAX_BODY);
	SETOPT(CURLOPT_WRITEFUNCTION, on_data);
	SETOPT(CURLOPT_WRITEDATA, &b);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	if (body) {
		/* No "Expect: 100-continue" round trip for a large log: one
		 * request, one answer, within the one timeout. */
		if (!(hdr = curl_slist_append(NULL, "Content-Type: application/cbor")) ||
		    !curl_slist_append(hdr, "Expect:"))
			goto transport;
		SETOPT(CURLOPT_HTTPHEADER, hdr);
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDS, (const char *)body);
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
#undef SETOPT
	if ((cc = curl_easy_perform(e)) != CURLE_OK)
		goto transport;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	o = json_of(&b);
	if (status != 200) {
		err = o ? json_object_object_get(o, "error") : NULL;
		clean(json_object_is_type(err, json_type_string) ? json_object_get_string(err) : NULL,
		      why, sizeof(why));
		reasonf(reason, rlen, "verifier %s: %s: HTTP %ld%s%s", c->verifier_url, what, status,
			*why ? ": " : "", why);
		goto out;
	}
	if (!o) {
		reasonf(reason, rlen, "verifier %s: %s: the answer is not a JSON object",
			c->verifier_url, what);
		goto out;
	}
	*out = o;
	o = NULL;
	ret = 0;
	goto out;
transport:
	if (cc == CURLE_OPERATION_TIMEDOUT)
		reasonf(reason, rlen, "verifier %s: %s: no answer within verifier-timeout (%u s)",
			c->verifier_url, what, c->verifier_timeout);
	else if (b.over)
		reasonf(reason, rlen, "verifier %s: %s: answer larger than %u bytes",
			c->verifier_url, what, HG_REMOTE_MAX_BODY);
	else
		reasonf(reason, rlen, "verifier %s: %s: %s", c->verifier_url, what,
			*errbuf ? errbuf : curl_easy_strerror(cc));
out:
	json_object_put(o);
	curl_slist_free_all(hdr);
	if (e)
		curl_easy_cleanup(e);
	free(b.p);
	return ret;
}

/* VERIFIER-URL without its trailing slashes, then PATH. */
static char *url_of(const struct hg_gateconf *c, const char *path)
{
	size_t l = strlen(c->verifier_url);
	char *u;

	while (l > 8 && c->verifier_url[l - 1] == '/')
		l--;
	if (asprintf(&u, "%.*s%s", (int)l, c->verifier_url, path) < 0)
		return NULL;
	return u;
}

int hg_remote_nonce(struct hg_remote *r, uint8_t nonce[HG_REMOTE_NONCE],
		    char *reason, size_t rlen)
{
	json_object *o = NULL, *h;
	uint8_t *raw = NULL;
	size_t n = 0;
	char *url = url_of(r->cfg, "/v1/nonce");
	int ret = -1;

	if (!url) {
		reasonf(reason, rlen, "out of memory");
		goto out;
	}
	if (request(r, "GET /v1/nonce", url, NULL, 0, &o, reason, rlen) < 0)
		goto out;
	h = json_object_object_get(o, "nonce");
	/* Exactly the service's 32 bytes: a shorter nonce is a weaker one. */
	if (!json_object_is_type(h, json_type_string) ||
	    hg_hex_decode(json_object_get_string(h), HG_REMOTE_NONCE, &raw, &n) < 0 ||
	    n != HG_REMOTE_NONCE) {
		reasonf(reason, rlen, "verifier %s: GET /v1/nonce: no \"nonce\" of %d bytes in hex",
			r->cfg->verifier_url, HG_REMOTE_NONCE);
		goto out;
	}
	memcpy(nonce, raw, HG_REMOTE_NONCE);
	ret = 0;
out:
	free(raw);
	free(url);
	json_object_put(o);
	return ret;
}

/* ---- the answer --------------------------------------------------------- */

static int b64val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	return ch == '-' ? 62 : ch == '_' ? 63 : -1;
}

/* base64url without padding (RFC 4648 §5, as push.c writes it), exact:
 * no other character, no impossible length, no stray low bits. */
static int b64url_decode(const char *s, size_t n, uint8_t **out, size_t *outlen)
{
	uint8_t *p;
	size_t k = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (n % 4 == 1 || !(p = malloc(n * 3 / 4 + 1)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(s[i]);

		if (v < 0) {
			free(p);
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			p[k++] = (uint8_t)(acc >> bits);
		}
	}
	if (acc & ((1u << bits) - 1)) {
		free(p);
		return -1;
	}
	*out = p;
	*outlen = k;
	return 0;
}

/* The workload query: "nonce=HEX&workload=KIND%3ANAME...". */
static char *attest_url(struct hg_remote *r, const uint8_t *nonce,
			const struct hg_mitem *items, size_t n, size_t *nwl,
			char *reason, size_t rlen)
{
	char hex[2 * HG_REMOTE_NONCE + 1], *q = NULL, *u = NULL, *ret = NULL;
	size_t ql = 0;
	FILE *f = open_memstream(&q, &ql);
	CURL *e = curl_easy_init();

	*nwl = 0;
	if (!f || !e) {
		reasonf(reason, rlen, "out of memory");
		goto out;
	}
	hg_hex_encode(nonce, HG_REMOTE_NONCE, hex);
	fprintf(f, "/v1/attest?nonce=%s", hex);
	for (size_t i = 0; i < n; i++) {
		char kn[HG_CEL_MAX_NAME + 16], *esc;

		size_t j;

		if (!hg_kind_is_workload(items[i].kind))
			continue;
		/* Two disks on one backing file: one workload. */
		for (j = 0; j < i && !(items[j].kind == items[i].kind &&
				       !strcmp(items[j].path, items[i].path)); j++)
			;
		if (j < i)
			continue;
		if (++*nwl > HG_REMOTE_MAX_WORKLOADS) {
			reasonf(reason, rlen, "more than %d config, image and overlay files: the verifier judges at most that many per start",
				HG_REMOTE_MAX_WORKLOADS);
			goto out;
		}
		snprintf(kn, sizeof(kn), "%s:%s", hg_kind_name(items[i].kind), items[i].path);
		if (!(esc = curl_easy_escape(e, kn, 0))) {
			reasonf(reason, rlen, "out of memory");
			goto out;
		}
		fprintf(f, "&workload=%s", esc);
		curl_free(esc);
	}
	if (fclose(f) != 0) {
		f = NULL;
		reasonf(reason, rlen, "out of memory");
		goto out;
	}
	f = NULL;
	if (!(u = url_of(r->cfg, q))) {
		reasonf(reason, rlen, "out of memory");
		goto out;
	}
	ret = u;
	u = NULL;
out:
	if (f)
		fclose(f);
	if (e)
		curl_easy_cleanup(e);
	free(q);
	free(u);
	return ret;
}

/* What the EAR must vouch for: every config and image item, in every
 * bank the gate measured it in (overlays have no digest: the service
 * judges them by path alone). Kind and name are borrowed. */
static struct hg_ear_digest *wanted(const struct hg_mitem *items, size_t n, size_t *nw)
{
	struct hg_ear_digest *w = calloc(n * HG_MAX_BANKS + 1, sizeof(*w));

	*nw = 0;
	if (!w)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!hg_kind_is_workload(items[i].kind) || !hg_kind_hashed(items[i].kind))
			continue;
		for (size_t b = 0; b < items[i].file.n; b++) {
			struct hg_ear_digest *d = &w[(*nw)++];

			d->kind = (char *)hg_kind_name(items[i].kind);
			d->name = (char *)items[i].path;
			d->record = items[i].recnum;
			d->alg = items[i].file.v[b].alg;
			d->len = items[i].file.v[b].len;
			memcpy(d->d, items[i].file.v[b].d, d->len);
		}
	}
	return w;
}

int hg_remote_attest(struct hg_remote *r, const uint8_t nonce[HG_REMOTE_NONCE],
		     const uint8_t *ev, size_t evlen,
		     const struct hg_mitem *items, size_t n,
		     char *reason, size_t rlen)
{
	const char *vurl = r->cfg->verifier_url;
	struct hg_ear_claims c = { 0 };
	struct hg_ear_digest *want = NULL;
	const struct hg_ear_submod *sm;
	json_object *o = NULL, *ear;
	uint8_t *tok = NULL;
	size_t toklen = 0, nwant = 0, nwl = 0;
	char *url = NULL, err[512];
	int ret = -1;

	if (!(url = attest_url(r, nonce, items, n, &nwl, reason, rlen)))
		goto out;
	if (!nwl) {
		/* Never an unscoped judgement: it would vouch for every VM. */
		reasonf(reason, rlen, "no config, image or overlay to judge");
		goto out;
	}
	if (request(r, "POST /v1/attest", url, ev, evlen, &o, reason, rlen) < 0)
		goto out;
	ear = json_object_object_get(o, "ear");
	if (!json_object_is_type(ear, json_type_string)) {
		reasonf(reason, rlen, "verifier %s: POST /v1/attest: no EAR in the answer (does the service have --ear-key?)",
			vurl);
		goto out;
	}
	if (b64url_decode(json_object_get_string(ear), (size_t)json_object_get_string_len(ear),
			  &tok, &toklen) < 0) {
		reasonf(reason, rlen, "verifier %s: the EAR is not base64url", vurl);
		goto out;
	}
	/* The signature under the pinned key first; only then its claims
	 * (signature, profile, iat, exp: lib/ear.h). */
	if (hg_ear_verify(tok, toklen, r->ear_key, (int64_t)time(NULL), &c, err, sizeof(err)) != 0) {
		reasonf(reason, rlen, "verifier %s: EAR: %s", vurl, err);
		goto out;
	}
	if (c.nonce_len != HG_REMOTE_NONCE || CRYPTO_memcmp(c.nonce, nonce, HG_REMOTE_NONCE)) {
		reasonf(reason, rlen, "verifier %s: EAR: its eat_nonce is not the nonce this start asked for (a replayed or another start's result)",
			vurl);
		goto out;
	}
	if (!(sm = hg_ear_submod_find(&c, r->host))) {
		reasonf(reason, rlen, "verifier %s: EAR: no submodule for this host \"%s\" (a result for another host)",
			vurl, r->host);
		goto out;
	}
	if (sm->status != HG_EAR_AFFIRMING) {
		json_object *st = json_object_object_get(o, "state");
		char s[64];

		clean(json_object_is_type(st, json_type_string) ? json_object_get_string(st) : NULL,
		      s, sizeof(s));
		reasonf(reason, rlen, "verifier %s: EAR: host \"%s\" is %s, not affirming%s%s%s", vurl,
			r->host, hg_ear_status_name(sm->status) ? hg_ear_status_name(sm->status) : "?",
			*s ? " (state " : "", s, *s ? ")" : "");
		goto out;
	}
	/* A hashed item the gate holds no digest of would go unchecked. */
	for (size_t i = 0; i < n; i++)
		if (hg_kind_is_workload(items[i].kind) && hg_kind_hashed(items[i].kind) &&
		    !items[i].file.n) {
			reasonf(reason, rlen, "%s %s: no digest measured to compare the EAR with",
				hg_kind_name(items[i].kind), items[i].path);
			goto out;
		}
	if (!(want = wanted(items, n, &nwant))) {
		reasonf(reason, rlen, "out of memory");
		goto out;
	}
	if (!nwant || hg_ear_submod_covers(sm, want, nwant, err, sizeof(err)) < 0) {
		reasonf(reason, rlen, "verifier %s: EAR: %s: not exactly this domain's measurements",
			vurl, nwant ? err : "nothing to vouch for");
		goto out;
	}
	reasonf(reason, rlen, "trusted (EAR of %s)", vurl);
	ret = 0;
out:
	hg_ear_claims_free(&c);
	json_object_put(o);
	free(want);
	free(tok);
	free(url);
	return ret;
}
