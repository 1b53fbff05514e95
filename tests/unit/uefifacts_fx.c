/* uefifacts_fx.c: see uefifacts_fx.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "../../lib/uefilog.h"
#include "../../lib/util.h"
#include "uefifacts_fx.h"

/* ---- byte builders ------------------------------------------------------ */

void put(struct bb *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	if (n)
		memcpy(b->b + b->n, p, n);
	b->n += n;
}

void put_le(struct bb *b, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(v >> (8 * i));

		put(b, &c, 1);
	}
}

void put_u16s(struct bb *b, const char *ascii)
{
	for (; *ascii; ascii++)
		put_le(b, (unsigned char)*ascii, 2);
}

/* UEFI_VARIABLE_DATA of GUID:NAME with VALUE. */
void put_var(struct bb *b, const uint8_t guid[16], const char *name,
		    const void *value, size_t len)
{
	put(b, guid, 16);
	put_le(b, strlen(name), 8);
	put_le(b, len, 8);
	put_u16s(b, name);
	put(b, value, len);
}

/* ---- UEFI_IMAGE_LOAD_EVENT and device paths ---------------------------- */

void put_node(struct bb *b, uint8_t type, uint8_t sub, const void *p,
		     size_t n)
{
	put_le(b, type, 1);
	put_le(b, sub, 1);
	put_le(b, 4 + n, 2);
	put(b, p, n);
}

void put_file_node(struct bb *b, const char *path, int nul)
{
	struct bb s = { .n = 0 };

	put_u16s(&s, path);
	if (nul)
		put_le(&s, 0, 2);
	put_node(b, 4, 4, s.b, s.n);
}

void put_end(struct bb *b)
{
	put_node(b, 0x7f, 0xff, NULL, 0);
}

/* UEFI_IMAGE_LOAD_EVENT around device path DP; DPLEN_DELTA is added to
 * LengthOfDevicePath, EXTRA bytes follow. */
void image_event(struct bb *out, const struct bb *dp, int64_t dplen_delta,
			size_t extra)
{
	out->n = 0;
	put_le(out, 0x7e000000, 8);
	put_le(out, 0x100000, 8);
	put_le(out, 0, 8);
	put_le(out, (uint64_t)((int64_t)dp->n + dplen_delta), 8);
	put(out, dp->b, dp->n);
	for (size_t i = 0; i < extra; i++)
		put(out, "\0", 1);
}

/* ---- the shared corpus ------------------------------------------------ */

const char *hg_fx_corpus_dir(void)
{
	const char *d = getenv("HG_UEFI_CORPUS");
	struct stat st;

	if (!d || !*d)
		d = "tests/data/uefi";
	if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))
		fail_msg("UEFI corpus missing: %s (run from the repository root with "
			 "the repository root, or set HG_UEFI_CORPUS)", d);
	return d;
}

void hg_fx_load_corpus_log(const char *rel, uint8_t **buf, struct hg_uefi_facts *f)
{
	char path[4096];
	size_t len;
	struct hg_uefi_err err;

	snprintf(path, sizeof(path), "%s/%s", hg_fx_corpus_dir(), rel);
	if (hg_read_file(path, HG_UEFI_MAX_LOG, 0, buf, &len) < 0)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	if (hg_uefi_facts(*buf, len, f, &err) < 0)
		fail_msg("%s: event %ld: %s", rel, err.event, err.msg);
}
