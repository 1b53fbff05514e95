/* gate.h: may this domain start on this host? The decision behind the
 * libvirt hook (hook.c, on "prepare begin") and `hostgate-attest gate`.
 *
 * Steps, each failing closed (any error refuses, with its reason):
 *  1. canonicalise the domain XML (domxml.h); the name libvirt passed the
 *     hook must be the XML's <name>;
 *  2. plan what to measure (domplan.h): its config, golden images,
 *     overlays, plus the host manifest (manifest.h), whose unchanged files
 *     cost a stat each (idcache.h);
 *  3. measure them all through measureset.h (one lock, one extend each
 *     for what changed);
 *  4. quote with a fresh 32-byte nonce (evquote.h), and require the
 *     quoted log's latest record of each judged (workload) name to be the
 *     record step 3 measured or reused: the verifier judges the latest
 *     record of a name, and another writer may append one between step 3
 *     and the quote (docs/gate.md "The decision rests on this run's
 *     records");
 *  5. run the verifier (cfg->verifier check --ak --nonce --policy
 *     --workload ...) on that evidence: the same code a remote verifier
 *     runs. Its first error line is the reason. In remote mode
 *     (cfg->remote, gateremote.h) the nonce of step 4 is the verifier
 *     service's instead, the evidence goes to it with this domain's
 *     workloads, and only its EAR, checked here (pinned key, expiry,
 *     nonce, this host's submodule, affirming, exactly this start's
 *     digests), allows;
 *  6. on a real start (the hook: EXPECT_NAME set), append the launch
 *     record (launch.h: domain, UUID, the records this start rests on)
 *     before allowing; if it cannot be written, refuse. The dry run
 *     (`gate --domain-xml`, EXPECT_NAME NULL) starts nothing and writes
 *     none: a launch record for a VM that did not start from it could
 *     stand in for a running VM's own.
 * The break-glass file (cfg->break_glass), when present, turns a refusal
 * into a start: it is measured first (kind breakglass, so any verifier
 * that sees this host's log later sees that it was used), and the
 * decision is logged as break-glass with what the verdict would have
 * been.
 *
 * Every decision is logged to syslog (authpriv, ident "hostgate"):
 *   domain=NAME verdict=allow|refuse|break-glass reason=...
 *
 * On a refusal of the config record, the reason also names the elements
 * that changed since the last allowed start of that domain
 * (STATE/domains/NAME.canon, kept for explanations only: it never decides).
 */
#ifndef HG_GATE_H
#define HG_GATE_H

#include <stddef.h>

#include "gateconf.h"

enum hg_verdict {
	HG_ALLOW = 0,
	HG_REFUSE = 1,
	HG_BREAK_GLASS = 2,
};

/* EXPECT_NAME: the domain name libvirt passed (NULL: not checked).
 * REASON receives one line (also set on allow: "trusted"). */
enum hg_verdict hg_gate_decide(const struct hg_gateconf *cfg, const char *xml,
			       size_t len, const char *expect_name,
			       char *reason, size_t rlen);

#endif
