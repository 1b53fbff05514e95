/* test_uefilog_corpus.c: the UEFI firmware event log parser and replay
 * (lib/uefilog.h) against the shared corpus of real logs and every prefix
 * of them. The hand-made logs are in test_uefilog_bad.c (bad inputs) and
 * test_uefilog.c (replay rules and the API).
 *
 * The corpus is tests/data/uefi from the repository root (the
 * directory tests/run.sh runs in), or $HG_UEFI_CORPUS. Without it the
 * corpus tests FAIL, naming the path: it is part of the repository,
 * and a silent skip would hide every real-log regression.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "../../lib/digest.h"
#include "../../lib/uefilog.h"
#include "../../lib/util.h"

#define MAX_FILE (HG_UEFI_MAX_LOG)

static const char *corpus_dir(void)
{
	const char *d = getenv("HG_UEFI_CORPUS");
	static char msg_done;
	struct stat st;

	if (!d || !*d)
		d = "tests/data/uefi";
	if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (!msg_done++)
			print_error("UEFI corpus not found at %s (run from the repository "
				    "root with the repository root, or set HG_UEFI_CORPUS)\n", d);
		fail_msg("UEFI corpus missing: %s", d);
	}
	return d;
}

static void read_corpus(const char *rel, uint8_t **buf, size_t *len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), rel);
	if (hg_read_file(path, MAX_FILE, 0, buf, len) < 0)
		fail_msg("cannot read %s: %s", path, strerror(errno));
}

/* Whitespace-tolerant base64 (keylime's .b64 files wrap lines). */
static void b64_decode(uint8_t **buf, size_t *len)
{
	size_t n = 0, pad = 0;
	uint8_t *txt = malloc(*len + 1), *out;
	int r;

	assert_non_null(txt);
	for (size_t i = 0; i < *len; i++)
		if (!strchr(" \t\r\n", (*buf)[i]))
			txt[n++] = (*buf)[i];
	assert_int_equal(n % 4, 0);
	if (n && txt[n - 1] == '=')
		pad++;
	if (n > 1 && txt[n - 2] == '=')
		pad++;
	out = malloc(n / 4 * 3 + 1);
	assert_non_null(out);
	r = EVP_DecodeBlock(out, txt, (int)n);
	assert_true(r >= 0 && (size_t)r == n / 4 * 3);
	free(txt);
	free(*buf);
	*buf = out;
	*len = (size_t)r - pad;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	hg_hex_encode(d, n, out);
}

/* ---- every expected file of the corpus ---- */

static int in_list(struct json_object *arr, const char *key)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *p;

		/* A bare "sha1:5", or {"pcr": "sha1:5", "reason": ...}. */
		if (json_object_is_type(e, json_type_string) &&
		    !strcmp(json_object_get_string(e), key))
			return 1;
		if (json_object_is_type(e, json_type_object) &&
		    json_object_object_get_ex(e, "pcr", &p) &&
		    !strcmp(json_object_get_string(p), key))
			return 1;
		if (!json_object_is_type(e, json_type_string) &&
		    !json_object_is_type(e, json_type_object))
			fail_msg("unknown list entry %s", json_object_to_json_string(e));
	}
	return 0;
}

static int uses_ebs(struct json_object *rules)
{
	size_t n = rules ? json_object_array_length(rules) : 0;

	for (size_t i = 0; i < n; i++)
		if (!strncmp(json_object_get_string(json_object_array_get_idx(rules, i)),
			     "EBS workaround", 14))
			return 1;
	return 0;
}

struct tally {
	int match, mismatch, skipped;
};

/* Replay one expected file's log and compare every listed PCR. */
static void check_expected_file(const char *name, struct tally *t)
{
	char path[4096], key[64], got[2 * HG_MAX_DIGEST + 1];
	struct json_object *j, *o, *pcrs, *check, *notext, *mism, *rules;
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	struct hg_uefi_err err;
	uint8_t *buf;
	size_t len;
	unsigned flags;

	assert_non_null(r);
	snprintf(path, sizeof(path), "%s/expected/%s", corpus_dir(), name);
	j = json_object_from_file(path);
	if (!j)
		fail_msg("%s: not JSON", path);
	if (!json_object_object_get_ex(j, "log", &o))
		fail_msg("%s: no \"log\"", name);
	read_corpus(json_object_get_string(o), &buf, &len);
	if (json_object_object_get_ex(j, "log_encoding", &o) &&
	    !strcmp(json_object_get_string(o), "base64"))
		b64_decode(&buf, &len);
	assert_true(json_object_object_get_ex(j, "pcrs", &pcrs));
	assert_true(json_object_object_get_ex(j, "reference_replay_check", &check));
	json_object_object_get_ex(check, "not_extended_by_log", &notext);
	json_object_object_get_ex(check, "mismatch", &mism);
	json_object_object_get_ex(j, "replay_rules", &rules);
	flags = uses_ebs(rules) ? HG_UEFI_EBS_WORKAROUND : 0;

	if (hg_uefi_replay(buf, len, flags, r, &err) < 0)
		fail_msg("%s: event %ld (offset %zu): %s", name, err.event,
			 err.offset, err.msg);
	if (json_object_object_get_ex(j, "n_events", &o))
		assert_int_equal(r->events, json_object_get_int(o));
	assert_int_equal(r->ebs_appended, flags != 0);

	json_object_object_foreach(pcrs, bank, vals) {
		const struct hg_bank *b = hg_bank_by_name(bank);

		json_object_object_foreach(vals, idx, want) {
			const struct hg_pcr_value *v;
			int listed_mismatch;

			snprintf(key, sizeof(key), "%s:%s", bank, idx);
			if (in_list(notext, key)) {
				/* Listed as untouched: the replay must agree. */
				if (b && hg_uefi_replay_get(r, b->alg, (unsigned)atoi(idx)))
					assert_false(r->touched & (1u << atoi(idx)) &&
						     hg_uefi_replay_last(r, b->alg,
									 (unsigned)atoi(idx)) >= 0);
				t->skipped++;
				continue;
			}
			if (!b)
				fail_msg("%s: %s: unknown bank", name, key);
			v = hg_uefi_replay_get(r, b->alg, (unsigned)atoi(idx));
			if (!v)
				fail_msg("%s: %s: the log has no such bank", name, key);
			hex(v->d, v->len, got);
			listed_mismatch = in_list(mism, key);
			if (listed_mismatch) {
				if (!strcasecmp(got, json_object_get_string(want)))
					fail_msg("%s: %s matches but is listed as a mismatch",
						 name, key);
				t->mismatch++;
			} else {
				if (strcasecmp(got, json_object_get_string(want)))
					fail_msg("%s: %s: replay %s, TPM %s (last event %ld)",
						 name, key, got, json_object_get_string(want),
						 hg_uefi_replay_last(r, b->alg, (unsigned)atoi(idx)));
				t->match++;
			}
		}
	}

	/* The workaround is what makes the EBS file match: without it, PCR5
	 * must not (go-attestation TestEBSVerifyWorkaround). */
	if (flags) {
		struct hg_uefi_replay *plain = calloc(1, sizeof(*plain));
		const struct hg_pcr_value *a, *p;

		assert_non_null(plain);
		assert_int_equal(hg_uefi_replay(buf, len, 0, plain, &err), 0);
		assert_int_equal(plain->ebs_appended, 0);
		a = hg_uefi_replay_get(r, HG_ALG_SHA1, 5);
		p = hg_uefi_replay_get(plain, HG_ALG_SHA1, 5);
		assert_non_null(a);
		assert_non_null(p);
		assert_memory_not_equal(a->d, p->d, a->len);
		free(plain);
	}
	json_object_put(j);
	free(buf);
	free(r);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_corpus_expected(void **state)
{
	char path[4096], *names[256];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	(void)state;
	snprintf(path, sizeof(path), "%s/expected", corpus_dir());
	d = opendir(path);
	if (!d)
		fail_msg("cannot open %s", path);
	while ((de = readdir(d)) && n < 256)
		if (ends_with(de->d_name, ".expected.json"))
			names[n++] = strdup(de->d_name);
	closedir(d);
	/* 21 files today; fewer means the corpus is not what it should be. */
	assert_true(n >= 21);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct tally t = { 0, 0, 0 };

		check_expected_file(names[i], &t);
		print_message("  %-58s %2d match, %d mismatch as listed, %2d not extended\n",
			      names[i], t.match, t.mismatch, t.skipped);
		assert_true(t.match + t.mismatch > 0);
		free(names[i]);
	}
}

/* ---- every log of the corpus, whole and cut ---- */

/* The logs of the corpus that parse, with their event counts. */
static const struct {
	const char *path;
	size_t events;
	int agile;
} good_logs[] = {
	{ "canonical_tcglog-parser/binary_bios_measurements", 115, 1 },
	{ "fwupd_fwupd/binary_bios_measurements-v1", 108, 0 },
	{ "fwupd_fwupd/binary_bios_measurements-v2", 128, 1 },
	{ "google_go-attestation/coreos_36_shielded_vm_no_secure_boot_eventlog", 76, 1 },
	{ "google_go-attestation/crypto_agile_eventlog", 27, 1 },
	{ "google_go-attestation/ebs_event_missing_eventlog", 38, 0 },
	{ "google_go-attestation/option_rom_eventlog", 61, 0 },
	{ "google_go-attestation/sb_cert_eventlog", 15, 1 },
	{ "google_go-attestation/short_no_action_eventlog", 1, 0 },
	{ "google_go-attestation/ubuntu_2104_shielded_vm_no_secure_boot_eventlog", 106, 1 },
	{ "google_go-attestation/windows_gcp_shielded_vm.extracted/eventlog.bin", 21, 0 },
	{ "google_go-eventlog/linux_tpm12.extracted/eventlog.bin", 40, 0 },
	{ "keylime_keylime/create-mb-policy/binary_bios_measurements", 121, 1 },
	{ "keylime_keylime/create-mb-policy/binary_bios_measurements-secureboot", 99, 1 },
	{ "keylime_keylime/mb_log.bin", 102, 1 },
	{ "tpm2-software_tpm2-tools/fixtures/event-arch-linux.bin", 25, 1 },
	{ "tpm2-software_tpm2-tools/fixtures/event-bootorder.bin", 104, 1 },
	{ "tpm2-software_tpm2-tools/fixtures/event-gce-ubuntu-2104-log.bin", 112, 1 },
	{ "tpm2-software_tpm2-tools/fixtures/event-moklisttrusted.bin", 97, 1 },
	{ "tpm2-software_tpm2-tools/fixtures/event-postcode.bin", 59, 1 },
	{ "tpm2-software_tpm2-tools/fixtures/event-sd-boot-fedora37.bin", 28, 1 },
	{ "tpm2-software_tpm2-tools/fixtures/event-uefi-sha1-log.bin", 17, 0 },
	{ "tpm2-software_tpm2-tools/fixtures/event-uefiaction.bin", 2, 1 },
	{ "tpm2-software_tpm2-tools/fixtures/event-uefiservices.bin", 2, 1 },
	{ "tpm2-software_tpm2-tools/fixtures/event-uefivar.bin", 2, 1 },
	{ "tpm2-software_tpm2-tools/fixtures/event.bin", 2, 1 },
	{ "tpm2-software_tpm2-tss/binary_measurements_hcrtm.bin", 204, 1 },
	{ "tpm2-software_tpm2-tss/binary_measurements_nuc.bin", 17, 0 },
	{ "tpm2-software_tpm2-tss/binary_measurements_pc_client.bin", 33, 1 },
	{ "tpm2-software_tpm2-tss/specid-vendordata.bin", 1, 1 },
	{ "zededa_evepcr/testdata/dst_version/14.5_stable.bin", 193, 1 },
	{ "zededa_evepcr/testdata/src_version/14.5.1bcbf.bin", 193, 1 },
};

/* The files of the corpus that are refused, each for its exact reason. */
static const struct {
	const char *path;
	long event;
	size_t offset;
	const char *msg;
} bad_logs[] = {
	/* eventSize 37 cuts the Spec ID event inside its vendorInfo, which
	 * tpm2_eventlog prints from past the event (the tss copy has 41). */
	{ "tpm2-software_tpm2-tools/fixtures/specid-vendordata.bin", 0, 0,
	  "Spec ID vendorInfo exceeds the event" },
	{ "keylime_keylime/create-mb-policy/binary_bios_measurements-bogus", 0, 0,
	  "event data larger than 16 MiB" },
	{ "keylime_keylime/create-mb-policy/binary_bios_measurements-empty", -1, 0,
	  "empty log" },
};

static size_t event_offsets(const uint8_t *buf, size_t len, size_t *offs,
			    size_t max)
{
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;
	size_t n = 0;

	hg_uefi_iter_init(&it, buf, len);
	while (hg_uefi_iter_next(&it, &ev) == 1) {
		assert_true(n < max);
		assert_int_equal(ev.index, n);
		assert_int_equal(ev.offset, it.off - ev.size);
		offs[n++] = ev.offset;
	}
	assert_int_equal(it.err.event, -1);
	offs[n] = len;
	return n;
}

static void test_corpus_logs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good_logs) / sizeof(good_logs[0]); i++) {
		struct hg_uefi_replay *r = calloc(1, sizeof(*r));
		struct hg_uefi_iter it;
		struct hg_uefi_event ev;
		struct hg_uefi_err err;
		uint8_t *buf;
		size_t len, n = 0;
		int rc;

		assert_non_null(r);
		read_corpus(good_logs[i].path, &buf, &len);
		hg_uefi_iter_init(&it, buf, len);
		while ((rc = hg_uefi_iter_next(&it, &ev)) == 1)
			n++;
		if (rc < 0)
			fail_msg("%s: event %ld (offset %zu): %s", good_logs[i].path,
				 it.err.event, it.err.offset, it.err.msg);
		assert_int_equal(n, good_logs[i].events);
		assert_int_equal(it.crypto_agile, good_logs[i].agile);
		/* The end is sticky. */
		assert_int_equal(hg_uefi_iter_next(&it, &ev), 0);
		assert_int_equal(hg_uefi_replay(buf, len, 0, r, &err), 0);
		assert_int_equal(r->events, n);
		free(buf);
		free(r);
	}
	for (size_t i = 0; i < sizeof(bad_logs) / sizeof(bad_logs[0]); i++) {
		struct hg_uefi_iter it;
		struct hg_uefi_event ev;
		uint8_t *buf;
		size_t len;

		read_corpus(bad_logs[i].path, &buf, &len);
		hg_uefi_iter_init(&it, buf, len);
		while (hg_uefi_iter_next(&it, &ev) == 1)
			;
		assert_string_equal(it.err.msg, bad_logs[i].msg);
		assert_int_equal(it.err.event, bad_logs[i].event);
		assert_int_equal(it.err.offset, bad_logs[i].offset);
		/* Failure is sticky. */
		assert_int_equal(hg_uefi_iter_next(&it, &ev), -1);
		free(buf);
	}
}

/* Every file under the corpus, logs or not, read as a log: it ends or
 * fails cleanly (the ASan build catches what a plain run would not). */
static void walk(const char *dir, size_t *files)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[4096];
		struct stat st;
		uint8_t *buf;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(lstat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			walk(path, files);
		} else if (S_ISREG(st.st_mode)) {
			struct hg_uefi_replay *r = calloc(1, sizeof(*r));
			struct hg_uefi_err err;
			int rc;

			assert_non_null(r);
			assert_int_equal(hg_read_file(path, MAX_FILE, 1, &buf, &len), 0);
			rc = hg_uefi_replay(buf, len, HG_UEFI_EBS_WORKAROUND, r, &err);
			assert_true(rc == 0 || (rc == -1 && err.msg[0]));
			free(buf);
			free(r);
			(*files)++;
		}
	}
	closedir(d);
}

static void test_corpus_every_file(void **state)
{
	size_t files = 0;

	(void)state;
	walk(corpus_dir(), &files);
	assert_true(files >= 60);
}

/* A log cut at event boundary k is a good log of k events (k > 0); cut
 * inside event k, it fails at event k, at that event's offset, with the
 * truncation flag. */
static void check_cut(const uint8_t *buf, size_t cut, const size_t *offs,
		      size_t n, const char *name)
{
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;
	size_t k = 0, got = 0;
	int rc;

	while (k < n && offs[k + 1] <= cut)
		k++;
	hg_uefi_iter_init(&it, buf, cut);
	while ((rc = hg_uefi_iter_next(&it, &ev)) == 1)
		got++;
	if (cut == 0) {
		assert_int_equal(rc, -1);
		assert_string_equal(it.err.msg, "empty log");
		return;
	}
	if (cut == offs[k]) {
		if (rc != 0)
			fail_msg("%s cut at %zu (boundary %zu): %s", name, cut, k,
				 it.err.msg);
		assert_int_equal(got, k);
		return;
	}
	if (rc != -1 || !it.err.truncated || it.err.event != (long)k ||
	    it.err.offset != offs[k])
		fail_msg("%s cut at %zu inside event %zu (offset %zu): rc %d, event %ld, "
			 "offset %zu, truncated %d, %s", name, cut, k, offs[k], rc,
			 it.err.event, it.err.offset, it.err.truncated, it.err.msg);
	assert_int_equal(got, k);
}

static void test_corpus_truncated(void **state)
{
	unsigned seed = 20240501;

	(void)state;
	for (size_t i = 0; i < sizeof(good_logs) / sizeof(good_logs[0]); i++) {
		size_t offs[512], n, len;
		uint8_t *buf;

		read_corpus(good_logs[i].path, &buf, &len);
		n = event_offsets(buf, len, offs, 511);
		for (size_t k = 0; k <= n; k++) {
			struct hg_uefi_replay *r = calloc(1, sizeof(*r));
			struct hg_uefi_err err;

			assert_non_null(r);
			check_cut(buf, offs[k], offs, n, good_logs[i].path);
			/* And the replay of every boundary prefix. */
			if (k > 0) {
				assert_int_equal(hg_uefi_replay(buf, offs[k], 0, r, &err), 0);
				assert_int_equal(r->events, k);
			}
			free(r);
		}
		for (int j = 0; j < 200; j++) {
			size_t cut = (size_t)rand_r(&seed) % len;

			check_cut(buf, cut, offs, n, good_logs[i].path);
		}
		/* Every cut inside the first and the last event. */
		for (size_t cut = 1; cut < offs[1]; cut++)
			check_cut(buf, cut, offs, n, good_logs[i].path);
		for (size_t cut = offs[n - 1] + 1; cut < len; cut++)
			check_cut(buf, cut, offs, n, good_logs[i].path);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_expected),
		cmocka_unit_test(test_corpus_logs),
		cmocka_unit_test(test_corpus_every_file),
		cmocka_unit_test(test_corpus_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
