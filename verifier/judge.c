/* judge.c: see judge.h. */
#include "judge.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

/* The latest record of one workload, by borrowed pointers. */
struct hv_wl_ent {
	const char *name;
	const uint8_t *content;      /* the record's content map */
	uint64_t recnum;
	uint32_t name_len;           /* <= HG_CEL_MAX_NAME */
	uint32_t content_len;        /* <= HG_LOG_MAX_RECORD */
	uint64_t hash;               /* of the name (name_hash) */
	uint32_t entry;              /* policy entry index + 1; 0: none */
	uint8_t kind;
	uint8_t judge;               /* selected for judgement */
	uint8_t ok;                  /* judge_one() would find no fault */
};

static const char *bank_name(uint16_t alg)
{
	const struct hg_bank *b = hg_bank_by_alg(alg);

	return b ? b->name : "?";
}

static json_object *hexj(const uint8_t *p, size_t n)
{
	char buf[2 * HG_MAX_DIGEST + 1];

	hg_hex_encode(p, n < HG_MAX_DIGEST ? n : HG_MAX_DIGEST, buf);
	return json_object_new_string(buf);
}

/* ---- failures ---- */

static void jfail(struct hv_judge *j, json_object *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a failure; F (may be NULL) is its JSON detail, owned here. */
static void jfail(struct hv_judge *j, json_object *f, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (j->n++ == 0)
		snprintf(j->first_why, sizeof(j->first_why), "%s", why);
	if (!j->fails || j->n > HV_MAX_LISTED_FAILURES) {
		json_object_put(f);
		return;
	}
	if (!f)
		f = json_object_new_object();
	json_object_object_add(f, "check", json_object_new_string("policy"));
	json_object_object_add(f, "reason", json_object_new_string(why));
	json_object_array_add(j->fails, f);
}

static json_object *digests_j(const struct hg_digests *d)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < d->n; i++)
		json_object_object_add(o, bank_name(d->v[i].alg), hexj(d->v[i].d, d->v[i].len));
	return o;
}

/* The JSON detail of a record's failure, NULL without JSON. An overlay
 * has no digest to show (cel.h): none is made up. */
static json_object *record_failure(const struct hv_judge *j,
				   const struct hg_cel_rec *rec)
{
	json_object *f;

	if (!j->fails)
		return NULL;
	f = json_object_new_object();
	json_object_object_add(f, "record", json_object_new_uint64(rec->recnum));
	json_object_object_add(f, "kind", json_object_new_string(hg_kind_name(rec->kind)));
	json_object_object_add(f, "name", json_object_new_string_len(rec->name, (int)rec->name_len));
	if (hg_kind_hashed(rec->kind))
		json_object_object_add(f, "digest", digests_j(&rec->file));
	return f;
}

static json_object *allowed_j(const struct hg_policy_entry *e)
{
	json_object *allowed = json_object_new_object();

	for (size_t b = 0; b < e->nbanks; b++) {
		json_object *a = json_object_new_array();

		for (size_t i = 0; i < e->banks[b].n; i++)
			json_object_array_add(a, hexj(e->banks[b].d[i],
						      hg_bank_by_alg(e->banks[b].alg)->size));
		json_object_object_add(allowed, bank_name(e->banks[b].alg), a);
	}
	return allowed;
}

/* ---- judging one record ---- */

/* Every bank both the entry and the policy trust must match: a weak
 * bank cannot vouch alone for a strong one's mismatch. Returns NULL
 * when the record is allowed, else why not. */
static const char *digest_verdict(const struct hg_policy *p,
				  const struct hg_policy_entry *e,
				  const struct hg_cel_rec *rec)
{
	int compared = 0, ok = 1;

	for (size_t b = 0; b < e->nbanks; b++) {
		const struct hg_policy_digests *pd = &e->banks[b];
		const struct hg_digest *d;
		int hit = 0;

		if (!hg_policy_accepts_bank(p, pd->alg) ||
		    !(d = hg_digests_get(&rec->file, pd->alg)))
			continue;
		compared = 1;
		for (size_t i = 0; i < pd->n && !hit; i++)
			hit = !memcmp(pd->d[i], d->d, d->len);
		ok &= hit;
	}
	if (!compared)
		return "no bank the policy accepts to compare";
	return ok ? NULL : "digest not allowed by the policy";
}

static void judge_one(struct hv_judge *j, const struct hg_cel_rec *rec)
{
	const struct hg_policy *p = j->policy;
	const struct hg_policy_entry *e;
	const char *why;
	json_object *f;

	e = hg_policy_find(p, rec->kind, rec->name, rec->name_len);
	if (!e) {
		if (!p->allow_unknown[rec->kind])
			jfail(j, record_failure(j, rec), "record %llu: %s %.*s is not in the policy",
			      (unsigned long long)rec->recnum, hg_kind_name(rec->kind),
			      (int)rec->name_len, rec->name);
		return;
	}
	j->seen[e - p->entries] = 1;
	/* An overlay is logged by path: its entry is the whole allowance. */
	if (!hg_kind_hashed(rec->kind))
		return;
	if (!(why = digest_verdict(p, e, rec)))
		return;
	f = record_failure(j, rec);
	if (f)
		json_object_object_add(f, "allowed", allowed_j(e));
	jfail(j, f, "record %llu: %s %.*s: %s", (unsigned long long)rec->recnum,
	      hg_kind_name(rec->kind), (int)rec->name_len, rec->name, why);
}

/* ---- the table of latest workload records ---- */

/* Workloads are keyed by name alone: a path names one file, of one kind
 * (policy.h), so a later record of a path supersedes an earlier one
 * whatever kind either claims -- an nvram file measured as an overlay,
 * then hashed as an image once the configuration says so, is judged as
 * the image it is now. The kind still decides how the latest record is
 * judged, and a named workload must match it (wl_find()). */
static int cmp_key(const char *na, size_t la, const char *nb, size_t lb)
{
	int c;

	c = memcmp(na, nb, la < lb ? la : lb);
	if (c)
		return c;
	return la < lb ? -1 : la > lb;
}

/* (name, recnum): a group's latest record comes last. */
static int cmp_ent(const void *a, const void *b)
{
	const struct hv_wl_ent *x = a, *y = b;
	int c = cmp_key(x->name, x->name_len, y->name, y->name_len);

	if (c)
		return c;
	return x->recnum < y->recnum ? -1 : x->recnum > y->recnum;
}

static int cmp_recnum(const void *a, const void *b)
{
	const struct hv_wl_ent *x = a, *y = b;

	return x->recnum < y->recnum ? -1 : x->recnum > y->recnum;
}

/* Sort by name and keep only the latest record of each. */
static void wl_compact(struct hv_judge *j)
{
	size_t out = 0;

	if (j->ntab == 0)
		return;
	qsort(j->tab, j->ntab, sizeof(*j->tab), cmp_ent);
	for (size_t i = 0; i < j->ntab; i++) {
		const struct hv_wl_ent *e = &j->tab[i];

		if (i + 1 < j->ntab && !cmp_key(e->name, e->name_len, j->tab[i + 1].name,
						j->tab[i + 1].name_len))
			continue; /* superseded by the next */
		j->tab[out++] = *e;
	}
	j->ntab = out;
}

/* FNV-1a, eight bytes a step: spreads names over the index; every hit
 * is confirmed by comparing the names. */
static uint64_t name_hash(const char *name, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull ^ len;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, name + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 0x100000001b3ull;
	return h ^ (h >> 32);
}

/* Room for one more distinct name: the table and its index (open
 * addressing, at most half full) grow by doubling. */
static int wl_room(struct hv_judge *j)
{
	if (j->ntab == HV_MAX_WORKLOADS) {
		j->overflow = 1;
		return -1;
	}
	if (j->ntab == j->cap) {
		size_t ncap = j->cap ? 2 * j->cap : 64;
		struct hv_wl_ent *n = realloc(j->tab, ncap * sizeof(*n));

		if (!n) {
			j->oom = 1;
			return -1;
		}
		j->tab = n;
		j->cap = ncap;
	}
	if (2 * (j->ntab + 1) > j->nslots) {
		size_t ns = j->nslots ? 2 * j->nslots : 128;
		uint32_t *sl = calloc(ns, sizeof(*sl));

		if (!sl) {
			j->oom = 1;
			return -1;
		}
		for (size_t i = 0; i < j->ntab; i++) {
			size_t k = (size_t)j->tab[i].hash & (ns - 1);

			while (sl[k])
				k = (k + 1) & (ns - 1);
			sl[k] = (uint32_t)i + 1;
		}
		free(j->slots);
		j->slots = sl;
		j->nslots = ns;
	}
	return 0;
}

/* Keep REC as its name's latest record: one entry per name, replaced in
 * place by a later record of that name (records come in log order).
 * Only the latest record's name is read again, so the pages of the
 * records it replaced are not touched (the evidence is streamed, evmap.h). */
static void wl_add(struct hv_judge *j, const struct hg_cel_rec *rec)
{
	const struct hg_policy_entry *pe;
	struct hv_wl_ent *e = NULL;
	uint64_t h;
	size_t k;

	if (j->overflow || j->oom)
		return;
	h = name_hash(rec->name, rec->name_len);
	for (k = j->nslots ? (size_t)h & (j->nslots - 1) : 0; j->nslots && j->slots[k];
	     k = (k + 1) & (j->nslots - 1)) {
		struct hv_wl_ent *x = &j->tab[j->slots[k] - 1];

		if (x->hash == h && !cmp_key(x->name, x->name_len, rec->name, rec->name_len)) {
			e = x;
			break;
		}
	}
	if (!e) {
		if (wl_room(j) < 0)
			return;
		for (k = (size_t)h & (j->nslots - 1); j->slots[k]; k = (k + 1) & (j->nslots - 1))
			;
		j->slots[k] = (uint32_t)j->ntab + 1;
		e = &j->tab[j->ntab++];
	}
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->name = rec->name;
	e->name_len = (uint32_t)rec->name_len;
	e->content = rec->content;
	e->content_len = (uint32_t)rec->content_len;
	e->recnum = rec->recnum;
	e->kind = (uint8_t)rec->kind;
	/* Judged now, while the record is decoded, so that the latest one
	 * needs no second decode (wl_judge): the entry and whether
	 * judge_one() would pass it. Only a failure is decoded again, for
	 * its message. */
	pe = hg_policy_find(j->policy, rec->kind, rec->name, rec->name_len);
	e->entry = pe ? (uint32_t)(pe - j->policy->entries) + 1 : 0;
	e->ok = pe ? !hg_kind_hashed(rec->kind) || !digest_verdict(j->policy, pe, rec)
		   : j->policy->allow_unknown[rec->kind];
}

static struct hv_wl_ent *wl_find(struct hv_judge *j, enum hg_kind kind,
				 const char *name, size_t len)
{
	size_t lo = 0, hi = j->ntab;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct hv_wl_ent *e = &j->tab[mid];
		int c = cmp_key(e->name, e->name_len, name, len);

		if (c == 0) /* the latest record of NAME, if it is of KIND */
			return e->kind == (uint8_t)kind ? e : NULL;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The policy's "domains" (policydom.h): when the named workloads are a
 * domain's config and its images, and the policy lists the images that
 * domain may boot, an image outside that list is refused, whatever its
 * digest: another VM's approved golden image is not this VM's. */
static void wl_domain_images(struct hv_judge *j)
{
	const struct hg_policy_domain *d = NULL;
	char name[256];

	for (size_t i = 0; !d && i < j->nwl; i++)
		if (j->wl[i].kind == HG_KIND_CONFIG &&
		    hg_policy_domain_of_config(j->wl[i].name, name, sizeof(name)) == 0)
			d = hg_policy_domain_find(&j->policy->domains, name);
	for (size_t i = 0; d && i < j->nwl; i++) {
		const struct hv_workload *w = &j->wl[i];
		json_object *f = NULL;

		if (w->kind != HG_KIND_IMAGE || hg_policy_domain_allows(d, w->name))
			continue;
		if (j->fails) {
			f = json_object_new_object();
			json_object_object_add(f, "kind", json_object_new_string("image"));
			json_object_object_add(f, "name", json_object_new_string(w->name));
		}
		jfail(j, f, "image %s is not one domain %s may boot ($.domains)", w->name, d->name);
	}
}

/* Mark what to judge: every workload, or the named ones (each must have
 * been measured). The table is sorted by name here. */
static void wl_select(struct hv_judge *j)
{
	for (size_t i = 0; j->nwl == 0 && i < j->ntab; i++)
		j->tab[i].judge = 1;
	for (size_t i = 0; i < j->nwl; i++) {
		const struct hv_workload *w = &j->wl[i];
		struct hv_wl_ent *e = wl_find(j, w->kind, w->name, strlen(w->name));
		json_object *f = NULL;

		if (e) {
			e->judge = 1;
			continue;
		}
		if (j->fails) {
			f = json_object_new_object();
			json_object_object_add(f, "kind", json_object_new_string(hg_kind_name(w->kind)));
			json_object_object_add(f, "name", json_object_new_string(w->name));
		}
		jfail(j, f, "%s %s was not measured", hg_kind_name(w->kind), w->name);
	}
	wl_domain_images(j);
}

/* Judge the selected latest records, in log order. */
static void wl_judge(struct hv_judge *j)
{
	int faults = 0;

	/* The ones that pass need no order; failures are listed in log
	 * order, so only then is the table sorted by record number. */
	for (size_t i = 0; i < j->ntab; i++) {
		const struct hv_wl_ent *e = &j->tab[i];

		if (e->judge && e->ok && e->entry)
			j->seen[e->entry - 1] = 1;
		faults |= e->judge && !e->ok;
	}
	if (!faults)
		return;
	qsort(j->tab, j->ntab, sizeof(*j->tab), cmp_recnum);
	for (size_t i = 0; i < j->ntab; i++) {
		const struct hv_wl_ent *e = &j->tab[i];
		struct hg_cel_rec rec;
		const char *why = "?";

		if (!e->judge || e->ok)
			continue;
		/* Kept content is what hg_cel_decode() accepted: this cannot
		 * fail unless memory was overwritten. */
		if (hg_cel_decode_content(e->content, e->content_len, &rec, &why) < 0) {
			jfail(j, NULL, "record %llu: internal: kept content does not decode: %s",
			      (unsigned long long)e->recnum, why);
			continue;
		}
		rec.recnum = e->recnum;
		judge_one(j, &rec);
	}
}

/* ---- the interface ---- */

int hv_judge_init(struct hv_judge *j, const struct hg_policy *p,
		  const struct hv_workload *wl, size_t nwl, int want_json)
{
	memset(j, 0, sizeof(*j));
	j->policy = p;
	j->wl = wl;
	j->nwl = nwl;
	j->seen = calloc(p->n ? p->n : 1, 1);
	if (want_json)
		j->fails = json_object_new_array();
	return j->seen && (!want_json || j->fails) ? 0 : -1;
}

void hv_judge_record(struct hv_judge *j, const struct hg_cel_rec *rec)
{
	if (rec->type != HG_CT_FILE)
		return;
	if (hg_kind_is_workload(rec->kind))
		wl_add(j, rec);
	else
		judge_one(j, rec);
}

/* Required workload entries are not checked when workloads are named
 * (judge.h), nor when the workloads could not be judged at all: that
 * failure is already listed, and "not measured" would be untrue. */
static void check_required(struct hv_judge *j)
{
	const struct hg_policy *p = j->policy;
	int skip_workloads = j->nwl || j->overflow || j->oom;

	for (size_t i = 0; i < p->n; i++) {
		const struct hg_policy_entry *e = &p->entries[i];
		json_object *f = NULL;

		if (!e->required || j->seen[i] ||
		    (skip_workloads && hg_kind_is_workload(e->kind)))
			continue;
		if (j->fails) {
			f = json_object_new_object();
			json_object_object_add(f, "kind", json_object_new_string(hg_kind_name(e->kind)));
			json_object_object_add(f, "name", json_object_new_string(e->name));
		}
		jfail(j, f, "%s %s is required but was not measured",
		      hg_kind_name(e->kind), e->name);
	}
}

void hv_judge_finish_workloads(struct hv_judge *j)
{
	if (!j->overflow && !j->oom)
		wl_compact(j);   /* one entry per name: sorts them by name */
	if (j->oom) {
		jfail(j, NULL, "out of memory while keeping workload records");
	} else if (j->overflow) {
		jfail(j, NULL, "the log has more than %d distinct workload names; refusing to judge them",
		      HV_MAX_WORKLOADS);
	} else {
		wl_select(j);
		wl_judge(j);
	}
}

void hv_judge_finish(struct hv_judge *j)
{
	hv_judge_finish_workloads(j);
	check_required(j);
}

void hv_judge_free(struct hv_judge *j)
{
	json_object_put(j->fails);
	free(j->seen);
	free(j->tab);
	free(j->slots);
	memset(j, 0, sizeof(*j));
}
