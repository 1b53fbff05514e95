/* domxml_runtime.c: what libvirt writes into a domain's XML at start,
 * and the canonical form therefore drops (domxml_int.h; the reasons, item
 * by item, are in docs/domain-canonical.md). Kept apart from the walk in
 * domxml.c: this is the list a libvirt upgrade may make grow. */
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/tree.h>

#include "domxml_int.h"

/* <X><source> of a character device that libvirt fills in at start:
 * a pty's allocated /dev/pts/N (read back from qemu at start), and a unix channel's socket that libvirt
 * names under its own state dir (qemuDomainPrepareChannel). A path
 * with ".." is never treated as runtime: it could point anywhere. */
static int chardev_source_runtime_attr(const xmlNode *src, const xmlAttr *a)
{
	const xmlNode *dev = parent_elem(src);
	xmlChar *path;
	int r = 0;

	if (!named(src, "source") || !dev || a->ns ||
	    !(named(dev, "serial") || named(dev, "console") ||
	      named(dev, "parallel") || named(dev, "channel")))
		return 0;
	if (attr_is(dev, "type", "pty"))
		return strcmp((const char *)a->name, "path") == 0;
	if (!named(dev, "channel") || !attr_is(dev, "type", "unix") ||
	    !attr_is(src, "mode", "bind"))
		return 0;
	path = xmlGetNoNsProp(src, (const xmlChar *)"path");
	if (path && strncmp((const char *)path, "/var/lib/libvirt/qemu/",
			    strlen("/var/lib/libvirt/qemu/")) == 0 &&
	    !strstr((const char *)path, "/../") &&
	    !strstr((const char *)path, "/./"))
		r = strcmp((const char *)a->name, "path") == 0 ||
		    strcmp((const char *)a->name, "mode") == 0;
	xmlFree(path);
	return r;
}

/* libvirt's auto-generated tap/macvtap names (virNetDevGenerateName);
 * libvirt refuses these prefixes in user XML, so one seen is runtime. */
static int auto_ifname(const char *s)
{
	static const char *const pfx[] = { "vnet", "macvtap", "macvlan" };

	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		size_t n = strlen(pfx[i]);
		const char *d = s + n;

		if (strncmp(s, pfx[i], n) != 0 || !*d)
			continue;
		while (*d >= '0' && *d <= '9')
			d++;
		if (!*d)
			return 1;
	}
	return 0;
}

int hg_dx_attr_dropped(const xmlNode *e, const xmlAttr *a)
{
	const xmlNode *p = parent_elem(e);
	const char *an = (const char *)a->name;

	if (a->ns)
		return 0;
	/* virDomainObj id, assigned per start. */
	if (named(e, "domain") && !p && strcmp(an, "id") == 0)
		return 1;
	/* Ports chosen by qemuProcessGraphicsReservePorts when autoport. */
	if (named(e, "graphics") && attr_is(e, "autoport", "yes") &&
	    (!strcmp(an, "port") || !strcmp(an, "tlsPort") ||
	     !strcmp(an, "websocket")))
		return 1;
	/* graphics@listen is a copy of the first <listen>'s address
	 * (virDomainGraphicsListensParseXML refuses a mismatch), so the
	 * child carries it; libvirt writes the copy only when it knows it. */
	if (named(e, "graphics") && !strcmp(an, "listen") &&
	    has_elem_child(e, "listen"))
		return 1;
	/* A network listen's address is resolved from the network at start
	 * (qemuProcessGraphicsSetupNetworkAddress); type=address is config. */
	if (named(e, "listen") && named(p, "graphics") &&
	    attr_is(e, "type", "network") && !strcmp(an, "address"))
		return 1;
	/* The pty path, copied to console@tty (qemuProcessLookupPTYs). */
	if (named(e, "console") && attr_is(e, "type", "pty") &&
	    !strcmp(an, "tty"))
		return 1;
	if (chardev_source_runtime_attr(e, a))
		return 1;
	/* Guest agent connection state, from qemu events. */
	if (named(e, "target") && named(p, "channel") && !strcmp(an, "state"))
		return 1;
	/* Block node indexes of the -blockdev chain (qemuDomainPrepareDiskSource). */
	if ((named(e, "source") || named(e, "backingStore")) &&
	    !strcmp(an, "index"))
		return 1;
	/* The port and bridge networkAllocatePort picks for type=network. */
	if (named(e, "source") && named(p, "interface") &&
	    attr_is(p, "type", "network") &&
	    (!strcmp(an, "portid") || !strcmp(an, "bridge")))
		return 1;
	return 0;
}

/* Every attribute runtime and no element children: the whole element is
 * runtime (a persistent XML has no <source/> at all for a pty). */
static int only_runtime_attrs(const xmlNode *e)
{
	if (has_elem_child(e, NULL) || !e->properties)
		return 0;
	for (const xmlAttr *a = e->properties; a; a = a->next)
		if (!hg_dx_attr_dropped(e, a))
			return 0;
	return 1;
}

int hg_dx_elem_dropped(const xmlNode *e)
{
	const xmlNode *p = parent_elem(e);
	const xmlNode *gp = parent_elem(p);
	int root_child = p && !gp;

	if (e->ns)
		return 0;
	/* Device aliases, assigned by qemuAssignDeviceAliases at start. */
	if (named(e, "alias"))
		return 1;
	/* A device's guest address, assigned at define or start. Only a
	 * device's own <address>: a hostdev's <source><address> picks the
	 * host device passed through and is kept. */
	if (named(e, "address") && named(gp, "devices"))
		return 1;
	if (root_child && (named(e, "description") || named(e, "title") ||
			   named(e, "metadata") || named(e, "resource")))
		return 1;
	/* Labels generated by the security driver for a dynamic seclabel.
	 * <baselabel> is the user's and is kept: it picks the type/role. */
	if ((named(e, "label") || named(e, "imagelabel")) &&
	    named(p, "seclabel") && attr_is(p, "type", "dynamic"))
		return 1;
	/* The empty terminator libvirt writes after probing a chain: the
	 * chain itself (if any) is in the layers before it. */
	if (named(e, "backingStore") && !has_elem_child(e, NULL)) {
		for (const xmlAttr *a = e->properties; a; a = a->next)
			if (!hg_dx_attr_dropped(e, a))
				return 0;
		return 1;
	}
	if (named(e, "source") && only_runtime_attrs(e))
		return 1;
	if (named(e, "target") && named(p, "interface") && e->properties &&
	    !e->properties->next && !e->properties->ns &&
	    !strcmp((const char *)e->properties->name, "dev") &&
	    !has_elem_child(e, NULL)) {
		xmlChar *dev = xmlGetNoNsProp(e, (const xmlChar *)"dev");
		int r = dev && auto_ifname((const char *)dev);

		xmlFree(dev);
		return r;
	}
	return 0;
}

