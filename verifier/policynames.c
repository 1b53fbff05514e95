/* policynames.c: see policynames.h. */
#include "policynames.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

const char *hg_policy_name_why(const char *name)
{
	size_t n = strlen(name);

	if (name[0] != '/')
		return "name is not an absolute path";
	if (n > HG_CEL_MAX_NAME)
		return "name longer than 4096 bytes: the log cannot carry it";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return "a control character in the name: the log cannot carry it";
	/* Characters that show as nothing or reorder what follows: a name
	 * with one displays as another name (U+200B after "qemu", U+202E). */
	for (const uint8_t *q = (const uint8_t *)name; q && *q;) {
		ucs4_t uc;

		q = u8_next(&uc, q);
		if (!q)
			break;   /* not UTF-8: the parser refused it already */
		if (uc >= 0x80 && uc <= 0x9f)
			return "a control character in the name: the log cannot carry it";
		if (uc_is_property_default_ignorable_code_point(uc) || uc_is_property_bidi_control(uc))
			return "an invisible or direction-changing character in the name: it displays as another name";
	}
	if (n > 1 && name[n - 1] == '/')
		return "not a canonical path (as the log records it): a trailing \"/\"";
	if (strstr(name, "//"))
		return "not a canonical path (as the log records it): an empty component \"//\"";
	for (const char *q = name; (q = strchr(q, '/')); q++) {
		size_t k = strcspn(q + 1, "/");

		if ((k == 1 && q[1] == '.') || (k == 2 && q[1] == '.' && q[2] == '.'))
			return "not a canonical path (as the log records it): a \".\" or \"..\" component";
	}
	return NULL;
}

struct nfc_name {
	uint8_t *nfc;          /* the name in NFC; not NUL-terminated */
	size_t len;
	size_t idx;            /* in p->entries */
};

static int cmp_nfc(const void *a, const void *b)
{
	const struct nfc_name *x = a, *y = b;
	int r = memcmp(x->nfc, y->nfc, x->len < y->len ? x->len : y->len);

	if (r)
		return r;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int hg_policy_names_clash(const struct hg_policy *p, size_t *a, size_t *b)
{
	struct nfc_name *v = calloc(p->n ? p->n : 1, sizeof(*v));
	int ret = -1;

	if (!v)
		return -1;
	for (size_t i = 0; i < p->n; i++) {
		const char *nm = p->entries[i].name;
		size_t n = strlen(nm), k;

		/* ASCII is its own NFC. */
		for (k = 0; k < n && !((unsigned char)nm[k] & 0x80); k++)
			;
		v[i].idx = i;
		if (k == n) {
			v[i].nfc = (uint8_t *)strdup(nm);
			v[i].len = n;
		} else {
			v[i].nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)nm, n, NULL, &v[i].len);
		}
		if (!v[i].nfc)
			goto out;
	}
	qsort(v, p->n, sizeof(*v), cmp_nfc);
	ret = 0;
	for (size_t i = 1; i < p->n && !ret; i++) {
		if (v[i - 1].len == v[i].len && !memcmp(v[i - 1].nfc, v[i].nfc, v[i].len)) {
			*a = v[i - 1].idx;
			*b = v[i].idx;
			ret = 1;
		}
	}
out:
	for (size_t i = 0; i < p->n; i++)
		free(v[i].nfc);
	free(v);
	return ret;
}
