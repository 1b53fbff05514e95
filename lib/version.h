/* version.h: what `PROG --version` prints (both binaries).
 *
 * Contract: hg_version_print() writes "PROG VERSION" on its first line,
 * then one "  LIBRARY: VERSION" line per library both binaries link
 * (OpenSSL's runtime OpenSSL_version(), libcbor's build-time version:
 * libcbor has no run-time call), then calls MORE (may be NULL) for the
 * binary's own libraries. VERSION comes from the top-level VERSION file
 * through the generated header hg_version.h (Makefile), its one source;
 * debian/changelog must agree (tests/integration/t_docs.sh checks).
 * Nothing here loads a library or touches a device: --version costs
 * what --help costs.
 */
#ifndef HG_VERSION_H
#define HG_VERSION_H

#include <stdio.h>

void hg_version_print(FILE *f, const char *prog, const char *version,
		      void (*more)(FILE *f));

#endif
