/* diffpol.c: see diffpol.h. */
#define _GNU_SOURCE
#include "diffpol.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/text.h"
#include "../lib/util.h"
#include "diffpol_int.h"

const uint16_t dp_bank_order[DP_NBANK] = {
	HG_ALG_SHA1, HG_ALG_SHA256, HG_ALG_SHA384, HG_ALG_SHA512,
};

FILE *dp_line_open(struct dp_line *l)
{
	l->buf = NULL;
	l->len = 0;
	l->f = open_memstream(&l->buf, &l->len);
	return l->f;
}

/* Append a difference: OBJ and the line L (both taken, even on error). */
void dp_emit(struct hv_diffs *d, json_object *obj, struct dp_line *l)
{
	int ok = l->f != NULL;

	if (l->f && fclose(l->f) != 0)
		ok = 0;
	l->f = NULL;
	if (ok && obj && d->n == d->cap) {
		size_t ncap = d->cap ? 2 * d->cap : 16;
		json_object **no = realloc(d->obj, ncap * sizeof(*no));
		char **nl;

		if (no)
			d->obj = no;
		nl = no ? realloc(d->line, ncap * sizeof(*nl)) : NULL;
		if (nl) {
			d->line = nl;
			d->cap = ncap;
		}
		ok = no && nl;
	}
	if (!ok || !obj || !l->buf) {
		d->oom = 1;
		json_object_put(obj);
		free(l->buf);
		return;
	}
	d->obj[d->n] = obj;
	d->line[d->n] = l->buf;
	d->n++;
}

const char *dp_bank_name(uint16_t alg)
{
	const struct hg_bank *b = hg_bank_by_alg(alg);

	return b ? b->name : "?";
}

json_object *dp_hexj(const uint8_t *p, size_t n)
{
	char hex[2 * HG_MAX_DIGEST + 1];

	hg_hex_encode(p, n < HG_MAX_DIGEST ? n : HG_MAX_DIGEST, hex);
	return json_object_new_string(hex);
}

void dp_put_hex(FILE *f, const uint8_t *p, size_t n)
{
	char hex[2 * HG_MAX_DIGEST + 1];

	hg_hex_encode(p, n < HG_MAX_DIGEST ? n : HG_MAX_DIGEST, hex);
	fputs(hex, f);
}

/* Policy names come from a JSON file: shown through the one escaper
 * (lib/text.h), as show does for log names. */
static void put_name(FILE *f, const char *s)
{
	char *e = hg_escape((const uint8_t *)s, strlen(s));

	fputs(e ? e : "?", f);
	free(e);
}

json_object *dp_diff_obj(const char *what, const char *change)
{
	json_object *o = json_object_new_object();

	if (o) {
		json_object_object_add(o, "what", json_object_new_string(what));
		json_object_object_add(o, "change", json_object_new_string(change));
	}
	return o;
}

static void add_entry_keys(json_object *o, const struct hg_policy_entry *e)
{
	if (!o)
		return;
	json_object_object_add(o, "kind", json_object_new_string(hg_kind_name(e->kind)));
	json_object_object_add(o, "name", json_object_new_string(e->name));
}

/* "old" and "new", in that order, each an array (the caller fills). */
void dp_add_old_new(json_object *o, json_object **old, json_object **new)
{
	*old = json_object_new_array();
	*new = json_object_new_array();
	if (o) {
		json_object_object_add(o, "old", *old);
		json_object_object_add(o, "new", *new);
	} else {
		json_object_put(*old);
		json_object_put(*new);
		*old = *new = NULL;
	}
}

static const struct hg_policy_digests *entry_bank(const struct hg_policy_entry *e,
						  uint16_t alg)
{
	for (size_t i = 0; i < e->nbanks; i++)
		if (e->banks[i].alg == alg)
			return &e->banks[i];
	return NULL;
}

static int has_digest(const struct hg_policy_digests *pd, size_t upto,
		      const uint8_t *d, size_t len)
{
	for (size_t i = 0; pd && i < upto && i < pd->n; i++)
		if (!memcmp(pd->d[i], d, len))
			return 1;
	return 0;
}

static void put_banks(FILE *f, json_object *arr, const struct hg_policy *p)
{
	for (size_t i = 0; i < p->nbanks; i++) {
		fprintf(f, "%s%s", i ? "," : "", dp_bank_name(p->banks[i]));
		json_object_array_add(arr, json_object_new_string(dp_bank_name(p->banks[i])));
	}
}

static void diff_banks(struct dp_ctx *c)
{
	const struct hg_policy *a = c->a, *b = c->b;
	json_object *o, *old, *new;
	struct dp_line l;
	int same = a->nbanks == b->nbanks;

	for (size_t i = 0; same && i < a->nbanks; i++)
		same = hg_policy_accepts_bank(b, a->banks[i]);
	if (same)
		return;
	o = dp_diff_obj("banks", "changed");
	dp_add_old_new(o, &old, &new);
	if (dp_line_open(&l)) {
		fputs("~ banks: ", l.f);
		put_banks(l.f, old, a);
		fputs(" " ARROW " ", l.f);
		put_banks(l.f, new, b);
		if (c->quoted)
			fputs(" (policy " ARROW " this host)", l.f);
	}
	dp_emit(c->d, o, &l);
}

static void diff_pcr_index(struct dp_ctx *c)
{
	json_object *o, *old, *new;
	struct dp_line l;

	if (c->a->pcr == c->b->pcr)
		return;
	o = dp_diff_obj("pcr-index", "changed");
	dp_add_old_new(o, &old, &new);
	json_object_array_add(old, json_object_new_int((int)c->a->pcr));
	json_object_array_add(new, json_object_new_int((int)c->b->pcr));
	if (dp_line_open(&l))
		fprintf(l.f, "~ hostgate pcr: %u " ARROW " %u%s", c->a->pcr, c->b->pcr,
			c->quoted ? " (policy " ARROW " the PCR this host's log extends)" : "");
	dp_emit(c->d, o, &l);
}

/* The enrollment exceptions (policies/README.md "ek_certificates"): a
 * relaxed rule is a change a reviewer must see. */
static void diff_ekc(struct dp_ctx *c)
{
	static const char *const key[] = { "allow_expired", "allow_any_eku" };
	const int va[] = { c->a->ekc.allow_expired, c->a->ekc.allow_any_eku };
	const int vb[] = { c->b->ekc.allow_expired, c->b->ekc.allow_any_eku };

	for (size_t i = 0; i < 2; i++) {
		json_object *o, *old, *new;
		struct dp_line l;

		if (va[i] == vb[i])
			continue;
		o = dp_diff_obj("ek_certificates", "changed");
		if (o)
			json_object_object_add(o, "rule", json_object_new_string(key[i]));
		dp_add_old_new(o, &old, &new);
		json_object_array_add(old, json_object_new_boolean(va[i]));
		json_object_array_add(new, json_object_new_boolean(vb[i]));
		if (dp_line_open(&l))
			fprintf(l.f, "~ ek_certificates %s: %s " ARROW " %s", key[i],
				va[i] ? "true" : "false", vb[i] ? "true" : "false");
		dp_emit(c->d, o, &l);
	}
}

static void diff_unknown(struct dp_ctx *c)
{
	for (int k = HG_KIND_NONE + 1; k < HG_KIND_MAX; k++) {
		int va = c->a->allow_unknown[k], vb = c->b->allow_unknown[k];
		json_object *o, *old, *new;
		struct dp_line l;

		if (va == vb)
			continue;
		o = dp_diff_obj("unknown", "changed");
		if (o)
			json_object_object_add(o, "kind", json_object_new_string(
						      hg_kind_name((enum hg_kind)k)));
		dp_add_old_new(o, &old, &new);
		json_object_array_add(old, json_object_new_string(va ? "allow" : "deny"));
		json_object_array_add(new, json_object_new_string(vb ? "allow" : "deny"));
		if (dp_line_open(&l))
			fprintf(l.f, "~ unknown %s: %s " ARROW " %s",
				hg_kind_name((enum hg_kind)k), va ? "allow" : "deny",
				vb ? "allow" : "deny");
		dp_emit(c->d, o, &l);
	}
}

/* An entry only one side has: its digests as "bank:hex", banks in order. */
static void diff_only(struct dp_ctx *c, const struct hg_policy_entry *e, int in_a)
{
	int host = c->quoted != NULL, policy_side = in_a || !host;
	json_object *o, *old, *new, *list;
	struct dp_line l;

	o = dp_diff_obj("measurement", in_a ? "removed" : "added");
	add_entry_keys(o, e);
	dp_add_old_new(o, &old, &new);
	list = in_a ? old : new;
	if (o && policy_side)
		json_object_object_add(o, "required", json_object_new_boolean(e->required));
	if (dp_line_open(&l)) {
		fprintf(l.f, "%c %s ", in_a ? '-' : '+', hg_kind_name(e->kind));
		put_name(l.f, e->name);
	}
	for (size_t k = 0; k < DP_NBANK; k++) {
		const struct hg_policy_digests *pd = entry_bank(e, dp_bank_order[k]);
		size_t size = hg_bank_by_alg(dp_bank_order[k])->size;

		for (size_t i = 0; pd && i < pd->n; i++) {
			char s[16 + 2 * HG_MAX_DIGEST + 1];
			size_t n = (size_t)snprintf(s, sizeof(s), "%s:", dp_bank_name(pd->alg));

			hg_hex_encode(pd->d[i], size, s + n);
			json_object_array_add(list, json_object_new_string(s));
			if (l.f)
				fprintf(l.f, " %s", s);
		}
	}
	if (l.f) {
		if (!host)
			fprintf(l.f, " (only in %s%s)", in_a ? "A" : "B",
				e->required ? "" : ", optional");
		else if (in_a)
			fprintf(l.f, ": not measured on this host%s",
				e->required ? "" : " (optional in the policy)");
		else if (c->a->allow_unknown[e->kind])
			fprintf(l.f, ": measured on this host but not in the policy"
				     " (which allows unknown %s)", hg_kind_name(e->kind));
		else
			fputs(": measured on this host but not in the policy", l.f);
	}
	dp_emit(c->d, o, &l);
}

/* The digests of PD that OTHER lacks, each once; returns how many. */
size_t dp_lacking(const struct hg_policy_digests *pd,
		      const struct hg_policy_digests *other, size_t size,
		      json_object *arr, FILE *f)
{
	size_t n = 0;

	for (size_t i = 0; pd && i < pd->n; i++) {
		if (has_digest(other, SIZE_MAX, pd->d[i], size) ||
		    has_digest(pd, i, pd->d[i], size))
			continue;
		if (n++)
			fputc(' ', f);
		json_object_array_add(arr, dp_hexj(pd->d[i], size));
		dp_put_hex(f, pd->d[i], size);
	}
	return n;
}

static void diff_both(struct dp_ctx *c, const struct hg_policy_entry *ea,
		      const struct hg_policy_entry *eb)
{
	int host = c->quoted != NULL;

	if (!host && ea->required != eb->required) {
		json_object *o = dp_diff_obj("required", "changed"), *old, *new;
		struct dp_line l;

		add_entry_keys(o, ea);
		dp_add_old_new(o, &old, &new);
		json_object_array_add(old, json_object_new_boolean(ea->required));
		json_object_array_add(new, json_object_new_boolean(eb->required));
		if (dp_line_open(&l)) {
			fprintf(l.f, "~ %s ", hg_kind_name(ea->kind));
			put_name(l.f, ea->name);
			fprintf(l.f, ": %s " ARROW " %s", ea->required ? "required" : "optional",
				eb->required ? "required" : "optional");
		}
		dp_emit(c->d, o, &l);
	}
	for (size_t k = 0; k < DP_NBANK; k++) {
		uint16_t alg = dp_bank_order[k];
		const struct hg_policy_digests *pa = entry_bank(ea, alg);
		const struct hg_policy_digests *pb = entry_bank(eb, alg);
		size_t size = hg_bank_by_alg(alg)->size, nrem, nadd;
		char *sold = NULL, *snew = NULL;
		size_t lold = 0, lnew = 0;
		FILE *fold, *fnew;
		json_object *o, *old, *new;
		struct dp_line l;

		if (!pa && !pb)
			continue;
		if (host && (!pa || !hg_policy_accepts_bank(c->a, alg) ||
			     !hg_policy_accepts_bank(c->b, alg)))
			continue;
		o = dp_diff_obj("measurement", "changed");
		add_entry_keys(o, ea);
		if (o)
			json_object_object_add(o, "bank", json_object_new_string(dp_bank_name(alg)));
		dp_add_old_new(o, &old, &new);
		fold = open_memstream(&sold, &lold);
		fnew = open_memstream(&snew, &lnew);
		if (!fold || !fnew) {
			c->d->oom = 1;
			nrem = nadd = 0;
		} else {
			nrem = dp_lacking(pa, pb, size, old, fold);
			nadd = dp_lacking(pb, pa, size, new, fnew);
		}
		if (fold)
			fclose(fold);
		if (fnew)
			fclose(fnew);
		/* Host mode: the host is within A unless it has a digest A
		 * does not allow (check's rule). */
		if (nadd == 0 && (host || nrem == 0)) {
			json_object_put(o);
			free(sold);
			free(snew);
			continue;
		}
		if (dp_line_open(&l)) {
			fprintf(l.f, "~ %s ", hg_kind_name(ea->kind));
			put_name(l.f, ea->name);
			if (host) {
				/* What the operator needs: the digest this host
				 * has, and every digest the policy would take. */
				fprintf(l.f, ": %s %s measured on this host; the policy allows",
					dp_bank_name(alg), snew);
				for (size_t i = 0; i < pa->n; i++) {
					char hex[2 * HG_MAX_DIGEST + 1];

					hg_hex_encode(pa->d[i], size, hex);
					fprintf(l.f, " %s", hex);
				}
			} else {
				fprintf(l.f, ": %s %s " ARROW " %s", dp_bank_name(alg),
					nrem ? sold : "(none)", nadd ? snew : "(none)");
			}
		}
		free(sold);
		free(snew);
		dp_emit(c->d, o, &l);
	}
}

static int cmp_entry(const struct hg_policy_entry *x, const struct hg_policy_entry *y)
{
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Both lists are sorted by (kind, name) (policy.h): one merge pass. */
static void diff_measurements(struct dp_ctx *c)
{
	const struct hg_policy *a = c->a, *b = c->b;
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		int r = i == a->n ? 1 : j == b->n ? -1
						  : cmp_entry(&a->entries[i], &b->entries[j]);

		if (r < 0)
			diff_only(c, &a->entries[i++], 1);
		else if (r > 0)
			diff_only(c, &b->entries[j++], 0);
		else
			diff_both(c, &a->entries[i++], &b->entries[j++]);
	}
}

static void diff_pcrs(struct dp_ctx *c)
{
	const struct hg_pcr_values *vb_all = c->quoted ? c->quoted : &c->b->pcrs;
	int host = c->quoted != NULL;

	for (size_t k = 0; k < DP_NBANK; k++) {
		for (unsigned p = 0; p < HG_NUM_PCRS; p++) {
			const struct hg_pcr_value *va = hg_pcr_values_get(&c->a->pcrs, dp_bank_order[k], p);
			const struct hg_pcr_value *vb = hg_pcr_values_get(vb_all, dp_bank_order[k], p);
			const char *bn = dp_bank_name(dp_bank_order[k]);
			json_object *o, *old, *new;
			struct dp_line l;

			if ((!va && (!vb || host)) ||
			    (va && vb && va->len == vb->len && !memcmp(va->d, vb->d, va->len)))
				continue;
			o = dp_diff_obj("pcr", !vb ? "removed" : !va ? "added" : "changed");
			if (o) {
				json_object_object_add(o, "bank", json_object_new_string(bn));
				json_object_object_add(o, "pcr", json_object_new_int((int)p));
			}
			dp_add_old_new(o, &old, &new);
			if (va)
				json_object_array_add(old, dp_hexj(va->d, va->len));
			if (vb)
				json_object_array_add(new, dp_hexj(vb->d, vb->len));
			if (!dp_line_open(&l)) {
				dp_emit(c->d, o, &l);
				continue;
			}
			fprintf(l.f, "%c pcr %u %s: ", !vb ? '-' : !va ? '+' : '~', p, bn);
			if (va)
				dp_put_hex(l.f, va->d, va->len);
			if (va && vb)
				fputs(" " ARROW " ", l.f);
			if (vb)
				dp_put_hex(l.f, vb->d, vb->len);
			if (!host)
				fputs(!vb ? " (only in A)" : !va ? " (only in B)" : "", l.f);
			else if (!vb)
				fputs(": not quoted by this host", l.f);
			else
				dp_explain_pcr(c, p, o, l.f);
			dp_emit(c->d, o, &l);
		}
	}
}

int hv_diff_policies(const struct hg_policy *a, const struct hg_policy *b,
		     const struct hg_pcr_values *quoted, const struct hg_uefi_facts *fw,
		     struct hv_diffs *d)
{
	struct dp_ctx c = { .a = a, .b = b, .quoted = quoted, .fw = quoted ? fw : NULL, .d = d };

	diff_banks(&c);
	diff_pcr_index(&c);
	if (!quoted) {
		diff_unknown(&c);
		diff_ekc(&c);
	}
	diff_measurements(&c);
	if (quoted)
		dp_fw_host(&c);
	else
		dp_fw_policies(&c);
	diff_pcrs(&c);
	return d->oom ? -1 : 0;
}

void hv_diffs_print(const struct hv_diffs *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->line[i]);
}

json_object *hv_diffs_json(const struct hv_diffs *d)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();

	if (!root || !arr) {
		json_object_put(root);
		json_object_put(arr);
		return NULL;
	}
	json_object_object_add(root, "same", json_object_new_boolean(d->n == 0));
	for (size_t i = 0; i < d->n; i++)
		json_object_array_add(arr, json_object_get(d->obj[i]));
	json_object_object_add(root, "differences", arr);
	return root;
}

void hv_diffs_free(struct hv_diffs *d)
{
	for (size_t i = 0; i < d->n; i++) {
		json_object_put(d->obj[i]);
		free(d->line[i]);
	}
	free(d->obj);
	free(d->line);
	memset(d, 0, sizeof(*d));
}
