/* manifest.c: the host manifest (manifest.h, docs/host-manifest.md). */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/util.h"
#include "fwdesc.h"
#include "manifest.h"

void hg_manifest_free(struct hg_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].path);
	free(m->e);
	m->e = NULL;
	m->n = 0;
}

static int kind_ok(enum hg_kind kind)
{
	return kind == HG_KIND_HYPERVISOR || kind == HG_KIND_FIRMWARE;
}

/* The names a log record can hold (lib/cel.c): absolute, no control
 * characters, at most HG_CEL_MAX_NAME bytes. */
static int path_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HG_CEL_MAX_NAME || s[0] != '/')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int hg_manifest_add(struct hg_manifest *m, enum hg_kind kind, const char *path)
{
	struct hg_manifest_entry *e;
	char *copy;

	if (!kind_ok(kind) || !path_ok(path)) {
		errno = EINVAL;
		return -1;
	}
	if (m->n >= HG_MANIFEST_MAX_ENTRIES) {
		errno = ENOSPC;
		return -1;
	}
	/* The capacity is implied: 16, then doubling, so the array is full
	 * exactly when n is 0 or a power of two of at least 16. */
	if (m->n == 0 || (m->n >= 16 && (m->n & (m->n - 1)) == 0)) {
		size_t cap = m->n ? 2 * m->n : 16;

		e = realloc(m->e, cap * sizeof(*e));
		if (!e)
			return -1;
		m->e = e;
	}
	copy = strdup(path);
	if (!copy)
		return -1;
	m->e[m->n].kind = kind;
	m->e[m->n].path = copy;
	m->n++;
	return 0;
}

static int is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Quote TOK for an error message: printable ASCII kept, the rest '?',
 * at most 32 characters. */
static void safe_token(const uint8_t *tok, size_t n, char *out, size_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 4 < size && i < 32; i++)
		out[k++] = tok[i] >= 0x20 && tok[i] < 0x7f ? (char)tok[i] : '?';
	if (n > 32 && k + 4 < size) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
}

static int is_octal(uint8_t c)
{
	return c >= '0' && c <= '7';
}

/* One line without its LF. 0 and *kind 0 for a blank or comment line,
 * 0 with *kind and PATH (decoded, NUL-terminated) for an entry, -1 with
 * err->why set. PATH holds HG_CEL_MAX_NAME + 1 bytes. */
static int parse_line(const uint8_t *s, size_t n, enum hg_kind *kind,
		      char *path, struct hg_manifest_err *err)
{
	char tok[48];
	size_t i = 0, k0, plen = 0;

	*kind = HG_KIND_NONE;
	if (memchr(s, '\0', n)) {
		snprintf(err->why, sizeof(err->why), "NUL byte");
		return -1;
	}
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;

	k0 = i;
	while (i < n && !is_blank(s[i]))
		i++;
	*kind = hg_kind_parse((const char *)s + k0, i - k0);
	if (!kind_ok(*kind)) {
		if (*kind == HG_KIND_CONFIG)
			snprintf(err->why, sizeof(err->why),
				 "kind config is reserved for VM configurations "
				 "(the libvirt gate measures them)");
		else if (*kind == HG_KIND_IMAGE)
			snprintf(err->why, sizeof(err->why),
				 "kind image is for VM disk images "
				 "(the libvirt gate measures them)");
		else if (*kind != HG_KIND_NONE)
			snprintf(err->why, sizeof(err->why),
				 "kind %s does not belong in the host manifest "
				 "(hypervisor or firmware)", hg_kind_name(*kind));
		else {
			safe_token(s + k0, i - k0, tok, sizeof(tok));
			snprintf(err->why, sizeof(err->why),
				 "unknown kind \"%s\" (hypervisor or firmware)",
				 tok);
		}
		return -1;
	}
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n) {
		snprintf(err->why, sizeof(err->why), "missing path after %s",
			 hg_kind_name(*kind));
		return -1;
	}
	if (s[i] != '/') {
		snprintf(err->why, sizeof(err->why), "path is not absolute");
		return -1;
	}
	for (; i < n && !is_blank(s[i]); i++) {
		uint8_t c = s[i];

		if (c == '\\') {
			if (n - i < 4 || !is_octal(s[i + 1]) || !is_octal(s[i + 2]) ||
			    !is_octal(s[i + 3]) || s[i + 1] > '3') {
				snprintf(err->why, sizeof(err->why),
					 "bad escape (write \\NNN in octal, "
					 "e.g. \\040 for a space)");
				return -1;
			}
			c = (uint8_t)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 |
				      (s[i + 3] - '0'));
			i += 3;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(err->why, sizeof(err->why),
				 "control character in path");
			return -1;
		}
		if (plen == HG_CEL_MAX_NAME) {
			snprintf(err->why, sizeof(err->why),
				 "path longer than %d bytes", HG_CEL_MAX_NAME);
			return -1;
		}
		path[plen++] = (char)c;
	}
	path[plen] = '\0';
	while (i < n && is_blank(s[i]))
		i++;
	if (i < n && s[i] != '#') {
		snprintf(err->why, sizeof(err->why),
			 "trailing garbage after the path (write a space in a "
			 "path as \\040)");
		return -1;
	}
	return 0;
}

struct ord {
	size_t idx, line;
};

static const struct hg_manifest *sort_m;

static int ord_cmp(const void *a, const void *b)
{
	const struct ord *x = a, *y = b;
	const struct hg_manifest_entry *ex = &sort_m->e[x->idx];
	const struct hg_manifest_entry *ey = &sort_m->e[y->idx];
	int r = strcmp(ex->path, ey->path);

	if (r)
		return r;
	if (ex->kind != ey->kind)
		return (int)ex->kind - (int)ey->kind;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The same (kind, path) twice: name the later line. */
static int check_duplicates(const struct hg_manifest *m, const size_t *lines,
			    struct hg_manifest_err *err)
{
	struct ord *o;
	int ret = -1;

	if (m->n < 2)
		return 0;
	o = malloc(m->n * sizeof(*o));
	if (!o)
		goto out;
	for (size_t i = 0; i < m->n; i++)
		o[i] = (struct ord){ i, lines[i] };
	sort_m = m;
	qsort(o, m->n, sizeof(*o), ord_cmp);
	sort_m = NULL;
	for (size_t i = 1; i < m->n; i++) {
		const struct hg_manifest_entry *a = &m->e[o[i - 1].idx];
		const struct hg_manifest_entry *b = &m->e[o[i].idx];

		if (a->kind == b->kind && !strcmp(a->path, b->path)) {
			err->line = o[i].line;
			snprintf(err->why, sizeof(err->why),
				 "duplicate of line %zu", o[i - 1].line);
			errno = EINVAL;
			goto out;
		}
	}
	ret = 0;
out:
	free(o);
	return ret;
}

int hg_manifest_parse(const uint8_t *buf, size_t len, struct hg_manifest *m,
		      struct hg_manifest_err *err)
{
	size_t pos = 0, line = 0, *lines = NULL;
	char *path = NULL;
	int ret = -1;

	memset(m, 0, sizeof(*m));
	memset(err, 0, sizeof(*err));
	if (len > HG_MANIFEST_MAX_SIZE) {
		snprintf(err->why, sizeof(err->why), "larger than 1 MiB");
		errno = EINVAL;
		goto out;
	}
	path = malloc(HG_CEL_MAX_NAME + 1);
	lines = malloc(HG_MANIFEST_MAX_ENTRIES * sizeof(*lines));
	if (!path || !lines)
		goto oom;
	while (pos < len) {
		const uint8_t *s = buf + pos;
		const uint8_t *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		enum hg_kind kind;

		line++;
		err->line = line;
		pos += n + (nl ? 1 : 0);
		if (n > HG_MANIFEST_MAX_LINE) {
			snprintf(err->why, sizeof(err->why),
				 "line longer than %d bytes", HG_MANIFEST_MAX_LINE);
			errno = EINVAL;
			goto out;
		}
		if (parse_line(s, n, &kind, path, err) < 0) {
			errno = EINVAL;
			goto out;
		}
		if (kind == HG_KIND_NONE)
			continue;
		if (m->n == HG_MANIFEST_MAX_ENTRIES) {
			snprintf(err->why, sizeof(err->why),
				 "more than %d entries", HG_MANIFEST_MAX_ENTRIES);
			errno = EINVAL;
			goto out;
		}
		lines[m->n] = line;
		if (hg_manifest_add(m, kind, path) < 0)
			goto oom;
	}
	if (check_duplicates(m, lines, err) < 0) {
		if (errno == ENOMEM)
			goto oom;
		goto out;
	}
	memset(err, 0, sizeof(*err));
	ret = 0;
	goto out;
oom:
	err->line = 0;
	snprintf(err->why, sizeof(err->why), "out of memory");
	errno = ENOMEM;
out:
	if (ret < 0) {
		int saved = errno;

		hg_manifest_free(m);
		errno = saved;
	}
	free(path);
	free(lines);
	return ret;
}

int hg_manifest_load(const char *file, struct hg_manifest *m)
{
	struct hg_manifest_err err;
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = -1, saved;

	memset(m, 0, sizeof(*m));
	if (hg_read_file(file, HG_MANIFEST_MAX_SIZE, 0, &buf, &len) < 0) {
		saved = errno;
		hg_err("%s: %s", file,
		       errno == EFBIG ? "larger than 1 MiB" : hg_strerror_read(errno));
		errno = saved;
		goto out;
	}
	if (hg_manifest_parse(buf, len, m, &err) < 0) {
		const uint8_t *nul = memchr(buf, '\0', len);

		saved = errno;
		/* Name a binary file as such, by offset: its "line" means
		 * nothing, and no byte of it reaches the terminal. */
		if (nul)
			hg_err("%s: binary file (NUL byte at offset %zu), not a host manifest",
			       file, (size_t)(nul - buf));
		else if (err.line)
			hg_err("%s:%zu: %s", file, err.line, err.why);
		else
			hg_err("%s: %s", file, err.why);
		errno = saved;
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

/* What discovery looks for, in output order (manifest.h says why). */
static const struct {
	enum hg_kind kind;
	const char *pattern;
} defaults[] = {
	{ HG_KIND_HYPERVISOR, "/usr/bin/qemu-system-*" },
	{ HG_KIND_HYPERVISOR, "/usr/libexec/qemu-kvm" },
	{ HG_KIND_HYPERVISOR, "/usr/sbin/libvirtd" },
	{ HG_KIND_HYPERVISOR, "/usr/sbin/virtqemud" },
	{ HG_KIND_HYPERVISOR, "/usr/sbin/virtlogd" },
	{ HG_KIND_HYPERVISOR, "/usr/sbin/virt*d" },
	{ HG_KIND_HYPERVISOR, "/usr/lib/*/libvirt.so.0" },
	{ HG_KIND_HYPERVISOR, "/usr/lib/*/libvirt-qemu.so.0" },
	{ HG_KIND_HYPERVISOR, "/usr/lib64/libvirt.so.0" },
	{ HG_KIND_HYPERVISOR, "/usr/lib64/libvirt-qemu.so.0" },
	/* libvirt's loadable drivers: the qemu driver builds the command
	 * line; storage and lock drivers open the VMs' images. */
	{ HG_KIND_HYPERVISOR, "/usr/lib/*/libvirt/connection-driver/*.so" },
	{ HG_KIND_HYPERVISOR, "/usr/lib/*/libvirt/storage-backend/*.so" },
	{ HG_KIND_HYPERVISOR, "/usr/lib/*/libvirt/storage-file/*.so" },
	{ HG_KIND_HYPERVISOR, "/usr/lib/*/libvirt/lock-driver/*.so" },
	{ HG_KIND_HYPERVISOR, "/usr/lib64/libvirt/*/*.so" },
	{ HG_KIND_HYPERVISOR, "/usr/lib/libvirt/libvirt_*" },
	{ HG_KIND_HYPERVISOR, "/usr/libexec/libvirt_*" },
	/* qemu's loadable modules (display, audio, usb, block, accel). */
	{ HG_KIND_HYPERVISOR, "/usr/lib/*/qemu/*.so" },
	{ HG_KIND_HYPERVISOR, "/usr/lib64/qemu/*.so" },
	/* Helpers qemu or libvirt start for a VM. */
	{ HG_KIND_HYPERVISOR, "/usr/bin/swtpm" },
	{ HG_KIND_HYPERVISOR, "/usr/bin/swtpm_setup" },
	{ HG_KIND_HYPERVISOR, "/usr/bin/qemu-pr-helper" },
	{ HG_KIND_HYPERVISOR, "/usr/lib/qemu/qemu-bridge-helper" },
	{ HG_KIND_HYPERVISOR, "/usr/libexec/qemu-bridge-helper" },
	{ HG_KIND_HYPERVISOR, "/usr/lib/qemu/virtiofsd" },
	{ HG_KIND_HYPERVISOR, "/usr/libexec/virtiofsd" },
	{ HG_KIND_HYPERVISOR, "/usr/bin/passt" },
	{ HG_KIND_HYPERVISOR, "/etc/libvirt/qemu.conf" },
	{ HG_KIND_FIRMWARE, "/usr/share/seabios/*.bin" },
	{ HG_KIND_FIRMWARE, "/usr/share/OVMF/*.fd" },
	/* ROMs qemu loads into x86 guests without the XML naming them:
	 * the NICs' boot ROMs (iPXE), the TPR-patching, kernel-loading and
	 * multiboot option ROMs, and the microvm/serial BIOSes. */
	{ HG_KIND_FIRMWARE, "/usr/lib/ipxe/qemu/*.rom" },
	{ HG_KIND_FIRMWARE, "/usr/share/qemu/*.rom" },
	{ HG_KIND_FIRMWARE, "/usr/share/qemu/kvmvapic.bin" },
	{ HG_KIND_FIRMWARE, "/usr/share/qemu/linuxboot*.bin" },
	{ HG_KIND_FIRMWARE, "/usr/share/qemu/multiboot*.bin" },
	{ HG_KIND_FIRMWARE, "/usr/share/qemu/pvh.bin" },
	{ HG_KIND_FIRMWARE, "/usr/share/qemu/sgabios.bin" },
	/* Every firmware descriptor libvirt may read (fwdesc.h); the files
	 * they name follow, from hg_fwdesc_each(). */
	{ HG_KIND_FIRMWARE, "/usr/share/qemu/firmware/*.json" },
	{ HG_KIND_FIRMWARE, "/etc/qemu/firmware/*.json" },
	{ HG_KIND_FIRMWARE, "/root/.config/qemu/firmware/*.json" },
};

static int listed(const struct hg_manifest *m, enum hg_kind kind,
		  const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].kind == kind && !strcmp(m->e[i].path, path))
			return 1;
	return 0;
}

/* The files the firmware descriptors name, as firmware (fwdesc.h). */
static int add_named(void *arg, const char *path, int is_desc)
{
	struct hg_manifest *m = arg;
	struct stat st;
	char *canon;
	int r = 0;

	if (is_desc)
		return 0;   /* listed by the globs above */
	canon = realpath(path, NULL);
	if (!canon)
		return errno == ENOMEM ? -1 : 0;   /* the gate refuses it */
	if (lstat(canon, &st) == 0 && S_ISREG(st.st_mode) && path_ok(canon) &&
	    !listed(m, HG_KIND_FIRMWARE, canon))
		r = hg_manifest_add(m, HG_KIND_FIRMWARE, canon);
	free(canon);
	return r;
}

int hg_manifest_discover(struct hg_manifest *m)
{
	glob_t g;
	int ret = -1, saved;

	memset(m, 0, sizeof(*m));
	memset(&g, 0, sizeof(g));
	for (size_t d = 0; d < sizeof(defaults) / sizeof(defaults[0]); d++) {
		int r = glob(defaults[d].pattern, 0, NULL, &g);

		if (r == GLOB_NOSPACE) {
			errno = ENOMEM;
			goto out;
		}
		for (size_t i = 0; r == 0 && i < g.gl_pathc; i++) {
			char *canon = realpath(g.gl_pathv[i], NULL);
			struct stat st;

			if (!canon) {
				if (errno == ENOMEM)
					goto out;
				continue;   /* dangling symlink, raced away */
			}
			if (lstat(canon, &st) < 0 || !S_ISREG(st.st_mode) ||
			    listed(m, defaults[d].kind, canon)) {
				free(canon);
				continue;
			}
			if (!path_ok(canon)) {
				/* A name the log cannot hold: say so, skip it. */
				hg_err("%s: name cannot be measured (control "
				       "characters or too long): skipped",
				       g.gl_pathv[i]);
				free(canon);
				continue;
			}
			if (hg_manifest_add(m, defaults[d].kind, canon) < 0) {
				free(canon);
				goto out;
			}
			free(canon);
		}
		globfree(&g);
		memset(&g, 0, sizeof(g));
	}
	/* A descriptor that is not JSON names nothing here; the gate
	 * refuses an auto-selected firmware on it. */
	{
		char why[256];

		if (hg_fwdesc_each(add_named, m, why, sizeof(why)) < 0 && errno == ENOMEM)
			goto out;
	}
	ret = 0;
out:
	saved = errno;
	globfree(&g);
	if (ret < 0)
		hg_manifest_free(m);
	errno = saved;
	return ret;
}

int hg_manifest_format(const struct hg_manifest *m, char **out, size_t *len)
{
	FILE *f;
	int ret = -1;

	*out = NULL;
	*len = 0;
	f = open_memstream(out, len);
	if (!f)
		return -1;
	fputs("# hostgate host manifest: KIND PATH per line, KIND hypervisor or\n"
	      "# firmware (docs/host-manifest.md). Measured at boot by\n"
	      "# hostgate-attest measure-host.\n", f);
	for (size_t i = 0; i < m->n; i++) {
		fputs(hg_kind_name(m->e[i].kind), f);
		fputc(' ', f);
		for (const char *p = m->e[i].path; *p; p++) {
			if (*p == ' ' || *p == '\\')
				fprintf(f, "\\%03o", (unsigned char)*p);
			else
				fputc(*p, f);
		}
		fputc('\n', f);
	}
	if (ferror(f)) {
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0)
		goto out;
	ret = 0;
out:
	if (ret < 0) {
		free(*out);
		*out = NULL;
		*len = 0;
	}
	return ret;
}

int hg_manifest_write(const char *file, const struct hg_manifest *m)
{
	char *text = NULL;
	size_t len;
	int ret = -1, saved;

	if (hg_manifest_format(m, &text, &len) < 0)
		goto out;
	ret = hg_write_file_atomic(file, text, len, 0644);
out:
	saved = errno;
	free(text);
	errno = saved;
	return ret;
}
