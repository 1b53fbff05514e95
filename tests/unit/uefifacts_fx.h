/* uefifacts_fx.h: helpers shared by the firmware-facts unit tests
 * (test_uefifacts.c, test_uefifacts_logs.c, and, for the corpus loader,
 * test_fwjudge.c's split).
 *
 * struct bb and the put*() builders lay out UEFI structures byte by byte:
 * UEFI_VARIABLE_DATA (put_var), device path nodes (put_node,
 * put_file_node, put_end) and UEFI_IMAGE_LOAD_EVENT (image_event). A
 * builder that overflows fails the test through cmocka's asserts.
 *
 * hg_fx_corpus_dir() is the shared UEFI corpus: $HG_UEFI_CORPUS, else
 * tests/data/uefi; missing, the test FAILS naming the path.
 * hg_fx_load_corpus_log() reads the corpus log REL into *BUF (the
 * caller's to free()) and computes its facts into *F (the caller's to
 * hg_uefi_facts_free()); a read or parse error fails the test.
 */
#ifndef HG_TEST_UEFIFACTS_FX_H
#define HG_TEST_UEFIFACTS_FX_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/uefifacts.h"

struct bb {
	uint8_t b[8192];
	size_t n;
};

void put(struct bb *b, const void *p, size_t n);
void put_le(struct bb *b, uint64_t v, size_t n);
void put_u16s(struct bb *b, const char *ascii);
void put_var(struct bb *b, const uint8_t guid[16], const char *name,
	     const void *value, size_t len);
void put_node(struct bb *b, uint8_t type, uint8_t sub, const void *p, size_t n);
void put_file_node(struct bb *b, const char *path, int nul);
void put_end(struct bb *b);
void image_event(struct bb *out, const struct bb *dp, int64_t dplen_delta,
		 size_t extra);

const char *hg_fx_corpus_dir(void);
void hg_fx_load_corpus_log(const char *rel, uint8_t **buf, struct hg_uefi_facts *f);

#endif
