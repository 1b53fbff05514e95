/* bootid.c: see bootid.h. */
#include "bootid.h"

#include <stdio.h>
#include <string.h>

void hg_boot_id_format(const struct hg_boot_id *b, char out[HG_BOOT_ID_LEN + 1])
{
	snprintf(out, HG_BOOT_ID_LEN + 1, "%08x%08x", b->reset_count, b->restart_count);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hg_boot_id_parse(const char *s, struct hg_boot_id *b)
{
	uint32_t v[2] = { 0, 0 };

	if (!s || strlen(s) != HG_BOOT_ID_LEN)
		return -1;
	for (size_t i = 0; i < HG_BOOT_ID_LEN; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return -1;
		v[i / 8] = (v[i / 8] << 4) | (uint32_t)h;
	}
	b->reset_count = v[0];
	b->restart_count = v[1];
	return 0;
}

int hg_boot_id_equal(const struct hg_boot_id *a, const struct hg_boot_id *b)
{
	return a->reset_count == b->reset_count && a->restart_count == b->restart_count;
}
