/* text.c: see text.h. */
#include "text.h"

#include <stdio.h>
#include <stdlib.h>

int hg_cp_unsafe(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	       c == 0x061c || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202e) || c == 0x2060 ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

/* Unicode 15 Table 3-7 (well-formed UTF-8 byte sequences): the second
 * byte's range depends on the first, which is what excludes overlong
 * forms (E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points
 * above U+10FFFF (F4 90..BF, F5..FF). C0 and C1 are never lead bytes. */
size_t hg_utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t b = p[0], lo = 0x80, hi = 0xbf;
	size_t len;
	uint32_t c;

	if (n == 0)
		return 0;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		len = 2;
		c = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		len = 3;
		c = b & 0x0f;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4;
		c = b & 0x07;
		if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	*cp = c;
	return len;
}

static enum hg_name_bad cp_class(uint32_t c)
{
	if (!hg_cp_unsafe(c))
		return HG_NAME_OK;
	if (c < 0x20 || c == 0x7f)
		return HG_NAME_C0;
	if (c <= 0x9f)
		return HG_NAME_C1;
	if (c == 0x200b || c == 0x200c || c == 0x200d || c == 0x2060 ||
	    c == 0xfeff)
		return HG_NAME_ZW;
	if (c == 0x2028 || c == 0x2029)
		return HG_NAME_SEP;
	return HG_NAME_BIDI;
}

enum hg_name_bad hg_name_class(const uint8_t *p, size_t n)
{
	enum hg_name_bad b;
	size_t i = 0, k;
	uint32_t c;

	while (i < n) {
		/* Printable ASCII, all a path usually is, is always OK. */
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		k = hg_utf8_next(p + i, n - i, &c);
		if (k == 0)
			return HG_NAME_UTF8;
		if ((b = cp_class(c)) != HG_NAME_OK)
			return b;
		i += k;
	}
	return HG_NAME_OK;
}

int hg_name_check(const uint8_t *p, size_t n, const char **why)
{
	static const char *const whys[] = {
		[HG_NAME_UTF8] = HG_NAME_WHY_UTF8,
		[HG_NAME_C0] = HG_NAME_WHY_C0,
		[HG_NAME_C1] = HG_NAME_WHY_C1,
		[HG_NAME_BIDI] = HG_NAME_WHY_BIDI,
		[HG_NAME_ZW] = HG_NAME_WHY_ZW,
		[HG_NAME_SEP] = HG_NAME_WHY_SEP,
	};
	enum hg_name_bad b = hg_name_class(p, n);

	if (b == HG_NAME_OK)
		return 0;
	*why = whys[b];
	return -1;
}

size_t hg_esc_cp(char *out, size_t cap, uint32_t c)
{
	int r = snprintf(out, cap, c < 0x80 ? "\\x%02x" :
			 c <= 0xffff ? "\\u%04x" : "\\U%08x", c);

	return r < 0 ? 0 : (size_t)r < cap ? (size_t)r : cap - 1;
}

char *hg_escape(const uint8_t *p, size_t n)
{
	size_t cap, o = 0, i = 0, k;
	uint32_t c;
	char *s;

	/* At most 6 output bytes per input byte ("\u202e" is 6 for 3,
	 * "\x1b" 4 for 1). */
	if (__builtin_mul_overflow(n, 6, &cap) ||
	    __builtin_add_overflow(cap, 1, &cap))
		return NULL;
	s = malloc(cap);
	if (!s)
		return NULL;
	while (i < n) {
		k = hg_utf8_next(p + i, n - i, &c);
		if (k == 0) {
			/* A raw byte, always "\xNN": U+0085 is "\u0085". */
			o += (size_t)snprintf(s + o, cap - o, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (hg_cp_unsafe(c) || c == '\\')
			o += hg_esc_cp(s + o, cap - o, c);
		else
			for (size_t j = 0; j < k; j++)
				s[o++] = (char)p[i + j];
		i += k;
	}
	s[o] = '\0';
	return s;
}
