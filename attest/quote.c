/* quote.c: hostgate-attest quote --nonce HEX [--pcrs LIST] [--since BOOT:RECNUM]
 *           [-o FILE]
 *
 * Writes an evidence bundle (lib/evidence.h) made by attest/evquote.c:
 * TPM2_Quote by the AK over the hostgate PCR and PCRs 0-9 in every active
 * bank, the PCR values read with it, the AK public area and the event log.
 * --since BOOT:RECNUM: only the log records after RECNUM when the quote's
 * boot is BOOT (attest/evquote.h; the verifier's verdict names both).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/evidence.h"
#include "../lib/pcrs.h"
#include "../lib/uefilog.h"
#include "../lib/util.h"
#include "cmds.h"
#include "evquote.h"
#include "opts.h"
#include "tpm.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest quote --nonce HEX [--pcrs LIST] [--since BOOT:RECNUM]\n"
		   "                             [-o FILE] [OPTIONS]\n\n"
		   "Quote the PCRs with the AK and write an evidence bundle (CBOR) to\n"
		   "FILE, or to stdout.\n\n"
		   "  --nonce HEX        the verifier's fresh nonce, 8..64 bytes\n"
		   "  --pcrs LIST        PCRs to quote in every active bank (default 0-9\n"
		   "                     and the hostgate PCR), e.g. 0-9,13\n"
		   "  --since BOOT:RECNUM\n"
		   "                     only the log records after RECNUM, when the TPM\n"
		   "                     is still in boot BOOT (16 hex digits); both as the\n"
		   "                     verifier's verdict reports them in \"since\". The\n"
		   "                     whole log otherwise. The quote is always fresh.\n"
		   "  -o FILE            output file, written atomically\n"
		   "  --uefi-log FILE    the firmware event log to put in the evidence; it\n"
		   "                     must parse as one (TCG PC Client PFP)\n"
		   "                     (default: the kernel's, when it exists:\n"
		   "                     /sys/kernel/security/tpm0/binary_bios_measurements)\n"
		   HG_COMMON_HELP "\n"
		   "Exit codes: 0 ok, 1 failure (also an unreadable --uefi-log FILE),\n"
		   "2 usage (also a --uefi-log FILE that is not a firmware event log).\n");
}

/* A firmware log named on the command line must be one: caught here, by
 * the same parser the verifier uses (lib/uefilog.h), not by the verifier
 * after the quote. The kernel's own log is passed as it is: judging it is
 * the verifier's job. Returns 0, HG_EXIT_FAIL (unreadable) or
 * HG_EXIT_USAGE (not a firmware log). */
static int check_uefi_log(const char *path)
{
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r, ret = HG_EXIT_FAIL;

	if (hg_read_file(path, HG_UEFI_MAX_LOG, 0, &buf, &len) < 0) {
		hg_err("%s: %s", path,
		       errno == EFBIG ? "firmware log larger than 64 MiB" : hg_strerror_read(errno));
		goto out;
	}
	hg_uefi_iter_init(&it, buf, len);
	while ((r = hg_uefi_iter_next(&it, &ev)) == 1)
		;
	ret = HG_EXIT_USAGE;
	if (r < 0) {
		if (it.err.event >= 0)
			hg_err("%s: not a firmware event log: event %ld at offset %zu: %s", path,
			       it.err.event, it.err.offset, it.err.msg);
		else
			hg_err("%s: not a firmware event log: %s", path, it.err.msg);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

int quote_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nonce", required_argument, NULL, 'n' },
		{ "pcrs", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "uefi-log", required_argument, NULL, 'u' },
		{ "since", required_argument, NULL, 'S' },
		HG_COMMON_LONGOPTS,
		{ 0 },
	};
	struct hg_opts o;
	struct hg_tpm tpm = { 0 };
	uint8_t *nonce = NULL, *out = NULL;
	size_t nonce_len = 0, outlen = 0;
	const char *pcrs_arg = NULL, *outfile = NULL, *uefi_log = NULL;
	struct hg_since since;
	uint32_t mask;
	int c, have_since = 0, ret = HG_EXIT_USAGE;

	if (hg_opts_init(&o) < 0)
		goto out;
	while ((c = hg_opts_next(&o, argc, argv, "ho:", longopts)) != -1) {
		switch (c) {
		case HG_OPT_BAD:
			goto out;
		case 'n':
			free(nonce);
			nonce = NULL;
			if (hg_hex_decode(optarg, HG_NONCE_MAX, &nonce, &nonce_len) < 0 ||
			    nonce_len < HG_NONCE_MIN) {
				hg_err("--nonce: not 8..64 bytes of hex");
				goto out;
			}
			break;
		case 'p':
			pcrs_arg = optarg;
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'u':
			uefi_log = optarg;
			break;
		case 'S':
			if (hg_since_parse(optarg, &since) < 0) {
				hg_err("--since: \"%s\" is not BOOT:RECNUM (16 hex digits, a colon, a record number)",
				       optarg);
				goto out;
			}
			have_since = 1;
			break;
		case 'h':
			usage(stdout);
			ret = HG_EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (!nonce) {
		hg_err("quote: --nonce is required");
		goto out;
	}
	if (optind != argc) {
		hg_err("quote: unexpected argument \"%s\"", argv[optind]);
		goto out;
	}
	if (uefi_log && (ret = check_uefi_log(uefi_log)) != 0)
		goto out;
	ret = HG_EXIT_USAGE;
	mask = 0x3ffu | (1u << o.pcr);
	if (pcrs_arg && hg_pcr_mask_parse(pcrs_arg, &mask) < 0) {
		hg_err("--pcrs: \"%s\" is not a list of PCRs 0..23 like 0-9,13", pcrs_arg);
		goto out;
	}
	ret = HG_EXIT_FAIL;
	if (hg_tpm_open(o.tcti, &tpm) < 0)
		goto out;
	if ((ret = hg_quote_evidence_since(&o, &tpm, nonce, nonce_len, mask, uefi_log,
					   have_since ? &since : NULL, &out, &outlen)) != HG_EXIT_OK)
		goto out;
	ret = HG_EXIT_FAIL;
	if (hg_write_output(outfile, out, outlen, 0644) < 0)
		goto out;
	ret = HG_EXIT_OK;
out:
	hg_tpm_close(&tpm);
	free(nonce);
	free(out);
	return ret;
}
