/* fuzz_uefilog.c: libFuzzer target for the UEFI firmware event log parser
 * and replay (lib/uefilog.c).
 *
 * The input is a whole firmware log. The iterator walks it; the replay
 * runs on it without and with the EBS workaround. Besides "no crash, no
 * leak, no UB", the target checks the contract of lib/uefilog.h and
 * aborts (a finding) when it is broken:
 *  - events tile the input from offset 0 with no gap, index = position,
 *    data inside the event, data_len <= 16 MiB, a PCR above 23 only on
 *    EV_NO_ACTION, only known digests of their bank's size, at most one
 *    per bank; the end (0) is reached exactly at the end of the input;
 *  - a failure names the event the iterator stopped at and its offset
 *    (where the good events end), or -1 and 0 for the whole-log errors,
 *    with a message; failure and end are sticky;
 *  - the Spec ID list: 1..16 algorithms, no duplicate, known ones at
 *    their size, unknown ones 1..64 bytes;
 *  - the replay fails exactly when the iterator does (same event and
 *    message), or for a StartupLocality reason; on success it equals a
 *    naive model built here from the iterated events (PCR0's locality,
 *    EV_NO_ACTION skipped, per-bank extends, last events), and the EBS
 *    workaround changes PCR5 only, and only when it says it did.
 *
 * Built by tests/fuzz/run.sh with the lib/ sources linked in directly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "pcrs.h"
#include "uefifacts.h"
#include "uefilog.h"

#include "fuzz_check.h"

static const char ebs_inv[] = "Exit Boot Services Invocation";
static const char ebs_ok[] = "Exit Boot Services Returned with Success";

struct model {
	size_t nbanks;
	uint16_t algs[HG_MAX_BANKS];
	struct hg_digest v[HG_MAX_BANKS][HG_NUM_PCRS];
	long last[HG_MAX_BANKS][HG_NUM_PCRS];
	uint32_t touched;
	int have_loc, hcrtm, ebs;
	unsigned loc;
	long loc_bad;      /* the event at which the replay must refuse for a
			    * StartupLocality reason, or -1 */
};

static int is_locality(const struct hg_uefi_event *ev)
{
	return ev->type == HG_EV_NO_ACTION && ev->pcr == 0 && ev->data_len >= 16 &&
	       !memcmp(ev->data, "StartupLocality", 16);
}

static void check_event(const struct hg_uefi_iter *it,
			const struct hg_uefi_event *ev, const uint8_t *buf,
			size_t len, size_t want_off, size_t want_index)
{
	CHECK(ev->index == want_index);
	CHECK(ev->offset == want_off);
	CHECK(ev->size >= 16 && ev->size <= len - ev->offset);
	CHECK(it->off == ev->offset + ev->size);
	CHECK(ev->data_len <= HG_UEFI_MAX_EVENT_DATA);
	CHECK(ev->data >= buf && ev->data + ev->data_len == buf + it->off);
	CHECK(ev->pcr < HG_NUM_PCRS || ev->type == HG_EV_NO_ACTION);
	CHECK(ev->digests.n >= (ev->index == 0 || !it->crypto_agile ? 1u : 0u));
	CHECK(ev->digests.n <= HG_MAX_BANKS);
	for (size_t i = 0; i < ev->digests.n; i++) {
		const struct hg_bank *b = hg_bank_by_alg(ev->digests.v[i].alg);

		CHECK(b && ev->digests.v[i].len == b->size);
		for (size_t j = 0; j < i; j++)
			CHECK(ev->digests.v[j].alg != ev->digests.v[i].alg);
	}
	if (ev->index == 0 || !it->crypto_agile) {
		CHECK(ev->digests.n == 1 && ev->digests.v[0].alg == HG_ALG_SHA1);
		CHECK(ev->size == 32u + ev->data_len);
	}
	(void)hg_uefi_event_type_name(ev->type);
}

static void check_spec_id(const struct hg_uefi_iter *it)
{
	if (!it->crypto_agile) {
		CHECK(it->nalgs == 0);
		return;
	}
	CHECK(it->nalgs >= 1 && it->nalgs <= HG_UEFI_MAX_ALGS);
	for (size_t i = 0; i < it->nalgs; i++) {
		const struct hg_bank *b = hg_bank_by_alg(it->algs[i]);

		CHECK(it->sizes[i] >= 1 && it->sizes[i] <= HG_MAX_DIGEST);
		CHECK(!b || b->size == it->sizes[i]);
		for (size_t j = 0; j < i; j++)
			CHECK(it->algs[j] != it->algs[i]);
	}
}

static void model_extend(struct model *m, const struct hg_uefi_event *ev)
{
	if (ev->type == HG_EV_NO_ACTION)
		return;
	m->touched |= 1u << ev->pcr;
	for (size_t b = 0; b < m->nbanks; b++)
		for (size_t i = 0; i < ev->digests.n; i++)
			if (ev->digests.v[i].alg == m->algs[b]) {
				CHECK(hg_extend(&m->v[b][ev->pcr], &ev->digests.v[i]) == 0);
				m->last[b][ev->pcr] = (long)ev->index;
			}
}

static void check_replay(const struct hg_uefi_replay *r, const struct model *m,
			 size_t n)
{
	CHECK(r->events == n);
	CHECK(r->nbanks == m->nbanks);
	CHECK(r->pcrs.n == m->nbanks * HG_NUM_PCRS);
	CHECK(r->startup_locality == 0 || r->startup_locality == 3 ||
	      r->startup_locality == 4);
	for (size_t b = 0; b < m->nbanks; b++) {
		CHECK(r->algs[b] == m->algs[b]);
		for (unsigned p = 0; p < HG_NUM_PCRS; p++) {
			const struct hg_pcr_value *v = hg_uefi_replay_get(r, m->algs[b], p);

			CHECK(v && v->len == m->v[b][p].len);
			CHECK(!memcmp(v->d, m->v[b][p].d, v->len));
			CHECK(hg_uefi_replay_last(r, m->algs[b], p) == m->last[b][p]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	struct hg_uefi_replay *e = calloc(1, sizeof(*e));
	struct model *m = calloc(1, sizeof(*m));
	struct hg_uefi_err err;
	size_t n = 0, off = 0;
	int rc, rr;

	CHECK(r && e && m);
	m->loc_bad = -1;
	hg_uefi_iter_init(&it, data, size);
	while ((rc = hg_uefi_iter_next(&it, &ev)) == 1) {
		check_event(&it, &ev, data, size, off, n);
		if (n == 0) {
			check_spec_id(&it);
			/* The banks are known once event 0 is read. */
			if (it.crypto_agile) {
				for (size_t i = 0; i < it.nalgs; i++)
					if (hg_bank_by_alg(it.algs[i]))
						m->algs[m->nbanks++] = it.algs[i];
			} else {
				m->algs[m->nbanks++] = HG_ALG_SHA1;
			}
		}
		if (is_locality(&ev)) {
			if (m->loc_bad < 0 &&
			    (ev.data_len != 17 || m->have_loc ||
			     (ev.data[16] != 0 && ev.data[16] != 3 && ev.data[16] != 4)))
				m->loc_bad = (long)ev.index;
			else
				m->loc = ev.data[16];
			m->have_loc = 1;
		}
		if (ev.type == HG_EV_EFI_HCRTM_EVENT && ev.pcr == 0)
			m->hcrtm = 1;
		if (ev.type == HG_EV_EFI_ACTION && ev.pcr == 5 &&
		    ((ev.data_len == strlen(ebs_inv) && !memcmp(ev.data, ebs_inv, ev.data_len)) ||
		     (ev.data_len >= 32 && !memcmp(ev.data, "Exit Boot Services Returned with", 32))))
			m->ebs = 1;
		off = it.off;
		n++;
	}
	CHECK(it.n == n);
	if (rc == 0) {
		CHECK(n >= 1 && off == size);
		CHECK(hg_uefi_iter_next(&it, &ev) == 0);
	} else {
		CHECK(rc == -1 && it.failed && it.err.msg[0]);
		if (it.err.event == -1)
			CHECK(n == 0 && it.err.offset == 0);
		else
			CHECK(it.err.event == (long)n && it.err.offset == off && off < size);
		CHECK(hg_uefi_iter_next(&it, &ev) == -1);
	}

	/* The firmware facts (lib/uefifacts.h) read the same hostile bytes:
	 * bounded by the events the iterator accepts. */
	{
		struct hg_uefi_facts f;
		struct hg_uefi_err ferr;

		memset(&f, 0, sizeof(f));
		if (hg_uefi_facts(data, size, &f, &ferr) == 0) {
			CHECK(f.secure_boot >= -1 && f.secure_boot <= 1);
			CHECK(f.napps <= n && f.nmismatch <= n);
		}
		hg_uefi_facts_free(&f);
		/* The verifier's view (sha256 PCRs 4 and 7 bound): never more
		 * than the unverified one, and no variable fact beside an
		 * unbound PCR 7 event. */
		{
			const struct hg_uefi_bound bd = {
				.n = 1, .alg = { HG_ALG_SHA256 }, .pcrs = { (1u << 4) | (1u << 7) },
			};

			if (hg_uefi_facts_bound(data, size, &bd, &f, &ferr) == 0) {
				CHECK(f.napps <= n && f.nmismatch <= n);
				for (int v = 0; v < HG_SBVAR_N; v++)
					CHECK(f.pcr7_unbound < 0 || f.var[v].event == -1);
				if (f.pcr7_unbound >= 0)
					CHECK(f.secure_boot == -1);
			}
			hg_uefi_facts_free(&f);
		}
	}

	/* The replay stops at the first bad event: a StartupLocality one
	 * before where the iterator stopped, or the iterator's. */
	rr = hg_uefi_replay(data, size, 0, r, &err);
	if (m->loc_bad >= 0) {
		CHECK(rr == -1 && err.event == m->loc_bad &&
		      strstr(err.msg, "StartupLocality"));
		goto out;
	}
	if (rc < 0) {
		CHECK(rr == -1 && err.event == it.err.event &&
		      err.offset == it.err.offset && !strcmp(err.msg, it.err.msg));
		goto out;
	}
	CHECK(rr == 0);

	/* The model: locality, then every event again (the iterator is
	 * deterministic; its events were checked above). */
	for (size_t b = 0; b < m->nbanks; b++) {
		for (size_t p = 0; p < HG_NUM_PCRS; p++) {
			CHECK(hg_pcr_reset(m->algs[b], &m->v[b][p]) == 0);
			m->last[b][p] = -1;
		}
		m->v[b][0].d[m->v[b][0].len - 1] =
			(uint8_t)(m->have_loc ? m->loc : m->hcrtm ? 4 : 0);
	}
	hg_uefi_iter_init(&it, data, size);
	while (hg_uefi_iter_next(&it, &ev) == 1)
		model_extend(m, &ev);
	CHECK(r->touched == m->touched);
	CHECK(r->ebs_appended == 0);
	check_replay(r, m, n);

	/* The workaround: PCR5 only, and only when the log lacks the events. */
	CHECK(hg_uefi_replay(data, size, HG_UEFI_EBS_WORKAROUND, e, &err) == 0);
	CHECK(e->ebs_appended == !m->ebs);
	if (e->ebs_appended) {
		for (size_t b = 0; b < m->nbanks; b++) {
			struct hg_digest d;

			CHECK(hg_hash(m->algs[b], ebs_inv, strlen(ebs_inv), &d) == 0);
			CHECK(hg_extend(&m->v[b][5], &d) == 0);
			CHECK(hg_hash(m->algs[b], ebs_ok, strlen(ebs_ok), &d) == 0);
			CHECK(hg_extend(&m->v[b][5], &d) == 0);
			m->last[b][5] = (long)n + 1;
		}
		m->touched |= 1u << 5;
	}
	CHECK(e->touched == m->touched);
	check_replay(e, m, n);
out:
	free(r);
	free(e);
	free(m);
	return 0;
}
