/* test_launch.c: the launch record (lib/cel.h "launch",
 * docs/log-format.md) and the UUID text form (lib/uuid.h).
 *
 * Round trips through the encoder; what the encoder refuses; and
 * hand-built hostile content (each with a correct digest binding, so
 * that every row reaches the rule it targets), each pinned to its
 * reason: bad UUIDs, bad domain names, huge or empty ref arrays, refs
 * out of range, out of order, of the wrong kind or banks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/cbor_w.h"
#include "../../lib/cel.h"
#include "../../lib/digest.h"
#include "../../lib/uuid.h"
#include "cel_fx.h"

static const uint16_t one[] = { HG_ALG_SHA256 };
static const uint16_t two[] = { HG_ALG_SHA1, HG_ALG_SHA256 };
static const uint8_t U[16] = { 0x6f, 0x1c, 0x2a, 0x9e, 0x3b, 0x7d, 0x4c, 0x58,
			       0x9a, 0x0e, 0x2d, 0x4f, 0x8b, 0x1c, 0x7e, 0x35 };

static void ref_set(struct hg_launch_ref *r, uint64_t recnum, enum hg_kind kind,
		    const uint16_t *algs, size_t nalgs)
{
	char data[32];

	snprintf(data, sizeof(data), "record %llu", (unsigned long long)recnum);
	r->recnum = recnum;
	r->kind = kind;
	cfx_file_digests(algs, nalgs, data, &r->digests);
}

/* ---- round trip ---- */

static void test_roundtrip(void **state)
{
	struct hg_launch_ref refs[3], got;
	struct hg_cel_refs it;
	struct hg_cel_rec rec;
	struct hg_digest h;
	struct cw w;
	const char *why = "unset";
	size_t k = 0;

	(void)state;
	ref_set(&refs[0], 2, HG_KIND_CONFIG, two, 2);
	ref_set(&refs[1], 3, HG_KIND_IMAGE, two, 2);
	ref_set(&refs[2], 5, HG_KIND_OVERLAY, two, 2);
	cw_init(&w);
	assert_int_equal(hg_cel_encode_launch(9, 13, "demo", U, refs, 3, two, 2, &w), 0);
	assert_int_equal(hg_cel_decode(w.buf, w.len, &rec, &why), 0);
	assert_int_equal(rec.type, HG_CT_LAUNCH);
	assert_int_equal(rec.recnum, 9);
	assert_int_equal(rec.domain_len, 4);
	assert_memory_equal(rec.domain, "demo", 4);
	assert_memory_equal(rec.uuid, U, 16);
	assert_int_equal(rec.nrefs, 3);
	assert_int_equal(rec.kind, HG_KIND_NONE);
	assert_null(rec.name);
	hg_cel_refs_init(&rec, &it);
	while (hg_cel_refs_next(&it, &got) == 1) {
		assert_true(k < 3);
		assert_int_equal(got.recnum, refs[k].recnum);
		assert_int_equal(got.kind, refs[k].kind);
		cfx_assert_digests_equal(&got.digests, &refs[k].digests);
		k++;
	}
	assert_int_equal(k, 3);
	/* The extended digest binds the content, as for every record. */
	cfx_evp_hash(HG_ALG_SHA256, rec.content, rec.content_len, &h);
	assert_memory_equal(hg_digests_get(&rec.digests, HG_ALG_SHA256)->d, h.d, 32);
	/* The content decodes alone too (the verifier re-reads it so). */
	{
		struct hg_cel_rec c;

		assert_int_equal(hg_cel_decode_content(rec.content, rec.content_len, &c, &why), 0);
		assert_int_equal(c.nrefs, 3);
		assert_memory_equal(c.uuid, U, 16);
	}
	/* Any flipped content byte breaks the binding or the format. */
	for (size_t i = (size_t)(rec.content - w.buf); i < w.len; i++) {
		w.buf[i] ^= 0x01;
		assert_int_equal(hg_cel_decode(w.buf, w.len, &rec, &why), -1);
		w.buf[i] ^= 0x01;
	}
	cw_free(&w);
}

/* ---- the encoder refuses what a reader would ---- */

static void test_encode_refuses(void **state)
{
	struct hg_launch_ref r[3];
	struct cw w;
	char longname[HG_CEL_MAX_DOMAIN + 2];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
#define REFUSE(...) do { cw_init(&w); \
	assert_int_equal(hg_cel_encode_launch(__VA_ARGS__, &w), -1); cw_free(&w); } while (0)
	ref_set(&r[0], 2, HG_KIND_CONFIG, one, 1);
	ref_set(&r[1], 3, HG_KIND_IMAGE, one, 1);
	REFUSE(3, 13, "demo", U, r, 2, one, 1);          /* ref == own recnum */
	REFUSE(2, 13, "demo", U, r, 2, one, 1);          /* ref after it */
	REFUSE(9, 13, "demo", U, r, 0, one, 1);          /* no ref */
	REFUSE(9, 13, "demo", U, r + 1, 1, one, 1);      /* no config */
	REFUSE(9, 13, "demo", U, r, 2, two, 2);          /* other banks */
	REFUSE(9, 13, "", U, r, 2, one, 1);
	REFUSE(9, 13, "a/b", U, r, 2, one, 1);
	REFUSE(9, 13, ".hidden", U, r, 2, one, 1);
	REFUSE(9, 13, "de\xe2\x80\xaemo", U, r, 2, one, 1);
	REFUSE(9, 13, "de\nmo", U, r, 2, one, 1);
	REFUSE(9, 13, longname, U, r, 2, one, 1);
	REFUSE(9, 99, "demo", U, r, 2, one, 1);          /* pcr */
	ref_set(&r[1], 2, HG_KIND_IMAGE, one, 1);
	REFUSE(9, 13, "demo", U, r, 2, one, 1);          /* same recnum twice */
	ref_set(&r[1], 1, HG_KIND_IMAGE, one, 1);
	REFUSE(9, 13, "demo", U, r, 2, one, 1);          /* descending */
	ref_set(&r[1], 3, HG_KIND_CONFIG, one, 1);
	REFUSE(9, 13, "demo", U, r, 2, one, 1);          /* two configs */
	ref_set(&r[1], 3, HG_KIND_HYPERVISOR, one, 1);
	REFUSE(9, 13, "demo", U, r, 2, one, 1);          /* a host kind */
	ref_set(&r[1], 3, HG_KIND_NONE, one, 1);
	REFUSE(9, 13, "demo", U, r, 2, one, 1);
#undef REFUSE
	/* The longest good name is fine. */
	longname[HG_CEL_MAX_DOMAIN] = '\0';
	ref_set(&r[1], 3, HG_KIND_IMAGE, one, 1);
	cw_init(&w);
	assert_int_equal(hg_cel_encode_launch(9, 13, longname, U, r, 2, one, 1, &w), 0);
	cw_free(&w);
}

/* ---- hand-built hostile content ---- */

/* Wrap CONTENT (bytes) into a record with the digests bound to it, in
 * the banks ALGS. */
static void wrap(uint64_t recnum, const struct cw *content, const uint16_t *algs,
		 size_t nalgs, struct cw *out)
{
	cw_init(out);
	cw_map(out, 4);
	cw_uint(out, 0);
	cw_uint(out, recnum);
	cw_uint(out, 1);
	cw_uint(out, 13);
	cw_uint(out, 3);
	cw_array(out, nalgs);
	for (size_t i = 0; i < nalgs; i++) {
		struct hg_digest d;

		cfx_evp_hash(algs[i], content->buf, content->len, &d);
		cw_array(out, 2);
		cw_uint(out, algs[i]);
		cw_bytes(out, d.d, d.len);
	}
	cw_uint(out, HG_CEL_CONTENT_HOSTGATE);
	cw_raw(out, content->buf, content->len);
	assert_int_equal(out->err, 0);
}

/* One ref [recnum, kind, [[sha256, 32 bytes]]]. */
static void put_ref(struct cw *c, uint64_t recnum, const char *kind)
{
	uint8_t d[32] = { 0 };

	cw_array(c, 3);
	cw_uint(c, recnum);
	cw_textz(c, kind);
	cw_array(c, 1);
	cw_array(c, 2);
	cw_uint(c, HG_ALG_SHA256);
	cw_bytes(c, d, sizeof(d));
}

enum field { F_DOMAIN, F_UUID, F_REFS };

struct lc {
	const char *domain;          /* NULL: "demo"; "" with domain_len 0 */
	size_t domain_len;           /* 0: strlen */
	int uuid_len;                /* 0: 16; -1: as text */
	int omit;                    /* 1 << field */
	int extra_name;              /* add key 2 (a file record's name) */
	void (*refs)(struct cw *c);  /* NULL: [[2, config], [3, image]] */
	int type;                    /* 0: 3 */
};

static void refs_good(struct cw *c)
{
	cw_array(c, 2);
	put_ref(c, 2, "config");
	put_ref(c, 3, "image");
}

static void put_launch(struct cw *c, const struct lc *l)
{
	uint8_t uuid[32] = { 0 };
	const char *dom = l->domain ? l->domain : "demo";
	size_t n = 4 - !!(l->omit & 1 << F_DOMAIN) - !!(l->omit & 1 << F_UUID) -
		   !!(l->omit & 1 << F_REFS) + !!l->extra_name;

	cw_map(c, n);
	cw_uint(c, 0);
	cw_uint(c, l->type ? (uint64_t)l->type : HG_CT_LAUNCH);
	if (l->extra_name) {
		cw_uint(c, 2);
		cw_textz(c, "/etc/libvirt/qemu/demo.xml");
	}
	if (!(l->omit & 1 << F_DOMAIN)) {
		cw_uint(c, 6);
		cw_text(c, dom, l->domain_len ? l->domain_len : strlen(dom));
	}
	if (!(l->omit & 1 << F_UUID)) {
		cw_uint(c, 7);
		if (l->uuid_len < 0)
			cw_textz(c, "6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e35");
		else
			cw_bytes(c, uuid, l->uuid_len ? (size_t)l->uuid_len : 16);
	}
	if (!(l->omit & 1 << F_REFS)) {
		cw_uint(c, 8);
		(l->refs ? l->refs : refs_good)(c);
	}
}

static void expect(const struct lc *l, uint64_t recnum, const char *want)
{
	struct cw c, r;
	struct hg_cel_rec rec;
	const char *why = "unset";
	int rc;

	cw_init(&c);
	put_launch(&c, l);
	assert_int_equal(c.err, 0);
	wrap(recnum, &c, one, 1, &r);
	rc = hg_cel_decode(r.buf, r.len, &rec, &why);
	if (!want) {
		if (rc != 0)
			fail_msg("refused: %s", why);
	} else {
		assert_int_equal(rc, -1);
		assert_string_equal(why, want);
	}
	cw_free(&c);
	cw_free(&r);
}

static void refs_huge(struct cw *c)
{
	/* array(2^32 - 1) with one element behind it: refused by count
	 * before a single ref is read. */
	static const uint8_t head[] = { 0x9a, 0xff, 0xff, 0xff, 0xff };

	cw_raw(c, head, sizeof(head));
	put_ref(c, 2, "config");
}
static void refs_1025(struct cw *c)
{
	cw_array(c, HG_CEL_MAX_REFS + 1);
	for (int i = 0; i <= HG_CEL_MAX_REFS; i++)
		put_ref(c, (uint64_t)i + 1, i ? "image" : "config");
}
static void refs_1024(struct cw *c)
{
	cw_array(c, HG_CEL_MAX_REFS);
	for (int i = 0; i < HG_CEL_MAX_REFS; i++)
		put_ref(c, (uint64_t)i + 1, i ? "image" : "config");
}
static void refs_empty(struct cw *c) { cw_array(c, 0); }
static void refs_map(struct cw *c) { cw_map(c, 0); }
static void refs_short(struct cw *c)
{
	cw_array(c, 1);
	cw_array(c, 2);
	cw_uint(c, 2);
	cw_textz(c, "config");
}
static void refs_host_kind(struct cw *c)
{
	cw_array(c, 2);
	put_ref(c, 2, "config");
	put_ref(c, 3, "hypervisor");
}
static void refs_bad_kind(struct cw *c)
{
	cw_array(c, 2);
	put_ref(c, 2, "config");
	put_ref(c, 3, "Image");
}
static void refs_later(struct cw *c)
{
	cw_array(c, 2);
	put_ref(c, 2, "config");
	put_ref(c, 9, "image");
}
static void refs_far(struct cw *c)
{
	cw_array(c, 2);
	put_ref(c, 2, "config");
	put_ref(c, UINT64_MAX, "image");
}
static void refs_desc(struct cw *c)
{
	cw_array(c, 2);
	put_ref(c, 3, "config");
	put_ref(c, 2, "image");
}
static void refs_dup(struct cw *c)
{
	cw_array(c, 2);
	put_ref(c, 2, "config");
	put_ref(c, 2, "image");
}
static void refs_no_config(struct cw *c)
{
	cw_array(c, 1);
	put_ref(c, 3, "image");
}
static void refs_two_configs(struct cw *c)
{
	cw_array(c, 2);
	put_ref(c, 2, "config");
	put_ref(c, 3, "config");
}
static void refs_other_bank(struct cw *c)
{
	uint8_t d[20] = { 0 };

	cw_array(c, 2);
	put_ref(c, 2, "config");
	cw_array(c, 3);
	cw_uint(c, 3);
	cw_textz(c, "image");
	cw_array(c, 1);
	cw_array(c, 2);
	cw_uint(c, HG_ALG_SHA1);
	cw_bytes(c, d, sizeof(d));
}
static void refs_short_digest(struct cw *c)
{
	uint8_t d[31] = { 0 };

	cw_array(c, 1);
	cw_array(c, 3);
	cw_uint(c, 2);
	cw_textz(c, "config");
	cw_array(c, 1);
	cw_array(c, 2);
	cw_uint(c, HG_ALG_SHA256);
	cw_bytes(c, d, sizeof(d));
}
static void refs_negative(struct cw *c)
{
	cw_array(c, 1);
	cw_array(c, 3);
	cw_int(c, -1);
	cw_textz(c, "config");
	cw_array(c, 0);
}

static void test_decode_hostile(void **state)
{
	(void)state;
	/* Control: the hand-built good record decodes. */
	expect(&(struct lc){ 0 }, 9, NULL);
	/* UUIDs. */
	expect(&(struct lc){ .uuid_len = 15 }, 9, "content: uuid is not a 16-byte string");
	expect(&(struct lc){ .uuid_len = 17 }, 9, "content: uuid is not a 16-byte string");
	expect(&(struct lc){ .uuid_len = 32 }, 9, "content: uuid is not a 16-byte string");
	expect(&(struct lc){ .uuid_len = -1 }, 9, "content: uuid is not a 16-byte string");
	/* Domains. */
	expect(&(struct lc){ .domain = "a/b" }, 9, "content: domain starts with '.' or contains '/'");
	expect(&(struct lc){ .domain = ".." }, 9, "content: domain starts with '.' or contains '/'");
	expect(&(struct lc){ .domain = "d\xe2\x80\xaeo" }, 9, "content: domain has a bidirectional control character");
	expect(&(struct lc){ .domain = "d\xe2\x80\x8bo" }, 9, "content: domain has a zero-width character");
	expect(&(struct lc){ .domain = "d\x1bo" }, 9, "content: domain has a control character (C0 or DEL)");
	expect(&(struct lc){ .domain = "d\0o", .domain_len = 3 }, 9, "content: domain has a control character (C0 or DEL)");
	expect(&(struct lc){ .domain = "caf\xe9" }, 9, "content: domain is not valid UTF-8");
	expect(&(struct lc){ .domain = "x", .domain_len = 0, .omit = 0 }, 9, NULL);
	{
		char big[HG_CEL_MAX_DOMAIN + 2];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		expect(&(struct lc){ .domain = big }, 9, "content: domain is not 1..1024 bytes");
	}
	/* Fields. */
	expect(&(struct lc){ .omit = 1 << F_UUID }, 9, "content: launch record needs exactly domain, uuid and refs");
	expect(&(struct lc){ .omit = 1 << F_REFS }, 9, "content: launch record needs exactly domain, uuid and refs");
	expect(&(struct lc){ .omit = 1 << F_DOMAIN }, 9, "content: launch record needs exactly domain, uuid and refs");
	expect(&(struct lc){ .extra_name = 1 }, 9, "content: launch record needs exactly domain, uuid and refs");
	expect(&(struct lc){ .type = HG_CT_FILE, .omit = 1 << F_DOMAIN | 1 << F_UUID | 1 << F_REFS,
			     .extra_name = 1 }, 9, "content: file record has no kind");
	expect(&(struct lc){ .type = 4 }, 9, "content: unknown type");
	/* Refs. */
	expect(&(struct lc){ .refs = refs_huge }, 9, "content: refs is not an array of 1..1024 refs");
	expect(&(struct lc){ .refs = refs_1025 }, 2000, "content: refs is not an array of 1..1024 refs");
	expect(&(struct lc){ .refs = refs_1024 }, 2000, NULL);
	expect(&(struct lc){ .refs = refs_empty }, 9, "content: refs is not an array of 1..1024 refs");
	expect(&(struct lc){ .refs = refs_map }, 9, "content: refs is not an array of 1..1024 refs");
	expect(&(struct lc){ .refs = refs_short }, 9, "content: ref is not [recnum, kind, digests]");
	expect(&(struct lc){ .refs = refs_negative }, 9, "content: ref is not [recnum, kind, digests]");
	expect(&(struct lc){ .refs = refs_host_kind }, 9, "content: ref kind is not config, image or overlay");
	expect(&(struct lc){ .refs = refs_bad_kind }, 9, "content: ref kind is not config, image or overlay");
	expect(&(struct lc){ .refs = refs_short_digest }, 9, "content: ref digests are not [[alg, digest], ...] of known banks");
	expect(&(struct lc){ .refs = refs_desc }, 9, "content: refs are not in strictly ascending record order");
	expect(&(struct lc){ .refs = refs_dup }, 9, "content: refs are not in strictly ascending record order");
	expect(&(struct lc){ .refs = refs_no_config }, 9, "content: refs do not name exactly one config");
	expect(&(struct lc){ .refs = refs_two_configs }, 9, "content: refs do not name exactly one config");
	/* Out of range: a ref to the record itself, after it, or far away. */
	expect(&(struct lc){ .refs = refs_later }, 9, "launch record refers to a record not before it");
	expect(&(struct lc){ 0 }, 3, "launch record refers to a record not before it");
	expect(&(struct lc){ .refs = refs_far }, 9, "launch record refers to a record not before it");
	expect(&(struct lc){ .refs = refs_other_bank }, 9, "launch ref digests and record digests cover different banks");
}

/* A file record may not carry the launch fields. */
static void test_file_with_launch_field(void **state)
{
	struct cw c, r;
	struct hg_cel_rec rec;
	const char *why = "unset";
	uint8_t d[32] = { 0 };

	(void)state;
	cw_init(&c);
	cw_map(&c, 4);
	cw_uint(&c, 0);
	cw_uint(&c, HG_CT_FILE);
	cw_uint(&c, 1);
	cw_textz(&c, "overlay");
	cw_uint(&c, 2);
	cw_textz(&c, "/srv/o.qcow2");
	cw_uint(&c, 7);
	cw_bytes(&c, d, 16);
	wrap(4, &c, one, 1, &r);
	assert_int_equal(hg_cel_decode(r.buf, r.len, &rec, &why), -1);
	assert_string_equal(why, "content: file record carries launch fields");
	cw_free(&c);
	cw_free(&r);
}

/* ---- UUID text ---- */

static void test_uuid(void **state)
{
	static const char *const bad[] = {
		"", "6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e3", "6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e355",
		"6f1c2a9e3b7d4c589a0e2d4f8b1c7e35", "{6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e35}",
		"6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e3\n", "6f1c2a9e-3b7d-4c58-9a0e2-d4f8b1c7e35",
		"6f1c2a9g-3b7d-4c58-9a0e-2d4f8b1c7e35", "6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e3 ",
		"6f1c2a9e_3b7d-4c58-9a0e-2d4f8b1c7e35", "-6f1c2a9e3b7d-4c58-9a0e-2d4f8b1c7e35",
		"6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e+5",
	};
	uint8_t u[16];
	char s[HG_UUID_TEXT + 1];

	(void)state;
	assert_int_equal(hg_uuid_parse("6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e35", 36, u), 0);
	assert_memory_equal(u, U, 16);
	assert_int_equal(hg_uuid_parse("6F1C2A9E-3B7D-4C58-9A0E-2D4F8B1C7E35", 36, u), 0);
	assert_memory_equal(u, U, 16);
	hg_uuid_format(U, s);
	assert_string_equal(s, "6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e35");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hg_uuid_parse(bad[i], strlen(bad[i]), u) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	/* A NUL inside the 36 bytes is not a digit. */
	assert_int_equal(hg_uuid_parse("6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e\0005", 36, u), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_decode_hostile),
		cmocka_unit_test(test_file_with_launch_field),
		cmocka_unit_test(test_uuid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
