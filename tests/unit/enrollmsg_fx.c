/* enrollmsg_fx.c: see enrollmsg_fx.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/cbor_w.h"
#include "../../lib/enrollmsg.h"

#include "enrollmsg_fx.h"

/* Decode LEN bytes of BUF (copied to a buffer of exactly LEN bytes) as
 * message KIND; returns the decoder's result, *WHY its reason. */
int decode(enum msg kind, const uint8_t *buf, size_t len, const char **why)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct hg_enroll_request q;
	struct hg_enroll_challenge c;
	struct hg_enroll_response r;
	int rc;

	assert_non_null(copy);
	if (len)
		memcpy(copy, buf, len);
	*why = NULL;
	switch (kind) {
	case REQ: rc = hg_enroll_request_decode(copy, len, &q, why); break;
	case CHAL: rc = hg_enroll_challenge_decode(copy, len, &c, why); break;
	default: rc = hg_enroll_response_decode(copy, len, &r, why); break;
	}
	free(copy);
	return rc;
}

/* Hex with optional spaces to bytes; returns the length. */
size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_true(n < cap);
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

struct hg_bytes B(const void *p, size_t n)
{
	struct hg_bytes b = { p, n };

	return b;
}
