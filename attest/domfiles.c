/* domfiles.c: see domfiles.h. The element list is libvirt 9.0's domain
 * schema (src/conf/schemas/domaincommon.rng: every absFilePath,
 * absDirPath, filePath and devicePath reference); docs/gate.md has the
 * table with a reason and a test for each row. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domfiles.h"

#define QEMU_NS "{http://libvirt.org/schemas/domain/qemu/1.0}"

/* Children of <domain> libvirt's qemu driver reads. Anything else is
 * refused: what the gate does not know, it cannot judge. */
static const char *const top[] = {
	"name", "uuid", "genid", "memory", "currentMemory", "maxMemory",
	"memoryBacking", "memtune", "blkiotune", "vcpu", "vcpus", "iothreads",
	"iothreadids", "defaultiothread", "cputune", "numatune", "os",
	"features", "cpu", "clock", "on_poweroff", "on_reboot", "on_crash",
	"on_lockfailure", "pm", "perf", "devices", "seclabel", "keywrap",
	"launchSecurity", "sysinfo",
};

/* Children of <devices>. <filesystem>, <shmem> and <lease> are known
 * but refused below. */
static const char *const devs[] = {
	"emulator", "disk", "controller", "lease", "filesystem", "interface",
	"input", "graphics", "video", "sound", "audio", "hostdev", "redirdev",
	"redirfilter", "smartcard", "serial", "parallel", "console", "channel",
	"tpm", "rng", "memballoon", "watchdog", "panic", "shmem", "memory",
	"iommu", "vsock", "hub", "nvram", "crypto",
};

/* Elements (by shape prefix) refused outright, with the reason. */
static const struct {
	const char *shape, *why;
} refused_elem[] = {
	{ "domain/devices/filesystem",
	  "passes a host directory or file system into the guest, which the gate cannot hash" },
	{ "domain/devices/shmem",
	  "shares host memory (or a server's socket) with the guest, which the gate cannot hash" },
	{ "domain/devices/lease", "names a lock-manager lease file the gate does not hash" },
	{ "domain/" QEMU_NS "override",
	  "qemu:override changes device properties libvirt does not check" },
	{ "domain/" QEMU_NS "capabilities",
	  "qemu:capabilities changes what libvirt believes qemu can do" },
	{ "domain/" QEMU_NS "commandline/" QEMU_NS "env",
	  "qemu:commandline sets qemu's environment" },
};

/* (element @type-like attribute, value) pairs refused: the device gives
 * the guest a host resource whose content the gate cannot hash. */
static const struct {
	const char *shape, *value, *why;
} refused_val[] = {
	{ "domain/devices/hostdev@type", "scsi", "passes a host SCSI or iSCSI LUN, which the gate cannot hash" },
	{ "domain/devices/hostdev@type", "scsi_host", "passes a vhost-scsi target, which the gate cannot hash" },
	{ "domain/devices/hostdev@mode", "capabilities", "passes a host block or character device" },
	{ "domain/devices/memory@model", "nvdimm", "is backed by a host file the guest keeps state in (nvdimm), which the gate cannot hash" },
	{ "domain/devices/memory@model", "virtio-pmem", "is backed by a host file the guest keeps state in (virtio-pmem), which the gate cannot hash" },
	{ "domain/devices/input@type", "evdev", "passes a host input device (evdev)" },
	{ "domain/devices/input@type", "passthrough", "passes a host input device (virtio-input-host)" },
	{ "domain/devices/smartcard@mode", "host-certificates", "reads certificates from a host directory the gate does not hash" },
	{ "domain/devices/tpm/backend@type", "passthrough", "passes the host's TPM" },
	{ "domain/devices/tpm/backend@type", "external", "uses an external TPM emulator whose state the gate cannot vouch for" },
	{ "domain/devices/serial@type", "dev", "passes a host character device" },
	{ "domain/devices/parallel@type", "dev", "passes a host character device" },
	{ "domain/devices/console@type", "dev", "passes a host character device" },
	{ "domain/devices/channel@type", "dev", "passes a host character device" },
	{ "domain/devices/video/driver@name", "vhostuser", "runs a vhost-user GPU helper libvirt picks from descriptors the gate does not check" },
	{ "domain/devices/serial@type", "pipe", "reads the guest's input from a host FIFO the gate does not hash" },
	{ "domain/devices/parallel@type", "pipe", "reads the guest's input from a host FIFO the gate does not hash" },
	{ "domain/devices/console@type", "pipe", "reads the guest's input from a host FIFO the gate does not hash" },
	{ "domain/devices/channel@type", "pipe", "reads the guest's input from a host FIFO the gate does not hash" },
};

/* Paths that are only written by qemu, or sockets that carry run-time
 * I/O (as the network does), not what the guest boots from. */
static const char *const harmless[] = {
	/* chardev file/unix sources and their logs: output, or a socket */
	"domain/devices/serial/source@path", "domain/devices/parallel/source@path",
	"domain/devices/console/source@path", "domain/devices/channel/source@path",
	"domain/devices/serial/log@file", "domain/devices/parallel/log@file",
	"domain/devices/console/log@file", "domain/devices/channel/log@file",
	"domain/devices/redirdev/source@path", "domain/devices/smartcard/source@path",
	"domain/devices/rng/backend/source@path",
	/* vhost-user network backend socket: the network, not a file */
	"domain/devices/interface/source@path",
	/* passt's log: output */
	"domain/devices/interface/backend@logFile",
	/* listening sockets for the console */
	"domain/devices/graphics@socket", "domain/devices/graphics/listen@socket",
	/* audio capture written by qemu */
	"domain/devices/audio@path",
	/* host sound devices: run-time I/O */
	"domain/devices/audio/input@dev", "domain/devices/audio/output@dev",
	/* the cgroup throttle of a host disk: libvirt writes a cgroup file */
	"domain/blkiotune/device/path",
	/* the kernel command line is text, not a file */
	"domain/os/cmdline",
};

static int in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

/* The first path component after PREFIX, into BUF. */
static const char *component(const char *shape, const char *prefix, char *buf, size_t len)
{
	size_t l = strlen(prefix), n = 0;

	if (strncmp(shape, prefix, l))
		return NULL;
	/* A Clark name's URI has '/' in it: skip to its '}'. */
	if (shape[l] == '{') {
		const char *close = strchr(shape + l, '}');

		if (!close)
			return NULL;
		n = (size_t)(close - (shape + l)) + 1;
	}
	n += strcspn(shape + l + n, "/@");
	if (n == 0 || n >= len)
		return NULL;
	memcpy(buf, shape + l, n);
	buf[n] = '\0';
	return buf;
}

static int starts_elem(const char *shape, const char *prefix)
{
	size_t l = strlen(prefix);

	return !strncmp(shape, prefix, l) && (shape[l] == '\0' || shape[l] == '/' || shape[l] == '@');
}

int hg_domfiles_shape(const char *k, size_t kn, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < kn; i++) {
		if (k[i] == '[') {
			while (i < kn && k[i] != ']')
				i++;
			continue;
		}
		if (o + 1 >= len)
			return -1;
		buf[o++] = k[i];
	}
	buf[o] = '\0';
	return 0;
}

/* The last attribute name of SHAPE ("file" for ".../rom@file"), or "". */
static const char *attr_of(const char *shape)
{
	const char *at = strrchr(shape, '@');

	return at ? at + 1 : "";
}

/* A file whose content reaches the guest: a golden image under the image
 * directories (hashed, kind image), else a file the host manifest must
 * measure (the gate checks). */
static int plan_file(const char *what, const char *v, size_t vn, int manifest_only,
		     const struct hg_gateconf *cfg, struct hg_plan *p, char *why, size_t whylen)
{
	char path[PATH_MAX], *real;
	int ret = -1;

	if (vn == 0 || vn >= sizeof(path) || v[0] != '/') {
		snprintf(why, whylen, "%s: not an absolute path", what);
		return -1;
	}
	memcpy(path, v, vn);
	path[vn] = '\0';
	real = realpath(path, NULL);
	if (!real) {
		snprintf(why, whylen, "%s %s: cannot be resolved", what, path);
		return -1;
	}
	if (!manifest_only && hg_path_under(real, cfg->image_dirs, cfg->nimage_dirs)) {
		ret = hg_plan_add(p, HG_KIND_IMAGE, real, why, whylen);
		goto out;
	}
	for (size_t i = 0; i < p->nmf; i++)
		if (!strcmp(p->mf[i].path, real)) {
			ret = 0;
			goto out;
		}
	if (p->nmf == HG_PLAN_MAX_MF) {
		snprintf(why, whylen, "more than %d files to find in the host manifest", HG_PLAN_MAX_MF);
		goto out;
	}
	p->mf[p->nmf].what = what;
	p->mf[p->nmf++].path = real;
	real = NULL;
	ret = 0;
out:
	free(real);
	return ret;
}

static int qemu_arg(const char *v, size_t vn, struct hg_plan *p)
{
	size_t need = p->qargs_len + (p->qargs_len ? 1 : 0) + vn;

	/* An argument with a space could not be told apart from two. */
	if (memchr(v, ' ', vn) || vn == 0 || need >= sizeof(p->qargs))
		return -1;
	if (p->qargs_len)
		p->qargs[p->qargs_len++] = ' ';
	memcpy(p->qargs + p->qargs_len, v, vn);
	p->qargs_len += vn;
	p->qargs[p->qargs_len] = '\0';
	return 0;
}

int hg_domfiles_line(const char *shape, const char *v, size_t vn,
		     const struct hg_gateconf *cfg, struct hg_plan *p,
		     char *why, size_t whylen)
{
	const char *attr = attr_of(shape);
	char c[256];

	/* An element in a foreign namespace below libvirt's (a disk's
	 * included): libvirt may read it by its local name; an XInclude is never expanded. */
	if (strchr(shape, '{') && strncmp(shape, "domain/" QEMU_NS, strlen("domain/" QEMU_NS))) {
		snprintf(why, whylen, "%s: element in a foreign namespace", shape);
		return -1;
	}
	/* Disks and the <os> boot files are the caller's (domplan.c); a
	 * disk line that names another file (a qcow2 data store, a
	 * persistent-reservation socket, a mirror) falls to the default
	 * deny below. */
	if (starts_elem(shape, "domain/devices/disk")) {
		size_t l = strlen(shape);

		if (!strcmp(shape, "domain/devices/disk/source@file") ||
		    (starts_elem(shape, "domain/devices/disk/backingStore") && l > 12 &&
		     !strcmp(shape + l - 12, "/source@file")) ||
		    !strcmp(attr, "dev") || !strcmp(attr, "dir") || !strcmp(attr, "name") ||
		    !strcmp(attr, "pool") || !strcmp(attr, "volume"))
			return 1;   /* planned, or refused by the disk's type */
		if ((vn && v[0] == '/') || !strcmp(attr, "file") || !strcmp(attr, "path") ||
		    !strcmp(attr, "socket")) {
			snprintf(why, whylen, "%s: names a host file the gate does not hash", shape);
			return -1;
		}
		return 1;
	}
	/* A <loader> with no path, or <os><firmware> features, let libvirt
	 * pick the firmware from the descriptors, as <os firmware=...> does. */
	if (!strcmp(shape, "domain/os/loader"))
		p->loader_path = 1;
	else if (starts_elem(shape, "domain/os/loader"))
		p->loader_elem = 1;
	if (starts_elem(shape, "domain/os/firmware"))
		p->fw_auto = 1;
	if (!strcmp(shape, "domain/os/kernel") || !strcmp(shape, "domain/os/initrd") ||
	    !strcmp(shape, "domain/os/dtb") || !strcmp(shape, "domain/os/loader") ||
	    !strcmp(shape, "domain/os/nvram") || !strcmp(shape, "domain/os/nvram@template"))
		return 1;

	/* Known elements only. */
	if (!component(shape, "domain/", c, sizeof(c)) && strcmp(shape, "domain") &&
	    strncmp(shape, "domain@", 7)) {
		snprintf(why, whylen, "%s: not an element the gate knows", shape);
		return -1;
	}
	if (component(shape, "domain/", c, sizeof(c)) && !in(c, top, sizeof(top) / sizeof(top[0])) &&
	    strncmp(c, QEMU_NS, strlen(QEMU_NS))) {
		snprintf(why, whylen, "<%s>: not an element the gate knows (refused: it may name files qemu opens)", c);
		return -1;
	}
	if (component(shape, "domain/devices/", c, sizeof(c)) &&
	    !in(c, devs, sizeof(devs) / sizeof(devs[0]))) {
		snprintf(why, whylen, "<devices><%s>: not a device the gate knows (refused: it may name files qemu opens)", c);
		return -1;
	}
	for (size_t i = 0; i < sizeof(refused_elem) / sizeof(refused_elem[0]); i++)
		if (starts_elem(shape, refused_elem[i].shape)) {
			snprintf(why, whylen, "<%s> %s", strrchr(refused_elem[i].shape, '}') ?
				 strrchr(refused_elem[i].shape, '}') + 1 :
				 strrchr(refused_elem[i].shape, '/') + 1, refused_elem[i].why);
			return -1;
		}
	for (size_t i = 0; i < sizeof(refused_val) / sizeof(refused_val[0]); i++)
		if (!strcmp(shape, refused_val[i].shape) && strlen(refused_val[i].value) == vn &&
		    !memcmp(v, refused_val[i].value, vn)) {
			snprintf(why, whylen, "%s='%s' %s", shape + 15, refused_val[i].value,
				 refused_val[i].why);
			return -1;
		}

	/* qemu passthrough: only the exact argument list gate.conf allows. */
	if (starts_elem(shape, "domain/" QEMU_NS "commandline")) {
		p->qemu_cmdline = 1;
		if (!strcmp(shape, "domain/" QEMU_NS "commandline/" QEMU_NS "arg@value") &&
		    qemu_arg(v, vn, p) < 0) {
			snprintf(why, whylen, "qemu:commandline: an argument that is empty, has a space or is too long");
			return -1;
		}
		return 0;
	}
	if (starts_elem(shape, "domain/" QEMU_NS "deprecation"))
		return 0;   /* what qemu does on a deprecated option: no file */
	if (!strncmp(shape, "domain/" QEMU_NS, strlen("domain/" QEMU_NS))) {
		snprintf(why, whylen, "%s: qemu passthrough the gate does not know", shape);
		return -1;
	}

	/* Files whose content reaches the guest. */
	if (!strcmp(shape, "domain/devices/emulator")) {
		p->emulator_seen = 1;
		return plan_file("emulator", v, vn, 1, cfg, p, why, whylen);
	}
	if (!strcmp(attr, "file") && strlen(shape) > 9 &&
	    !strcmp(shape + strlen(shape) - 9, "/rom@file"))
		return plan_file("option ROM", v, vn, 0, cfg, p, why, whylen);
	if (!strcmp(shape, "domain/os/acpi/table"))
		return plan_file("ACPI table", v, vn, 0, cfg, p, why, whylen);
	if (!strcmp(shape, "domain/sysinfo/entry@file"))
		return plan_file("fw_cfg file", v, vn, 0, cfg, p, why, whylen);
	if (!strcmp(shape, "domain/os@firmware")) {
		p->fw_auto = 1;
		return 0;
	}

	/* Entropy: the host's random devices only. */
	if (!strcmp(shape, "domain/devices/rng/backend")) {
		static const char *const rnd[] = { "/dev/urandom", "/dev/random", "/dev/hwrng" };

		for (size_t i = 0; i < 3; i++)
			if (strlen(rnd[i]) == vn && !memcmp(v, rnd[i], vn))
				return 0;
		snprintf(why, whylen, "rng backend %.*s: not a host random device", (int)(vn > 200 ? 200 : vn), v);
		return -1;
	}
	/* A render node is a host GPU for rendering, not content. */
	if (!strcmp(attr, "rendernode") && vn > 9 && !memcmp(v, "/dev/dri/", 9) &&
	    !memchr(v, '.', vn))
		return 0;
	if (in(shape, harmless, sizeof(harmless) / sizeof(harmless[0])))
		return 0;
	/* SMBIOS strings and fw_cfg data given inline are text, not files. */
	if (starts_elem(shape, "domain/sysinfo") && !strchr(shape, '@'))
		return 0;

	/* Default deny: a path the table does not know. */
	if ((vn && v[0] == '/') || !strcmp(attr, "file") || !strcmp(attr, "path") ||
	    !strcmp(attr, "dir") || !strcmp(attr, "socket") || !strcmp(attr, "evdev") ||
	    !strcmp(attr, "rendernode") || !strcmp(shape + strlen(shape) - 5, "/path")) {
		snprintf(why, whylen, "%s: names a host file the gate does not hash", shape);
		return -1;
	}
	return 0;
}

int hg_domfiles_finish(const struct hg_gateconf *cfg, struct hg_plan *p,
		       char *why, size_t whylen)
{
	if (p->loader_elem && !p->loader_path)
		p->fw_auto = 1;
	/* libvirt writes the emulator into every defined domain; without
	 * one, which binary would run is libvirt's guess, not the config's. */
	if (!p->emulator_seen) {
		snprintf(why, whylen, "no <emulator>: the gate checks the emulator the domain names");
		return -1;
	}
	if (!p->qemu_cmdline)
		return 0;
	if (!cfg->qemu_commandline || strcmp(cfg->qemu_commandline, p->qargs)) {
		snprintf(why, whylen, "qemu:commandline passes arguments to qemu that gate.conf's qemu-commandline does not allow exactly: %.200s",
			 p->qargs);
		return -1;
	}
	return 0;
}
