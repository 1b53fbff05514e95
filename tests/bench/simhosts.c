/* simhosts.c: a simulated host population for `make bench-service`
 * (tools/bench-service.sh). BENCH ONLY: software "AKs" that sign quotes
 * no TPM made. It is built under build/bench/, never installed, never
 * linked into hostgate-attest or hostgate-verify.
 *
 *   simhosts enroll DB KEYS N URLBASE GROUPSIZE
 *       Makes N ECDSA P-256 keys (KEYS: each a 2-byte big-endian length
 *       and the DER private key), and enrolls hosts sim00000..simN-1 in
 *       the registry DB through the registry's own API, the way
 *       `hostgate-verify enroll` stores a host once its challenge is
 *       answered (hv_reg_challenge_add, hv_reg_enroll), with the key's
 *       public area as the AK (TPM2B_PUBLIC, hostgate's AK template);
 *       then agent URL URLBASE/h/NAME (hv_reg_host_set_agent) and group
 *       "b" + (index / GROUPSIZE) (hv_reg_host_set_group), so that a
 *       policy assigned to the first K groups puts K * GROUPSIZE hosts
 *       under attestation. The EK is a placeholder (no certificate was
 *       verified: nothing here is a TPM).
 *
 *   simhosts serve KEYS TEMPLATE LISTEN CERT KEY CA [DUMPDIR K]
 *       One evhttp + bufferevent_openssl listener (lib/httpsd.c, the
 *       agent's own server code) at LISTEN, mutual TLS (clients must
 *       chain to CA), answering POST /h/NAME/v1/evidence {"nonce": HEX}
 *       as the agent answers POST /v1/evidence: an evidence bundle for
 *       that nonce. TEMPLATE is a real bundle (hostgate-attest quote on a
 *       swtpm); its log, PCR values and quote are every host's, and each
 *       answer is the template's TPMS_ATTEST with extraData = the nonce
 *       and qualifiedSigner = the host's AK Name, marshalled with
 *       Tss2_MU_TPMS_ATTEST_Marshal, signed (ECDSA, SHA-256) by the
 *       host's key, its TPMT_SIGNATURE marshalled with tss2-mu. The
 *       quoted pcrDigest is the template's: the same PCR values, hashed
 *       with the same scheme hash (the template's AK must be ECDSA
 *       SHA-256, as the hosts' are). So every answer replays and
 *       verifies exactly as a real host's would, with the host's AK.
 *       With DUMPDIR, the first K answers are also written there
 *       (evI.cbor, akI.pub, nonceI), for tpm2_checkquote to check the
 *       very quotes the service checked. Prints "listening on ADDR" and
 *       runs until SIGTERM/SIGINT, then prints its request count.
 *       With SIMHOSTS_TAMPER=FILE in the environment, a host whose name
 *       is a line of FILE (read at each request; absent: none) quotes a
 *       pcrDigest with one bit flipped: its PCRs no longer match the log,
 *       as on a host whose boot was tampered with (tests only).
 *
 * Exit: 0 ok, 1 failure, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <tss2/tss2_mu.h>

#include "../../lib/cbor_w.h"
#include "../../lib/evidence.h"
#include "../../lib/httpsd.h"
#include "../../lib/tpmpub.h"
#include "../../lib/util.h"
#include "../../verifier/registry/registry.h"
#include "../../verifier/registry/registry_int.h"

#define MAX_HOSTS 100000
#define NAME_FMT "sim%05u"

struct host {
	EVP_PKEY *key;
	uint8_t ak[sizeof(TPM2B_PUBLIC)];
	size_t ak_len;
	TPM2B_NAME name;
};

struct sim {
	struct host *h;
	unsigned n;
	uint8_t *tpl_buf;
	struct hg_evidence tpl;
	TPMS_ATTEST base;
	const char *dumpdir;
	unsigned dump_max, dumped;
	uint64_t served, refused;
	struct event_base *base_ev;
};

static void die(const char *what, const char *why)
{
	fprintf(stderr, "simhosts: %s: %s\n", what, why);
	exit(1);
}

static int bn_out(EVP_PKEY *k, const char *param, TPM2B_ECC_PARAMETER *out)
{
	BIGNUM *bn = NULL;
	int ok = EVP_PKEY_get_bn_param(k, param, &bn) &&
		 BN_bn2binpad(bn, out->buffer, 32) == 32;

	out->size = 32;
	BN_free(bn);
	return ok ? 0 : -1;
}

/* KEY's public part as hostgate's AK template has it (attest/tpm.c):
 * ECC P-256, restricted signing, ECDSA SHA-256, nameAlg SHA-256; and its
 * Name. */
static int host_ak(struct host *h)
{
	TPM2B_PUBLIC pub = { 0 };
	TPMT_PUBLIC *p = &pub.publicArea;
	const char *why;
	size_t off = 0, nlen = 0;

	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = 0x00050072;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	if (bn_out(h->key, OSSL_PKEY_PARAM_EC_PUB_X, &p->unique.ecc.x) < 0 ||
	    bn_out(h->key, OSSL_PKEY_PARAM_EC_PUB_Y, &p->unique.ecc.y) < 0 ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, h->ak, sizeof(h->ak), &off) != TSS2_RC_SUCCESS)
		return -1;
	h->ak_len = off;
	if (hg_ak_name(h->ak, h->ak_len, h->name.name, &nlen, &why) < 0)
		return -1;
	h->name.size = (UINT16)nlen;
	return 0;
}

/* ---- enroll ------------------------------------------------------------ */

static int enroll_one(struct hv_reg *reg, struct host *h, unsigned i,
		      const char *urlbase, unsigned groupsize, int64_t now)
{
	struct hv_challenge c = { 0 };
	char name[32], cert[64], url[HV_URL_MAX + 1], group[32];
	int r;

	snprintf(name, sizeof(name), NAME_FMT, i);
	/* A placeholder EK: distinct per host (the registry's one-TPM-one-
	 * host rule), no certificate anyone verified. */
	snprintf(cert, sizeof(cert), "bench-only simulated EK of %s", name);
	if (RAND_bytes(c.id, sizeof(c.id)) != 1)
		return -1;
	c.host = name;
	c.ek_cert = (uint8_t *)cert;
	c.ek_cert_len = strlen(cert);
	SHA256(c.ek_cert, c.ek_cert_len, c.ek_fpr);
	SHA256((const uint8_t *)name, strlen(name), c.ek_key);
	c.ak_pub = h->ak;
	c.ak_pub_len = h->ak_len;
	memcpy(c.ak_name, h->name.name, h->name.size);
	c.ak_name_len = h->name.size;
	c.created_at = now;
	c.expires_at = now + 3600;
	if (hv_reg_challenge_add(reg, &c) < 0)
		return -1;
	if ((r = hv_reg_enroll(reg, c.id, now, NULL, NULL, NULL)) != 0) {
		fprintf(stderr, "simhosts: %s: enrollment refused (%d)\n", name, r);
		return -1;
	}
	snprintf(url, sizeof(url), "%s/h/%s", urlbase, name);
	snprintf(group, sizeof(group), "b%u", i / groupsize);
	if (hv_reg_host_set_agent(reg, name, url) != 0 ||
	    hv_reg_host_set_group(reg, name, group) != 0)
		return -1;
	return 0;
}

static int enroll_main(int argc, char **argv)
{
	struct hv_reg *reg = NULL;
	struct host h = { 0 };
	unsigned long n, gs;
	FILE *f;
	int64_t now = (int64_t)time(NULL);
	uint8_t *der = NULL;
	int len;

	if (argc != 7 || hg_parse_uint(argv[4], MAX_HOSTS, &n) < 0 || !n ||
	    hg_parse_uint(argv[6], MAX_HOSTS, &gs) < 0 || !gs) {
		fprintf(stderr, "usage: simhosts enroll DB KEYS N URLBASE GROUPSIZE\n");
		return 2;
	}
	if (hv_reg_open(argv[2], HV_REG_RDWR, &reg) < 0)
		return 1;
	/* Setting up the bench's own registry only: 4 transactions a host,
	 * not each flushed to disk (a crash here loses a bench set-up). The
	 * service opens the file afresh, with SQLite's default. */
	if (!REG_PG(reg) &&
	    reg_exec(reg, "PRAGMA synchronous = OFF", "bench set-up") < 0)
		return 1;
	if (!(f = fopen(argv[3], "wb")))
		die(argv[3], "cannot write");
	for (unsigned i = 0; i < n; i++) {
		if (!(h.key = EVP_EC_gen("P-256")) || host_ak(&h) < 0)
			die(argv[3], "key generation failed");
		der = NULL;
		if ((len = i2d_PrivateKey(h.key, &der)) <= 0 || len > 0xffff ||
		    fputc(len >> 8, f) == EOF || fputc(len & 0xff, f) == EOF ||
		    fwrite(der, 1, (size_t)len, f) != (size_t)len)
			die(argv[3], "write failed");
		OPENSSL_clear_free(der, (size_t)len);
		if (enroll_one(reg, &h, i, argv[5], (unsigned)gs, now) < 0)
			die(argv[2], "enrollment failed");
		EVP_PKEY_free(h.key);
		h.key = NULL;
	}
	if (fclose(f) != 0)
		die(argv[3], "write failed");
	hv_reg_close(reg);
	printf("enrolled %lu hosts\n", n);
	return 0;
}

/* ---- serve ------------------------------------------------------------- */

static void load_keys(struct sim *s, const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0, off = 0;
	const uint8_t *p;

	if (hg_read_file(path, (size_t)MAX_HOSTS * 300, 0, &buf, &len) < 0)
		die(path, "cannot read");
	if (!(s->h = calloc(MAX_HOSTS, sizeof(*s->h))))
		die(path, "out of memory");
	while (off < len) {
		size_t n;

		if (len - off < 2 || s->n == MAX_HOSTS)
			die(path, "damaged");
		n = (size_t)buf[off] << 8 | buf[off + 1];
		off += 2;
		if (n > len - off)
			die(path, "damaged");
		p = buf + off;
		s->h[s->n].key = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, (long)n);
		if (!s->h[s->n].key || p != buf + off + n || host_ak(&s->h[s->n]) < 0)
			die(path, "a key does not load");
		s->n++;
		off += n;
	}
	OPENSSL_clear_free(buf, len);
}

static void load_template(struct sim *s, const char *path)
{
	size_t len = 0, off = 0;
	const char *why;
	struct hg_ak ak = { 0 };

	if (hg_read_file(path, HG_EVIDENCE_MAX_SIZE, 0, &s->tpl_buf, &len) < 0 ||
	    hg_evidence_decode(s->tpl_buf, len, &s->tpl, &why) < 0)
		die(path, "not an evidence bundle");
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(s->tpl.attest, s->tpl.attest_len,
					  &off, &s->base) != TSS2_RC_SUCCESS ||
	    off != s->tpl.attest_len || s->base.type != TPM2_ST_ATTEST_QUOTE)
		die(path, "the quote does not decode");
	/* The pcrDigest is hashed with the signing scheme's hash: the
	 * template's AK must use the hosts' (SHA-256). */
	if (hg_ak_decode(s->tpl.ak, s->tpl.ak_len, &ak, &why) < 0 ||
	    ak.hash != TPM2_ALG_SHA256)
		die(path, "the AK is not a SHA-256 signing key");
	hg_ak_free(&ak);
}

static int sign_quote(struct host *h, const uint8_t *attest, size_t alen,
		      uint8_t *sig, size_t *slen)
{
	TPMT_SIGNATURE ts = { .sigAlg = TPM2_ALG_ECDSA };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t der[160];
	const uint8_t *pd = der;
	size_t dlen = sizeof(der);
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *sv;
	int ret = -1;

	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, h->key) != 1 ||
	    EVP_DigestSign(ctx, der, &dlen, attest, alen) != 1 ||
	    !(es = d2i_ECDSA_SIG(NULL, &pd, (long)dlen)))
		goto out;
	ECDSA_SIG_get0(es, &r, &sv);
	ts.signature.ecdsa.hash = TPM2_ALG_SHA256;
	ts.signature.ecdsa.signatureR.size = 32;
	ts.signature.ecdsa.signatureS.size = 32;
	if (BN_bn2binpad(r, ts.signature.ecdsa.signatureR.buffer, 32) != 32 ||
	    BN_bn2binpad(sv, ts.signature.ecdsa.signatureS.buffer, 32) != 32)
		goto out;
	*slen = 0;
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(&ts, sig, sizeof(TPMT_SIGNATURE), slen) !=
	    TSS2_RC_SUCCESS)
		goto out;
	ret = 0;
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return ret;
}

static void dump(struct sim *s, const struct hg_evidence *e, const uint8_t *ev,
		 size_t len)
{
	char path[4096], hex[2 * HG_NONCE_MAX + 2];
	unsigned i = s->dumped++;

	snprintf(path, sizeof(path), "%s/ev%u.cbor", s->dumpdir, i);
	hg_write_file_atomic(path, ev, len, 0644);
	snprintf(path, sizeof(path), "%s/ak%u.pub", s->dumpdir, i);
	hg_write_file_atomic(path, e->ak, e->ak_len, 0644);
	hg_hex_encode(e->nonce, e->nonce_len, hex);
	strcat(hex, "\n");
	snprintf(path, sizeof(path), "%s/nonce%u", s->dumpdir, i);
	hg_write_file_atomic(path, hex, strlen(hex), 0644);
}

/* 1 if host IDX is listed in $SIMHOSTS_TAMPER. */
static int tampered(unsigned long idx)
{
	const char *path = getenv("SIMHOSTS_TAMPER");
	char want[32], line[64];
	FILE *f;
	int hit = 0;

	if (!path || !(f = fopen(path, "r")))
		return 0;
	snprintf(want, sizeof(want), NAME_FMT, (unsigned)idx);
	while (!hit && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		hit = !strcmp(line, want);
	}
	fclose(f);
	return hit;
}

/* POST /h/NAME/v1/evidence: the host NAME's evidence, or 4xx. */
static void on_request(struct evhttp_request *req, void *arg)
{
	struct sim *s = arg;
	const char *uri = evhttp_request_get_uri(req), *q;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	char body[512], *end;
	size_t blen = evbuffer_get_length(in), alen = 0, slen = 0, evlen = 0;
	json_object *j = NULL, *jn;
	uint8_t *nonce = NULL, attest[sizeof(TPMS_ATTEST)], sig[sizeof(TPMT_SIGNATURE)];
	uint8_t *ev = NULL;
	size_t nlen = 0;
	unsigned long idx;
	struct hg_evidence e;
	TPMS_ATTEST a;
	struct cw w;
	struct host *h;

	cw_init(&w);
	if (strncmp(uri, "/h/sim", 6) || !(q = strchr(uri + 3, '/')) ||
	    strcmp(q, "/v1/evidence") || q - (uri + 6) != 5 ||
	    (idx = strtoul(uri + 6, &end, 10), end != q) || idx >= s->n) {
		hg_httpsd_reply_error(req, 404, "no such host");
		goto refused;
	}
	h = &s->h[idx];
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		hg_httpsd_reply_error(req, 405, "POST only");
		goto refused;
	}
	if (blen >= sizeof(body) ||
	    evbuffer_remove(in, body, blen) != (int)blen) {
		hg_httpsd_reply_error(req, 400, "bad body");
		goto refused;
	}
	body[blen] = '\0';
	if (!(j = json_tokener_parse(body)) ||
	    !json_object_object_get_ex(j, "nonce", &jn) ||
	    !json_object_is_type(jn, json_type_string) ||
	    hg_hex_decode(json_object_get_string(jn), HG_NONCE_MAX, &nonce, &nlen) < 0 ||
	    nlen < HG_NONCE_MIN) {
		hg_httpsd_reply_error(req, 400, "bad nonce");
		goto refused;
	}
	a = s->base;
	a.extraData.size = (UINT16)nlen;
	memcpy(a.extraData.buffer, nonce, nlen);
	a.qualifiedSigner = h->name;
	if (tampered(idx) && a.attested.quote.pcrDigest.size)
		a.attested.quote.pcrDigest.buffer[0] ^= 1;
	if (Tss2_MU_TPMS_ATTEST_Marshal(&a, attest, sizeof(attest), &alen) != TSS2_RC_SUCCESS ||
	    sign_quote(h, attest, alen, sig, &slen) < 0) {
		hg_httpsd_reply_error(req, 500, "signing failed");
		goto refused;
	}
	e = s->tpl;
	e.nonce = nonce;
	e.nonce_len = nlen;
	e.attest = attest;
	e.attest_len = alen;
	e.sig = sig;
	e.sig_len = slen;
	e.ak = h->ak;
	e.ak_len = h->ak_len;
	if (hg_evidence_encode(&e, &w) < 0 || !(ev = cw_take(&w, &evlen))) {
		hg_httpsd_reply_error(req, 500, "encoding failed");
		goto refused;
	}
	if (s->dumpdir && s->dumped < s->dump_max)
		dump(s, &e, ev, evlen);
	hg_httpsd_reply_bytes(req, 200, "application/cbor", ev, evlen);
	s->served++;
	goto out;
refused:
	s->refused++;
out:
	free(ev);
	cw_free(&w);
	free(nonce);
	json_object_put(j);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(((struct sim *)arg)->base_ev, NULL);
}

static int serve_main(int argc, char **argv)
{
	struct sim s = { 0 };
	struct hg_httpsd_conf c = {
		.max_body = 4096, .max_headers = 8192,
		/* The service keeps its connections alive between pulls. */
		.timeout_s = 300, .max_conns = 60000,
	};
	struct hg_httpsd *d;
	struct event *sig1, *sig2;
	unsigned long k = 0;
	char err[512];

	if ((argc != 8 && argc != 10) ||
	    (argc == 10 && hg_parse_uint(argv[9], 100000, &k) < 0)) {
		fprintf(stderr, "usage: simhosts serve KEYS TEMPLATE LISTEN CERT KEY CA [DUMPDIR K]\n");
		return 2;
	}
	load_keys(&s, argv[2]);
	load_template(&s, argv[3]);
	if (argc == 10) {
		s.dumpdir = argv[8];
		s.dump_max = (unsigned)k;
	}
	c.listen = argv[4];
	c.cert_file = argv[5];
	c.key_file = argv[6];
	c.client_ca_file = argv[7];
	if (!(s.base_ev = event_base_new()))
		die("serve", "no event base");
	if (!(d = hg_httpsd_new(s.base_ev, &c, err, sizeof(err))))
		die("serve", err);
	hg_httpsd_fallback(d, on_request, &s);
	sig1 = evsignal_new(s.base_ev, SIGTERM, on_signal, &s);
	sig2 = evsignal_new(s.base_ev, SIGINT, on_signal, &s);
	if (!sig1 || !sig2 || evsignal_add(sig1, NULL) || evsignal_add(sig2, NULL))
		die("serve", "cannot catch signals");
	printf("listening on %s (%u hosts)\n", hg_httpsd_address(d), s.n);
	fflush(stdout);
	event_base_dispatch(s.base_ev);
	fprintf(stderr, "simhosts: %llu evidence answers, %llu refused\n",
		(unsigned long long)s.served, (unsigned long long)s.refused);
	hg_httpsd_free(d);
	event_free(sig1);
	event_free(sig2);
	event_base_free(s.base_ev);
	for (unsigned i = 0; i < s.n; i++)
		EVP_PKEY_free(s.h[i].key);
	free(s.h);
	free(s.tpl_buf);
	return 0;
}

int main(int argc, char **argv)
{
	hg_progname = "simhosts";
	if (argc >= 2 && !strcmp(argv[1], "enroll"))
		return enroll_main(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return serve_main(argc, argv);
	fprintf(stderr, "usage: simhosts enroll DB KEYS N URLBASE GROUPSIZE\n"
			"       simhosts serve KEYS TEMPLATE LISTEN CERT KEY CA [DUMPDIR K]\n");
	return 2;
}
