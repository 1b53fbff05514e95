/* uefifacts_bound.c: see uefifacts.h: the firmware facts, from the
 * (bank, PCR) pairs a quote binds (hg_uefi_facts_bound), the harmless
 * digests and the EFI_SIGNATURE_LIST check. The decoders they use are in
 * uefifacts.c. */
#include "uefifacts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* ---- facts ----------------------------------------------------------- */

static const struct {
	const char *name;
	const uint8_t *guid;
} sbvars[HG_SBVAR_N] = {
	[HG_SBVAR_SECUREBOOT] = { "SecureBoot", hg_efi_global_variable_guid },
	[HG_SBVAR_PK] = { "PK", hg_efi_global_variable_guid },
	[HG_SBVAR_KEK] = { "KEK", hg_efi_global_variable_guid },
	[HG_SBVAR_DB] = { "db", hg_efi_image_security_db_guid },
	[HG_SBVAR_DBX] = { "dbx", hg_efi_image_security_db_guid },
};

const char *hg_uefi_sbvar_name(enum hg_uefi_sbvar v)
{
	return v < HG_SBVAR_N ? sbvars[v].name : "?";
}

const struct hg_digest *hg_uefi_varfact_digest(const struct hg_uefi_varfact *v)
{
	const struct hg_digest *d;

	if (v->event < 0 || v->digests.n == 0)
		return NULL;
	d = hg_digests_get(&v->digests, HG_ALG_SHA256);
	return d ? d : &v->digests.v[0];
}

int hg_uefi_harmless(const struct hg_digest *d)
{
	/* PFP r1.05 §10.4.1 (EV_SEPARATOR) and §10.4.4 / Table 13 (the
	 * EV_EFI_ACTION strings), legacy EV_ACTION strings of PCR 4 from
	 * the same table; each hashed as logged, without a NUL. */
	static const char *const strings[] = {
		"Calling EFI Application from Boot Option",
		"Returning from EFI Application from Boot Option",
		"Exit Boot Services Invocation",
		"Exit Boot Services Returned with Failure",
		"Exit Boot Services Returned with Success",
		"Calling INT 19h",
		"Returned INT 19h",
		"Return via INT 18h",
	};
	static const uint8_t sep0[4] = { 0, 0, 0, 0 };
	static const uint8_t sepff[4] = { 0xff, 0xff, 0xff, 0xff };

	if (hg_uefi_digest_is(d, sep0, 4) || hg_uefi_digest_is(d, sepff, 4))
		return 1;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (hg_uefi_digest_is(d, strings[i], strlen(strings[i])))
			return 1;
	return 0;
}

int hg_uefi_esl_check(const uint8_t *p, size_t len, size_t *nsigs)
{
	size_t off = 0, n = 0;

	while (off < len) {
		uint32_t list, hdr, sig;
		size_t body;

		if (len - off < 28)
			return 0;
		list = le32(p + off + 16);
		hdr = le32(p + off + 20);
		sig = le32(p + off + 24);
		/* Compare counts with what is left, never sums that wrap. */
		if (list < 28 || list > len - off || hdr > list - 28)
			return 0;
		body = list - 28 - hdr;   /* the entries, after the header */
		if (sig < 16 || body == 0 || body % sig)
			return 0;
		n += body / sig;
		off += list;
	}
	if (nsigs)
		*nsigs = n;
	return 1;
}

/* Whether the quote binds (ALG, PCR); BD NULL: everything (show). */
static int bank_bound(const struct hg_uefi_bound *bd, uint16_t alg, uint32_t pcr)
{
	if (!bd)
		return 1;
	for (size_t i = 0; i < bd->n; i++)
		if (bd->alg[i] == alg)
			return pcr < 32 && (bd->pcrs[i] & (1u << pcr));
	return 0;
}

/* EV's digests in the bound banks of its PCR. */
static void bound_digests(const struct hg_uefi_bound *bd, const struct hg_uefi_event *ev,
			  struct hg_digests *out)
{
	out->n = 0;
	for (size_t i = 0; i < ev->digests.n; i++)
		if (bank_bound(bd, ev->digests.v[i].alg, ev->pcr))
			out->v[out->n++] = ev->digests.v[i];
}

/* The bytes every digest of D is the hash of: the event data, or (shim's
 * "Shim" EV_EFI_VARIABLE_AUTHORITY, whose digest covers its data but the
 * last byte) the data less its last byte. 0 with *LEN, -1 when neither. */
static int bound_content(const struct hg_uefi_event *ev, const struct hg_digests *d,
			 size_t *len)
{
	size_t cand[2] = { ev->data_len, ev->data_len ? ev->data_len - 1 : 0 };

	for (int k = 0; k < (ev->data_len ? 2 : 1); k++) {
		int all = d->n > 0;

		for (size_t i = 0; all && i < d->n; i++)
			all = hg_uefi_digest_is(&d->v[i], ev->data, cand[k]);
		if (all) {
			*len = cand[k];
			return 0;
		}
	}
	return -1;
}

static int same_digests(const struct hg_digests *a, const struct hg_digests *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].alg != b->v[i].alg || a->v[i].len != b->v[i].len ||
		    memcmp(a->v[i].d, b->v[i].d, a->v[i].len))
			return 0;
	return 1;
}

static int all_harmless(const struct hg_digests *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (!hg_uefi_harmless(&d->v[i]))
			return 0;
	return d->n > 0;
}

/* An event of PCR 7 with its bound digests D: a variable fact when its
 * bound content decodes as one, whatever the type. */
static void note_variable(struct hg_uefi_facts *f, const struct hg_uefi_event *ev,
			  const struct hg_digests *d)
{
	struct hg_uefi_var var;
	const char *why;
	size_t len;

	if (bound_content(ev, d, &len) < 0) {
		if (!all_harmless(d) && f->pcr7_unbound < 0)
			f->pcr7_unbound = (long)ev->index;
		return;
	}
	if (hg_uefi_var_decode(ev->data, len, &var, &why) < 0)
		return;
	for (int i = 0; i < HG_SBVAR_N; i++) {
		struct hg_uefi_varfact *vf = &f->var[i];

		if (!hg_uefi_var_is(&var, sbvars[i].guid, sbvars[i].name))
			continue;
		/* db is also the name of EV_EFI_VARIABLE_AUTHORITY events (the
		 * db entry that verified an image: one EFI_SIGNATURE_DATA); the
		 * variable itself is a list of EFI_SIGNATURE_LISTs. */
		if (i == HG_SBVAR_DB && !hg_uefi_esl_check(var.data, var.data_len, NULL))
			return;
		if (vf->event >= 0) {
			if (!same_digests(&vf->digests, d))
				vf->conflict = 1;
			return;
		}
		vf->event = (long)ev->index;
		vf->digests = *d;
		vf->matches_data = 1;
		vf->value = var.data;
		vf->value_len = var.data_len;
		return;
	}
}

static enum hg_uefi_sep separator_kind(const struct hg_uefi_event *ev,
				       const struct hg_digests *d)
{
	static const uint8_t sep_error[4] = { 1, 0, 0, 0 };
	int error = d->n > 0;
	size_t len;

	/* An error separator: every bank's digest is of UINT32 1, whatever
	 * the data (PFP "Error Conditions"). */
	for (size_t i = 0; i < d->n; i++)
		if (!hg_uefi_digest_is(&d->v[i], sep_error, 4))
			error = 0;
	if (error)
		return HG_SEP_ERROR;
	if (ev->data_len != 4 || bound_content(ev, d, &len) < 0 || len != 4)
		return HG_SEP_BAD;
	if (le32(ev->data) == 0)
		return HG_SEP_NORMAL;
	if (le32(ev->data) == 0xffffffffu)
		return HG_SEP_NORMAL_FF;
	return HG_SEP_BAD;
}

/* Grow *ARR (of SIZE-byte items, *N used, *CAP allocated) by one. */
static void *grow(void *arr, size_t size, size_t n, size_t *cap)
{
	size_t ncap, bytes;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap ? 2 * *cap : 16;
	if (ncap < *cap || __builtin_mul_overflow(ncap, size, &bytes))
		return NULL;
	p = realloc(arr, bytes);
	if (p)
		*cap = ncap;
	return p;
}

static int note_app(struct hg_uefi_facts *f, size_t *cap,
		    const struct hg_uefi_event *ev, const struct hg_digests *d)
{
	struct hg_uefi_bootapp *a, *arr;

	arr = grow(f->apps, sizeof(*f->apps), f->napps, cap);
	if (!arr)
		return -1;
	f->apps = arr;
	a = &f->apps[f->napps];
	memset(a, 0, sizeof(*a));
	a->event = ev->index;
	a->type = ev->type;
	a->digests = *d;
	if (hg_uefi_image_path(ev->data, ev->data_len, &a->path, &a->path_why) < 0 &&
	    a->path_why && !strcmp(a->path_why, "out of memory"))
		return -1;
	f->napps++;
	return 0;
}

static int note_mismatch(struct hg_uefi_facts *f, size_t *cap,
			 const struct hg_uefi_event *ev, uint16_t alg)
{
	struct hg_uefi_mismatch *arr;

	arr = grow(f->mismatch, sizeof(*f->mismatch), f->nmismatch, cap);
	if (!arr)
		return -1;
	f->mismatch = arr;
	f->mismatch[f->nmismatch++] = (struct hg_uefi_mismatch){
		.event = ev->index, .pcr = ev->pcr, .type = ev->type, .alg = alg,
	};
	return 0;
}

static void decide_secure_boot(struct hg_uefi_facts *f)
{
	const struct hg_uefi_varfact *sb = &f->var[HG_SBVAR_SECUREBOOT];

	f->secure_boot = -1;
	if (f->pcr7_unbound >= 0)
		f->secure_boot_why = "an event on PCR 7 is not bound to its data (its digest is not the hash of what it logs): it could be the SecureBoot variable";
	else if (sb->event < 0)
		f->secure_boot_why = "no event on PCR 7 whose data hashes to its digest is the SecureBoot variable";
	else if (sb->conflict)
		f->secure_boot_why = "SecureBoot is logged more than once, with different digests";
	else if (sb->value_len == 1 && sb->value[0] == 1)
		f->secure_boot = 1;
	else if (sb->value_len == 0 || (sb->value_len == 1 && sb->value[0] == 0))
		f->secure_boot = 0;   /* an absent variable is logged empty */
	else
		f->secure_boot_why = "the SecureBoot value is neither 0 nor 1";
	if (f->secure_boot >= 0)
		f->secure_boot_why = NULL;
}

int hg_uefi_facts_bound(const uint8_t *buf, size_t len,
			const struct hg_uefi_bound *bound,
			struct hg_uefi_facts *f, struct hg_uefi_err *err)
{
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;
	size_t app_cap = 0, mis_cap = 0;
	int r;

	memset(f, 0, sizeof(*f));
	for (int i = 0; i < HG_SBVAR_N; i++)
		f->var[i].event = -1;
	f->pcr7_unbound = -1;
	hg_uefi_iter_init(&it, buf, len);
	it.all_banks = bound != NULL;
	while ((r = hg_uefi_iter_next(&it, &ev)) == 1) {
		struct hg_uefi_event bev;
		uint16_t alg = 0;

		if (ev.type == HG_EV_NO_ACTION)
			continue;   /* never extended: no fact rests on it */
		/* Only what a bound bank extended counts. */
		bev = ev;
		bound_digests(bound, &ev, &bev.digests);
		if (bev.digests.n == 0)
			continue;
		if (ev.pcr == 7)
			note_variable(f, &ev, &bev.digests);
		if (ev.pcr == 4 && !all_harmless(&bev.digests) &&
		    note_app(f, &app_cap, &ev, &bev.digests) < 0)
			goto oom;
		if (ev.pcr < 8 && ev.type == HG_EV_SEPARATOR &&
		    f->sep[ev.pcr] == HG_SEP_NONE)
			f->sep[ev.pcr] = separator_kind(&ev, &bev.digests);
		if (hg_uefi_digest_check(&bev, &alg) == 0 &&
		    note_mismatch(f, &mis_cap, &ev, alg) < 0)
			goto oom;
	}
	if (r < 0) {
		*err = it.err;
		hg_uefi_facts_free(f);
		return -1;
	}
	/* An unbound PCR 7 event could be any variable: none stands, so no
	 * consumer can use one by mistake. */
	if (f->pcr7_unbound >= 0)
		for (int i = 0; i < HG_SBVAR_N; i++) {
			memset(&f->var[i], 0, sizeof(f->var[i]));
			f->var[i].event = -1;
		}
	decide_secure_boot(f);
	return 0;
oom:
	memset(err, 0, sizeof(*err));
	err->event = -1;
	snprintf(err->msg, sizeof(err->msg), "out of memory");
	hg_uefi_facts_free(f);
	return -1;
}

int hg_uefi_facts(const uint8_t *buf, size_t len, struct hg_uefi_facts *f,
		  struct hg_uefi_err *err)
{
	return hg_uefi_facts_bound(buf, len, NULL, f, err);
}

void hg_uefi_facts_free(struct hg_uefi_facts *f)
{
	for (size_t i = 0; i < f->napps; i++)
		free(f->apps[i].path);
	free(f->apps);
	free(f->mismatch);
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < HG_SBVAR_N; i++)
		f->var[i].event = -1;
	f->pcr7_unbound = -1;
}
