/* policy.c: see policy.h. */
#include "policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "../lib/util.h"
#include "jsonstrict.h"
#include "policynames.h"

/* The kinds, as a message. It keeps the words it had before overlay and
 * breakglass existed: scripts match on them (t_tamper.sh). */
#define KIND_LIST "not hypervisor, firmware, config or image, nor overlay or breakglass"

struct ctx {
	const char *file;
	const char *text;   /* the policy, to locate an error (jsonstrict.h) */
	size_t len;
	char path[HG_JSON_PATH_MAX];
};

static int perr(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static size_t push(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "FILE:LINE:COL: PATH: MSG", LINE:COL at the value (or key) PATH names,
 * or at AT's when AT is not NULL (an unknown key: the path is its object,
 * the place the key). */
static int perr_at(struct ctx *c, const char *at, const char *fmt, va_list ap)
{
	char msg[512], shown[HG_JSON_PATH_SHOW];
	unsigned line, col;
	size_t off;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	off = hg_json_locate(c->text, c->len, at ? at : c->path);
	hg_json_linecol(c->text, c->len, off, &line, &col);
	hg_err("%s:%u:%u: %s: %s", c->file, line, col, hg_json_path_show(c->path, shown), msg);
	return -1;
}

static int perr_loc(struct ctx *c, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr_loc(struct ctx *c, const char *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	perr_at(c, at, fmt, ap);
	va_end(ap);
	return -1;
}

static int perr(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	perr_at(c, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

/* Push a path component; returns the old length for pop(). */
static size_t push(struct ctx *c, const char *fmt, ...)
{
	size_t old = strlen(c->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap);
	va_end(ap);
	return old;
}

/* Push object key KEY as the locator writes it: .key or ["key"]. */
static size_t push_key(struct ctx *c, const char *key)
{
	size_t old = strlen(c->path);

	hg_json_path_key(c->path, sizeof(c->path), key);
	return old;
}

static void pop(struct ctx *c, size_t old)
{
	c->path[old] = '\0';
}

/* An unknown KEY of the object at c->path: the message names the object
 * (as it always has) and points at the key. */
static int unknown_key(struct ctx *c, const char *key)
{
	char at[HG_JSON_PATH_MAX], shown[HG_JSON_PATH_MAX] = "";

	snprintf(at, sizeof(at), "%s", c->path);
	hg_json_path_key(at, sizeof(at), key);
	/* The key quoted, its control characters escaped: ["k"] -> "k". */
	hg_json_path_key(shown, sizeof(shown), key);
	if (shown[0] == '.')
		return perr_loc(c, at, "unknown key \"%s\"", shown + 1);
	shown[strlen(shown) - 1] = '\0';
	return perr_loc(c, at, "unknown key %s", shown + 1);
}

static int only_keys(struct ctx *c, json_t *o, const char *const *allowed)
{
	const char *key;
	json_t *val;

	hg_jobj_foreach(o, key, val) {
		int ok = 0;

		(void)val;
		for (size_t i = 0; allowed[i]; i++)
			ok |= !strcmp(key, allowed[i]);
		if (!ok)
			return unknown_key(c, key);
	}
	return 0;
}

/* Lowercase hex only: one spelling per digest, so that a digest searched
 * for (a revoked build's, say) is found wherever a policy lists it. */
static int parse_hex_digest(struct ctx *c, json_t *v, size_t size,
			    uint8_t *out)
{
	uint8_t *buf = NULL;
	size_t len;
	const char *s;

	if (!json_is_string(v))
		return perr(c, "%s", "not a string");
	s = json_string_value(v);
	if (hg_hex_decode(s, HG_MAX_DIGEST, &buf, &len) < 0 || len != size) {
		free(buf);
		return perr(c, "not %zu hex digits", 2 * size);
	}
	if (strpbrk(s, "ABCDEF")) {
		free(buf);
		return perr(c, "%s", "uppercase hex: write digests in lowercase");
	}
	memcpy(out, buf, len);
	free(buf);
	return 0;
}

static int parse_banks(struct ctx *c, json_t *arr, struct hg_policy *p)
{
	size_t old;

	if (!json_is_array(arr) ||
	    json_array_size(arr) == 0 ||
	    json_array_size(arr) > HG_MAX_BANKS)
		return perr(c, "%s", "not an array of 1..5 bank names");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *v = json_array_get(arr, i);
		const struct hg_bank *b;
		char idx[24];

		snprintf(idx, sizeof(idx), "[%zu]", i);
		old = push(c, "%s", idx);
		if (!json_is_string(v) ||
		    !(b = hg_bank_by_name(json_string_value(v))))
			return perr(c, "%s", "not sha1, sha256, sha384 or sha512");
		if (hg_policy_accepts_bank(p, b->alg))
			return perr(c, "%s", "bank listed twice");
		p->banks[p->nbanks++] = b->alg;
		pop(c, old);
	}
	return 0;
}

/* VAL, an array of 1..4096 hex digests of bank B, into D (which owns
 * what is allocated here, even on failure). */
static int parse_digest_list(struct ctx *c, const struct hg_bank *b,
			     json_t *val, struct hg_policy_digests *d)
{
	size_t n;

	if (!json_is_array(val) ||
	    (n = json_array_size(val)) == 0 || n > 4096)
		return perr(c, "%s", "not an array of 1..4096 hex digests");
	d->alg = b->alg;
	d->d = calloc(n, sizeof(*d->d));
	if (!d->d)
		return perr(c, "%s", "out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t old = push(c, "[%zu]", i);

		if (parse_hex_digest(c, json_array_get(val, i),
				     b->size, d->d[i]) < 0)
			return -1;
		d->n++;
		pop(c, old);
	}
	return 0;
}

static int parse_entry(struct ctx *c, enum hg_kind kind, const char *name,
		       json_t *o, struct hg_policy_entry *e)
{
	const char *key;
	json_t *val;

	e->kind = kind;
	e->required = 1;
	e->name = strdup(name);
	if (!e->name)
		return perr(c, "%s", "out of memory");
	if (!json_is_object(o))
		return perr(c, "%s", hg_kind_hashed(kind)
			    ? "not an object of digests per bank"
			    : "not an object: {} or {\"required\": true|false}");
	hg_jobj_foreach(o, key, val) {
		const struct hg_bank *b;
		size_t old = push_key(c, key);

		if (!strcmp(key, "required")) {
			if (!json_is_boolean(val))
				return perr(c, "%s", "not true or false");
			e->required = json_is_true(val);
			pop(c, old);
			continue;
		}
		/* An overlay's bytes change while its VM runs, so the log
		 * records its path only (cel.h): a digest here could never
		 * match, and would read as if it were checked. */
		if (!hg_kind_hashed(kind))
			return perr(c, "%s", "an overlay is recorded by path only: its entry takes no digests, only \"required\"");
		if (!(b = hg_bank_by_name(key)))
			return perr(c, "%s", "not a bank name (sha1, sha256, sha384, sha512) or \"required\"");
		if (parse_digest_list(c, b, val, &e->banks[e->nbanks++]) < 0)
			return -1;
		pop(c, old);
	}
	if (e->nbanks == 0 && hg_kind_hashed(kind))
		return perr(c, "%s", "no digests");
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct hg_policy_entry *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Two entries that name one file (policynames.h) are refused, naming
 * the second and the first. */
static int one_entry_per_file(struct ctx *c, const struct hg_policy *p)
{
	const struct hg_policy_entry *x, *y;
	char other[HG_JSON_PATH_MAX] = "";
	size_t a, b, off;
	int r = hg_policy_names_clash(p, &a, &b);

	if (r <= 0)
		return r < 0 ? perr(c, "%s", "out of memory") : 0;
	x = &p->entries[a];
	y = &p->entries[b];
	/* Name the one written last: the first reads as the rule. */
	strcpy(c->path, "$.measurements");
	push_key(c, hg_kind_name(x->kind));
	push_key(c, x->name);
	off = hg_json_locate(c->text, c->len, c->path);
	strcpy(c->path, "$.measurements");
	push_key(c, hg_kind_name(y->kind));
	push_key(c, y->name);
	if (hg_json_locate(c->text, c->len, c->path) < off) {
		const struct hg_policy_entry *t = x;

		x = y;
		y = t;
	}
	strcpy(c->path, "$.measurements");
	push_key(c, hg_kind_name(y->kind));
	push_key(c, y->name);
	if (x->kind != y->kind)
		return perr(c, "also listed under %s: a path names one file, of one kind",
			    hg_kind_name(x->kind));
	hg_json_path_key(other, sizeof(other), x->name);
	return perr(c, "the same name as %s once Unicode-normalised (NFC): two entries that look alike",
		    other);
}

static int parse_measurements(struct ctx *c, json_t *o, struct hg_policy *p)
{
	const char *k1, *kind, *name, *why;
	json_t *v1, *names, *entry;
	size_t total = 0;

	if (!json_is_object(o))
		return perr(c, "%s", "not an object of kinds");
	hg_jobj_foreach(o, k1, v1) {
		if (hg_kind_parse(k1, strlen(k1)) == HG_KIND_NONE) {
			size_t old = push_key(c, k1);

			(void)old;
			return perr(c, "%s", KIND_LIST);
		}
		if (!json_is_object(v1)) {
			push_key(c, k1);
			return perr(c, "%s", "not an object of names");
		}
		total += (size_t)json_object_size(v1);
	}
	p->entries = calloc(total ? total : 1, sizeof(*p->entries));
	if (!p->entries)
		return perr(c, "%s", "out of memory");
	hg_jobj_foreach(o, kind, names) {
		enum hg_kind k = hg_kind_parse(kind, strlen(kind));

		hg_jobj_foreach(names, name, entry) {
			size_t old = push_key(c, kind);

			push_key(c, name);
			if ((why = hg_policy_name_why(name)))
				return perr(c, "%s", why);
			if (parse_entry(c, k, name, entry, &p->entries[p->n++]) < 0)
				return -1;
			pop(c, old);
		}
	}
	qsort(p->entries, p->n, sizeof(*p->entries), cmp_entry);
	if (hg_policy_index(p) < 0)
		return perr(c, "%s", "out of memory");
	return one_entry_per_file(c, p);
}

static int parse_unknown(struct ctx *c, json_t *o, struct hg_policy *p)
{
	const char *kind;
	json_t *v;

	if (!json_is_object(o))
		return perr(c, "%s", "not an object of kind: allow|deny");
	hg_jobj_foreach(o, kind, v) {
		enum hg_kind k = hg_kind_parse(kind, strlen(kind));
		size_t old = push_key(c, kind);
		const char *s;

		if (k == HG_KIND_NONE)
			return perr(c, "%s", KIND_LIST);
		s = json_is_string(v) ? json_string_value(v) : "";
		if (strcmp(s, "allow") && strcmp(s, "deny"))
			return perr(c, "%s", "not \"allow\" or \"deny\"");
		p->allow_unknown[k] = !strcmp(s, "allow");
		pop(c, old);
	}
	return 0;
}

static int parse_pcrs(struct ctx *c, json_t *o, struct hg_policy *p)
{
	const char *bank, *idx;
	json_t *vals, *v;

	if (!json_is_object(o))
		return perr(c, "%s", "not an object of banks");
	hg_jobj_foreach(o, bank, vals) {
		const struct hg_bank *b = hg_bank_by_name(bank);
		size_t old = push_key(c, bank);

		if (!b)
			return perr(c, "%s", "not a bank name");
		if (!json_is_object(vals))
			return perr(c, "%s", "not an object of PCR index: hex value");
		hg_jobj_foreach(vals, idx, v) {
			unsigned long pcr;
			struct hg_pcr_value *pv;
			size_t o2 = push_key(c, idx);

			/* Canonical decimal only: "01" and "1" must not name
			 * one PCR twice. */
			if (hg_parse_uint(idx, HG_NUM_PCRS - 1, &pcr) < 0 ||
			    (idx[0] == '0' && idx[1]))
				return perr(c, "%s", "not a PCR index 0..23");
			if (p->pcrs.n >= HG_MAX_PCR_VALUES)
				return perr(c, "%s", "too many PCR values");
			pv = &p->pcrs.v[p->pcrs.n];
			pv->alg = b->alg;
			pv->pcr = (uint8_t)pcr;
			pv->len = (uint8_t)b->size;
			if (parse_hex_digest(c, v, b->size, pv->d) < 0)
				return -1;
			p->pcrs.n++;
			pop(c, o2);
		}
		pop(c, old);
	}
	return 0;
}

static const char *const fw_list_names[HG_FW_NLISTS] = {
	[HG_FW_BOOT_APPS] = "boot_apps", [HG_FW_PK] = "pk", [HG_FW_KEK] = "kek",
	[HG_FW_DB] = "db", [HG_FW_DBX] = "dbx",
};

const char *hg_policy_fw_list_name(enum hg_fw_list l)
{
	return l < HG_FW_NLISTS ? fw_list_names[l] : "?";
}

static int parse_fw_list(struct ctx *c, json_t *o, struct hg_policy_fwlist *l)
{
	const char *bank;
	json_t *val;

	if (!json_is_object(o))
		return perr(c, "%s", "not an object of digests per bank, e.g. {\"sha256\": [...]}");
	hg_jobj_foreach(o, bank, val) {
		const struct hg_bank *b = hg_bank_by_name(bank);
		size_t old = push_key(c, bank);

		if (!b)
			return perr(c, "%s", "not a bank name (sha1, sha256, sha384, sha512)");
		if (parse_digest_list(c, b, val, &l->banks[l->nbanks++]) < 0)
			return -1;
		pop(c, old);
	}
	if (l->nbanks == 0)
		return perr(c, "%s", "no digests");
	return 0;
}

static int parse_firmware(struct ctx *c, json_t *o, struct hg_policy_firmware *fw)
{
	const char *key;
	json_t *val;
	static const char *const keys[] = { "secure_boot", "boot_apps", "pk", "kek", "db",
					    "dbx", "digest_mismatches", NULL };

	if (!json_is_object(o))
		return perr(c, "%s", "not an object of firmware rules");
	if (only_keys(c, o, keys) < 0)
		return -1;
	fw->present = 1;
	hg_jobj_foreach(o, key, val) {
		size_t old = push_key(c, key);
		int l = 0;

		if (!strcmp(key, "secure_boot")) {
			if (!json_is_boolean(val))
				return perr(c, "%s", "not true (require enabled) or false (require disabled)");
			fw->secure_boot = json_is_true(val) ? HG_FW_SB_ENABLED
								       : HG_FW_SB_DISABLED;
		} else if (!strcmp(key, "digest_mismatches")) {
			const char *s = json_is_string(val)
						? json_string_value(val) : "";

			if (strcmp(s, "allow") && strcmp(s, "deny"))
				return perr(c, "%s", "not \"allow\" or \"deny\"");
			fw->allow_digest_mismatches = !strcmp(s, "allow");
		} else {
			while (strcmp(key, fw_list_names[l]))
				l++;   /* only_keys() let only the names through */
			if (parse_fw_list(c, val, &fw->list[l]) < 0)
				return -1;
		}
		pop(c, old);
	}
	return 0;
}

/* "ek_certificates": {"allow_expired": bool, "allow_any_eku": bool}: the
 * exceptions enrollment may make to the EK certificate rules
 * (verifier/ekverify.h). Both default to false; only true relaxes. */
static int parse_ekc(struct ctx *c, json_t *o, struct hg_policy_ekc *e)
{
	static const char *const keys[] = { "allow_expired", "allow_any_eku", NULL };
	int *dst[] = { &e->allow_expired, &e->allow_any_eku };

	if (!json_is_object(o))
		return perr(c, "%s", "not an object");
	if (only_keys(c, o, keys) < 0)
		return -1;
	for (size_t i = 0; keys[i]; i++) {
		json_t *v;

		if (!(v = hg_jobj_get(o, keys[i])))
			continue;
		if (!json_is_boolean(v)) {
			size_t old = push(c, ".%s", keys[i]);
			int r = perr(c, "%s", "not true or false");

			pop(c, old);
			return r;
		}
		*dst[i] = json_is_true(v);
	}
	return 0;
}

int hg_policy_parse(const char *name, const char *text, size_t len,
		    struct hg_policy *p)
{
	static const char *const top[] = { "version", "banks", "pcr", "unknown",
					   "measurements", "pcrs", "firmware", "comment",
					   "ek_certificates", "domains", NULL };
	struct ctx c = { .file = name, .text = text, .len = len };
	struct hg_json_err *je = NULL;
	json_t *root = NULL, *v;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	p->pcr = 13;
	strcpy(c.path, "$");
	je = malloc(sizeof(*je));
	if (!je) {
		hg_err("%s: out of memory", name);
		goto out;
	}
	if (hg_json_strict_parse(text, len, HG_POLICY_MAX_SIZE, &root, je) < 0) {
		char shown[HG_JSON_PATH_SHOW];

		hg_err("%s:%u:%u: %s: %s", name, je->line, je->column,
		       hg_json_path_show(je->path, shown), je->reason);
		goto out;
	}
	if (!json_is_object(root)) {
		perr(&c, "%s", "policy is not a JSON object");
		goto out;
	}
	if (only_keys(&c, root, top) < 0)
		goto out;
	/* Notes are text: a "comment" that is an object could hide a
	 * section a reader takes for the real one. */
	strcpy(c.path, "$.comment");
	if ((v = hg_jobj_get(root, "comment")) && !json_is_string(v)) {
		perr(&c, "%s", "not a string");
		goto out;
	}
	strcpy(c.path, "$");
	if (!(v = hg_jobj_get(root, "version")) ||
	    !json_is_integer(v) || json_integer_value(v) != HG_POLICY_VERSION) {
		strcpy(c.path, "$.version");
		perr(&c, "%s", "missing or not 1");
		goto out;
	}
	p->version = HG_POLICY_VERSION;
	strcpy(c.path, "$.banks");
	if (!(v = hg_jobj_get(root, "banks"))) {
		perr(&c, "%s", "missing: list the accepted PCR banks, e.g. [\"sha256\"]");
		goto out;
	}
	if (parse_banks(&c, v, p) < 0)
		goto out;
	strcpy(c.path, "$.pcr");
	if ((v = hg_jobj_get(root, "pcr"))) {
		json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;

		if (n < 0 || n > 15) {
			perr(&c, "%s", "not a PCR index 0..15");
			goto out;
		}
		p->pcr = (uint32_t)n;
	}
	strcpy(c.path, "$.unknown");
	if ((v = hg_jobj_get(root, "unknown")) && parse_unknown(&c, v, p) < 0)
		goto out;
	strcpy(c.path, "$.measurements");
	if ((v = hg_jobj_get(root, "measurements")) &&
	    parse_measurements(&c, v, p) < 0)
		goto out;
	strcpy(c.path, "$.pcrs");
	if ((v = hg_jobj_get(root, "pcrs")) && parse_pcrs(&c, v, p) < 0)
		goto out;
	strcpy(c.path, "$.firmware");
	if ((v = hg_jobj_get(root, "firmware")) && parse_firmware(&c, v, &p->fw) < 0)
		goto out;
	strcpy(c.path, "$.ek_certificates");
	if ((v = hg_jobj_get(root, "ek_certificates")) && parse_ekc(&c, v, &p->ekc) < 0)
		goto out;
	if ((v = hg_jobj_get(root, "domains"))) {
		char why[320];

		if (hg_policy_domains_parse(v, &p->domains, why, sizeof(why)) < 0) {
			hg_err("%s: %s", name, why);
			goto out;
		}
	}
	ret = 0;
out:
	json_decref(root);
	free(je);
	if (ret < 0)
		hg_policy_free(p);
	return ret;
}

int hg_policy_load(const char *path, struct hg_policy *p)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	memset(p, 0, sizeof(*p));
	if (hg_read_file(path, HG_POLICY_MAX_SIZE, 0, &buf, &len) < 0) {
		hg_err("%s: %s", path, errno == EFBIG ? "policy larger than 16 MiB"
						      : hg_strerror_read(errno));
		return -1;
	}
	ret = hg_policy_parse(path, (const char *)buf, len, p);
	free(buf);
	return ret;
}
