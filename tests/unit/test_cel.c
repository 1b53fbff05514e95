/* test_cel.c: hostgate's CEL-CBOR records (lib/cel.h): encode/decode
 * round trips, the binding of digests to content, and what the encoder
 * refuses. Hand-built malformed records are in test_cel_bad.c.
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "../../lib/cbor_w.h"
#include "../../lib/cel.h"
#include "../../lib/cose.h"
#include "../../lib/digest.h"
#include "cel_fx.h"

/* ---- round trips ---- */

static void test_file_roundtrip(void **state)
{
	static const char name[] = "/var/lib/hostgate/OVMF_CODE.secboot.fd";
	struct hg_digests fd;
	struct cw w, want;
	struct hg_cel_rec rec;
	const char *why = "unset";

	(void)state;
	cfx_file_digests(cfx_three, 3, "firmware image bytes", &fd);
	cw_init(&w);
	assert_int_equal(hg_cel_encode_file(7, 13, HG_KIND_FIRMWARE, name,
					    3653632, &fd, &w), 0);
	assert_int_equal(hg_cel_decode(w.buf, w.len, &rec, &why), 0);
	assert_int_equal(rec.recnum, 7);
	assert_int_equal(rec.pcr, 13);
	assert_int_equal(rec.type, HG_CT_FILE);
	assert_int_equal(rec.kind, HG_KIND_FIRMWARE);
	assert_int_equal(rec.name_len, strlen(name));
	assert_memory_equal(rec.name, name, strlen(name));
	assert_int_equal(rec.size, 3653632);
	cfx_assert_digests_equal(&rec.file, &fd);
	assert_null(rec.key);
	assert_int_equal(rec.key_len, 0);

	/* The content is exactly the map cel.h documents, borrowed from the
	 * input, and it is the last item of the record. */
	cw_init(&want);
	cw_map(&want, 5);
	cw_uint(&want, 0);
	cw_uint(&want, 2);
	cw_uint(&want, 1);
	cw_textz(&want, "firmware");
	cw_uint(&want, 2);
	cw_textz(&want, name);
	cw_uint(&want, 3);
	cw_uint(&want, 3653632);
	cw_uint(&want, 4);
	cfx_put_digests(&want, &fd);
	assert_int_equal(want.err, 0);
	assert_int_equal(rec.content_len, want.len);
	assert_memory_equal(rec.content, want.buf, want.len);
	assert_ptr_equal(rec.content + rec.content_len, w.buf + w.len);

	/* The binding: digests[alg] == alg-hash(content), per bank, in the
	 * file digests' bank order. */
	assert_int_equal(rec.digests.n, 3);
	for (size_t i = 0; i < 3; i++) {
		struct hg_digest h, e;

		assert_int_equal(rec.digests.v[i].alg, cfx_three[i]);
		assert_int_equal(hg_hash(cfx_three[i], rec.content, rec.content_len, &h), 0);
		cfx_evp_hash(cfx_three[i], want.buf, want.len, &e);
		assert_int_equal(rec.digests.v[i].len, e.len);
		assert_memory_equal(rec.digests.v[i].d, h.d, h.len);
		assert_memory_equal(rec.digests.v[i].d, e.d, e.len);
	}
	cw_free(&want);
	cw_free(&w);
}

static void test_log_key_roundtrip(void **state)
{
	size_t klen;
	uint8_t *kb = cfx_cose_key(&klen);
	struct cw w;
	struct hg_cel_rec rec;
	const char *why = "unset";

	(void)state;
	cw_init(&w);
	assert_int_equal(hg_cel_encode_log_key(0, 23, cfx_three + 1, 2, kb, klen, &w), 0);
	assert_int_equal(hg_cel_decode(w.buf, w.len, &rec, &why), 0);
	assert_int_equal(rec.recnum, 0);
	assert_int_equal(rec.pcr, 23);
	assert_int_equal(rec.type, HG_CT_LOG_KEY);
	assert_int_equal(rec.kind, HG_KIND_NONE);
	assert_null(rec.name);
	assert_int_equal(rec.file.n, 0);
	assert_int_equal(rec.key_len, klen);
	assert_memory_equal(rec.key, kb, klen);
	/* content = {0: 1, 5: COSE_Key} */
	assert_int_equal(rec.content_len, 4 + klen);
	assert_memory_equal(rec.content, "\xa2\x00\x01\x05", 4);
	assert_int_equal(rec.digests.n, 2);
	for (size_t i = 0; i < 2; i++) {
		struct hg_digest e;

		cfx_evp_hash(cfx_three[1 + i], rec.content, rec.content_len, &e);
		assert_int_equal(rec.digests.v[i].alg, cfx_three[1 + i]);
		assert_memory_equal(rec.digests.v[i].d, e.d, e.len);
	}
	cw_free(&w);
	free(kb);
}

/* An overlay is recorded by path: content {0: 2, 1: "overlay", 2: name},
 * no size, no file digests; the extended digests still bind it. */
static void test_overlay_roundtrip(void **state)
{
	static const char name[] = "/var/lib/libvirt/images/vm1.qcow2";
	struct cw w, want;
	struct hg_cel_rec rec;
	const char *why = "unset";

	(void)state;
	cw_init(&w);
	assert_int_equal(hg_cel_encode_path(4, 13, HG_KIND_OVERLAY, name,
					    cfx_three, 3, &w), 0);
	assert_int_equal(hg_cel_decode(w.buf, w.len, &rec, &why), 0);
	assert_int_equal(rec.recnum, 4);
	assert_int_equal(rec.pcr, 13);
	assert_int_equal(rec.type, HG_CT_FILE);
	assert_int_equal(rec.kind, HG_KIND_OVERLAY);
	assert_int_equal(rec.name_len, strlen(name));
	assert_memory_equal(rec.name, name, strlen(name));
	assert_int_equal(rec.size, 0);
	assert_int_equal(rec.file.n, 0);
	assert_null(rec.key);

	cw_init(&want);
	cw_map(&want, 3);
	cw_uint(&want, 0);
	cw_uint(&want, 2);
	cw_uint(&want, 1);
	cw_textz(&want, "overlay");
	cw_uint(&want, 2);
	cw_textz(&want, name);
	assert_int_equal(want.err, 0);
	assert_int_equal(rec.content_len, want.len);
	assert_memory_equal(rec.content, want.buf, want.len);
	assert_int_equal(rec.digests.n, 3);
	for (size_t i = 0; i < 3; i++) {
		struct hg_digest e;

		cfx_evp_hash(cfx_three[i], want.buf, want.len, &e);
		assert_int_equal(rec.digests.v[i].alg, cfx_three[i]);
		assert_int_equal(rec.digests.v[i].len, e.len);
		assert_memory_equal(rec.digests.v[i].d, e.d, e.len);
	}
	cw_free(&want);
	cw_free(&w);
}

/* breakglass is an ordinary hashed file record. */
static void test_breakglass_roundtrip(void **state)
{
	static const char name[] = "/etc/hostgate/breakglass";
	struct hg_digests fd;
	struct cw w;
	struct hg_cel_rec rec;
	const char *why = "unset";

	(void)state;
	cfx_file_digests(cfx_three + 1, 2, "vm1 2024-05-01 ticket 4711\n", &fd);
	cw_init(&w);
	assert_int_equal(hg_cel_encode_file(9, 13, HG_KIND_BREAKGLASS, name, 27,
					    &fd, &w), 0);
	assert_int_equal(hg_cel_decode(w.buf, w.len, &rec, &why), 0);
	assert_int_equal(rec.kind, HG_KIND_BREAKGLASS);
	assert_int_equal(rec.size, 27);
	assert_memory_equal(rec.name, name, strlen(name));
	cfx_assert_digests_equal(&rec.file, &fd);
	assert_non_null(memmem(rec.content, rec.content_len, "breakglass", 10));
	cw_free(&w);
}

/* The content alone decodes to the same fields (the verifier re-reads
 * kept workload records so), exactly. */
static void test_decode_content(void **state)
{
	struct hg_digests fd;
	struct cw w;
	struct hg_cel_rec rec, c;
	const char *why = "unset";
	uint8_t *copy;

	(void)state;
	cfx_file_digests(cfx_three, 2, "domain xml", &fd);
	cw_init(&w);
	assert_int_equal(hg_cel_encode_file(3, 13, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml",
					    10, &fd, &w), 0);
	assert_int_equal(hg_cel_decode(w.buf, w.len, &rec, &why), 0);
	assert_int_equal(hg_cel_decode_content(rec.content, rec.content_len, &c, &why), 0);
	assert_int_equal(c.type, HG_CT_FILE);
	assert_int_equal(c.kind, HG_KIND_CONFIG);
	assert_int_equal(c.size, 10);
	assert_ptr_equal(c.name, rec.name);
	assert_int_equal(c.name_len, rec.name_len);
	cfx_assert_digests_equal(&c.file, &fd);
	assert_int_equal(c.recnum, 0);
	assert_int_equal(c.digests.n, 0);
	/* exact: one byte more or less is refused */
	copy = malloc(rec.content_len + 1);
	assert_non_null(copy);
	memcpy(copy, rec.content, rec.content_len);
	copy[rec.content_len] = 0;
	assert_int_equal(hg_cel_decode_content(copy, rec.content_len + 1, &c, &why), -1);
	assert_string_equal(why, "trailing bytes after content");
	assert_int_equal(hg_cel_decode_content(copy, rec.content_len - 1, &c, &why), -1);
	free(copy);
	cw_free(&w);

	cw_init(&w);
	assert_int_equal(hg_cel_encode_path(4, 13, HG_KIND_OVERLAY, "/ovl", cfx_three, 1, &w), 0);
	assert_int_equal(hg_cel_decode(w.buf, w.len, &rec, &why), 0);
	assert_int_equal(hg_cel_decode_content(rec.content, rec.content_len, &c, &why), 0);
	assert_int_equal(c.kind, HG_KIND_OVERLAY);
	assert_int_equal(c.file.n, 0);
	cw_free(&w);
}

static void test_kind_names(void **state)
{
	static const char *const names[] = { "hypervisor", "firmware", "config",
					     "image", "overlay", "breakglass" };

	(void)state;
	assert_int_equal(HG_KIND_MAX - 1, sizeof(names) / sizeof(names[0]));
	for (int k = HG_KIND_HYPERVISOR; k < HG_KIND_MAX; k++) {
		const char *n = names[k - 1];

		assert_string_equal(hg_kind_name((enum hg_kind)k), n);
		assert_int_equal(hg_kind_parse(n, strlen(n)), k);
		/* prefixes and extensions are not kinds */
		assert_int_equal(hg_kind_parse(n, strlen(n) - 1), HG_KIND_NONE);
	}
	assert_int_equal(hg_kind_parse("imagex", 6), HG_KIND_NONE);
	assert_int_equal(hg_kind_parse("", 0), HG_KIND_NONE);
	assert_string_equal(hg_kind_name(HG_KIND_NONE), "?");
	assert_string_equal(hg_kind_name((enum hg_kind)99), "?");
	assert_string_equal(hg_kind_name((enum hg_kind)HG_KIND_MAX), "?");
	/* What is hashed, and what a later record supersedes. */
	assert_false(hg_kind_hashed(HG_KIND_OVERLAY));
	assert_false(hg_kind_hashed(HG_KIND_NONE));
	assert_true(hg_kind_hashed(HG_KIND_BREAKGLASS));
	assert_true(hg_kind_hashed(HG_KIND_IMAGE));
	assert_true(hg_kind_is_workload(HG_KIND_CONFIG));
	assert_true(hg_kind_is_workload(HG_KIND_IMAGE));
	assert_true(hg_kind_is_workload(HG_KIND_OVERLAY));
	assert_false(hg_kind_is_workload(HG_KIND_HYPERVISOR));
	assert_false(hg_kind_is_workload(HG_KIND_FIRMWARE));
	assert_false(hg_kind_is_workload(HG_KIND_BREAKGLASS));
	assert_false(hg_kind_is_workload(HG_KIND_NONE));
}

static void test_encode_refuses(void **state)
{
	struct hg_digests fd, none = { 0 };
	struct cw w;
	char longname[HG_CEL_MAX_NAME + 2];

	(void)state;
	cfx_file_digests(cfx_three, 2, "x", &fd);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	cw_init(&w);
	assert_int_equal(hg_cel_encode_file(0, 24, HG_KIND_IMAGE, "n", 1, &fd, &w), -1);
	assert_int_equal(hg_cel_encode_file(0, 1, HG_KIND_NONE, "n", 1, &fd, &w), -1);
	assert_int_equal(hg_cel_encode_file(0, 1, (enum hg_kind)HG_KIND_MAX, "/n", 1, &fd, &w), -1);
	/* an overlay has no digests to give: by path only */
	assert_int_equal(hg_cel_encode_file(0, 1, HG_KIND_OVERLAY, "/n", 1, &fd, &w), -1);
	/* and only an overlay goes by path */
	assert_int_equal(hg_cel_encode_path(0, 1, HG_KIND_IMAGE, "/n", cfx_three, 2, &w), -1);
	assert_int_equal(hg_cel_encode_path(0, 1, HG_KIND_NONE, "/n", cfx_three, 2, &w), -1);
	assert_int_equal(hg_cel_encode_path(0, 1, HG_KIND_OVERLAY, "n", cfx_three, 2, &w), -1);
	assert_int_equal(hg_cel_encode_path(0, 1, HG_KIND_OVERLAY, "/a\tb", cfx_three, 2, &w), -1);
	assert_int_equal(hg_cel_encode_path(0, 24, HG_KIND_OVERLAY, "/n", cfx_three, 2, &w), -1);
	assert_int_equal(hg_cel_encode_path(0, 1, HG_KIND_OVERLAY, "/n", cfx_three, 0, &w), -1);
	assert_int_equal(hg_cel_encode_file(0, 1, HG_KIND_IMAGE, "a\nb", 1, &fd, &w), -1);
	assert_int_equal(hg_cel_encode_file(0, 1, HG_KIND_IMAGE, "", 1, &fd, &w), -1);
	assert_int_equal(hg_cel_encode_file(0, 1, HG_KIND_IMAGE, "relative/x", 1, &fd, &w), -1);
	assert_int_equal(hg_cel_encode_file(0, 1, HG_KIND_IMAGE, longname, 1, &fd, &w), -1);
	assert_int_equal(hg_cel_encode_file(0, 1, HG_KIND_IMAGE, "n", 1, &none, &w), -1);
	assert_int_equal(hg_cel_encode_log_key(0, 1, cfx_three, 0, (const uint8_t *)"\xa0", 1, &w), -1);
	assert_int_equal(w.len, 0);
	/* the longest allowed name is fine */
	longname[HG_CEL_MAX_NAME] = '\0';
	assert_int_equal(hg_cel_encode_file(0, 1, HG_KIND_IMAGE, longname, 1, &fd, &w), 0);
	cw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_roundtrip),
		cmocka_unit_test(test_log_key_roundtrip),
		cmocka_unit_test(test_overlay_roundtrip),
		cmocka_unit_test(test_breakglass_roundtrip),
		cmocka_unit_test(test_decode_content),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_encode_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
