/* measuredom.h: measure a libvirt domain's config (and images) as the
 * gate does; the engine behind `measure --domain/--domain-xml`. */
#ifndef HG_MEASUREDOM_H
#define HG_MEASUREDOM_H

#include "gateconf.h"
#include "opts.h"

struct hg_domreq {
	const char *xml_path;    /* --domain-xml, or */
	const char *name;        /* --domain (via libvirt, read-only) */
	const char *uri;         /* --connect, default qemu:///system */
	int images;              /* also the disks, as the gate would */
};

/* Returns an exit code of cmds.h; prints one line per item. */
int hg_measure_domain(const struct hg_opts *o, const struct hg_domreq *req);

#endif
