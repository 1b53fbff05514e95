/* judgevm.c: see judgevm.h. */
#include "judgevm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/text.h"
#include "../lib/util.h"
#include "../lib/uuid.h"
#include "cmds.h"
#include "judge.h"

/* A workload file record of the log, by borrowed pointer. */
struct wrec {
	const uint8_t *content;
	uint64_t recnum;
	uint32_t len;
	uint8_t kind;
};

/* A running domain and its latest launch record. */
struct slot {
	uint8_t uuid[HG_UUID_LEN];
	size_t dom;                  /* index in the running list */
	const uint8_t *launch;       /* content, borrowed; NULL: none */
	uint32_t launch_len;
	uint64_t launch_recnum;
};

struct hv_vms {
	const struct hg_policy *policy;
	const struct hv_running *run;
	struct slot *slots;          /* sorted by UUID */
	struct wrec *recs;           /* in record order */
	size_t n, cap;
	uint64_t nrecords;
	int oom;
	/* results */
	struct hv_vm_result *vr;
	json_object *vms;            /* NULL without JSON */
	json_object *fails;          /* every VM failure, in order */
	size_t listed;
};

/* One VM's judgement under way. */
struct vm {
	struct hv_vms *c;
	const struct slot *s;
	const char *name;            /* shown: the launch record's, else the list's */
	size_t name_len;
	char uuid[HG_UUID_TEXT + 1];
	int cls;                     /* worst failure: 0, 1, 3 */
	json_object *fails;
};

static int cmp_slot(const void *a, const void *b)
{
	return memcmp(((const struct slot *)a)->uuid, ((const struct slot *)b)->uuid,
		      HG_UUID_LEN);
}

void hv_vms_record(struct hv_vms *c, const struct hg_cel_rec *rec)
{
	c->nrecords = rec->recnum + 1;
	if (rec->type == HG_CT_FILE && hg_kind_is_workload(rec->kind) && !c->oom) {
		if (c->n == c->cap) {
			size_t ncap = c->cap ? 2 * c->cap : 256;
			struct wrec *n = realloc(c->recs, ncap * sizeof(*n));

			if (!n) {
				c->oom = 1;
				return;
			}
			c->recs = n;
			c->cap = ncap;
		}
		c->recs[c->n].content = rec->content;
		c->recs[c->n].len = (uint32_t)rec->content_len;
		c->recs[c->n].recnum = rec->recnum;
		c->recs[c->n++].kind = (uint8_t)rec->kind;
	} else if (rec->type == HG_CT_LAUNCH && c->run->n) {
		struct slot key, *s;

		memcpy(key.uuid, rec->uuid, HG_UUID_LEN);
		s = bsearch(&key, c->slots, c->run->n, sizeof(*s), cmp_slot);
		if (s) {
			/* In log order: the last one seen is the latest start. */
			s->launch = rec->content;
			s->launch_len = (uint32_t)rec->content_len;
			s->launch_recnum = rec->recnum;
		}
	}
}

static const struct wrec *find_rec(const struct hv_vms *c, uint64_t recnum)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->recs[mid].recnum == recnum)
			return &c->recs[mid];
		if (c->recs[mid].recnum < recnum)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- failures ---- */

static void vm_fail(struct vm *v, int cls, json_object *f, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A failure of V of class CLS (1 untrusted, 3 invalid); F (may be NULL)
 * its JSON detail, owned here. The reason names the VM first. */
static void vm_fail(struct vm *v, int cls, json_object *f, const char *fmt, ...)
{
	struct hv_vms *c = v->c;
	struct hv_vm_result *vr = c->vr;
	char what[400], why[512];
	char *shown = hg_escape((const uint8_t *)v->name, v->name_len);
	va_list ap;
	json_object *vm;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(why, sizeof(why), "vm %s (uuid %s): %s", shown ? shown : "?", v->uuid, what);
	/* A name is host-chosen and shown to people: escaped (lib/text.h). */
	vm = json_object_new_string(shown ? shown : "?");
	free(shown);
	/* The reason shown is the first failure of the worst class. */
	if (cls > vr->exit) {
		vr->exit = cls;
		snprintf(vr->why, sizeof(vr->why), "%s", why);
	}
	if (cls > v->cls)
		v->cls = cls;
	vr->nfailures++;
	if (!c->vms || c->listed >= HV_MAX_LISTED_FAILURES) {
		json_object_put(f);
		json_object_put(vm);
		return;
	}
	c->listed++;
	if (!f)
		f = json_object_new_object();
	json_object_object_add(f, "check", json_object_new_string("vms"));
	json_object_object_add(f, "reason", json_object_new_string(why));
	json_object_object_add(f, "vm", vm);
	json_object_object_add(f, "uuid", json_object_new_string(v->uuid));
	if (v->s->launch)
		json_object_object_add(f, "launch", json_object_new_uint64(v->s->launch_recnum));
	json_object_array_add(v->fails, json_object_get(f));
	json_object_array_add(c->fails, f);
}

/* ---- the refs ---- */

/* "a config", "an image", "an overlay". */
static const char *a_kind(enum hg_kind k)
{
	switch (k) {
	case HG_KIND_CONFIG: return "a config";
	case HG_KIND_IMAGE: return "an image";
	case HG_KIND_OVERLAY: return "an overlay";
	case HG_KIND_HYPERVISOR: return "a hypervisor";
	case HG_KIND_FIRMWARE: return "a firmware";
	case HG_KIND_BREAKGLASS: return "a breakglass";
	default: return "an unknown";
	}
}

struct ref_rec {
	struct hg_cel_rec rec;       /* decoded from the log's content */
	char *name;                  /* NUL-terminated copy, for judge.h */
};

static int cmp_ref_name(const void *a, const void *b)
{
	const struct ref_rec *x = a, *y = b;
	size_t n = x->rec.name_len < y->rec.name_len ? x->rec.name_len : y->rec.name_len;
	int d;

	if (x->rec.kind != y->rec.kind)
		return x->rec.kind < y->rec.kind ? -1 : 1;
	d = memcmp(x->rec.name, y->rec.name, n);
	if (d)
		return d;
	return x->rec.name_len < y->rec.name_len ? -1 : x->rec.name_len > y->rec.name_len;
}

/* The ref's digests are the referenced record's: H_alg(content). */
static int same_record_digests(const struct wrec *w, const struct hg_digests *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct hg_digest h;

		if (hg_hash(d->v[i].alg, w->content, w->len, &h) < 0 ||
		    h.len != d->v[i].len || memcmp(h.d, d->v[i].d, h.len))
			return 0;
	}
	return d->n > 0;
}

/* Resolve every ref of launch record LR into OUT (nrefs entries).
 * 0, or -1 after an invalid-evidence failure. */
static int resolve_refs(struct vm *v, const struct hg_cel_rec *lr, struct ref_rec *out)
{
	struct hg_cel_refs it;
	struct hg_launch_ref ref;
	uint64_t L = lr->recnum;
	size_t k = 0;
	int r;

	hg_cel_refs_init(lr, &it);
	while ((r = hg_cel_refs_next(&it, &ref)) == 1 && k < lr->nrefs) {
		const struct wrec *w;
		const char *why;

		if (ref.recnum >= L) {
			vm_fail(v, 3, NULL, "launch record %llu refers to record %llu, which is not before it",
				(unsigned long long)L, (unsigned long long)ref.recnum);
			return -1;
		}
		if (!(w = find_rec(v->c, ref.recnum))) {
			if (ref.recnum >= v->c->nrecords)
				vm_fail(v, 3, NULL, "launch record %llu refers to record %llu, which does not exist",
					(unsigned long long)L, (unsigned long long)ref.recnum);
			else
				vm_fail(v, 3, NULL, "launch record %llu refers to record %llu as %s, but it is not a config, image or overlay record",
					(unsigned long long)L, (unsigned long long)ref.recnum,
					a_kind(ref.kind));
			return -1;
		}
		if (w->kind != ref.kind) {
			vm_fail(v, 3, NULL, "launch record %llu refers to record %llu as %s, but it is %s record",
				(unsigned long long)L, (unsigned long long)ref.recnum,
				a_kind(ref.kind), a_kind((enum hg_kind)w->kind));
			return -1;
		}
		if (!same_record_digests(w, &ref.digests)) {
			vm_fail(v, 3, NULL, "launch record %llu refers to record %llu with digests that are not that record's",
				(unsigned long long)L, (unsigned long long)ref.recnum);
			return -1;
		}
		/* Kept content is what hg_cel_decode() accepted. */
		if (hg_cel_decode_content(w->content, w->len, &out[k].rec, &why) < 0) {
			vm_fail(v, 3, NULL, "record %llu: internal: kept content does not decode: %s",
				(unsigned long long)ref.recnum, why);
			return -1;
		}
		out[k].rec.recnum = ref.recnum;
		out[k].name = strndup(out[k].rec.name, out[k].rec.name_len);
		if (!out[k].name) {
			vm_fail(v, 1, NULL, "out of memory");
			return -1;
		}
		k++;
	}
	if (r < 0 || k != lr->nrefs) {
		vm_fail(v, 3, NULL, "launch record %llu: internal: its refs do not decode",
			(unsigned long long)L);
		return -1;
	}
	return 0;
}

/* One (kind, name) once; the config is the launch domain's. REFS is
 * sorted by (kind, name) here. */
static int refs_consistent(struct vm *v, const struct hg_cel_rec *lr,
			   struct ref_rec *refs, size_t n)
{
	char want[HG_CEL_MAX_DOMAIN + 32];

	qsort(refs, n, sizeof(*refs), cmp_ref_name);
	for (size_t i = 1; i < n; i++)
		if (!cmp_ref_name(&refs[i - 1], &refs[i])) {
			vm_fail(v, 3, NULL, "launch record %llu refers to %s %s twice (records %llu and %llu)",
				(unsigned long long)lr->recnum, hg_kind_name(refs[i].rec.kind),
				refs[i].name, (unsigned long long)refs[i - 1].rec.recnum,
				(unsigned long long)refs[i].rec.recnum);
			return -1;
		}
	snprintf(want, sizeof(want), "/etc/libvirt/qemu/%.*s.xml", (int)lr->domain_len, lr->domain);
	for (size_t i = 0; i < n; i++)
		if (refs[i].rec.kind == HG_KIND_CONFIG && strcmp(refs[i].name, want)) {
			vm_fail(v, 3, NULL, "launch record %llu refers to config %s (record %llu), which is not the config of domain %.*s",
				(unsigned long long)lr->recnum, refs[i].name,
				(unsigned long long)refs[i].rec.recnum, (int)lr->domain_len, lr->domain);
			return -1;
		}
	return 0;
}

/* " (sha256:HEX)" of failure F's digest, for the reason line. */
static void digest_note(json_object *f, char *buf, size_t len)
{
	json_object *d, *h;

	buf[0] = '\0';
	if (!json_object_object_get_ex(f, "digest", &d))
		return;
	if (json_object_object_get_ex(d, "sha256", &h)) {
		snprintf(buf, len, " (sha256:%s)", json_object_get_string(h));
	} else {
		json_object_object_foreach(d, k, val) {
			snprintf(buf, len, " (%s:%s)", k, json_object_get_string(val));
			break;
		}
	}
}

/* The referenced records against the policy (judge.h, this VM's
 * workloads only). */
static void judge_refs(struct vm *v, const struct hg_cel_rec *lr,
		       struct ref_rec *refs, size_t n)
{
	const struct hg_policy *p = v->c->policy;
	struct hv_workload *wl = calloc(n ? n : 1, sizeof(*wl));
	struct hv_judge j;

	memset(&j, 0, sizeof(j));
	/* JSON always: a failure's record and digest go into its reason. */
	if (!wl || hv_judge_init(&j, p, wl, n, 1) < 0) {
		vm_fail(v, 1, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		wl[i].kind = refs[i].rec.kind;
		wl[i].name = refs[i].name;
		hv_judge_record(&j, &refs[i].rec);
	}
	hv_judge_finish_workloads(&j);
	for (size_t i = 0; i < json_object_array_length(j.fails); i++) {
		json_object *f = json_object_get(json_object_array_get_idx(j.fails, i));
		json_object *reason;
		char note[2 * HG_MAX_DIGEST + 32];

		json_object_object_get_ex(f, "reason", &reason);
		digest_note(f, note, sizeof(note));
		vm_fail(v, 1, f, "launch record %llu: %s%s", (unsigned long long)lr->recnum,
			reason ? json_object_get_string(reason) : "?", note);
	}
	/* Failures beyond the judge's listing are counted, not lost. */
	if (j.n > json_object_array_length(j.fails))
		vm_fail(v, 1, NULL, "launch record %llu: %zu more policy failures",
			(unsigned long long)lr->recnum, j.n - json_object_array_length(j.fails));
out:
	hv_judge_free(&j);
	free(wl);
}

static void judge_vm(struct hv_vms *c, const struct slot *s, int judged)
{
	const struct hv_running_dom *d = &c->run->v[s->dom];
	struct vm v = { .c = c, .s = s, .name = d->name, .name_len = strlen(d->name) };
	struct hg_cel_rec lr;
	struct ref_rec *refs = NULL;
	const char *status, *why;
	json_object *o = NULL;

	hg_uuid_format(s->uuid, v.uuid);
	if (c->vms) {
		v.fails = json_object_new_array();
		o = json_object_new_object();
		char *shown = hg_escape((const uint8_t *)d->name, strlen(d->name));

		/* The host's word, shown to people: escaped (lib/text.h). */
		json_object_object_add(o, "name", json_object_new_string(shown ? shown : "?"));
		free(shown);
		json_object_object_add(o, "uuid", json_object_new_string(v.uuid));
	}
	memset(&lr, 0, sizeof(lr));
	if (!judged) {
		status = "skip";
		goto out;
	}
	if (c->oom) {
		vm_fail(&v, 1, NULL, "out of memory while keeping workload records");
		goto done;
	}
	if (!s->launch) {
		vm_fail(&v, 1, NULL, "running, but no launch record in the log: a VM the gate did not start");
		status = "unknown";
		goto out;
	}
	/* Kept content is what hg_cel_decode() accepted. */
	if (hg_cel_decode_content(s->launch, s->launch_len, &lr, &why) < 0) {
		vm_fail(&v, 3, NULL, "launch record %llu: internal: kept content does not decode: %s",
			(unsigned long long)s->launch_recnum, why);
		goto done;
	}
	lr.recnum = s->launch_recnum;
	v.name = lr.domain;
	v.name_len = lr.domain_len;
	refs = calloc(lr.nrefs ? lr.nrefs : 1, sizeof(*refs));
	if (!refs) {
		vm_fail(&v, 1, NULL, "out of memory");
		goto done;
	}
	if (resolve_refs(&v, &lr, refs) < 0 || refs_consistent(&v, &lr, refs, lr.nrefs) < 0)
		goto done;
	judge_refs(&v, &lr, refs, lr.nrefs);
done:
	status = v.cls == 3 ? "invalid" : v.cls == 1 ? "untrusted" : "trusted";
out:
	if (o) {
		if (lr.domain)
			json_object_object_add(o, "domain",
					       json_object_new_string_len(lr.domain, (int)lr.domain_len));
		json_object_object_add(o, "launch", s->launch && judged
				       ? json_object_new_uint64(s->launch_recnum) : NULL);
		json_object_object_add(o, "status", json_object_new_string(status));
		json_object_object_add(o, "failures", v.fails);
		v.fails = NULL;
		json_object_array_add(c->vms, o);
	}
	json_object_put(v.fails);
	for (size_t i = 0; refs && i < lr.nrefs; i++)
		free(refs[i].name);
	free(refs);
}

/* ---- the verdict ---- */

static int worse(int a, int b)
{
	/* 3 (invalid) over 1 (untrusted) over 0. */
	if (a == 3 || b == 3)
		return 3;
	return a > b ? a : b;
}

static void merge_verdict(struct hv_vms *c, struct hv_result *res)
{
	json_object *v = res->verdict, *checks, *fails, *o;
	const char *result;

	if (!v)
		return;
	json_object_object_add(v, "verdict", json_object_new_string(
		res->exit == 0 ? "trusted" : res->exit == 1 ? "untrusted" : "invalid"));
	result = c->vr->exit < 0 ? "skip" : c->vr->exit == 0 ? "pass" : "fail";
	if (json_object_object_get_ex(v, "checks", &checks)) {
		o = json_object_new_object();
		json_object_object_add(o, "check", json_object_new_string("vms"));
		json_object_object_add(o, "result", json_object_new_string(result));
		json_object_array_add(checks, o);
	}
	if (json_object_object_get_ex(v, "failures", &fails))
		for (size_t i = 0; i < json_object_array_length(c->fails); i++) {
			if (json_object_array_length(fails) >= HV_MAX_LISTED_FAILURES)
				break;
			json_object_array_add(fails, json_object_get(
				json_object_array_get_idx(c->fails, i)));
		}
	json_object_object_add(v, "vms", json_object_get(c->vms));
}

int hv_vms_init(struct hv_vms **out, const struct hg_policy *p,
		const struct hv_running *run, int want_json)
{
	struct hv_vms *c = calloc(1, sizeof(*c));

	*out = c;
	if (!c)
		return -1;
	c->policy = p;
	c->run = run;
	c->slots = calloc(run->n ? run->n : 1, sizeof(*c->slots));
	if (want_json) {
		c->vms = json_object_new_array();
		c->fails = json_object_new_array();
	}
	if (!c->slots || (want_json && (!c->vms || !c->fails)))
		return -1;
	for (size_t i = 0; i < run->n; i++) {
		memcpy(c->slots[i].uuid, run->v[i].uuid, HG_UUID_LEN);
		c->slots[i].dom = i;
	}
	if (run->n)
		qsort(c->slots, run->n, sizeof(*c->slots), cmp_slot);
	return 0;
}

void hv_vms_judge(struct hv_vms *c, int judged, struct hv_vm_result *vr)
{
	size_t *pos = calloc(c->run->n ? c->run->n : 1, sizeof(*pos));

	vr->exit = 0;
	vr->why[0] = '\0';
	vr->nfailures = 0;
	c->vr = vr;
	if (!pos)
		c->oom = 1;
	/* In the order the host listed them. */
	for (size_t i = 0; pos && i < c->run->n; i++)
		pos[c->slots[i].dom] = i;
	for (size_t i = 0; i < c->run->n; i++)
		judge_vm(c, &c->slots[pos ? pos[i] : i], judged);
	if (!judged)
		vr->exit = -1;
	free(pos);
}

json_object *hv_vms_json(const struct hv_vms *c)
{
	return c->vms;
}

json_object *hv_vms_failures(const struct hv_vms *c)
{
	return c->fails;
}

void hv_vms_free(struct hv_vms *c)
{
	if (!c)
		return;
	json_object_put(c->vms);
	json_object_put(c->fails);
	free(c->recs);
	free(c->slots);
	free(c);
}

void hv_vms_finish(struct hv_vms *c, int judge, struct hv_result *res,
		   struct hv_vm_result *vr)
{
	int judged;

	vr->host_exit = res->exit;
	/* The records count only once log and replay have passed: the host
	 * passed every check, or failed only pcrs or policy, which run after
	 * them (verify.h). Nothing is judged without a policy. */
	judged = judge && (res->first_failed == HV_NCHECKS ||
			   res->first_failed == HV_PCRS ||
			   res->first_failed == HV_POLICY);
	hv_vms_judge(c, judged, vr);
	if (judged)
		res->exit = worse(res->exit, vr->exit);
	merge_verdict(c, res);
}

void hv_vms_chain(void *arg, const struct hg_cel_rec *rec)
{
	const struct hv_vms_chain *ch = arg;

	if (ch->in->on_record)
		ch->in->on_record(ch->in->arg, rec);
	hv_vms_record(ch->vms, rec);
}

int hv_verify_running(const struct hv_inputs *in, const struct hv_running *run,
		      struct hv_result *res, struct hv_vm_result *vr)
{
	struct hv_inputs in2 = *in;
	struct hv_vms *c = NULL;
	struct hv_vms_chain ch = { .in = in };

	memset(vr, 0, sizeof(*vr));
	if (hv_vms_init(&c, in->policy, run, in->want_json) < 0) {
		/* Not even the list could be kept: judge nothing. */
		memset(res, 0, sizeof(*res));
		res->exit = HV_EXIT_UNTRUSTED;
		res->first_failed = HV_POLICY;
		snprintf(res->why, sizeof(res->why), "out of memory");
		vr->host_exit = res->exit;
		vr->exit = -1;
		goto out;
	}
	ch.vms = c;
	in2.on_record = hv_vms_chain;
	in2.arg = &ch;
	hv_verify(&in2, res);
	hv_vms_finish(c, in->policy != NULL, res, vr);
out:
	hv_vms_free(c);
	return res->exit;
}

int hv_verify_running_json(const struct hv_inputs *in, const char *json,
			   size_t len, struct hv_result *res,
			   struct hv_vm_result *vr, char *err, size_t errlen)
{
	struct hv_running run;
	int ret = -1;

	if (hv_running_parse(json, len, &run, err, errlen) < 0)
		goto out;
	ret = hv_verify_running(in, &run, res, vr);
	hv_running_free(&run);
out:
	return ret;
}
