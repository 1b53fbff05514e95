/* vstate.h: the verifier's state directory, home of the host registry.
 *
 *   --state DIR, else HOSTGATE_VERIFY_STATE, else /var/lib/hostgate-verify
 *   DIR/registry.sqlite   the registry (verifier/registry.h)
 *
 * It is the verifier's, not the host's: on a host that runs both sides,
 * HOSTGATE_STATE (hostgate-attest) and this directory stay apart.
 */
#ifndef HV_VSTATE_H
#define HV_VSTATE_H

#include <stddef.h>

#define HV_DEFAULT_STATE "/var/lib/hostgate-verify"
#define HV_REGISTRY_FILE "registry.sqlite"

/* The state directory from OPT (may be NULL) or the environment. */
const char *hv_state_dir(const char *opt);
/* DIR/registry.sqlite into BUF; with CREATE, make DIR (mode 0700) first.
 * -1 with one error line. */
int hv_registry_path(const char *dir, int create, char *buf, size_t n);

#endif
