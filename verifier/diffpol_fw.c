/* diffpol_fw.c: the firmware part of hv_diff_policies() (diffpol.h):
 * two policies' firmware rules, or, in host mode, the host's firmware
 * facts against the policy's firmware section, event by event.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "diffpol_int.h"

static json_object *fw_obj(const char *change, const char *rule)
{
	json_object *o = dp_diff_obj("firmware", change);

	if (o)
		json_object_object_add(o, "rule", json_object_new_string(rule));
	return o;
}

static const char *sb_word(enum hg_fw_secure_boot s)
{
	return s == HG_FW_SB_ENABLED ? "enabled" : s == HG_FW_SB_DISABLED ? "disabled"
									   : "not judged";
}

static void sb_json(json_object *arr, enum hg_fw_secure_boot s)
{
	if (s != HG_FW_SB_ANY)
		json_object_array_add(arr, json_object_new_boolean(s == HG_FW_SB_ENABLED));
}

static const struct hg_policy_digests *fw_bank(const struct hg_policy_fwlist *l, uint16_t alg)
{
	for (size_t i = 0; i < l->nbanks; i++)
		if (l->banks[i].alg == alg)
			return &l->banks[i];
	return NULL;
}

/* A list only one policy sets: its digests as "bank:hex". */
static void fw_list_only(struct dp_ctx *c, enum hg_fw_list fl, int in_a)
{
	const struct hg_policy_fwlist *l = &(in_a ? c->a : c->b)->fw.list[fl];
	json_object *o = fw_obj(in_a ? "removed" : "added", hg_policy_fw_list_name(fl));
	json_object *old, *new;
	struct dp_line lo;

	dp_add_old_new(o, &old, &new);
	if (dp_line_open(&lo))
		fprintf(lo.f, "%c firmware %s", in_a ? '-' : '+', hg_policy_fw_list_name(fl));
	for (size_t k = 0; k < DP_NBANK; k++) {
		const struct hg_policy_digests *pd = fw_bank(l, dp_bank_order[k]);
		size_t size = hg_bank_by_alg(dp_bank_order[k])->size;

		for (size_t i = 0; pd && i < pd->n; i++) {
			char s[16 + 2 * HG_MAX_DIGEST + 1];
			size_t n = (size_t)snprintf(s, sizeof(s), "%s:", dp_bank_name(pd->alg));

			hg_hex_encode(pd->d[i], size, s + n);
			json_object_array_add(in_a ? old : new, json_object_new_string(s));
			if (lo.f)
				fprintf(lo.f, " %s", s);
		}
	}
	if (lo.f)
		fprintf(lo.f, " (only in %s)", in_a ? "A" : "B");
	dp_emit(c->d, o, &lo);
}

/* A list both set: per bank, the digests removed and added. */
static void fw_list_both(struct dp_ctx *c, enum hg_fw_list fl)
{
	const struct hg_policy_fwlist *la = &c->a->fw.list[fl], *lb = &c->b->fw.list[fl];

	for (size_t k = 0; k < DP_NBANK; k++) {
		const struct hg_policy_digests *pa = fw_bank(la, dp_bank_order[k]);
		const struct hg_policy_digests *pb = fw_bank(lb, dp_bank_order[k]);
		size_t size = hg_bank_by_alg(dp_bank_order[k])->size, nrem = 0, nadd = 0;
		char *sold = NULL, *snew = NULL;
		size_t lold = 0, lnew = 0;
		FILE *fold, *fnew;
		json_object *o, *old, *new;
		struct dp_line l;

		if (!pa && !pb)
			continue;
		o = fw_obj("changed", hg_policy_fw_list_name(fl));
		if (o)
			json_object_object_add(o, "bank", json_object_new_string(dp_bank_name(dp_bank_order[k])));
		dp_add_old_new(o, &old, &new);
		fold = open_memstream(&sold, &lold);
		fnew = open_memstream(&snew, &lnew);
		if (fold && fnew) {
			nrem = dp_lacking(pa, pb, size, old, fold);
			nadd = dp_lacking(pb, pa, size, new, fnew);
		} else {
			c->d->oom = 1;
		}
		if (fold)
			fclose(fold);
		if (fnew)
			fclose(fnew);
		if (!nrem && !nadd) {
			json_object_put(o);
		} else {
			if (dp_line_open(&l))
				fprintf(l.f, "~ firmware %s: %s %s " ARROW " %s", hg_policy_fw_list_name(fl),
					dp_bank_name(dp_bank_order[k]), nrem ? sold : "(none)",
					nadd ? snew : "(none)");
			dp_emit(c->d, o, &l);
		}
		free(sold);
		free(snew);
	}
}

/* Two policies: the firmware rules that differ. */
void dp_fw_policies(struct dp_ctx *c)
{
	const struct hg_policy_firmware *fa = &c->a->fw, *fb = &c->b->fw;
	json_object *o, *old, *new;
	struct dp_line l;

	if (fa->present != fb->present) {
		o = fw_obj(fa->present ? "removed" : "added", "section");
		dp_add_old_new(o, &old, &new);
		if (dp_line_open(&l))
			fprintf(l.f, "%c firmware: section only in %s (it requires a firmware event log)",
				fa->present ? '-' : '+', fa->present ? "A" : "B");
		dp_emit(c->d, o, &l);
	}
	if (fa->secure_boot != fb->secure_boot) {
		o = fw_obj("changed", "secure_boot");
		dp_add_old_new(o, &old, &new);
		sb_json(old, fa->secure_boot);
		sb_json(new, fb->secure_boot);
		if (dp_line_open(&l))
			fprintf(l.f, "~ firmware secure_boot: %s " ARROW " %s",
				sb_word(fa->secure_boot), sb_word(fb->secure_boot));
		dp_emit(c->d, o, &l);
	}
	for (int fl = 0; fl < HG_FW_NLISTS; fl++) {
		int ha = fa->list[fl].nbanks > 0, hb = fb->list[fl].nbanks > 0;

		if (ha && hb)
			fw_list_both(c, (enum hg_fw_list)fl);
		else if (ha || hb)
			fw_list_only(c, (enum hg_fw_list)fl, ha);
	}
	if (fa->allow_digest_mismatches != fb->allow_digest_mismatches) {
		const char *va = fa->allow_digest_mismatches ? "allow" : "deny";
		const char *vb = fb->allow_digest_mismatches ? "allow" : "deny";

		o = fw_obj("changed", "digest_mismatches");
		dp_add_old_new(o, &old, &new);
		json_object_array_add(old, json_object_new_string(va));
		json_object_array_add(new, json_object_new_string(vb));
		if (dp_line_open(&l))
			fprintf(l.f, "~ firmware digest_mismatches: %s " ARROW " %s", va, vb);
		dp_emit(c->d, o, &l);
	}
}

/* Host mode: remember that a line named EVENT on PCR, for its PCR line. */
static void fw_note(struct dp_ctx *c, uint32_t pcr, size_t event)
{
	struct fw_noted *n;

	if (pcr >= HG_NUM_PCRS)
		return;
	n = &c->noted[pcr];
	for (size_t i = 0; i < n->n && i < FW_NOTED; i++)
		if (n->ev[i] == event)
			return;   /* SecureBoot unknown and mismatched: one event */
	if (n->n < FW_NOTED)
		n->ev[n->n] = event;
	n->n++;
}

/* {"pcr", "event"} of a host-mode firmware difference. */
static json_object *fw_host_obj(const char *change, const char *rule, uint32_t pcr, long event)
{
	json_object *o = fw_obj(change, rule);

	if (o) {
		json_object_object_add(o, "pcr", json_object_new_int((int)pcr));
		if (event >= 0)
			json_object_object_add(o, "event", json_object_new_int64(event));
	}
	return o;
}

/* An item of list FL whose digests D the policy does not allow: "PCRn:
 * WHAT sha256 changed: ALLOWED -> HOST", ALLOWED the policy's digests in
 * the first bank that does not match (the line shows FW_SHOWN of them,
 * the JSON all). */
#define FW_SHOWN 8
static void fw_item(struct dp_ctx *c, enum hg_fw_list fl, uint32_t pcr, long event,
		    const char *what, const struct hg_digests *d, json_object *o)
{
	const struct hg_digest *bad = NULL;
	const struct hg_policy_digests *pd;
	json_object *old, *new;
	struct dp_line l;
	int r = hg_policy_fw_allows(c->a, fl, d, &bad);

	if (r == 1) {
		json_object_put(o);
		return;
	}
	fw_note(c, pcr, (size_t)event);
	pd = bad ? fw_bank(&c->a->fw.list[fl], bad->alg) : NULL;
	if (o && bad)
		json_object_object_add(o, "bank", json_object_new_string(dp_bank_name(bad->alg)));
	dp_add_old_new(o, &old, &new);
	if (!dp_line_open(&l)) {
		dp_emit(c->d, o, &l);
		return;
	}
	fprintf(l.f, "~ PCR%u: %s", pcr, what);
	if (!pd) {
		fprintf(l.f, ": no bank the policy accepts and %s lists to compare",
			hg_policy_fw_list_name(fl));
		dp_emit(c->d, o, &l);
		return;
	}
	fprintf(l.f, " %s changed: ", dp_bank_name(bad->alg));
	for (size_t i = 0; i < pd->n; i++) {
		json_object_array_add(old, dp_hexj(pd->d[i], bad->len));
		if (i < FW_SHOWN) {
			if (i)
				fputc(' ', l.f);
			dp_put_hex(l.f, pd->d[i], bad->len);
		}
	}
	if (pd->n > FW_SHOWN)
		fprintf(l.f, " (and %zu more)", pd->n - FW_SHOWN);
	json_object_array_add(new, dp_hexj(bad->d, bad->len));
	fputs(" " ARROW " ", l.f);
	dp_put_hex(l.f, bad->d, bad->len);
	dp_emit(c->d, o, &l);
}

static void fw_host_secure_boot(struct dp_ctx *c)
{
	const struct hg_uefi_facts *f = c->fw;
	enum hg_fw_secure_boot want = c->a->fw.secure_boot;
	long ev = f->var[HG_SBVAR_SECUREBOOT].event;
	json_object *o, *old, *new;
	struct dp_line l;

	if (want == HG_FW_SB_ANY || f->secure_boot == (want == HG_FW_SB_ENABLED))
		return;
	if (ev >= 0)
		fw_note(c, 7, (size_t)ev);
	o = fw_host_obj("changed", "secure_boot", 7, ev);
	dp_add_old_new(o, &old, &new);
	sb_json(old, want);
	if (f->secure_boot >= 0)
		json_object_array_add(new, json_object_new_boolean(f->secure_boot));
	if (dp_line_open(&l)) {
		fprintf(l.f, "~ PCR7: Secure Boot: the policy requires it %s; this host: ", sb_word(want));
		if (f->secure_boot < 0)
			fprintf(l.f, "unknown (%s)", f->secure_boot_why ? f->secure_boot_why : "?");
		else
			fprintf(l.f, "%s (event %ld)", f->secure_boot ? "enabled" : "disabled", ev);
	}
	dp_emit(c->d, o, &l);
}

static void fw_host_vars(struct dp_ctx *c)
{
	static const enum hg_uefi_sbvar var[HG_FW_NLISTS] = {
		[HG_FW_PK] = HG_SBVAR_PK, [HG_FW_KEK] = HG_SBVAR_KEK,
		[HG_FW_DB] = HG_SBVAR_DB, [HG_FW_DBX] = HG_SBVAR_DBX,
	};

	for (int fl = HG_FW_PK; fl <= HG_FW_DBX; fl++) {
		const struct hg_uefi_varfact *v = &c->fw->var[var[fl]];
		const char *name = hg_uefi_sbvar_name(var[fl]);
		const char *rule = hg_policy_fw_list_name((enum hg_fw_list)fl);
		json_object *o, *old, *new;
		char what[64];
		struct dp_line l;

		if (c->a->fw.list[fl].nbanks == 0)
			continue;
		/* No PCR 7 variable stands beside an unbound PCR 7 event. */
		if (c->fw->pcr7_unbound >= 0) {
			fw_note(c, 7, (size_t)c->fw->pcr7_unbound);
			o = fw_host_obj("changed", rule, 7, c->fw->pcr7_unbound);
			dp_add_old_new(o, &old, &new);
			if (dp_line_open(&l))
				fprintf(l.f, "~ PCR7: %s cannot be judged: event %ld on PCR 7 is not bound to its data (it could be any variable)",
					name, c->fw->pcr7_unbound);
			dp_emit(c->d, o, &l);
			continue;
		}
		if (v->event >= 0 && !v->conflict) {
			snprintf(what, sizeof(what), "%s (event %ld)", name, v->event);
			fw_item(c, (enum hg_fw_list)fl, 7, v->event, what, &v->digests,
				fw_host_obj("changed", rule, 7, v->event));
			continue;
		}
		if (v->event >= 0)
			fw_note(c, 7, (size_t)v->event);
		o = fw_host_obj(v->event < 0 ? "removed" : "changed", rule, 7, v->event);
		dp_add_old_new(o, &old, &new);
		if (dp_line_open(&l)) {
			if (v->event < 0)
				fprintf(l.f, "- PCR7: %s is not in this host's firmware log (the policy lists its digests)",
					name);
			else
				fprintf(l.f, "~ PCR7: %s is logged more than once with different digests (first at event %ld): the policy cannot tell which counts",
					name, v->event);
		}
		dp_emit(c->d, o, &l);
	}
}

/* Host mode: what in the host's firmware log the policy's firmware
 * section does not allow, event by event (the digests are bound to the
 * quote by the replay; a path is the log's claim, shown as it is). */
void dp_fw_host(struct dp_ctx *c)
{
	const struct hg_uefi_facts *f = c->fw;
	json_object *o, *old, *new;
	struct dp_line l;

	if (!c->a->fw.present)
		return;
	if (!f) {
		o = fw_obj("removed", "log");
		dp_add_old_new(o, &old, &new);
		if (dp_line_open(&l))
			fputs("- firmware: this host's evidence has no firmware event log (the policy judges firmware)",
			      l.f);
		dp_emit(c->d, o, &l);
		return;
	}
	fw_host_secure_boot(c);
	for (size_t i = 0; c->a->fw.list[HG_FW_BOOT_APPS].nbanks && i < f->napps; i++) {
		const struct hg_uefi_bootapp *a = &f->apps[i];
		char *what = NULL;

		o = fw_host_obj("changed", "boot_app", 4, (long)a->event);
		if (o)
			json_object_object_add(o, "path", a->path ? json_object_new_string(a->path) : NULL);
		/* A retyped event says so: its type is the log's claim. */
		if (a->type != HG_EV_EFI_BOOT_SERVICES_APPLICATION) {
			const char *tn = hg_uefi_event_type_name(a->type);

			if (asprintf(&what, "boot application (event %zu, logged as %s, path %s)",
				     a->event, tn ? tn : "an unnamed type",
				     a->path ? a->path : "unknown") < 0) {
				c->d->oom = 1;
				json_object_put(o);
				return;
			}
		} else if (a->path ? asprintf(&what, "boot application %s (event %zu)", a->path, a->event) < 0
			    : asprintf(&what, "boot application (event %zu, path unknown: %s)", a->event,
				       a->path_why ? a->path_why : "?") < 0) {
			c->d->oom = 1;
			json_object_put(o);
			return;
		}
		fw_item(c, HG_FW_BOOT_APPS, 4, (long)a->event, what, &a->digests, o);
		free(what);
	}
	fw_host_vars(c);
	for (size_t i = 0; !c->a->fw.allow_digest_mismatches && i < f->nmismatch; i++) {
		const struct hg_uefi_mismatch *m = &f->mismatch[i];
		const char *type = hg_uefi_event_type_name(m->type);

		fw_note(c, m->pcr, m->event);
		o = fw_host_obj("changed", "digest_mismatch", m->pcr, (long)m->event);
		if (o)
			json_object_object_add(o, "bank", json_object_new_string(dp_bank_name(m->alg)));
		dp_add_old_new(o, &old, &new);
		if (dp_line_open(&l)) {
			fprintf(l.f, "~ PCR%u: event %zu (", m->pcr, m->event);
			if (type)
				fputs(type, l.f);
			else
				fprintf(l.f, "type 0x%08x", m->type);
			fprintf(l.f, "): its %s digest is not the hash of its data (the policy denies digest mismatches)",
				dp_bank_name(m->alg));
		}
		dp_emit(c->d, o, &l);
	}
}

/* Host mode, a changed PCR: name the firmware events above that the
 * policy does not allow on it. With none, say so only where the policy's
 * firmware section judges that PCR: the change is then in an event it
 * does not judge (what the policy pinned was a value, not an event). */
void dp_explain_pcr(struct dp_ctx *c, unsigned p, json_object *o, FILE *f)
{
	const struct hg_policy_firmware *fw = &c->a->fw;
	const struct fw_noted *n = &c->noted[p];
	int judged = 0;

	fputs(" (changed on this host", f);
	if (!c->fw || !fw->present) {
		fputc(')', f);
		return;
	}
	if (n->n) {
		json_object *arr = json_object_new_array();

		fputs("; firmware events the policy does not allow:", f);
		for (size_t i = 0; i < n->n && i < FW_NOTED; i++) {
			fprintf(f, "%s %zu", i ? "," : "", n->ev[i]);
			json_object_array_add(arr, json_object_new_uint64(n->ev[i]));
		}
		if (n->n > FW_NOTED)
			fprintf(f, " and %zu more", n->n - FW_NOTED);
		fputc(')', f);
		if (o)
			json_object_object_add(o, "events", arr);
		else
			json_object_put(arr);
		return;
	}
	if (p == 4)
		judged = fw->list[HG_FW_BOOT_APPS].nbanks > 0;
	if (p == 7) {
		judged = fw->secure_boot != HG_FW_SB_ANY;
		for (int l = HG_FW_PK; l <= HG_FW_DBX; l++)
			judged |= fw->list[l].nbanks > 0;
	}
	fputs(judged ? "; every event on it that the policy's firmware section judges is allowed:"
		       " the change is in another event)"
		     : ")", f);
}

