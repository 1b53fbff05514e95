/* mkcred.c: hv_make_credential() from the command line, for t_makecred.
 *
 *   mkcred EK.pub AK.name SECRET OUT
 *
 * EK.pub: a marshalled TPM2B_PUBLIC, RSA or ECC (tpm2_createek -u, or
 * tpm2_readpublic -o for a persistent EK such as swtpm's P-384 one at
 * 0x81010016); AK.name: the raw Name (tpm2_createak -n); SECRET: the raw
 * secret bytes. OUT is written
 * in tpm2_makecredential's -o format, which tpm2_activatecredential -i
 * reads: magic 0xBADCC0DE and version 1 (both 32-bit big-endian), then
 * the TPM2B_ID_OBJECT and the TPM2B_ENCRYPTED_SECRET, each marshalled
 * (2-byte big-endian size, then the bytes; for an ECC EK the encrypted
 * secret holds a marshalled TPMS_ECC_POINT). This is a test tool: the
 * seed (RSA) or the ephemeral key (ECC) is random, as the verifier's
 * will be.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "../../verifier/makecred.h"

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, cap, f);
	if (!feof(f) && fgetc(f) != EOF)
		n = 0;   /* too big */
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	uint8_t pub[1024], name[128], secret[128], out[4096];
	size_t pub_len, name_len, secret_len, off = 0, o = 0;
	TPM2B_PUBLIC ek = { 0 };
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET enc;
	const char *why;
	FILE *f;

	if (argc != 5) {
		fprintf(stderr, "usage: mkcred EK.pub AK.name SECRET OUT\n");
		return 2;
	}
	pub_len = slurp(argv[1], pub, sizeof(pub));
	name_len = slurp(argv[2], name, sizeof(name));
	secret_len = slurp(argv[3], secret, sizeof(secret));
	if (!pub_len || !name_len) {
		fprintf(stderr, "mkcred: cannot read %s or %s\n", argv[1], argv[2]);
		return 1;
	}
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, pub_len, &off, &ek) || off != pub_len) {
		fprintf(stderr, "mkcred: %s: not exactly one TPM2B_PUBLIC\n", argv[1]);
		return 1;
	}
	if (hv_make_credential(&ek, name, name_len, secret, secret_len, NULL, 0,
			       &blob, &enc, &why) < 0) {
		fprintf(stderr, "mkcred: %s: %s\n", argv[1], why);
		return 1;
	}
	/* tpm2-tools files_write_header(): magic, version. */
	if (Tss2_MU_UINT32_Marshal(0xBADCC0DE, out, sizeof(out), &o) ||
	    Tss2_MU_UINT32_Marshal(1, out, sizeof(out), &o) ||
	    Tss2_MU_TPM2B_ID_OBJECT_Marshal(&blob, out, sizeof(out), &o) ||
	    Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&enc, out, sizeof(out), &o)) {
		fprintf(stderr, "mkcred: marshalling failed\n");
		return 1;
	}
	f = fopen(argv[4], "wb");
	if (!f || fwrite(out, 1, o, f) != o || fclose(f) != 0) {
		fprintf(stderr, "mkcred: %s: cannot write\n", argv[4]);
		return 1;
	}
	return 0;
}
