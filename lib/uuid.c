/* uuid.c: see uuid.h. */
#include "uuid.h"

#include <stdio.h>

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

static int is_dash_pos(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

int hg_uuid_parse(const char *s, size_t n, uint8_t out[HG_UUID_LEN])
{
	size_t o = 0;

	if (n != HG_UUID_TEXT)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (is_dash_pos(i)) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		if (i + 1 >= n || is_dash_pos(i + 1) ||
		    (hi = hexval(s[i])) < 0 || (lo = hexval(s[i + 1])) < 0)
			return -1;
		out[o++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return o == HG_UUID_LEN ? 0 : -1;
}

void hg_uuid_format(const uint8_t u[HG_UUID_LEN], char out[HG_UUID_TEXT + 1])
{
	snprintf(out, HG_UUID_TEXT + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}
