/* cel.c: see cel.h. */
#include "cel.h"

#include <string.h>

#include "cbor_r.h"
#include "text.h"
#include "uuid.h"

static const char *const kind_names[HG_KIND_MAX] = {
	[HG_KIND_HYPERVISOR] = "hypervisor",
	[HG_KIND_FIRMWARE] = "firmware",
	[HG_KIND_CONFIG] = "config",
	[HG_KIND_IMAGE] = "image",
	[HG_KIND_OVERLAY] = "overlay",
	[HG_KIND_BREAKGLASS] = "breakglass",
};

static int kind_ok(enum hg_kind k)
{
	return k > HG_KIND_NONE && k < HG_KIND_MAX;
}

const char *hg_kind_name(enum hg_kind k)
{
	return kind_ok(k) ? kind_names[k] : "?";
}

enum hg_kind hg_kind_parse(const char *s, size_t n)
{
	for (int k = HG_KIND_NONE + 1; k < HG_KIND_MAX; k++)
		if (strlen(kind_names[k]) == n && !memcmp(kind_names[k], s, n))
			return (enum hg_kind)k;
	return HG_KIND_NONE;
}

int hg_kind_hashed(enum hg_kind k)
{
	return kind_ok(k) && k != HG_KIND_OVERLAY;
}

int hg_kind_is_workload(enum hg_kind k)
{
	return k == HG_KIND_CONFIG || k == HG_KIND_IMAGE || k == HG_KIND_OVERLAY;
}

/* Names are canonical absolute paths (measure records realpath()), the
 * form policies key on, and host-chosen text that is shown to people: it
 * must follow lib/text.h's rule (valid UTF-8, no control, bidi or
 * zero-width character), so that what a reader sees is what the bytes
 * say. Anything else cannot have been written by us. NULL when S is a
 * good name, else why not (static, prefixed for the decoder's message). */
static const char *name_why(const char *s, size_t n)
{
	static const char *const whys[] = {
		[HG_NAME_UTF8] = "content: name " HG_NAME_WHY_UTF8,
		[HG_NAME_C0] = "content: name " HG_NAME_WHY_C0,
		[HG_NAME_C1] = "content: name " HG_NAME_WHY_C1,
		[HG_NAME_BIDI] = "content: name " HG_NAME_WHY_BIDI,
		[HG_NAME_ZW] = "content: name " HG_NAME_WHY_ZW,
		[HG_NAME_SEP] = "content: name " HG_NAME_WHY_SEP,
	};
	enum hg_name_bad b;

	if (n == 0 || s[0] != '/')
		return "content: name is not an absolute path";
	if (n > HG_CEL_MAX_NAME)
		return "content: name is longer than 4096 bytes";
	b = hg_name_class((const uint8_t *)s, n);
	return b == HG_NAME_OK ? NULL : whys[b];
}

static int name_ok(const char *s, size_t n)
{
	return name_why(s, n) == NULL;
}

/* A launch record's domain name: libvirt's name of the VM, shown to
 * people next to its UUID, and the NAME of its config record
 * /etc/libvirt/qemu/NAME.xml (domplan.h hg_domain_config_name), so the
 * same rules: the text rule of lib/text.h, no '/', no leading '.'. */
static const char *domain_why(const char *s, size_t n)
{
	static const char *const whys[] = {
		[HG_NAME_UTF8] = "content: domain " HG_NAME_WHY_UTF8,
		[HG_NAME_C0] = "content: domain " HG_NAME_WHY_C0,
		[HG_NAME_C1] = "content: domain " HG_NAME_WHY_C1,
		[HG_NAME_BIDI] = "content: domain " HG_NAME_WHY_BIDI,
		[HG_NAME_ZW] = "content: domain " HG_NAME_WHY_ZW,
		[HG_NAME_SEP] = "content: domain " HG_NAME_WHY_SEP,
	};
	enum hg_name_bad b;

	if (n == 0 || n > HG_CEL_MAX_DOMAIN)
		return "content: domain is not 1..1024 bytes";
	if (s[0] == '.' || memchr(s, '/', n))
		return "content: domain starts with '.' or contains '/'";
	b = hg_name_class((const uint8_t *)s, n);
	return b == HG_NAME_OK ? NULL : whys[b];
}

static void put_digests(struct cw *w, const struct hg_digests *d)
{
	cw_array(w, d->n);
	for (size_t i = 0; i < d->n; i++) {
		cw_array(w, 2);
		cw_uint(w, d->v[i].alg);
		cw_bytes(w, d->v[i].d, d->v[i].len);
	}
}

/* Wrap CONTENT into a record, computing the bound digests. */
static int put_record(uint64_t recnum, uint32_t pcr, const uint16_t *algs,
		      size_t nalgs, const struct cw *content, struct cw *out)
{
	struct hg_digests d = { 0 };

	if (content->err || pcr > HG_CEL_MAX_PCR || nalgs == 0 ||
	    nalgs > HG_MAX_BANKS)
		return -1;
	for (size_t i = 0; i < nalgs; i++)
		if (hg_hash(algs[i], content->buf, content->len, &d.v[i]) < 0)
			return -1;
	d.n = nalgs;
	cw_map(out, 4);
	cw_uint(out, 0);
	cw_uint(out, recnum);
	cw_uint(out, 1);
	cw_uint(out, pcr);
	cw_uint(out, 3);
	put_digests(out, &d);
	cw_uint(out, HG_CEL_CONTENT_HOSTGATE);
	cw_raw(out, content->buf, content->len);
	return out->err ? -1 : 0;
}

/* The head every file record's content starts with: type, kind, name.
 * NFIELDS is the map's size (3 by path, 5 hashed). */
static void put_file_head(struct cw *c, size_t nfields, enum hg_kind kind,
			  const char *name)
{
	cw_map(c, nfields);
	cw_uint(c, 0);
	cw_uint(c, HG_CT_FILE);
	cw_uint(c, 1);
	cw_textz(c, hg_kind_name(kind));
	cw_uint(c, 2);
	cw_textz(c, name);
}

int hg_cel_encode_file(uint64_t recnum, uint32_t pcr, enum hg_kind kind,
		       const char *name, uint64_t size,
		       const struct hg_digests *file, struct cw *out)
{
	uint16_t algs[HG_MAX_BANKS];
	struct cw c;
	int ret = -1;

	cw_init(&c);
	if (!hg_kind_hashed(kind) || !name_ok(name, strlen(name)) ||
	    file->n == 0 || file->n > HG_MAX_BANKS)
		goto out;
	for (size_t i = 0; i < file->n; i++)
		algs[i] = file->v[i].alg;
	put_file_head(&c, 5, kind, name);
	cw_uint(&c, 3);
	cw_uint(&c, size);
	cw_uint(&c, 4);
	put_digests(&c, file);
	ret = put_record(recnum, pcr, algs, file->n, &c, out);
out:
	cw_free(&c);
	return ret;
}

int hg_cel_encode_path(uint64_t recnum, uint32_t pcr, enum hg_kind kind,
		       const char *name, const uint16_t *algs, size_t nalgs,
		       struct cw *out)
{
	struct cw c;
	int ret = -1;

	cw_init(&c);
	if (kind != HG_KIND_OVERLAY || !name_ok(name, strlen(name)))
		goto out;
	put_file_head(&c, 3, kind, name);
	ret = put_record(recnum, pcr, algs, nalgs, &c, out);
out:
	cw_free(&c);
	return ret;
}

int hg_cel_encode_log_key(uint64_t recnum, uint32_t pcr,
			  const uint16_t *algs, size_t nalgs,
			  const uint8_t *cose_key, size_t key_len,
			  struct cw *out)
{
	struct cw c;
	int ret;

	cw_init(&c);
	cw_map(&c, 2);
	cw_uint(&c, 0);
	cw_uint(&c, HG_CT_LOG_KEY);
	cw_uint(&c, 5);
	cw_raw(&c, cose_key, key_len);
	ret = put_record(recnum, pcr, algs, nalgs, &c, out);
	cw_free(&c);
	return ret;
}

/* The digests D cover exactly the banks ALGS. */
static int same_algs(const struct hg_digests *d, const uint16_t *algs,
		     size_t nalgs)
{
	if (d->n != nalgs)
		return 0;
	for (size_t i = 0; i < nalgs; i++)
		if (!hg_digests_get(d, algs[i]))
			return 0;
	return 1;
}

int hg_cel_encode_launch(uint64_t recnum, uint32_t pcr, const char *domain,
			 const uint8_t *uuid, const struct hg_launch_ref *refs,
			 size_t nrefs, const uint16_t *algs, size_t nalgs,
			 struct cw *out)
{
	struct cw c;
	size_t configs = 0;
	int ret = -1;

	cw_init(&c);
	if (domain_why(domain, strlen(domain)) || nrefs == 0 ||
	    nrefs > HG_CEL_MAX_REFS)
		goto out;
	for (size_t i = 0; i < nrefs; i++) {
		if (refs[i].recnum >= recnum || (i && refs[i].recnum <= refs[i - 1].recnum) ||
		    !hg_kind_is_workload(refs[i].kind) ||
		    !same_algs(&refs[i].digests, algs, nalgs))
			goto out;
		configs += refs[i].kind == HG_KIND_CONFIG;
	}
	if (configs != 1)
		goto out;
	cw_map(&c, 4);
	cw_uint(&c, 0);
	cw_uint(&c, HG_CT_LAUNCH);
	cw_uint(&c, 6);
	cw_textz(&c, domain);
	cw_uint(&c, 7);
	cw_bytes(&c, uuid, HG_UUID_LEN);
	cw_uint(&c, 8);
	cw_array(&c, nrefs);
	for (size_t i = 0; i < nrefs; i++) {
		cw_array(&c, 3);
		cw_uint(&c, refs[i].recnum);
		cw_textz(&c, hg_kind_name(refs[i].kind));
		put_digests(&c, &refs[i].digests);
	}
	ret = put_record(recnum, pcr, algs, nalgs, &c, out);
out:
	cw_free(&c);
	return ret;
}

static int get_digests(struct cr *r, struct hg_digests *d, const char **why)
{
	size_t n, m;
	uint64_t alg;
	const uint8_t *p;

	memset(d, 0, sizeof(*d));
	if (cr_array(r, &n) != CR_OK || n == 0 || n > HG_MAX_BANKS) {
		*why = "digests: not an array of 1..5 [alg, digest] pairs";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct hg_bank *b;

		if (cr_array(r, &m) != CR_OK || m != 2 ||
		    cr_uint(r, &alg) != CR_OK) {
			*why = "digests: entry is not [alg, digest]";
			return -1;
		}
		b = alg <= UINT16_MAX ? hg_bank_by_alg((uint16_t)alg) : NULL;
		if (!b) {
			*why = "digests: unknown hash algorithm";
			return -1;
		}
		if (hg_digests_get(d, (uint16_t)alg)) {
			*why = "digests: algorithm listed twice";
			return -1;
		}
		if (cr_bytes(r, &p, &m) != CR_OK || m != b->size) {
			*why = "digests: digest length does not match algorithm";
			return -1;
		}
		d->v[i].alg = (uint16_t)alg;
		d->v[i].len = (uint8_t)m;
		memcpy(d->v[i].d, p, m);
		d->n++;
	}
	return 0;
}

/* One ref: [recnum, kind, digests]. */
static int get_ref(struct cr *r, struct hg_launch_ref *ref, const char **why)
{
	const char *s;
	size_t m, len;

	memset(ref, 0, sizeof(*ref));
	if (cr_array(r, &m) != CR_OK || m != 3 || cr_uint(r, &ref->recnum) != CR_OK) {
		*why = "content: ref is not [recnum, kind, digests]";
		return -1;
	}
	if (cr_text(r, &s, &len) != CR_OK ||
	    !hg_kind_is_workload(ref->kind = hg_kind_parse(s, len))) {
		*why = "content: ref kind is not config, image or overlay";
		return -1;
	}
	if (get_digests(r, &ref->digests, why) < 0) {
		*why = "content: ref digests are not [[alg, digest], ...] of known banks";
		return -1;
	}
	return 0;
}

/* The refs array: 1..HG_CEL_MAX_REFS refs, recnums strictly ascending
 * (one spelling, no duplicates), exactly one config. The count is
 * checked before anything is read, so a huge declared array costs
 * nothing. */
static int get_refs(struct cr *r, struct hg_cel_rec *out, const char **why)
{
	struct hg_launch_ref ref;
	size_t n, start = r->off, configs = 0;
	uint64_t prev = 0;

	if (cr_array(r, &n) != CR_OK || n == 0 || n > HG_CEL_MAX_REFS) {
		*why = "content: refs is not an array of 1..1024 refs";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (get_ref(r, &ref, why) < 0)
			return -1;
		if (i && ref.recnum <= prev) {
			*why = "content: refs are not in strictly ascending record order";
			return -1;
		}
		prev = ref.recnum;
		configs += ref.kind == HG_KIND_CONFIG;
	}
	if (configs != 1) {
		*why = "content: refs do not name exactly one config";
		return -1;
	}
	out->refs = r->buf + start;
	out->refs_len = r->off - start;
	out->nrefs = n;
	return 0;
}

void hg_cel_refs_init(const struct hg_cel_rec *rec, struct hg_cel_refs *it)
{
	memset(it, 0, sizeof(*it));
	it->p = rec->refs;
	it->len = rec->refs_len;
}

int hg_cel_refs_next(struct hg_cel_refs *it, struct hg_launch_ref *ref)
{
	struct cr r;
	const char *why;
	size_t n;

	if (!it->p)
		return 0;
	cr_init(&r, it->p, it->len);
	r.off = it->off;
	if (it->off == 0) {
		if (cr_array(&r, &n) != CR_OK)
			return -1;
		it->left = n;
	}
	if (it->left == 0)
		return 0;
	if (get_ref(&r, ref, &why) < 0)
		return -1;
	it->off = r.off;
	it->left--;
	return 1;
}

/* Each type has exactly its own fields, and a file record's depend on
 * its kind; HAVE has bit K set for each content key K present. The
 * message names the field at fault. */
static int check_fields(const struct hg_cel_rec *out, unsigned have,
			const char **why)
{
	if (out->type == HG_CT_LOG_KEY) {
		if (have != (1u << 0 | 1u << 5)) {
			*why = "content: log-key record needs exactly the key";
			return -1;
		}
		return 0;
	}
	if (out->type == HG_CT_LAUNCH) {
		if (have != (1u << 0 | 1u << 6 | 1u << 7 | 1u << 8)) {
			*why = "content: launch record needs exactly domain, uuid and refs";
			return -1;
		}
		return 0;
	}
	if (have & (1u << 6 | 1u << 7 | 1u << 8)) {
		*why = "content: file record carries launch fields";
		return -1;
	}
	if (!(have & 1u << 1)) {
		*why = "content: file record has no kind";
		return -1;
	}
	if (!(have & 1u << 2)) {
		*why = "content: file record has no name";
		return -1;
	}
	if (have & 1u << 5) {
		*why = "content: file record carries a log key";
		return -1;
	}
	if (!hg_kind_hashed(out->kind)) {
		if (have & 1u << 3) {
			*why = "content: overlay record has a size (overlays are recorded by path only)";
			return -1;
		}
		if (have & 1u << 4) {
			*why = "content: overlay record has file digests (overlays are recorded by path only)";
			return -1;
		}
		return 0;
	}
	if (!(have & 1u << 3)) {
		*why = "content: file record has no size (only overlay records go without)";
		return -1;
	}
	if (!(have & 1u << 4)) {
		*why = "content: file record has no file digests (only overlay records go without)";
		return -1;
	}
	return 0;
}

static int get_content(struct cr *r, struct hg_cel_rec *out, const char **why)
{
	size_t n, len;
	uint64_t key, v;
	const char *s;
	int64_t prev = -1;
	unsigned have = 0;

	if (cr_map(r, &n) != CR_OK || n < 2 || n > 5) {
		*why = "content: not a map of 2..5 entries";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (cr_uint(r, &key) != CR_OK || (int64_t)key <= prev ||
		    key > 8) {
			*why = "content: key unknown, repeated or out of order";
			return -1;
		}
		prev = (int64_t)key;
		have |= 1u << key;
		if (i == 0 && key != 0) {
			*why = "content: type missing";
			return -1;
		}
		switch (key) {
		case 0:
			if (cr_uint(r, &v) != CR_OK ||
			    (v != HG_CT_LOG_KEY && v != HG_CT_FILE && v != HG_CT_LAUNCH)) {
				*why = "content: unknown type";
				return -1;
			}
			out->type = (enum hg_content_type)v;
			break;
		case 1:
			if (cr_text(r, &s, &len) != CR_OK ||
			    (out->kind = hg_kind_parse(s, len)) == HG_KIND_NONE) {
				*why = "content: unknown kind";
				return -1;
			}
			break;
		case 2:
			if (cr_text(r, &out->name, &out->name_len) != CR_OK) {
				*why = "content: name is not a text string";
				return -1;
			}
			if ((*why = name_why(out->name, out->name_len)) != NULL)
				return -1;
			break;
		case 3:
			if (cr_uint(r, &out->size) != CR_OK) {
				*why = "content: size is not an unsigned integer";
				return -1;
			}
			break;
		case 4:
			if (get_digests(r, &out->file, why) < 0)
				return -1;
			break;
		case 5: {
			size_t start = r->off;

			if (cr_skip(r) != CR_OK) {
				*why = "content: key is not CBOR";
				return -1;
			}
			out->key = r->buf + start;
			out->key_len = r->off - start;
			break;
		}
		case 6:
			if (cr_text(r, &out->domain, &out->domain_len) != CR_OK) {
				*why = "content: domain is not a text string";
				return -1;
			}
			if ((*why = domain_why(out->domain, out->domain_len)) != NULL)
				return -1;
			break;
		case 7: {
			size_t ulen;

			if (cr_bytes(r, &out->uuid, &ulen) != CR_OK || ulen != HG_UUID_LEN) {
				*why = "content: uuid is not a 16-byte string";
				return -1;
			}
			break;
		}
		case 8:
			if (get_refs(r, out, why) < 0)
				return -1;
			break;
		}
	}
	return check_fields(out, have, why);
}

int hg_cel_decode_content(const uint8_t *p, size_t len,
			  struct hg_cel_rec *out, const char **why)
{
	struct cr r;

	memset(out, 0, sizeof(*out));
	cr_init(&r, p, len);
	if (get_content(&r, out, why) < 0)
		return -1;
	if (cr_left(&r) != 0) {
		*why = "trailing bytes after content";
		return -1;
	}
	out->content = p;
	out->content_len = len;
	return 0;
}

int hg_cel_decode(const uint8_t *p, size_t len, struct hg_cel_rec *out,
		  const char **why)
{
	static const uint64_t want[4] = { 0, 1, 3, HG_CEL_CONTENT_HOSTGATE };
	struct cr r;
	size_t n;
	uint64_t key, v;

	memset(out, 0, sizeof(*out));
	cr_init(&r, p, len);
	if (cr_map(&r, &n) != CR_OK || n != 4) {
		*why = "record is not a map of recnum, pcr, digests, content";
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		if (cr_uint(&r, &key) != CR_OK || key != want[i]) {
			*why = "record keys are not 0, 1, 3, 128 in order";
			return -1;
		}
		switch (i) {
		case 0:
			if (cr_uint(&r, &out->recnum) != CR_OK) {
				*why = "recnum is not an unsigned integer";
				return -1;
			}
			break;
		case 1:
			if (cr_uint(&r, &v) != CR_OK || v > HG_CEL_MAX_PCR) {
				*why = "pcr is not in 0..23";
				return -1;
			}
			out->pcr = (uint32_t)v;
			break;
		case 2:
			if (get_digests(&r, &out->digests, why) < 0)
				return -1;
			break;
		case 3:
			out->content = r.buf + r.off;
			if (get_content(&r, out, why) < 0)
				return -1;
			out->content_len = (size_t)(r.buf + r.off - out->content);
			break;
		}
	}
	if (cr_left(&r) != 0) {
		*why = "trailing bytes after record";
		return -1;
	}
	/* The file digests must cover exactly the record's banks. */
	if (out->type == HG_CT_FILE && hg_kind_hashed(out->kind)) {
		if (out->file.n != out->digests.n) {
			*why = "file digests and record digests cover different banks";
			return -1;
		}
		for (size_t i = 0; i < out->digests.n; i++)
			if (!hg_digests_get(&out->file, out->digests.v[i].alg)) {
				*why = "file digests and record digests cover different banks";
				return -1;
			}
	}
	/* A launch record names earlier records only, in its own banks. */
	if (out->type == HG_CT_LAUNCH) {
		struct hg_cel_refs it;
		struct hg_launch_ref ref;
		int rr;

		hg_cel_refs_init(out, &it);
		while ((rr = hg_cel_refs_next(&it, &ref)) == 1) {
			if (ref.recnum >= out->recnum) {
				*why = "launch record refers to a record not before it";
				return -1;
			}
			if (ref.digests.n != out->digests.n) {
				*why = "launch ref digests and record digests cover different banks";
				return -1;
			}
			for (size_t i = 0; i < out->digests.n; i++)
				if (!hg_digests_get(&ref.digests, out->digests.v[i].alg)) {
					*why = "launch ref digests and record digests cover different banks";
					return -1;
				}
		}
		if (rr < 0) {
			*why = "content: refs do not decode";
			return -1;
		}
	}
	/* The binding that makes the quote vouch for the content. */
	for (size_t i = 0; i < out->digests.n; i++) {
		struct hg_digest h;

		if (hg_hash(out->digests.v[i].alg, out->content,
			    out->content_len, &h) < 0 ||
		    memcmp(h.d, out->digests.v[i].d, h.len)) {
			*why = "digest does not match the record content";
			return -1;
		}
	}
	return 0;
}
