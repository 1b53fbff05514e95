/* fuzz_enrollmsg.c: libFuzzer target for the enrollment messages
 * (lib/enrollmsg.c over the bounded reader lib/cbor_r.c).
 *
 * Each input goes through all three decoders: request, challenge and
 * response. Checks beyond "no crash, no leak, no UB":
 *  - a failure names a reason (*why non-empty);
 *  - at most one decoder accepts an input (the type key keeps one message
 *    from being read as another);
 *  - an accepted message obeys lib/enrollmsg.h: every field's size in its
 *    range (id 16, names 4..66, secret 1..64, eks 1..4, hostname 1..255
 *    bytes of printable ASCII without spaces), every pointer inside the
 *    input, and the input at most HG_ENROLL_MAX_SIZE;
 *  - an accepted message round-trips: its fields, encoded again with
 *    hg_enroll_*_encode(), decode to the same fields, and encoding those
 *    gives the same bytes (the encoding is deterministic). The bytes may
 *    differ from the input, which may use non-shortest heads, but are
 *    never longer.
 *
 * Built by tests/fuzz/run.sh with the lib/ sources linked in directly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor_w.h"
#include "enrollmsg.h"

#include "fuzz_check.h"

static const uint8_t *in_buf;
static size_t in_len;

/* B points inside the current input and has MIN..MAX bytes. */
static void check_field(const struct hg_bytes *b, size_t min, size_t max)
{
	CHECK(b->n >= min && b->n <= max);
	CHECK(b->p != NULL);
	CHECK(b->p >= in_buf && b->p <= in_buf + in_len &&
	      b->n <= (size_t)(in_buf + in_len - b->p));
}

static int same(const struct hg_bytes *a, const struct hg_bytes *b)
{
	return a->n == b->n && (a->n == 0 || !memcmp(a->p, b->p, a->n));
}

static void check_request(const struct hg_enroll_request *m)
{
	CHECK(m->n_eks >= 1 && m->n_eks <= HG_ENROLL_MAX_EKS);
	for (size_t i = 0; i < m->n_eks; i++) {
		check_field(&m->ek_cert[i], 1, 4096);
		check_field(&m->ek_pub[i], 1, 1024);
	}
	check_field(&m->ak_pub, 1, 1024);
	check_field(&m->ak_name, 4, 66);
	check_field(&m->hostname, 1, HG_ENROLL_HOSTNAME_MAX);
	for (size_t i = 0; i < m->hostname.n; i++)
		CHECK(m->hostname.p[i] > 0x20 && m->hostname.p[i] < 0x7f);
}

static void check_challenge(const struct hg_enroll_challenge *m)
{
	check_field(&m->id, HG_ENROLL_ID_LEN, HG_ENROLL_ID_LEN);
	check_field(&m->ek_name, 4, 66);
	check_field(&m->ak_name, 4, 66);
	check_field(&m->blob, 1, 1024);
	check_field(&m->enc_secret, 1, 1024);
}

static void check_response(const struct hg_enroll_response *m)
{
	check_field(&m->id, HG_ENROLL_ID_LEN, HG_ENROLL_ID_LEN);
	check_field(&m->secret, 1, HG_ENROLL_SECRET_MAX);
}

static int eq_request(const struct hg_enroll_request *a,
		      const struct hg_enroll_request *b)
{
	if (a->n_eks != b->n_eks)
		return 0;
	for (size_t i = 0; i < a->n_eks; i++)
		if (!same(&a->ek_cert[i], &b->ek_cert[i]) ||
		    !same(&a->ek_pub[i], &b->ek_pub[i]))
			return 0;
	return same(&a->ak_pub, &b->ak_pub) && same(&a->ak_name, &b->ak_name) &&
	       same(&a->hostname, &b->hostname);
}

static int eq_challenge(const struct hg_enroll_challenge *a,
			const struct hg_enroll_challenge *b)
{
	return same(&a->id, &b->id) && same(&a->ek_name, &b->ek_name) &&
	       same(&a->ak_name, &b->ak_name) && same(&a->blob, &b->blob) &&
	       same(&a->enc_secret, &b->enc_secret);
}

static int eq_response(const struct hg_enroll_response *a,
		       const struct hg_enroll_response *b)
{
	return same(&a->id, &b->id) && same(&a->secret, &b->secret);
}

/* The round trip of one message type: encode M, decode into M2, compare,
 * encode M2 and compare the bytes. */
#define ROUND_TRIP(type, m, eq)                                              \
	do {                                                                 \
		struct hg_enroll_##type m2;                                  \
		struct cw w1, w2;                                            \
		const char *why2 = NULL;                                     \
		int rc;                                                      \
                                                                             \
		cw_init(&w1);                                                \
		cw_init(&w2);                                                \
		CHECK(hg_enroll_##type##_encode(m, &w1) == 0 && !w1.err);    \
		CHECK(w1.len <= size);                                       \
		rc = hg_enroll_##type##_decode(w1.buf, w1.len, &m2, &why2);  \
		if (rc != 0)                                                 \
			fprintf(stderr, "re-decode failed: %s\n",            \
				why2 ? why2 : "?");                          \
		CHECK(rc == 0);                                              \
		CHECK(eq(m, &m2));                                           \
		CHECK(hg_enroll_##type##_encode(&m2, &w2) == 0 && !w2.err);  \
		CHECK(w2.len == w1.len && !memcmp(w2.buf, w1.buf, w1.len));  \
		cw_free(&w1);                                                \
		cw_free(&w2);                                                \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_enroll_request q;
	struct hg_enroll_challenge c;
	struct hg_enroll_response r;
	const char *why;
	int accepted = 0;

	in_buf = data;
	in_len = size;

	why = NULL;
	if (hg_enroll_request_decode(data, size, &q, &why) == 0) {
		accepted++;
		CHECK(size <= HG_ENROLL_MAX_SIZE);
		check_request(&q);
		ROUND_TRIP(request, &q, eq_request);
	} else {
		CHECK(why != NULL && why[0] != '\0');
	}

	why = NULL;
	if (hg_enroll_challenge_decode(data, size, &c, &why) == 0) {
		accepted++;
		CHECK(size <= HG_ENROLL_MAX_SIZE);
		check_challenge(&c);
		ROUND_TRIP(challenge, &c, eq_challenge);
	} else {
		CHECK(why != NULL && why[0] != '\0');
	}

	why = NULL;
	if (hg_enroll_response_decode(data, size, &r, &why) == 0) {
		accepted++;
		CHECK(size <= HG_ENROLL_MAX_SIZE);
		check_response(&r);
		ROUND_TRIP(response, &r, eq_response);
	} else {
		CHECK(why != NULL && why[0] != '\0');
	}

	CHECK(accepted <= 1);
	return 0;
}
