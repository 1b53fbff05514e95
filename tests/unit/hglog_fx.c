/* hglog_fx.c: see hglog_fx.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "../../lib/cose.h"
#include "../../lib/digest.h"
#include "hglog_fx.h"

/* ---- building logs ---- */


const uint16_t fx_banks[2] = { HG_ALG_SHA1, HG_ALG_SHA256 };



const struct fx_file fx_files[NREC] = {
	{ HG_KIND_NONE, NULL, PCR },  /* record 0: the log key */
	{ HG_KIND_HYPERVISOR, "/usr/bin/qemu-system-x86_64", PCR },
	{ HG_KIND_FIRMWARE, "/usr/share/OVMF/OVMF_CODE.secboot.fd", PCR },
	{ HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", PCR_OTHER },
	{ HG_KIND_IMAGE, "/var/lib/libvirt/images/vm1.qcow2", PCR },
};

struct blob fx_take(struct cw *w)
{
	struct blob b;

	assert_int_equal(w->err, 0);
	b.p = cw_take(w, &b.len);
	return b;
}

struct blob fx_sign(EVP_PKEY *key, const struct blob *payload)
{
	struct cw w;

	cw_init(&w);
	assert_int_equal(hg_cose_sign1(key, payload->p, payload->len, &w), 0);
	return fx_take(&w);
}

struct blob fx_file_payload(uint64_t recnum, uint32_t pcr, enum hg_kind kind,
				const char *name, const uint16_t *algs, size_t nalgs)
{
	struct hg_digests fd = { 0 };
	struct cw w;

	for (size_t i = 0; i < nalgs; i++)
		assert_int_equal(hg_hash(algs[i], name, strlen(name), &fd.v[i]), 0);
	fd.n = nalgs;
	cw_init(&w);
	assert_int_equal(hg_cel_encode_file(recnum, pcr, kind, name, 4096 * recnum + 7,
					    &fd, &w), 0);
	return fx_take(&w);
}

struct blob fx_key_payload(uint64_t recnum, EVP_PKEY *key)
{
	struct cw kw, w;
	struct blob k, p;

	cw_init(&kw);
	assert_int_equal(hg_cose_key_encode(key, &kw), 0);
	k = fx_take(&kw);
	cw_init(&w);
	assert_int_equal(hg_cel_encode_log_key(recnum, PCR, fx_banks, 2, k.p, k.len, &w), 0);
	p = fx_take(&w);
	free(k.p);
	return p;
}

/* Record I of the standard log with recnum RECNUM, signed by KEY. */
struct blob fx_std_record(EVP_PKEY *log_key, EVP_PKEY *signer, size_t i,
			      uint64_t recnum)
{
	struct blob p, s;

	if (i == 0)
		p = fx_key_payload(recnum, log_key);
	else
		p = fx_file_payload(recnum, fx_files[i].pcr, fx_files[i].kind, fx_files[i].name,
				 fx_banks, 2);
	s = fx_sign(signer, &p);
	free(p.p);
	return s;
}

struct blob fx_join(const struct blob *parts, size_t n)
{
	struct cw w;

	cw_init(&w);
	for (size_t i = 0; i < n; i++)
		cw_raw(&w, parts[i].p, parts[i].len);
	return fx_take(&w);
}

struct blob fx_dup_blob(const void *p, size_t len)
{
	struct blob b = { malloc(len ? len : 1), len };

	assert_non_null(b.p);
	memcpy(b.p, p, len);
	return b;
}

int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->key = EVP_EC_gen("P-256");
	f->other = EVP_EC_gen("P-256");
	if (!f->key || !f->other)
		return -1;
	for (size_t i = 0; i < NREC; i++) {
		f->rec[i] = fx_std_record(f->key, f->key, i, i);
		f->off[i + 1] = f->off[i] + f->rec[i].len;
	}
	f->log = fx_join(f->rec, NREC);
	*state = f;
	return 0;
}

int fx_teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < NREC; i++)
		free(f->rec[i].p);
	free(f->log.p);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other);
	free(f);
	return 0;
}
