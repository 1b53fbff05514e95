/* imgchain.c: follow a VM disk's qcow2 backing chain from the image
 * headers, as libvirt 9.0 will when the domain starts (relative names
 * next to the referring layer's path as named, symlinks unresolved),
 * refusing what cannot be followed safely: a path libvirt will open after
 * the hook must not pass anything others than root can replace. Headers
 * are parsed in qcow2hdr.c. Contract in imgchain.h; rules and rationale
 * in docs/image-chains.md.
 */
#define _GNU_SOURCE
#include "imgchain.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
	c->layer[c->n].dev = (uint64_t)st.st_dev;
	c->layer[c->n].ino = (uint64_t)st.st_ino;
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

/* Can anyone but root replace the entry ENT of directory DIR (rename,
 * unlink, create it anew)? Not if only root may write DIR; nor if DIR is
 * root's and sticky and the entry is root's (only the owners may then
 * rename it). */
static int replaceable(const struct stat *dir, const struct stat *ent)
{
	if (dir->st_uid == 0 && !(dir->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	if (dir->st_uid == 0 && (dir->st_mode & S_ISVTX) && ent->st_uid == 0)
		return 0;
	return 1;
}

/* The path libvirt will open for a layer (NAMED: the XML's path, then
 * its parent's directory joined to the backing name, as libvirt's
 * virStorageSourceNewFromBackingRelative() builds it, without resolving
 * symlinks) must lead to the same file when libvirt opens it after the
 * hook as it did here. So no component of it may be a symlink that
 * anyone but root could replace, and for a backing layer (STRICT: it is
 * hashed) no component at all may be replaceable by anyone but root:
 * a golden file in a directory others can write can be swapped for
 * another between the hash and the start. Component by component,
 * from the canonical directory reached so far. */
static int check_named(struct walk *w, const char *named, int strict)
{
	char *cur = strdup("/"), *rest = strdup(named), *next = NULL;
	struct stat dst, est;
	int links = 0, ret = -1;

	if (!cur || !rest) {
		set_why(w, "%s: out of memory", named);
		goto out;
	}
	/* REST: what is left to walk; a symlink's target is put in front
	 * of it, so that every link of a chain of links is judged. */
	for (;;) {
		char *p = rest, *comp, *t;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		comp = p;
		p += n;
		if (*p)
			*p++ = '\0';
		if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
			char *slash = strrchr(cur, '/');

			if (comp[1] == '.' && slash && slash != cur)
				*slash = '\0';
			else if (comp[1] == '.')
				cur[1] = '\0';
			t = strdup(p);
			goto shift;
		}
		if (asprintf(&next, "%s%s%s", cur, cur[1] ? "/" : "", comp) < 0) {
			next = NULL;
			set_why(w, "%s: out of memory", named);
			goto out;
		}
		if (stat(cur, &dst) < 0 || lstat(next, &est) < 0) {
			set_why(w, "%s: %s: %s", named, next, strerror(errno));
			goto out;
		}
		if (S_ISLNK(est.st_mode) && replaceable(&dst, &est)) {
			set_why(w, "%s: the symlink %s lies in a directory others than root can write: it could name another file when libvirt opens it",
				named, next);
			goto out;
		}
		if (strict && replaceable(&dst, &est)) {
			set_why(w, "%s: %s lies in a directory others than root can write: it could be replaced after it was measured",
				named, next);
			goto out;
		}
		if (S_ISLNK(est.st_mode)) {
			char target[PATH_MAX];
			ssize_t tl = readlink(next, target, sizeof(target) - 1);

			if (tl < 0 || ++links > 40) {
				set_why(w, "%s: %s: %s", named, next,
					tl < 0 ? strerror(errno) : "too many symlinks");
				goto out;
			}
			target[tl] = '\0';
			if (target[0] == '/')
				cur[1] = '\0';
			if (asprintf(&t, "%s/%s", target, p) < 0)
				t = NULL;
			free(next);
			next = NULL;
		} else {
			free(cur);
			cur = next;
			next = NULL;
			t = strdup(p);
		}
shift:
		free(rest);
		rest = t;
		if (!rest) {
			set_why(w, "%s: out of memory", named);
			goto out;
		}
	}
	ret = 0;
out:
	free(cur);
	free(next);
	free(rest);
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
	if (check_named(&w, top, 1) < 0)
		goto out;
	for (;;) {
		int r = take_layer(&w, c, canon, f, ref, name[0] ? name : NULL, &h);

		canon = NULL;
		if (r < 0)
			goto out;
		if (!h.backing_off)
			break;
		ref = c->layer[c->n - 1].path;
		if (check_backing(&w, ref, &h, c->n) < 0 ||
		    locate(&w, named, ref, h.backing, &next_named, &canon) < 0 ||
		    check_named(&w, next_named, 1) < 0)
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
	free(next_named);   /* located, then refused by check_named() */
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
