/* domplan.h: what the gate measures for one domain, read from its
 * canonical form (domxml.h) so that the files gated are exactly the files
 * named by the config that was measured.
 *
 * Rules (README "Gate: what is measured"):
 *  - file disks: the backing chain is resolved from the image headers
 *    (imgchain.h) inside the configured image directories. Every backing
 *    layer is golden (kind image, hashed). The top layer is golden when it
 *    is <readonly/> or lies under a golden directory, else it is a
 *    writable overlay (kind overlay, recorded by path, not hashed).
 *  - a driver without @type is raw, as libvirt treats it (no probing).
 *  - an empty cdrom/floppy is skipped; any other disk type (block,
 *    network, volume, dir) is refused: the gate cannot vouch for what it
 *    cannot hash.
 *  - a <backingStore> chain in the XML (libvirt's detected chain in a
 *    running domain's XML, or one a user wrote) must name, layer by
 *    layer, the files and formats the headers name, or the disk is
 *    refused: qemu opens the chain libvirt gives it. An empty
 *    <backingStore/> terminator is not in the canonical form (domxml
 *    drops it as libvirt's runtime output), so "no backing" written by
 *    a user is not seen: the plan then measures the headers' chain, a
 *    superset of what qemu opens, which can refuse but never admit more.
 *  - an element libvirt reads once (a disk's driver, source, target,
 *    readonly, backingStore, format; <os>, <devices>, <kernel>, ...)
 *    given twice is refused: the plan and qemu could disagree.
 *  - a disk's source must be an absolute path (qemu would open a relative
 *    one against its own working directory, the gate against its own).
 *  - <os>: kernel, initrd and dtb are golden images (same directory rule);
 *    loader and the nvram template are firmware; nvram is an overlay.
 *  - the domain config itself is kind config named
 *    /etc/libvirt/qemu/NAME.xml (where libvirt keeps it; the digest is of
 *    the canonical form, not of that file).
 *
 * Contract: on 0, P holds unique (kind, path) items, paths owned by P
 * (hg_plan_free). On -1, WHY holds a one-line reason naming the disk or
 * file. A domain name with '/', a control character or a leading '.' is
 * refused (libvirt refuses them too).
 */
#ifndef HG_DOMPLAN_H
#define HG_DOMPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/cel.h"
#include "gateconf.h"

#define HG_PLAN_MAX 256

struct hg_plan_item {
	enum hg_kind kind;
	char *path;
	/* A disk layer: the device and inode of the file whose header the
	 * chain was read from (imgchain.h); the measurement must hash that
	 * very file (measureset.h). */
	int has_id;
	uint64_t dev, ino;
};

#define HG_PLAN_MAX_MF 64

/* A file the host manifest must measure (domfiles.h): WHAT names its use
 * ("emulator", "option ROM"), PATH is canonical. */
struct hg_plan_mf {
	const char *what;
	char *path;
};

struct hg_plan {
	size_t n;
	struct hg_plan_item v[HG_PLAN_MAX];
	/* Files qemu opens that must be files of the host manifest: the
	 * gate refuses the start unless each is one it measured. */
	size_t nmf;
	struct hg_plan_mf mf[HG_PLAN_MAX_MF];
	/* <os firmware='...'>: libvirt picks the firmware from the
	 * descriptors after the hook has run; the gate checks that every
	 * descriptor and every file they name is in the host manifest. */
	int fw_auto;
	int emulator_seen;
	int loader_elem, loader_path;   /* <loader> seen; with a path */
	/* qemu:commandline seen, and its arguments joined by spaces. */
	int qemu_cmdline;
	size_t qargs_len;
	char qargs[4096];
};

int hg_domplan(const char *canon, size_t len, const struct hg_gateconf *cfg,
	       struct hg_plan *p, char *why, size_t whylen);
void hg_plan_free(struct hg_plan *p);
/* Add (KIND, PATH) once; -1 with WHY if PATH is already there under
 * another kind or P is full. */
int hg_plan_add(struct hg_plan *p, enum hg_kind kind, const char *path,
		char *why, size_t whylen);

/* "/etc/libvirt/qemu/NAME.xml" into BUF; -1 (WHY set) if NAME is bad. */
int hg_domain_config_name(const char *name, char *buf, size_t len,
			  const char **why);

#endif
