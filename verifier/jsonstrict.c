/* jsonstrict.c: see jsonstrict.h. */
#define _GNU_SOURCE   /* dlvsym */
#include "jsonstrict.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <unistr.h>

/* jansson's json_object_iter_next, looked up by its symbol version: an
 * unversioned reference binds to json-c's (jsonstrict.h), and GNU ld 2.40
 * links a .symver reference to a name two libraries define to the wrong
 * one. Resolved once; hg_json_strict_parse() fails when it cannot be, so
 * no walk can end early for want of it. */
static void *(*iter_next)(json_t *, void *);
static pthread_once_t iter_once = PTHREAD_ONCE_INIT;

static void resolve_iter_next(void)
{
	iter_next = (void *(*)(json_t *, void *))dlvsym(RTLD_DEFAULT, "json_object_iter_next",
							  "libjansson.so.4");
}

void *hg_jansson_iter_next(json_t *object, void *iter)
{
	pthread_once(&iter_once, resolve_iter_next);
	if (!iter_next)
		abort();   /* unreachable: hg_json_strict_parse() checked */
	return iter_next(object, iter);
}

/* --- the locator: token boundaries and paths, for messages only -------- */

enum tok { TOK_KEY, TOK_VALUE, TOK_PUNCT };

struct frame {
	char type;        /* '{' or '[' */
	int want_key;     /* object: the next string is a key */
	size_t idx;       /* array: index of the next element */
	size_t pathlen;   /* the container's own path */
	size_t keylen;    /* object: path length with the current key */
};

/* Called for each token at OFF with its PATH; nonzero stops the scan. */
typedef int (*tok_fn)(void *arg, size_t off, enum tok t, const char *path);

static int is_ident(const char *k)
{
	if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_'))
		return 0;
	for (k++; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9') || *k == '_'))
			return 0;
	return 1;
}

static void append(char *path, size_t n, const char *s, size_t slen)
{
	size_t have = strlen(path);

	if (have + 1 >= n)
		return;
	if (slen > n - have - 1)
		slen = n - have - 1;
	memcpy(path + have, s, slen);
	path[have + slen] = '\0';
}

/* One ASCII character of a decoded key inside ["..."]. */
static void append_bracket_char(char *path, size_t n, unsigned char c)
{
	char esc[8];

	if (c < 0x20 || c == 0x7f) {
		snprintf(esc, sizeof(esc), "\\u%04x", c);
		append(path, n, esc, strlen(esc));
	} else if (c == '"' || c == '\\') {
		esc[0] = '\\';
		esc[1] = (char)c;
		append(path, n, esc, 2);
	} else {
		append(path, n, (const char *)&c, 1);
	}
}

/* KEY as ["..."], escaping what would break the line or the quoting; RAW
 * keeps backslashes (the key's source text, shown as written). */
static void append_bracket(char *path, size_t n, const char *key, size_t klen, int raw)
{
	append(path, n, "[\"", 2);
	for (size_t i = 0; i < klen; i++) {
		unsigned char c = (unsigned char)key[i];
		char esc[8];

		if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			append(path, n, esc, strlen(esc));
		} else if (raw && c >= 0x80) {
			/* Undecoded: perhaps not UTF-8, so never copied. */
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			append(path, n, esc, strlen(esc));
		} else if ((c == '"' || c == '\\') && !raw) {
			esc[0] = '\\';
			esc[1] = (char)c;
			append(path, n, esc, 2);
		} else {
			append(path, n, (const char *)&key[i], 1);
		}
	}
	append(path, n, "\"]", 2);
}

/* Whether KEY has a character a terminal would hide or let reorder the
 * line: C1 controls, Default_Ignorable_Code_Point, Bidi_Control. */
static int has_hidden(const char *key)
{
	for (const uint8_t *q = (const uint8_t *)key; q && *q;) {
		ucs4_t uc;

		q = u8_next(&uc, q);
		if (q && ((uc >= 0x80 && uc <= 0x9f) || uc_is_property_default_ignorable_code_point(uc) ||
			  uc_is_property_bidi_control(uc)))
			return 1;
	}
	return 0;
}

/* KEY as ["..."] with every non-ASCII character escaped \uXXXX (UTF-16,
 * as JSON writes it), for a key with a hidden character. */
static void append_escaped(char *path, size_t n, const char *key)
{
	append(path, n, "[\"", 2);
	for (const uint8_t *q = (const uint8_t *)key; q && *q;) {
		const uint8_t *at = q;
		char esc[16];
		ucs4_t uc;

		q = u8_next(&uc, q);
		if (!q)
			break;
		if (uc < 0x80) {
			append_bracket_char(path, n, (unsigned char)*at);
			continue;
		}
		if (uc >= 0x10000)
			snprintf(esc, sizeof(esc), "\\u%04x\\u%04x", 0xd800 + ((uc - 0x10000) >> 10),
				 0xdc00 + ((uc - 0x10000) & 0x3ff));
		else
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)uc);
		append(path, n, esc, strlen(esc));
	}
	append(path, n, "\"]", 2);
}

void hg_json_path_key(char *path, size_t n, const char *key)
{
	if (has_hidden(key)) {
		append_escaped(path, n, key);
	} else if (is_ident(key)) {
		append(path, n, ".", 1);
		append(path, n, key, strlen(key));
	} else {
		append_bracket(path, n, key, strlen(key), 0);
	}
}

/* The string token at T (N bytes, quotes included) as a path component:
 * decoded by jansson; as written when it does not decode (a \u0000). */
static void append_key_token(char *path, size_t n, const char *t, size_t len)
{
	json_t *s = json_loadb(t, len, JSON_DECODE_ANY, NULL);

	if (s && json_is_string(s))
		hg_json_path_key(path, n, json_string_value(s));
	else
		append_bracket(path, n, t + 1, len >= 2 ? len - 2 : 0, 1);
	json_decref(s);
}

static size_t skip_string(const char *t, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return len;
}

static int is_delim(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':' ||
	       c == '[' || c == ']' || c == '{' || c == '}' || c == '"';
}

/* Walk TEXT's tokens, calling FN with each one's path. Tolerates any
 * input: after a syntax error it keeps going as best it can. */
static void scan(const char *t, size_t len, tok_fn fn, void *arg)
{
	size_t cap = JSON_PARSER_MAX_DEPTH + 2, depth = 0, i = 0;
	struct frame *st = calloc(cap, sizeof(*st));
	char *path = malloc(HG_JSON_PATH_MAX), *cpath = malloc(HG_JSON_PATH_MAX);

	if (!st || !path || !cpath)
		goto out;
	strcpy(path, "$");
	while (i < len) {
		struct frame *f = depth ? &st[depth - 1] : NULL;
		char c = t[i];
		size_t start = i;
		int value_pos = !f || f->type == '[' || !f->want_key;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
			continue;
		}
		/* The path a value here would have. */
		if (!f) {
			strcpy(path, "$");
		} else if (f->type == '[') {
			char idx[32];

			path[f->pathlen] = '\0';
			snprintf(idx, sizeof(idx), "[%zu]", f->idx);
			append(path, HG_JSON_PATH_MAX, idx, strlen(idx));
		} else if (f) {
			path[f->keylen] = '\0';
		}
		if (c == '"' && f && f->type == '{' && f->want_key) {
			i = skip_string(t, len, i);
			path[f->pathlen] = '\0';
			append_key_token(path, HG_JSON_PATH_MAX, t + start, i - start);
			f->keylen = strlen(path);
			f->want_key = 0;
			if (fn(arg, start, TOK_KEY, path))
				goto out;
			continue;
		}
		if (c == '{' || c == '[') {
			if (fn(arg, start, TOK_VALUE, path) || depth == cap)
				goto out;
			st[depth].type = c;
			st[depth].want_key = c == '{';
			st[depth].idx = 0;
			st[depth].pathlen = st[depth].keylen = strlen(path);
			depth++;
			i++;
			continue;
		}
		/* Punctuation, and a stray token where a key or ',' belongs,
		 * is at its container's path (':' at its key's). */
		snprintf(cpath, HG_JSON_PATH_MAX, "%.*s",
			 (int)(!f ? strlen(path) : c == ':' ? f->keylen : f->pathlen), path);
		if (c == '}' || c == ']' || c == ',' || c == ':') {
			if (fn(arg, start, TOK_PUNCT, cpath))
				goto out;
			if ((c == '}' || c == ']') && depth) {
				depth--;
			} else if (c == ',' && f) {
				f->idx++;
				f->want_key = f->type == '{';
			}
			i++;
			continue;
		}
		if (c == '"')
			i = skip_string(t, len, i);
		else
			while (++i < len && !is_delim(t[i]))
				;
		if (value_pos && f && f->type == '{')
			f->want_key = 0;
		if (fn(arg, start, value_pos ? TOK_VALUE : TOK_PUNCT, value_pos ? path : cpath))
			goto out;
	}
out:
	free(cpath);
	free(path);
	free(st);
}

/* --- locating ------------------------------------------------------------ */

struct by_path {
	const char *want;
	size_t best_len;   /* longest prefix of WANT matched so far */
	size_t off;
};

/* Whether P is WANT or a path enclosing it (a prefix ending at a
 * component boundary). */
static size_t encloses(const char *p, const char *want)
{
	size_t n = strlen(p);

	if (strncmp(p, want, n) || (want[n] && want[n] != '.' && want[n] != '['))
		return 0;
	return n;
}

static int on_tok_path(void *arg, size_t off, enum tok t, const char *path)
{
	struct by_path *b = arg;
	size_t n;

	if (t == TOK_PUNCT)
		return 0;
	n = encloses(path, b->want);
	if (n > b->best_len) {
		b->best_len = n;
		b->off = off;
	}
	return b->want[n] == '\0' && n;
}

size_t hg_json_locate(const char *text, size_t len, const char *path)
{
	struct by_path b = { .want = path, .best_len = 0, .off = 0 };

	scan(text, len, on_tok_path, &b);
	return b.off;
}

struct by_off {
	size_t before;     /* find the last token starting before this */
	size_t off;
	char *path;
};

static int on_tok_off(void *arg, size_t off, enum tok t, const char *path)
{
	struct by_off *b = arg;

	(void)t;
	if (off >= b->before)
		return 1;
	b->off = off;
	snprintf(b->path, HG_JSON_PATH_MAX, "%s", path);
	return 0;
}

const char *hg_json_path_show(const char *path, char buf[HG_JSON_PATH_SHOW])
{
	size_t n = strlen(path), head = 240, tail = n - 240;

	if (n <= 480)
		return path;
	while (head > 0 && ((unsigned char)path[head] & 0xc0) == 0x80)
		head--;
	while (tail < n && ((unsigned char)path[tail] & 0xc0) == 0x80)
		tail++;
	snprintf(buf, HG_JSON_PATH_SHOW, "%.*s...%s", (int)head, path, path + tail);
	return buf;
}

void hg_json_linecol(const char *text, size_t len, size_t off,
		     unsigned *line, unsigned *column)
{
	unsigned l = 1, c = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			c++;   /* count characters: skip UTF-8 continuation bytes */
		}
	}
	*line = l;
	*column = c;
}

/* --- the strict parse ---------------------------------------------------- */

static int fail_at(const char *text, size_t len, size_t off, const char *path,
		   struct hg_json_err *e, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int fail_at(const char *text, size_t len, size_t off, const char *path,
		   struct hg_json_err *e, const char *fmt, ...)
{
	va_list ap;

	e->offset = off;
	hg_json_linecol(text, len, off, &e->line, &e->column);
	snprintf(e->path, sizeof(e->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	return -1;
}

/* Where the scan is at byte OFF: the last token that starts before it. */
static void token_before(const char *text, size_t len, size_t off,
			 size_t *start, char *path)
{
	struct by_off b = { .before = off, .off = 0, .path = path };

	strcpy(path, "$");
	scan(text, len, on_tok_off, &b);
	*start = b.off;
}

static int starts(const char *t, size_t len, size_t off, const char *s)
{
	size_t n = strlen(s);

	return off <= len && len - off >= n && !memcmp(t + off, s, n);
}

/* Why jansson refused the token at OFF, in words a policy author can act
 * on; jansson's own text (without its "near" excerpt) otherwise. */
static void syntax_reason(const char *t, size_t len, size_t off,
			  const json_error_t *je, char *why, size_t n)
{
	size_t k = off, numlen;
	const char *near;

	if (starts(t, len, off, "//") || starts(t, len, off, "/*") || starts(t, len, off, "#")) {
		snprintf(why, n, "a comment: JSON has none (notes go in \"comment\")");
		return;
	}
	if (t[off] == ']' || t[off] == '}') {
		while (k > 0 && strchr(" \t\r\n", t[k - 1]))
			k--;
		if (k > 0 && t[k - 1] == ',') {
			snprintf(why, n, "a trailing comma before '%c'", t[off]);
			return;
		}
	}
	for (numlen = 0; off + numlen < len && !is_delim(t[off + numlen]); numlen++)
		;
	if (starts(t, len, off, "NaN") || starts(t, len, off, "Infinity") ||
	    starts(t, len, off, "-Infinity") || starts(t, len, off, "-NaN")) {
		snprintf(why, n, "NaN and Infinity are not JSON numbers");
		return;
	}
	if (starts(t, len, off, "0x") || starts(t, len, off, "0X") ||
	    starts(t, len, off, "-0x") || starts(t, len, off, "-0X")) {
		snprintf(why, n, "a hexadecimal number: JSON numbers are decimal");
		return;
	}
	if (t[off] == '+') {
		snprintf(why, n, "a leading '+': not a JSON number");
		return;
	}
	k = off + (t[off] == '-');
	if (numlen > 1 && k + 1 < len && t[k] == '0' && t[k + 1] >= '0' && t[k + 1] <= '9') {
		snprintf(why, n, "a leading zero: not a JSON number");
		return;
	}
	if (!strncmp(je->text, "'[' or '{' expected", 19)) {
		snprintf(why, n, "not a JSON object: a policy is one");
		return;
	}
	if (!strncmp(je->text, "invalid Unicode", 15)) {
		near = strstr(je->text, " near ");
		snprintf(why, n, "%.*s: a lone or misordered UTF-16 surrogate escape",
			 near ? (int)(near - je->text) : (int)strlen(je->text), je->text);
		return;
	}
	near = strstr(je->text, " near ");
	snprintf(why, n, "not JSON: %.*s",
		 near ? (int)(near - je->text) : (int)strlen(je->text), je->text);
}

int hg_json_strict_parse(const char *text, size_t len, size_t max,
			 json_t **out, struct hg_json_err *e)
{
	char *path = NULL;
	const uint8_t *bad;
	const char *nul;
	json_error_t je;
	json_t *root;
	size_t start, i;
	int ret = -1;

	*out = NULL;
	memset(e, 0, sizeof(*e));
	pthread_once(&iter_once, resolve_iter_next);
	if (!iter_next) {
		fail_at(text, 0, 0, "$", e, "jansson's json_object_iter_next@libjansson.so.4 not found");
		goto out;
	}
	if (len > max) {
		fail_at(text, 0, 0, "$", e, "larger than %zu bytes", max);
		goto out;
	}
	/* Checked before jansson, which reads a NUL byte as the end of the
	 * input and so would name something else. */
	path = malloc(HG_JSON_PATH_MAX);
	if (!path) {
		fail_at(text, len, 0, "$", e, "out of memory");
		goto out;
	}
	/* The byte itself is named, in the path of the token holding it. */
	if ((nul = memchr(text, '\0', len))) {
		i = (size_t)(nul - text);
		token_before(text, len, i + 1, &start, path);
		fail_at(text, len, i, path, e, "a NUL byte");
		goto out;
	}
	if ((bad = u8_check((const uint8_t *)text, len))) {
		i = (size_t)((const char *)bad - text);
		token_before(text, len, i + 1, &start, path);
		fail_at(text, len, i, path, e, "invalid UTF-8 (byte 0x%02x)", *bad);
		goto out;
	}
	if (starts(text, len, 0, "\xef\xbb\xbf")) {
		fail_at(text, len, 0, "$", e, "a byte-order mark (U+FEFF): JSON text has none (RFC 8259 §8.1)");
		goto out;
	}
	for (i = 0; i < len && strchr(" \t\r\n", text[i]); i++)
		;
	if (i == len) {
		fail_at(text, len, len, "$", e, "empty: a policy is a JSON object");
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root) {
		*out = root;
		ret = 0;
		goto out;
	}
	/* jansson's position is just past the token it refused. */
	token_before(text, len, je.position > 0 ? (size_t)je.position : 1, &start, path);
	switch (json_error_code(&je)) {
	case json_error_duplicate_key: {
		unsigned l, c;

		/* The locator finds the first key of that path: jansson
		 * compared them decoded, and so does the locator. */
		hg_json_linecol(text, len, hg_json_locate(text, len, path), &l, &c);
		fail_at(text, len, start, path, e, "duplicate key (first at %u:%u)", l, c);
		break;
	}
	case json_error_null_character:
	case json_error_null_byte_in_key:
		fail_at(text, len, start, path, e,
			"\\u0000 in a string: a name would end at the NUL");
		break;
	case json_error_premature_end_of_input:
		fail_at(text, len, len, path, e, "unexpected end of data");
		break;
	case json_error_end_of_input_expected:
		fail_at(text, len, start, "$", e, "data after the top-level value");
		break;
	case json_error_stack_overflow:
		fail_at(text, len, start, path, e, "nested deeper than %d", JSON_PARSER_MAX_DEPTH);
		break;
	case json_error_numeric_overflow:
		fail_at(text, len, start, path, e, "a number out of range");
		break;
	case json_error_out_of_memory:
		fail_at(text, len, start, path, e, "out of memory");
		break;
	default: {
		char why[sizeof(e->reason)];

		syntax_reason(text, len, start, &je, why, sizeof(why));
		fail_at(text, len, start, path, e, "%s", why);
		break;
	}
	}
out:
	free(path);
	return ret;
}
