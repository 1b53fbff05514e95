/* test_text.c: the name rule and the escaper of lib/text.c (issue 11
 * item 8): a table of good and bad byte strings for hg_name_check()
 * (overlong forms, surrogates, above U+10FFFF, truncated sequences, every
 * class of unsafe code point at its edges), and the escaper's output for
 * each. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../lib/text.h"

struct row {
	const char *in;         /* bytes, NUL-terminated unless len is set */
	size_t len;             /* 0: strlen(in) */
	const char *why;        /* NULL: accepted */
	const char *shown;      /* hg_escape()'s output */
};

#define BAD_UTF8 "is not valid UTF-8"
#define C0 "has a control character (C0 or DEL)"
#define C1 "has a C1 control character (U+0080-009F)"
#define ZW "has a zero-width character"
#define BIDI "has a bidirectional control character"
#define SEP "has a line or paragraph separator"

static const struct row rows[] = {
	/* good */
	{ "/usr/bin/qemu-system-x86_64", 0, NULL, "/usr/bin/qemu-system-x86_64" },
	{ "/var/lib/images/caf\xc3\xa9.qcow2", 0, NULL, "/var/lib/images/caf\xc3\xa9.qcow2" },
	{ "/srv/\xe6\x97\xa5\xe6\x9c\xac.img", 0, NULL, "/srv/\xe6\x97\xa5\xe6\x9c\xac.img" },
	{ "/x/\xf0\x9f\x98\x80", 0, NULL, "/x/\xf0\x9f\x98\x80" },             /* U+1F600 */
	{ "/x/\xf4\x8f\xbf\xbf", 0, NULL, "/x/\xf4\x8f\xbf\xbf" },             /* U+10FFFF */
	{ "/x/\xc2\xa0", 0, NULL, "/x/\xc2\xa0" },                             /* U+00A0, after C1 */
	{ "/x/\xe2\x80\x8a", 0, NULL, "/x/\xe2\x80\x8a" },                     /* U+200A, before ZWSP */
	{ "/x/\xe2\x81\xa1", 0, NULL, "/x/\xe2\x81\xa1" },                     /* U+2061 */
	{ "/x/\xef\xbf\xbd", 0, NULL, "/x/\xef\xbf\xbd" },                     /* U+FFFD */
	{ "/x/\xed\x9f\xbf", 0, NULL, "/x/\xed\x9f\xbf" },                     /* U+D7FF */
	{ "/x/\xee\x80\x80", 0, NULL, "/x/\xee\x80\x80" },                     /* U+E000 */
	{ "/back\\slash", 0, NULL, "/back\\x5cslash" },                        /* allowed, escaped */
	{ "~!@#$%^&*()_+{}|:\"<>? ", 0, NULL, "~!@#$%^&*()_+{}|:\"<>? " },
	/* C0, DEL */
	{ "/x\0y", 4, C0, "/x\\x00y" },
	{ "/x\x1b[2Jy", 0, C0, "/x\\x1b[2Jy" },
	{ "/x\ny", 0, C0, "/x\\x0ay" },
	{ "/x\ry", 0, C0, "/x\\x0dy" },
	{ "/x\ty", 0, C0, "/x\\x09y" },
	{ "/x\x7fy", 0, C0, "/x\\x7fy" },
	{ "\x01", 0, C0, "\\x01" },
	{ "\x1f", 0, C0, "\\x1f" },
	/* C1 */
	{ "/x\xc2\x85y", 0, C1, "/x\\u0085y" },                                /* NEL */
	{ "/x\xc2\x80", 0, C1, "/x\\u0080" },
	{ "/x\xc2\x9b", 0, C1, "/x\\u009b" },                                  /* CSI */
	{ "/x\xc2\x9f", 0, C1, "/x\\u009f" },
	/* bidi */
	{ "/x\xe2\x80\xae" "gpj.exe", 0, BIDI, "/x\\u202egpj.exe" },           /* RLO */
	{ "/x\xe2\x80\xaa", 0, BIDI, "/x\\u202a" },                            /* LRE */
	{ "/x\xe2\x80\xac", 0, BIDI, "/x\\u202c" },                            /* PDF */
	{ "/x\xe2\x81\xa6", 0, BIDI, "/x\\u2066" },                            /* LRI */
	{ "/x\xe2\x81\xa9", 0, BIDI, "/x\\u2069" },                            /* PDI */
	{ "/x\xe2\x80\x8e", 0, BIDI, "/x\\u200e" },                            /* LRM */
	{ "/x\xe2\x80\x8f", 0, BIDI, "/x\\u200f" },                            /* RLM */
	{ "/x\xd8\x9c", 0, BIDI, "/x\\u061c" },                                /* ALM */
	/* zero width */
	{ "/x\xe2\x80\x8b", 0, ZW, "/x\\u200b" },                              /* ZWSP */
	{ "/x\xe2\x80\x8c", 0, ZW, "/x\\u200c" },                              /* ZWNJ */
	{ "/x\xe2\x80\x8dy", 0, ZW, "/x\\u200dy" },                            /* ZWJ */
	{ "/x\xe2\x81\xa0", 0, ZW, "/x\\u2060" },                              /* WJ */
	{ "\xef\xbb\xbf/x", 0, ZW, "\\ufeff/x" },                              /* BOM */
	/* separators */
	{ "/x\xe2\x80\xa8", 0, SEP, "/x\\u2028" },
	{ "/x\xe2\x80\xa9", 0, SEP, "/x\\u2029" },
	/* malformed UTF-8 */
	{ "/x\xc0\xaf", 0, BAD_UTF8, "/x\\xc0\\xaf" },                         /* overlong '/' */
	{ "/x\xc1\xbf", 0, BAD_UTF8, "/x\\xc1\\xbf" },                         /* overlong */
	{ "/x\xe0\x80\xaf", 0, BAD_UTF8, "/x\\xe0\\x80\\xaf" },                /* overlong 3 */
	{ "/x\xe0\x9f\xbf", 0, BAD_UTF8, "/x\\xe0\\x9f\\xbf" },                /* overlong U+7FF */
	{ "/x\xf0\x80\x80\xaf", 0, BAD_UTF8, "/x\\xf0\\x80\\x80\\xaf" },       /* overlong 4 */
	{ "/x\xf0\x8f\xbf\xbf", 0, BAD_UTF8, "/x\\xf0\\x8f\\xbf\\xbf" },       /* overlong U+FFFF */
	{ "/x\xc0\x80", 0, BAD_UTF8, "/x\\xc0\\x80" },                         /* "modified UTF-8" NUL */
	{ "/x\xed\xa0\x80", 0, BAD_UTF8, "/x\\xed\\xa0\\x80" },                /* U+D800 */
	{ "/x\xed\xbf\xbf", 0, BAD_UTF8, "/x\\xed\\xbf\\xbf" },                /* U+DFFF */
	{ "/x\xed\xa0\xbd\xed\xb8\x80", 0, BAD_UTF8,
	  "/x\\xed\\xa0\\xbd\\xed\\xb8\\x80" },                                /* CESU pair */
	{ "/x\xf4\x90\x80\x80", 0, BAD_UTF8, "/x\\xf4\\x90\\x80\\x80" },       /* U+110000 */
	{ "/x\xf5\x80\x80\x80", 0, BAD_UTF8, "/x\\xf5\\x80\\x80\\x80" },
	{ "/x\xff", 0, BAD_UTF8, "/x\\xff" },
	{ "/x\xfe", 0, BAD_UTF8, "/x\\xfe" },
	{ "/x\x80", 0, BAD_UTF8, "/x\\x80" },                                  /* lone continuation */
	{ "/x\x85", 0, BAD_UTF8, "/x\\x85" },                                  /* raw C1 byte */
	{ "/x\xc3", 0, BAD_UTF8, "/x\\xc3" },                                  /* truncated */
	{ "/x\xe2\x80", 0, BAD_UTF8, "/x\\xe2\\x80" },                         /* truncated */
	{ "/x\xf0\x9f\x98", 0, BAD_UTF8, "/x\\xf0\\x9f\\x98" },                /* truncated */
	{ "/x\xc3(", 0, BAD_UTF8, "/x\\xc3(" },                                /* bad continuation */
	{ "/x\xe2\x28\xa1", 0, BAD_UTF8, "/x\\xe2(\\xa1" },
};

static void name_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		size_t n = r->len ? r->len : strlen(r->in);
		const char *why = NULL;
		int rc = hg_name_check((const uint8_t *)r->in, n, &why);

		if (r->why) {
			if (rc != -1 || !why || strcmp(why, r->why))
				fail_msg("row %zu (%s): want refused \"%s\", got %d \"%s\"",
					 i, r->shown, r->why, rc, why ? why : "");
		} else if (rc != 0) {
			fail_msg("row %zu (%s): want accepted, got \"%s\"", i,
				 r->shown, why ? why : "");
		}
	}
}

static void escape_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		size_t n = r->len ? r->len : strlen(r->in);
		char *s = hg_escape((const uint8_t *)r->in, n);

		assert_non_null(s);
		if (strcmp(s, r->shown))
			fail_msg("row %zu: want \"%s\", got \"%s\"", i, r->shown, s);
		/* The output itself is a safe name: nothing a terminal acts on. */
		const char *why;

		if (hg_name_check((const uint8_t *)s, strlen(s), &why) != 0)
			fail_msg("row %zu: escaped output refused: %s", i, why);
		free(s);
	}
}

/* Every code point: hg_utf8_next() round-trips the encoder's bytes, and
 * the unsafe set is exactly the one text.h lists. */
static void every_code_point(void **state)
{
	(void)state;
	for (uint32_t c = 0; c <= 0x10ffff; c++) {
		uint8_t b[4];
		size_t n;
		uint32_t got = 0xffffffff;
		int unsafe;

		if (c >= 0xd800 && c <= 0xdfff)
			continue;
		if (c < 0x80) {
			b[0] = (uint8_t)c;
			n = 1;
		} else if (c < 0x800) {
			b[0] = (uint8_t)(0xc0 | c >> 6);
			b[1] = (uint8_t)(0x80 | (c & 0x3f));
			n = 2;
		} else if (c < 0x10000) {
			b[0] = (uint8_t)(0xe0 | c >> 12);
			b[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
			b[2] = (uint8_t)(0x80 | (c & 0x3f));
			n = 3;
		} else {
			b[0] = (uint8_t)(0xf0 | c >> 18);
			b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
			b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
			b[3] = (uint8_t)(0x80 | (c & 0x3f));
			n = 4;
		}
		assert_int_equal(hg_utf8_next(b, n, &got), n);
		assert_int_equal(got, c);
		/* One byte short is always refused. */
		if (n > 1)
			assert_int_equal(hg_utf8_next(b, n - 1, &got), 0);
		unsafe = c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
			 c == 0x61c || c == 0x200b || c == 0x200c || c == 0x200d ||
			 c == 0x200e || c == 0x200f || c == 0x2028 || c == 0x2029 ||
			 (c >= 0x202a && c <= 0x202e) || c == 0x2060 ||
			 (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
		if (hg_cp_unsafe(c) != unsafe)
			fail_msg("U+%04X: hg_cp_unsafe %d", c, hg_cp_unsafe(c));
	}
}

static void esc_cp_forms(void **state)
{
	char b[16];

	(void)state;
	assert_int_equal(hg_esc_cp(b, sizeof(b), 0x1b), 4);
	assert_string_equal(b, "\\x1b");
	assert_int_equal(hg_esc_cp(b, sizeof(b), 0x202e), 6);
	assert_string_equal(b, "\\u202e");
	assert_int_equal(hg_esc_cp(b, sizeof(b), 0x1f600), 10);
	assert_string_equal(b, "\\U0001f600");
	/* Never past CAP. */
	assert_int_equal(hg_esc_cp(b, 4, 0x202e), 3);
	assert_string_equal(b, "\\u2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(name_table),
		cmocka_unit_test(escape_table),
		cmocka_unit_test(every_code_point),
		cmocka_unit_test(esc_cp_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
