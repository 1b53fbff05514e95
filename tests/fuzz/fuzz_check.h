/* fuzz_check.h: CHECK(c), the fuzz targets' oracle: a broken contract
 * aborts with the file, line and condition, which libFuzzer reports as a
 * crash and keeps the input for. Shared by every target in this
 * directory. */
#ifndef HG_FUZZ_CHECK_H
#define HG_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                           \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: contract broken: %s\n",    \
				__FILE__, __LINE__, #c);                   \
			abort();                                           \
		}                                                          \
	} while (0)

#endif
