/* fwdesc.h: the QEMU firmware descriptors libvirt may choose a VM's
 * firmware from (docs/interop/firmware.json in QEMU; libvirt's
 * qemu_firmware.c), and the files they name.
 *
 * With <os firmware='efi'> (or 'bios') libvirt 9.0 picks the loader and
 * the nvram template from these descriptors at start, after the qemu
 * hook has run: the gate cannot know which file it will be, so it
 * requires every descriptor libvirt could read, and every file each one
 * names, to be a file of the host manifest (measured, in the policy).
 *
 * Where libvirt looks, highest priority first (a file name in a higher
 * directory overrides, and an empty file there masks, the same name
 * below): $XDG_CONFIG_HOME/qemu/firmware of the daemon's user (root:
 * /root/.config/qemu/firmware), /etc/qemu/firmware, /usr/share/qemu/firmware.
 * All three are read, overridden or not: a superset.
 *
 * Contract: hg_fwdesc_each() calls FN(ARG, PATH) for each descriptor
 * (canonical path) and for each "filename" string anywhere in it
 * (canonicalised; a name that does not resolve is passed as written, so
 * that the caller refuses it). FN returning non-zero stops the walk and
 * is returned. A descriptor that is not JSON makes it return -1 with WHY
 * set. Missing directories are skipped.
 */
#ifndef HG_FWDESC_H
#define HG_FWDESC_H

#include <stddef.h>

extern const char *const hg_fwdesc_dirs[];

int hg_fwdesc_each(int (*fn)(void *arg, const char *path, int is_desc), void *arg,
		   char *why, size_t whylen);

struct hg_plan;
/* The gate's check of a plan against the host manifest it measures
 * (MF[N], canonical paths): every file of P's mf list is one of them
 * (the emulator, ROMs, ...), and, when P lets libvirt pick the firmware,
 * every descriptor and every file one names is too. -1 with WHY naming
 * the first file that is not. */
int hg_plan_covered(const struct hg_plan *p, char *const *mf, size_t n,
		    char *why, size_t whylen);

#endif
