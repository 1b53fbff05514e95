/* logtool.c: hostile log records for the tamper suites (issue 11 item 8).
 *
 *   logtool record KEY.pem RECNUM PCR BANKS KIND NAME-HEX
 *       one log record, signed with the log key in KEY.pem (a host's
 *       STATE/logkey.pem), to stdout: a file record by path only
 *       ({0: 2, 1: KIND, 2: NAME}, as overlay records are) whose name is
 *       the bytes NAME-HEX, whatever they are. BANKS: comma-separated bank
 *       names ("sha256,sha384"), the banks of the log's record 0.
 *
 * The encoder of lib/cel.c refuses such names (so does hostgate-attest),
 * which is why this tool builds the content map itself: the verifier must
 * refuse the record even though its signature is good and its digests
 * are bound to its content. This is a test tool: it trusts its input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../../lib/cbor_w.h"
#include "../../lib/cel.h"
#include "../../lib/cose.h"
#include "../../lib/digest.h"
#include "../../lib/util.h"

static int usage(void)
{
	fprintf(stderr, "usage: logtool record KEY.pem RECNUM PCR BANKS KIND NAME-HEX\n");
	return 2;
}

static int record(char **argv)
{
	struct cw content, rec, out;
	uint16_t algs[HG_MAX_BANKS];
	size_t nalgs = 0, namelen = 0, len;
	uint8_t *name = NULL, *buf;
	EVP_PKEY *key = NULL;
	FILE *f;
	char *banks = strdup(argv[3]), *tok, *save = NULL;

	f = fopen(argv[0], "r");
	if (!f || !(key = PEM_read_PrivateKey(f, NULL, NULL, NULL))) {
		fprintf(stderr, "logtool: %s: no PEM private key\n", argv[0]);
		return 1;
	}
	fclose(f);
	for (tok = strtok_r(banks, ",", &save); tok && nalgs < HG_MAX_BANKS;
	     tok = strtok_r(NULL, ",", &save)) {
		const struct hg_bank *b = hg_bank_by_name(tok);

		if (!b) {
			fprintf(stderr, "logtool: unknown bank %s\n", tok);
			return 1;
		}
		algs[nalgs++] = b->alg;
	}
	free(banks);
	if (hg_hex_decode(argv[5], 4096, &name, &namelen) < 0) {
		fprintf(stderr, "logtool: NAME-HEX is not hex\n");
		return 1;
	}
	cw_init(&content);
	cw_map(&content, 3);
	cw_uint(&content, 0);
	cw_uint(&content, HG_CT_FILE);
	cw_uint(&content, 1);
	cw_textz(&content, argv[4]);
	cw_uint(&content, 2);
	cw_text(&content, (const char *)name, namelen);
	cw_init(&rec);
	cw_map(&rec, 4);
	cw_uint(&rec, 0);
	cw_uint(&rec, strtoull(argv[1], NULL, 10));
	cw_uint(&rec, 1);
	cw_uint(&rec, strtoul(argv[2], NULL, 10));
	cw_uint(&rec, 3);
	cw_array(&rec, nalgs);
	for (size_t i = 0; i < nalgs; i++) {
		struct hg_digest d;

		if (hg_hash(algs[i], content.buf, content.len, &d) < 0)
			return 1;
		cw_array(&rec, 2);
		cw_uint(&rec, algs[i]);
		cw_bytes(&rec, d.d, d.len);
	}
	cw_uint(&rec, HG_CEL_CONTENT_HOSTGATE);
	cw_raw(&rec, content.buf, content.len);
	cw_init(&out);
	if (rec.err || hg_cose_sign1(key, rec.buf, rec.len, &out) < 0 || out.err)
		return 1;
	buf = cw_take(&out, &len);
	if (hg_write_all(STDOUT_FILENO, buf, len) < 0)
		return 1;
	free(buf);
	free(name);
	cw_free(&content);
	cw_free(&rec);
	EVP_PKEY_free(key);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 8 && !strcmp(argv[1], "record"))
		return record(argv + 2);
	return usage();
}
