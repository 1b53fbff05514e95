/* manifest.h: the host manifest, the files that make up the hypervisor
 * (docs/host-manifest.md). Default /etc/hostgate/host.manifest.
 *
 * Format: text, at most 1 MiB, one entry per line:
 *
 *   KIND PATH
 *
 *  - KIND is "hypervisor" or "firmware". "config" is reserved for VM
 *    configurations and "image" for VM disk images: the libvirt gate
 *    measures those per VM; either here is an error.
 *  - PATH is absolute, at most 4096 bytes once decoded, with no control
 *    characters (tab included: a log record cannot name them). A space or
 *    backslash in it is written as an octal escape, as fstab(5) does:
 *    \040, \134 (any \NNN up to \377 decodes; any other backslash is an
 *    error).
 *  - Blanks (spaces, tabs) may lead the line and separate KIND from PATH;
 *    after PATH only blanks and a "# comment" may follow.
 *  - A line that is empty, blank or starts (after blanks) with '#' is
 *    ignored. Lines end in LF; the last one may omit it. A line is at most
 *    HG_MANIFEST_MAX_LINE bytes.
 *  - At most HG_MANIFEST_MAX_ENTRIES entries; the same (KIND, PATH) twice
 *    is an error (a likely editing slip).
 * Anything else is an error naming FILE:LINE and the reason. The parser
 * does not look at the file system: whether each PATH exists is the
 * measuring command's question (measurehost.c fails closed).
 *
 * Discovery (hg_manifest_discover) lists this host's defaults without
 * asking libvirt: measure-host runs at boot before libvirtd starts
 * (libvirt's capabilities would name the same emulators). The list, with
 * the reason for each row, is docs/host-manifest.md "Discovered
 * defaults": the emulators, libvirt's daemons, library, loadable drivers
 * and helpers, qemu's modules and helpers (swtpm, swtpm_setup,
 * qemu-pr-helper, qemu-bridge-helper, virtiofsd, passt), qemu.conf, as
 * kind hypervisor; seabios, OVMF, the x86 ROMs qemu loads without the
 * XML naming them (iPXE NIC ROMs, kvmvapic, linuxboot, multiboot, pvh,
 * qboot, sgabios), every firmware descriptor libvirt may
 * read (fwdesc.h) and every file one names, as kind firmware. Each is
 * resolved with realpath(); only regular files are listed, once each,
 * under their canonical path, in that order.
 *
 * Contract: a manifest owns its paths; hg_manifest_free() frees them and
 * accepts a zeroed or freed manifest. On failure a function leaves *m
 * empty (load, parse, discover) or untouched (write).
 */
#ifndef HG_MANIFEST_H
#define HG_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/cel.h"

#define HG_MANIFEST_DEFAULT "/etc/hostgate/host.manifest"
#define HG_MANIFEST_MAX_SIZE (1u << 20)
#define HG_MANIFEST_MAX_ENTRIES 4096
#define HG_MANIFEST_MAX_LINE 16384

struct hg_manifest_entry {
	enum hg_kind kind;
	char *path;
};

struct hg_manifest {
	size_t n;
	struct hg_manifest_entry *e;
};

/* Why a parse failed: LINE is 1-based (0: the file as a whole). */
struct hg_manifest_err {
	size_t line;
	char why[160];
};

/* Parse BUF[LEN]. -1 with *err filled on a malformed manifest (errno
 * EINVAL) or out of memory (ENOMEM). */
int hg_manifest_parse(const uint8_t *buf, size_t len, struct hg_manifest *m,
		      struct hg_manifest_err *err);
/* Read and parse FILE. On failure prints one error line naming FILE (and
 * the line) and returns -1; errno is ENOENT when FILE does not exist. */
int hg_manifest_load(const char *file, struct hg_manifest *m);
/* This host's defaults (above). -1 only on out of memory or a path too
 * long to name. */
int hg_manifest_discover(struct hg_manifest *m);
/* Append (KIND, PATH), copying PATH; -1 EINVAL if the file format could
 * not hold it (kind, path rules), ENOSPC when full. No duplicate check. */
int hg_manifest_add(struct hg_manifest *m, enum hg_kind kind, const char *path);
/* The manifest as text (a header comment, then one line per entry) into
 * a fresh NUL-terminated buffer the caller frees. */
int hg_manifest_format(const struct hg_manifest *m, char **out, size_t *len);
/* Write the text atomically (hg_write_file_atomic, mode 0644). */
int hg_manifest_write(const char *file, const struct hg_manifest *m);
void hg_manifest_free(struct hg_manifest *m);

#endif
