/* show.c: hostgate-verify show --log FILE [--json]
 *         hostgate-verify show --uefi-log FILE [--json] [--ebs-workaround]
 *         hostgate-verify show [--json] [--export DIR] EVIDENCE
 *
 * --log decodes the log with the bounded reader, checks every record (see
 * hglog.h for the rules) and prints the records and the PCR values a
 * replay gives. Records before the first bad one are still printed, so an
 * operator sees where it went wrong; the exit code says it did.
 *
 * --uefi-log dumps a firmware event log (showuefi.h).
 *
 * EVIDENCE is dumped unverified (showev.h): every part decoded for a
 * human, the log inside it checked and printed as --log does. --export
 * writes the parts as tpm2-tools reads them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "../lib/cose.h"
#include "../lib/hglog.h"
#include "../lib/text.h"
#include "../lib/util.h"
#include "../lib/uuid.h"
#include "cmds.h"
#include "inputs.h"
#include "showenroll.h"
#include "showev.h"
#include "showuefi.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify show --log FILE [--json]\n"
		   "       hostgate-verify show --uefi-log FILE [--json] [--ebs-workaround]\n"
		   "       hostgate-verify show [--json] [--export DIR] EVIDENCE\n\n"
		   "With --log: decode a hostgate event log, check every record's\n"
		   "COSE_Sign1 signature against the key pinned by record 0, and print\n"
		   "the records and the replayed PCR values.\n\n"
		   "With --uefi-log: decode a TCG PC Client firmware event log (raw,\n"
		   "as /sys/kernel/security/tpm0/binary_bios_measurements; decode a\n"
		   "base64 copy first) and print every event (PCR, type, digests,\n"
		   "variable names, simple device paths), the firmware facts (Secure\n"
		   "Boot, PK/KEK/db/dbx digests, boot applications, separators,\n"
		   "digests that are not the hash of their data) and the replayed\n"
		   "PCRs of every bank: with --json, under \"pcrs\" as\n"
		   "{\"<bank>\": {\"<index>\": hex}}, for the PCRs the log extends.\n"
		   "Nothing is compared with a quote. A log that does not parse\n"
		   "exits 3 naming the event and its byte offset.\n\n"
		   "With EVIDENCE (a bundle from 'hostgate-attest quote'): print every\n"
		   "part of it (nonce, AK, the TPMS_ATTEST, the signature, the PCR\n"
		   "values, the log as --log does). An UNVERIFIED dump: no AK or nonce\n"
		   "is checked, the quote signature is not ('hostgate-verify check'\n"
		   "does); each part must decode and the log must check.\n\n"
		   "  --log FILE         the event log (CBOR sequence of COSE_Sign1)\n"
		   "  --uefi-log FILE    a firmware event log (at most 64 MiB)\n"
		   "  --ebs-workaround   with --uefi-log: if the log has no ExitBootServices\n"
		   "                     events on PCR5, replay as if the two were there (a\n"
		   "                     known firmware bug; the output says when it applied)\n"
		   "  --json             machine-readable output\n"
		   "  --export DIR       also write the parts for tpm2-tools (DIR is made\n"
		   "                     0755 if missing): attest.bin (TPMS_ATTEST), sig.bin\n"
		   "                     (TPMT_SIGNATURE), ak.pub (TPM2B_PUBLIC), pcrs.bin (the\n"
		   "                     values in selection order, tpm2_quote -F values),\n"
		   "                     pcrs.serialized (tpm2_quote -F serialized), nonce.hex\n"
		   "                     and log.cel; then this checks the quote (HASH, the\n"
		   "                     AK's, is printed):\n"
		   "                       tpm2_checkquote -u DIR/ak.pub -m DIR/attest.bin\n"
		   "                         -s DIR/sig.bin -f DIR/pcrs.serialized -g HASH\n"
		   "                         -q $(cat DIR/nonce.hex)\n"
		   "  -h, --help         this text\n\n"
		   "Exit codes: 0 valid, 2 usage, unreadable input or export failure,\n"
		   "3 invalid (bad evidence, or bad log: names the first bad record or\n"
		   "event).\n");
}

static json_object *hexstr(const uint8_t *p, size_t n)
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

static json_object *digests_json(const struct hg_digests *d)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; o && i < d->n; i++) {
		const struct hg_bank *b = hg_bank_by_alg(d->v[i].alg);

		json_object_object_add(o, b ? b->name : "?",
				       hexstr(d->v[i].d, d->v[i].len));
	}
	return o;
}

static const char *type_name(enum hg_content_type t)
{
	return t == HG_CT_LOG_KEY ? "log-key" : t == HG_CT_LAUNCH ? "launch" : "file";
}

/* A launch record's refs (cel.h): [{"record", "kind", "digests"}]. */
static json_object *refs_json(const struct hg_cel_rec *c)
{
	json_object *a = json_object_new_array();
	struct hg_cel_refs it;
	struct hg_launch_ref ref;

	hg_cel_refs_init(c, &it);
	while (hg_cel_refs_next(&it, &ref) == 1) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "record", json_object_new_uint64(ref.recnum));
		json_object_object_add(o, "kind", json_object_new_string(hg_kind_name(ref.kind)));
		json_object_object_add(o, "digests", digests_json(&ref.digests));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *record_json(const struct hg_log_rec *r)
{
	const struct hg_cel_rec *c = &r->cel;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "recnum", json_object_new_uint64(c->recnum));
	json_object_object_add(o, "offset", json_object_new_uint64(r->offset));
	json_object_object_add(o, "pcr", json_object_new_int((int)c->pcr));
	json_object_object_add(o, "type", json_object_new_string(type_name(c->type)));
	if (c->type == HG_CT_LAUNCH) {
		char u[HG_UUID_TEXT + 1];

		hg_uuid_format(c->uuid, u);
		json_object_object_add(o, "domain",
				       json_object_new_string_len(c->domain, (int)c->domain_len));
		json_object_object_add(o, "uuid", json_object_new_string(u));
		json_object_object_add(o, "refs", refs_json(c));
	} else if (c->type == HG_CT_FILE) {
		json_object_object_add(o, "kind",
				       json_object_new_string(hg_kind_name(c->kind)));
		json_object_object_add(o, "name",
				       json_object_new_string_len(c->name, (int)c->name_len));
		/* An overlay is recorded by path only (cel.h): it has no
		 * size or file digests to show, so none are made up. */
		if (hg_kind_hashed(c->kind)) {
			json_object_object_add(o, "size", json_object_new_uint64(c->size));
			json_object_object_add(o, "file_digests", digests_json(&c->file));
		}
	} else {
		json_object_object_add(o, "key", hexstr(c->key, c->key_len));
	}
	json_object_object_add(o, "digests", digests_json(&c->digests));
	json_object_object_add(o, "content", hexstr(c->content, c->content_len));
	return o;
}

/* Replayed value of every PCR the log touches, per bank of record 0. */
static json_object *replay_json(const struct hg_log *log)
{
	json_object *o = json_object_new_object();
	uint32_t seen = 0;

	for (size_t i = 0; i < log->n; i++)
		seen |= 1u << log->recs[i].cel.pcr;
	for (uint32_t pcr = 0; log->n && pcr <= HG_CEL_MAX_PCR; pcr++) {
		const struct hg_digests *banks = &log->recs[0].cel.digests;
		json_object *p;
		char key[8];

		if (!(seen & (1u << pcr)))
			continue;
		p = json_object_new_object();
		for (size_t b = 0; b < banks->n; b++) {
			struct hg_digest v;

			if (hg_log_replay(log, log->n, pcr, banks->v[b].alg, &v) == 0)
				json_object_object_add(
					p, hg_bank_by_alg(v.alg)->name,
					hexstr(v.d, v.len));
		}
		snprintf(key, sizeof(key), "%u", pcr);
		json_object_object_add(o, key, p);
	}
	return o;
}

/* Names come from the host: printed through the one escaper
 * (lib/text.h). The decoder refuses a name that would need it, except
 * for '\\'; this is the second line of defence. */
static void print_name(const char *s, size_t n)
{
	char *e = hg_escape((const uint8_t *)s, n);

	fputs(e ? e : "?", stdout);
	free(e);
}

static void print_digests(const char *label, const struct hg_digests *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char hex[2 * HG_MAX_DIGEST + 1];
		const struct hg_bank *b = hg_bank_by_alg(d->v[i].alg);

		hg_hex_encode(d->v[i].d, d->v[i].len, hex);
		printf("    %-9s %s:%s\n", label, b ? b->name : "?", hex);
	}
}

/* LABEL names the log: its path, or where it came from. */
static void print_human(const char *label, const struct hg_log *log)
{
	printf("log %s: %zu valid record%s\n", label, log->n,
	       log->n == 1 ? "" : "s");
	for (size_t i = 0; i < log->n; i++) {
		const struct hg_cel_rec *c = &log->recs[i].cel;

		if (c->type == HG_CT_LOG_KEY) {
			printf("#%llu pcr %u log-key (pins the signing key)\n",
			       (unsigned long long)c->recnum, c->pcr);
		} else if (c->type == HG_CT_LAUNCH) {
			struct hg_cel_refs it;
			struct hg_launch_ref ref;
			char u[HG_UUID_TEXT + 1];

			hg_uuid_format(c->uuid, u);
			printf("#%llu pcr %u launch ", (unsigned long long)c->recnum, c->pcr);
			print_name(c->domain, c->domain_len);
			printf(" uuid %s (%zu record%s)\n", u, c->nrefs, c->nrefs == 1 ? "" : "s");
			hg_cel_refs_init(c, &it);
			while (hg_cel_refs_next(&it, &ref) == 1) {
				char rlabel[40];

				snprintf(rlabel, sizeof(rlabel), "ref #%llu %s",
					 (unsigned long long)ref.recnum, hg_kind_name(ref.kind));
				print_digests(rlabel, &ref.digests);
			}
		} else {
			printf("#%llu pcr %u %s ", (unsigned long long)c->recnum,
			       c->pcr, hg_kind_name(c->kind));
			print_name(c->name, c->name_len);
			if (hg_kind_hashed(c->kind))
				printf(" (%llu bytes)\n", (unsigned long long)c->size);
			else
				printf(" (path only, not hashed)\n");
			print_digests("file", &c->file);
		}
		print_digests("extended", &c->digests);
	}
	if (log->n) {
		const struct hg_digests *banks = &log->recs[0].cel.digests;
		uint32_t pcr = log->recs[0].cel.pcr;

		printf("replayed PCR %u:\n", pcr);
		for (size_t b = 0; b < banks->n; b++) {
			struct hg_digest v;
			char hex[2 * HG_MAX_DIGEST + 1];

			if (hg_log_replay(log, log->n, pcr, banks->v[b].alg, &v) < 0)
				continue;
			hg_hex_encode(v.d, v.len, hex);
			printf("    %s:%s\n", hg_bank_by_alg(v.alg)->name, hex);
		}
	}
}

/* The object 'show --log --json' prints; PATH (may be NULL) names it. */
static json_object *log_json(const char *path, const struct hg_log *log,
			     int valid, const struct hg_log_err *err)
{
	json_object *root = json_object_new_object(), *recs = json_object_new_array();

	if (path)
		json_object_object_add(root, "log", json_object_new_string(path));
	json_object_object_add(root, "valid", json_object_new_boolean(valid));
	for (size_t i = 0; i < log->n; i++)
		json_object_array_add(recs, record_json(&log->recs[i]));
	json_object_object_add(root, "records", recs);
	json_object_object_add(root, "replay", replay_json(log));
	if (!valid) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "record", json_object_new_int64(err->record));
		json_object_object_add(e, "offset", json_object_new_uint64(err->offset));
		json_object_object_add(e, "reason", json_object_new_string(err->msg));
		json_object_object_add(root, "error", e);
	}
	return root;
}

static void log_error(const char *path, const char *part, const struct hg_log_err *err)
{
	if (err->record >= 0)
		hg_err("%s: %srecord %ld (offset %zu): %s", path, part, err->record,
		       err->offset, err->msg);
	else
		hg_err("%s: %s%s", path, part, err->msg);
}

static void print_json(json_object *root)
{
	printf("%s\n", json_object_to_json_string_ext(
			       root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int show_log(const char *path, int json)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct hg_log log = { 0 };
	struct hg_log_err err = { 0 };
	json_object *root = NULL;
	int valid, ret = HV_EXIT_USAGE;

	if ((ret = hv_read_log(path, HG_LOG_MAX_SIZE, &buf, &len)) != 0)
		goto out;
	ret = HV_EXIT_USAGE;
	valid = hg_log_parse(buf, len, &log, &err) == 0;
	if (json) {
		root = log_json(path, &log, valid, &err);
		print_json(root);
	} else {
		print_human(path, &log);
	}
	if (!valid) {
		log_error(path, "", &err);
		ret = HV_EXIT_INVALID;
		goto out;
	}
	ret = HV_EXIT_TRUSTED;
out:
	json_object_put(root);
	hg_log_free(&log);
	free(buf);
	return ret;
}

static int show_evidence(const char *path, int json, const char *dir)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct hv_evdump *d = NULL;
	struct hg_log log = { 0 };
	struct hg_log_err err = { 0 };
	json_object *root = NULL;
	const char *why;
	int valid = 1, ret = HV_EXIT_USAGE;

	if (hv_read_evidence(path, &buf, &len) < 0)
		goto out;
	d = calloc(1, sizeof(*d));
	if (!d) {
		hg_err("out of memory");
		goto out;
	}
	if (hv_evdump_decode(buf, len, d, &why) < 0) {
		/* An enrollment message is shown as one; anything else is
		 * named by the evidence decoder's reason. */
		if ((ret = hv_show_enroll(path, buf, len, json)) >= 0)
			goto out;
		hg_err("%s: %s", path, why);
		ret = HV_EXIT_INVALID;
		goto out;
	}
	/* A host that has measured nothing yet sends an empty log: valid,
	 * no records (verify.h accepts it too). */
	/* A partial log (quote --since) starts past the log-key record:
	 * only the verifier's state can check it (incr.h); showev.c says so. */
	if (d->ev.log_len && d->ev.log_first == 0)
		valid = hg_log_parse(d->ev.log, d->ev.log_len, &log, &err) == 0;
	if (json) {
		json_object *probs = json_object_new_array();

		root = json_object_new_object();
		json_object_object_add(root, "evidence", json_object_new_string(path));
		json_object_object_add(root, "verified", json_object_new_boolean(0));
		hv_evdump_json(d, root);
		json_object_object_add(root, "log", log_json(NULL, &log, valid, &err));
		for (size_t i = 0; i < d->nproblems; i++) {
			json_object *p = json_object_new_object();

			json_object_object_add(p, "part", json_object_new_string(d->problem[i].part));
			json_object_object_add(p, "reason", json_object_new_string(d->problem[i].why));
			json_object_array_add(probs, p);
		}
		json_object_object_add(root, "problems", probs);
		print_json(root);
	} else {
		char label[64 + 4096];

		printf("evidence %s: UNVERIFIED dump (no AK or nonce checked; "
		       "'hostgate-verify check' verifies)\n", path);
		hv_evdump_print(d, stdout);
		snprintf(label, sizeof(label), "in %s", path);
		print_human(label, &log);
	}
	ret = HV_EXIT_TRUSTED;
	for (size_t i = 0; i < d->nproblems; i++) {
		hg_err("%s: %s: %s", path, d->problem[i].part, d->problem[i].why);
		ret = HV_EXIT_INVALID;
	}
	if (!valid) {
		log_error(path, "log: ", &err);
		ret = HV_EXIT_INVALID;
	}
	if (dir) {
		fflush(stdout);
		if (hv_evdump_export(d, dir) < 0) {
			if (ret == HV_EXIT_TRUSTED)
				ret = HV_EXIT_USAGE;
		} else if (!json) {
			printf("exported to %s; tpm2-tools checks the quote with:\n    ", dir);
			hv_evdump_print_checkquote(d, dir, stdout);
		}
	}
out:
	json_object_put(root);
	hg_log_free(&log);
	if (d)
		hv_evdump_free(d);
	free(d);
	free(buf);
	return ret;
}

int show_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "log", required_argument, NULL, 'l' },
		{ "uefi-log", required_argument, NULL, 'u' },
		{ "ebs-workaround", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "export", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = NULL, *dir = NULL, *uefi = NULL;
	unsigned uefi_flags = 0;
	int json = 0, c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			path = optarg;
			break;
		case 'u':
			uefi = optarg;
			break;
		case 'e':
			uefi_flags |= HG_UEFI_EBS_WORKAROUND;
			break;
		case 'j':
			json = 1;
			break;
		case 'x':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return HV_EXIT_TRUSTED;
		default:
			usage(stderr);
			return HV_EXIT_USAGE;
		}
	}
	if (uefi) {
		if (optind != argc || dir || path) {
			hg_err("show: --uefi-log FILE takes no EVIDENCE, --log or --export");
			return HV_EXIT_USAGE;
		}
		return hv_show_uefi(uefi, json, uefi_flags);
	}
	if (uefi_flags) {
		hg_err("show: --ebs-workaround goes with --uefi-log");
		return HV_EXIT_USAGE;
	}
	if (path) {
		if (optind != argc || dir) {
			hg_err("show: --log FILE takes no EVIDENCE and no --export");
			return HV_EXIT_USAGE;
		}
		return show_log(path, json);
	}
	if (optind + 1 != argc) {
		hg_err("show: give exactly one --log FILE or one EVIDENCE file");
		return HV_EXIT_USAGE;
	}
	return show_evidence(argv[optind], json, dir);
}
