/* logtool.c: hostile log records for the tamper suites (issue 11 item 8).
 *
 *   logtool record KEY.pem RECNUM PCR BANKS KIND NAME-HEX
 *       one log record, signed with the log key in KEY.pem (a host's
 *       STATE/logkey.pem), to stdout: a file record by path only
 *       ({0: 2, 1: KIND, 2: NAME}, as overlay records are) whose name is
 *       the bytes NAME-HEX, whatever they are. BANKS: comma-separated bank
 *       names ("sha256,sha384"), the banks of the log's record 0.
 *
 *   logtool launch KEY.pem RECNUM PCR DOMAIN UUID REF...
 *       a launch record (cel.h) in the one bank sha256, signed with KEY:
 *       domain DOMAIN, uuid UUID (text form), refs REF = RECNUM:KIND:HEX
 *       (the referenced record's sha256 extended digest), written as
 *       given: in any order, of any kind, out of range. The test then
 *       puts it in the log and extends the PCR itself, so that the quote
 *       binds what the gate would never write.
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
#include "../../lib/uuid.h"

static int usage(void)
{
	fprintf(stderr, "usage: logtool record KEY.pem RECNUM PCR BANKS KIND NAME-HEX\n"
			"       logtool launch KEY.pem RECNUM PCR DOMAIN UUID RECNUM:KIND:SHA256HEX...\n");
	return 2;
}

/* Sign the record map REC with KEY and write it to stdout. */
static int emit(EVP_PKEY *key, const struct cw *rec)
{
	struct cw out;
	uint8_t *buf;
	size_t len;
	int ret = 1;

	cw_init(&out);
	if (rec->err || hg_cose_sign1(key, rec->buf, rec->len, &out) < 0 || out.err)
		goto out;
	buf = cw_take(&out, &len);
	if (hg_write_all(STDOUT_FILENO, buf, len) == 0)
		ret = 0;
	free(buf);
out:
	cw_free(&out);
	return ret;
}

static int launch(int argc, char **argv)
{
	struct cw c, rec;
	struct hg_digest d;
	uint8_t uuid[HG_UUID_LEN];
	EVP_PKEY *key = NULL;
	FILE *f = fopen(argv[0], "r");
	int ret = 1;

	if (!f || !(key = PEM_read_PrivateKey(f, NULL, NULL, NULL))) {
		fprintf(stderr, "logtool: %s: no PEM private key\n", argv[0]);
		return 1;
	}
	fclose(f);
	if (hg_uuid_parse(argv[4], strlen(argv[4]), uuid) < 0) {
		fprintf(stderr, "logtool: %s: not a UUID\n", argv[4]);
		return 1;
	}
	cw_init(&c);
	cw_map(&c, 4);
	cw_uint(&c, 0);
	cw_uint(&c, HG_CT_LAUNCH);
	cw_uint(&c, 6);
	cw_textz(&c, argv[3]);
	cw_uint(&c, 7);
	cw_bytes(&c, uuid, sizeof(uuid));
	cw_uint(&c, 8);
	cw_array(&c, (size_t)(argc - 5));
	for (int i = 5; i < argc; i++) {
		char *kind = strchr(argv[i], ':'), *hex;
		uint8_t *dig = NULL;
		size_t dlen = 0;

		if (!kind || !(hex = strchr(kind + 1, ':')) ||
		    hg_hex_decode(hex + 1, 64, &dig, &dlen) < 0 || dlen != 32) {
			fprintf(stderr, "logtool: %s: not RECNUM:KIND:SHA256HEX\n", argv[i]);
			goto out;
		}
		cw_array(&c, 3);
		cw_uint(&c, strtoull(argv[i], NULL, 10));
		cw_text(&c, kind + 1, (size_t)(hex - kind - 1));
		cw_array(&c, 1);
		cw_array(&c, 2);
		cw_uint(&c, HG_ALG_SHA256);
		cw_bytes(&c, dig, dlen);
		free(dig);
	}
	cw_init(&rec);
	cw_map(&rec, 4);
	cw_uint(&rec, 0);
	cw_uint(&rec, strtoull(argv[1], NULL, 10));
	cw_uint(&rec, 1);
	cw_uint(&rec, strtoul(argv[2], NULL, 10));
	cw_uint(&rec, 3);
	cw_array(&rec, 1);
	if (c.err || hg_hash(HG_ALG_SHA256, c.buf, c.len, &d) < 0)
		goto out2;
	cw_array(&rec, 2);
	cw_uint(&rec, HG_ALG_SHA256);
	cw_bytes(&rec, d.d, d.len);
	cw_uint(&rec, HG_CEL_CONTENT_HOSTGATE);
	cw_raw(&rec, c.buf, c.len);
	ret = emit(key, &rec);
out2:
	cw_free(&rec);
out:
	cw_free(&c);
	EVP_PKEY_free(key);
	return ret;
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
	if (argc >= 8 && !strcmp(argv[1], "launch"))
		return launch(argc - 2, argv + 2);
	return usage();
}
