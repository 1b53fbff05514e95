/* bench_incr.c: an incremental re-attestation against a full check of the
 * same host, in one run (issue 14, verifier/incr.h).
 *
 *   bench_incr FULL_EV INC_EV STATE AKPUB NONCEHEX POLICY SECONDS ROUNDS
 *
 * FULL_EV carries the whole log; INC_EV (quote --since) the records after
 * STATE's; both are from one host at one point. Inputs are loaded once, as
 * 'hostgate-verify check' does; then ROUNDS interleaved rounds of SECONDS
 * each time
 *   full:        hv_verify() of FULL_EV (want_json = 0, check --quiet)
 *   incremental: hv_incr_unseal() and hv_incr_state_decode() of STATE's
 *                bytes (as check --state-in reads the file each time; the
 *                key from the verifier's state directory, vstate.h),
 *                hv_verify_incremental() of INC_EV (which makes the next
 *                state, encoded and decoded again) and hv_incr_seal() of
 *                that
 * Each call must be trusted, the incremental one incremental and with a
 * new state: the first that is not stops the run (exit 1).
 *
 * Prints one line: the medians and their ratio.
 *   full F checks/s (N records), incremental I checks/s (K new records,
 *   S-byte state), ratio R (ROUNDS rounds of SECONDS s)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/digest.h"
#include "../../lib/util.h"
#include "../../verifier/incr.h"
#include "../../verifier/incrseal.h"
#include "../../verifier/inputs.h"
#include "../../verifier/policy.h"
#include "../../verifier/verify.h"
#include "../../verifier/vstate.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct ctx {
	struct hv_inputs in;
	const uint8_t *full;
	size_t full_len;
	const uint8_t *inc;
	size_t inc_len;
	const uint8_t *state;
	size_t state_len;
	uint8_t pol_sha[32];
	uint8_t key[HV_INCR_KEY_LEN];
	size_t records, new_records;
};

static int one_full(struct ctx *c)
{
	struct hv_result *res = calloc(1, sizeof(*res));
	struct hv_inputs in = c->in;
	int rc;

	if (!res)
		return -1;
	in.evidence = c->full;
	in.evidence_len = c->full_len;
	rc = hv_verify(&in, res);
	if (rc != 0)
		fprintf(stderr, "bench_incr: full check: %s: %s\n",
			hv_check_name(res->first_failed), res->why);
	c->records = res->records;
	hv_result_free(res);
	free(res);
	return rc ? -1 : 0;
}

static int one_incr(struct ctx *c)
{
	struct hv_result *res = calloc(1, sizeof(*res));
	struct hv_incr_state prev, next;
	struct hv_incr_info info;
	struct hv_inputs in = c->in;
	const char *why;
	int rc = -1;

	if (!res)
		return -1;
	const uint8_t *inner;
	uint8_t *sealed = NULL;
	size_t inner_len, sealed_len;

	if (hv_incr_unseal(c->key, c->state, c->state_len, &inner, &inner_len, &why) < 0 ||
	    hv_incr_state_decode(inner, inner_len, &prev, &why) < 0) {
		fprintf(stderr, "bench_incr: state: %s\n", why);
		free(res);
		return -1;
	}
	in.evidence = c->inc;
	in.evidence_len = c->inc_len;
	rc = hv_verify_incremental(&in, &prev, c->pol_sha, &next, res, &info);
	if (rc != 0 || !info.incremental || !info.have_state) {
		fprintf(stderr, "bench_incr: incremental check: exit %d, %s: %s; %s%s\n", rc,
			hv_check_name(res->first_failed), res->why, info.fallback, info.no_state);
		rc = -1;
	}
	if (rc == 0 && hv_incr_seal(c->key, next.buf, next.len, &sealed, &sealed_len) < 0)
		rc = -1;
	free(sealed);
	c->new_records = res->records - prev.next;
	hv_incr_state_free(&prev);
	hv_incr_state_free(&next);
	hv_result_free(res);
	free(res);
	return rc ? -1 : 0;
}

static double rate(struct ctx *c, int (*fn)(struct ctx *), double secs)
{
	double t0 = now(), t;
	long n = 0;

	do {
		if (fn(c) < 0)
			return -1;
		n++;
	} while ((t = now() - t0) < secs);
	return (double)n / t;
}

int main(int argc, char **argv)
{
	struct ctx c;
	struct hg_ak ak = { 0 };
	struct hg_policy pol = { 0 };
	struct hg_digest d;
	uint8_t *nonce = NULL, *full = NULL, *inc = NULL, *state = NULL, *polb = NULL;
	size_t nonce_len = 0, polb_len = 0;
	double secs, *rf, *ri;
	int rounds, ret = 2;

	memset(&c, 0, sizeof(c));
	if (argc != 9) {
		fprintf(stderr, "usage: bench_incr FULL_EV INC_EV STATE AKPUB NONCEHEX POLICY SECONDS ROUNDS\n");
		return 2;
	}
	secs = atof(argv[7]);
	rounds = atoi(argv[8]);
	if (secs <= 0 || rounds < 1 || rounds > 99)
		return 2;
	rf = calloc((size_t)rounds, sizeof(*rf));
	ri = calloc((size_t)rounds, sizeof(*ri));
	if (!rf || !ri ||
	    hv_read_evidence(argv[1], &full, &c.full_len) < 0 ||
	    hv_read_evidence(argv[2], &inc, &c.inc_len) < 0 ||
	    hg_read_file(argv[3], HV_INCR_MAX_STATE, 0, &state, &c.state_len) < 0 ||
	    hv_load_ak(argv[4], &ak) < 0 || hv_parse_nonce(argv[5], &nonce, &nonce_len) < 0 ||
	    hg_read_file(argv[6], HG_POLICY_MAX_SIZE, 0, &polb, &polb_len) < 0 ||
	    hg_policy_parse(argv[6], (const char *)polb, polb_len, &pol) < 0 ||
	    hg_hash(HG_ALG_SHA256, polb, polb_len, &d) < 0) {
		fprintf(stderr, "bench_incr: cannot load the inputs\n");
		goto out;
	}
	if (hv_incr_key(hv_state_dir(NULL), 0, c.key) != 0) {
		fprintf(stderr, "bench_incr: no state key in %s\n", hv_state_dir(NULL));
		goto out;
	}
	memcpy(c.pol_sha, d.d, 32);
	c.full = full;
	c.inc = inc;
	c.state = state;
	c.in.ak = &ak;
	c.in.nonce = nonce;
	c.in.nonce_len = nonce_len;
	c.in.policy = &pol;
	ret = 1;
	for (int r = 0; r < rounds; r++) {
		if ((rf[r] = rate(&c, one_full, secs)) < 0 || (ri[r] = rate(&c, one_incr, secs)) < 0)
			goto out;
	}
	qsort(rf, (size_t)rounds, sizeof(*rf), cmpd);
	qsort(ri, (size_t)rounds, sizeof(*ri), cmpd);
	printf("full %.1f checks/s (%zu records), incremental %.1f checks/s (%zu new record%s, %zu-byte state), ratio %.1f (%d rounds of %g s)\n",
	       rf[rounds / 2], c.records, ri[rounds / 2], c.new_records,
	       c.new_records == 1 ? "" : "s", c.state_len, ri[rounds / 2] / rf[rounds / 2],
	       rounds, secs);
	ret = 0;
out:
	hg_policy_free(&pol);
	hg_ak_free(&ak);
	free(rf);
	free(ri);
	free(nonce);
	free(full);
	free(inc);
	free(state);
	free(polb);
	return ret;
}
