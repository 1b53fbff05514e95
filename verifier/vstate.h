/* vstate.h: the verifier's state directory, home of the host registry.
 *
 *   --state DIR, else HOSTGATE_VERIFY_STATE, else /var/lib/hostgate-verify
 *   DIR/registry.sqlite   the registry (verifier/registry/registry.h),
 *                         unless --db or HOSTGATE_VERIFY_DB names another:
 *                         a SQLite file, or a postgresql:// URI
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
/* The registry a command opens into BUF: the --db value given to
 * hv_registry_db_set(), else $HOSTGATE_VERIFY_DB, else DIR/registry.sqlite
 * (with CREATE, DIR is made first, mode 0700). -1 with one error line. */
int hv_registry_path(const char *dir, int create, char *buf, size_t n);
/* --db of the command (the string must outlive the command). */
void hv_registry_db_set(const char *db);
/* PATH as messages may show it: a URI without its password (malloc'd;
 * NULL on ENOMEM). */
char *hv_registry_display(const char *path);

#endif
