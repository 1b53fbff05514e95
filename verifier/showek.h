/* showek.h: the EK certificates of an evidence bundle (key 8), for
 * 'show EVIDENCE'.
 *
 * An unverified dump, as the rest of 'show' is: each certificate is
 * decoded with OpenSSL (d2i_X509, the whole bstr and nothing more) and its
 * subject, issuer, key, notAfter and SHA-256 fingerprint (over the DER, as
 * 'openssl x509 -fingerprint -sha256' computes it) are shown. No chain is
 * checked here. A certificate that does not decode is shown with the
 * reason, and the others still are.
 */
#ifndef HV_SHOWEK_H
#define HV_SHOWEK_H

#include <stdio.h>
#include <json-c/json.h>

#include "../lib/evidence.h"

/* "ek cert N:" blocks to F; nothing when EV has none. */
void hv_ekcerts_print(const struct hg_evidence *ev, FILE *f);
/* [{"size", "subject", "issuer", "key_type", "key_bits", ["curve"],
 *   "not_after", "sha256"} or {"size", "error"}, ...]. */
json_object *hv_ekcerts_json(const struct hg_evidence *ev);

#endif
