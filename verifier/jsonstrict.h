/* jsonstrict.h: strict JSON for the verifier's own inputs (the policy).
 * Reference: policies/README.md "Parsing rules".
 *
 * Why jansson, not json-c (which the verifier uses for everything it
 * writes): a policy is parsed into decisions, and json-c's parser keeps
 * the last of two duplicate keys, cuts a key at an escaped NUL and
 * accepts comments (issue 11 item 4: a duplicate turned a deny into an
 * allow, a "\u0000" key shadowed the strict entry). Jansson (Debian
 * libjansson-dev, 2.14) refuses duplicates after decoding escapes
 * (JSON_REJECT_DUPLICATES: "a" and "\u0061" are one key), NUL in strings
 * (no JSON_ALLOW_NUL) and in keys (always), comments, trailing commas,
 * NaN/Infinity/hex/+1/01, lone surrogate escapes, invalid UTF-8 and
 * trailing data (JSON_DISABLE_EOF_CHECK off), and nesting deeper than
 * JSON_PARSER_MAX_DEPTH (2048). RFC 8259 §4 leaves duplicate names'
 * meaning to the implementation; here it is an error.
 *
 * Contract:
 *  - hg_json_strict_parse() accepts only an object or array of UTF-8
 *    (RFC 3629, checked with libunistring's u8_check()), without a NUL
 *    byte or a byte-order mark, of at most MAX bytes, that jansson
 *    parses as above. On failure it fills *E: the byte offset of the
 *    offending token, its 1-based line and column (columns count
 *    characters), the JSON path of the value or key there, and a reason
 *    naming the rule broken.
 *  - The locator (hg_json_locate, hg_json_path_at) only names places in
 *    messages: it scans token boundaries, never decides what is accepted;
 *    keys it shows are decoded by jansson. Paths read $ . key, ["key"]
 *    (a key that is not an identifier) and [index], as hg_json_path_key()
 *    writes them.
 *  - jansson and json-c both export json_object_get and
 *    json_object_iter_next (with different meanings: json-c's
 *    json_object_get takes a reference). The verifier links both, and an
 *    unversioned call binds to whichever library the link names first.
 *    So jansson code here uses hg_jobj_get() (json_object_getn, which
 *    only jansson has) and hg_jobj_foreach(), whose step is jansson's
 *    symbol looked up by its version (dlvsym: json_object_iter_next@
 *    libjansson.so.4); the clashing names are poisoned below. jansson itself does not call
 *    either through its PLT (objdump -d libjansson.so.4).
 */
#ifndef HG_JSONSTRICT_H
#define HG_JSONSTRICT_H

#include <stddef.h>
#include <jansson.h>

#include <string.h>

/* jansson's json_object_iter_next, by its symbol version (jsonstrict.c). */
void *hg_jansson_iter_next(json_t *object, void *iter);

static inline json_t *hg_jobj_get(const json_t *o, const char *key)
{
	return json_object_getn(o, key, strlen(key));
}

/* jansson's json_object_foreach (jansson.h), stepping with the jansson
 * symbol whatever the link order. */
#define hg_jobj_foreach(object, key, value)                                            \
	for (key = json_object_iter_key(json_object_iter(object));                     \
	     key && (value = json_object_iter_value(json_object_key_to_iter(key)));    \
	     key = json_object_iter_key(hg_jansson_iter_next(object, json_object_key_to_iter(key))))

#undef json_object_foreach
#undef json_object_foreach_safe
#pragma GCC poison json_object_get json_object_iter_next json_object_foreach

#define HG_JSON_PATH_MAX 8192

struct hg_json_err {
	size_t offset;
	unsigned line, column;
	char path[HG_JSON_PATH_MAX];
	char reason[256];
};

/* 0 and *OUT (free with json_decref) or -1 and *E. */
int hg_json_strict_parse(const char *text, size_t len, size_t max,
			 json_t **out, struct hg_json_err *e);

/* Append the path component of object key KEY to PATH (size N):
 * ".key" for [A-Za-z_][A-Za-z0-9_]*, else ["key"] with ", \ and control
 * characters escaped; a key with a character a terminal would hide or
 * that reorders the line (C1, Default_Ignorable_Code_Point, Bidi_Control:
 * U+200B, U+202E) has every non-ASCII character written \uXXXX. */
void hg_json_path_key(char *path, size_t n, const char *key);

/* The offset of the first key or value whose path is PATH, or of its
 * nearest enclosing one that exists (a missing key points at its object).
 * TEXT must have parsed. */
size_t hg_json_locate(const char *text, size_t len, const char *path);

/* PATH for a message line (hg_err() lines hold 1 KiB): itself up to 480
 * bytes, else its first and last 240 joined by "...", cut between
 * characters. Returns PATH or BUF. */
#define HG_JSON_PATH_SHOW 490
const char *hg_json_path_show(const char *path, char buf[HG_JSON_PATH_SHOW]);

/* The 1-based line and column (in characters) of byte OFF. */
void hg_json_linecol(const char *text, size_t len, size_t off,
		     unsigned *line, unsigned *column);

#endif
