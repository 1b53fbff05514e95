#define _GNU_SOURCE /* asprintf */
/* test_policydom.c: the policy's "domains" section (verifier/policydom.h;
 * issue 12 item 6): its parse (every refusal pinned to its message and
 * JSON path), and the judge refusing an image a domain may not boot when
 * the gate names that domain's workloads: an overlay rebased onto another
 * VM's approved golden image. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../verifier/judge.h"
#include "../../verifier/policy.h"
#include "../../lib/cel.h"
#include "../../lib/util.h"

#define D64 "1493008ba0036014c727bb23bbe2f399135867e9b5c4fe288ef2b4b816f46b0c"
#define D64B "81ba2e5503d83a7b5c46308818470ea0226aa6527f22f9e4910c973c69dca1bf"

/* Parse TEXT with stderr captured; returns the parse result and the
 * message (without the trailing newline) in MSG. */
static int parse_capture(const char *text, struct hg_policy *p, char *msg, size_t n)
{
	char path[] = "/tmp/hg-policy-err-XXXXXX";
	int fd = mkstemp(path), saved = dup(2), rc;
	FILE *f;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	rc = hg_policy_parse("p.json", text, strlen(text), p);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	msg[0] = '\0';
	if (fgets(msg, (int)n, f))
		msg[strcspn(msg, "\n")] = '\0';
	fclose(f);
	unlink(path);
	return rc;
}

#define MAXRECS 16
struct recs {
	struct cw w[MAXRECS];
	struct hg_cel_rec r[MAXRECS];
	size_t n;
};

static void digest_of(const char *hex, struct hg_digests *d)
{
	uint8_t *b = NULL;
	size_t len = 0;

	assert_int_equal(hg_hex_decode(hex, HG_MAX_DIGEST, &b, &len), 0);
	assert_int_equal(len, 32);
	memset(d, 0, sizeof(*d));
	d->v[0].alg = HG_ALG_SHA256;
	d->v[0].len = 32;
	memcpy(d->v[0].d, b, 32);
	d->n = 1;
	free(b);
}

/* Append a record; HEX NULL makes an overlay (by path). */
static const struct hg_cel_rec *add(struct recs *rs, enum hg_kind kind,
				    const char *name, const char *hex)
{
	static const uint16_t sha256[] = { HG_ALG_SHA256 };
	struct cw *w = &rs->w[rs->n];
	const char *why = "?";

	assert_true(rs->n < MAXRECS);
	cw_init(w);
	if (hex) {
		struct hg_digests d;

		digest_of(hex, &d);
		assert_int_equal(hg_cel_encode_file(rs->n + 1, 13, kind, name, 1, &d, w), 0);
	} else {
		assert_int_equal(hg_cel_encode_path(rs->n + 1, 13, kind, name, sha256, 1, w), 0);
	}
	assert_int_equal(hg_cel_decode(w->buf, w->len, &rs->r[rs->n], &why), 0);
	return &rs->r[rs->n++];
}

static void recs_free(struct recs *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		cw_free(&rs->w[i]);
	rs->n = 0;
}

#define POL(domains) \
	"{\"version\":1,\"banks\":[\"sha256\"]," domains "\"measurements\":{" \
	" \"config\":{\"/etc/libvirt/qemu/vm1.xml\":{\"sha256\":[\"" D64 "\"]}," \
	"             \"/etc/libvirt/qemu/vm2.xml\":{\"sha256\":[\"" D64 "\"]}}," \
	" \"image\":{\"/img/vm1-base.qcow2\":{\"sha256\":[\"" D64 "\"]}," \
	"            \"/img/vm2-base.qcow2\":{\"sha256\":[\"" D64B "\"]}}," \
	" \"overlay\":{\"/img/vm1.qcow2\":{}}}}"

/* Feed RS to a judge over POLICY scoped to WL; returns the failures,
 * FIRST gets the first reason, FAILS (may be NULL) the JSON list. */
static size_t judge(const char *policy, const struct recs *rs,
		    const struct hv_workload *wl, size_t nwl, char *first,
		    json_object **fails)
{
	struct hg_policy p;
	struct hv_judge j;
	char msg[256];
	size_t n;

	assert_int_equal(parse_capture(policy, &p, msg, sizeof(msg)), 0);
	assert_int_equal(hv_judge_init(&j, &p, wl, nwl, 1), 0);
	for (size_t i = 0; i < rs->n; i++)
		hv_judge_record(&j, &rs->r[i]);
	hv_judge_finish(&j);
	n = j.n;
	strcpy(first, n ? j.first_why : "");
	if (fails)
		*fails = json_object_get(j.fails);
	hv_judge_free(&j);
	hg_policy_free(&p);
	return n;
}


static const struct {
	const char *domains, *msg;
} bad[] = {
	{ "\"domains\":[],", "hostgate-verify: p.json: $.domains: not an object" },
	{ "\"domains\":{\"vm1\":[]},", "hostgate-verify: p.json: $.domains[\"vm1\"]: not an object" },
	{ "\"domains\":{\"vm1\":{}},", "hostgate-verify: p.json: $.domains[\"vm1\"].images: missing or not a list" },
	{ "\"domains\":{\"vm1\":{\"images\":\"/a\"}},", "hostgate-verify: p.json: $.domains[\"vm1\"].images: missing or not a list" },
	{ "\"domains\":{\"vm1\":{\"images\":[\"a\"]}},", "hostgate-verify: p.json: $.domains[\"vm1\"].images[0]: not an absolute path" },
	{ "\"domains\":{\"vm1\":{\"images\":[\"/a\",1]}},", "hostgate-verify: p.json: $.domains[\"vm1\"].images[1]: not an absolute path" },
	{ "\"domains\":{\"vm1\":{\"images\":[\"/a\",\"/a\"]}},", "hostgate-verify: p.json: $.domains[\"vm1\"].images[1]: given twice" },
	{ "\"domains\":{\"vm1\":{\"images\":[],\"imgs\":[]}},", "hostgate-verify: p.json: $.domains[\"vm1\"]: unknown key \"imgs\"" },
	{ "\"domains\":{\"a/b\":{\"images\":[]}},", "hostgate-verify: p.json: $.domains[\"a/b\"]: not a domain name" },
	{ "\"domains\":{\"..\":{\"images\":[]}},", "hostgate-verify: p.json: $.domains[\"..\"]: not a domain name" },
	{ "\"domains\":{\"\":{\"images\":[]}},", "hostgate-verify: p.json: $.domains[\"\"]: not a domain name" },
};

static void test_bad_domains(void **state)
{
	(void)state;
	hg_progname = "hostgate-verify";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = NULL, msg[512];
		struct hg_policy p;

		assert_true(asprintf(&text, POL("%s"), bad[i].domains) > 0);
		if (parse_capture(text, &p, msg, sizeof(msg)) != -1)
			fail_msg("accepted: %s", text);
		if (strcmp(msg, bad[i].msg))
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].domains, msg, bad[i].msg);
		free(text);
	}
}

static void test_parse_and_lookup(void **state)
{
	struct hg_policy p;
	char msg[512], name[64];
	const struct hg_policy_domain *d;

	(void)state;
	assert_int_equal(parse_capture(POL("\"domains\":{\"vm1\":{\"comment\":\"web\",\"images\":[\"/img/vm1-base.qcow2\"]},"
					   "\"vm3\":{\"images\":[]}},"), &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.domains.present, 1);
	assert_int_equal(p.domains.n, 2);
	d = hg_policy_domain_find(&p.domains, "vm1");
	assert_non_null(d);
	assert_true(hg_policy_domain_allows(d, "/img/vm1-base.qcow2"));
	assert_false(hg_policy_domain_allows(d, "/img/vm2-base.qcow2"));
	assert_null(hg_policy_domain_find(&p.domains, "vm2"));
	hg_policy_free(&p);
	assert_int_equal(hg_policy_domain_of_config("/etc/libvirt/qemu/vm1.xml", name, sizeof(name)), 0);
	assert_string_equal(name, "vm1");
	assert_int_equal(hg_policy_domain_of_config("/etc/libvirt/qemu/.xml", name, sizeof(name)), -1);
	assert_int_equal(hg_policy_domain_of_config("/etc/libvirt/qemu/a/b.xml", name, sizeof(name)), -1);
	assert_int_equal(hg_policy_domain_of_config("/etc/libvirt/lxc/vm1.xml", name, sizeof(name)), -1);
}

/* vm1's overlay rebased onto vm2's approved base: its digest is in the
 * policy, but the domains section says vm1 boots only vm1-base. */
static void test_judge_rebased_overlay(void **state)
{
	const struct hv_workload own[] = {
		{ HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml" },
		{ HG_KIND_OVERLAY, "/img/vm1.qcow2" },
		{ HG_KIND_IMAGE, "/img/vm1-base.qcow2" },
	};
	const struct hv_workload rebased[] = {
		{ HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml" },
		{ HG_KIND_OVERLAY, "/img/vm1.qcow2" },
		{ HG_KIND_IMAGE, "/img/vm2-base.qcow2" },
	};
	const struct hv_workload vm2[] = {
		{ HG_KIND_CONFIG, "/etc/libvirt/qemu/vm2.xml" },
		{ HG_KIND_IMAGE, "/img/vm2-base.qcow2" },
	};
	const char *scoped = POL("\"domains\":{\"vm1\":{\"images\":[\"/img/vm1-base.qcow2\"]}},");
	struct recs rs = { 0 };
	json_object *fails, *f;
	char first[256];

	(void)state;
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm1.xml", D64);
	add(&rs, HG_KIND_OVERLAY, "/img/vm1.qcow2", NULL);
	add(&rs, HG_KIND_IMAGE, "/img/vm1-base.qcow2", D64);
	add(&rs, HG_KIND_CONFIG, "/etc/libvirt/qemu/vm2.xml", D64);
	add(&rs, HG_KIND_IMAGE, "/img/vm2-base.qcow2", D64B);
	/* Without the section: any approved image for any domain. */
	assert_int_equal(judge(POL(""), &rs, rebased, 3, first, NULL), 0);
	/* With it: vm1's own base passes, vm2's is refused for vm1. */
	assert_int_equal(judge(scoped, &rs, own, 3, first, NULL), 0);
	assert_int_equal(judge(scoped, &rs, rebased, 3, first, &fails), 1);
	assert_string_equal(first, "image /img/vm2-base.qcow2 is not one domain vm1 may boot ($.domains)");
	f = json_object_array_get_idx(fails, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(f, "name")), "/img/vm2-base.qcow2");
	json_object_put(fails);
	/* A domain the section does not list is not scoped. */
	assert_int_equal(judge(scoped, &rs, vm2, 2, first, NULL), 0);
	/* Unscoped checks (no --workload) judge digests only. */
	assert_int_equal(judge(scoped, &rs, NULL, 0, first, NULL), 0);
	recs_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_domains),
		cmocka_unit_test(test_parse_and_lookup),
		cmocka_unit_test(test_judge_rebased_overlay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
