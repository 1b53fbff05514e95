/* hglog_fx.h: the log the hglog unit tests mutate: a log-key record 0 and
 * file records, each a COSE_Sign1 by a test key, built with the project's
 * own encoders (shared by test_hglog.c and test_hglog_alloc.c).
 *
 * Contract: fx_setup() builds a struct fx into *state for cmocka and
 * fx_teardown() frees it. Every struct blob returned is the caller's to
 * free(). A helper that fails aborts the test through cmocka's asserts.
 */
#ifndef HG_TEST_HGLOG_FX_H
#define HG_TEST_HGLOG_FX_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "../../lib/cbor_w.h"
#include "../../lib/cel.h"

#define PCR 13
#define PCR_OTHER 14
#define NREC 5

struct blob {
	uint8_t *p;
	size_t len;
};

struct fx {
	EVP_PKEY *key, *other;
	struct blob rec[NREC];    /* each signed record */
	struct blob log;          /* rec[0] || ... || rec[NREC-1] */
	size_t off[NREC + 1];     /* record offsets; off[NREC] = log.len */
};

struct fx_file {
	enum hg_kind kind;
	const char *name;
	uint32_t pcr;
};

extern const uint16_t fx_banks[2];
extern const struct fx_file fx_files[NREC];

struct blob fx_take(struct cw *w);
struct blob fx_sign(EVP_PKEY *key, const struct blob *payload);
struct blob fx_file_payload(uint64_t recnum, uint32_t pcr, enum hg_kind kind, const char *name, const uint16_t *algs, size_t nalgs);
struct blob fx_key_payload(uint64_t recnum, EVP_PKEY *key);
struct blob fx_std_record(EVP_PKEY *log_key, EVP_PKEY *signer, size_t i, uint64_t recnum);
struct blob fx_join(const struct blob *parts, size_t n);
struct blob fx_dup_blob(const void *p, size_t len);
int fx_setup(void **state);
int fx_teardown(void **state);

#endif
