/* test_cel_bad.c: malformed CEL-CBOR records (lib/cel.h).
 *
 * Malformed records are built by hand with cw_*, each with a correct
 * digest binding unless the binding is what the row breaks, so that every
 * row reaches the check it targets; each is pinned to its exact reason.
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

/* ---- hand-built records ---- */

/* Content of a file record, field by field. A zero knob takes the value
 * of the good record ({0: 2, 1: "config", 2: "/etc/hostgate/vm.xml",
 * 3: 1234, 4: file digests over sha1, sha256}); OMIT drops the field. */
#define OMIT INT64_MIN
#define ZERO (INT64_MIN + 1)
static const char omit_str[] = "omit";
static const uint16_t omit_algs[1];
#define OMITS omit_str
#define OMITA omit_algs

static const uint16_t two[] = { HG_ALG_SHA1, HG_ALG_SHA256 };

struct fcontent {
	int64_t type;            /* 0: 2 (file); ZERO: 0 */
	const char *kind;
	const char *name;
	size_t name_len;         /* 0: strlen(name) */
	int64_t size;
	const uint16_t *falgs;
	size_t nfalgs;           /* 0: 2 */
	int key_field;           /* add 5: {} */
	int swap_kind_name;      /* emit 2 before 1 */
	int dup_name;            /* emit 2 twice */
};

static void put_fcontent(struct cw *c, const struct fcontent *in)
{
	struct fcontent f = *in;
	int has_type, has_kind, has_name, has_size, has_falgs;
	size_t n, nl;

	if (!f.type)
		f.type = 2;
	if (f.type == ZERO)
		f.type = 0;
	if (!f.kind)
		f.kind = "config";
	if (!f.name)
		f.name = "/etc/hostgate/vm.xml";
	if (!f.size)
		f.size = 1234;
	if (!f.falgs)
		f.falgs = two;
	if (!f.nfalgs)
		f.nfalgs = 2;
	has_type = f.type != OMIT;
	has_kind = f.kind != OMITS;
	has_name = f.name != OMITS;
	has_size = f.size != OMIT;
	has_falgs = f.falgs != OMITA;
	nl = f.name_len ? f.name_len : strlen(f.name);
	n = (size_t)(has_type + has_kind + has_name + has_size + has_falgs +
		     !!f.key_field + !!f.dup_name);

	cw_map(c, n);
	if (has_type) {
		cw_uint(c, 0);
		cw_uint(c, (uint64_t)f.type);
	}
	if (f.swap_kind_name) {
		cw_uint(c, 2);
		cw_text(c, f.name, nl);
		cw_uint(c, 1);
		cw_textz(c, f.kind);
	} else {
		if (has_kind) {
			cw_uint(c, 1);
			cw_textz(c, f.kind);
		}
		if (has_name) {
			cw_uint(c, 2);
			cw_text(c, f.name, nl);
		}
		if (f.dup_name) {
			cw_uint(c, 2);
			cw_text(c, f.name, nl);
		}
	}
	if (has_size) {
		cw_uint(c, 3);
		cw_uint(c, (uint64_t)f.size);
	}
	if (has_falgs) {
		struct hg_digests d;

		cfx_file_digests(f.falgs, f.nfalgs, "file", &d);
		cw_uint(c, 4);
		cfx_put_digests(c, &d);
	}
	if (f.key_field) {
		cw_uint(c, 5);
		cw_map(c, 0);
	}
}

enum rflags {
	R_TRAIL = 1 << 0,        /* a byte after the record */
	R_NO_PCR = 1 << 1,       /* map of 3: recnum, digests, content */
	R_KEYS_SWAPPED = 1 << 2, /* pcr key before recnum key */
	R_BAD_BIND = 1 << 3,     /* last record digest byte flipped */
	R_NEG_RECNUM = 1 << 4,
	R_SHORT_DIGEST = 1 << 5, /* first digest one byte short */
	R_DUP_ALG = 1 << 6,      /* first bank listed twice */
	R_NO_DIGESTS = 1 << 7,   /* empty digests array */
	R_ALG_SM3 = 1 << 8,      /* first bank TPM_ALG_SM3_256 (0x12) */
};

/* A record around CONTENT with the digests bound to it (computed with
 * OpenSSL directly). */
static uint8_t *wrap(uint64_t recnum, uint64_t pcr, const uint16_t *algs,
		     size_t nalgs, const struct cw *content, unsigned flags,
		     size_t *len)
{
	struct hg_digests d = { 0 };
	struct cw w;

	assert_int_equal(content->err, 0);
	for (size_t i = 0; i < nalgs; i++)
		cfx_evp_hash(algs[i], content->buf, content->len, &d.v[i]);
	d.n = nalgs;
	if (flags & R_BAD_BIND)
		d.v[nalgs - 1].d[0] ^= 0x01;
	if (flags & R_SHORT_DIGEST)
		d.v[0].len--;
	if (flags & R_DUP_ALG) {
		d.v[d.n] = d.v[0];
		d.n++;
	}
	if (flags & R_NO_DIGESTS)
		d.n = 0;
	if (flags & R_ALG_SM3)
		d.v[0].alg = 0x0012;
	cw_init(&w);
	cw_map(&w, flags & R_NO_PCR ? 3 : 4);
	if (flags & R_KEYS_SWAPPED) {
		cw_uint(&w, 1);
		cw_uint(&w, pcr);
		cw_uint(&w, 0);
		cw_uint(&w, recnum);
	} else {
		cw_uint(&w, 0);
		if (flags & R_NEG_RECNUM)
			cw_int(&w, -1);
		else
			cw_uint(&w, recnum);
		if (!(flags & R_NO_PCR)) {
			cw_uint(&w, 1);
			cw_uint(&w, pcr);
		}
	}
	cw_uint(&w, 3);
	cfx_put_digests(&w, &d);
	cw_uint(&w, HG_CEL_CONTENT_HOSTGATE);
	cw_raw(&w, content->buf, content->len);
	if (flags & R_TRAIL)
		cw_uint(&w, 0);
	assert_int_equal(w.err, 0);
	return cw_take(&w, len);
}

#define WHY_BIND "digest does not match the record content"
#define WHY_TRAIL "trailing bytes after record"
#define WHY_PCR "pcr is not in 0..23"
#define WHY_KIND "content: unknown kind"
#define WHY_NAME_ABS "content: name is not an absolute path"
#define WHY_NAME_LONG "content: name is longer than 4096 bytes"
#define WHY_NAME_UTF8 "content: name is not valid UTF-8"
#define WHY_NAME_C0 "content: name has a control character (C0 or DEL)"
#define WHY_NAME_C1 "content: name has a C1 control character (U+0080-009F)"
#define WHY_NAME_BIDI "content: name has a bidirectional control character"
#define WHY_NAME_ZW "content: name has a zero-width character"
#define WHY_NAME_SEP "content: name has a line or paragraph separator"
#define WHY_NO_KIND "content: file record has no kind"
#define WHY_NO_NAME "content: file record has no name"
#define WHY_NO_SIZE "content: file record has no size (only overlay records go without)"
#define WHY_NO_FDIG "content: file record has no file digests (only overlay records go without)"
#define WHY_FILE_KEY "content: file record carries a log key"
#define WHY_OVL_SIZE "content: overlay record has a size (overlays are recorded by path only)"
#define WHY_OVL_FDIG "content: overlay record has file digests (overlays are recorded by path only)"
#define WHY_LOGKEY_FIELDS "content: log-key record needs exactly the key"
#define WHY_BANKS "file digests and record digests cover different banks"
#define WHY_TYPE "content: unknown type"
#define WHY_TYPE_MISSING "content: type missing"
#define WHY_ORDER "content: key unknown, repeated or out of order"
#define WHY_REC_MAP "record is not a map of recnum, pcr, digests, content"
#define WHY_REC_KEYS "record keys are not 0, 1, 3, 128 in order"
#define WHY_RECNUM "recnum is not an unsigned integer"
#define WHY_DIG_ARRAY "digests: not an array of 1..5 [alg, digest] pairs"
#define WHY_DIG_ALG "digests: unknown hash algorithm"
#define WHY_DIG_TWICE "digests: algorithm listed twice"
#define WHY_DIG_LEN "digests: digest length does not match algorithm"
#define WHY_CMAP "content: not a map of 2..5 entries"
#define WHY_KEY_CBOR "content: key is not CBOR"

static const uint16_t other2[] = { HG_ALG_SHA1, HG_ALG_SHA384 };
static char name4097[HG_CEL_MAX_NAME + 1];

struct frow {
	const char *what;
	uint64_t pcr;
	struct fcontent c;
	unsigned flags;
	const char *why;          /* NULL: must decode */
};

static const struct frow frows[] = {
	{ "good (control)", 9, { 0 }, 0, NULL },
	{ "pcr 23 (control)", 23, { 0 }, 0, NULL },
	{ "name 4096 bytes (control)", 9, { .name = name4097,
	  .name_len = HG_CEL_MAX_NAME }, 0, NULL },
	{ "binding broken", 9, { 0 }, R_BAD_BIND, WHY_BIND },
	{ "trailing byte", 9, { 0 }, R_TRAIL, WHY_TRAIL },
	{ "pcr 24", 24, { 0 }, 0, WHY_PCR },
	{ "pcr 2^32", 1ull << 32, { 0 }, 0, WHY_PCR },
	{ "unknown kind", 9, { .kind = "kernel" }, 0, WHY_KIND },
	{ "name with LF", 9, { .name = "/etc/a\nb" }, 0, WHY_NAME_C0 },
	{ "name with DEL", 9, { .name = "/etc/a\x7f" }, 0, WHY_NAME_C0 },
	{ "name with ESC", 9, { .name = "/etc/a\x1b[2J" }, 0, WHY_NAME_C0 },
	{ "relative name", 9, { .name = "etc/hostname" }, 0, WHY_NAME_ABS },
	{ "name with NUL", 9, { .name = "/etc/a\0b", .name_len = 8 }, 0, WHY_NAME_C0 },
	{ "name empty", 9, { .name = "", .name_len = 0 }, 0, WHY_NAME_ABS },
	{ "name 4097 bytes", 9, { .name = name4097,
	  .name_len = HG_CEL_MAX_NAME + 1 }, 0, WHY_NAME_LONG },
	/* Host-chosen text (issue 11 item 8): what is shown must be what
	 * the bytes say, so no name that could look like another. */
	{ "name UTF-8 (control)", 9, { .name = "/img/caf\xc3\xa9.qcow2" }, 0, NULL },
	{ "name with U+202E", 9, { .name = "/img/a\xe2\x80\xaegpj.qcow2" }, 0, WHY_NAME_BIDI },
	{ "name with U+2066", 9, { .name = "/img/a\xe2\x81\xa6" }, 0, WHY_NAME_BIDI },
	{ "name with U+200B", 9, { .name = "/usr/bin/qemu\xe2\x80\x8b" }, 0, WHY_NAME_ZW },
	{ "name with U+200D", 9, { .name = "/usr/bin/q\xe2\x80\x8d" "emu" }, 0, WHY_NAME_ZW },
	{ "name with U+FEFF", 9, { .name = "/usr/bin/\xef\xbb\xbf" "qemu" }, 0, WHY_NAME_ZW },
	{ "name with NEL (C1)", 9, { .name = "/etc/a\xc2\x85" }, 0, WHY_NAME_C1 },
	{ "name with U+2028", 9, { .name = "/etc/a\xe2\x80\xa8" }, 0, WHY_NAME_SEP },
	{ "name overlong '/'", 9, { .name = "/etc/a\xc0\xaf" "b" }, 0, WHY_NAME_UTF8 },
	{ "name surrogate", 9, { .name = "/etc/\xed\xa0\x80" }, 0, WHY_NAME_UTF8 },
	{ "name raw byte 0x85", 9, { .name = "/etc/a\x85" }, 0, WHY_NAME_UTF8 },
	{ "size missing", 9, { .size = OMIT }, 0, WHY_NO_SIZE },
	{ "kind missing", 9, { .kind = OMITS }, 0, WHY_NO_KIND },
	{ "name missing", 9, { .name = OMITS }, 0, WHY_NO_NAME },
	{ "file digests missing", 9, { .falgs = OMITA }, 0, WHY_NO_FDIG },
	{ "size and file digests missing", 9, { .size = OMIT, .falgs = OMITA },
	  0, WHY_NO_SIZE },
	{ "key instead of file digests", 9, { .falgs = OMITA, .key_field = 1 },
	  0, WHY_FILE_KEY },
	{ "key besides file digests", 9, { .size = OMIT, .key_field = 1 },
	  0, WHY_FILE_KEY },
	/* Only overlay goes without size and file digests, and it must. */
	{ "image without size, file digests", 9, { .kind = "image", .size = OMIT,
	  .falgs = OMITA }, 0, WHY_NO_SIZE },
	{ "image without file digests", 9, { .kind = "image", .falgs = OMITA },
	  0, WHY_NO_FDIG },
	{ "hypervisor without file digests", 9, { .kind = "hypervisor",
	  .falgs = OMITA }, 0, WHY_NO_FDIG },
	{ "breakglass without size", 9, { .kind = "breakglass", .size = OMIT },
	  0, WHY_NO_SIZE },
	{ "breakglass (control)", 9, { .kind = "breakglass" }, 0, NULL },
	{ "overlay by path (control)", 9, { .kind = "overlay", .size = OMIT,
	  .falgs = OMITA }, 0, NULL },
	{ "overlay with size and file digests", 9, { .kind = "overlay" }, 0,
	  WHY_OVL_SIZE },
	{ "overlay with size", 9, { .kind = "overlay", .falgs = OMITA }, 0,
	  WHY_OVL_SIZE },
	{ "overlay with file digests", 9, { .kind = "overlay", .size = OMIT },
	  0, WHY_OVL_FDIG },
	{ "overlay with a key", 9, { .kind = "overlay", .size = OMIT,
	  .falgs = OMITA, .key_field = 1 }, 0, WHY_FILE_KEY },
	{ "overlay without name", 9, { .kind = "overlay", .name = OMITS,
	  .size = OMIT, .falgs = OMITA }, 0, WHY_NO_NAME },
	{ "overlay binding broken", 9, { .kind = "overlay", .size = OMIT,
	  .falgs = OMITA }, R_BAD_BIND, WHY_BIND },
	{ "type missing", 9, { .type = OMIT }, 0, WHY_TYPE_MISSING },
	{ "type 4", 9, { .type = 4 }, 0, WHY_TYPE },
	/* 3 is a launch record (test_launch.c): file fields are not its own. */
	{ "type 3 with file fields", 9, { .type = 3 }, 0, "content: launch record needs exactly domain, uuid and refs" },
	{ "type 0", 9, { .type = ZERO }, 0, WHY_TYPE },
	{ "type log-key with file fields", 9, { .type = 1 }, 0, WHY_LOGKEY_FIELDS },
	{ "name before kind", 9, { .swap_kind_name = 1 }, 0, WHY_ORDER },
	{ "name twice", 9, { .size = OMIT, .dup_name = 1 }, 0, WHY_ORDER },
	{ "file digests over other banks", 9, { .falgs = other2 }, 0, WHY_BANKS },
	{ "file digests over fewer banks", 9, { .falgs = two + 1, .nfalgs = 1 },
	  0, WHY_BANKS },
	{ "file digests over more banks", 9, { .falgs = cfx_three, .nfalgs = 3 },
	  0, WHY_BANKS },
	{ "record without pcr", 9, { 0 }, R_NO_PCR, WHY_REC_MAP },
	{ "record keys swapped", 9, { 0 }, R_KEYS_SWAPPED, WHY_REC_KEYS },
	{ "recnum negative", 9, { 0 }, R_NEG_RECNUM, WHY_RECNUM },
	{ "digest one byte short", 9, { 0 }, R_SHORT_DIGEST, WHY_DIG_LEN },
	{ "bank listed twice", 9, { 0 }, R_DUP_ALG, WHY_DIG_TWICE },
	{ "no digests", 9, { 0 }, R_NO_DIGESTS, WHY_DIG_ARRAY },
	{ "unknown bank", 9, { 0 }, R_ALG_SM3, WHY_DIG_ALG },
	{ "content map of 1", 9, { .kind = OMITS, .name = OMITS, .size = OMIT, .falgs = OMITA },
	  0, WHY_CMAP },
};

static void run_row(const char *what, const uint8_t *p, size_t len,
		    const char *want)
{
	struct hg_cel_rec rec;
	const char *why = NULL;
	int ret = hg_cel_decode(p, len, &rec, &why);

	if (want) {
		if (ret == 0 || !why || strcmp(why, want))
			print_error("row \"%s\": ret %d why \"%s\", want \"%s\"\n",
				    what, ret, why ? why : "(null)", want);
		assert_int_equal(ret, -1);
		assert_non_null(why);
		assert_string_equal(why, want);
	} else {
		if (ret != 0)
			print_error("row \"%s\": refused: %s\n", what, why);
		assert_int_equal(ret, 0);
	}
}

static void test_file_bad_inputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(frows) / sizeof(frows[0]); i++) {
		const struct frow *f = &frows[i];
		struct cw c;
		size_t len;
		uint8_t *rec;

		cw_init(&c);
		put_fcontent(&c, &f->c);
		rec = wrap(3, f->pcr, two, 2, &c, f->flags, &len);
		run_row(f->what, rec, len, f->why);
		free(rec);
		cw_free(&c);
	}
}

/* A 7-byte kind "config\0" is not "config" (hg_kind_parse compares
 * lengths); cw_textz would stop at the NUL, so build it by hand. */
static void test_kind_with_nul(void **state)
{
	struct cw c;
	struct hg_digests d;
	size_t len;
	uint8_t *rec;

	(void)state;
	cfx_file_digests(two, 2, "file", &d);
	cw_init(&c);
	cw_map(&c, 5);
	cw_uint(&c, 0);
	cw_uint(&c, 2);
	cw_uint(&c, 1);
	cw_text(&c, "config\0", 7);
	cw_uint(&c, 2);
	cw_textz(&c, "n");
	cw_uint(&c, 3);
	cw_uint(&c, 1);
	cw_uint(&c, 4);
	cfx_put_digests(&c, &d);
	rec = wrap(0, 9, two, 2, &c, 0, &len);
	run_row("kind \"config\\0\"", rec, len, WHY_KIND);
	free(rec);
	cw_free(&c);
}

/* A byte flipped inside the content, after encoding: only the binding
 * can catch it. */
static void test_content_flip_breaks_binding(void **state)
{
	struct hg_digests fd;
	struct cw w;
	struct hg_cel_rec rec;
	const char *why;
	size_t coff, clen;

	(void)state;
	cfx_file_digests(cfx_three, 3, "data", &fd);
	cw_init(&w);
	assert_int_equal(hg_cel_encode_file(1, 9, HG_KIND_IMAGE, "/img/disk.qcow2",
					    10, &fd, &w), 0);
	assert_int_equal(hg_cel_decode(w.buf, w.len, &rec, &why), 0);
	coff = (size_t)(rec.content - w.buf);
	clen = rec.content_len;
	/* the last byte of the last file digest */
	w.buf[coff + clen - 1] ^= 0x01;
	run_row("last file digest byte flipped", w.buf, w.len, WHY_BIND);
	w.buf[coff + clen - 1] ^= 0x01;
	/* a letter of the name: "/img" -> "/ilg" */
	{
		uint8_t *n = memmem(w.buf + coff, clen, "/img/disk", 9);

		assert_non_null(n);
		n[2] ^= 0x01;
		run_row("name byte flipped", w.buf, w.len, WHY_BIND);
		n[2] ^= 0x01;
	}
	/* the size (10 -> 11) */
	{
		uint8_t *s = memmem(w.buf + coff, clen, "\x03\x0a", 2);

		assert_non_null(s);
		s[1] ^= 0x01;
		run_row("size flipped", w.buf, w.len, WHY_BIND);
		s[1] ^= 0x01;
	}
	/* a record digest byte of each bank */
	for (size_t i = 0; i < 3; i++) {
		uint8_t *d = memmem(w.buf, coff, rec.digests.v[i].d, rec.digests.v[i].len);

		assert_non_null(d);
		d[5] ^= 0x80;
		run_row("record digest flipped", w.buf, w.len, WHY_BIND);
		d[5] ^= 0x80;
	}
	run_row("restored", w.buf, w.len, NULL);
	cw_free(&w);
}

static void test_log_key_bad_inputs(void **state)
{
	size_t klen, len;
	uint8_t *kb = cfx_cose_key(&klen), *rec;
	struct cw c;

	(void)state;
	/* {0: 1, 5: key} is good */
	cw_init(&c);
	cw_map(&c, 2);
	cw_uint(&c, 0);
	cw_uint(&c, 1);
	cw_uint(&c, 5);
	cw_raw(&c, kb, klen);
	rec = wrap(0, 9, two, 2, &c, 0, &len);
	run_row("log-key (control)", rec, len, NULL);
	free(rec);
	rec = wrap(0, 9, two, 2, &c, R_TRAIL, &len);
	run_row("log-key trailing byte", rec, len, WHY_TRAIL);
	free(rec);
	rec = wrap(0, 9, two, 2, &c, R_BAD_BIND, &len);
	run_row("log-key binding broken", rec, len, WHY_BIND);
	free(rec);
	cw_free(&c);

	/* {0: 1, 2: "/n", 5: key}: a name on a log-key record */
	cw_init(&c);
	cw_map(&c, 3);
	cw_uint(&c, 0);
	cw_uint(&c, 1);
	cw_uint(&c, 2);
	cw_textz(&c, "/n");
	cw_uint(&c, 5);
	cw_raw(&c, kb, klen);
	rec = wrap(0, 9, two, 2, &c, 0, &len);
	run_row("log-key with a name", rec, len, WHY_LOGKEY_FIELDS);
	free(rec);
	cw_free(&c);

	/* {0: 1, 3: 5}: no key */
	cw_init(&c);
	cw_map(&c, 2);
	cw_uint(&c, 0);
	cw_uint(&c, 1);
	cw_uint(&c, 3);
	cw_uint(&c, 5);
	rec = wrap(0, 9, two, 2, &c, 0, &len);
	run_row("log-key without key", rec, len, WHY_LOGKEY_FIELDS);
	free(rec);
	cw_free(&c);

	/* {0: 1, 5: <float>}: the key is not CBOR we accept */
	cw_init(&c);
	cw_map(&c, 2);
	cw_uint(&c, 0);
	cw_uint(&c, 1);
	cw_uint(&c, 5);
	cw_raw(&c, "\xf9\x3c\x00", 3);
	rec = wrap(0, 9, two, 2, &c, 0, &len);
	run_row("log-key key is a float", rec, len, WHY_KEY_CBOR);
	free(rec);
	cw_free(&c);

	/* {0: 1, 9: 0}: key 9 is unknown (6..8 are a launch record's) */
	cw_init(&c);
	cw_map(&c, 2);
	cw_uint(&c, 0);
	cw_uint(&c, 1);
	cw_uint(&c, 9);
	cw_uint(&c, 0);
	rec = wrap(0, 9, two, 2, &c, 0, &len);
	run_row("content key 9", rec, len, WHY_ORDER);
	free(rec);
	cw_free(&c);
	free(kb);
}

/* Every truncation of a valid record is refused (never read past LEN):
 * a hashed file record and an overlay, which is shorter and ends with
 * its name. */
static void assert_prefixes_refused(const struct cw *w)
{
	for (size_t k = 0; k < w->len; k++) {
		struct hg_cel_rec rec;
		const char *why = NULL;
		uint8_t *copy = malloc(k ? k : 1);

		assert_non_null(copy);
		memcpy(copy, w->buf, k);
		assert_int_equal(hg_cel_decode(copy, k, &rec, &why), -1);
		assert_non_null(why);
		free(copy);
	}
}

static void test_every_prefix_refused(void **state)
{
	struct hg_digests fd;
	struct cw w;

	(void)state;
	cfx_file_digests(cfx_three, 3, "data", &fd);
	cw_init(&w);
	assert_int_equal(hg_cel_encode_file(1, 9, HG_KIND_IMAGE, "/img", 10, &fd, &w), 0);
	assert_prefixes_refused(&w);
	cw_free(&w);
	cw_init(&w);
	assert_int_equal(hg_cel_encode_path(2, 9, HG_KIND_OVERLAY, "/ovl", cfx_three,
					    3, &w), 0);
	assert_prefixes_refused(&w);
	cw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_bad_inputs),
		cmocka_unit_test(test_kind_with_nul),
		cmocka_unit_test(test_content_flip_breaks_binding),
		cmocka_unit_test(test_log_key_bad_inputs),
		cmocka_unit_test(test_every_prefix_refused),
	};

	memset(name4097, 'n', sizeof(name4097));
	name4097[0] = '/';
	return cmocka_run_group_tests(tests, NULL, NULL);
}
