/* domfiles.h: every line of a domain's canonical form (domxml.h) that is
 * not a disk's or an <os> boot file's, judged by what it makes qemu (or a
 * helper libvirt starts for the domain) open on the host. Default deny:
 *
 *  - only known elements may appear under <domain> and <devices>;
 *    anything else (a typo, a newer libvirt's element, another
 *    hypervisor's, an element in a foreign namespace, an XInclude) is
 *    refused;
 *  - a file whose content reaches the guest is hashed: the emulator must
 *    be a file of the host manifest (struct hg_plan's mf list, checked by
 *    the gate against the manifest it measures); an option ROM, an ACPI
 *    table and an fw_cfg file are golden images when they lie under the
 *    image directories, else they too must be in the host manifest;
 *  - what the gate cannot hash is refused with its reason: <filesystem>,
 *    <shmem>, nvdimm and virtio-pmem memory, SCSI/iSCSI/vhost-scsi
 *    hostdevs, evdev and passthrough input, TPM passthrough and external
 *    TPMs, a smartcard's host certificate directory, host devices as
 *    character devices, qemu:commandline / qemu:override /
 *    qemu:capabilities (unless gate.conf allows the exact arguments);
 *  - files that are only written (serial logs, audio captures) and
 *    sockets (consoles, channels, graphics) are harmless: they carry the
 *    guest's run-time I/O, as the network does, not what it boots from;
 *  - any other value that is an absolute path, and any other attribute
 *    named file, path, dir or socket, is refused: a file the table does
 *    not know is a file the gate does not hash.
 * The table, element by element, is docs/gate.md "What a domain can make
 * qemu open".
 *
 * Contract: SHAPE is the line's path with every "[N]" index removed
 * (hg_domfiles_shape), V[VN] its value. Returns 1 when the line is a
 * disk's or an <os> boot file's (the caller plans those), 0 when it is
 * judged harmless or was added to P, -1 with WHY set when refused.
 */
#ifndef HG_DOMFILES_H
#define HG_DOMFILES_H

#include <stddef.h>

#include "domplan.h"

/* "domain/devices/disk[2]/source@file" -> "domain/devices/disk/source@file"
 * into BUF; -1 if it does not fit. */
int hg_domfiles_shape(const char *k, size_t kn, char *buf, size_t len);
int hg_domfiles_line(const char *shape, const char *v, size_t vn,
		     const struct hg_gateconf *cfg, struct hg_plan *p,
		     char *why, size_t whylen);
/* After every line: the qemu passthrough arguments collected against
 * gate.conf's qemu-commandline. -1 with WHY set when refused. */
int hg_domfiles_finish(const struct hg_gateconf *cfg, struct hg_plan *p,
		       char *why, size_t whylen);

#endif
