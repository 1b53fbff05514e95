/* incrseal.h: an incremental state (incr.h) sealed with an HMAC under the
 * verifier's own key, for states kept in files (check --state-in and
 * --state-out). Format and key: incrseal.c. A service keeping states in
 * its database may store them sealed as well, or rely on the database
 * being as trusted as its policies (docs/threat-model.md).
 */
#ifndef HV_INCRSEAL_H
#define HV_INCRSEAL_H

#include <stddef.h>
#include <stdint.h>

#define HV_INCR_KEY_LEN 32
#define HV_INCR_KEY_FILE "incr.key"

/* DIR/incr.key into KEY: 0; 1 when it does not exist and !CREATE; -1
 * (printed) when it cannot be read or made. */
int hv_incr_key(const char *dir, int create, uint8_t key[HV_INCR_KEY_LEN]);
int hv_incr_seal(const uint8_t key[HV_INCR_KEY_LEN], const uint8_t *st, size_t len,
		 uint8_t **out, size_t *outlen);
/* *ST (borrowing BUF) on success; -1 with *WHY. */
int hv_incr_unseal(const uint8_t key[HV_INCR_KEY_LEN], const uint8_t *buf, size_t len,
		   const uint8_t **st, size_t *stlen, const char **why);

#endif
