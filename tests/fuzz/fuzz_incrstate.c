/* fuzz_incrstate.c: the incremental state's codec (verifier/incr.h).
 *
 * The input is decoded as a state; when it decodes, it must encode back
 * to exactly the input (the codec is canonical: nothing lost, nothing
 * invented), and every kept record's content must decode again. Nothing
 * may crash, leak or read out of bounds. The state is the verifier's own
 * storage, but a damaged one must cost a full check, never more.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../verifier/incrstate.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_incr_state st;
	const char *why;
	uint8_t *out = NULL;
	size_t len = 0;

	if (hv_incr_state_decode(data, size, &st, &why) < 0)
		return 0;
	if (hv_incr_state_encode(&st, &out, &len) < 0 || len != size ||
	    memcmp(out, data, size))
		abort();
	for (size_t i = 0; i < st.nrecs; i++) {
		struct hg_cel_rec rec;

		if (hg_cel_decode_content(st.recs[i].content, st.recs[i].content_len, &rec,
					  &why) < 0)
			abort();
	}
	free(out);
	hv_incr_state_free(&st);
	return 0;
}
