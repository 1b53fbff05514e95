/* make-seeds.c: write valid seed inputs for the libFuzzer targets.
 *
 * Usage: make-seeds OUTDIR
 *
 * Builds, with the lib/ encoders, a real signed log of 3 records (log-key
 * record 0, then two file records; banks sha1 + sha256; PCR 13; key from
 * EVP_EC_gen("P-256")), checks that hg_log_parse() accepts it, and writes
 *   OUTDIR/fuzz_log/   seed-log3 (the log), seed-log1 (record 0 only),
 *                      seed-log3-torn (the log cut inside record 2),
 *                      seed-log3-2pcr (record 2 in PCR 14), and logs
 *                      that are signed and hash-bound but break one rule
 *                      of hg_log_parse() (seed-bad-*): a mutation can't
 *                      fix up SHA digests or ECDSA signatures, so these
 *                      paths are reached through seeds only
 *   OUTDIR/fuzz_cel/   seed-cel-file, seed-cel-logkey, seed-cel-launch
 *                      (COSE_Sign1 payloads),
 *                      seed-cel-logkey-sha384-512 (other banks), and two
 *                      hash-bound records whose file digests cover other
 *                      banks than the record's (seed-cel-bad-banks-*)
 *   OUTDIR/fuzz_cose/  seed-sign1 (record 1's COSE_Sign1), seed-cose-key
 *   OUTDIR/fuzz_cbor/  the above as raw CBOR, plus seed-ops-cel: an op
 *                      prefix for fuzz_cbor's structured walk that reads
 *                      a file record field by field
 * The key is fresh on every run; file names are fixed, so a new run
 * overwrites the previous seeds instead of piling them up. Built and run
 * by tests/fuzz/run.sh; nothing it writes is committed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "cbor_w.h"
#include "cel.h"
#include "cose.h"
#include "digest.h"
#include "ear.h"
#include "hglog.h"

#define PCR 13

static const char *outdir;

static void die(const char *what)
{
	fprintf(stderr, "make-seeds: %s\n", what);
	exit(1);
}

static void put(const char *target, const char *name, const void *p,
		size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("mkdir failed");
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0)
		die("write failed");
}

/* File digests of some stand-in content, in every bank of ALGS. */
static void file_digests(const char *content, const uint16_t *algs,
			 size_t nalgs, struct hg_digests *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nalgs; i++)
		if (hg_hash(algs[i], content, strlen(content), &out->v[i]) < 0)
			die("hg_hash failed");
	out->n = nalgs;
}

/* Append one COSE_Sign1 of PAY by K to LOG. */
static void append_signed(struct cw *log, EVP_PKEY *k, const struct cw *pay)
{
	if (pay->err || hg_cose_sign1(k, pay->buf, pay->len, log) < 0)
		die("hg_cose_sign1 failed");
}

/* A log of N records, each signed by its key. hg_log_parse() should
 * accept it (EXPECT NULL) or refuse it with EXPECT; a warning, not a
 * failure, when not: the seed is still worth having. */
static void put_log(const char *name, EVP_PKEY *const *keys,
		    const struct cw *const *pays, size_t n, const char *expect)
{
	struct hg_log parsed;
	struct hg_log_err err;
	struct cw log;
	int ret;

	cw_init(&log);
	for (size_t i = 0; i < n; i++)
		append_signed(&log, keys[i], pays[i]);
	ret = hg_log_parse(log.buf, log.len, &parsed, &err);
	if (expect ? ret == 0 || !strstr(err.msg, expect) : ret != 0)
		fprintf(stderr, "make-seeds: warning: %s: expected \"%s\", got \"%s\"\n",
			name, expect ? expect : "ok", ret ? err.msg : "ok");
	hg_log_free(&parsed);
	put("fuzz_log", name, log.buf, log.len);
	cw_free(&log);
}

/* A CEL record that hg_cel_decode() should refuse with EXPECT (or accept,
 * EXPECT NULL); a warning when not. */
static void put_cel(const char *name, const struct cw *r, const char *expect)
{
	struct hg_cel_rec rec;
	const char *why = "ok";
	int ret = hg_cel_decode(r->buf, r->len, &rec, &why);

	if (expect ? ret == 0 || !strstr(why, expect) : ret != 0)
		fprintf(stderr, "make-seeds: warning: %s: expected \"%s\", got \"%s\"\n",
			name, expect ? expect : "ok", ret ? why : "ok");
	put("fuzz_cel", name, r->buf, r->len);
}

/* A record around CONTENT, its digests in ALGS bound to the content: what
 * cel.c's encoders do, for contents they refuse to make. */
static void raw_record(struct cw *out, uint64_t recnum, uint32_t pcr,
		       const uint16_t *algs, size_t nalgs,
		       const struct cw *content)
{
	cw_init(out);
	cw_map(out, 4);
	cw_uint(out, 0);
	cw_uint(out, recnum);
	cw_uint(out, 1);
	cw_uint(out, pcr);
	cw_uint(out, 3);
	cw_array(out, nalgs);
	for (size_t i = 0; i < nalgs; i++) {
		struct hg_digest d;

		if (hg_hash(algs[i], content->buf, content->len, &d) < 0)
			die("hg_hash failed");
		cw_array(out, 2);
		cw_uint(out, algs[i]);
		cw_bytes(out, d.d, d.len);
	}
	cw_uint(out, HG_CEL_CONTENT_HOSTGATE);
	cw_raw(out, content->buf, content->len);
	if (out->err)
		die("out of memory");
}

/* A file content map whose file digests are in FALGS. */
static void file_content(struct cw *c, const uint16_t *falgs, size_t n)
{
	struct hg_digests fd;

	file_digests("stand-in for a config file\n", falgs, n, &fd);
	cw_init(c);
	cw_map(c, 5);
	cw_uint(c, 0);
	cw_uint(c, HG_CT_FILE);
	cw_uint(c, 1);
	cw_textz(c, "config");
	cw_uint(c, 2);
	cw_textz(c, "/etc/hostgate/vm.xml");
	cw_uint(c, 3);
	cw_uint(c, 27);
	cw_uint(c, 4);
	cw_array(c, fd.n);
	for (size_t i = 0; i < fd.n; i++) {
		cw_array(c, 2);
		cw_uint(c, fd.v[i].alg);
		cw_bytes(c, fd.v[i].d, fd.v[i].len);
	}
	if (c->err)
		die("out of memory");
}

/* Seeds that are valid CBOR, signed and hash-bound, but break one rule. */
static void rule_seeds(EVP_PKEY *k, const struct cw *key, const uint16_t *algs,
		       const struct cw *pay)
{
	static const uint16_t sha256[] = { HG_ALG_SHA256 };
	static const uint16_t sha1_384[] = { HG_ALG_SHA1, HG_ALG_SHA384 };
	static const uint16_t sha384_512[] = { HG_ALG_SHA384, HG_ALG_SHA512 };
	struct cw f0, f2p, k1, badk, bank1, c, r;
	struct hg_digests fd;
	EVP_PKEY *k2 = EVP_EC_gen("P-256");
	uint8_t *bad;

	if (!k2)
		die("EVP_EC_gen(P-256) failed");

	/* Record 0 is a file record. */
	file_digests("x", algs, 2, &fd);
	cw_init(&f0);
	if (hg_cel_encode_file(0, PCR, HG_KIND_IMAGE, "/var/lib/vm.img", 1,
			       &fd, &f0) < 0)
		die("hg_cel_encode_file failed");
	put_log("seed-bad-first-file", (EVP_PKEY *[]){ k },
		(const struct cw *[]){ &f0 }, 1,
		"first record does not pin the log key");

	/* Record 0's key is not on P-256 (y changed). */
	bad = malloc(key->len);
	if (!bad)
		die("out of memory");
	memcpy(bad, key->buf, key->len);
	bad[key->len - 1] ^= 0x01;
	cw_init(&badk);
	if (hg_cel_encode_log_key(0, PCR, algs, 2, bad, key->len, &badk) < 0)
		die("hg_cel_encode_log_key failed");
	put_log("seed-bad-key", (EVP_PKEY *[]){ k },
		(const struct cw *[]){ &badk }, 1,
		"not on P-256");
	free(bad);

	/* Record 1 uses sha256 only. */
	file_digests("x", sha256, 1, &fd);
	cw_init(&bank1);
	if (hg_cel_encode_file(1, PCR, HG_KIND_CONFIG, "/etc/x", 1, &fd,
			       &bank1) < 0)
		die("hg_cel_encode_file failed");
	put_log("seed-bad-banks", (EVP_PKEY *[]){ k, k },
		(const struct cw *[]){ &pay[0], &bank1 }, 2,
		"other banks than record 0");

	/* Record 1 is a second log-key record. */
	cw_init(&k1);
	if (hg_cel_encode_log_key(1, PCR, algs, 2, key->buf, key->len, &k1) < 0)
		die("hg_cel_encode_log_key failed");
	put_log("seed-bad-second-key", (EVP_PKEY *[]){ k, k },
		(const struct cw *[]){ &pay[0], &k1 }, 2,
		"second log-key record");

	/* Record 1 signed by another key; record 2 at position 1. */
	put_log("seed-bad-sig", (EVP_PKEY *[]){ k, k2 },
		(const struct cw *[]){ &pay[0], &pay[1] }, 2,
		"signature invalid");
	put_log("seed-bad-recnum", (EVP_PKEY *[]){ k, k },
		(const struct cw *[]){ &pay[0], &pay[2] }, 2,
		"recnum out of sequence");

	/* A valid log over two PCRs. */
	file_digests("y", algs, 2, &fd);
	cw_init(&f2p);
	if (hg_cel_encode_file(2, PCR + 1, HG_KIND_IMAGE, "/var/lib/vm.img",
			       1, &fd, &f2p) < 0)
		die("hg_cel_encode_file failed");
	put_log("seed-log3-2pcr", (EVP_PKEY *[]){ k, k, k },
		(const struct cw *[]){ &pay[0], &pay[1], &f2p }, 3,
		NULL);

	/* CEL: file digests in fewer banks than the record, or others. */
	file_content(&c, algs, 1);
	raw_record(&r, 1, PCR, algs, 2, &c);
	put_cel("seed-cel-bad-banks-count", &r, "cover different banks");
	cw_free(&r);
	cw_free(&c);
	file_content(&c, sha1_384, 2);
	raw_record(&r, 1, PCR, algs, 2, &c);
	put_cel("seed-cel-bad-banks-set", &r, "cover different banks");
	cw_free(&r);
	cw_free(&c);
	cw_init(&r);
	if (hg_cel_encode_log_key(0, PCR, sha384_512, 2, key->buf, key->len,
				  &r) < 0)
		die("hg_cel_encode_log_key failed");
	put_cel("seed-cel-logkey-sha384-512", &r, NULL);
	cw_free(&r);

	/* CEL: an overlay (path only), and one that carries a size. */
	cw_init(&r);
	if (hg_cel_encode_path(3, PCR, HG_KIND_OVERLAY,
			       "/var/lib/libvirt/images/vm1.qcow2", algs, 2,
			       &r) < 0)
		die("hg_cel_encode_path failed");
	put_cel("seed-cel-overlay", &r, NULL);
	cw_free(&r);
	cw_init(&c);
	cw_map(&c, 4);
	cw_uint(&c, 0);
	cw_uint(&c, HG_CT_FILE);
	cw_uint(&c, 1);
	cw_textz(&c, "overlay");
	cw_uint(&c, 2);
	cw_textz(&c, "/var/lib/libvirt/images/vm1.qcow2");
	cw_uint(&c, 3);
	cw_uint(&c, 0);
	raw_record(&r, 3, PCR, algs, 2, &c);
	put_cel("seed-cel-overlay-with-size", &r, "overlay record has a size");
	cw_free(&r);
	cw_free(&c);

	cw_free(&f2p);
	cw_free(&k1);
	cw_free(&bank1);
	cw_free(&badk);
	cw_free(&f0);
	EVP_PKEY_free(k2);
}

int main(int argc, char **argv)
{
	static const uint16_t algs[] = { HG_ALG_SHA1, HG_ALG_SHA256 };
	static const struct {
		enum hg_kind kind;
		const char *name;
		const char *content;
	} files[] = {
		{ HG_KIND_HYPERVISOR, "/usr/bin/qemu-system-x86_64",
		  "stand-in for the hypervisor binary\n" },
		{ HG_KIND_FIRMWARE, "/usr/share/OVMF/OVMF_CODE_4M.fd",
		  "stand-in for the firmware image\n" },
	};
	struct cw key = { 0 }, pay[3] = { { 0 } }, log = { 0 }, one = { 0 };
	struct cw ops = { 0 };
	size_t rec_end[3];
	struct hg_log parsed;
	struct hg_log_err err;
	EVP_PKEY *k;

	if (argc != 2)
		die("usage: make-seeds OUTDIR");
	outdir = argv[1];
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST)
		die("mkdir OUTDIR failed");

	k = EVP_EC_gen("P-256");
	if (!k)
		die("EVP_EC_gen(P-256) failed");
	cw_init(&key);
	if (hg_cose_key_encode(k, &key) < 0)
		die("hg_cose_key_encode failed");

	/* Record 0 pins the key; records 1 and 2 are files. */
	cw_init(&pay[0]);
	if (hg_cel_encode_log_key(0, PCR, algs, 2, key.buf, key.len,
				  &pay[0]) < 0)
		die("hg_cel_encode_log_key failed");
	for (size_t i = 0; i < 2; i++) {
		struct hg_digests fd;

		file_digests(files[i].content, algs, 2, &fd);
		cw_init(&pay[i + 1]);
		if (hg_cel_encode_file(i + 1, PCR, files[i].kind, files[i].name,
				       strlen(files[i].content), &fd,
				       &pay[i + 1]) < 0)
			die("hg_cel_encode_file failed");
	}
	cw_init(&log);
	for (size_t i = 0; i < 3; i++) {
		if (hg_cose_sign1(k, pay[i].buf, pay[i].len, &log) < 0)
			die("hg_cose_sign1 failed");
		rec_end[i] = log.len;
	}
	cw_init(&one);
	if (hg_cose_sign1(k, pay[1].buf, pay[1].len, &one) < 0)
		die("hg_cose_sign1 failed");

	/* The seeds must be what they claim: a log the parser accepts. */
	if (hg_log_parse(log.buf, log.len, &parsed, &err) < 0 || parsed.n != 3) {
		fprintf(stderr, "make-seeds: own log refused: record %ld: %s\n",
			err.record, err.msg);
		exit(1);
	}
	hg_log_free(&parsed);

	put("fuzz_log", "seed-log3", log.buf, log.len);
	put("fuzz_log", "seed-log1", log.buf, rec_end[0]);
	put("fuzz_log", "seed-log3-torn", log.buf, rec_end[2] - 5);

	rule_seeds(k, &key, algs, pay);

	put("fuzz_cel", "seed-cel-file", pay[1].buf, pay[1].len);
	put("fuzz_cel", "seed-cel-logkey", pay[0].buf, pay[0].len);
	{
		/* A launch record naming records 1 (config) and 2: the
		 * launch content's paths are reached through this seed. */
		static const uint8_t uuid[16] = { 0x6f, 0x1c, 0x2a, 0x9e, 1, 2, 3, 4,
						  5, 6, 7, 8, 9, 10, 11, 12 };
		struct hg_launch_ref refs[2];
		struct hg_cel_rec r;
		const char *why;
		struct cw lr;

		for (size_t i = 0; i < 2; i++) {
			if (hg_cel_decode(pay[i + 1].buf, pay[i + 1].len, &r, &why) < 0)
				die("own file record refused");
			refs[i].recnum = i + 1;
			refs[i].kind = i == 0 ? HG_KIND_CONFIG : HG_KIND_IMAGE;
			refs[i].digests = r.digests;
		}
		cw_init(&lr);
		if (hg_cel_encode_launch(3, PCR, "demo", uuid, refs, 2, algs, 2, &lr) < 0)
			die("hg_cel_encode_launch failed");
		put_cel("seed-cel-launch", &lr, NULL);
		cw_free(&lr);
	}

	put("fuzz_cose", "seed-sign1", one.buf, one.len);
	put("fuzz_cose", "seed-cose-key", key.buf, key.len);

	put("fuzz_cbor", "seed-log3", log.buf, log.len);
	put("fuzz_cbor", "seed-cel-file", pay[1].buf, pay[1].len);
	put("fuzz_cbor", "seed-sign1", one.buf, one.len);
	put("fuzz_cbor", "seed-cose-key", key.buf, key.len);
	{
		/* fuzz_cbor structured walk: byte 0 = op count - 1, then the
		 * ops (0 uint, 1 int, 2 bytes, 3 text, 4 array, 5 map, 6 tag,
		 * 7 skip), then the data: a file record read in order. */
		static const uint8_t prog[] = {
			5,                      /* map(4) */
			0, 0, 0, 0,             /* 0: recnum, 1: pcr */
			0, 4,                   /* 3: digests array(2) */
			4, 0, 2,                /* [sha1, bstr] */
			4, 0, 2,                /* [sha256, bstr] */
			0, 5,                   /* 128: content map(5) */
			0, 0, 0, 3, 0, 3,       /* type, kind, name */
			0, 0, 0, 7,             /* size, digests (skipped) */
		};

		cw_init(&ops);
		cw_raw(&ops, (const uint8_t[]){ sizeof(prog) - 1 }, 1);
		cw_raw(&ops, prog, sizeof(prog));
		cw_raw(&ops, pay[1].buf, pay[1].len);
		if (ops.err)
			die("out of memory");
		put("fuzz_cbor", "seed-ops-cel", ops.buf, ops.len);
	}

	/* An incremental state (verifier/incrstate.c's layout) keeping
	 * records 1 and 2, at next = 3, with both banks' PCR values. */
	{
		static const uint8_t zero[32], name[34] = { 0x00, 0x0b };
		struct hg_cel_rec rec[2];
		struct cw st;
		const char *why;

		for (size_t i = 0; i < 2; i++)
			if (hg_cel_decode(pay[i + 1].buf, pay[i + 1].len, &rec[i], &why) < 0)
				die("own CEL record refused");
		cw_init(&st);
		cw_map(&st, 9);
		cw_uint(&st, 0); cw_uint(&st, 1);
		cw_uint(&st, 1); cw_bytes(&st, name, sizeof(name));
		cw_uint(&st, 2); cw_array(&st, 2); cw_uint(&st, 3); cw_uint(&st, 0);
		cw_uint(&st, 3); cw_bytes(&st, zero, 32);
		cw_uint(&st, 4); cw_uint(&st, 3);
		cw_uint(&st, 5); cw_bytes(&st, key.buf, key.len);
		cw_uint(&st, 6); cw_array(&st, 2); cw_uint(&st, algs[0]); cw_uint(&st, algs[1]);
		cw_uint(&st, 7); cw_array(&st, 2);
		cw_array(&st, 3); cw_uint(&st, algs[0]); cw_uint(&st, PCR); cw_bytes(&st, zero, 20);
		cw_array(&st, 3); cw_uint(&st, algs[1]); cw_uint(&st, PCR); cw_bytes(&st, zero, 32);
		cw_uint(&st, 8); cw_array(&st, 2);
		for (size_t i = 0; i < 2; i++) {
			cw_array(&st, 2);
			cw_uint(&st, i + 1);
			cw_bytes(&st, rec[i].content, rec[i].content_len);
		}
		put("fuzz_incrstate", "seed-state", st.buf, st.len);
		cw_free(&st);
	}
	{
		/* fuzz_ear: a token by k and its claims-set alone (the target
		 * signs its input as a payload itself). */
		struct hg_ear_claims c = { .iat = 1800000000, .exp = 1800000300,
					   .nonce_len = 16 };
		struct hg_ear_submod *s;
		struct hg_digest d = { .alg = HG_ALG_SHA256, .len = 32 };
		struct hg_cose_sign1 s1;
		struct cr r;
		const char *why;
		uint8_t *tok;
		size_t toklen;

		c.developer = strdup("hostgate");
		c.build = strdup("make-seeds");
		memset(c.nonce, 0x5a, 16);
		memset(d.d, 0xab, 32);
		s = hg_ear_submod_add(&c, "hv01");
		if (!s)
			die("out of memory");
		s->status = HG_EAR_AFFIRMING;
		s->tv[HG_TV_INSTANCE_IDENTITY] = HG_AR_AFFIRMING;
		s->tv[HG_TV_CONFIGURATION] = HG_AR_AFFIRMING;
		s->policy_id = strdup("p1");
		if (hg_ear_digest_add(s, "config", "/etc/vm1.xml", 3, &d) < 0)
			die("out of memory");
		s = hg_ear_submod_add(&c, "vm:6f9c8e2a-0000-4000-8000-000000000001");
		if (!s)
			die("out of memory");
		s->status = HG_EAR_CONTRAINDICATED;
		s->tv[HG_TV_FILE_SYSTEM] = HG_AR_CONTRAINDICATED;
		if (hg_ear_sign(&c, k, &tok, &toklen) < 0)
			die("hg_ear_sign failed");
		put("fuzz_ear", "seed-token", tok, toklen);
		cr_init(&r, tok, toklen);
		if (hg_cose_sign1_decode(&r, &s1, &why) < 0)
			die("seed token does not decode");
		put("fuzz_ear", "seed-claims", s1.payload, s1.payload_len);
		free(tok);
		hg_ear_claims_free(&c);
	}

	cw_free(&ops);
	cw_free(&one);
	cw_free(&log);
	for (size_t i = 0; i < 3; i++)
		cw_free(&pay[i]);
	cw_free(&key);
	EVP_PKEY_free(k);
	return 0;
}
