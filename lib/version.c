/* version.c: see version.h. */
#include "version.h"

#include <cbor/configuration.h>
#include <openssl/crypto.h>

void hg_version_print(FILE *f, const char *prog, const char *version,
		      void (*more)(FILE *f))
{
	fprintf(f, "%s %s\n", prog, version);
	fprintf(f, "  openssl: %s\n", OpenSSL_version(OPENSSL_VERSION));
	fprintf(f, "  libcbor: %d.%d.%d (build time)\n", CBOR_MAJOR_VERSION,
		CBOR_MINOR_VERSION, CBOR_PATCH_VERSION);
	if (more)
		more(f);
}
