/* domexplain.h: name what changed in a domain's config.
 *
 * The policy only knows digests, so a refused config record says "digest
 * not allowed". To tell the operator what changed, the gate keeps the
 * canonical form (domxml.h) of each domain's last allowed start in
 * STATE/domains/NAME.canon (root-only, written atomically) and, on a
 * refusal that names that domain's config record, appends the element
 * paths whose lines differ. The saved form explains; it never decides:
 * deleting or forging it changes a message, not a verdict.
 *
 * Contract: both functions are best effort and silent on failure.
 * REASON is extended in place, truncated to RLEN.
 */
#ifndef HG_DOMEXPLAIN_H
#define HG_DOMEXPLAIN_H

#include <stddef.h>

#define HG_EXPLAIN_MAX_PATHS 4

void hg_explain_remember(const char *state, const char *name,
			 const char *canon, size_t len);
void hg_explain_config(const char *state, const char *name, const char *canon,
		       size_t len, const char *cfgname, char *reason, size_t rlen);

/* The element paths of lines in only one of OLD and NEW (both canonical
 * forms), up to MAX, ", "-separated into OUT; returns how many paths
 * differ (possibly more than MAX). */
size_t hg_explain_diff(const char *old, size_t oldlen, const char *new_,
		       size_t newlen, char *out, size_t outlen, size_t max);

#endif
