/* policydom.h: the policy's optional "domains" section: which golden
 * images each libvirt domain may boot (policies/README.md "Domains";
 * issue 12 item 6).
 *
 *   "domains": {
 *     "web1": { "images": ["/var/lib/libvirt/images/golden/web.qcow2"] }
 *   }
 *
 * Without it, an image digest the policy allows is allowed for every
 * domain: an overlay rebased onto another VM's approved golden image
 * passes. With an entry for a domain, a check whose named workloads
 * (--workload, as the gate passes them) include that domain's config
 * (config:/etc/libvirt/qemu/NAME.xml) refuses every image workload not
 * in its list. Names are domain names (no '/', no leading '.', no
 * control character); images are absolute paths, as the log names them.
 *
 * Contract: hg_policy_domains_parse() parses O (the section's value)
 * strictly: unknown keys, wrong types, a bad name or path, a duplicate
 * image are errors, returned as -1 with WHY naming the JSON path below
 * "$.domains". The struct owns its strings (hg_policy_domains_free(),
 * which accepts a zeroed struct). A zeroed struct allows everything.
 */
#ifndef HV_POLICYDOM_H
#define HV_POLICYDOM_H

#include <stddef.h>
/* jansson's json_t, declared here so that json-c users of policy.h
 * (verdict output) never see jansson.h: both export json_object_get. */
struct json_t;

struct hg_policy_domain {
	char *name;
	size_t nimages;
	char **images;
};

struct hg_policy_domains {
	int present;
	size_t n;
	struct hg_policy_domain *d;
};

int hg_policy_domains_parse(struct json_t *o, struct hg_policy_domains *out,
			    char *why, size_t whylen);
/* The entry for domain NAME, or NULL. */
const struct hg_policy_domain *hg_policy_domain_find(const struct hg_policy_domains *ds,
						     const char *name);
/* 1 if D lists IMAGE. */
int hg_policy_domain_allows(const struct hg_policy_domain *d, const char *image);
/* The domain a config workload names ("/etc/libvirt/qemu/NAME.xml"),
 * into BUF; -1 if NAME is not of that form. */
int hg_policy_domain_of_config(const char *config, char *buf, size_t len);
void hg_policy_domains_free(struct hg_policy_domains *ds);

#endif
