/* qcow2hdr.c: hg_qcow2_parse(), a qcow2 header read as qemu 7.2 AND as
 * libvirt 9.0 read it, refused when the two readings could differ.
 * Contract in imgchain.h; rules and rationale in docs/image-chains.md.
 * Byte layout: QEMU docs/interop/qcow2.txt ("Header", "Header
 * extensions", "String header extensions"); all numbers big-endian.
 *
 * Why two readings: libvirt follows the backing chain itself when a
 * domain starts and hands qemu every layer with its format (-blockdev),
 * so the chain the guest gets is libvirt's reading of the headers. qemu
 * reads them too (the data file, the feature bits). libvirt 9.0 walks the
 * header extensions without qemu's padding to 8 bytes (storage_file_probe.c,
 * qcow2GetExtensions), so one crafted header can name a "raw" backing
 * format to one reader and "qcow2" to the other. The qemu walk here is
 * strict (known extension types only, exact lengths, zero padding), and
 * the libvirt walk is modelled as libvirt does it; any difference in the
 * backing format they find is refused.
 */
#define _GNU_SOURCE
#include "imgchain.h"

#include <string.h>

/* qcow2.txt "Header": byte offsets of the fields hostgate reads. */
#define QCOW2_MAGIC 0x514649fbu          /* "QFI\xfb" */
#define OFF_VERSION 4
#define OFF_BACKING_OFF 8
#define OFF_BACKING_LEN 16
#define OFF_CLUSTER_BITS 20
#define OFF_SIZE 24
#define OFF_CRYPT 32
#define OFF_INCOMPAT 72                  /* version 3 only */
#define OFF_HDR_LEN 100                  /* version 3 only */
#define V2_HDR_LEN 72                    /* "exactly 72 bytes" */
#define V3_HDR_MIN 104                   /* "at least 104 bytes" */
/* cluster_bits: the spec's minimum is 9; qemu cannot open clusters over
 * 2 MiB, so an image claiming more is not one qemu would start from. */
#define CLUSTER_BITS_MIN 9
#define CLUSTER_BITS_MAX 21

/* qcow2.txt "Header extensions": the type codes the spec defines. */
#define EXT_END 0x00000000u
#define EXT_BACKING_FMT 0xe2792acau
#define EXT_FEATURE_TABLE 0x6803f857u    /* entries of 48 bytes */
#define EXT_BITMAPS 0x23852875u          /* 24 bytes */
#define EXT_CRYPTO 0x0537be77u           /* full disk encryption: 16 bytes */
#define EXT_DATA_FILE 0x44415441u
#define FEATURE_ENTRY_LEN 48
#define BITMAPS_LEN 24
#define CRYPTO_LEN 16

/* qcow2.txt incompatible_features: bits 0-4 are dirty, corrupt, external
 * data file, compression type, extended L2 entries. Bits 5-63 are
 * reserved: qemu refuses to open an image with one set, and so do we,
 * since a future feature might move guest data out of the file. */
#define INCOMPAT_DATA_FILE (1ull << 2)
#define INCOMPAT_KNOWN 0x1full

/* libvirt reads at most this many bytes of a header (VIR_STORAGE_MAX_HEADER
 * in libvirt 9.0's storage_file_probe.h). */
#define LV_MAX_HEADER 0x8200u

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* The fixed header. Sets *HDR_LEN (where extensions start) and *LIM, the
 * bytes that may be looked at: the first cluster, as far as we have it. */
static const char *parse_fixed(const uint8_t *buf, size_t len,
			       struct hg_qcow2_hdr *h, size_t *hdr_len,
			       size_t *lim)
{
	size_t cluster;
	uint32_t hl;

	if (len >= 4 && be32(buf) != QCOW2_MAGIC)
		return "no qcow2 magic (QFI\\xfb)";
	if (len < V2_HDR_LEN)
		return "header truncated (under 72 bytes)";
	h->version = be32(buf + OFF_VERSION);
	if (h->version != 2 && h->version != 3)
		return "unsupported qcow2 version (only 2 and 3)";
	h->cluster_bits = be32(buf + OFF_CLUSTER_BITS);
	if (h->cluster_bits < CLUSTER_BITS_MIN ||
	    h->cluster_bits > CLUSTER_BITS_MAX)
		return "cluster_bits out of range (9..21)";
	cluster = (size_t)1 << h->cluster_bits;
	*lim = len < cluster ? len : cluster;
	h->backing_off = be64(buf + OFF_BACKING_OFF);
	h->backing_len = be32(buf + OFF_BACKING_LEN);
	h->size = be64(buf + OFF_SIZE);
	h->crypt_method = be32(buf + OFF_CRYPT);
	if (h->version == 2) {
		*hdr_len = V2_HDR_LEN;
		return NULL;
	}
	if (len < V3_HDR_MIN)
		return "version 3 header truncated (under 104 bytes)";
	/* "at least 104 bytes ... and must be a multiple of 8" */
	hl = be32(buf + OFF_HDR_LEN);
	if (hl < V3_HDR_MIN || hl % 8)
		return "header_length invalid (under 104 or not a multiple of 8)";
	if (hl > cluster)
		return "header_length exceeds the cluster size";
	if (hl > len)
		return "header truncated (header_length beyond the bytes read)";
	*hdr_len = hl;
	return NULL;
}

/* Incompatible features (version 3). An external data file holds the
 * guest data outside this file: hashing the file would not cover it. */
static const char *parse_features(const uint8_t *buf, struct hg_qcow2_hdr *h)
{
	uint64_t incompat;

	if (h->version < 3)
		return NULL;
	incompat = be64(buf + OFF_INCOMPAT);
	if (incompat & INCOMPAT_DATA_FILE) {
		h->has_data_file = 1;
		return "external data file (incompatible feature bit 2): its data would not be hashed";
	}
	if (incompat & ~INCOMPAT_KNOWN)
		return "unknown incompatible feature bits (qemu would not open it)";
	return NULL;
}

/* The backing file name: not NUL-terminated, at backing_off, inside the
 * first cluster after the header ("the remaining space between the end of
 * the header extension area and the end of the first cluster"), at most
 * 1023 bytes. qemu and libvirt would cut a name at an embedded NUL, and a
 * control byte would break our one-line messages: both refused. */
static const char *parse_backing(const uint8_t *buf, size_t lim,
				 size_t hdr_len, struct hg_qcow2_hdr *h)
{
	const uint8_t *p;

	if (!h->backing_off) {
		h->backing_len = 0;   /* "undefined" without a backing file */
		return NULL;
	}
	if (h->backing_len > HG_QCOW2_MAX_BACKING)
		return "backing file name longer than 1023 bytes";
	if (!h->backing_len)
		return "backing file name empty";
	if (h->backing_off < hdr_len)
		return "backing file name overlaps the header";
	if (h->backing_off > lim || h->backing_len > lim - h->backing_off)
		return "backing file name outside the first cluster or the bytes read";
	p = buf + h->backing_off;
	if (memchr(p, '\0', h->backing_len))
		return "backing file name contains a NUL byte";
	for (uint32_t i = 0; i < h->backing_len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return "backing file name contains a control character";
	memcpy(h->backing, p, h->backing_len);
	h->backing[h->backing_len] = '\0';
	return NULL;
}

/* One header extension, as qemu reads it. Only the types the spec
 * defines are accepted, each with its exact length: an unknown type is
 * bytes that some reader may parse differently (libvirt's walk lands in
 * the middle of extensions), and a future type may move guest data. */
static const char *parse_ext(uint32_t type, const uint8_t *p, uint32_t n,
			     struct hg_qcow2_hdr *h)
{
	switch (type) {
	case EXT_BACKING_FMT:
		/* "each header extension type shall appear at most once":
		 * two formats would leave which one is used to chance. */
		if (h->has_backing_fmt)
			return "backing format extension appears twice";
		if (n == 5 && !memcmp(p, "qcow2", 5))
			h->backing_fmt = HG_FMT_QCOW2;
		else if (n == 3 && !memcmp(p, "raw", 3))
			h->backing_fmt = HG_FMT_RAW;
		else
			return "backing format is neither qcow2 nor raw";
		h->has_backing_fmt = 1;
		return NULL;
	case EXT_DATA_FILE:
		h->has_data_file = 1;
		return "external data file extension: its data would not be hashed";
	case EXT_FEATURE_TABLE:
		if (!n || n % FEATURE_ENTRY_LEN)
			return "feature name table extension length is not a multiple of 48";
		return NULL;
	case EXT_BITMAPS:
		if (n != BITMAPS_LEN)
			return "bitmaps extension length is not 24";
		return NULL;
	case EXT_CRYPTO:
		if (n != CRYPTO_LEN)
			return "encryption header extension length is not 16";
		return NULL;
	default:
		return "unknown header extension type";
	}
}

/* Walk the extensions from START to END (the backing name, or the end of
 * the first cluster), as qemu does: 8-byte type and length, the data,
 * padding to 8; type 0 ends the walk, so does reaching END. Everything
 * must lie within LIM: an extension area that runs past the bytes we
 * read might hide a data-file extension, so it is refused. The padding
 * must be zeros inside the area: it is where libvirt's unpadded walk
 * reads its next extension. */
static const char *walk_exts(const uint8_t *buf, size_t lim, size_t start,
			     size_t end, struct hg_qcow2_hdr *h)
{
	const char *w;
	size_t o = start;

	while (o < end) {
		uint32_t type, n;
		size_t padded;

		if (end - o < 8)
			return "header extension truncated";
		if (o > lim || lim - o < 8)
			return "header extensions not terminated within the bytes read";
		type = be32(buf + o);
		n = be32(buf + o + 4);
		o += 8;
		if (type == EXT_END)
			return NULL;
		if (n > end - o)
			return "header extension overruns the extension area";
		if (n > lim - o)
			return "header extensions not terminated within the bytes read";
		if ((w = parse_ext(type, buf + o, n, h)))
			return w;
		padded = ((size_t)n + 7) & ~(size_t)7;
		if (padded > end - o || padded > lim - o)
			return "header extension padding overruns the extension area";
		for (size_t i = n; i < padded; i++)
			if (buf[o + i])
				return "header extension padding is not zero";
		o += padded;
	}
	return NULL;
}

/* libvirt 9.0's reading of the backing format (qcowXGetBackingStore and
 * qcow2GetExtensions in src/storage_file/storage_file_probe.c), modelled
 * step by step: at most LV_MAX_HEADER bytes; extensions from the header
 * length up to the backing name, each as type, length and data WITHOUT
 * padding; a type 0 ends the walk; an extension running past the bytes
 * read ends it silently; the last backing format wins and is read as a C
 * string. Called only for a header qemu's walk accepted with a backing
 * name, so the fixed fields are in range. Sets h->lv_has_backing_fmt and
 * h->lv_backing_fmt; returns a reason when libvirt would not follow it. */
static const char *libvirt_backing_fmt(const uint8_t *buf, size_t len,
				       struct hg_qcow2_hdr *h)
{
	size_t n = len < LV_MAX_HEADER ? len : LV_MAX_HEADER;
	size_t off, end;

	h->lv_has_backing_fmt = 0;
	/* libvirt refuses a name past its bytes ("offset > buf_size",
	 * "offset + size > buf_size"): the domain would not start. */
	if (h->backing_off > n || h->backing_len > n - h->backing_off)
		return "backing file name beyond the 33280 header bytes libvirt reads";
	end = (size_t)h->backing_off;
	off = h->version == 2 ? V2_HDR_LEN : be32(buf + OFF_HDR_LEN);
	/* libvirt's bounds are "offset < buf_size - 8 && offset < end - 8"
	 * in size_t; END >= the header length >= 72 here, so nothing wraps. */
	while (off < n - 8 && off < end - 8) {
		uint32_t type = be32(buf + off), l = be32(buf + off + 4);

		off += 8;
		if ((size_t)l > n - off)
			break;
		if (type == EXT_END)
			break;
		if (type == EXT_BACKING_FMT) {
			size_t sl = strnlen((const char *)buf + off, l);

			h->lv_has_backing_fmt = 1;
			if (sl == 5 && !memcmp(buf + off, "qcow2", 5))
				h->lv_backing_fmt = HG_FMT_QCOW2;
			else if (sl == 3 && !memcmp(buf + off, "raw", 3))
				h->lv_backing_fmt = HG_FMT_RAW;
			else
				return "libvirt reads a backing format other than qcow2 or raw from the header extensions";
		}
		off += l;
	}
	return NULL;
}

int hg_qcow2_parse(const uint8_t *buf, size_t len, struct hg_qcow2_hdr *h,
		   const char **why)
{
	size_t hdr_len = 0, lim = 0, end;
	const char *w;
	int ret = -1;

	memset(h, 0, sizeof(*h));
	if ((w = parse_fixed(buf, len, h, &hdr_len, &lim)) ||
	    (w = parse_features(buf, h)) ||
	    (w = parse_backing(buf, lim, hdr_len, h)))
		goto out;
	/* qemu ends the extension area at the backing name if there is
	 * one, else at the end of the first cluster. */
	end = h->backing_off ? (size_t)h->backing_off
			     : (size_t)1 << h->cluster_bits;
	if ((w = walk_exts(buf, lim, hdr_len, end, h)))
		goto out;
	/* libvirt reads extensions only of a layer with a backing file. */
	if (h->backing_off) {
		if ((w = libvirt_backing_fmt(buf, len, h)))
			goto out;
		if (h->lv_has_backing_fmt != h->has_backing_fmt ||
		    (h->has_backing_fmt && h->lv_backing_fmt != h->backing_fmt)) {
			w = "libvirt and qemu read different backing formats from the header extensions";
			goto out;
		}
	}
	ret = 0;
out:
	if (ret)
		*why = w;
	return ret;
}
