/* make-seeds.c: write valid seed inputs for the libFuzzer targets.
 *
 * Usage: make-seeds OUTDIR
 *
 * Builds, with the lib/ encoders, a real signed log of 3 records (log-key
 * record 0, then two file records; banks sha1 + sha256; PCR 13; key from
 * EVP_EC_gen("P-256")), checks that hg_log_parse() accepts it, and writes
 *   OUTDIR/fuzz_log/   seed-log3 (the log), seed-log1 (record 0 only),
 *                      seed-log3-torn (the log cut inside record 2)
 *   OUTDIR/fuzz_cel/   seed-cel-file, seed-cel-logkey (COSE_Sign1 payloads)
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

	put("fuzz_cel", "seed-cel-file", pay[1].buf, pay[1].len);
	put("fuzz_cel", "seed-cel-logkey", pay[0].buf, pay[0].len);

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

	cw_free(&ops);
	cw_free(&one);
	cw_free(&log);
	for (size_t i = 0; i < 3; i++)
		cw_free(&pay[i]);
	cw_free(&key);
	EVP_PKEY_free(k);
	return 0;
}
