/* earcheck.c: TEST ONLY. Checks an EAR the way a relying party would,
 * with lib/ear.h's hg_ear_verify() (the signature first, then the
 * claims): earcheck TOKEN.cbor PUB.pem prints the claims as JSON and
 * exits 0 when valid, 3 when not (one line why), 2 on usage. For
 * t_serve.sh, where the EAR comes from POST /v1/attest; the product's
 * offline check is `hostgate-verify ear verify`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../lib/ear.h"
#include "../../lib/util.h"

int main(int argc, char **argv)
{
	struct hg_ear_claims c = { 0 };
	EVP_PKEY *pub = NULL;
	uint8_t *tok = NULL;
	size_t len = 0;
	char err[256];
	json_object *j;
	int ret = 2;

	hg_progname = "earcheck";
	if (argc != 3) {
		fprintf(stderr, "usage: earcheck TOKEN.cbor PUB.pem\n");
		return 2;
	}
	if (hg_read_file(argv[1], HG_EAR_MAX_TOKEN, 0, &tok, &len) < 0 ||
	    hg_ear_load_key(argv[2], 0, &pub) < 0)
		goto out;
	if (hg_ear_verify(tok, len, pub, (int64_t)time(NULL), &c, err,
			  sizeof(err)) != 0) {
		hg_err("%s: %s", argv[1], err);
		ret = 3;
		goto out;
	}
	j = hg_ear_claims_json(&c);
	printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	json_object_put(j);
	ret = 0;
out:
	hg_ear_claims_free(&c);
	EVP_PKEY_free(pub);
	free(tok);
	return ret;
}
