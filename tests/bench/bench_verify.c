/* bench_verify.c: the verifier's in-process check rate (issue 3).
 *
 *   bench_verify EVIDENCE AKPUB NONCEHEX POLICY SECONDS [ITERATIONS]
 *   bench_verify --export EVIDENCE DIR
 *
 * Loads the AK, the nonce, the policy and the evidence once, as
 * 'hostgate-verify check' does (verifier/inputs.h, verifier/policy.h),
 * then calls hv_verify() on the evidence bytes already in memory, with
 * want_json = 0 (what 'check --quiet' does), in a loop for SECONDS of wall
 * time, or exactly ITERATIONS times when that is given (for profilers).
 *
 * Every call must return 0 (trusted): a benchmark of a failing check
 * measures nothing, so the first non-zero result stops the run with the
 * failing check and its reason on stderr and exit 1.
 *
 * Prints one line on stdout; the first field is the rate:
 *   RATE checks/s (N checks in W s wall, C s cpu; R log records, B-byte evidence)
 * Exit: 0 ok, 1 a check failed, 2 usage or unreadable input.
 *
 * --export writes the quote inside EVIDENCE as tpm2-tools files, so that
 * tpm2_checkquote can check the very same quote: DIR/attest (TPMS_ATTEST,
 * key 2), DIR/sig (TPMT_SIGNATURE, key 3), DIR/ak.pub (TPM2B_PUBLIC, key
 * 4), DIR/pcrs (the PCR values in tpm2-tools' serialized format, what
 * 'tpm2_quote -o' writes and 'tpm2_checkquote -f' reads) and
 * DIR/pcrs.values (the bare values in selection order, what
 * 'tpm2_pcrread -o' writes and 'hostgate-verify quote --pcrs' reads).
 * tpm2-tools 5.4's other path, 'tpm2_checkquote -f VALUES -l SEL', fails
 * even on tpm2_quote's own output ("Failed to hash PCR values related to
 * quote!"), hence the serialized file.
 *
 * Not a test: tools/bench-verify.sh runs it and compares the rate with
 * 'openssl speed ecdsap256' measured in the same run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/util.h"
#include "../../verifier/inputs.h"
#include "../../verifier/policy.h"
#include "../../verifier/verify.h"

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int put(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "wb"))) {
		hg_err("%s: %s", path, strerror(errno));
		return -1;
	}
	ok = fwrite(p, 1, n, f) == n;
	ok &= fclose(f) == 0;
	if (!ok)
		hg_err("%s: write failed", path);
	return ok ? 0 : -1;
}

static uint8_t *le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + n;
}

/* tpm2-tools' serialized PCR file is its in-memory structs as written
 * by fwrite() on a little-endian LP64 host (tpm2-tools lib/pcr.c):
 *   TPML_PCR_SELECTION  u32 count; 16 x { u16 hash; u8 sizeofSelect;
 *                       u8 pcrSelect[4]; u8 pad }          = 132 bytes
 *   u32                 number of TPML_DIGEST that follow
 *   TPML_DIGEST         u32 count; 8 x { u16 size; u8 buffer[64] }
 *                                                          = 532 bytes
 * Values run in selection order across the TPML_DIGESTs, 8 to each. */
#define TT_SEL_SIZE 132
#define TT_DIGESTS_PER_LIST 8
#define TT_LIST_SIZE (4 + TT_DIGESTS_PER_LIST * (2 + 64))

static int export_quote(const char *evpath, const char *dir)
{
	struct hg_evidence e;
	uint16_t algs[HG_MAX_BANKS];
	uint32_t masks[HG_MAX_BANKS] = { 0 };
	size_t nb = 0, nlists, len = 0, vlen = 0;
	uint8_t *ev = NULL, *buf = NULL, *vals = NULL, *p;
	const char *why;
	int ret = 2;

	if (hv_read_evidence(evpath, &ev, &len) < 0)
		return 2;
	if (hg_evidence_decode(ev, len, &e, &why) < 0) {
		hg_err("%s: %s", evpath, why);
		goto out;
	}
	for (size_t i = 0; i < e.pcrs.n; i++) {
		size_t b = 0;

		while (b < nb && algs[b] != e.pcrs.v[i].alg)
			b++;
		if (b == nb)
			algs[nb++] = e.pcrs.v[i].alg;
		masks[b] |= 1u << e.pcrs.v[i].pcr;
	}
	nlists = (e.pcrs.n + TT_DIGESTS_PER_LIST - 1) / TT_DIGESTS_PER_LIST;
	buf = calloc(1, TT_SEL_SIZE + 4 + nlists * TT_LIST_SIZE);
	vals = malloc(e.pcrs.n * HG_MAX_DIGEST + 1);
	if (!buf || !vals) {
		hg_err("out of memory");
		goto out;
	}
	p = le(buf, nb, 4);
	for (size_t b = 0; b < nb; b++) {
		p = le(p, algs[b], 2);
		*p++ = 3;                       /* sizeofSelect: PCRs 0..23 */
		p = le(p, masks[b], 4);
		p++;                            /* struct padding */
	}
	p = le(buf + TT_SEL_SIZE, nlists, 4);
	for (size_t l = 0; l < nlists; l++) {
		uint8_t *list = p + l * TT_LIST_SIZE;
		size_t first = l * TT_DIGESTS_PER_LIST, n = e.pcrs.n - first;

		if (n > TT_DIGESTS_PER_LIST)
			n = TT_DIGESTS_PER_LIST;
		le(list, n, 4);
		for (size_t k = 0; k < n; k++) {
			const struct hg_pcr_value *v = &e.pcrs.v[first + k];
			uint8_t *d = le(list + 4 + k * (2 + 64), v->len, 2);

			memcpy(d, v->d, v->len);
			memcpy(vals + vlen, v->d, v->len);
			vlen += v->len;
		}
	}
	if (put(dir, "attest", e.attest, e.attest_len) < 0 ||
	    put(dir, "sig", e.sig, e.sig_len) < 0 ||
	    put(dir, "ak.pub", e.ak, e.ak_len) < 0 ||
	    put(dir, "pcrs", buf, TT_SEL_SIZE + 4 + nlists * TT_LIST_SIZE) < 0 ||
	    put(dir, "pcrs.values", vals, vlen) < 0)
		goto out;
	ret = 0;
out:
	free(buf);
	free(vals);
	free(ev);
	return ret;
}

/* One check; on anything but trusted, say which check failed and why. */
static int one(const struct hv_inputs *in, struct hv_result *res,
	       unsigned long long iter)
{
	int rc = hv_verify(in, res);

	if (rc != 0)
		hg_err("iteration %llu: hv_verify returned %d, not 0: %s: %s "
		       "(%zu failures); refusing to benchmark a failing check",
		       iter, rc, hv_check_name(res->first_failed), res->why,
		       res->nfailures);
	hv_result_free(res);
	return rc;
}

int main(int argc, char **argv)
{
	struct hg_ak ak = { 0 };
	struct hg_policy pol = { 0 };
	struct hv_inputs in = { 0 };
	struct hv_result *res = NULL;
	uint8_t *nonce = NULL, *ev = NULL;
	size_t nonce_len = 0, ev_len = 0, records;
	unsigned long secs, iters = 0;
	unsigned long long n = 0;
	double t0, c0, wall, cpu;
	int ret = 2;

	hg_progname = "bench_verify";
	if (argc == 4 && !strcmp(argv[1], "--export"))
		return export_quote(argv[2], argv[3]);
	if (argc != 6 && argc != 7) {
		fprintf(stderr, "Usage: bench_verify EVIDENCE AKPUB NONCEHEX POLICY SECONDS [ITERATIONS]\n"
				"       bench_verify --export EVIDENCE DIR\n");
		return 2;
	}
	if (hg_parse_uint(argv[5], 3600, &secs) < 0 ||
	    (argc == 7 && (hg_parse_uint(argv[6], 1000000000ul, &iters) < 0 || iters == 0)) ||
	    (argc == 6 && secs == 0)) {
		hg_err("SECONDS must be 1..3600 (or 0 with ITERATIONS >= 1)");
		return 2;
	}
	if (hv_parse_nonce(argv[3], &nonce, &nonce_len) < 0 ||
	    hv_load_ak(argv[2], &ak) < 0 || hg_policy_load(argv[4], &pol) < 0 ||
	    hv_read_evidence(argv[1], &ev, &ev_len) < 0)
		goto out;
	res = calloc(1, sizeof(*res));
	if (!res) {
		hg_err("out of memory");
		goto out;
	}
	in.evidence = ev;
	in.evidence_len = ev_len;
	in.ak = &ak;
	in.nonce = nonce;
	in.nonce_len = nonce_len;
	in.policy = &pol;
	in.want_json = 0;

	/* Warm-up, and the record count for the report. */
	ret = 1;
	if (one(&in, res, 0) != 0)
		goto out;
	records = res->records;

	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (;;) {
		if (one(&in, res, n + 1) != 0)
			goto out;
		n++;
		if (iters ? n >= iters : now(CLOCK_MONOTONIC) - t0 >= (double)secs)
			break;
	}
	wall = now(CLOCK_MONOTONIC) - t0;
	cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("%.1f checks/s (%llu checks in %.3f s wall, %.3f s cpu; %zu log records, %zu-byte evidence)\n",
	       (double)n / wall, n, wall, cpu, records, ev_len);
	ret = 0;
out:
	free(res);
	hg_policy_free(&pol);
	hg_ak_free(&ak);
	free(nonce);
	free(ev);
	return ret;
}
