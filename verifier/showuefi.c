/* showuefi.c: see showuefi.h. */
#include "inputs.h"
#include "showuefi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/text.h"
#include "../lib/util.h"
#include "cmds.h"

static json_object *hexj(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	json_object *o;

	if (!s)
		return NULL;
	hg_hex_encode(p, n, s);
	o = json_object_new_string(s);
	free(s);
	return o;
}

static const char *bank_name(uint16_t alg)
{
	const struct hg_bank *b = hg_bank_by_alg(alg);

	return b ? b->name : "?";
}

/* The type's PFP name, or "0x%08x" in BUF. */
static const char *type_str(uint32_t type, char buf[11])
{
	const char *n = hg_uefi_event_type_name(type);

	if (n)
		return n;
	snprintf(buf, 11, "0x%08x", type);
	return buf;
}

static json_object *digests_json(const struct hg_digests *d)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; o && i < d->n; i++)
		json_object_object_add(o, bank_name(d->v[i].alg),
				       hexj(d->v[i].d, d->v[i].len));
	return o;
}

/* ---- one event ------------------------------------------------------- */

static int is_variable(uint32_t type)
{
	return type == HG_EV_EFI_VARIABLE_DRIVER_CONFIG ||
	       type == HG_EV_EFI_VARIABLE_BOOT ||
	       type == HG_EV_EFI_VARIABLE_BOOT2 ||
	       type == HG_EV_EFI_VARIABLE_AUTHORITY;
}

static int is_image(uint32_t type)
{
	return type == HG_EV_EFI_BOOT_SERVICES_APPLICATION ||
	       type == HG_EV_EFI_BOOT_SERVICES_DRIVER ||
	       type == HG_EV_EFI_RUNTIME_SERVICES_DRIVER;
}

/* Types whose data is a string worth showing: ASCII (EV_ACTION and
 * friends, the EV_NO_ACTION signatures) or UTF-16 (most S-CRTM versions). */
static int is_text(uint32_t type)
{
	switch (type) {
	case HG_EV_NO_ACTION:
	case HG_EV_ACTION:
	case HG_EV_EFI_ACTION:
	case HG_EV_S_CRTM_VERSION:
	case HG_EV_OMIT_BOOT_DEVICE_EVENTS:
	case HG_EV_EFI_HCRTM_EVENT:
	case HG_EV_IPL:
		return 1;
	}
	return 0;
}

#define TEXT_MAX 128   /* bytes of data shown as text */

/* The event data as text: UTF-16LE when it reads as such (even length,
 * every high byte zero), else the bytes through the one escaper (lib/text.h);
 * one trailing NUL dropped. EV_NO_ACTION shows its 16-byte signature. A
 * fresh string, or NULL (out of memory). */
static char *event_text(const struct hg_uefi_event *ev)
{
	size_t n = ev->data_len;
	const uint8_t *d = ev->data;
	int utf16;

	if (ev->type == HG_EV_NO_ACTION && n > 16)
		n = 16;
	if (n > TEXT_MAX)
		n = TEXT_MAX;
	/* UTF-16LE: every high byte zero, no NUL but a last one. */
	utf16 = n >= 2 && n % 2 == 0;
	for (size_t i = 0; utf16 && i < n; i += 2)
		utf16 = d[i + 1] == 0 && (d[i] != 0 || i == n - 2);
	if (utf16)
		return hg_utf16le_to_utf8(d, d[n - 2] ? n / 2 : n / 2 - 1);
	if (n && d[n - 1] == 0)
		n--;
	return hg_escape(d, n);
}

static json_object *event_json(const struct hg_uefi_event *ev)
{
	json_object *o = json_object_new_object();
	char tb[11];
	int m;

	json_object_object_add(o, "event", json_object_new_uint64(ev->index));
	json_object_object_add(o, "offset", json_object_new_uint64(ev->offset));
	json_object_object_add(o, "pcr", json_object_new_int64(ev->pcr));
	json_object_object_add(o, "type", json_object_new_string(type_str(ev->type, tb)));
	json_object_object_add(o, "type_value", json_object_new_int64(ev->type));
	json_object_object_add(o, "digests", digests_json(&ev->digests));
	json_object_object_add(o, "data_len", json_object_new_int64(ev->data_len));
	json_object_object_add(o, "data", hexj(ev->data, ev->data_len));
	if (is_text(ev->type)) {
		char *t = event_text(ev);

		if (t)
			json_object_object_add(o, "text", json_object_new_string(t));
		free(t);
	}
	if (is_variable(ev->type)) {
		struct hg_uefi_var v;
		const char *why;

		if (hg_uefi_var_decode(ev->data, ev->data_len, &v, &why) == 0) {
			json_object *vj = json_object_new_object();
			char guid[HG_GUID_STR_LEN], *name = hg_utf16le_to_utf8(v.name, v.name_units);

			hg_uefi_guid_str(v.guid, guid);
			json_object_object_add(vj, "guid", json_object_new_string(guid));
			json_object_object_add(vj, "name", name ? json_object_new_string(name) : NULL);
			json_object_object_add(vj, "data_len", json_object_new_uint64(v.data_len));
			json_object_object_add(o, "variable", vj);
			free(name);
		} else {
			json_object_object_add(o, "variable_error", json_object_new_string(why));
		}
	}
	if (is_image(ev->type)) {
		char *path;
		const char *why;

		if (hg_uefi_image_path(ev->data, ev->data_len, &path, &why) == 0)
			json_object_object_add(o, "path", json_object_new_string(path));
		else
			json_object_object_add(o, "path_error", json_object_new_string(why));
		free(path);
	}
	m = hg_uefi_digest_check(ev, NULL);
	if (m >= 0)
		json_object_object_add(o, "digest_matches_data", json_object_new_boolean(m));
	return o;
}

static void print_event(const struct hg_uefi_event *ev)
{
	char tb[11];
	uint16_t alg = 0;

	printf("#%zu @%zu pcr %u %s (%u byte%s)\n", ev->index, ev->offset, ev->pcr,
	       type_str(ev->type, tb), ev->data_len, ev->data_len == 1 ? "" : "s");
	if (is_text(ev->type) && ev->data_len) {
		char *t = event_text(ev);

		if (t)
			printf("    text      \"%s\"%s\n", t,
			       ev->data_len > TEXT_MAX ? " (cut)" : "");
		free(t);
	}
	if (ev->type == HG_EV_SEPARATOR && ev->data_len == 4)
		printf("    value     %02x%02x%02x%02x\n", ev->data[0], ev->data[1],
		       ev->data[2], ev->data[3]);
	if (is_variable(ev->type)) {
		struct hg_uefi_var v;
		const char *why;

		if (hg_uefi_var_decode(ev->data, ev->data_len, &v, &why) == 0) {
			char guid[HG_GUID_STR_LEN], *name = hg_utf16le_to_utf8(v.name, v.name_units);

			hg_uefi_guid_str(v.guid, guid);
			printf("    variable  %s:%s (%zu byte%s)", guid, name ? name : "?",
			       v.data_len, v.data_len == 1 ? "" : "s");
			if (v.data_len == 1)
				printf(" = %02x", v.data[0]);
			putchar('\n');
			free(name);
		} else {
			printf("    variable  ? (%s)\n", why);
		}
	}
	if (is_image(ev->type)) {
		char *path;
		const char *why;

		if (hg_uefi_image_path(ev->data, ev->data_len, &path, &why) == 0)
			printf("    path      %s\n", path);
		else
			printf("    path      ? (%s)\n", why);
		free(path);
	}
	for (size_t i = 0; i < ev->digests.n; i++) {
		char hex[2 * HG_MAX_DIGEST + 1];

		hg_hex_encode(ev->digests.v[i].d, ev->digests.v[i].len, hex);
		printf("    %-9s %s\n", bank_name(ev->digests.v[i].alg), hex);
	}
	if (hg_uefi_digest_check(ev, &alg) == 0)
		printf("    NOTE: the %s digest is not the hash of the event data\n",
		       bank_name(alg));
}

/* ---- facts ------------------------------------------------------------ */

static const char *sep_kind(enum hg_uefi_sep k)
{
	switch (k) {
	case HG_SEP_NONE: return "none";
	case HG_SEP_NORMAL: return "normal";
	case HG_SEP_NORMAL_FF: return "normal-ffffffff";
	case HG_SEP_ERROR: return "error";
	case HG_SEP_BAD: return "bad";
	}
	return "?";
}

/* "pk", "kek", "db", "dbx": the JSON keys of the digest facts. */
static const char *const var_keys[HG_SBVAR_N] = {
	[HG_SBVAR_SECUREBOOT] = NULL, [HG_SBVAR_PK] = "pk", [HG_SBVAR_KEK] = "kek",
	[HG_SBVAR_DB] = "db", [HG_SBVAR_DBX] = "dbx",
};

json_object *hv_uefi_facts_json(const struct hg_uefi_facts *f)
{
	json_object *o = json_object_new_object(), *vars = json_object_new_object();
	json_object *apps = json_object_new_array(), *seps = json_object_new_array();
	json_object *kinds = json_object_new_object(), *mis = json_object_new_array();

	json_object_object_add(o, "secure_boot", f->secure_boot < 0 ? NULL :
			       json_object_new_boolean(f->secure_boot));
	if (f->secure_boot < 0)
		json_object_object_add(o, "secure_boot_reason",
				       json_object_new_string(f->secure_boot_why));
	for (int i = 0; i < HG_SBVAR_N; i++) {
		const struct hg_uefi_varfact *v = &f->var[i];
		const struct hg_digest *d = hg_uefi_varfact_digest(v);
		json_object *vj;

		if (var_keys[i])
			json_object_object_add(o, var_keys[i], d ? hexj(d->d, d->len) : NULL);
		if (v->event < 0) {
			json_object_object_add(vars, hg_uefi_sbvar_name(i), NULL);
			continue;
		}
		vj = json_object_new_object();
		json_object_object_add(vj, "event", json_object_new_int64(v->event));
		json_object_object_add(vj, "digests", digests_json(&v->digests));
		json_object_object_add(vj, "digest_matches_data",
				       json_object_new_boolean(v->matches_data));
		json_object_object_add(vj, "conflict", json_object_new_boolean(v->conflict));
		json_object_object_add(vars, hg_uefi_sbvar_name(i), vj);
	}
	json_object_object_add(o, "variables", vars);
	if (f->pcr7_unbound >= 0)
		json_object_object_add(o, "pcr7_unbound_event", json_object_new_int64(f->pcr7_unbound));
	for (size_t i = 0; i < f->napps; i++) {
		const struct hg_uefi_bootapp *a = &f->apps[i];
		json_object *aj = json_object_new_object();

		json_object_object_add(aj, "event", json_object_new_uint64(a->event));
		if (a->type != HG_EV_EFI_BOOT_SERVICES_APPLICATION) {
			char tb[11];

			json_object_object_add(aj, "logged_type",
					       json_object_new_string(type_str(a->type, tb)));
		}
		for (size_t b = 0; b < a->digests.n; b++)
			json_object_object_add(aj, bank_name(a->digests.v[b].alg),
					       hexj(a->digests.v[b].d, a->digests.v[b].len));
		json_object_object_add(aj, "path", json_object_new_string(a->path ? a->path : "?"));
		if (!a->path)
			json_object_object_add(aj, "path_reason", json_object_new_string(a->path_why));
		json_object_array_add(apps, aj);
	}
	json_object_object_add(o, "boot_apps", apps);
	for (int p = 0; p < 8; p++) {
		char key[12];

		if (f->sep[p] == HG_SEP_NONE)
			continue;
		json_object_array_add(seps, json_object_new_int(p));
		snprintf(key, sizeof(key), "%d", p);
		json_object_object_add(kinds, key, json_object_new_string(sep_kind(f->sep[p])));
	}
	json_object_object_add(o, "separators", seps);
	json_object_object_add(o, "separator_kinds", kinds);
	for (size_t i = 0; i < f->nmismatch; i++) {
		const struct hg_uefi_mismatch *m = &f->mismatch[i];
		json_object *mj = json_object_new_object();
		char tb[11];

		json_object_object_add(mj, "event", json_object_new_uint64(m->event));
		json_object_object_add(mj, "pcr", json_object_new_int64(m->pcr));
		json_object_object_add(mj, "type", json_object_new_string(type_str(m->type, tb)));
		json_object_object_add(mj, "bank", json_object_new_string(bank_name(m->alg)));
		json_object_array_add(mis, mj);
	}
	json_object_object_add(o, "digest_mismatches", mis);
	return o;
}

static void print_facts(const struct hg_uefi_facts *f)
{
	int any = 0;

	printf("firmware facts (the log's claims: nothing here is compared with a quote):\n");
	if (f->pcr7_unbound >= 0)
		printf("    PCR 7 event #%ld is not bound to its data: no variable fact stands\n",
		       f->pcr7_unbound);
	printf("    secure boot  ");
	if (f->secure_boot < 0)
		printf("unknown (%s)\n", f->secure_boot_why);
	else
		printf("%s\n", f->secure_boot ? "enabled" : "disabled");
	for (int i = HG_SBVAR_PK; i < HG_SBVAR_N; i++) {
		const struct hg_uefi_varfact *v = &f->var[i];
		const struct hg_digest *d = hg_uefi_varfact_digest(v);
		char hex[2 * HG_MAX_DIGEST + 1];

		printf("    %-12s ", hg_uefi_sbvar_name(i));
		if (!d) {
			printf("not logged\n");
			continue;
		}
		hg_hex_encode(d->d, d->len, hex);
		printf("%s:%s (event %ld%s%s)\n", bank_name(d->alg), hex, v->event,
		       v->matches_data ? "" : ", digest NOT the hash of its data",
		       v->conflict ? ", logged again with other digests" : "");
	}
	printf("    boot apps    %zu\n", f->napps);
	for (size_t i = 0; i < f->napps; i++) {
		const struct hg_uefi_bootapp *a = &f->apps[i];
		const struct hg_digest *d = hg_digests_get(&a->digests, HG_ALG_SHA256);
		char hex[2 * HG_MAX_DIGEST + 1] = "?";

		if (!d && a->digests.n)
			d = &a->digests.v[0];
		if (d)
			hg_hex_encode(d->d, d->len, hex);
		printf("      #%zu %s:%s %s", a->event, d ? bank_name(d->alg) : "?",
		       hex, a->path ? a->path : "?");
		if (a->type != HG_EV_EFI_BOOT_SERVICES_APPLICATION) {
			char tb[11];

			printf(" (logged as %s)", type_str(a->type, tb));
		}
		putchar('\n');
	}
	printf("    separators  ");
	for (int p = 0; p < 8; p++) {
		if (f->sep[p] == HG_SEP_NONE)
			continue;
		printf(" %d", p);
		if (f->sep[p] != HG_SEP_NORMAL)
			printf(" (%s)", sep_kind(f->sep[p]));
		any = 1;
	}
	printf("%s\n", any ? "" : " none in PCRs 0-7");
	printf("    digest mismatches  %zu\n", f->nmismatch);
	for (size_t i = 0; i < f->nmismatch; i++) {
		char tb[11];

		printf("      #%zu pcr %u %s (%s)\n", f->mismatch[i].event,
		       f->mismatch[i].pcr, type_str(f->mismatch[i].type, tb),
		       bank_name(f->mismatch[i].alg));
	}
}

/* ---- replayed PCRs ---------------------------------------------------- */

static json_object *pcrs_json(const struct hg_uefi_replay *r)
{
	json_object *o = json_object_new_object();

	for (size_t b = 0; b < r->nbanks; b++) {
		json_object *bank = json_object_new_object();

		for (unsigned p = 0; p < HG_NUM_PCRS; p++) {
			const struct hg_pcr_value *v = hg_uefi_replay_get(r, r->algs[b], p);
			char key[12];

			/* Only the pairs an event extended: another holds a
			 * reset value no event produced (a bank the events
			 * there left out). */
			if (hg_uefi_replay_last(r, r->algs[b], p) < 0 || !v)
				continue;
			snprintf(key, sizeof(key), "%u", p);
			json_object_object_add(bank, key, hexj(v->d, v->len));
		}
		json_object_object_add(o, bank_name(r->algs[b]), bank);
	}
	return o;
}

static void print_pcrs(const struct hg_uefi_replay *r)
{
	printf("replayed PCRs (PCR0 from locality %u%s):\n", r->startup_locality,
	       r->ebs_appended ? "; EBS workaround: the two ExitBootServices "
				 "events appended to PCR5" : "");
	for (size_t b = 0; b < r->nbanks; b++) {
		for (unsigned p = 0; p < HG_NUM_PCRS; p++) {
			const struct hg_pcr_value *v = hg_uefi_replay_get(r, r->algs[b], p);
			char hex[2 * HG_MAX_DIGEST + 1];
			long last;

			last = hg_uefi_replay_last(r, r->algs[b], p);
			if (last < 0 || !v)
				continue;
			hg_hex_encode(v->d, v->len, hex);
			printf("    %-7s %2u  %s", bank_name(r->algs[b]), p, hex);
			printf("  (last event #%ld)", last);
			putchar('\n');
		}
	}
}

/* ---- the command ------------------------------------------------------ */

static json_object *banks_json(const struct hg_uefi_iter *it)
{
	json_object *a = json_object_new_array();
	char b[8];

	if (!it->crypto_agile) {
		json_object_array_add(a, json_object_new_string("sha1"));
		return a;
	}
	for (size_t i = 0; i < it->nalgs; i++) {
		const struct hg_bank *bk = hg_bank_by_alg(it->algs[i]);

		snprintf(b, sizeof(b), "0x%04x", it->algs[i]);
		json_object_array_add(a, json_object_new_string(bk ? bk->name : b));
	}
	return a;
}

static void print_header(const char *path, const struct hg_uefi_iter *it)
{
	printf("uefi log %s: %zu event%s, %s", path, it->n, it->n == 1 ? "" : "s",
	       it->crypto_agile ? "crypto-agile" : "SHA1 format");
	if (it->crypto_agile) {
		printf(" (Spec ID Event03 %u.%u errata %u), algorithms", it->spec_major,
		       it->spec_minor, it->spec_errata);
		for (size_t i = 0; i < it->nalgs; i++) {
			const struct hg_bank *b = hg_bank_by_alg(it->algs[i]);

			if (b)
				printf(" %s", b->name);
			else
				printf(" 0x%04x (unknown, skipped)", it->algs[i]);
		}
	}
	putchar('\n');
}

static void uefi_error(const char *path, const struct hg_uefi_err *err)
{
	if (err->event >= 0)
		hg_err("%s: event %ld (offset %zu): %s", path, err->event, err->offset,
		       err->msg);
	else
		hg_err("%s: %s", path, err->msg);
}

static void print_json(json_object *root)
{
	printf("%s\n", json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

int hv_show_uefi(const char *path, int json, unsigned flags)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;
	struct hg_uefi_facts facts = { 0 };
	struct hg_uefi_replay *rp = NULL;
	struct hg_uefi_err err = { .event = -1 };
	json_object *root = NULL, *events = NULL;
	int r, ret = HV_EXIT_USAGE;

	if ((ret = hv_read_log(path, HG_UEFI_MAX_LOG, &buf, &len)) != 0)
		goto out;
	ret = HV_EXIT_USAGE;
	if (json) {
		root = json_object_new_object();
		events = json_object_new_array();
		json_object_object_add(root, "log", json_object_new_string(path));
	}
	/* A first pass for the header: the format and the event count. */
	hg_uefi_iter_init(&it, buf, len);
	while (hg_uefi_iter_next(&it, &ev) == 1)
		;
	if (!json && !it.failed)
		print_header(path, &it);
	hg_uefi_iter_init(&it, buf, len);
	while ((r = hg_uefi_iter_next(&it, &ev)) == 1) {
		if (json)
			json_object_array_add(events, event_json(&ev));
		else
			print_event(&ev);
	}
	if (r == 0 && hg_uefi_facts(buf, len, &facts, &err) < 0)
		r = -1;
	/* struct hg_uefi_replay holds every (bank, PCR) value: too large
	 * for the stack. */
	if (r == 0 && !(rp = calloc(1, sizeof(*rp)))) {
		err.event = -1;
		snprintf(err.msg, sizeof(err.msg), "out of memory");
		r = -1;
	}
	if (r == 0 && hg_uefi_replay(buf, len, flags, rp, &err) < 0)
		r = -1;
	if (r < 0 && it.failed)
		err = it.err;
	if (json) {
		json_object_object_add(root, "valid", json_object_new_boolean(r == 0));
		if (r == 0) {
			json_object_object_add(root, "format", json_object_new_string(
						       it.crypto_agile ? "crypto-agile" : "sha1"));
			json_object_object_add(root, "banks", banks_json(&it));
		}
		json_object_object_add(root, "events", events);
		if (r == 0) {
			json_object_object_add(root, "facts", hv_uefi_facts_json(&facts));
			json_object_object_add(root, "startup_locality",
					       json_object_new_int64(rp->startup_locality));
			json_object_object_add(root, "ebs_workaround_applied",
					       json_object_new_boolean(rp->ebs_appended));
			json_object_object_add(root, "pcrs", pcrs_json(rp));
		} else {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "event", json_object_new_int64(err.event));
			json_object_object_add(e, "offset", json_object_new_uint64(err.offset));
			json_object_object_add(e, "reason", json_object_new_string(err.msg));
			json_object_object_add(root, "error", e);
		}
		print_json(root);
	} else if (r == 0) {
		print_facts(&facts);
		print_pcrs(rp);
	}
	if (r < 0) {
		uefi_error(path, &err);
		ret = HV_EXIT_INVALID;
		goto out;
	}
	ret = HV_EXIT_TRUSTED;
out:
	json_object_put(root);
	hg_uefi_facts_free(&facts);
	free(rp);
	free(buf);
	return ret;
}
