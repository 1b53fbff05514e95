/* fwjudge.c: see fwjudge.h. Rules and their reasons: policies/README.md
 * "Firmware".
 *
 * Only digests are judged against lists: the replay bound them to the
 * quoted PCRs, and lib/uefifacts_bound.c keeps only their bound banks. The one
 * fact read from event data, the SecureBoot value, is one uefifacts_bound.c
 * reports only when its event's data hashes to its bound digests. The
 * boot-application rule judges every digest extended into PCR 4 but the
 * known-harmless ones, whatever type the log gives it (a type is not
 * extended: an attacker may retype an application as an action). A boot
 * application's path and type are not bound to anything (its digest is
 * of the image, not of the event data): they are shown to help a person,
 * never judged.
 */
#include "fwjudge.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../lib/util.h"

/* A path is the log's claim, of any length: lines and JSON show at most
 * this many bytes of it. */
#define PATH_SHOWN 96

struct fj {
	const struct hg_policy *p;
	const struct hg_uefi_facts *f;
	int want_json;
	hv_fw_add_fn add;
	void *arg;
	size_t n;
};

static const char *bank_name(uint16_t alg)
{
	const struct hg_bank *b = hg_bank_by_alg(alg);

	return b ? b->name : "?";
}

static void fail(struct fj *j, json_object *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One failure: F (may be NULL) goes to the caller, with the line. */
static void fail(struct fj *j, json_object *f, const char *fmt, ...)
{
	char why[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	j->n++;
	j->add(j->arg, f, why);
}

static json_object *hexj(const uint8_t *p, size_t n)
{
	char hex[2 * HG_MAX_DIGEST + 1];

	hg_hex_encode(p, n < HG_MAX_DIGEST ? n : HG_MAX_DIGEST, hex);
	return json_object_new_string(hex);
}

/* {"kind": "firmware", "rule": RULE}, or NULL without JSON. */
static json_object *failure(const struct fj *j, const char *rule)
{
	json_object *o;

	if (!j->want_json || !(o = json_object_new_object()))
		return NULL;
	json_object_object_add(o, "kind", json_object_new_string("firmware"));
	json_object_object_add(o, "rule", json_object_new_string(rule));
	return o;
}

static void add_event(json_object *o, size_t event)
{
	if (o)
		json_object_object_add(o, "event", json_object_new_uint64(event));
}

static void add_digests(json_object *o, const struct hg_digests *d, const struct hg_policy_fwlist *l)
{
	json_object *dj, *aj;

	if (!o)
		return;
	dj = json_object_new_object();
	for (size_t i = 0; i < d->n; i++)
		json_object_object_add(dj, bank_name(d->v[i].alg), hexj(d->v[i].d, d->v[i].len));
	json_object_object_add(o, "digest", dj);
	aj = json_object_new_object();
	for (size_t b = 0; b < l->nbanks; b++) {
		json_object *arr = json_object_new_array();

		for (size_t i = 0; i < l->banks[b].n; i++)
			json_object_array_add(arr, hexj(l->banks[b].d[i],
							hg_bank_by_alg(l->banks[b].alg)->size));
		json_object_object_add(aj, bank_name(l->banks[b].alg), arr);
	}
	json_object_object_add(o, "allowed", aj);
}

/* How many bytes of PATH to show: at most PATH_SHOWN, not cutting a
 * UTF-8 sequence (the path is UTF-8, lib/uefifacts.h). */
static int shown(const char *path)
{
	size_t n = strlen(path);

	if (n <= PATH_SHOWN)
		return (int)n;
	n = PATH_SHOWN;
	while (n > 0 && ((unsigned char)path[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

/* The type's PFP name, or "0x%08x" in BUF. */
static const char *type_str(uint32_t type, char buf[24])
{
	const char *n = hg_uefi_event_type_name(type);

	if (n)
		return n;
	snprintf(buf, 24, "type 0x%08x", type);
	return buf;
}

static void judge_secure_boot(struct fj *j)
{
	const struct hg_uefi_facts *f = j->f;
	int want = j->p->fw.secure_boot == HG_FW_SB_ENABLED;
	long ev = f->var[HG_SBVAR_SECUREBOOT].event;
	json_object *o;

	if (j->p->fw.secure_boot == HG_FW_SB_ANY || f->secure_boot == want)
		return;
	o = failure(j, "secure_boot");
	if (o) {
		if (ev >= 0)
			add_event(o, (size_t)ev);
		json_object_object_add(o, "value", f->secure_boot < 0 ? NULL
					: json_object_new_boolean(f->secure_boot));
		json_object_object_add(o, "allowed", json_object_new_boolean(want));
	}
	if (f->secure_boot < 0)
		fail(j, o, "firmware: Secure Boot state is unknown (%s); the policy requires it %s",
		     f->secure_boot_why ? f->secure_boot_why : "?", want ? "enabled" : "disabled");
	else
		fail(j, o, "firmware: Secure Boot is %s (event %ld); the policy requires it %s",
		     f->secure_boot ? "enabled" : "disabled", ev, want ? "enabled" : "disabled");
}

static void judge_boot_apps(struct fj *j)
{
	const struct hg_policy_fwlist *l = &j->p->fw.list[HG_FW_BOOT_APPS];

	if (l->nbanks == 0)
		return;
	for (size_t i = 0; i < j->f->napps; i++) {
		const struct hg_uefi_bootapp *a = &j->f->apps[i];
		const struct hg_digest *bad = NULL;
		char where[PATH_SHOWN + 240], typed[64], tb[24];
		json_object *o;
		int r = hg_policy_fw_allows(j->p, HG_FW_BOOT_APPS, &a->digests, &bad);

		if (r == 1)
			continue;
		o = failure(j, "boot_app");
		add_event(o, a->event);
		if (o)
			json_object_object_add(o, "path", a->path
					       ? json_object_new_string_len(a->path, shown(a->path))
					       : NULL);
		add_digests(o, &a->digests, l);
		if (o && a->type != HG_EV_EFI_BOOT_SERVICES_APPLICATION)
			json_object_object_add(o, "logged_type", json_object_new_string(type_str(a->type, tb)));
		/* A retyped event says so: its type is the log's claim. */
		if (a->type != HG_EV_EFI_BOOT_SERVICES_APPLICATION)
			snprintf(typed, sizeof(typed), ", logged as %s", type_str(a->type, tb));
		else
			typed[0] = '\0';
		if (a->path)
			snprintf(where, sizeof(where), "event %zu%s, %.*s", a->event, typed,
				 shown(a->path), a->path);
		else
			snprintf(where, sizeof(where), "event %zu%s, path unknown: %s", a->event,
				 typed, a->path_why ? a->path_why : "?");
		if (r < 0) {
			fail(j, o, "firmware: boot application (%s): no bank the policy accepts and boot_apps lists to compare",
			     where);
		} else {
			char hex[2 * HG_MAX_DIGEST + 1];

			hg_hex_encode(bad->d, bad->len, hex);
			fail(j, o, "firmware: boot application (%s) %s:%s is not allowed", where,
			     bank_name(bad->alg), hex);
		}
	}
}

static void judge_vars(struct fj *j)
{
	static const struct {
		enum hg_fw_list list;
		enum hg_uefi_sbvar var;
	} map[] = {
		{ HG_FW_PK, HG_SBVAR_PK }, { HG_FW_KEK, HG_SBVAR_KEK },
		{ HG_FW_DB, HG_SBVAR_DB }, { HG_FW_DBX, HG_SBVAR_DBX },
	};

	for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
		const struct hg_policy_fwlist *l = &j->p->fw.list[map[k].list];
		const struct hg_uefi_varfact *v = &j->f->var[map[k].var];
		const char *rule = hg_policy_fw_list_name(map[k].list);
		const char *name = hg_uefi_sbvar_name(map[k].var);
		const struct hg_digest *bad = NULL;
		json_object *o;
		int r;

		if (l->nbanks == 0)
			continue;
		/* An unbound event on PCR 7 could be this variable's real
		 * measurement, its data replaced: the one we see proves nothing. */
		if (j->f->pcr7_unbound >= 0) {
			o = failure(j, rule);
			add_event(o, (size_t)j->f->pcr7_unbound);
			if (o)
				add_digests(o, &(struct hg_digests){ 0 }, l);
			fail(j, o, "firmware: %s cannot be judged: event %ld on PCR 7 is not bound to its data (its digest is not the hash of what it logs), it could be any variable",
			     name, j->f->pcr7_unbound);
			continue;
		}
		if (v->event < 0) {
			o = failure(j, rule);
			if (o)
				add_digests(o, &(struct hg_digests){ 0 }, l);
			fail(j, o, "firmware: %s is not in the firmware log (no event on PCR 7 whose data hashes to its digest is that variable); the policy lists its allowed digests",
			     name);
			continue;
		}
		/* uefifacts keeps the first event: with a second of other
		 * digests, which value the firmware used is unknowable. */
		if (v->conflict) {
			o = failure(j, rule);
			add_event(o, (size_t)v->event);
			add_digests(o, &v->digests, l);
			fail(j, o, "firmware: %s is logged more than once with different digests (first at event %ld); the policy cannot tell which counts",
			     name, v->event);
			continue;
		}
		r = hg_policy_fw_allows(j->p, map[k].list, &v->digests, &bad);
		if (r == 1)
			continue;
		o = failure(j, rule);
		add_event(o, (size_t)v->event);
		add_digests(o, &v->digests, l);
		if (r < 0) {
			fail(j, o, "firmware: %s (event %ld): no bank the policy accepts and %s lists to compare",
			     name, v->event, rule);
		} else {
			char hex[2 * HG_MAX_DIGEST + 1];

			hg_hex_encode(bad->d, bad->len, hex);
			fail(j, o, "firmware: %s (event %ld) %s:%s is not allowed", name, v->event,
			     bank_name(bad->alg), hex);
		}
	}
}

static void judge_mismatches(struct fj *j)
{
	if (j->p->fw.allow_digest_mismatches)
		return;
	for (size_t i = 0; i < j->f->nmismatch; i++) {
		const struct hg_uefi_mismatch *m = &j->f->mismatch[i];
		const char *type = hg_uefi_event_type_name(m->type);
		char tbuf[24];
		json_object *o = failure(j, "digest_mismatch");

		if (!type) {
			snprintf(tbuf, sizeof(tbuf), "type 0x%08x", m->type);
			type = tbuf;
		}
		add_event(o, m->event);
		if (o) {
			json_object_object_add(o, "pcr", json_object_new_int((int)m->pcr));
			json_object_object_add(o, "type", json_object_new_string(type));
			json_object_object_add(o, "bank", json_object_new_string(bank_name(m->alg)));
		}
		fail(j, o, "firmware: event %zu (PCR %u, %s): its %s digest is not the hash of its data",
		     m->event, m->pcr, type, bank_name(m->alg));
	}
}

size_t hv_judge_firmware(const struct hg_policy *p, const struct hg_uefi_facts *f,
			 int want_json, hv_fw_add_fn add, void *arg)
{
	struct fj j = { .p = p, .f = f, .want_json = want_json, .add = add, .arg = arg };

	if (!p->fw.present)
		return 0;
	if (!f) {
		fail(&j, failure(&j, "log"),
		     "firmware: the evidence has no firmware event log, the policy judges firmware");
		return j.n;
	}
	judge_secure_boot(&j);
	judge_boot_apps(&j);
	judge_vars(&j);
	judge_mismatches(&j);
	return j.n;
}
