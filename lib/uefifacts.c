/* uefifacts.c: see uefifacts.h: the decoders (UTF-16, GUIDs,
 * UEFI_VARIABLE_DATA, device paths) and the digest-against-data check.
 * The facts themselves are in uefifacts_bound.c. */
#include "uefifacts.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* EFI_GLOBAL_VARIABLE 8be4df61-93ca-11d2-aa0d-00e098032b8c and
 * EFI_IMAGE_SECURITY_DATABASE_GUID d719b2cb-3d3a-4596-a3bc-dad00e67656f
 * (UEFI 2.x §3.3 and §32.6.1), in their on-disk byte order. */
const uint8_t hg_efi_global_variable_guid[16] = {
	0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
	0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c,
};
const uint8_t hg_efi_image_security_db_guid[16] = {
	0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
	0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f,
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ---- UTF-16 ---------------------------------------------------------- */

/* Code points shown escaped: the one rule of lib/text.h (controls, bidi,
 * zero-width; Trojan Source), and '\\' unless it is a path separator. */
static int escaped(uint32_t c)
{
	return hg_cp_unsafe(c) || c == '\\';
}

static size_t put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* BACKSLASH: '\' is text (a path separator), not escaped. *NESC, when
 * not NULL, counts the code points that were escaped. */
static char *utf16_convert(const uint8_t *p, size_t units, int backslash,
			   size_t *nesc)
{
	size_t cap, n = 0;
	char *out;

	/* At most 6 bytes per unit ("\u202e"); a pair of units makes 4. */
	if (__builtin_mul_overflow(units, 6, &cap) ||
	    __builtin_add_overflow(cap, 1, &cap))
		return NULL;
	out = malloc(cap);
	if (!out)
		return NULL;
	if (nesc)
		*nesc = 0;
	for (size_t i = 0; i < units; i++) {
		uint32_t c = le16(p + 2 * i);

		if (c >= 0xd800 && c <= 0xdbff && i + 1 < units) {
			uint32_t lo = le16(p + 2 * i + 2);

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			}
		}
		if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd;   /* unpaired surrogate */
		if (!escaped(c) || (backslash && c == '\\')) {
			n += put_utf8(out + n, c);
			continue;
		}
		if (nesc)
			(*nesc)++;
		n += hg_esc_cp(out + n, cap - n, c);
	}
	out[n] = '\0';
	return out;
}

char *hg_utf16le_to_utf8(const uint8_t *p, size_t units)
{
	return utf16_convert(p, units, 0, NULL);
}

void hg_uefi_guid_str(const uint8_t g[16], char out[HG_GUID_STR_LEN])
{
	snprintf(out, HG_GUID_STR_LEN,
		 "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 le32(g), le16(g + 4), le16(g + 6), g[8], g[9], g[10], g[11],
		 g[12], g[13], g[14], g[15]);
}

/* ---- UEFI_VARIABLE_DATA ---------------------------------------------- */

int hg_uefi_var_decode(const uint8_t *p, size_t len, struct hg_uefi_var *v,
		       const char **why)
{
	uint64_t name_units, data_len, left;

	memset(v, 0, sizeof(*v));
	if (len < 32) {
		*why = "shorter than the 32-byte UEFI_VARIABLE_DATA header";
		return -1;
	}
	memcpy(v->guid, p, 16);
	name_units = le64(p + 16);
	data_len = le64(p + 24);
	left = len - 32;
	/* Compare counts, not products: 2 * name_units may overflow. */
	if (name_units > left / 2) {
		*why = "UnicodeNameLength runs past the end of the event data";
		return -1;
	}
	left -= 2 * name_units;
	if (data_len > left) {
		*why = "VariableDataLength runs past the end of the event data";
		return -1;
	}
	if (data_len != left) {
		*why = "trailing bytes after VariableData";
		return -1;
	}
	v->name = p + 32;
	v->name_units = (size_t)name_units;
	v->data = v->name + 2 * v->name_units;
	v->data_len = (size_t)data_len;
	return 0;
}

int hg_uefi_var_is(const struct hg_uefi_var *v, const uint8_t guid[16],
		   const char *name)
{
	size_t n = strlen(name);

	if (memcmp(v->guid, guid, 16) || v->name_units != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (le16(v->name + 2 * i) != (unsigned char)name[i])
			return 0;
	return 1;
}

/* ---- UEFI_IMAGE_LOAD_EVENT's device path ----------------------------- */

#define DP_MEDIA 0x04
#define DP_MEDIA_FILEPATH 0x04
#define DP_END 0x7f
#define DP_END_ENTIRE 0xff

/* Append one File Path node's PathName (UNITS code units, its NUL
 * terminator dropped) to *PATH, with a '\' between parts where neither
 * side has one. A path is shown as it is, so one that would need escapes
 * is not simple: *WHY says so. */
static int append_part(char **path, size_t *len, const uint8_t *p,
		       size_t units, const char **why)
{
	size_t sl, need, nesc;
	char *s = utf16_convert(p, units, 1, &nesc), *n;
	int sep;

	if (!s) {
		*why = "out of memory";
		return -1;
	}
	if (nesc) {
		free(s);
		*why = "file path has control characters";
		return -1;
	}
	sl = strlen(s);
	sep = *len && sl && s[0] != '\\' && (*path)[*len - 1] != '\\';
	need = *len + (size_t)sep + sl + 1;
	n = realloc(*path, need);
	if (!n) {
		free(s);
		*why = "out of memory";
		return -1;
	}
	*path = n;
	if (sep)
		(*path)[(*len)++] = '\\';
	memcpy(*path + *len, s, sl + 1);
	*len += sl;
	free(s);
	return 0;
}

static const char *walk_path(const uint8_t *dp, size_t dplen, char **out)
{
	char *path = NULL;
	const char *why;
	size_t off = 0, plen = 0;
	int ended = 0;

	if (dplen == 0)
		return "empty device path";
	while (off < dplen) {
		uint8_t type, sub;
		size_t nlen;

		if (dplen - off < 4)
			goto short_node;
		type = dp[off];
		sub = dp[off + 1];
		nlen = le16(dp + off + 2);
		if (nlen < 4)
			goto short_node;
		if (nlen > dplen - off) {
			free(path);
			return "device path node runs past the end of the device path";
		}
		if (type == DP_END) {
			if (sub != DP_END_ENTIRE) {
				free(path);
				return "device path has more than one instance";
			}
			ended = 1;
			off += nlen;
			break;
		}
		if (type == DP_MEDIA && sub == DP_MEDIA_FILEPATH) {
			size_t units;

			if ((nlen - 4) % 2) {
				free(path);
				return "file path node of odd length";
			}
			units = (nlen - 4) / 2;
			/* PathName is NUL-terminated (UEFI §10.3.5.4). */
			if (units && le16(dp + off + nlen - 2) == 0)
				units--;
			if (append_part(&path, &plen, dp + off + 4, units, &why) < 0) {
				free(path);
				return why;
			}
		}
		off += nlen;
	}
	if (!ended) {
		free(path);
		return "device path has no end node";
	}
	if (off != dplen) {
		free(path);
		return "bytes after the device path's end node";
	}
	if (!path)
		return "device path has no file path node";
	*out = path;
	return NULL;
short_node:
	free(path);
	return "device path node shorter than its header";
}

int hg_uefi_image_path(const uint8_t *p, size_t len, char **out,
		       const char **why)
{
	uint64_t dplen;

	*out = NULL;
	if (len < 32) {
		*why = "shorter than the 32-byte UEFI_IMAGE_LOAD_EVENT header";
		return -1;
	}
	dplen = le64(p + 24);
	if (dplen > len - 32) {
		*why = "LengthOfDevicePath runs past the end of the event data";
		return -1;
	}
	if (dplen != len - 32) {
		*why = "trailing bytes after the device path";
		return -1;
	}
	*why = walk_path(p + 32, (size_t)dplen, out);
	return *why ? -1 : 0;
}

/* ---- digests against data -------------------------------------------- */

int hg_uefi_digest_is(const struct hg_digest *d, const void *data, size_t len)
{
	struct hg_digest h;

	return hg_hash(d->alg, data, len, &h) == 0 && h.len == d->len &&
	       !memcmp(h.d, d->d, h.len);
}

int hg_uefi_digest_check(const struct hg_uefi_event *ev, uint16_t *alg)
{
	static const uint8_t sep_error[4] = { 1, 0, 0, 0 };
	struct hg_uefi_var var;
	const char *why;
	int boot_var = 0;

	switch (ev->type) {
	case HG_EV_SEPARATOR:
	case HG_EV_ACTION:
	case HG_EV_EFI_ACTION:
	case HG_EV_S_CRTM_VERSION:
	case HG_EV_OMIT_BOOT_DEVICE_EVENTS:
	case HG_EV_EFI_VARIABLE_DRIVER_CONFIG:
	case HG_EV_EFI_VARIABLE_BOOT2:
	case HG_EV_EFI_VARIABLE_AUTHORITY:
	case HG_EV_EFI_GPT_EVENT:
		break;
	case HG_EV_EFI_VARIABLE_BOOT:
		boot_var = hg_uefi_var_decode(ev->data, ev->data_len, &var, &why) == 0;
		break;
	default:
		return -1;
	}
	if (ev->digests.n == 0)
		return -1;
	for (size_t i = 0; i < ev->digests.n; i++) {
		const struct hg_digest *d = &ev->digests.v[i];

		if (hg_uefi_digest_is(d, ev->data, ev->data_len))
			continue;
		if (boot_var && hg_uefi_digest_is(d, var.data, var.data_len))
			continue;
		if (ev->type == HG_EV_SEPARATOR && hg_uefi_digest_is(d, sep_error, 4))
			continue;
		if (alg)
			*alg = d->alg;
		return 0;
	}
	return 1;
}
