/* measuredom.c: hostgate-attest measure --domain NAME | --domain-xml FILE
 *
 * Measures a domain's canonical config (kind config, named
 * /etc/libvirt/qemu/NAME.xml, domplan.h) and, with --images, the disks the
 * gate would measure for it, through the same engine and rules as the
 * gate (measureset.h, domplan.h): what this records is exactly what the
 * gate will find, so a policy learned from it admits the domain.
 *
 * --domain reads the domain's persistent (inactive) XML through the
 * libvirt API, read-only. The live XML of a running domain carries the
 * backing chain libvirt detected, which the hook's "prepare begin" XML
 * does not; the inactive XML is what the hook will see.
 *
 * libvirt is loaded with dlopen() here, on the one path that needs it,
 * not linked: linking it (and the ~40 libraries it pulls in) cost every
 * hostgate-attest process ~10 ms at start, the libvirt hook included,
 * which is on every VM start's critical path.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "../lib/util.h"
#include "cmds.h"
#include "domplan.h"
#include "domxml.h"
#include "measuredom.h"
#include "measureset.h"
#include "tpm.h"

/* The libvirt calls used, resolved from libvirt.so.0 at run time. */
struct virt {
	void *dl;
	void (*set_error_func)(void *, virErrorFunc);
	virConnectPtr (*open_ro)(const char *);
	virDomainPtr (*lookup)(virConnectPtr, const char *);
	char *(*xml_desc)(virDomainPtr, unsigned int);
	const char *(*last_error)(void);
	int (*dom_free)(virDomainPtr);
	int (*close)(virConnectPtr);
};

static int virt_load(struct virt *v)
{
	static const char *const names[] = {
		"virSetErrorFunc", "virConnectOpenReadOnly", "virDomainLookupByName",
		"virDomainGetXMLDesc", "virGetLastErrorMessage", "virDomainFree",
		"virConnectClose",
	};
	void **slots[] = {
		(void **)&v->set_error_func, (void **)&v->open_ro, (void **)&v->lookup,
		(void **)&v->xml_desc, (void **)&v->last_error, (void **)&v->dom_free,
		(void **)&v->close,
	};

	v->dl = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!v->dl) {
		hg_err("--domain needs libvirt: %s", dlerror());
		return -1;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*slots[i] = dlsym(v->dl, names[i]);
		if (!*slots[i]) {
			hg_err("libvirt.so.0: no %s", names[i]);
			return -1;
		}
	}
	return 0;
}

static void quiet_libvirt(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

static char *domain_xml(const char *uri, const char *name)
{
	struct virt v = { 0 };
	virConnectPtr conn = NULL;
	virDomainPtr dom = NULL;
	char *xml = NULL;

	if (virt_load(&v) < 0)
		goto out;
	v.set_error_func(NULL, quiet_libvirt);
	conn = v.open_ro(uri);
	if (!conn) {
		hg_err("%s: cannot connect: %s", uri, v.last_error());
		goto out;
	}
	dom = v.lookup(conn, name);
	if (!dom) {
		hg_err("domain %s: %s", name, v.last_error());
		goto out;
	}
	xml = v.xml_desc(dom, VIR_DOMAIN_XML_INACTIVE);
	if (!xml)
		hg_err("domain %s: %s", name, v.last_error());
out:
	if (dom)
		v.dom_free(dom);
	if (conn)
		v.close(conn);
	/* libvirt keeps threads and handlers; it stays loaded until exit. */
	return xml;
}

int hg_measure_domain(const struct hg_opts *o, const struct hg_domreq *req)
{
	const struct hg_gateconf *cfg = o->conf; /* image-dirs, golden-dirs */
	struct hg_tpm tpm = { 0 };
	struct hg_mset m = { 0 };
	struct hg_plan *plan = NULL;
	struct hg_mitem *items = NULL;
	char *xml = NULL, *canon = NULL, *name = NULL, cfgname[4096], why[1024];
	uint8_t *buf = NULL;
	size_t len = 0, canon_len = 0, n = 0;
	const char *cwhy = NULL;
	int ret = HG_EXIT_FAIL;

	if (req->xml_path) {
		if (hg_read_file(req->xml_path, HG_DOMXML_MAX + 1, 0, &buf, &len) < 0) {
			hg_err("%s: %s", req->xml_path,
			       errno == EFBIG ? "larger than 1 MiB" : hg_strerror_read(errno));
			goto out;
		}
	} else {
		if (!(xml = domain_xml(req->uri, req->name)))
			goto out;
		buf = (uint8_t *)xml;
		xml = NULL;
		len = strlen((char *)buf);
	}
	if (hg_domxml_canonical((const char *)buf, len, &canon, &canon_len, &name, &cwhy) < 0) {
		hg_err("%s: %s", req->xml_path ? req->xml_path : req->name, cwhy);
		goto out;
	}
	if (hg_domain_config_name(name, cfgname, sizeof(cfgname), &cwhy) < 0) {
		hg_err("domain %s: %s", name, cwhy);
		goto out;
	}
	plan = calloc(1, sizeof(*plan));
	items = calloc(HG_PLAN_MAX + 1, sizeof(*items));
	if (!plan || !items) {
		hg_err("out of memory");
		goto out;
	}
	if (req->images && hg_domplan(canon, canon_len, cfg, plan, why, sizeof(why)) < 0) {
		hg_err("domain %s: %s", name, why);
		goto out;
	}
	items[n].kind = HG_KIND_CONFIG;
	items[n].path = cfgname;
	items[n].data = (const uint8_t *)canon;
	items[n++].len = canon_len;
	for (size_t i = 0; i < plan->n; i++) {
		items[n].kind = plan->v[i].kind;
		items[n].has_id = plan->v[i].has_id;
		items[n].dev = plan->v[i].dev;
		items[n].ino = plan->v[i].ino;
		items[n++].path = plan->v[i].path;
	}
	if (hg_tpm_open(o->tcti, &tpm) < 0 || hg_mset_open(&m, o, &tpm) < 0)
		goto out;
	m.progress = 1;
	if ((ret = hg_mset_measure(&m, items, n)) != HG_EXIT_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		hg_mset_print(&items[i]);
	ret = fflush(stdout) == 0 ? HG_EXIT_OK : HG_EXIT_FAIL;
out:
	hg_mset_close(&m);
	hg_tpm_close(&tpm);
	if (plan)
		hg_plan_free(plan);
	free(plan);
	free(items);
	free(canon);
	free(name);
	free(buf);
	free(xml);
	return ret;
}
