/* test_domplan_files.c: every file a domain can make qemu open is hashed,
 * left to the host manifest, or refused (attest/domfiles.h; issue 12
 * items 3, 5, 6). The real XML is tests/unit/domxml/real-devices.xml,
 * `virsh dumpxml --inactive` of libvirtd 9.0 for a domain with a serial
 * log file, a unix channel, VNC, a TPM emulator, an RNG, a watchdog and a
 * NIC with an option ROM; the image tree is domplan_fx.h's.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../attest/domplan.h"
#include "../../attest/domxml.h"
#include "../../attest/fwdesc.h"
#include "domplan_fx.h"

#define QNS "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"

static char *load(const char *name)
{
	const char *dir = getenv("HG_DOMXML_FIXTURES");
	char *path = fmt("%s/%s", dir ? dir : "tests/unit/domxml", name);
	char *buf = NULL;
	long n;
	FILE *f = fopen(path, "rb");

	if (!f)
		fail_msg("%s: cannot open", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	free(path);
	return buf;
}

/* S with every OLD replaced by NEW (OLD must occur). */
static char *subst(const char *s, const char *old, const char *new)
{
	const char *at = strstr(s, old);
	char *head, *out;

	if (!at)
		fail_msg("\"%s\" not in the XML", old);
	head = strndup(s, (size_t)(at - s));
	out = fmt("%s%s%s", head, new, at + strlen(old));
	free(head);
	if (strstr(out + (at - s) + strlen(new), old)) {
		char *again = subst(out, old, new);

		free(out);
		return again;
	}
	return out;
}

/* Plan raw domain XML. */
static int plan_xml(const char *xml, struct hg_plan *p, char *why, size_t whylen)
{
	char *c = NULL, *name = NULL;
	const char *cwhy = NULL;
	size_t len = 0;
	int rc;

	why[0] = '\0';
	if (hg_domxml_canonical(xml, strlen(xml), &c, &len, &name, &cwhy) < 0) {
		snprintf(why, whylen, "domxml: %s", cwhy);
		memset(p, 0, sizeof(*p));
		return -1;
	}
	rc = hg_domplan(c, len, &cfg, p, why, whylen);
	free(c);
	free(name);
	return rc;
}

/* The real libvirt XML, its disk and ROM pointed into the fixture tree. */
static char *real_xml(const char *rom_dir)
{
	char *x = load("real-devices.xml");
	char *src = fmt("%s/top.qcow2", IMG), *rom = fmt("%s/vmlinuz", rom_dir);
	char *a = subst(x, "/var/lib/libvirt/images/hgtest/top.qcow2", src);
	char *b = subst(a, "/usr/share/qemu/efi-virtio.rom", rom);

	free(x);
	free(src);
	free(rom);
	free(a);
	return b;
}

static void expect_xml_refused(const char *xml, const char *want)
{
	struct hg_plan p;
	char why[1024];

	if (plan_xml(xml, &p, why, sizeof(why)) != -1)
		fail_msg("accepted, want \"%s\"\n%s", want, xml);
	if (!strstr(why, want))
		fail_msg("reason \"%s\" lacks \"%s\"", why, want);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.nmf, 0);
}

/* ---- real libvirt XML ------------------------------------------------ */

static void test_real_devices_planned(void **state)
{
	char *x = real_xml(IMG), why[1024];
	const struct item want[] = {
		{ HG_KIND_IMAGE, IMG, "vmlinuz" },      /* the NIC's ROM */
		{ HG_KIND_OVERLAY, IMG, "top.qcow2" },
		{ HG_KIND_IMAGE, IMG, "base.qcow2" },
	};
	char *qemu = realpath("/usr/bin/qemu-system-x86_64", NULL);
	struct hg_plan p;

	(void)state;
	if (plan_xml(x, &p, why, sizeof(why)) != 0)
		fail_msg("refused: %s", why);
	assert_plan(&p, want, 3);
	/* The emulator is left to the host manifest, by canonical path. */
	assert_int_equal(p.nmf, 1);
	assert_string_equal(p.mf[0].what, "emulator");
	if (qemu)
		assert_string_equal(p.mf[0].path, qemu);
	assert_int_equal(p.fw_auto, 0);
	hg_plan_free(&p);
	free(qemu);
	free(x);
}

/* A ROM outside the image directories must be a file of the manifest. */
static void test_rom_outside_image_dirs_to_manifest(void **state)
{
	char *x = real_xml(OUT), why[1024], *rom = fmt("%s/vmlinuz", OUT);
	struct hg_plan p;

	(void)state;
	assert_int_equal(plan_xml(x, &p, why, sizeof(why)), 0);
	assert_int_equal(p.nmf, 2);
	assert_string_equal(p.mf[1].what, "option ROM");
	assert_string_equal(p.mf[1].path, rom);
	for (size_t i = 0; i < p.n; i++)
		assert_string_not_equal(p.v[i].path, rom);
	hg_plan_free(&p);
	free(rom);
	free(x);
}

/* Each device the gate cannot hash, dropped into the real XML. */
static void test_real_xml_refusals(void **state)
{
	static const struct {
		const char *device, *why;
	} bad[] = {
		{ "<filesystem type='mount' accessmode='passthrough'><driver type='virtiofs'/>"
		  "<binary path='/usr/lib/qemu/virtiofsd'/><source dir='/srv/share'/>"
		  "<target dir='share'/></filesystem>",
		  "<filesystem> passes a host directory" },
		{ "<filesystem type='mount'><source dir='/srv'/><target dir='t'/></filesystem>",
		  "<filesystem> passes a host directory" },
		{ "<shmem name='s'><model type='ivshmem-plain'/><size unit='M'>4</size></shmem>",
		  "<shmem> shares host memory" },
		{ "<memory model='nvdimm'><source><path>/tmp/nv</path></source>"
		  "<target><size unit='MiB'>128</size><node>0</node></target></memory>",
		  "memory@model='nvdimm'" },
		{ "<memory model='virtio-pmem'><source><path>/tmp/pm</path></source>"
		  "<target><size unit='MiB'>128</size></target></memory>",
		  "memory@model='virtio-pmem'" },
		{ "<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/>"
		  "<address bus='0' target='0' unit='0'/></source></hostdev>",
		  "hostdev@type='scsi' passes a host SCSI or iSCSI LUN" },
		{ "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' "
		  "name='iqn.2014-08.com.example:t/1'><host name='example.com'/></source></hostdev>",
		  "hostdev@type='scsi'" },
		{ "<hostdev mode='subsystem' type='scsi_host'><source protocol='vhost' wwpn='naa.5'/></hostdev>",
		  "hostdev@type='scsi_host'" },
		{ "<input type='evdev'><source dev='/dev/input/event1'/></input>",
		  "input@type='evdev' passes a host input device" },
		{ "<input type='passthrough' bus='virtio'><source evdev='/dev/input/event1'/></input>",
		  "input@type='passthrough'" },
		{ "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>",
		  "tpm/backend@type='passthrough' passes the host's TPM" },
		{ "<smartcard mode='host-certificates'><certificate>a</certificate><certificate>b</certificate>"
		  "<certificate>c</certificate><database>/etc/pki/nssdb/</database></smartcard>",
		  "smartcard@mode='host-certificates'" },
		{ "<serial type='dev'><source path='/dev/ttyS0'/><target port='1'/></serial>",
		  "serial@type='dev' passes a host character device" },
		{ "<channel type='pipe'><source path='/tmp/p'/><target type='virtio' name='x'/></channel>",
		  "channel@type='pipe'" },
		{ "<lease><lockspace>s</lockspace><key>k</key><target path='/tmp/l'/></lease>",
		  "<lease> names a lock-manager lease file" },
		{ "<video><driver name='vhostuser'/><model type='virtio'/></video>",
		  "video/driver@name='vhostuser'" },
		{ "<rng model='virtio'><backend model='random'>/var/lib/libvirt/images/seed</backend></rng>",
		  "rng backend /var/lib/libvirt/images/seed: not a host random device" },
		{ "<interface type='ethernet'><script path='/etc/qemu-ifup'/></interface>",
		  "domain/devices/interface/script@path: names a host file the gate does not hash" },
		{ "<interface type='user'><backend tap='/dev/net/tun2'/></interface>",
		  "domain/devices/interface/backend@tap: names a host file" },
		{ "<interface type='vdpa'><source dev='/dev/vhost-vdpa-0'/></interface>",
		  "domain/devices/interface/source@dev: names a host file" },
		{ "<interface type='user'><rom file='efi-virtio.rom'/></interface>",
		  "option ROM: not an absolute path" },
		{ "<interface type='user'><rom file='/nonexistent/x.rom'/></interface>",
		  "option ROM /nonexistent/x.rom: cannot be resolved" },
		{ "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/>"
		  "</source><rom file='/nonexistent/h.rom'/></hostdev>",
		  "option ROM /nonexistent/h.rom: cannot be resolved" },
		{ "<newdevice file='/x'/>", "<devices><newdevice>: not a device the gate knows" },
		{ "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
		  "<source file='/var/lib/libvirt/images/x.qcow2'><dataStore type='file'>"
		  "<format type='raw'/><source file='/tmp/data.raw'/></dataStore></source>"
		  "<target dev='vdz' bus='virtio'/></disk>",
		  "disk/source/dataStore/source@file: names a host file the gate does not hash" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *base = real_xml(IMG);
		char *dev = fmt("%s\n  </devices>", bad[i].device);
		char *x = subst(base, "</devices>", dev);

		expect_xml_refused(x, bad[i].why);
		free(x);
		free(dev);
		free(base);
	}
}

/* Files outside <devices>: ACPI tables, fw_cfg files, nvram sources,
 * unknown top-level elements, XInclude, foreign namespaces. */
static void test_other_files(void **state)
{
	char *acpi_in = fmt("    <acpi><table type='slic'>%s/vmlinuz</table></acpi>\n", IMG);
	char *acpi_out = fmt("    <acpi><table type='slic'>%s/vmlinuz</table></acpi>\n", OUT);
	char *base = real_xml(IMG), why[1024];
	char *with_acpi = subst(base, "<boot dev='hd'/>", acpi_in);
	char *with_acpi_out = subst(base, "<boot dev='hd'/>", acpi_out);
	char *fwcfg = fmt("<sysinfo type='fwcfg'><entry name='opt/com.example/x' file='%s/initrd.img'/>"
			  "<entry name='opt/com.example/y'>/inline/data</entry></sysinfo>\n  <devices>", IMG);
	char *with_fwcfg = subst(base, "<devices>", fwcfg);
	char *fwcfg_out = subst(base, "<devices>",
				"<sysinfo type='fwcfg'><entry name='opt/x' file='/etc/hostname'/></sysinfo><devices>");
	char *nvsrc = subst(base, "<boot dev='hd'/>",
			    "<nvram type='file'><source file='/var/lib/libvirt/qemu/nvram/x.fd'/></nvram>");
	char *idmap = subst(base, "<devices>", "<bootloader>/usr/bin/pygrub</bootloader><devices>");
	char *xi = subst(base, "<devices>",
			 "<devices><xi:include xmlns:xi='http://www.w3.org/2001/XInclude' href='/etc/passwd'/>");
	char *xi_deep = subst(base, "<model type='virtio'/>",
			      "<model type='virtio'/><xi:include xmlns:xi='http://www.w3.org/2001/XInclude' href='/etc/passwd'/>");
	char *disk_ns = subst(base, "<driver name='qemu' type='qcow2'/>",
			      "<driver name='qemu' type='qcow2'/><x:driver xmlns:x='urn:x' type='raw'/>");
	char *disk_rel = subst(base, "<target dev='vda' bus='virtio'/>",
			       "<target dev='vda' bus='virtio'/><source><reservations managed='no'>"
			       "<source type='unix' path='pr.sock' mode='client'/></reservations></source>");
	char *foreign = subst(base, "<devices>", "<x:thing xmlns:x='urn:x'/><devices>");
	char *cmdline = subst(base, "<boot dev='hd'/>", "<cmdline>/init=/bin/sh</cmdline>");
	char *want_acpi = fmt("%s/vmlinuz", IMG), *want_fwcfg = fmt("%s/initrd.img", IMG);
	struct hg_plan p;

	(void)state;
	assert_int_equal(plan_xml(with_acpi, &p, why, sizeof(why)), 0);
	assert_int_equal(p.v[0].kind, HG_KIND_IMAGE);
	assert_string_equal(p.v[0].path, want_acpi);
	hg_plan_free(&p);
	/* Outside the image directories: the manifest must have it. */
	assert_int_equal(plan_xml(with_acpi_out, &p, why, sizeof(why)), 0);
	assert_int_equal(p.nmf, 2);
	assert_string_equal(p.mf[0].what, "ACPI table");   /* <os> comes first */
	hg_plan_free(&p);
	assert_int_equal(plan_xml(with_fwcfg, &p, why, sizeof(why)), 0);
	assert_int_equal(p.v[0].kind, HG_KIND_IMAGE);
	assert_string_equal(p.v[0].path, want_fwcfg);
	hg_plan_free(&p);
	assert_int_equal(plan_xml(fwcfg_out, &p, why, sizeof(why)), 0);
	assert_int_equal(p.nmf, 2);
	assert_string_equal(p.mf[0].what, "fw_cfg file");   /* <sysinfo> is before <devices> */
	assert_string_equal(p.mf[0].path, "/etc/hostname");
	hg_plan_free(&p);
	/* The kernel command line is text, even when it starts with '/'. */
	assert_int_equal(plan_xml(cmdline, &p, why, sizeof(why)), 0);
	hg_plan_free(&p);
	expect_xml_refused(nvsrc, "domain/os/nvram/source@file: names a host file the gate does not hash");
	expect_xml_refused(idmap, "<bootloader>: not an element the gate knows");
	expect_xml_refused(xi, "domain/devices/{http://www.w3.org/2001/XInclude}include@href: element in a foreign namespace");
	expect_xml_refused(xi_deep, "domain/devices/interface/{http://www.w3.org/2001/XInclude}include@href: element in a foreign namespace");
	expect_xml_refused(disk_ns, "domain/devices/disk/{urn:x}driver@type: element in a foreign namespace");
	expect_xml_refused(disk_rel, "domain/devices/disk/source/reservations/source@path: names a host file");
	expect_xml_refused(foreign, "domain/{urn:x}thing: element in a foreign namespace");
	free(acpi_in);
	free(acpi_out);
	free(base);
	free(with_acpi);
	free(with_acpi_out);
	free(fwcfg);
	free(with_fwcfg);
	free(fwcfg_out);
	free(nvsrc);
	free(idmap);
	free(xi);
	free(xi_deep);
	free(foreign);
	free(disk_ns);
	free(disk_rel);
	free(cmdline);
	free(want_acpi);
	free(want_fwcfg);
}

/* qemu passthrough: refused unless gate.conf names the exact arguments. */
static void test_qemu_passthrough(void **state)
{
	char *base = real_xml(IMG), why[1024];
	char *open = subst(base, "<domain type='qemu'>", "<domain type='qemu' " QNS ">");
	char *args = subst(open, "</devices>",
			   "</devices>\n  <qemu:commandline><qemu:arg value='-fw_cfg'/>"
			   "<qemu:arg value='name=opt/x,file=/etc/shadow'/></qemu:commandline>");
	char *env = subst(open, "</devices>",
			  "</devices><qemu:commandline><qemu:env name='X' value='1'/></qemu:commandline>");
	char *ovr = subst(open, "</devices>",
			  "</devices><qemu:override><qemu:device alias='x'><qemu:frontend>"
			  "<qemu:property name='romfile' type='string' value='/tmp/r'/>"
			  "</qemu:frontend></qemu:device></qemu:override>");
	char *caps = subst(open, "</devices>",
			   "</devices><qemu:capabilities><qemu:add capability='blockdev'/></qemu:capabilities>");
	char *dep = subst(open, "</devices>", "</devices><qemu:deprecation behavior='reject'/>");
	struct hg_plan p;

	(void)state;
	expect_xml_refused(args, "qemu:commandline passes arguments to qemu that gate.conf's qemu-commandline "
				 "does not allow exactly: -fw_cfg name=opt/x,file=/etc/shadow");
	cfg.qemu_commandline = strdup("-fw_cfg name=opt/x,file=/etc/shadow");
	assert_int_equal(plan_xml(args, &p, why, sizeof(why)), 0);
	hg_plan_free(&p);
	/* One argument more or less, or in another order: refused. */
	free(cfg.qemu_commandline);
	cfg.qemu_commandline = strdup("-fw_cfg");
	expect_xml_refused(args, "does not allow exactly");
	free(cfg.qemu_commandline);
	cfg.qemu_commandline = strdup("name=opt/x,file=/etc/shadow -fw_cfg");
	expect_xml_refused(args, "does not allow exactly");
	free(cfg.qemu_commandline);
	cfg.qemu_commandline = NULL;
	expect_xml_refused(env, "<env> qemu:commandline sets qemu's environment");
	expect_xml_refused(ovr, "<override> qemu:override changes device properties");
	expect_xml_refused(caps, "<capabilities> qemu:capabilities");
	assert_int_equal(plan_xml(dep, &p, why, sizeof(why)), 0);
	hg_plan_free(&p);
	free(base);
	free(open);
	free(args);
	free(env);
	free(ovr);
	free(caps);
	free(dep);
}

/* Harmless: output files and sockets; the firmware auto-selection flag;
 * no emulator refused. */
static void test_harmless_and_flags(void **state)
{
	char *base = real_xml(IMG), why[1024];
	char *more = subst(base, "</devices>",
			   "<channel type='unix'><source mode='connect' path='/run/x.sock'/>"
			   "<target type='virtio' name='y'/></channel>"
			   "<serial type='file'><source path='/var/log/x.log' append='on'/><log file='/var/log/y.log'/>"
			   "<target port='1'/></serial>"
			   "<audio id='2' type='file' path='/tmp/a.wav'/>"
			   "<graphics type='spice'><gl enable='yes' rendernode='/dev/dri/renderD128'/></graphics>"
			   "<graphics type='vnc'><listen type='socket' socket='/run/hg/vnc.sock'/></graphics>"
			   "<audio id='3' type='oss'><input dev='/dev/dsp'/><output dev='/dev/dsp'/></audio>"

			   "</devices>");
	char *efi = subst(base, "<os>", "<os firmware='efi'>");
	char *feat = subst(base, "<boot dev='hd'/>",
			   "<firmware><feature enabled='yes' name='secure-boot'/></firmware><boot dev='hd'/>");
	char *nopath = subst(base, "<boot dev='hd'/>", "<loader readonly='yes' type='pflash'/><boot dev='hd'/>");
	char *relsrc = subst(base, "<source file='", "<source file='./");
	char *noemu = subst(base, "<emulator>/usr/bin/qemu-system-x86_64</emulator>", "");
	char *relemu = subst(base, "<emulator>/usr/bin/qemu-system-x86_64</emulator>",
			     "<emulator>qemu-system-x86_64</emulator>");
	struct hg_plan p;

	(void)state;
	char *blkio = subst(more, "<devices>",
			    "<blkiotune><device><path>/dev/sda</path><weight>500</weight></device></blkiotune><devices>");

	if (plan_xml(blkio, &p, why, sizeof(why)) != 0)
		fail_msg("refused: %s", why);
	hg_plan_free(&p);
	free(blkio);
	assert_int_equal(plan_xml(efi, &p, why, sizeof(why)), 0);
	assert_int_equal(p.fw_auto, 1);
	hg_plan_free(&p);
	/* Firmware features, or a loader without a path: libvirt picks. */
	assert_int_equal(plan_xml(feat, &p, why, sizeof(why)), 0);
	assert_int_equal(p.fw_auto, 1);
	hg_plan_free(&p);
	assert_int_equal(plan_xml(nopath, &p, why, sizeof(why)), 0);
	assert_int_equal(p.fw_auto, 1);
	hg_plan_free(&p);
	expect_xml_refused(relsrc, "disk vda: source is not an absolute path");
	expect_xml_refused(noemu, "no <emulator>");
	expect_xml_refused(relemu, "emulator: not an absolute path");
	free(base);
	free(more);
	free(efi);
	free(feat);
	free(nopath);
	free(relsrc);
	free(noemu);
	free(relemu);
}

/* nvram = hashed: the variable store is hashed as an image and must
 * exist (issue 12 item 6). */
static void test_nvram_hashed(void **state)
{
	char *os = fmt("    <loader readonly='yes' type='pflash'>%s/CODE.fd</loader>\n"
		       "    <nvram template='%s/VARS.fd'>%s/vm_VARS.fd</nvram>\n", FW, FW, IMG);
	char *os_missing = fmt("    <nvram>%s/none_VARS.fd</nvram>\n", IMG);
	char *d = disk("vda", "top.qcow2", "qcow2", NULL), why[1024];
	char *want_missing = fmt("nvram %s/none_VARS.fd: cannot be resolved (gate.conf nvram = hashed needs the variable store to exist)", IMG);
	struct hg_plan p;

	(void)state;
	assert_int_equal(mkfile(IMG, "vm_VARS.fd"), 0);
	/* Default: an overlay, recorded by path. */
	assert_int_equal(plan(os, d, &p, why, sizeof(why)), 0);
	for (size_t i = 0; i < p.n; i++)
		if (strstr(p.v[i].path, "vm_VARS.fd"))
			assert_int_equal(p.v[i].kind, HG_KIND_OVERLAY);
	hg_plan_free(&p);
	cfg.nvram_hashed = 1;
	assert_int_equal(plan(os, d, &p, why, sizeof(why)), 0);
	for (size_t i = 0; i < p.n; i++)
		if (strstr(p.v[i].path, "vm_VARS.fd"))
			assert_int_equal(p.v[i].kind, HG_KIND_IMAGE);
	hg_plan_free(&p);
	expect_refused(os_missing, d, want_missing);
	cfg.nvram_hashed = 0;
	free(os);
	free(os_missing);
	free(d);
	free(want_missing);
}

/* The gate's check against the manifest it measures: by canonical path. */
static void test_covered_by_manifest(void **state)
{
	char *x = real_xml(OUT), why[1024], *rom = fmt("%s/vmlinuz", OUT);
	char *qemu = realpath("/usr/bin/qemu-system-x86_64", NULL);
	char *both[] = { qemu, rom }, *only_qemu[] = { qemu }, *none[] = { rom };
	char *want_rom = fmt("option ROM %s is not a file of the host manifest", rom);
	char *want_emu = fmt("emulator %s is not a file of the host manifest", qemu);
	struct hg_plan p;

	(void)state;
	if (!qemu)
		skip();
	assert_int_equal(plan_xml(x, &p, why, sizeof(why)), 0);
	assert_int_equal(hg_plan_covered(&p, both, 2, why, sizeof(why)), 0);
	assert_int_equal(hg_plan_covered(&p, only_qemu, 1, why, sizeof(why)), -1);
	assert_string_equal(why, want_rom);
	assert_int_equal(hg_plan_covered(&p, none, 1, why, sizeof(why)), -1);
	assert_string_equal(why, want_emu);
	hg_plan_free(&p);
	free(x);
	free(rom);
	free(qemu);
	free(want_rom);
	free(want_emu);
}

/* Read as libvirt reads it: duplicates judged per copy, whitespace not
 * trimmed, names case-sensitive (issue 12 item 5). */
static void test_libvirt_reading(void **state)
{
	char *base = real_xml(IMG), why[1024];
	char *emu2 = subst(base, "<emulator>/usr/bin/qemu-system-x86_64</emulator>",
			   "<emulator>/usr/bin/qemu-system-x86_64</emulator><emulator>/bin/sh</emulator>");
	char *rom_ws = subst(base, "<rom file='", "<rom file=' ");
	char *emu_ws = subst(base, "<emulator>/usr", "<emulator> /usr");
	char *upper = subst(base, "</devices>", "<Filesystem type='mount'><source dir='/srv'/>"
						 "<target dir='t'/></Filesystem></devices>");
	char *rom_upper = subst(base, "<rom file=", "<ROM file=");
	char *sh = realpath("/bin/sh", NULL);
	struct hg_plan p;

	(void)state;
	/* Both emulators must be in the manifest: whichever libvirt reads. */
	assert_int_equal(plan_xml(emu2, &p, why, sizeof(why)), 0);
	assert_int_equal(p.nmf, 2);
	assert_string_equal(p.mf[1].path, sh);
	hg_plan_free(&p);
	expect_xml_refused(rom_ws, "option ROM: not an absolute path");
	expect_xml_refused(emu_ws, "emulator: not an absolute path");
	expect_xml_refused(upper, "<devices><Filesystem>: not a device the gate knows");
	expect_xml_refused(rom_upper, "domain/devices/interface/ROM@file: names a host file the gate does not hash");
	free(base);
	free(emu2);
	free(rom_ws);
	free(emu_ws);
	free(upper);
	free(rom_upper);
	free(sh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_devices_planned),
		cmocka_unit_test(test_rom_outside_image_dirs_to_manifest),
		cmocka_unit_test(test_real_xml_refusals),
		cmocka_unit_test(test_other_files),
		cmocka_unit_test(test_qemu_passthrough),
		cmocka_unit_test(test_harmless_and_flags),
		cmocka_unit_test(test_nvram_hashed),
		cmocka_unit_test(test_covered_by_manifest),
		cmocka_unit_test(test_libvirt_reading),
	};

	return cmocka_run_group_tests(tests, domplan_fx_setup, domplan_fx_teardown);
}
