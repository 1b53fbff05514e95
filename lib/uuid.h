/* uuid.h: a domain's UUID (RFC 9562 §4), as libvirt writes it.
 *
 * Text form: exactly 36 characters, 8-4-4-4-12 hex digits separated by
 * '-' (RFC 9562 §4 "UUID Format"). Upper- and lower-case digits are the
 * same UUID (§4: "case-insensitive on input"); anything else (braces, no
 * dashes, a trailing newline, 35 or 37 characters) is refused, so a
 * UUID has one spelling to compare. The binary form (16 bytes, the
 * digits in order) is what launch records carry (docs/log-format.md);
 * the text printed is always lower case.
 */
#ifndef HG_UUID_H
#define HG_UUID_H

#include <stddef.h>
#include <stdint.h>

#define HG_UUID_LEN 16
#define HG_UUID_TEXT 36

/* S is N bytes (no NUL needed). 0 with OUT filled, or -1. */
int hg_uuid_parse(const char *s, size_t n, uint8_t out[HG_UUID_LEN]);
/* OUT gets 36 lower-case characters and a NUL. */
void hg_uuid_format(const uint8_t u[HG_UUID_LEN], char out[HG_UUID_TEXT + 1]);

#endif
