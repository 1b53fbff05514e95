/* uefilog_fx.h: hand-made UEFI event logs and PCR models shared by the
 * UEFI log unit tests (test_uefilog.c, test_uefilog_bad.c). Failures
 * abort through cmocka. */
#ifndef HG_TEST_UEFILOG_FX_H
#define HG_TEST_UEFILOG_FX_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/digest.h"
#include "../../lib/uefilog.h"

struct lb {
	uint8_t b[8192];
	size_t n;
};

void put(struct lb *l, const void *p, size_t n);
void put8(struct lb *l, uint8_t v);
void put16(struct lb *l, uint16_t v);
void put32(struct lb *l, uint32_t v);
void fill(struct lb *l, uint8_t v, size_t n);
/* A TCG_PCR_EVENT with digest bytes all DIG. */
void sha1_event(struct lb *l, uint32_t pcr, uint32_t type, uint8_t dig,
		const void *data, uint32_t len);
/* A Spec ID event whose body is given raw. */
void spec_id_raw(struct lb *l, const struct lb *body);
void spec_body(struct lb *b, uint32_t nalgs, const uint16_t *algs,
	       const uint16_t *sizes, size_t listed, uint8_t vlen,
	       size_t vgiven);

extern const uint16_t sha1_256[2];
extern const uint16_t sz_20_32[2];

/* A good Spec ID event for sha1 + sha256. */
void spec_id(struct lb *l);
/* A TCG_PCR_EVENT2 with sha1 and sha256 digests of bytes DIG. */
void agile_event(struct lb *l, uint32_t pcr, uint32_t type, uint8_t dig,
		 const void *data, uint32_t len);

/* The Spec ID event for sha1 + sha256 takes 32 + 37 bytes. */
#define SPEC_END 69

#endif
