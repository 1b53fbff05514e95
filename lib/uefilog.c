/* uefilog.c: see uefilog.h and docs/uefi-log.md. */
#include "uefilog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* TCG_EfiSpecIDEvent signature (PFP r1.05 §10.4.5.1), NUL included. */
static const uint8_t spec_id_sig[16] = "Spec ID Event03";
/* TCG_EfiStartupLocalityEvent (PFP r1.05 §10.4.5.3): 16-byte signature,
 * NUL included, then one byte of locality. */
static const uint8_t locality_sig[16] = "StartupLocality";
static const uint8_t zero20[20];

/* The EV_EFI_ACTION strings of ExitBootServices (PFP r1.05, the
 * EV_EFI_ACTION strings of PCR5), hashed without a NUL as firmware logs
 * them. */
static const char ebs_invocation[] = "Exit Boot Services Invocation";
static const char ebs_success[] = "Exit Boot Services Returned with Success";
static const char ebs_returned[] = "Exit Boot Services Returned with";

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int fail(struct hg_uefi_err *err, long ev, size_t off, int trunc,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(struct hg_uefi_err *err, long ev, size_t off, int trunc,
		const char *fmt, ...)
{
	va_list ap;

	err->event = ev;
	err->offset = off;
	err->truncated = trunc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void hg_uefi_iter_init(struct hg_uefi_iter *it, const uint8_t *buf,
		       size_t len)
{
	memset(it, 0, sizeof(*it));
	it->buf = buf;
	it->len = len;
	it->err.event = -1;
}

/* A bounded cursor over one event. take() never reads past the end of
 * the log: it fails with the truncation flag instead. */
struct cur {
	const uint8_t *p;
	size_t left;
};

static const uint8_t *take(struct cur *c, size_t n)
{
	const uint8_t *p = c->p;

	if (n > c->left)
		return NULL;
	c->p += n;
	c->left -= n;
	return p;
}

static int same_name(const uint8_t *data, uint32_t len, const char *s)
{
	size_t n = strlen(s);

	return len == n && memcmp(data, s, n) == 0;
}

/* The Spec ID event's body, which must fill eventSize exactly. */
static int parse_spec_id(struct hg_uefi_iter *it, const uint8_t *d,
			 uint32_t len, const char **why)
{
	struct cur c = { d, len };
	const uint8_t *p;
	uint32_t n;

	/* signature(16) platformClass(4) minor major errata uintnSize(4)
	 * numberOfAlgorithms(4) */
	if (!(p = take(&c, 28)))
		return *why = "Spec ID event shorter than its header", -1;
	it->spec_minor = p[20];
	it->spec_major = p[21];
	it->spec_errata = p[22];
	it->uintn_size = p[23];
	n = le32(p + 24);
	if (n == 0)
		return *why = "Spec ID event lists no algorithms", -1;
	if (n > HG_UEFI_MAX_ALGS)
		return *why = "Spec ID event lists more than 16 algorithms", -1;
	for (uint32_t i = 0; i < n; i++) {
		const struct hg_bank *b;
		uint16_t alg, size;

		if (!(p = take(&c, 4)))
			return *why = "Spec ID algorithm list exceeds the event", -1;
		alg = le16(p);
		size = le16(p + 2);
		for (uint32_t j = 0; j < i; j++)
			if (it->algs[j] == alg)
				return *why = "Spec ID event lists an algorithm twice", -1;
		b = hg_bank_by_alg(alg);
		if (b && size != b->size)
			return *why = "Spec ID digest size differs from the algorithm's", -1;
		/* An unknown algorithm is skipped by its declared size; no
		 * TPM hash is longer than 64 bytes (TPMU_HA, TPM 2.0 Part 2). */
		if (size == 0 || size > HG_MAX_DIGEST)
			return *why = "Spec ID digest size out of range (1..64)", -1;
		it->algs[i] = alg;
		it->sizes[i] = size;
	}
	it->nalgs = n;
	if (!(p = take(&c, 1)))
		return *why = "Spec ID vendorInfoSize exceeds the event", -1;
	if (!take(&c, p[0]))
		return *why = "Spec ID vendorInfo exceeds the event", -1;
	if (c.left)
		return *why = "Spec ID event has trailing bytes", -1;
	return 0;
}

/* TCG_PCR_EVENT (PFP r1.05 §10.2.1): the first event of every log and
 * every event of a SHA1-format log. */
static int read_sha1_event(struct cur *c, struct hg_uefi_event *ev,
			   const char **why, int *trunc)
{
	const uint8_t *p;

	if (!(p = take(c, 32)))
		return *trunc = 1, *why = "truncated event header", -1;
	ev->pcr = le32(p);
	ev->type = le32(p + 4);
	ev->digests.n = 1;
	ev->digests.v[0].alg = HG_ALG_SHA1;
	ev->digests.v[0].len = 20;
	memcpy(ev->digests.v[0].d, p + 8, 20);
	ev->data_len = le32(p + 28);
	return 0;
}

/* TCG_PCR_EVENT2 (PFP r1.05 §10.2.2), up to eventSize. */
static int read_agile_event(const struct hg_uefi_iter *it, struct cur *c,
			    struct hg_uefi_event *ev, const char **why,
			    int *trunc, uint16_t *missing)
{
	const uint8_t *p;
	uint32_t count;
	uint32_t seen = 0;   /* bit i: algs[i] already given */

	if (!(p = take(c, 12)))
		return *trunc = 1, *why = "truncated event header", -1;
	ev->pcr = le32(p);
	ev->type = le32(p + 4);
	count = le32(p + 8);
	if (count == 0)
		return *why = "event has no digests", -1;
	if (count > it->nalgs)
		return *why = "digest count exceeds the Spec ID algorithm count", -1;
	for (uint32_t i = 0; i < count; i++) {
		const struct hg_bank *b;
		uint16_t alg;
		size_t k;

		if (!(p = take(c, 2)))
			return *trunc = 1, *why = "truncated in a digest", -1;
		alg = le16(p);
		for (k = 0; k < it->nalgs && it->algs[k] != alg; k++)
			;
		if (k == it->nalgs)
			return *why = "digest of an algorithm the Spec ID event does not list", -1;
		if (seen & (1u << k))
			return *why = "two digests of one algorithm", -1;
		seen |= 1u << k;
		if (!(p = take(c, it->sizes[k])))
			return *trunc = 1, *why = "truncated in a digest", -1;
		b = hg_bank_by_alg(alg);
		if (!b)
			continue;
		/* Known banks are at most 4 and listed once each, so this
		 * never overflows HG_MAX_BANKS; the check keeps it local. */
		if (ev->digests.n >= HG_MAX_BANKS)
			return *why = "too many known digests", -1;
		ev->digests.v[ev->digests.n].alg = alg;
		ev->digests.v[ev->digests.n].len = (uint8_t)b->size;
		memcpy(ev->digests.v[ev->digests.n].d, p, b->size);
		ev->digests.n++;
	}
	/* PFP r1.05 §10.2.2: the digest list holds one digest per active
	 * PCR bank, which the Spec ID event declares. An event that omits
	 * one extended nothing there (or something the log does not say),
	 * so in that bank the log cannot speak for it. */
	if (it->all_banks && count != it->nalgs) {
		for (size_t k = 0; k < it->nalgs; k++)
			if (!(seen & (1u << k))) {
				*missing = it->algs[k];
				break;
			}
		return *why = NULL, -1;
	}
	if (!(p = take(c, 4)))
		return *trunc = 1, *why = "truncated event header", -1;
	ev->data_len = le32(p);
	return 0;
}

int hg_uefi_iter_next(struct hg_uefi_iter *it, struct hg_uefi_event *ev)
{
	const char *why = NULL;
	int trunc = 0;
	uint16_t missing = 0;
	size_t off = it->off, end;
	long idx = (long)it->n;
	struct cur c;

	if (it->failed)
		return -1;
	if (it->len > HG_UEFI_MAX_LOG) {
		fail(&it->err, -1, 0, 0, "log larger than 64 MiB");
		goto failed;
	}
	if (off == it->len) {
		if (it->n == 0) {
			fail(&it->err, -1, 0, 0, "empty log");
			goto failed;
		}
		return 0;
	}
	memset(ev, 0, sizeof(*ev));
	ev->index = it->n;
	ev->offset = off;
	c.p = it->buf + off;
	c.left = it->len - off;
	if (it->n == 0 || !it->crypto_agile) {
		if (read_sha1_event(&c, ev, &why, &trunc) < 0)
			goto bad;
		/* 32 zero bytes would read as an EV_PREBOOT_CERT (a type no
		 * firmware logs) of PCR0; they are fill after a log copied
		 * from its ACPI area, which the kernel takes for the end. */
		if (!ev->pcr && !ev->type && !ev->data_len &&
		    !memcmp(ev->digests.v[0].d, zero20, 20)) {
			why = "all-zero event (fill after the log?)";
			goto bad;
		}
	} else if (read_agile_event(it, &c, ev, &why, &trunc, &missing) < 0) {
		if (!why) {
			const struct hg_bank *b = hg_bank_by_alg(missing);

			if (b)
				fail(&it->err, idx, off, 0,
				     "no %s digest, which the Spec ID event declares (every event must carry one per declared algorithm)",
				     b->name);
			else
				fail(&it->err, idx, off, 0,
				     "no digest of algorithm 0x%04x, which the Spec ID event declares (every event must carry one per declared algorithm)",
				     missing);
			goto failed;
		}
		goto bad;
	}
	/* Checked before the data is looked for, so that a huge declared
	 * size reads as what it is, not as a truncated log. */
	if (ev->data_len > HG_UEFI_MAX_EVENT_DATA) {
		why = "event data larger than 16 MiB";
		goto bad;
	}
	if (!(ev->data = take(&c, ev->data_len))) {
		trunc = 1;
		why = "truncated in the event data";
		goto bad;
	}
	/* A PC Client TPM has PCRs 0-23. EV_NO_ACTION extends nothing
	 * and may carry any index (0xFFFFFFFF in real Windows logs). */
	if (ev->type != HG_EV_NO_ACTION && ev->pcr >= HG_NUM_PCRS) {
		why = "PCR index above 23";
		goto bad;
	}
	if (it->n == 0 && ev->type == HG_EV_NO_ACTION && ev->data_len >= 16 &&
	    memcmp(ev->data, spec_id_sig, 16) == 0) {
		if (parse_spec_id(it, ev->data, ev->data_len, &why) < 0)
			goto bad;
		it->crypto_agile = 1;
	}
	end = it->len - c.left;
	ev->size = end - off;
	it->off = end;
	it->n++;
	return 1;
bad:
	fail(&it->err, idx, off, trunc, "%s", why);
failed:
	it->failed = 1;
	return -1;
}

static const struct {
	uint32_t type;
	const char *name;
} type_names[] = {
	{ HG_EV_PREBOOT_CERT, "EV_PREBOOT_CERT" },
	{ HG_EV_POST_CODE, "EV_POST_CODE" },
	{ HG_EV_UNUSED, "EV_UNUSED" },
	{ HG_EV_NO_ACTION, "EV_NO_ACTION" },
	{ HG_EV_SEPARATOR, "EV_SEPARATOR" },
	{ HG_EV_ACTION, "EV_ACTION" },
	{ HG_EV_EVENT_TAG, "EV_EVENT_TAG" },
	{ HG_EV_S_CRTM_CONTENTS, "EV_S_CRTM_CONTENTS" },
	{ HG_EV_S_CRTM_VERSION, "EV_S_CRTM_VERSION" },
	{ HG_EV_CPU_MICROCODE, "EV_CPU_MICROCODE" },
	{ HG_EV_PLATFORM_CONFIG_FLAGS, "EV_PLATFORM_CONFIG_FLAGS" },
	{ HG_EV_TABLE_OF_DEVICES, "EV_TABLE_OF_DEVICES" },
	{ HG_EV_COMPACT_HASH, "EV_COMPACT_HASH" },
	{ HG_EV_IPL, "EV_IPL" },
	{ HG_EV_IPL_PARTITION_DATA, "EV_IPL_PARTITION_DATA" },
	{ HG_EV_NONHOST_CODE, "EV_NONHOST_CODE" },
	{ HG_EV_NONHOST_CONFIG, "EV_NONHOST_CONFIG" },
	{ HG_EV_NONHOST_INFO, "EV_NONHOST_INFO" },
	{ HG_EV_OMIT_BOOT_DEVICE_EVENTS, "EV_OMIT_BOOT_DEVICE_EVENTS" },
	{ HG_EV_EFI_EVENT_BASE, "EV_EFI_EVENT_BASE" },
	{ HG_EV_EFI_VARIABLE_DRIVER_CONFIG, "EV_EFI_VARIABLE_DRIVER_CONFIG" },
	{ HG_EV_EFI_VARIABLE_BOOT, "EV_EFI_VARIABLE_BOOT" },
	{ HG_EV_EFI_BOOT_SERVICES_APPLICATION, "EV_EFI_BOOT_SERVICES_APPLICATION" },
	{ HG_EV_EFI_BOOT_SERVICES_DRIVER, "EV_EFI_BOOT_SERVICES_DRIVER" },
	{ HG_EV_EFI_RUNTIME_SERVICES_DRIVER, "EV_EFI_RUNTIME_SERVICES_DRIVER" },
	{ HG_EV_EFI_GPT_EVENT, "EV_EFI_GPT_EVENT" },
	{ HG_EV_EFI_ACTION, "EV_EFI_ACTION" },
	{ HG_EV_EFI_PLATFORM_FIRMWARE_BLOB, "EV_EFI_PLATFORM_FIRMWARE_BLOB" },
	{ HG_EV_EFI_HANDOFF_TABLES, "EV_EFI_HANDOFF_TABLES" },
	{ HG_EV_EFI_PLATFORM_FIRMWARE_BLOB2, "EV_EFI_PLATFORM_FIRMWARE_BLOB2" },
	{ HG_EV_EFI_HANDOFF_TABLES2, "EV_EFI_HANDOFF_TABLES2" },
	{ HG_EV_EFI_VARIABLE_BOOT2, "EV_EFI_VARIABLE_BOOT2" },
	{ HG_EV_EFI_HCRTM_EVENT, "EV_EFI_HCRTM_EVENT" },
	{ HG_EV_EFI_VARIABLE_AUTHORITY, "EV_EFI_VARIABLE_AUTHORITY" },
	{ HG_EV_EFI_SPDM_FIRMWARE_BLOB, "EV_EFI_SPDM_FIRMWARE_BLOB" },
	{ HG_EV_EFI_SPDM_FIRMWARE_CONFIG, "EV_EFI_SPDM_FIRMWARE_CONFIG" },
};

const char *hg_uefi_event_type_name(uint32_t type)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

/* What the first pass learns: PCR0's starting locality (rule 3) needs the
 * whole log, since an H-CRTM event need not come first. */
struct scan {
	int have_locality;
	uint32_t locality;
	int hcrtm;
	int ebs_logged;
	size_t events;
};

static int scan_log(const uint8_t *buf, size_t len, unsigned flags, struct scan *s,
		    struct hg_uefi_iter *it, struct hg_uefi_err *err)
{
	struct hg_uefi_event ev;
	int r;

	memset(s, 0, sizeof(*s));
	hg_uefi_iter_init(it, buf, len);
	it->all_banks = !!(flags & HG_UEFI_ALL_BANKS);
	while ((r = hg_uefi_iter_next(it, &ev)) == 1) {
		if (ev.type == HG_EV_NO_ACTION && ev.pcr == 0 &&
		    ev.data_len >= 16 && !memcmp(ev.data, locality_sig, 16)) {
			if (ev.data_len != 17)
				return fail(err, (long)ev.index, ev.offset, 0,
					    "StartupLocality event is not 17 bytes");
			if (s->have_locality)
				return fail(err, (long)ev.index, ev.offset, 0,
					    "second StartupLocality event");
			/* TPM2_Startup sets PCR0 to the locality it came
			 * from, 0 or 3; 4 is the H-CRTM's. */
			if (ev.data[16] != 0 && ev.data[16] != 3 && ev.data[16] != 4)
				return fail(err, (long)ev.index, ev.offset, 0,
					    "StartupLocality %u is not 0, 3 or 4",
					    ev.data[16]);
			s->have_locality = 1;
			s->locality = ev.data[16];
		}
		if (ev.type == HG_EV_EFI_HCRTM_EVENT && ev.pcr == 0)
			s->hcrtm = 1;
		if (ev.type == HG_EV_EFI_ACTION && ev.pcr == 5 &&
		    (same_name(ev.data, ev.data_len, ebs_invocation) ||
		     (ev.data_len >= sizeof(ebs_returned) - 1 &&
		      !memcmp(ev.data, ebs_returned, sizeof(ebs_returned) - 1))))
			s->ebs_logged = 1;
	}
	if (r < 0) {
		*err = it->err;
		return -1;
	}
	s->events = it->n;
	return 0;
}

static int extend_str(struct hg_digest *pcr, const char *s)
{
	struct hg_digest d;

	return hg_hash(pcr->alg, s, strlen(s), &d) < 0 ? -1 : hg_extend(pcr, &d);
}

int hg_uefi_replay(const uint8_t *buf, size_t len, unsigned flags,
		   struct hg_uefi_replay *out, struct hg_uefi_err *err)
{
	struct hg_digest v[HG_MAX_BANKS][HG_NUM_PCRS];
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;
	struct scan s;
	int r;

	memset(out, 0, sizeof(*out));
	for (size_t b = 0; b < HG_MAX_BANKS; b++)
		for (size_t p = 0; p < HG_NUM_PCRS; p++)
			out->last_event[b][p] = -1;
	memset(err, 0, sizeof(*err));
	err->event = -1;
	if (flags & ~(HG_UEFI_EBS_WORKAROUND | HG_UEFI_ALL_BANKS))
		return fail(err, -1, 0, 0, "unknown replay flags");
	if (scan_log(buf, len, flags, &s, &it, err) < 0)
		return -1;

	/* The banks: the Spec ID's known algorithms in its order, or SHA1. */
	if (it.crypto_agile) {
		for (size_t i = 0; i < it.nalgs; i++)
			if (hg_bank_by_alg(it.algs[i]) && out->nbanks < HG_MAX_BANKS)
				out->algs[out->nbanks++] = it.algs[i];
	} else {
		out->algs[out->nbanks++] = HG_ALG_SHA1;
	}
	out->startup_locality = s.have_locality ? s.locality : s.hcrtm ? 4 : 0;
	out->events = s.events;
	for (size_t b = 0; b < out->nbanks; b++) {
		for (size_t p = 0; p < HG_NUM_PCRS; p++)
			if (hg_pcr_reset(out->algs[b], &v[b][p]) < 0)
				return fail(err, -1, 0, 0, "cannot reset a PCR");
		v[b][0].d[v[b][0].len - 1] = (uint8_t)out->startup_locality;
	}

	hg_uefi_iter_init(&it, buf, len);
	it.all_banks = !!(flags & HG_UEFI_ALL_BANKS);
	while ((r = hg_uefi_iter_next(&it, &ev)) == 1) {
		if (ev.type == HG_EV_NO_ACTION)
			continue;
		out->touched |= 1u << ev.pcr;
		for (size_t b = 0; b < out->nbanks; b++) {
			const struct hg_digest *d =
				hg_digests_get(&ev.digests, out->algs[b]);

			if (!d)
				continue;
			if (hg_extend(&v[b][ev.pcr], d) < 0)
				return fail(err, (long)ev.index, ev.offset, 0,
					    "extend failed");
			out->last_event[b][ev.pcr] = (long)ev.index;
		}
	}
	if (r < 0) {
		/* The first pass read the same bytes; only a buffer changed
		 * under us gets here. */
		*err = it.err;
		return -1;
	}

	if ((flags & HG_UEFI_EBS_WORKAROUND) && !s.ebs_logged) {
		for (size_t b = 0; b < out->nbanks; b++) {
			if (extend_str(&v[b][5], ebs_invocation) < 0 ||
			    extend_str(&v[b][5], ebs_success) < 0)
				return fail(err, -1, 0, 0, "extend failed");
			out->last_event[b][5] = (long)s.events + 1;
		}
		out->touched |= 1u << 5;
		out->ebs_appended = 1;
	}

	for (size_t b = 0; b < out->nbanks; b++)
		for (size_t p = 0; p < HG_NUM_PCRS; p++) {
			struct hg_pcr_value *pv = &out->pcrs.v[out->pcrs.n++];

			pv->alg = v[b][p].alg;
			pv->pcr = (uint8_t)p;
			pv->len = v[b][p].len;
			memcpy(pv->d, v[b][p].d, v[b][p].len);
		}
	return 0;
}

const struct hg_pcr_value *hg_uefi_replay_get(const struct hg_uefi_replay *r,
					      uint16_t alg, unsigned pcr)
{
	return hg_pcr_values_get(&r->pcrs, alg, pcr);
}

long hg_uefi_replay_last(const struct hg_uefi_replay *r, uint16_t alg,
			 unsigned pcr)
{
	if (pcr >= HG_NUM_PCRS)
		return -1;
	for (size_t b = 0; b < r->nbanks; b++)
		if (r->algs[b] == alg)
			return r->last_event[b][pcr];
	return -1;
}
