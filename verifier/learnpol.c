/* learnpol.c: see learnpol.h. */
#include "learnpol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

struct collect {
	json_object *measurements;   /* kind -> name -> {bank: [hex]} */
	struct hg_digests banks;     /* the log's banks (record 0) */
	int have_banks;
	int oom;
};

static void add_digest(json_object *arr, const char *hex)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), hex))
			return;
	json_object_array_add(arr, json_object_new_string(hex));
}

/* Remove NAME from every workload kind but KIND. */
static void drop_other_kinds(json_object *measurements, enum hg_kind kind, const char *name)
{
	static const enum hg_kind wl[] = { HG_KIND_CONFIG, HG_KIND_IMAGE, HG_KIND_OVERLAY };
	json_object *names;

	for (size_t i = 0; i < sizeof(wl) / sizeof(wl[0]); i++)
		if (wl[i] != kind &&
		    json_object_object_get_ex(measurements, hg_kind_name(wl[i]), &names))
			json_object_object_del(names, name);
}

static void on_record(void *arg, const struct hg_cel_rec *rec)
{
	struct collect *c = arg;
	json_object *kind, *entry;
	char *name;

	if (!c->have_banks) {
		c->banks = rec->digests;
		c->have_banks = 1;
	}
	if (rec->type != HG_CT_FILE || c->oom)
		return;
	/* A break-glass use is an exception by definition: learning it
	 * would make the next one silent. Allow it by hand if you must. */
	if (rec->kind == HG_KIND_BREAKGLASS) {
		hg_err("record %llu: breakglass %.*s is not learned (add it by hand "
		       "to accept this break-glass use)", (unsigned long long)rec->recnum,
		       (int)rec->name_len, rec->name);
		return;
	}
	if (!json_object_object_get_ex(c->measurements, hg_kind_name(rec->kind), &kind)) {
		kind = json_object_new_object();
		json_object_object_add(c->measurements, hg_kind_name(rec->kind), kind);
	}
	name = strndup(rec->name, rec->name_len);
	if (!name) {
		c->oom = 1;
		return;
	}
	/* A host file measured twice may have run in both versions: the
	 * entry keeps both digests. A workload's later record supersedes
	 * the earlier of its name, whatever their kinds (judge.h), so it
	 * replaces the entry, and the name leaves the other workload kinds:
	 * learn accepts what check would judge, in a policy its loader
	 * accepts (a path names one file, of one kind). An overlay's entry
	 * stays {}. */
	if (hg_kind_is_workload(rec->kind))
		drop_other_kinds(c->measurements, rec->kind, name);
	if (hg_kind_is_workload(rec->kind) ||
	    !json_object_object_get_ex(kind, name, &entry)) {
		entry = json_object_new_object();
		json_object_object_add(kind, name, entry);
	}
	free(name);
	for (size_t i = 0; i < rec->file.n; i++) {
		const struct hg_bank *b = hg_bank_by_alg(rec->file.v[i].alg);
		char hex[2 * HG_MAX_DIGEST + 1];
		json_object *arr;

		if (!json_object_object_get_ex(entry, b->name, &arr)) {
			arr = json_object_new_array();
			json_object_object_add(entry, b->name, arr);
		}
		hg_hex_encode(rec->file.v[i].d, rec->file.v[i].len, hex);
		add_digest(arr, hex);
	}
}

/* Keep only the accepted banks in every measurement entry. */
static void prune_banks(json_object *measurements, json_object *banks)
{
	json_object_object_foreach(measurements, kind, names) {
		(void)kind;
		json_object_object_foreach(names, name, entry) {
			const char *drop[HG_MAX_BANKS];
			size_t nd = 0;

			(void)name;
			json_object_object_foreach(entry, bank, v) {
				int keep = 0;

				(void)v;
				for (size_t i = 0; i < json_object_array_length(banks); i++)
					keep |= !strcmp(bank, json_object_get_string(
								      json_object_array_get_idx(banks, i)));
				if (!keep && nd < HG_MAX_BANKS)
					drop[nd++] = bank;
			}
			for (size_t i = 0; i < nd; i++)
				json_object_object_del(entry, drop[i]);
		}
	}
}

int hv_learn(const uint8_t *evidence, size_t len, const struct hg_ak *ak,
	     const uint8_t *nonce, size_t nonce_len, uint32_t pcrmask,
	     json_object **policy, struct hv_result *res)
{
	struct collect c = { .measurements = json_object_new_object() };
	struct hv_inputs in = {
		.evidence = evidence, .evidence_len = len, .ak = ak,
		.nonce = nonce, .nonce_len = nonce_len, .want_json = 1,
		.on_record = on_record, .arg = &c,
	};
	json_object *p = NULL, *banks, *pcrs;
	const struct hg_pcr_sel *sel;
	int rc, strong = 0;
	unsigned log_pcr = 13;

	*policy = NULL;
	rc = hv_verify(&in, res);
	if (rc != 0 || c.oom) {
		json_object_put(c.measurements);
		return rc ? rc : 2;
	}
	sel = &res->quote.sel;
	if (res->log_pcrs)
		log_pcr = (unsigned)__builtin_ctz(res->log_pcrs);
	p = json_object_new_object();
	json_object_object_add(p, "version", json_object_new_int(1));
	banks = json_object_new_array();
	for (size_t i = 0; i < sel->n; i++)
		if (sel->b[i].alg != HG_ALG_SHA1 &&
		    (!c.have_banks || hg_digests_get(&c.banks, sel->b[i].alg)))
			strong = 1;
	for (size_t i = 0; i < sel->n; i++) {
		uint16_t alg = sel->b[i].alg;

		if (c.have_banks && !hg_digests_get(&c.banks, alg))
			continue;
		if (strong && alg == HG_ALG_SHA1)
			continue;
		json_object_array_add(banks, json_object_new_string(hg_bank_by_alg(alg)->name));
	}
	json_object_object_add(p, "banks", banks);
	json_object_object_add(p, "pcr", json_object_new_int((int)log_pcr));
	prune_banks(c.measurements, banks);
	json_object_object_add(p, "measurements", c.measurements);
	pcrs = json_object_new_object();
	for (size_t i = 0; i < res->ev.pcrs.n; i++) {
		const struct hg_pcr_value *v = &res->ev.pcrs.v[i];
		const char *bname = hg_bank_by_alg(v->alg)->name;
		json_object *bank;
		char idx[8], hex[2 * HG_MAX_DIGEST + 1];
		int accepted = 0;

		if (!(pcrmask & (1u << v->pcr)) || (res->log_pcrs & (1u << v->pcr)) ||
		    v->pcr == log_pcr)
			continue;
		for (size_t k = 0; k < json_object_array_length(banks); k++)
			accepted |= !strcmp(bname, json_object_get_string(
							   json_object_array_get_idx(banks, k)));
		if (!accepted)
			continue;
		if (!json_object_object_get_ex(pcrs, bname, &bank)) {
			bank = json_object_new_object();
			json_object_object_add(pcrs, bname, bank);
		}
		snprintf(idx, sizeof(idx), "%u", v->pcr);
		hg_hex_encode(v->d, v->len, hex);
		json_object_object_add(bank, idx, json_object_new_string(hex));
	}
	json_object_object_add(p, "pcrs", pcrs);
	if (res->fw_replayed && hv_learn_firmware(p, &res->fw_facts) < 0) {
		json_object_put(p);
		return 2;
	}
	*policy = p;
	return 0;
}

/* ---- firmware ---- */

static int bank_accepted(json_object *banks, uint16_t alg)
{
	const char *name = hg_bank_by_alg(alg)->name;

	for (size_t i = 0; i < json_object_array_length(banks); i++)
		if (!strcmp(name, json_object_get_string(json_object_array_get_idx(banks, i))))
			return 1;
	return 0;
}

/* D's digests in the accepted banks into LIST ({bank: [hex]}), each
 * once. Returns how many banks of D are accepted, or -1 when a bank
 * would list more than policy.c takes (4096). */
static int list_add(json_object *list, json_object *banks, const struct hg_digests *d)
{
	int n = 0;

	for (size_t i = 0; i < d->n; i++) {
		const struct hg_bank *b = hg_bank_by_alg(d->v[i].alg);
		char hex[2 * HG_MAX_DIGEST + 1];
		json_object *arr;

		if (!b || !bank_accepted(banks, b->alg))
			continue;
		if (!json_object_object_get_ex(list, b->name, &arr)) {
			arr = json_object_new_array();
			json_object_object_add(list, b->name, arr);
		}
		hg_hex_encode(d->v[i].d, d->v[i].len, hex);
		add_digest(arr, hex);
		if (json_object_array_length(arr) > 4096)
			return -1;
		n++;
	}
	return n;
}

/* "sha256,sha384": the accepted banks, for a message. */
static const char *banks_str(json_object *banks, char *buf, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(banks); i++)
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", i ? "," : "",
			 json_object_get_string(json_object_array_get_idx(banks, i)));
	return buf;
}

static json_object *learn_boot_apps(const struct hg_uefi_facts *f, json_object *banks)
{
	json_object *list = json_object_new_object();
	char bs[64];

	for (size_t i = 0; list && i < f->napps; i++) {
		const struct hg_uefi_bootapp *a = &f->apps[i];
		int r = list_add(list, banks, &a->digests);

		if (r > 0)
			continue;
		if (r < 0)
			hg_err("firmware: more than 4096 distinct boot application digests: boot_apps not learned");
		else
			hg_err("firmware: boot application (event %zu) has no digest in the policy's banks (%s): boot_apps not learned",
			       a->event, banks_str(banks, bs, sizeof(bs)));
		json_object_put(list);
		return NULL;
	}
	if (list && json_object_object_length(list) == 0) {
		json_object_put(list);
		list = NULL;
	}
	return list;
}

int hv_learn_firmware(json_object *policy, const struct hg_uefi_facts *f)
{
	static const struct {
		const char *key;
		enum hg_uefi_sbvar var;
	} vars[] = {
		{ "pk", HG_SBVAR_PK }, { "kek", HG_SBVAR_KEK },
		{ "db", HG_SBVAR_DB }, { "dbx", HG_SBVAR_DBX },
	};
	json_object *fw, *banks, *list;
	char bs[64];

	if (!json_object_object_get_ex(policy, "banks", &banks) ||
	    !(fw = json_object_new_object()))
		return -1;
	if (f->secure_boot >= 0)
		json_object_object_add(fw, "secure_boot", json_object_new_boolean(f->secure_boot));
	else
		hg_err("firmware: Secure Boot state is unknown (%s): secure_boot not learned",
		       f->secure_boot_why ? f->secure_boot_why : "?");
	if ((list = learn_boot_apps(f, banks)))
		json_object_object_add(fw, "boot_apps", list);
	if (f->pcr7_unbound >= 0)
		hg_err("firmware: event %ld on PCR 7 is not bound to its data (its digest is not the hash of what it logs): pk, kek, db and dbx not learned",
		       f->pcr7_unbound);
	for (size_t k = 0; k < sizeof(vars) / sizeof(vars[0]); k++) {
		const struct hg_uefi_varfact *v = &f->var[vars[k].var];
		const char *name = hg_uefi_sbvar_name(vars[k].var);

		if (v->event < 0)
			continue;
		if (v->conflict) {
			hg_err("firmware: %s is logged more than once with different digests (first at event %ld): %s not learned",
			       name, v->event, vars[k].key);
			continue;
		}
		list = json_object_new_object();
		if (list && list_add(list, banks, &v->digests) > 0) {
			json_object_object_add(fw, vars[k].key, list);
			continue;
		}
		json_object_put(list);
		hg_err("firmware: %s (event %ld) has no digest in the policy's banks (%s): %s not learned",
		       name, v->event, banks_str(banks, bs, sizeof(bs)), vars[k].key);
	}
	if (f->nmismatch) {
		const struct hg_uefi_mismatch *m = &f->mismatch[0];
		const char *type = hg_uefi_event_type_name(m->type);

		hg_err("firmware: %zu event%s' digest%s not the hash of %s data (first: event %zu, PCR %u, %s): "
		       "the learned policy refuses this host; set \"digest_mismatches\": \"allow\" to accept it",
		       f->nmismatch, f->nmismatch == 1 ? "" : "s", f->nmismatch == 1 ? " is" : "s are",
		       f->nmismatch == 1 ? "its" : "their", m->event, m->pcr, type ? type : "unnamed type");
	}
	json_object_object_add(policy, "firmware", fw);
	return 0;
}
