/* text.h: host-chosen strings: the one rule for what a name may contain,
 * and the one escaper for showing any string to a human (issue 11 item 8).
 *
 * A host chooses record names (file paths in the hostgate log), UEFI
 * variable names and boot paths, and more. Shown raw on a terminal such a
 * string can move the cursor, rewrite earlier lines (ESC, CR), or reorder
 * what the reader sees (Trojan Source, CVE-2021-42574: the bidirectional
 * overrides and isolates), and an invisible character (zero width) makes
 * two names that look the same differ byte-wise.
 *
 * The rule (hg_name_check): the bytes are valid UTF-8 (RFC 3629 §3 and
 * Unicode 15 Table 3-7: no overlong form, no surrogate U+D800-DFFF, nothing
 * above U+10FFFF, no truncated sequence) and carry no code point for which
 * hg_cp_unsafe() is true:
 *   - C0 controls U+0000-001F (NUL included) and DEL U+007F;
 *   - C1 controls U+0080-009F (e.g. NEL 0x85, CSI 0x9b);
 *   - bidi marks, embeddings, overrides and isolates: U+061C, U+200E,
 *     U+200F, U+202A-202E, U+2066-2069 (Unicode UAX #9 §2);
 *   - zero-width and invisible formatting: U+200B-200D, U+2060, U+FEFF;
 *   - the line and paragraph separators U+2028, U+2029 (they break a line
 *     like a newline).
 *
 * The escaper (hg_escape) shows any bytes as printable UTF-8 on one line:
 * a byte that is not part of valid UTF-8 as "\xNN" (0x80-0xff), an unsafe code point
 * below 0x80 and '\' as "\xNN", any other unsafe code point as "\uNNNN";
 * everything else as it is. So a name that passes hg_name_check() and
 * has no '\' is shown unchanged, and the output never holds a byte a
 * terminal acts on. lib/uefifacts.c formats its UTF-16 code points with
 * the same hg_cp_unsafe() and hg_esc_cp().
 */
#ifndef HG_TEXT_H
#define HG_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* 1 if code point C is refused in a name and escaped when shown. */
int hg_cp_unsafe(uint32_t c);

/* Decode one UTF-8 sequence at P (N > 0 bytes left): its length 1..4
 * with *CP, or 0 when P does not start a valid sequence. */
size_t hg_utf8_next(const uint8_t *p, size_t n, uint32_t *cp);

/* Why a name is refused: the class of its first offending sequence. */
enum hg_name_bad {
	HG_NAME_OK = 0,
	HG_NAME_UTF8,           /* not valid UTF-8 */
	HG_NAME_C0,             /* C0 control or DEL */
	HG_NAME_C1,             /* C1 control */
	HG_NAME_BIDI,           /* bidi mark, embedding, override or isolate */
	HG_NAME_ZW,             /* zero-width or invisible formatting */
	HG_NAME_SEP,            /* line or paragraph separator */
};
/* The reasons as text, as macros so a caller can prefix them at compile
 * time ("content: name " HG_NAME_WHY_BIDI). */
#define HG_NAME_WHY_UTF8 "is not valid UTF-8"
#define HG_NAME_WHY_C0 "has a control character (C0 or DEL)"
#define HG_NAME_WHY_C1 "has a C1 control character (U+0080-009F)"
#define HG_NAME_WHY_BIDI "has a bidirectional control character"
#define HG_NAME_WHY_ZW "has a zero-width character"
#define HG_NAME_WHY_SEP "has a line or paragraph separator"

/* The class of the N bytes at P (HG_NAME_OK when they follow the rule). */
enum hg_name_bad hg_name_class(const uint8_t *p, size_t n);
/* 0 when the N bytes at P follow the rule above; else -1 with *WHY one
 * of the HG_NAME_WHY_* reasons. */
int hg_name_check(const uint8_t *p, size_t n, const char **why);

/* Write code point C escaped ("\xNN" below 0x80, else "\uNNNN" or
 * "\UNNNNNNNN") into OUT (CAP bytes, at least 11). Returns the length. */
size_t hg_esc_cp(char *out, size_t cap, uint32_t c);

/* The N bytes at P as one escaped, NUL-terminated line (see above): a
 * fresh string the caller frees, or NULL when out of memory. */
char *hg_escape(const uint8_t *p, size_t n);

#endif
