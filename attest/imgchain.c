/* imgchain.c: follow a VM disk's qcow2 backing chain from the image
 * headers, as qemu would, refusing what cannot be followed safely.
 * Contract in imgchain.h; rules and rationale in docs/image-chains.md.
 * Byte layout: QEMU docs/interop/qcow2.txt ("Header", "Header
 * extensions", "String header extensions"); all numbers big-endian.
 */
#define _GNU_SOURCE
#include "imgchain.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* qcow2.txt "Header extensions": type codes. */
#define EXT_END 0x00000000u
#define EXT_BACKING_FMT 0xe2792acau
#define EXT_DATA_FILE 0x44415441u

/* qcow2.txt incompatible_features: bits 0-4 are dirty, corrupt, external
 * data file, compression type, extended L2 entries. Bits 5-63 are
 * reserved: qemu refuses to open an image with one set, and so do we,
 * since a future feature might move guest data out of the file. */
#define INCOMPAT_DATA_FILE (1ull << 2)
#define INCOMPAT_KNOWN 0x1full

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* ---- hg_qcow2_parse ---------------------------------------------------- */

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
 * 1023 bytes. qemu would cut a name at an embedded NUL, and a control
 * byte would break our one-line messages: both refused. */
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

/* One header extension. Others (feature names, bitmaps, the LUKS header
 * pointer, unknown types) do not move guest data and "can be safely
 * ignored". */
static const char *parse_ext(uint32_t type, const uint8_t *p, uint32_t n,
			     struct hg_qcow2_hdr *h)
{
	switch (type) {
	case EXT_BACKING_FMT:
		/* "each header extension type shall appear at most once":
		 * two formats would leave which one qemu uses to chance. */
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
	default:
		return NULL;
	}
}

/* Walk the extensions from START to END (the backing name, or the end of
 * the first cluster), as qemu does: 8-byte type and length, the data,
 * padding to 8; type 0 ends the walk, so does reaching END. Everything
 * must lie within LIM: an extension area that runs past the bytes we
 * read might hide a data-file extension, so it is refused. */
static const char *walk_exts(const uint8_t *buf, size_t lim, size_t start,
			     size_t end, struct hg_qcow2_hdr *h)
{
	const char *w;
	size_t o = start;

	while (o < end) {
		uint32_t type, n;

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
		o += ((size_t)n + 7) & ~(size_t)7;
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
	ret = 0;
out:
	if (ret)
		*why = w;
	return ret;
}

/* ---- hg_chain_resolve -------------------------------------------------- */

struct walk {
	char **roots;           /* canonical roots; NULL where none */
	size_t nroots;
	dev_t dev[HG_CHAIN_MAX_DEPTH];
	ino_t ino[HG_CHAIN_MAX_DEPTH];
	uint8_t *buf;           /* HG_CHAIN_READ_MAX bytes */
	char *why;
	size_t whylen;
};

/* The reason, with control bytes (from file names) shown as '?' so that
 * it stays one line. */
__attribute__((format(printf, 2, 3)))
static void set_why(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(w->why, w->whylen, fmt, ap);
	va_end(ap);
	for (char *p = w->why; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static int decl_fmt(const char *fmt, enum hg_imgfmt *f)
{
	if (fmt && !strcmp(fmt, "qcow2"))
		*f = HG_FMT_QCOW2;
	else if (fmt && !strcmp(fmt, "raw"))
		*f = HG_FMT_RAW;
	else
		return -1;
	return 0;
}

static void free_roots(struct walk *w)
{
	for (size_t i = 0; i < w->nroots; i++)
		free(w->roots[i]);
	free(w->roots);
	w->roots = NULL;
	w->nroots = 0;
}

/* Roots are compared canonical to canonical, so a root reached through a
 * symlink still contains its files. A missing root contains nothing. */
static int canon_roots(struct walk *w, const char *const *roots, size_t n)
{
	if (!n)
		return 0;
	w->roots = calloc(n, sizeof(*w->roots));
	if (!w->roots)
		return -1;
	w->nroots = n;
	for (size_t i = 0; i < n; i++)
		w->roots[i] = roots[i] ? realpath(roots[i], NULL) : NULL;
	return 0;
}

/* Strictly beneath a root, by whole components: /a/bc is not under /a. */
static int under_roots(const struct walk *w, const char *canon)
{
	for (size_t i = 0; i < w->nroots; i++) {
		const char *r = w->roots[i];
		size_t n;

		if (!r)
			continue;
		n = strlen(r);
		if (n == 1 && r[0] == '/')
			n = 0;   /* "/" ends in the separator itself */
		if (!strncmp(canon, r, n) && canon[n] == '/' && canon[n + 1])
			return 1;
	}
	return 0;
}

/* open(O_NOFOLLOW) only guards the last component; openat2's
 * RESOLVE_NO_SYMLINKS refuses a symlink anywhere in the canonical path, so
 * a directory swapped for a symlink after realpath() is caught too. Where
 * the kernel or a seccomp filter lacks openat2, plain O_NOFOLLOW. */
static int open_nofollow(const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return fd;
	return open(path, (int)how.flags);
}

/* Open a layer for reading its header. lstat() first so that a FIFO (open
 * would block) or a device (open can have side effects) is never opened;
 * O_NONBLOCK in case one is swapped in; fstat() must then show the same
 * regular file. Returns the fd or -1 with *REASON set. */
static int open_layer(const char *canon, struct stat *st, const char **reason)
{
	struct stat lst;
	int fd = -1;

	if (lstat(canon, &lst) < 0) {
		*reason = strerror(errno);
		goto out;
	}
	if (!S_ISREG(lst.st_mode)) {
		*reason = "is not a regular file";
		goto out;
	}
	fd = open_nofollow(canon);
	if (fd < 0) {
		*reason = errno == ELOOP ? "changed into a symlink while being opened"
					 : strerror(errno);
		goto out;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) ||
	    st->st_dev != lst.st_dev || st->st_ino != lst.st_ino) {
		*reason = "changed while being opened";
		close(fd);
		fd = -1;
	}
out:
	return fd;
}

/* Up to HG_CHAIN_READ_MAX bytes from the start; short files are fine. */
static ssize_t read_prefix(int fd, uint8_t *buf)
{
	size_t got = 0;

	while (got < HG_CHAIN_READ_MAX) {
		ssize_t r = pread(fd, buf + got, HG_CHAIN_READ_MAX - got, (off_t)got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* The file the message is about: "REF: backing file NAME" when a layer
 * names a bad backing file, else "FILE:". */
#define BLAME_FMT "%s%s%s%s"
#define BLAME_ARGS(file, name) (file), ": ", (name) ? "backing file " : "", \
	(name) ? (name) : ""

/* Check the layer at CANON (taken over), add it to C and, for qcow2,
 * parse its header into *H (zeroed for raw: a raw layer has no backing).
 * REF and NAME say who named it (NULL for the top, whose path is FILE). */
static int take_layer(struct walk *w, struct hg_chain *c, char *canon,
		      enum hg_imgfmt fmt, const char *file, const char *name,
		      struct hg_qcow2_hdr *h)
{
	const char *reason = NULL;
	struct stat st;
	ssize_t got;
	int fd = -1, ret = -1;

	memset(h, 0, sizeof(*h));
	if (!under_roots(w, canon)) {
		set_why(w, BLAME_FMT "%sresolves outside the image directories (%s)",
			BLAME_ARGS(file, name), name ? " " : "", canon);
		goto out;
	}
	fd = open_layer(canon, &st, &reason);
	if (fd < 0) {
		set_why(w, BLAME_FMT "%s%s (%s)", BLAME_ARGS(file, name),
			name ? " " : "", reason, canon);
		goto out;
	}
	/* A loop would make qemu fail; a chain must never be hashed twice
	 * over or followed forever. Same inode, whatever the path. */
	for (size_t i = 0; i < c->n; i++) {
		if (w->dev[i] == st.st_dev && w->ino[i] == st.st_ino) {
			set_why(w, BLAME_FMT "%sloops back to %s",
				BLAME_ARGS(file, name), name ? " " : "",
				c->layer[i].path);
			goto out;
		}
	}
	w->dev[c->n] = st.st_dev;
	w->ino[c->n] = st.st_ino;
	c->layer[c->n].path = canon;
	c->layer[c->n].fmt = fmt;
	c->n++;
	canon = NULL;
	if (fmt == HG_FMT_RAW) {
		ret = 0;   /* qemu reads a declared raw layer as raw, whatever it holds */
		goto out;
	}
	got = read_prefix(fd, w->buf);
	if (got < 0) {
		set_why(w, "%s: cannot read: %s", c->layer[c->n - 1].path,
			strerror(errno));
		goto out;
	}
	if (hg_qcow2_parse(w->buf, (size_t)got, h, &reason) < 0) {
		set_why(w, "%s: declared qcow2: %s", c->layer[c->n - 1].path,
			reason);
		goto out;
	}
	ret = 0;
out:
	free(canon);
	if (fd >= 0)
		close(fd);
	return ret;
}

/* qemu's path_has_protocol(): a ':' before the first '/' makes the name
 * a protocol ("nbd:", "http://", "json:{...}"), not a local file. */
static int has_protocol(const char *name)
{
	return name[strcspn(name, ":/")] == ':';
}

/* qemu's path_combine(): an absolute NAME as is, else NAME after the
 * directory part (up to the last '/') of BASE. */
static char *join(const char *base, const char *name)
{
	const char *slash = strrchr(base, '/');
	size_t dir, n, total;
	char *s;

	if (name[0] == '/' || !slash)
		return strdup(name);
	dir = (size_t)(slash - base) + 1;
	n = strlen(name);
	if (__builtin_add_overflow(dir, n, &total) ||
	    __builtin_add_overflow(total, 1, &total))
		return NULL;
	s = malloc(total);
	if (!s)
		return NULL;
	memcpy(s, base, dir);
	memcpy(s + dir, name, n + 1);
	return s;
}

/* Checks on a layer's backing file before following it. SELF is the
 * layer's canonical path, DEPTH the layers so far. */
static int check_backing(struct walk *w, const char *self,
			 const struct hg_qcow2_hdr *h, size_t depth)
{
	int ret = -1;

	if (has_protocol(h->backing)) {
		set_why(w, "%s: backing file %s is a protocol or json: name, not a local file",
			self, h->backing);
		goto out;
	}
	/* libvirt no longer probes backing formats; guessing would let a
	 * raw layer's guest-written bytes pose as a qcow2 header. */
	if (!h->has_backing_fmt) {
		set_why(w, "%s: backing file %s has no recorded format; record it with 'qemu-img rebase -u -b %s -F FMT %s' (FMT qcow2 or raw)",
			self, h->backing, h->backing, self);
		goto out;
	}
	if (depth >= HG_CHAIN_MAX_DEPTH) {
		set_why(w, "%s: backing file %s: chain deeper than %d layers",
			self, h->backing, HG_CHAIN_MAX_DEPTH);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

/* Where the backing file NAME of the layer qemu knows as NAMED (canonical
 * SELF) is: *NEXT_NAMED as qemu will name it (relative to NAMED's
 * directory), *NEXT_CANON its realpath. Relative to SELF's directory it
 * must resolve to the same file: when NAMED is itself a symlink the two
 * differ, and we refuse rather than hash another file than qemu opens. */
static int locate(struct walk *w, const char *named, const char *self,
		  const char *name, char **next_named, char **next_canon)
{
	char *alt = NULL, *alt_canon = NULL;
	int ret = -1, e;

	*next_named = join(named, name);
	alt = join(self, name);
	if (!*next_named || !alt) {
		set_why(w, "%s: out of memory", self);
		goto out;
	}
	*next_canon = realpath(*next_named, NULL);
	if (!*next_canon) {
		e = errno;
		set_why(w, "%s: backing file %s %s (%s)", self, name,
			e == ENOENT ? "does not exist" : strerror(e), *next_named);
		goto out;
	}
	alt_canon = realpath(alt, NULL);
	if (!alt_canon || strcmp(alt_canon, *next_canon)) {
		set_why(w, "%s: backing file %s resolves to %s from the path qemu uses (%s) but to %s from the canonical one; refusing the ambiguity",
			self, name, *next_canon, named,
			alt_canon ? alt_canon : "nothing");
		goto out;
	}
	ret = 0;
out:
	if (ret) {
		free(*next_named);
		free(*next_canon);
		*next_named = *next_canon = NULL;
	}
	free(alt);
	free(alt_canon);
	return ret;
}

int hg_chain_resolve(const char *top, const char *fmt,
		     const char *const *roots, size_t nroots,
		     struct hg_chain *c, char *why, size_t whylen)
{
	struct walk w = { .why = why, .whylen = whylen };
	char name[HG_QCOW2_MAX_BACKING + 1] = "";
	char *named = NULL, *canon = NULL, *next_named = NULL;
	const char *ref = top;
	struct hg_qcow2_hdr h;
	enum hg_imgfmt f;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (whylen)
		why[0] = '\0';
	if (!top || top[0] != '/') {
		set_why(&w, "%s: not an absolute path", top ? top : "(null)");
		goto out;
	}
	if (decl_fmt(fmt, &f) < 0) {
		set_why(&w, "%s: declared format %s is neither qcow2 nor raw "
			"(formats are never probed)", top, fmt ? fmt : "(none)");
		goto out;
	}
	named = strdup(top);
	w.buf = malloc(HG_CHAIN_READ_MAX);
	if (!named || !w.buf || canon_roots(&w, roots, nroots) < 0) {
		set_why(&w, "%s: out of memory", top);
		goto out;
	}
	canon = realpath(top, NULL);
	if (!canon) {
		set_why(&w, "%s: %s", top, strerror(errno));
		goto out;
	}
	for (;;) {
		int r = take_layer(&w, c, canon, f, ref, name[0] ? name : NULL, &h);

		canon = NULL;
		if (r < 0)
			goto out;
		if (!h.backing_off)
			break;
		ref = c->layer[c->n - 1].path;
		if (check_backing(&w, ref, &h, c->n) < 0 ||
		    locate(&w, named, ref, h.backing, &next_named, &canon) < 0)
			goto out;
		free(named);
		named = next_named;
		next_named = NULL;
		memcpy(name, h.backing, h.backing_len + 1);
		f = h.backing_fmt;
	}
	ret = 0;
out:
	if (ret)
		hg_chain_free(c);
	free(named);
	free(canon);
	free(w.buf);
	free_roots(&w);
	return ret;
}

void hg_chain_free(struct hg_chain *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n && i < HG_CHAIN_MAX_DEPTH; i++)
		free(c->layer[i].path);
	memset(c, 0, sizeof(*c));
}
