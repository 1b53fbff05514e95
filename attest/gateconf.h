/* gateconf.h: the gate's configuration, /etc/hostgate/gate.conf.
 *
 * libvirt runs hooks with an empty environment and no arguments of ours,
 * so everything the gate needs lives in this file (README "Gate
 * configuration" is the reference):
 *
 *   # comment
 *   key = value
 *
 * Keys: tcti, state, log, pcr (as the common options), policy, verifier,
 * image-dirs, golden-dirs (colon-separated absolute directories),
 * manifest, break-glass, mode (only "local" for now), nvram ("overlay"
 * or "hashed"), qemu-commandline (the exact qemu:commandline arguments
 * allowed, space-separated). Unknown keys,
 * duplicate keys, relative paths and lines that are not `key = value` are
 * errors naming FILE:LINE, so a typo never silently weakens the gate.
 *
 * Contract: hg_gateconf_load() fills defaults first, then the file. The
 * strings are owned by the struct (hg_gateconf_free()). The file is read
 * whole, at most 64 KiB.
 */
#ifndef HG_GATECONF_H
#define HG_GATECONF_H

#include <stddef.h>
#include <stdint.h>

#define HG_GATECONF_DEFAULT "/etc/hostgate/gate.conf"
#define HG_GATE_MAX_DIRS 16

struct hg_gateconf {
	char *tcti, *state, *log, *policy, *verifier, *manifest, *break_glass;
	uint32_t pcr;
	size_t nimage_dirs, ngolden_dirs;
	char *image_dirs[HG_GATE_MAX_DIRS];
	char *golden_dirs[HG_GATE_MAX_DIRS];
	/* nvram = hashed: a domain's nvram is hashed as a golden image
	 * (default overlay: recorded by path). */
	int nvram_hashed;
	/* qemu-commandline: the one qemu:commandline argument list allowed,
	 * joined by single spaces (NULL: none allowed). */
	char *qemu_commandline;
};

/* Defaults only (no file). */
int hg_gateconf_defaults(struct hg_gateconf *c);
/* Defaults, then PATH; -1 with one error line if PATH is missing or bad. */
int hg_gateconf_load(const char *path, struct hg_gateconf *c);
/* As hg_gateconf_load(), but the error line goes to ERR, not stderr. */
int hg_gateconf_read(const char *path, struct hg_gateconf *c, char *err,
		     size_t errlen);
void hg_gateconf_free(struct hg_gateconf *c);
/* 1 if the canonical PATH lies under one of DIRS (whole components). */
int hg_path_under(const char *path, char *const *dirs, size_t n);

#endif
