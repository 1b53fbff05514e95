/* verify_fw.c: the firmware event log's part of hv_verify() (verify.h,
 * verify_int.h): the log parsed and replayed, every firmware PCR the quote
 * holds explained by it, no bank downgrade, the facts bound for the
 * policy's firmware rules (fwjudge.h).
 */
#include <string.h>

#include "fwjudge.h"
#include "showuefi.h"
#include "verify_int.h"

/* The quoted firmware PCRs (PCR 0-9, TCG PC Client PFP §2.3.4) that the
 * firmware log speaks for. Later PCRs belong to the OS (hostgate's own
 * among them) and are not the firmware log's to explain. */
#define FW_PCRS 10u

/* (ALG, PCR) into B; a bank the quote selects twice is one bank. */
static void bound_add(struct hg_uefi_bound *b, uint16_t alg, unsigned pcr)
{
	size_t i;

	for (i = 0; i < b->n && b->alg[i] != alg; i++)
		;
	if (i == b->n) {
		if (b->n == HG_MAX_BANKS)
			return;
		b->alg[b->n++] = alg;
	}
	b->pcrs[i] |= 1u << pcr;
}

int hv_vr_check_firmware(struct run *r)
{
	const struct hv_inputs *in = r->in;
	struct hv_result *res = r->res;
	const struct hg_pcr_sel *sel = &res->quote.sel;
	struct hg_uefi_err err;
	struct hg_uefi_bound bound = { 0 };
	size_t compared = 0;

	if (!res->ev.uefi) {
		hv_vr_pass(r, HV_FIRMWARE);
		return 0;
	}
	res->fw_present = 1;
	/* Every event must carry every declared bank (PFP r1.05 §10.2.2). */
	if (hg_uefi_replay(res->ev.uefi, res->ev.uefi_len, in->uefi_flags | HG_UEFI_ALL_BANKS,
			   &res->fw_replay, &err) < 0) {
		if (err.event >= 0)
			FAIL(r, HV_FIRMWARE, "firmware log: event %ld (offset %zu): %s", err.event,
			     err.offset, err.msg);
		else
			FAIL(r, HV_FIRMWARE, "firmware log: %s", err.msg);
		return -1;
	}
	/* No bank downgrade in the firmware log either: firmware extends every
	 * active bank and logs each in a crypto-agile log (TCG PC Client
	 * PFP), so a quoted bank the log leaves out, on a firmware PCR the
	 * log extends, was stripped from the log (its events would then be
	 * believed on the weaker banks alone). The other way round (a log
	 * bank the quote omits) is the firmware rules' to ignore: nothing is
	 * derived from it. */
	for (size_t b = 0; b < sel->n; b++) {
		uint32_t both = sel->b[b].mask & res->fw_replay.touched & ((1u << FW_PCRS) - 1);

		if (both && !hg_uefi_replay_get(&res->fw_replay, sel->b[b].alg, 0)) {
			FAIL(r, HV_BANKS, "the firmware log omits bank %s, which the quote covers on PCR %d that the log extends (a bank downgrade)",
			     hv_vr_bank_name(sel->b[b].alg), __builtin_ctz(both));
			return -1;
		}
	}
	/* The firmware rules read events of some PCRs (4: boot applications,
	 * 7: Secure Boot and its keys): those events are bound to the quote
	 * only if the quote covers those PCRs in every bank the rules compare
	 * (fwjudge.c compares the banks the policy accepts that the log has).
	 * A quote that leaves one out would let the log say anything there. */
	if (in->policy && in->policy->fw.present) {
		uint32_t need = hg_policy_fw_pcrs(in->policy);

		for (size_t b = 0; b < res->fw_replay.nbanks; b++) {
			if (!hg_policy_accepts_bank(in->policy, res->fw_replay.algs[b]))
				continue;
			for (unsigned p = 0; p < HG_NUM_PCRS; p++)
				if ((need & (1u << p)) && !hv_vr_quoted(sel, res->fw_replay.algs[b], p)) {
					FAIL(r, HV_SELECTION, "the policy's firmware rules read PCR %u, which the quote does not cover in %s (the firmware log has that bank)",
					     p, hv_vr_bank_name(res->fw_replay.algs[b]));
					return -1;
				}
		}
	}
	for (size_t b = 0; b < sel->n; b++) {
		uint16_t alg = sel->b[b].alg;

		for (unsigned p = 0; p < FW_PCRS; p++) {
			const struct hg_pcr_value *want = hg_uefi_replay_get(&res->fw_replay, alg, p);
			const struct hg_pcr_value *got;
			long last;

			/* Only a (bank, PCR) some event extended: the reset value
			 * of one none did is made up, not the log's. */
			last = hg_uefi_replay_last(&res->fw_replay, alg, p);
			if (!want || last < 0 || !(sel->b[b].mask & (1u << p)))
				continue;
			got = hg_pcr_values_get(&res->ev.pcrs, alg, p);
			compared++;
			if (got && !memcmp(got->d, want->d, want->len)) {
				/* Bound: the facts may rest on this pair. */
				bound_add(&bound, alg, p);
				continue;
			}
			FAIL(r, HV_FIRMWARE, "PCR %u %s: the firmware log replays to a value the quote does not hold (last event to extend it: %ld)",
			     p, hv_vr_bank_name(alg), last);
			return -1;
		}
	}
	if (compared == 0 && res->fw_replay.touched & ((1u << FW_PCRS) - 1)) {
		FAIL(r, HV_FIRMWARE, "the firmware log has no bank and PCR the quote covers");
		return -1;
	}
	/* Facts only from the pairs just found equal to the quote. */
	if (hg_uefi_facts_bound(res->ev.uefi, res->ev.uefi_len, &bound, &res->fw_facts,
				&err) < 0) {
		FAIL(r, HV_FIRMWARE, "firmware log: event %ld (offset %zu): %s", err.event,
		     err.offset, err.msg);
		return -1;
	}
	res->fw_replayed = 1;
	hv_vr_pass(r, HV_FIRMWARE);
	return 0;
}

