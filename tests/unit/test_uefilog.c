/* test_uefilog.c: the UEFI firmware event log parser and replay
 * (lib/uefilog.h) against the shared corpus of real logs, every prefix of
 * them, and a bad-inputs table of hand-made logs.
 *
 * The corpus is ../shared/corpus/uefi from the repository root (the
 * directory tests/run.sh runs in), or $HG_UEFI_CORPUS. Without it the
 * corpus tests FAIL, naming the path: CI has ../shared beside the clone,
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
		d = "../shared/corpus/uefi";
	if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (!msg_done++)
			print_error("UEFI corpus not found at %s (run from the repository "
				    "root with ../shared beside it, or set HG_UEFI_CORPUS)\n", d);
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

/* ---- hand-made logs ---- */

struct lb {
	uint8_t b[8192];
	size_t n;
};

static void put(struct lb *l, const void *p, size_t n)
{
	assert_true(l->n + n <= sizeof(l->b));
	memcpy(l->b + l->n, p, n);
	l->n += n;
}

static void put8(struct lb *l, uint8_t v)
{
	put(l, &v, 1);
}

static void put16(struct lb *l, uint16_t v)
{
	uint8_t p[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(l, p, 2);
}

static void put32(struct lb *l, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	put(l, p, 4);
}

static void fill(struct lb *l, uint8_t v, size_t n)
{
	while (n--)
		put8(l, v);
}

/* A TCG_PCR_EVENT with digest bytes all DIG. */
static void sha1_event(struct lb *l, uint32_t pcr, uint32_t type, uint8_t dig,
		       const void *data, uint32_t len)
{
	put32(l, pcr);
	put32(l, type);
	fill(l, dig, 20);
	put32(l, len);
	put(l, data, len);
}

/* A Spec ID event whose body is given raw. */
static void spec_id_raw(struct lb *l, const struct lb *body)
{
	put32(l, 0);
	put32(l, HG_EV_NO_ACTION);
	fill(l, 0, 20);
	put32(l, (uint32_t)body->n);
	put(l, body->b, body->n);
}

static void spec_body(struct lb *b, uint32_t nalgs, const uint16_t *algs,
		      const uint16_t *sizes, size_t listed, uint8_t vlen,
		      size_t vgiven)
{
	put(b, "Spec ID Event03", 16);
	put32(b, 0);            /* platformClass */
	put8(b, 0);             /* minor */
	put8(b, 2);             /* major */
	put8(b, 0);             /* errata */
	put8(b, 2);             /* uintnSize */
	put32(b, nalgs);
	for (size_t i = 0; i < listed; i++) {
		put16(b, algs[i]);
		put16(b, sizes[i]);
	}
	put8(b, vlen);
	fill(b, 0xAB, vgiven);
}

static const uint16_t sha1_256[] = { HG_ALG_SHA1, HG_ALG_SHA256 };
static const uint16_t sz_20_32[] = { 20, 32 };

/* A good Spec ID event for sha1 + sha256. */
static void spec_id(struct lb *l)
{
	struct lb b = { .n = 0 };

	spec_body(&b, 2, sha1_256, sz_20_32, 2, 0, 0);
	spec_id_raw(l, &b);
}

/* A TCG_PCR_EVENT2 with sha1 and sha256 digests of bytes DIG. */
static void agile_event(struct lb *l, uint32_t pcr, uint32_t type, uint8_t dig,
			const void *data, uint32_t len)
{
	put32(l, pcr);
	put32(l, type);
	put32(l, 2);
	put16(l, HG_ALG_SHA1);
	fill(l, dig, 20);
	put16(l, HG_ALG_SHA256);
	fill(l, dig, 32);
	put32(l, len);
	put(l, data, len);
}

enum shape {
	EMPTY,
	SHORT_HEADER,
	SHA1_HUGE_DATA,
	SHA1_SHORT_DATA,
	SHA1_PCR24,
	SHA1_ZERO_FILL,
	SHA1_FF_FILL,
	SPEC_SHORT,
	SPEC_NO_ALGS,
	SPEC_17_ALGS,
	SPEC_SIZE_MISMATCH,
	SPEC_UNKNOWN_SIZE0,
	SPEC_UNKNOWN_SIZE65,
	SPEC_DUP_ALG,
	SPEC_LIST_OVERRUN,
	SPEC_NO_VENDOR_SIZE,
	SPEC_VENDOR_OVERRUN,
	SPEC_TRAILING,
	AG_COUNT0,
	AG_COUNT_HUGE,
	AG_COUNT3,
	AG_UNLISTED_ALG,
	AG_DUP_DIGEST,
	AG_TRUNC_DIGEST,
	AG_TRUNC_ALG,
	AG_TRUNC_SIZE,
	AG_SIZE_OVERFLOW,
	AG_DATA_16M1,
	AG_TRUNC_HEADER,
	AG_ZERO_FILL,
	AG_FF_FILL,
	AG_PCR_FFFF,
};

static void build(enum shape s, struct lb *l)
{
	struct lb b = { .n = 0 };
	static const uint16_t a17[17] = { 0 };
	static const uint16_t s17[17] = { 0 };
	static const uint16_t bad[] = { HG_ALG_SHA1, HG_ALG_SHA256 };
	static const uint16_t bad_sz[] = { 20, 20 };
	static const uint16_t unk[] = { 0x0012 };
	static const uint16_t unk0[] = { 0 };
	static const uint16_t unk65[] = { 65 };
	static const uint16_t dup[] = { HG_ALG_SHA256, HG_ALG_SHA256 };
	static const uint16_t dup_sz[] = { 32, 32 };

	memset(l, 0, sizeof(*l));
	switch (s) {
	case EMPTY:
		break;
	case SHORT_HEADER:
		fill(l, 1, 31);
		break;
	case SHA1_HUGE_DATA:
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		fill(l, 1, 20);
		put32(l, HG_UEFI_MAX_EVENT_DATA + 1);
		break;
	case SHA1_SHORT_DATA:
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		fill(l, 1, 20);
		put32(l, 100);
		fill(l, 1, 10);
		break;
	case SHA1_PCR24:
		sha1_event(l, 0, HG_EV_POST_CODE, 1, "x", 1);
		sha1_event(l, 24, HG_EV_POST_CODE, 1, "x", 1);
		break;
	case SHA1_ZERO_FILL:
		sha1_event(l, 0, HG_EV_POST_CODE, 1, "x", 1);
		fill(l, 0, 64);
		break;
	case SHA1_FF_FILL:
		sha1_event(l, 0, HG_EV_POST_CODE, 1, "x", 1);
		fill(l, 0xFF, 64);
		break;
	case SPEC_SHORT:
		put(&b, "Spec ID Event03", 16);
		put32(&b, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_NO_ALGS:
		spec_body(&b, 0, NULL, NULL, 0, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_17_ALGS:
		spec_body(&b, 17, a17, s17, 17, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_SIZE_MISMATCH:
		spec_body(&b, 2, bad, bad_sz, 2, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_UNKNOWN_SIZE0:
		spec_body(&b, 1, unk, unk0, 1, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_UNKNOWN_SIZE65:
		spec_body(&b, 1, unk, unk65, 1, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_DUP_ALG:
		spec_body(&b, 2, dup, dup_sz, 2, 0, 0);
		spec_id_raw(l, &b);
		break;
	case SPEC_LIST_OVERRUN:
		/* numberOfAlgorithms 4, two listed, then the event ends. */
		put(&b, "Spec ID Event03", 16);
		put32(&b, 0);
		put32(&b, 0x02020000);
		put32(&b, 4);
		put16(&b, HG_ALG_SHA1);
		put16(&b, 20);
		put16(&b, HG_ALG_SHA256);
		put16(&b, 32);
		spec_id_raw(l, &b);
		break;
	case SPEC_NO_VENDOR_SIZE:
		spec_body(&b, 2, sha1_256, sz_20_32, 2, 0, 0);
		b.n--;          /* drop vendorInfoSize */
		spec_id_raw(l, &b);
		break;
	case SPEC_VENDOR_OVERRUN:
		spec_body(&b, 2, sha1_256, sz_20_32, 2, 4, 3);
		spec_id_raw(l, &b);
		break;
	case SPEC_TRAILING:
		spec_body(&b, 2, sha1_256, sz_20_32, 2, 4, 5);
		spec_id_raw(l, &b);
		break;
	case AG_COUNT0:
		spec_id(l);
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		put32(l, 0);
		put32(l, 0);
		break;
	case AG_COUNT_HUGE:
		spec_id(l);
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		put32(l, 0xFFFFFFFF);
		break;
	case AG_COUNT3:
		spec_id(l);
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		put32(l, 3);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put16(l, HG_ALG_SHA256);
		fill(l, 1, 32);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put32(l, 0);
		break;
	case AG_UNLISTED_ALG:
		spec_id(l);
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		put32(l, 1);
		put16(l, HG_ALG_SHA384);
		fill(l, 1, 48);
		put32(l, 0);
		break;
	case AG_DUP_DIGEST:
		spec_id(l);
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		put32(l, 2);
		put16(l, HG_ALG_SHA256);
		fill(l, 1, 32);
		put16(l, HG_ALG_SHA256);
		fill(l, 1, 32);
		put32(l, 0);
		break;
	case AG_TRUNC_DIGEST:
		spec_id(l);
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		put32(l, 2);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put16(l, HG_ALG_SHA256);
		fill(l, 1, 31);
		break;
	case AG_TRUNC_ALG:
		spec_id(l);
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		put32(l, 2);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put8(l, 0x0B);
		break;
	case AG_TRUNC_SIZE:
		spec_id(l);
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		put32(l, 1);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put16(l, 0);
		break;
	case AG_SIZE_OVERFLOW:
		spec_id(l);
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		put32(l, 1);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put32(l, 0xFFFFFFFF);
		fill(l, 1, 8);
		break;
	case AG_DATA_16M1:
		/* Within the cap, past the end: a truncated log. */
		spec_id(l);
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		put32(l, 1);
		put16(l, HG_ALG_SHA1);
		fill(l, 1, 20);
		put32(l, HG_UEFI_MAX_EVENT_DATA);
		fill(l, 1, 8);
		break;
	case AG_TRUNC_HEADER:
		spec_id(l);
		put32(l, 0);
		put32(l, HG_EV_POST_CODE);
		break;
	case AG_ZERO_FILL:
		spec_id(l);
		agile_event(l, 0, HG_EV_POST_CODE, 1, "x", 1);
		fill(l, 0, 64);
		break;
	case AG_FF_FILL:
		spec_id(l);
		agile_event(l, 0, HG_EV_POST_CODE, 1, "x", 1);
		fill(l, 0xFF, 64);
		break;
	case AG_PCR_FFFF:
		spec_id(l);
		agile_event(l, 0xFFFFFFFFu, HG_EV_POST_CODE, 1, "x", 1);
		break;
	}
}

/* The Spec ID event for sha1 + sha256 takes 32 + 37 bytes. */
#define SPEC_END 69

static const struct {
	enum shape shape;
	long event;
	size_t offset;
	int truncated;
	const char *msg;
} bad_inputs[] = {
	{ EMPTY, -1, 0, 0, "empty log" },
	{ SHORT_HEADER, 0, 0, 1, "truncated event header" },
	{ SHA1_HUGE_DATA, 0, 0, 0, "event data larger than 16 MiB" },
	{ SHA1_SHORT_DATA, 0, 0, 1, "truncated in the event data" },
	{ SHA1_PCR24, 1, 33, 0, "PCR index above 23" },
	{ SHA1_ZERO_FILL, 1, 33, 0, "all-zero event (fill after the log?)" },
	{ SHA1_FF_FILL, 1, 33, 0, "event data larger than 16 MiB" },
	{ SPEC_SHORT, 0, 0, 0, "Spec ID event shorter than its header" },
	{ SPEC_NO_ALGS, 0, 0, 0, "Spec ID event lists no algorithms" },
	{ SPEC_17_ALGS, 0, 0, 0, "Spec ID event lists more than 16 algorithms" },
	{ SPEC_SIZE_MISMATCH, 0, 0, 0, "Spec ID digest size differs from the algorithm's" },
	{ SPEC_UNKNOWN_SIZE0, 0, 0, 0, "Spec ID digest size out of range (1..64)" },
	{ SPEC_UNKNOWN_SIZE65, 0, 0, 0, "Spec ID digest size out of range (1..64)" },
	{ SPEC_DUP_ALG, 0, 0, 0, "Spec ID event lists an algorithm twice" },
	{ SPEC_LIST_OVERRUN, 0, 0, 0, "Spec ID algorithm list exceeds the event" },
	{ SPEC_NO_VENDOR_SIZE, 0, 0, 0, "Spec ID vendorInfoSize exceeds the event" },
	{ SPEC_VENDOR_OVERRUN, 0, 0, 0, "Spec ID vendorInfo exceeds the event" },
	{ SPEC_TRAILING, 0, 0, 0, "Spec ID event has trailing bytes" },
	{ AG_COUNT0, 1, SPEC_END, 0, "event has no digests" },
	{ AG_COUNT_HUGE, 1, SPEC_END, 0, "digest count exceeds the Spec ID algorithm count" },
	{ AG_COUNT3, 1, SPEC_END, 0, "digest count exceeds the Spec ID algorithm count" },
	{ AG_UNLISTED_ALG, 1, SPEC_END, 0, "digest of an algorithm the Spec ID event does not list" },
	{ AG_DUP_DIGEST, 1, SPEC_END, 0, "two digests of one algorithm" },
	{ AG_TRUNC_DIGEST, 1, SPEC_END, 1, "truncated in a digest" },
	{ AG_TRUNC_ALG, 1, SPEC_END, 1, "truncated in a digest" },
	{ AG_TRUNC_SIZE, 1, SPEC_END, 1, "truncated event header" },
	{ AG_SIZE_OVERFLOW, 1, SPEC_END, 0, "event data larger than 16 MiB" },
	{ AG_DATA_16M1, 1, SPEC_END, 1, "truncated in the event data" },
	{ AG_TRUNC_HEADER, 1, SPEC_END, 1, "truncated event header" },
	{ AG_ZERO_FILL, 2, SPEC_END + 73, 0, "event has no digests" },
	{ AG_FF_FILL, 2, SPEC_END + 73, 0, "digest count exceeds the Spec ID algorithm count" },
	{ AG_PCR_FFFF, 1, SPEC_END, 0, "PCR index above 23" },
};

static void test_bad_inputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		struct hg_uefi_replay *r = calloc(1, sizeof(*r));
		struct hg_uefi_iter it;
		struct hg_uefi_event ev;
		struct hg_uefi_err err;
		struct lb *l = malloc(sizeof(*l));
		int rc;

		assert_non_null(r);
		assert_non_null(l);
		build(bad_inputs[i].shape, l);
		hg_uefi_iter_init(&it, l->b, l->n);
		while ((rc = hg_uefi_iter_next(&it, &ev)) == 1)
			;
		if (rc != -1 || strcmp(it.err.msg, bad_inputs[i].msg) ||
		    it.err.event != bad_inputs[i].event ||
		    it.err.offset != bad_inputs[i].offset ||
		    it.err.truncated != bad_inputs[i].truncated)
			fail_msg("row %zu: rc %d, event %ld, offset %zu, truncated %d, \"%s\"; "
				 "want event %ld, offset %zu, truncated %d, \"%s\"", i, rc,
				 it.err.event, it.err.offset, it.err.truncated, it.err.msg,
				 bad_inputs[i].event, bad_inputs[i].offset,
				 bad_inputs[i].truncated, bad_inputs[i].msg);
		/* The replay refuses it with the same error. */
		assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), -1);
		assert_string_equal(err.msg, bad_inputs[i].msg);
		assert_int_equal(err.event, bad_inputs[i].event);
		free(l);
		free(r);
	}
}

static void test_log_too_large(void **state)
{
	size_t len = (size_t)HG_UEFI_MAX_LOG + 1;
	uint8_t *big = calloc(1, len);
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;

	(void)state;
	assert_non_null(big);
	hg_uefi_iter_init(&it, big, len);
	assert_int_equal(hg_uefi_iter_next(&it, &ev), -1);
	assert_string_equal(it.err.msg, "log larger than 64 MiB");
	assert_int_equal(it.err.event, -1);
	free(big);
}

/* ---- replay rules on hand-made logs ---- */

static void want_pcr(const struct hg_uefi_replay *r, uint16_t alg, unsigned pcr,
		     const struct hg_digest *want)
{
	const struct hg_pcr_value *v = hg_uefi_replay_get(r, alg, pcr);

	assert_non_null(v);
	assert_int_equal(v->len, want->len);
	assert_memory_equal(v->d, want->d, want->len);
}

/* PCR (alg) from locality LOC, extended with the digests given. */
static void model(uint16_t alg, uint8_t loc, const struct hg_digest *ds, size_t n,
		  struct hg_digest *out)
{
	assert_int_equal(hg_pcr_reset(alg, out), 0);
	out->d[out->len - 1] = loc;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(hg_extend(out, &ds[i]), 0);
}

static void filled(uint16_t alg, uint8_t b, struct hg_digest *d)
{
	assert_int_equal(hg_pcr_reset(alg, d), 0);
	memset(d->d, b, d->len);
}

static void locality_event(struct lb *l, uint32_t pcr, uint8_t loc, size_t len)
{
	uint8_t data[32] = "StartupLocality";

	data[16] = loc;
	agile_event(l, pcr, HG_EV_NO_ACTION, 0, data, (uint32_t)len);
}

static void test_replay_locality(void **state)
{
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	struct hg_uefi_err err;
	struct hg_digest d[2], want;
	struct lb *l = malloc(sizeof(*l));

	(void)state;
	assert_non_null(r);
	assert_non_null(l);

	/* StartupLocality 3: PCR0 starts at 00..03, in every bank. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0, 3, 17);
	agile_event(l, 0, HG_EV_S_CRTM_VERSION, 0x11, "v", 1);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->startup_locality, 3);
	assert_int_equal(r->nbanks, 2);
	assert_int_equal(r->algs[0], HG_ALG_SHA1);
	assert_int_equal(r->algs[1], HG_ALG_SHA256);
	assert_int_equal(r->pcrs.n, 48);
	assert_int_equal(r->touched, 1);
	filled(HG_ALG_SHA1, 0x11, &d[0]);
	model(HG_ALG_SHA1, 3, d, 1, &want);
	want_pcr(r, HG_ALG_SHA1, 0, &want);
	filled(HG_ALG_SHA256, 0x11, &d[0]);
	model(HG_ALG_SHA256, 3, d, 1, &want);
	want_pcr(r, HG_ALG_SHA256, 0, &want);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA256, 0), 2);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA256, 1), -1);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA384, 0), -1);
	/* An untouched PCR is zero, and PCR0 untouched still shows L. */
	model(HG_ALG_SHA1, 0, NULL, 0, &want);
	want_pcr(r, HG_ALG_SHA1, 7, &want);

	/* H-CRTM without StartupLocality: 4, even with the HCRTM event not
	 * first on PCR0. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	agile_event(l, 0, HG_EV_S_CRTM_VERSION, 0x11, "v", 1);
	agile_event(l, 0, HG_EV_EFI_HCRTM_EVENT, 0x22, "HCRTM", 5);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->startup_locality, 4);
	filled(HG_ALG_SHA1, 0x11, &d[0]);
	filled(HG_ALG_SHA1, 0x22, &d[1]);
	model(HG_ALG_SHA1, 4, d, 2, &want);
	want_pcr(r, HG_ALG_SHA1, 0, &want);

	/* StartupLocality wins over H-CRTM (rule 3: "if there is no such
	 * event"). */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0, 0, 17);
	agile_event(l, 0, HG_EV_EFI_HCRTM_EVENT, 0x22, "HCRTM", 5);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->startup_locality, 0);

	/* An HCRTM event on another PCR says nothing about PCR0. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	agile_event(l, 1, HG_EV_EFI_HCRTM_EVENT, 0x22, "HCRTM", 5);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->startup_locality, 0);

	/* Refusals: a second StartupLocality, a bad locality, a bad size. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0, 3, 17);
	locality_event(l, 0, 3, 17);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), -1);
	assert_string_equal(err.msg, "second StartupLocality event");
	assert_int_equal(err.event, 2);
	assert_int_equal(err.offset, SPEC_END + 89);

	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0, 2, 17);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), -1);
	assert_string_equal(err.msg, "StartupLocality 2 is not 0, 3 or 4");
	assert_int_equal(err.event, 1);
	assert_int_equal(err.offset, SPEC_END);

	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0, 3, 18);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), -1);
	assert_string_equal(err.msg, "StartupLocality event is not 17 bytes");

	/* On another PCR index it is no StartupLocality (PFP: PCR0). */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	locality_event(l, 0xFFFFFFFFu, 3, 17);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->startup_locality, 0);

	assert_int_equal(hg_uefi_replay(l->b, l->n, 2, r, &err), -1);
	assert_string_equal(err.msg, "unknown replay flags");
	free(l);
	free(r);
}

static void test_replay_no_action(void **state)
{
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	struct hg_uefi_err err;
	struct hg_digest d, want;
	struct lb *l = malloc(sizeof(*l));

	(void)state;
	assert_non_null(r);
	assert_non_null(l);
	/* EV_NO_ACTION is never extended, on PCR 0..23 or 0xFFFFFFFF; its
	 * digest is not looked at. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	agile_event(l, 0xFFFFFFFFu, HG_EV_NO_ACTION, 0x33, "SP800-155 Event3", 16);
	agile_event(l, 4, HG_EV_NO_ACTION, 0x33, "x", 1);
	agile_event(l, 4, HG_EV_EFI_BOOT_SERVICES_APPLICATION, 0x44, "app", 3);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->events, 4);
	assert_int_equal(r->touched, 1u << 4);
	filled(HG_ALG_SHA256, 0x44, &d);
	model(HG_ALG_SHA256, 0, &d, 1, &want);
	want_pcr(r, HG_ALG_SHA256, 4, &want);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA256, 4), 3);

	/* SHA1 format: the first event is replayed like any other. */
	memset(l, 0, sizeof(*l));
	sha1_event(l, 0, HG_EV_S_CRTM_VERSION, 0x55, "v", 1);
	sha1_event(l, 0xFFFFFFFFu, HG_EV_NO_ACTION, 0x66, "w", 1);
	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->nbanks, 1);
	assert_int_equal(r->algs[0], HG_ALG_SHA1);
	assert_int_equal(r->pcrs.n, 24);
	filled(HG_ALG_SHA1, 0x55, &d);
	model(HG_ALG_SHA1, 0, &d, 1, &want);
	want_pcr(r, HG_ALG_SHA1, 0, &want);
	assert_null(hg_uefi_replay_get(r, HG_ALG_SHA256, 0));
	free(l);
	free(r);
}

/* Unknown algorithms are skipped by their declared size and make no bank. */
static void test_unknown_alg(void **state)
{
	static const uint16_t algs[] = { 0x0012, HG_ALG_SHA256, 0x7777 };
	static const uint16_t sizes[] = { 32, 32, 7 };
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	struct hg_uefi_iter it;
	struct hg_uefi_event ev;
	struct hg_uefi_err err;
	struct hg_digest d, want;
	struct lb *l = malloc(sizeof(*l)), b = { .n = 0 };

	(void)state;
	assert_non_null(r);
	assert_non_null(l);
	memset(l, 0, sizeof(*l));
	spec_body(&b, 3, algs, sizes, 3, 2, 2);
	spec_id_raw(l, &b);
	put32(l, 7);
	put32(l, HG_EV_EFI_VARIABLE_DRIVER_CONFIG);
	put32(l, 3);
	put16(l, 0x7777);
	fill(l, 0x99, 7);
	put16(l, HG_ALG_SHA256);
	fill(l, 0x77, 32);
	put16(l, 0x0012);
	fill(l, 0x88, 32);
	put32(l, 2);
	put(l, "ok", 2);

	hg_uefi_iter_init(&it, l->b, l->n);
	assert_int_equal(hg_uefi_iter_next(&it, &ev), 1);
	assert_int_equal(it.crypto_agile, 1);
	assert_int_equal(it.nalgs, 3);
	assert_int_equal(it.algs[2], 0x7777);
	assert_int_equal(it.sizes[2], 7);
	assert_int_equal(it.spec_major, 2);
	assert_int_equal(it.uintn_size, 2);
	assert_int_equal(ev.digests.n, 1);                /* event 0: SHA1 */
	assert_int_equal(hg_uefi_iter_next(&it, &ev), 1);
	assert_int_equal(ev.pcr, 7);
	assert_int_equal(ev.digests.n, 1);
	assert_int_equal(ev.digests.v[0].alg, HG_ALG_SHA256);
	assert_int_equal(ev.digests.v[0].d[0], 0x77);
	assert_int_equal(ev.data_len, 2);
	assert_memory_equal(ev.data, "ok", 2);
	assert_int_equal(ev.offset + ev.size, l->n);
	assert_int_equal(hg_uefi_iter_next(&it, &ev), 0);

	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->nbanks, 1);
	assert_int_equal(r->algs[0], HG_ALG_SHA256);
	filled(HG_ALG_SHA256, 0x77, &d);
	model(HG_ALG_SHA256, 0, &d, 1, &want);
	want_pcr(r, HG_ALG_SHA256, 7, &want);
	free(l);
	free(r);
}

/* The EBS workaround: only on request, only when both events are absent,
 * in every bank, with the appended events' indices. */
static void test_ebs_workaround(void **state)
{
	static const char inv[] = "Exit Boot Services Invocation";
	static const char ok[] = "Exit Boot Services Returned with Success";
	struct hg_uefi_replay *r = calloc(1, sizeof(*r));
	struct hg_uefi_err err;
	struct hg_digest d[3], want;
	struct lb *l = malloc(sizeof(*l));

	(void)state;
	assert_non_null(r);
	assert_non_null(l);
	memset(l, 0, sizeof(*l));
	spec_id(l);
	agile_event(l, 5, HG_EV_EFI_GPT_EVENT, 0x12, "gpt", 3);

	assert_int_equal(hg_uefi_replay(l->b, l->n, 0, r, &err), 0);
	assert_int_equal(r->ebs_appended, 0);
	filled(HG_ALG_SHA256, 0x12, &d[0]);
	model(HG_ALG_SHA256, 0, d, 1, &want);
	want_pcr(r, HG_ALG_SHA256, 5, &want);

	assert_int_equal(hg_uefi_replay(l->b, l->n, HG_UEFI_EBS_WORKAROUND, r, &err), 0);
	assert_int_equal(r->ebs_appended, 1);
	assert_int_equal(r->events, 2);
	for (int b = 0; b < 2; b++) {
		uint16_t alg = b ? HG_ALG_SHA256 : HG_ALG_SHA1;

		filled(alg, 0x12, &d[0]);
		assert_int_equal(hg_hash(alg, inv, strlen(inv), &d[1]), 0);
		assert_int_equal(hg_hash(alg, ok, strlen(ok), &d[2]), 0);
		model(alg, 0, d, 3, &want);
		want_pcr(r, alg, 5, &want);
		assert_int_equal(hg_uefi_replay_last(r, alg, 5), 3);
	}

	/* With the events logged, the flag changes nothing. */
	agile_event(l, 5, HG_EV_EFI_ACTION, 0x13, inv, (uint32_t)strlen(inv));
	agile_event(l, 5, HG_EV_EFI_ACTION, 0x14, ok, (uint32_t)strlen(ok));
	assert_int_equal(hg_uefi_replay(l->b, l->n, HG_UEFI_EBS_WORKAROUND, r, &err), 0);
	assert_int_equal(r->ebs_appended, 0);
	assert_int_equal(hg_uefi_replay_last(r, HG_ALG_SHA1, 5), 3);

	/* Nor with only a "Returned with Failure" logged. */
	memset(l, 0, sizeof(*l));
	spec_id(l);
	agile_event(l, 5, HG_EV_EFI_ACTION, 0x14,
		    "Exit Boot Services Returned with Failure", 40);
	assert_int_equal(hg_uefi_replay(l->b, l->n, HG_UEFI_EBS_WORKAROUND, r, &err), 0);
	assert_int_equal(r->ebs_appended, 0);
	free(l);
	free(r);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(hg_uefi_event_type_name(HG_EV_POST_CODE), "EV_POST_CODE");
	assert_string_equal(hg_uefi_event_type_name(HG_EV_NO_ACTION), "EV_NO_ACTION");
	assert_string_equal(hg_uefi_event_type_name(HG_EV_EFI_HCRTM_EVENT),
			    "EV_EFI_HCRTM_EVENT");
	assert_string_equal(hg_uefi_event_type_name(HG_EV_EFI_VARIABLE_AUTHORITY),
			    "EV_EFI_VARIABLE_AUTHORITY");
	assert_null(hg_uefi_event_type_name(0x13));
	assert_null(hg_uefi_event_type_name(0x8000000D));
	assert_null(hg_uefi_event_type_name(0xFFFFFFFF));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_expected),
		cmocka_unit_test(test_corpus_logs),
		cmocka_unit_test(test_corpus_every_file),
		cmocka_unit_test(test_corpus_truncated),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_log_too_large),
		cmocka_unit_test(test_replay_locality),
		cmocka_unit_test(test_replay_no_action),
		cmocka_unit_test(test_unknown_alg),
		cmocka_unit_test(test_ebs_workaround),
		cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
