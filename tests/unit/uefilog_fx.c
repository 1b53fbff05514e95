/* uefilog_fx.c: hand-made UEFI event logs for the UEFI log unit tests;
 * see uefilog_fx.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "uefilog_fx.h"

void put(struct lb *l, const void *p, size_t n)
{
	assert_true(l->n + n <= sizeof(l->b));
	memcpy(l->b + l->n, p, n);
	l->n += n;
}

void put8(struct lb *l, uint8_t v)
{
	put(l, &v, 1);
}

void put16(struct lb *l, uint16_t v)
{
	uint8_t p[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(l, p, 2);
}

void put32(struct lb *l, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	put(l, p, 4);
}

void fill(struct lb *l, uint8_t v, size_t n)
{
	while (n--)
		put8(l, v);
}

/* A TCG_PCR_EVENT with digest bytes all DIG. */
void sha1_event(struct lb *l, uint32_t pcr, uint32_t type, uint8_t dig,
		const void *data, uint32_t len)
{
	put32(l, pcr);
	put32(l, type);
	fill(l, dig, 20);
	put32(l, len);
	put(l, data, len);
}

/* A Spec ID event whose body is given raw. */
void spec_id_raw(struct lb *l, const struct lb *body)
{
	put32(l, 0);
	put32(l, HG_EV_NO_ACTION);
	fill(l, 0, 20);
	put32(l, (uint32_t)body->n);
	put(l, body->b, body->n);
}

void spec_body(struct lb *b, uint32_t nalgs, const uint16_t *algs,
	       const uint16_t *sizes, size_t listed, uint8_t vlen,
	       size_t vgiven)
{
	put(b, "Spec ID Event03", 16);
	put32(b, 0);            /* platformClass */
	put8(b, 0);             /* minor */
	put8(b, 2);             /* major */
	put8(b, 0);             /* errata */
	put8(b, 2);             /* uintnSize */
	put32(b, nalgs);
	for (size_t i = 0; i < listed; i++) {
		put16(b, algs[i]);
		put16(b, sizes[i]);
	}
	put8(b, vlen);
	fill(b, 0xAB, vgiven);
}

const uint16_t sha1_256[2] = { HG_ALG_SHA1, HG_ALG_SHA256 };
const uint16_t sz_20_32[2] = { 20, 32 };

/* A good Spec ID event for sha1 + sha256. */
void spec_id(struct lb *l)
{
	struct lb b = { .n = 0 };

	spec_body(&b, 2, sha1_256, sz_20_32, 2, 0, 0);
	spec_id_raw(l, &b);
}

/* A TCG_PCR_EVENT2 with sha1 and sha256 digests of bytes DIG. */
void agile_event(struct lb *l, uint32_t pcr, uint32_t type, uint8_t dig,
		 const void *data, uint32_t len)
{
	put32(l, pcr);
	put32(l, type);
	put32(l, 2);
	put16(l, HG_ALG_SHA1);
	fill(l, dig, 20);
	put16(l, HG_ALG_SHA256);
	fill(l, dig, 32);
	put32(l, len);
	put(l, data, len);
}
