/* incrtool.c: state surgery for t_incr.sh (verifier/incr.h, incrseal.h).
 *
 *   incrtool reseal DIR IN OUT         IN's inner state (any bytes), sealed
 *                                      again under DIR/incr.key: what a
 *                                      holder of the verifier's key could
 *                                      write (the replay must still catch
 *                                      altered PCR values)
 *   incrtool drop-records DIR IN OUT   IN with every kept record removed,
 *                                      re-encoded, with IN's old MAC kept
 *                                      (an edit without the key)
 * This is a test tool: it trusts its input. Exit 0, or 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/cbor_r.h"
#include "../../lib/cbor_w.h"
#include "../../lib/util.h"
#include "../../verifier/incr.h"
#include "../../verifier/incrseal.h"

int main(int argc, char **argv)
{
	uint8_t key[HV_INCR_KEY_LEN], *buf = NULL, *out = NULL, *enc = NULL;
	const uint8_t *inner, *tag;
	size_t len = 0, inner_len, tag_len, n, out_len = 0, enc_len = 0;
	struct hv_incr_state st = { 0 };
	const char *why;
	struct cr r;
	struct cw w;
	int ret = 1;

	if (argc != 5 || hv_incr_key(argv[2], 0, key) != 0 ||
	    hg_read_file(argv[3], HV_INCR_MAX_STATE + 64, 0, &buf, &len) < 0)
		return 1;
	cr_init(&r, buf, len);
	if (cr_array(&r, &n) != CR_OK || n != 2 || cr_bytes(&r, &inner, &inner_len) != CR_OK ||
	    cr_bytes(&r, &tag, &tag_len) != CR_OK)
		goto out;
	if (!strcmp(argv[1], "reseal")) {
		if (hv_incr_seal(key, inner, inner_len, &out, &out_len) < 0)
			goto out;
	} else if (!strcmp(argv[1], "drop-records")) {
		if (hv_incr_state_decode(inner, inner_len, &st, &why) < 0) {
			fprintf(stderr, "incrtool: %s\n", why);
			goto out;
		}
		st.nrecs = 0;
		if (hv_incr_state_encode(&st, &enc, &enc_len) < 0)
			goto out;
		cw_init(&w);
		cw_array(&w, 2);
		cw_bytes(&w, enc, enc_len);
		cw_bytes(&w, tag, tag_len);
		out = cw_take(&w, &out_len);
	} else {
		goto out;
	}
	if (hg_write_file_atomic(argv[4], out, out_len, 0600) < 0)
		goto out;
	ret = 0;
out:
	hv_incr_state_free(&st);
	free(buf);
	free(out);
	free(enc);
	return ret;
}
