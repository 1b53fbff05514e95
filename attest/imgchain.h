/* imgchain.h: a VM disk's qcow2 backing chain, read from the image headers.
 *
 * At libvirt's "prepare begin" hook the domain XML names only the top
 * layer of each disk; the backing chain is in the qcow2 headers. hostgate
 * must hash the layers qemu will open, so it follows the chain as qemu
 * and libvirt do, and refuses whatever it cannot follow exactly and
 * safely. The rules, the trust boundary and why each refusal exists are
 * in docs/image-chains.md; the byte layout is QEMU's docs/interop/qcow2.txt.
 *
 * Contract of hg_qcow2_parse() (attest/qcow2hdr.c):
 *  - BUF holds the first LEN bytes of a file, untrusted. Only
 *    min(LEN, cluster size) bytes are looked at (the spec keeps the header,
 *    its extensions and the backing name in the first cluster). Nothing is
 *    allocated; no read goes outside BUF[0..LEN).
 *  - Returns 0 and fills *H when the header is one hostgate can follow:
 *    version 2 or 3, cluster_bits 9..21, no external data file, no unknown
 *    incompatible feature, a bounded backing name without control bytes,
 *    header extensions that end inside the bytes given, each of a type
 *    the spec defines, with its exact length and zero padding, a backing
 *    format (if recorded) of "qcow2" or "raw", and, for a layer with a
 *    backing file, the SAME backing format (or none) when the extensions
 *    are read as libvirt 9.0 reads them (unpadded, at most 33280 bytes;
 *    H->lv_*). libvirt's reading decides the chain a domain gets (it
 *    hands qemu each layer and its format), qemu's decides the data file
 *    and features: hostgate accepts only headers both read alike. H->backing is then the
 *    NUL-terminated name (H->backing_len bytes, "" without a backing file),
 *    H->has_data_file is 0.
 *  - Returns -1 and sets *WHY to a static one-line reason otherwise. *H
 *    then holds what was parsed before the failure (has_data_file is set
 *    when an external data file was the reason); do not use it further.
 *  - A backing file without a recorded format is NOT refused here (the
 *    header is well-formed); hg_chain_resolve() refuses it.
 *
 * Contract of hg_chain_resolve():
 *  - TOP is the absolute path of the disk as the domain XML names it, FMT
 *    its declared format ("qcow2" or "raw"; NULL or anything else is
 *    refused: no probing). ROOTS are the NROOTS directories every layer's
 *    canonical path must lie strictly beneath (whole path components); a
 *    root that does not exist contains nothing.
 *  - On success returns 0: C->layer[0..C->n) is the chain, top first, each
 *    path a fresh canonical (realpath) string, each fmt the declared one;
 *    the caller frees with hg_chain_free(). *C need not be initialised.
 *  - On failure returns -1, *C is left zeroed (nothing to free) and WHY
 *    (WHYLEN bytes, WHYLEN > 0) holds a NUL-terminated one-line reason that
 *    names the offending file, control bytes shown as '?'.
 *  - Headers are read through open(O_NOFOLLOW) (openat2 RESOLVE_NO_SYMLINKS
 *    where the kernel has it) of the canonical path, after lstat() says it
 *    is a regular file, so neither a symlink swapped in nor a FIFO or a
 *    device is ever opened. At most HG_CHAIN_READ_MAX bytes are read per
 *    layer, nothing is allocated from header-declared lengths.
 *  - The result is a snapshot: whoever hashes the layers must open the
 *    returned canonical paths the same way and accept that a writer with
 *    access to ROOTS can change them afterwards.
 *  - Thread safety: reentrant (no globals).
 */
#ifndef HG_IMGCHAIN_H
#define HG_IMGCHAIN_H

#include <stddef.h>
#include <stdint.h>

#define HG_CHAIN_MAX_DEPTH 16            /* layers, the top included */
#define HG_CHAIN_READ_MAX (64u * 1024)   /* header bytes read per layer */
#define HG_QCOW2_MAX_BACKING 1023        /* QEMU's backing name limit */

enum hg_imgfmt { HG_FMT_RAW = 1, HG_FMT_QCOW2 };

struct hg_layer {
	char *path;                      /* canonical (realpath), owned */
	enum hg_imgfmt fmt;
	uint64_t dev, ino;               /* the file whose header was read */
};

struct hg_chain {
	size_t n;
	struct hg_layer layer[HG_CHAIN_MAX_DEPTH];   /* layer[0] = top */
};

struct hg_qcow2_hdr {
	uint32_t version;
	uint64_t backing_off;            /* 0: no backing file */
	uint32_t backing_len;
	uint32_t cluster_bits;
	uint64_t size;                   /* virtual disk size */
	int has_backing_fmt;
	enum hg_imgfmt backing_fmt;      /* valid if has_backing_fmt */
	int has_data_file;
	uint32_t crypt_method;           /* 0 none, 1 AES, 2 LUKS: allowed */
	int lv_has_backing_fmt;          /* libvirt 9.0's reading of the same */
	enum hg_imgfmt lv_backing_fmt;
	char backing[HG_QCOW2_MAX_BACKING + 1];
};

int hg_qcow2_parse(const uint8_t *buf, size_t len, struct hg_qcow2_hdr *h,
		   const char **why);

int hg_chain_resolve(const char *top, const char *fmt,
		     const char *const *roots, size_t nroots,
		     struct hg_chain *c, char *why, size_t whylen);

/* Frees every path and zeroes *C. Accepts a zeroed chain and NULL. */
void hg_chain_free(struct hg_chain *c);

#endif
