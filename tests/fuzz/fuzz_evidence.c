/* fuzz_evidence.c: the verifier's first contact with a host's bytes.
 *
 * The input is tried as an evidence bundle (hg_evidence_decode); when it
 * decodes, its AK goes through hg_ak_decode, the quote through
 * hg_quote_verify (with the bundle's own nonce and PCR values) and its log
 * through the streaming iterator, as 'check' does. The input is also tried
 * as a bare TPM2B_PUBLIC. Nothing may crash, leak or read out of bounds;
 * a quote that verifies here would be a forgery unless the input is the
 * real seed (run.sh makes one with swtpm).
 */
#include <stddef.h>
#include <stdint.h>

#include "evidence.h"
#include "hglog.h"
#include "quote.h"
#include "tpmpub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hg_evidence ev;
	static struct hg_quote_result res;
	struct hg_ak ak;
	const char *why;

	if (hg_evidence_decode(data, size, &ev, &why) == 0) {
		struct hg_log_iter it;
		struct hg_log_rec rec;

		if (hg_ak_decode(ev.ak, ev.ak_len, &ak, &why) == 0) {
			(void)hg_quote_verify(&ak, ev.attest, ev.attest_len, ev.sig,
					      ev.sig_len, ev.nonce, ev.nonce_len,
					      &ev.pcrs, &res);
			hg_ak_free(&ak);
		}
		hg_log_iter_init(&it, ev.log, ev.log_len);
		while (hg_log_iter_next(&it, &rec) == 1)
			;
		hg_log_iter_free(&it);
	}
	if (hg_ak_decode(data, size, &ak, &why) == 0)
		hg_ak_free(&ak);
	return 0;
}
