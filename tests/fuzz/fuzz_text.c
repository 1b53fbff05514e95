/* fuzz_text.c: libFuzzer target for the name rule and the escaper of
 * lib/text.c (issue 11 item 8). Checks beyond "no crash, no leak, no UB":
 *  - hg_escape() always gives a string that itself passes hg_name_check()
 *    (nothing a terminal acts on: no control, bidi or zero-width
 *    character, valid UTF-8) and no longer than 6 bytes per input byte;
 *  - an input that passes hg_name_check() and has no '\' is shown
 *    unchanged;
 *  - hg_name_check() and hg_name_class() agree, and a refusal names a
 *    reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL, *why2 = NULL;
	char *e = hg_escape(data, size);
	int ok = hg_name_check(data, size, &why) == 0;

	CHECK(e != NULL);
	CHECK(strlen(e) <= 6 * size);
	CHECK(hg_name_check((const uint8_t *)e, strlen(e), &why2) == 0);
	CHECK(ok == (hg_name_class(data, size) == HG_NAME_OK));
	CHECK(ok || (why && *why));
	if (ok && !memchr(data, '\\', size))
		CHECK(strlen(e) == size && !memcmp(e, data, size));
	free(e);
	return 0;
}
