/* test_domxml.c: the canonical form of a domain XML (attest/domxml.h).
 *
 * The fixtures in tests/unit/domxml/ model libvirt 9's output for one q35
 * domain: persistent.xml as `virsh dumpxml --inactive` prints it and
 * live.xml as the qemu hook gets it on stdin (id, aliases, addresses,
 * dynamic labels, the VNC port, pty paths, block node indexes, the
 * interface's tap and port, other quoting, layout and attribute order).
 * Run from the top of the tree (tests/run.sh does), or point
 * HG_DOMXML_FIXTURES at the fixture directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <libxml/parser.h>

#include "../../attest/domxml.h"

static char *persistent, *live;

static char *load(const char *name)
{
	const char *dir = getenv("HG_DOMXML_FIXTURES");
	char path[4096];
	char *buf = NULL;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s",
		 dir ? dir : "tests/unit/domxml", name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "test_domxml: %s: cannot open\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	(void)state;
	persistent = load("persistent.xml");
	live = load("live.xml");
	return persistent && live ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(persistent);
	free(live);
	xmlCleanupParser();
	return 0;
}

/* The canonical form of XML, which must be accepted. */
static char *canon(const char *xml)
{
	char *out = NULL, *name = NULL;
	const char *why = NULL;
	size_t len = 0;
	int rc = hg_domxml_canonical(xml, strlen(xml), &out, &len, &name, &why);

	if (rc != 0)
		fail_msg("refused: %s", why);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	assert_string_equal(name, "golden-vm");
	free(name);
	return out;
}

/* XML with the single occurrence of OLD replaced by NEW. */
static char *subst(const char *xml, const char *old, const char *new)
{
	const char *at = strstr(xml, old);
	size_t n;
	char *s;

	if (!at)
		fail_msg("fixture lacks \"%s\"", old);
	assert_null(strstr(at + 1, old));
	n = strlen(xml) - strlen(old) + strlen(new);
	s = malloc(n + 1);
	assert_non_null(s);
	memcpy(s, xml, (size_t)(at - xml));
	strcpy(s + (at - xml), new);
	strcat(s, at + strlen(old));
	return s;
}

static const char golden[] =
	"domain@type=kvm\n"
	"domain/name=golden-vm\n"
	"domain/uuid=6f1c2a9e-3b7d-4c58-9a0e-2d4f8b1c7e35\n"
	"domain/memory=2097152\n"
	"domain/currentMemory=2097152\n"
	"domain/vcpu@placement=static\n"
	"domain/vcpu=2\n"
	"domain/os/type@arch=x86_64\n"
	"domain/os/type@machine=pc-q35-7.2\n"
	"domain/os/type=hvm\n"
	"domain/os/loader@readonly=yes\n"
	"domain/os/loader@type=pflash\n"
	"domain/os/loader=/usr/share/OVMF/OVMF_CODE_4M.fd\n"
	"domain/os/nvram@template=/usr/share/OVMF/OVMF_VARS_4M.fd\n"
	"domain/os/nvram=/var/lib/libvirt/qemu/nvram/golden-vm_VARS.fd\n"
	"domain/os/kernel=/boot/vmlinuz-6.1.0-18-amd64\n"
	"domain/os/initrd=/boot/initrd.img-6.1.0-18-amd64\n"
	"domain/os/cmdline=console=ttyS0 root=/dev/vda1 ro\n"
	"domain/os/boot@dev=hd\n"
	"domain/features/acpi=\n"
	"domain/features/apic=\n"
	"domain/features/vmport@state=off\n"
	"domain/cpu@check=none\n"
	"domain/cpu@match=exact\n"
	"domain/cpu@mode=custom\n"
	"domain/cpu/model@fallback=forbid\n"
	"domain/cpu/model=Skylake-Client-IBRS\n"
	"domain/clock@offset=utc\n"
	"domain/clock/timer[1]@name=rtc\n"
	"domain/clock/timer[1]@tickpolicy=catchup\n"
	"domain/clock/timer[2]@name=pit\n"
	"domain/clock/timer[2]@tickpolicy=delay\n"
	"domain/clock/timer[3]@name=hpet\n"
	"domain/clock/timer[3]@present=no\n"
	"domain/on_poweroff=destroy\n"
	"domain/on_reboot=restart\n"
	"domain/on_crash=destroy\n"
	"domain/pm/suspend-to-mem@enabled=no\n"
	"domain/pm/suspend-to-disk@enabled=no\n"
	"domain/devices/emulator=/usr/bin/qemu-system-x86_64\n"
	"domain/devices/disk[1]@device=disk\n"
	"domain/devices/disk[1]@type=file\n"
	"domain/devices/disk[1]/driver@discard=unmap\n"
	"domain/devices/disk[1]/driver@name=qemu\n"
	"domain/devices/disk[1]/driver@type=qcow2\n"
	"domain/devices/disk[1]/source@file=/var/lib/libvirt/images/golden-vm.qcow2\n"
	"domain/devices/disk[1]/backingStore@type=file\n"
	"domain/devices/disk[1]/backingStore/format@type=qcow2\n"
	"domain/devices/disk[1]/backingStore/source@file=/var/lib/libvirt/images/golden.qcow2\n"
	"domain/devices/disk[1]/target@bus=virtio\n"
	"domain/devices/disk[1]/target@dev=vda\n"
	"domain/devices/disk[2]@device=cdrom\n"
	"domain/devices/disk[2]@type=file\n"
	"domain/devices/disk[2]/driver@name=qemu\n"
	"domain/devices/disk[2]/driver@type=raw\n"
	"domain/devices/disk[2]/source@file=/var/lib/libvirt/images/debian-12-netinst.iso\n"
	"domain/devices/disk[2]/target@bus=sata\n"
	"domain/devices/disk[2]/target@dev=sda\n"
	"domain/devices/disk[2]/readonly=\n"
	"domain/devices/controller[1]@index=0\n"
	"domain/devices/controller[1]@model=qemu-xhci\n"
	"domain/devices/controller[1]@ports=15\n"
	"domain/devices/controller[1]@type=usb\n"
	"domain/devices/controller[2]@index=0\n"
	"domain/devices/controller[2]@model=pcie-root\n"
	"domain/devices/controller[2]@type=pci\n"
	"domain/devices/controller[3]@index=1\n"
	"domain/devices/controller[3]@model=pcie-root-port\n"
	"domain/devices/controller[3]@type=pci\n"
	"domain/devices/controller[3]/model@name=pcie-root-port\n"
	"domain/devices/controller[3]/target@chassis=1\n"
	"domain/devices/controller[3]/target@port=0x10\n"
	"domain/devices/controller[4]@index=0\n"
	"domain/devices/controller[4]@type=sata\n"
	"domain/devices/controller[5]@index=0\n"
	"domain/devices/controller[5]@type=virtio-serial\n"
	"domain/devices/interface@type=network\n"
	"domain/devices/interface/mac@address=52:54:00:3a:5e:11\n"
	"domain/devices/interface/source@network=default\n"
	"domain/devices/interface/model@type=virtio\n"
	"domain/devices/serial@type=pty\n"
	"domain/devices/serial/target@port=0\n"
	"domain/devices/serial/target@type=isa-serial\n"
	"domain/devices/serial/target/model@name=isa-serial\n"
	"domain/devices/console@type=pty\n"
	"domain/devices/console/target@port=0\n"
	"domain/devices/console/target@type=serial\n"
	"domain/devices/channel@type=unix\n"
	"domain/devices/channel/target@name=org.qemu.guest_agent.0\n"
	"domain/devices/channel/target@type=virtio\n"
	"domain/devices/input[1]@bus=ps2\n"
	"domain/devices/input[1]@type=mouse\n"
	"domain/devices/input[2]@bus=ps2\n"
	"domain/devices/input[2]@type=keyboard\n"
	"domain/devices/graphics@autoport=yes\n"
	"domain/devices/graphics@type=vnc\n"
	"domain/devices/graphics/listen@address=127.0.0.1\n"
	"domain/devices/graphics/listen@type=address\n"
	"domain/devices/audio@id=1\n"
	"domain/devices/audio@type=none\n"
	"domain/devices/video/model@heads=1\n"
	"domain/devices/video/model@primary=yes\n"
	"domain/devices/video/model@type=virtio\n"
	"domain/devices/memballoon@model=virtio\n"
	"domain/seclabel[1]@model=apparmor\n"
	"domain/seclabel[1]@relabel=yes\n"
	"domain/seclabel[1]@type=dynamic\n"
	"domain/seclabel[2]@model=dac\n"
	"domain/seclabel[2]@relabel=yes\n"
	"domain/seclabel[2]@type=dynamic\n";

static void test_golden(void **state)
{
	char *p;

	(void)state;
	p = canon(persistent);
	assert_string_equal(p, golden);
	free(p);
}

static void test_live_equals_persistent(void **state)
{
	char *p, *l;

	(void)state;
	p = canon(persistent);
	l = canon(live);
	assert_string_equal(p, l);
	free(p);
	free(l);
}

static const struct change {
	const char *what, *old, *new;
} changes[] = {
	{ "disk source path",
	  "<source file='/var/lib/libvirt/images/golden-vm.qcow2'/>",
	  "<source file='/var/lib/libvirt/images/other-vm.qcow2'/>" },
	{ "backing file",
	  "<source file='/var/lib/libvirt/images/golden.qcow2'/>",
	  "<source file='/srv/evil.qcow2'/>" },
	{ "cdrom readonly removed", "      <readonly/>\n", "" },
	{ "driver type raw, not qcow2",
	  "<driver name='qemu' type='qcow2' discard='unmap'/>",
	  "<driver name='qemu' type='raw' discard='unmap'/>" },
	{ "a new disk", "    <controller type='usb'",
	  "    <disk type='block' device='disk'>\n"
	  "      <driver name='qemu' type='raw'/>\n"
	  "      <source dev='/dev/sdb'/>\n"
	  "      <target dev='vdb' bus='virtio'/>\n"
	  "    </disk>\n"
	  "    <controller type='usb'" },
	{ "kernel cmdline", "root=/dev/vda1 ro</cmdline>",
	  "root=/dev/vda1 ro init=/bin/sh</cmdline>" },
	{ "emulator path", "<emulator>/usr/bin/qemu-system-x86_64<",
	  "<emulator>/tmp/qemu-system-x86_64<" },
	{ "loader path", "/usr/share/OVMF/OVMF_CODE_4M.fd<",
	  "/tmp/OVMF_CODE_4M.fd<" },
	{ "cpu model", ">Skylake-Client-IBRS<", ">qemu64<" },
	{ "memory size", "<memory unit='KiB'>2097152<",
	  "<memory unit='KiB'>4194304<" },
	{ "launchSecurity added", "</domain>",
	  "  <launchSecurity type='sev'>\n"
	  "    <cbitpos>47</cbitpos>\n"
	  "    <reducedPhysBits>1</reducedPhysBits>\n"
	  "    <policy>0x0003</policy>\n"
	  "  </launchSecurity>\n</domain>" },
	{ "seclabel type none",
	  "<seclabel type='dynamic' model='apparmor' relabel='yes'/>",
	  "<seclabel type='none' model='apparmor'/>" },
	{ "VNC listens on every address",
	  "<listen type='address' address='127.0.0.1'/>",
	  "<listen type='address' address='0.0.0.0'/>" },
	{ "hostdev passed through", "    <memballoon",
	  "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
	  "      <source>\n"
	  "        <address domain='0x0000' bus='0x3b' slot='0x00' function='0x0'/>\n"
	  "      </source>\n"
	  "    </hostdev>\n"
	  "    <memballoon" },
	{ "machine type", "machine='pc-q35-7.2'", "machine='pc-q35-6.2'" },
};

static void test_security_changes_differ(void **state)
{
	char *base;

	(void)state;
	base = canon(persistent);
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		char *xml = subst(persistent, changes[i].old, changes[i].new);
		char *c = canon(xml);

		if (strcmp(base, c) == 0)
			fail_msg("%s: canonical form unchanged", changes[i].what);
		free(c);
		free(xml);
	}
	free(base);
}

/* Two device <address>es under a hostdev: only the guest one is runtime. */
static void test_hostdev_source_address_kept(void **state)
{
	const char *a =
		"<memballoon model='virtio'>";
	char *x1, *x2, *c1, *c2;

	(void)state;
	x1 = subst(persistent, a,
		   "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
		   "<address domain='0x0000' bus='0x3b' slot='0x00' function='0x0'/>"
		   "</source></hostdev><memballoon model='virtio'>");
	x2 = subst(persistent, a,
		   "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
		   "<address domain='0x0000' bus='0x3c' slot='0x00' function='0x0'/>"
		   "</source></hostdev><memballoon model='virtio'>");
	c1 = canon(x1);
	c2 = canon(x2);
	assert_string_not_equal(c1, c2);
	assert_non_null(strstr(c1, "domain/devices/hostdev/source/address@bus=0x3b\n"));
	free(c1);
	free(c2);
	free(x1);
	free(x2);
}

static void test_memory_units(void **state)
{
	static const char *const forms[] = {
		"<memory unit='GiB'>1</memory>",
		"<memory unit='MiB'>1024</memory>",
		"<memory unit='KiB'>1048576</memory>",
		"<memory>1048576</memory>",
		"<memory unit='G'>1</memory>",
		"<memory unit='bytes'>1073741824</memory>",
		"<memory unit='b'>1073741000</memory>", /* rounded up to KiB */
	};
	char *first = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *xml = subst(persistent, "<memory unit='KiB'>2097152</memory>",
				  forms[i]);
		char *c = canon(xml);

		assert_non_null(strstr(c, "\ndomain/memory=1048576\n"));
		if (!first)
			first = c;
		else {
			assert_string_equal(first, c);
			free(c);
		}
		free(xml);
	}
	free(first);
	/* KB is 1000: 1 GB is 976563 KiB, rounded up. */
	{
		char *xml = subst(persistent, "<memory unit='KiB'>2097152</memory>",
				  "<memory unit='GB'>1</memory>");
		char *c = canon(xml);

		assert_non_null(strstr(c, "\ndomain/memory=976563\n"));
		free(c);
		free(xml);
	}
}

static const char laughs[] =
	"<?xml version='1.0'?>\n"
	"<!DOCTYPE domain [\n"
	" <!ENTITY a 'lollollollollollollollollollol'>\n"
	" <!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>\n"
	" <!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>\n"
	" <!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>\n"
	" <!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>\n"
	" <!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'>\n"
	" <!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>\n"
	" <!ENTITY h '&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;'>\n"
	"]>\n"
	"<domain type='kvm'><name>&h;</name></domain>\n";

static const struct bad {
	const char *what, *xml, *why;
} bad[] = {
	{ "not XML", "this is not xml", "not well-formed XML" },
	{ "truncated", "<domain type='kvm'><name>x</name>", "not well-formed XML" },
	{ "undeclared entity", "<domain><name>&x;</name></domain>",
	  "not well-formed XML" },
	{ "root not <domain>", "<network><name>x</name></network>",
	  "root element is not <domain>" },
	{ "root <domain> in a namespace",
	  "<domain xmlns='urn:x'><name>x</name></domain>",
	  "root element is not <domain>" },
	{ "billion laughs", laughs, "DOCTYPE not allowed in domain XML" },
	{ "external DTD",
	  "<!DOCTYPE domain SYSTEM 'file:///etc/passwd'><domain><name>x</name></domain>",
	  "DOCTYPE not allowed in domain XML" },
	{ "newline in an attribute",
	  "<domain><name>x</name><devices><disk><source file='/a&#10;"
	  "domain/devices/emulator=/x'/></disk></devices></domain>",
	  "a value contains a control character (newline?)" },
	{ "carriage return in text",
	  "<domain><name>x</name><os><cmdline>a&#13;b</cmdline></os></domain>",
	  "a value contains a control character (newline?)" },
	{ "newline inside text",
	  "<domain><name>x</name><os><cmdline>quiet\ninit=/bin/sh</cmdline></os></domain>",
	  "a value contains a control character (newline?)" },
	{ "no name", "<domain type='kvm'><uuid>u</uuid></domain>",
	  "domain has no usable <name>" },
	{ "mixed content",
	  "<domain><name>x</name><os>hvm<kernel>/k</kernel></os></domain>",
	  "mixed content (text beside child elements)" },
	{ "memory unit unknown",
	  "<domain><name>x</name><memory unit='parsecs'>1</memory></domain>",
	  "memory size or unit not understood" },
	{ "memory overflow",
	  "<domain><name>x</name><memory unit='EiB'>100000</memory></domain>",
	  "memory size or unit not understood" },
	{ "memory not a number",
	  "<domain><name>x</name><memory>-1</memory></domain>",
	  "memory size or unit not understood" },
	{ "namespace URI with '='",
	  "<domain><name>x</name><q:a xmlns:q='urn:a=b'/></domain>",
	  "namespace URI with '=', '{', '}' or a control character" },
	/* libvirt reads attributes by local name (xmlGetProp) and takes the
	 * first: it would open A, a namespace-aware reader hashes B
	 * (issue 12 item 5). */
	{ "namespaced attribute before its plain twin",
	  "<domain><name>x</name><devices><disk type='file'>"
	  "<source xmlns:x='urn:x' x:file='/A' file='/B'/></disk></devices></domain>",
	  "namespaced attribute (libvirt reads attributes by local name, ignoring the namespace)" },
	{ "namespaced attribute alone",
	  "<domain><name>x</name><devices><emulator xmlns:q='urn:q' q:x='1'>/usr/bin/qemu"
	  "</emulator></devices></domain>",
	  "namespaced attribute (libvirt reads attributes by local name, ignoring the namespace)" },
	{ "xml: attribute",
	  "<domain><name>x</name><os xml:lang='en'><type>hvm</type></os></domain>",
	  "namespaced attribute (libvirt reads attributes by local name, ignoring the namespace)" },
	{ "namespaced attribute on the root",
	  "<domain xmlns:x='urn:x' x:type='kvm' type='qemu'><name>x</name></domain>",
	  "namespaced attribute (libvirt reads attributes by local name, ignoring the namespace)" },
};

static void expect_refused(const char *what, const char *xml, size_t len,
			   const char *want)
{
	char *out = (char *)"untouched", *name = (char *)"untouched";
	const char *why = NULL;
	size_t outlen = 7;

	if (hg_domxml_canonical(xml, len, &out, &outlen, &name, &why) != -1)
		fail_msg("%s: accepted", what);
	if (!why || strcmp(why, want) != 0)
		fail_msg("%s: reason \"%s\", want \"%s\"", what, why ? why : "(null)", want);
	assert_string_equal(out, "untouched");
	assert_string_equal(name, "untouched");
	assert_int_equal(outlen, 7);
}

static void test_hostile_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused(bad[i].what, bad[i].xml, strlen(bad[i].xml),
			       bad[i].why);
}

static void test_too_large_refused(void **state)
{
	size_t n = HG_DOMXML_MAX + 1;
	char *big = malloc(n);

	(void)state;
	assert_non_null(big);
	/* Well-formed, so only the size can refuse it. */
	memset(big, ' ', n);
	memcpy(big, "<domain><name>x</name>", 22);
	memcpy(big + n - 9, "</domain>", 9);
	expect_refused("1 MiB + 1", big, n, "domain XML larger than 1 MiB");
	/* The same at exactly 1 MiB is fine. */
	memset(big, ' ', n);
	memcpy(big, "<domain><name>x</name>", 22);
	memcpy(big + n - 10, "</domain>", 9);
	{
		char *out = NULL, *name = NULL;
		const char *why = NULL;
		size_t len;

		assert_int_equal(hg_domxml_canonical(big, n - 1, &out, &len,
						     &name, &why), 0);
		assert_string_equal(out, "domain/name=x\n");
		assert_string_equal(name, "x");
		free(out);
		free(name);
	}
	free(big);
}

/* A long path repeated on many lines would make the output some
 * thousand times the input: the output bound refuses it. */
static void test_output_bounded(void **state)
{
	size_t cap = HG_DOMXML_MAX, n = 0, close;
	char *x = malloc(cap + 1);
	char elem[1001];

	(void)state;
	assert_non_null(x);
	memset(elem, 'e', 1000);
	elem[1000] = '\0';
	close = 60 * (1000 + 3) + strlen("</domain>");
	n += (size_t)sprintf(x + n, "<domain><name>x</name>");
	for (int d = 0; d < 59; d++)
		n += (size_t)sprintf(x + n, "<%s>", elem);
	n += (size_t)sprintf(x + n, "<%s", elem);
	for (int a = 0; n + close + 32 < cap; a++)
		n += (size_t)sprintf(x + n, " a%d=''", a);
	n += (size_t)sprintf(x + n, ">");
	for (int d = 0; d < 60; d++)
		n += (size_t)sprintf(x + n, "</%s>", elem);
	n += (size_t)sprintf(x + n, "</domain>");
	assert_true(n <= cap);
	expect_refused("huge output", x, n, "canonical form too large");
	free(x);
}

/* Deeper than HG_DOMXML_MAX_DEPTH (libvirt's own XML is < 20 deep). */
static void test_depth_bounded(void **state)
{
	char *x = malloc(16 * 200 + 64);
	size_t n = 0;

	(void)state;
	assert_non_null(x);
	n += (size_t)sprintf(x + n, "<domain><name>x</name>");
	for (int d = 0; d < HG_DOMXML_MAX_DEPTH + 1; d++)
		n += (size_t)sprintf(x + n, "<e>");
	for (int d = 0; d < HG_DOMXML_MAX_DEPTH + 1; d++)
		n += (size_t)sprintf(x + n, "</e>");
	n += (size_t)sprintf(x + n, "</domain>");
	expect_refused("deep", x, n, "elements nested too deep");
	free(x);
}

/* An input its declared encoding cannot convert: libxml2 reports that
 * with no parser context, past XML_PARSE_NOERROR, on stderr by default.
 * The hook's stderr is hostgate's one line, so nothing may be printed,
 * and the caller's own libxml2 error handler is left as it was. */
static void test_encoding_error_silent(void **state)
{
	static const char xml[] =
		"<?xml version='1.0' encoding='UTF-32'?><domain><name>x</name></domain>";
	xmlGenericErrorFunc before = xmlGenericError;
	char *out = NULL, *name = NULL;
	const char *why = NULL;
	FILE *tmp = tmpfile();
	size_t len;
	int saved, rc;

	(void)state;
	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) == 2);
	rc = hg_domxml_canonical(xml, strlen(xml), &out, &len, &name, &why);
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	assert_int_equal(rc, -1);
	assert_string_equal(why, "not well-formed XML");
	assert_int_equal(fseek(tmp, 0, SEEK_END), 0);
	if (ftell(tmp) != 0)
		fail_msg("libxml2 wrote %ld bytes to stderr", ftell(tmp));
	fclose(tmp);
	assert_ptr_equal(xmlGenericError, before);
}

/* Taken from a real libvirtd 9.0 + qemu 7.2 on Debian 12: the domain's
 * `virsh dumpxml --inactive` and the XML the qemu hook read on stdin at
 * "prepare begin" (machine type expanded, no detected backing chain yet).
 * They must measure the same: learning from the first admits the second. */
static void test_real_prepare_equals_inactive(void **state)
{
	char *a = load("real-inactive.xml"), *b = load("real-prepare-begin.xml");
	char *ca, *cb;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_string_not_equal(a, b);
	{
		char *na = NULL, *nb = NULL;
		const char *why = NULL;
		size_t la = 0, lb = 0;

		assert_int_equal(hg_domxml_canonical(a, strlen(a), &ca, &la, &na, &why), 0);
		assert_int_equal(hg_domxml_canonical(b, strlen(b), &cb, &lb, &nb, &why), 0);
		assert_string_equal(na, "hgprobe");
		assert_string_equal(nb, "hgprobe");
		free(na);
		free(nb);
	}
	assert_string_equal(ca, cb);
	assert_non_null(strstr(ca, "domain/devices/disk/source@file=/var/lib/libvirt/images/hgtest/top.qcow2\n"));
	free(ca);
	free(cb);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_live_equals_persistent),
		cmocka_unit_test(test_real_prepare_equals_inactive),
		cmocka_unit_test(test_security_changes_differ),
		cmocka_unit_test(test_hostdev_source_address_kept),
		cmocka_unit_test(test_memory_units),
		cmocka_unit_test(test_hostile_refused),
		cmocka_unit_test(test_too_large_refused),
		cmocka_unit_test(test_output_bounded),
		cmocka_unit_test(test_depth_bounded),
		cmocka_unit_test(test_encoding_error_silent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
