/* domains.c: GET /v1/domains (agent.h).
 *
 * The running domains, from a read-only libvirt connection
 * (virConnectOpenReadOnly, --connect URI, default qemu:///system):
 *   [{"name": NAME, "uuid": UUID, "id": ID}, ...]
 * libvirt is dlopen()ed on the libvirt worker, the first time it is needed
 * (attest/measuredom.c says why it is not linked), and stays loaded. Not
 * installed, or not reachable: 503 with the reason. Each request opens
 * and closes its own connection: nothing stale survives a libvirtd
 * restart.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "../../lib/httpsd.h"
#include "../../lib/util.h"
#include "agent.h"

/* The libvirt calls used, resolved once on the libvirt worker (the only
 * thread that touches them). */
static struct {
	int tried;
	void *dl;
	char why[256];
	void (*set_error_func)(void *, virErrorFunc);
	virConnectPtr (*open_ro)(const char *);
	int (*list_all)(virConnectPtr, virDomainPtr **, unsigned int);
	const char *(*get_name)(virDomainPtr);
	int (*get_uuid)(virDomainPtr, char *);
	unsigned int (*get_id)(virDomainPtr);
	int (*dom_free)(virDomainPtr);
	const char *(*last_error)(void);
	int (*close)(virConnectPtr);
} virt;

static void quiet_libvirt(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

static int virt_load(void)
{
	static const char *const names[] = {
		"virSetErrorFunc", "virConnectOpenReadOnly", "virConnectListAllDomains",
		"virDomainGetName", "virDomainGetUUIDString", "virDomainGetID",
		"virDomainFree", "virGetLastErrorMessage", "virConnectClose",
	};
	void **slots[] = {
		(void **)&virt.set_error_func, (void **)&virt.open_ro,
		(void **)&virt.list_all, (void **)&virt.get_name, (void **)&virt.get_uuid,
		(void **)&virt.get_id, (void **)&virt.dom_free, (void **)&virt.last_error,
		(void **)&virt.close,
	};

	if (virt.tried)
		return virt.dl != NULL ? 0 : -1;
	virt.tried = 1;
	virt.dl = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);
	if (virt.dl == NULL) {
		snprintf(virt.why, sizeof(virt.why), "libvirt is not installed: %s", dlerror());
		return -1;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		*slots[i] = dlsym(virt.dl, names[i]);
		if (*slots[i] == NULL) {
			snprintf(virt.why, sizeof(virt.why), "libvirt.so.0: no %s", names[i]);
			dlclose(virt.dl);
			virt.dl = NULL;
			return -1;
		}
	}
	virt.set_error_func(NULL, quiet_libvirt);
	return 0;
}

/* On the libvirt worker. */
static void run_domains(struct ag_job *j)
{
	const char *uri = j->ag->virt_uri;
	virConnectPtr conn = NULL;
	virDomainPtr *doms = NULL;
	struct json_object *arr = NULL;
	const char *txt;
	int n = 0;

	j->status = 503;
	if (virt_load() < 0) {
		snprintf(j->err, sizeof(j->err), "%s", virt.why);
		goto out;
	}
	conn = virt.open_ro(uri);
	if (conn == NULL) {
		snprintf(j->err, sizeof(j->err), "libvirt: %s: cannot connect: %s", uri,
			 virt.last_error());
		goto out;
	}
	n = virt.list_all(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	if (n < 0) {
		snprintf(j->err, sizeof(j->err), "libvirt: %s: cannot list the domains: %s",
			 uri, virt.last_error());
		n = 0;
		goto out;
	}
	j->status = 500;
	if ((arr = json_object_new_array()) == NULL) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char uuid[VIR_UUID_STRING_BUFLEN];
		const char *name = virt.get_name(doms[i]);
		struct json_object *o = json_object_new_object();

		if (o == NULL || json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			snprintf(j->err, sizeof(j->err), "out of memory");
			goto out;
		}
		if (virt.get_uuid(doms[i], uuid) != 0)
			uuid[0] = '\0';
		json_object_object_add(o, "name", json_object_new_string(name ? name : ""));
		json_object_object_add(o, "uuid", json_object_new_string(uuid));
		json_object_object_add(o, "id", json_object_new_int64(virt.get_id(doms[i])));
	}
	txt = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN);
	if (txt == NULL || (j->body = (uint8_t *)strdup(txt)) == NULL) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		goto out;
	}
	j->len = strlen(txt);
	j->ctype = "application/json";
	j->status = 200;
out:
	for (int i = 0; i < n; i++)
		virt.dom_free(doms[i]);
	free(doms);
	if (conn != NULL)
		virt.close(conn);
	json_object_put(arr);
}

void ag_domains(struct evhttp_request *req, void *arg)
{
	struct agent *ag = arg;
	struct ag_job *j;

	if (!ag_method(req, EVHTTP_REQ_GET, "GET"))
		return;
	if ((j = ag_job_new(ag, req, run_domains)) == NULL)
		return;
	ag_job_submit_or_busy(&ag->virt, j);
}
