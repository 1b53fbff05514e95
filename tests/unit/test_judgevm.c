/* test_judgevm.c: the per-VM judge (verifier/judgevm.h) and the running
 * list (verifier/running.h).
 *
 * Logs are built with the project's encoders and fed record by record
 * (as hv_verify() does once the log verified); the policy is parsed from
 * text. What is pinned:
 *  - a running VM is judged by the records its latest launch record
 *    names, not the latest record of their names: a revoked image fails
 *    naming VM, UUID, launch record, record and digest; a good copy
 *    measured over the path later does not hide it; a restart from a
 *    good image (a newer launch record) does;
 *  - a running VM with no launch record is "unknown" (untrusted); a VM
 *    that is not running is not judged;
 *  - refs to a record that is not a workload record, of another kind,
 *    with other digests, the same name twice, or a config of another
 *    domain are invalid (3), each with its reason;
 *  - "skip" when the log was not judged; "domains" scoping applies;
 *  - hostile running lists are refused with the path and the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../lib/cbor_w.h"
#include "../../lib/cel.h"
#include "../../lib/digest.h"
#include "../../lib/util.h"
#include "../../lib/uuid.h"
#include "../../verifier/judgevm.h"
#include "../../verifier/policy.h"
#include "../../verifier/running.h"

#define MAXRECS 64
#define CFG "/etc/libvirt/qemu/web.xml"
#define IMG "/var/lib/libvirt/images/golden/web.qcow2"
#define OVL "/var/lib/libvirt/images/web-top.qcow2"
#define UWEB "11111111-2222-4333-8444-555555555555"
#define UDB "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

static const uint16_t banks[] = { HG_ALG_SHA256 };

struct log {
	struct cw w[MAXRECS];
	struct hg_cel_rec r[MAXRECS];
	size_t n;
};

static void add(struct log *l, int rc)
{
	const char *why = "?";

	assert_int_equal(rc, 0);
	if (hg_cel_decode(l->w[l->n].buf, l->w[l->n].len, &l->r[l->n], &why) < 0)
		fail_msg("record %zu does not decode: %s", l->n, why);
	l->n++;
}

static void digests_of(const char *data, struct hg_digests *d)
{
	memset(d, 0, sizeof(*d));
	assert_int_equal(hg_hash(HG_ALG_SHA256, data, strlen(data), &d->v[0]), 0);
	d->n = 1;
}

/* A file record of DATA's digest; returns its recnum. */
static uint64_t file(struct log *l, enum hg_kind kind, const char *name, const char *data)
{
	struct hg_digests d;
	uint64_t n = l->n;

	digests_of(data, &d);
	cw_init(&l->w[n]);
	add(l, hg_cel_encode_file(n, 13, kind, name, strlen(data), &d, &l->w[n]));
	return n;
}

static uint64_t overlay(struct log *l, const char *name)
{
	uint64_t n = l->n;

	cw_init(&l->w[n]);
	add(l, hg_cel_encode_path(n, 13, HG_KIND_OVERLAY, name, banks, 1, &l->w[n]));
	return n;
}

/* A launch record naming RECS (ascending) with their real digests, or
 * with KINDS overriding the kind the ref claims (NULL: the record's). */
static uint64_t launch(struct log *l, const char *dom, const char *uuid,
		       const uint64_t *recs, const enum hg_kind *kinds, size_t k)
{
	struct hg_launch_ref refs[8];
	uint8_t u[16];
	uint64_t n = l->n;

	assert_true(k <= 8);
	assert_int_equal(hg_uuid_parse(uuid, strlen(uuid), u), 0);
	for (size_t i = 0; i < k; i++) {
		refs[i].recnum = recs[i];
		refs[i].kind = kinds ? kinds[i] : l->r[recs[i]].kind;
		refs[i].digests = l->r[recs[i]].digests;
	}
	cw_init(&l->w[n]);
	add(l, hg_cel_encode_launch(n, 13, dom, u, refs, k, banks, 1, &l->w[n]));
	return n;
}

static void log_free(struct log *l)
{
	for (size_t i = 0; i < l->n; i++)
		cw_free(&l->w[i]);
	l->n = 0;
}

static char *hex_of(const char *data)
{
	static char hex[65];
	struct hg_digest d;

	assert_int_equal(hg_hash(HG_ALG_SHA256, data, strlen(data), &d), 0);
	hg_hex_encode(d.d, d.len, hex);
	return hex;
}

/* A policy allowing the web config "cfg1", images IMGS (data strings,
 * comma-free list of up to two) and the overlay path. */
static void policy(struct hg_policy *p, const char *img1, const char *img2,
		   const char *extra)
{
	char text[4096], h1[65], h2[65] = "", hc[65], hd[65];

	snprintf(h1, sizeof(h1), "%s", hex_of(img1));
	if (img2)
		snprintf(h2, sizeof(h2), "%s", hex_of(img2));
	/* hex_of() returns one static buffer: copy each. */
	snprintf(hc, sizeof(hc), "%s", hex_of("cfg1"));
	snprintf(hd, sizeof(hd), "%s", hex_of("dbcfg"));
	snprintf(text, sizeof(text),
		 "{\"version\": 1, \"banks\": [\"sha256\"], \"measurements\": {"
		 "\"config\": {\"" CFG "\": {\"sha256\": [\"%s\"]},"
		 "  \"/etc/libvirt/qemu/db.xml\": {\"sha256\": [\"%s\"]}},"
		 "\"image\": {\"" IMG "\": {\"sha256\": [\"%s\"%s%s%s]}},"
		 "\"overlay\": {\"" OVL "\": {}}}%s}",
		 hc, hd, h1, img2 ? ", \"" : "", h2, img2 ? "\"" : "",
		 extra ? extra : "");
	if (hg_policy_parse("p.json", text, strlen(text), p) < 0)
		fail_msg("policy does not parse: %s", text);
}

static void running(struct hv_running *r, const char *json)
{
	char err[512];

	if (hv_running_parse(json, strlen(json), r, err, sizeof(err)) < 0)
		fail_msg("running list refused: %s", err);
}

struct out {
	struct hv_vm_result vr;
	char vms[8192];
};

static void judge(const struct log *l, const struct hg_policy *p, const char *run_json,
		  int judged, struct out *o)
{
	struct hv_running run;
	struct hv_vms *vms = NULL;

	running(&run, run_json);
	assert_int_equal(hv_vms_init(&vms, p, &run, 1), 0);
	for (size_t i = 0; i < l->n; i++)
		hv_vms_record(vms, &l->r[i]);
	hv_vms_judge(vms, judged, &o->vr);
	snprintf(o->vms, sizeof(o->vms), "%s",
		 json_object_to_json_string_ext(hv_vms_json(vms), JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE));
	hv_vms_free(vms);
	hv_running_free(&run);
}

static void has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" not in \"%s\"", needle, hay);
}

#define RUN_WEB "[{\"name\": \"web\", \"uuid\": \"" UWEB "\", \"id\": 1}]"

/* The story of issue 14 item 5. */
static void test_revoked_image_of_running_vm(void **state)
{
	struct log l = { 0 };
	struct hg_policy good, revoked;
	struct out o;
	uint64_t cfg, img, ovl, L, img2, L2;
	char want[256];

	(void)state;
	policy(&good, "image A", NULL, NULL);
	policy(&revoked, "image B", NULL, NULL);   /* A's digest removed */
	file(&l, HG_KIND_HYPERVISOR, "/usr/bin/qemu-system-x86_64", "qemu");
	cfg = file(&l, HG_KIND_CONFIG, CFG, "cfg1");
	img = file(&l, HG_KIND_IMAGE, IMG, "image A");
	ovl = overlay(&l, OVL);
	L = launch(&l, "web", UWEB, (uint64_t[]){ cfg, img, ovl }, NULL, 3);

	judge(&l, &good, RUN_WEB, 1, &o);
	assert_int_equal(o.vr.exit, 0);
	snprintf(want, sizeof(want), "\"launch\":%llu,\"status\":\"trusted\",\"failures\":[]",
		 (unsigned long long)L);
	has(o.vms, want);
	has(o.vms, "\"domain\":\"web\"");

	/* Revoked: untrusted for that VM, naming VM, UUID, launch, record, digest. */
	judge(&l, &revoked, RUN_WEB, 1, &o);
	assert_int_equal(o.vr.exit, 1);
	snprintf(want, sizeof(want), "vm web (uuid " UWEB "): launch record %llu: record %llu: image " IMG
		 ": digest not allowed by the policy (sha256:%s)", (unsigned long long)L,
		 (unsigned long long)img, hex_of("image A"));
	assert_string_equal(o.vr.why, want);
	has(o.vms, "\"status\":\"untrusted\"");
	has(o.vms, "\"check\":\"vms\"");
	has(o.vms, hex_of("image A"));
	snprintf(want, sizeof(want), "\"record\":%llu", (unsigned long long)img);
	has(o.vms, want);

	/* A good copy measured over A's path: the latest record of the name
	 * is good now, the running VM still rests on A. */
	img2 = file(&l, HG_KIND_IMAGE, IMG, "image B");
	assert_true(img2 > L);
	judge(&l, &revoked, RUN_WEB, 1, &o);
	assert_int_equal(o.vr.exit, 1);
	has(o.vr.why, "digest not allowed by the policy");
	snprintf(want, sizeof(want), "record %llu: image", (unsigned long long)img);
	has(o.vr.why, want);

	/* Not running: not judged. */
	judge(&l, &revoked, "[]", 1, &o);
	assert_int_equal(o.vr.exit, 0);
	assert_string_equal(o.vms, "[]");

	/* Restarted from the good copy: the newer launch record decides. */
	L2 = launch(&l, "web", UWEB, (uint64_t[]){ cfg, ovl, img2 }, NULL, 3);
	judge(&l, &revoked, RUN_WEB, 1, &o);
	assert_int_equal(o.vr.exit, 0);
	snprintf(want, sizeof(want), "\"launch\":%llu,\"status\":\"trusted\"", (unsigned long long)L2);
	has(o.vms, want);
	hg_policy_free(&good);
	hg_policy_free(&revoked);
	log_free(&l);
}

/* Two VMs, one unknown; each judged by its own launch; order kept. */
static void test_unknown_and_several(void **state)
{
	struct log l = { 0 };
	struct hg_policy p;
	struct out o;
	uint64_t cfg, img, dbcfg, dbimg;

	(void)state;
	policy(&p, "image A", "db image", NULL);
	cfg = file(&l, HG_KIND_CONFIG, CFG, "cfg1");
	img = file(&l, HG_KIND_IMAGE, IMG, "image A");
	launch(&l, "web", UWEB, (uint64_t[]){ cfg, img }, NULL, 2);
	dbcfg = file(&l, HG_KIND_CONFIG, "/etc/libvirt/qemu/db.xml", "dbcfg");
	dbimg = file(&l, HG_KIND_IMAGE, IMG, "db image");
	launch(&l, "db", UDB, (uint64_t[]){ dbcfg, dbimg }, NULL, 2);
	judge(&l, &p, "[{\"name\": \"db\", \"uuid\": \"" UDB "\"},"
		       " {\"name\": \"web\", \"uuid\": \"" UWEB "\", \"id\": null},"
		       " {\"name\": \"stray\", \"uuid\": \"99999999-2222-4333-8444-555555555555\", \"id\": 7}]",
	      1, &o);
	assert_int_equal(o.vr.exit, 1);
	assert_string_equal(o.vr.why, "vm stray (uuid 99999999-2222-4333-8444-555555555555): running, but no launch record in the log: a VM the gate did not start");
	has(o.vms, "[{\"name\":\"db\"");
	has(o.vms, "\"name\":\"stray\",\"uuid\":\"99999999-2222-4333-8444-555555555555\",\"launch\":null,\"status\":\"unknown\"");
	/* The uuid in upper case is the same VM. */
	judge(&l, &p, "[{\"name\": \"db\", \"uuid\": \"AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE\"}]", 1, &o);
	assert_int_equal(o.vr.exit, 0);
	has(o.vms, "\"uuid\":\"" UDB "\"");
	/* A name the host chose is shown escaped, in the verdict and the reason. */
	judge(&l, &p, "[{\"name\": \"a\u202egpj\", \"uuid\": \"99999999-2222-4333-8444-555555555555\"}]", 1, &o);
	assert_string_equal(o.vr.why, "vm a\\u202egpj (uuid 99999999-2222-4333-8444-555555555555): running, but no launch record in the log: a VM the gate did not start");
	has(o.vms, "\"name\":\"a\\\\u202egpj\"");
	assert_null(strstr(o.vms, "\xe2\x80\xae"));
	/* Not judged (the log did not verify): every VM skip, no failure. */
	judge(&l, &p, "[{\"name\": \"stray\", \"uuid\": \"99999999-2222-4333-8444-555555555555\"}]", 0, &o);
	assert_int_equal(o.vr.exit, -1);
	has(o.vms, "\"status\":\"skip\",\"failures\":[]");
	hg_policy_free(&p);
	log_free(&l);
}

/* The policy's "domains" scoping applies to a VM's launch. */
static void test_domains_scoping(void **state)
{
	struct log l = { 0 };
	struct hg_policy p;
	struct out o;
	uint64_t cfg, img;

	(void)state;
	policy(&p, "image A", NULL, ", \"domains\": {\"web\": {\"images\": [\"/var/lib/libvirt/images/golden/other.qcow2\"]}}");
	cfg = file(&l, HG_KIND_CONFIG, CFG, "cfg1");
	img = file(&l, HG_KIND_IMAGE, IMG, "image A");
	launch(&l, "web", UWEB, (uint64_t[]){ cfg, img }, NULL, 2);
	judge(&l, &p, RUN_WEB, 1, &o);
	assert_int_equal(o.vr.exit, 1);
	has(o.vr.why, "image " IMG " is not one domain web may boot ($.domains)");
	hg_policy_free(&p);
	log_free(&l);
}

/* Refs the gate never writes: invalid, each with its reason. */
static void test_invalid_refs(void **state)
{
	struct log l = { 0 };
	struct hg_policy p;
	struct out o;
	uint64_t hv, cfg, img, ovl, img2, cfgdb;
	char want[300];

	(void)state;
	policy(&p, "image A", NULL, NULL);
	hv = file(&l, HG_KIND_HYPERVISOR, "/usr/bin/qemu-system-x86_64", "qemu");
	cfg = file(&l, HG_KIND_CONFIG, CFG, "cfg1");
	img = file(&l, HG_KIND_IMAGE, IMG, "image A");
	ovl = overlay(&l, OVL);
	img2 = file(&l, HG_KIND_IMAGE, IMG, "image A");
	cfgdb = file(&l, HG_KIND_CONFIG, "/etc/libvirt/qemu/db.xml", "dbcfg");

	/* A hypervisor record named as an image. */
	launch(&l, "web", UWEB, (uint64_t[]){ hv, cfg }, (enum hg_kind[]){ HG_KIND_IMAGE, HG_KIND_CONFIG }, 2);
	judge(&l, &p, RUN_WEB, 1, &o);
	assert_int_equal(o.vr.exit, 3);
	snprintf(want, sizeof(want), "vm web (uuid " UWEB "): launch record %zu refers to record %llu as an image, but it is not a config, image or overlay record",
		 l.n - 1, (unsigned long long)hv);
	assert_string_equal(o.vr.why, want);
	has(o.vms, "\"status\":\"invalid\"");

	/* An overlay named as an image. */
	launch(&l, "web", UWEB, (uint64_t[]){ cfg, ovl }, (enum hg_kind[]){ HG_KIND_CONFIG, HG_KIND_IMAGE }, 2);
	judge(&l, &p, RUN_WEB, 1, &o);
	assert_int_equal(o.vr.exit, 3);
	snprintf(want, sizeof(want), "refers to record %llu as an image, but it is an overlay record",
		 (unsigned long long)ovl);
	has(o.vr.why, want);

	/* Digests that are not the record's. */
	{
		struct hg_launch_ref refs[2];
		uint8_t u[16];
		size_t n = l.n;

		hg_uuid_parse(UWEB, 36, u);
		refs[0].recnum = cfg;
		refs[0].kind = HG_KIND_CONFIG;
		refs[0].digests = l.r[cfg].digests;
		refs[1].recnum = img;
		refs[1].kind = HG_KIND_IMAGE;
		refs[1].digests = l.r[img].digests;
		refs[1].digests.v[0].d[0] ^= 1;
		cw_init(&l.w[n]);
		add(&l, hg_cel_encode_launch(n, 13, "web", u, refs, 2, banks, 1, &l.w[n]));
	}
	judge(&l, &p, RUN_WEB, 1, &o);
	assert_int_equal(o.vr.exit, 3);
	snprintf(want, sizeof(want), "refers to record %llu with digests that are not that record's",
		 (unsigned long long)img);
	has(o.vr.why, want);

	/* The same image twice: one could hide the other. */
	launch(&l, "web", UWEB, (uint64_t[]){ cfg, img, img2 }, NULL, 3);
	judge(&l, &p, RUN_WEB, 1, &o);
	assert_int_equal(o.vr.exit, 3);
	snprintf(want, sizeof(want), "refers to image " IMG " twice (records %llu and %llu)",
		 (unsigned long long)img, (unsigned long long)img2);
	has(o.vr.why, want);

	/* Another domain's config. */
	launch(&l, "web", UWEB, (uint64_t[]){ img, cfgdb }, NULL, 2);
	judge(&l, &p, RUN_WEB, 1, &o);
	assert_int_equal(o.vr.exit, 3);
	has(o.vr.why, "refers to config /etc/libvirt/qemu/db.xml");
	has(o.vr.why, "which is not the config of domain web");

	/* Invalid outranks untrusted: an unknown VM beside it. */
	judge(&l, &p, "[{\"name\": \"x\", \"uuid\": \"" UDB "\"}, {\"name\": \"web\", \"uuid\": \"" UWEB "\"}]", 1, &o);
	assert_int_equal(o.vr.exit, 3);
	has(o.vr.why, "which is not the config of domain web");
	hg_policy_free(&p);
	log_free(&l);
}

/* ---- the running list: hostile input ---- */

static void refused(const char *json, size_t len, const char *want)
{
	struct hv_running r;
	char err[512];

	if (hv_running_parse(json, len ? len : strlen(json), &r, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", json);
	if (!strstr(err, want))
		fail_msg("\"%s\": got \"%s\", want \"%s\"", json, err, want);
}

static void test_running_hostile(void **state)
{
	struct hv_running r;
	char err[256];
	size_t big = 4097 * 64 + 16, off = 0;
	char *many = malloc(big);

	(void)state;
	refused("{}", 0, "$: not an array of running domains");
	refused("[1]", 0, "$[0]: not an object");
	refused("[{\"uuid\": \"" UWEB "\"}]", 0, "$[0].name: missing");
	refused("[{\"name\": \"\", \"uuid\": \"" UWEB "\"}]", 0, "$[0].name: missing, or not a string");
	refused("[{\"name\": 5, \"uuid\": \"" UWEB "\"}]", 0, "$[0].name");
	refused("[{\"name\": \"a\"}]", 0, "$[0].uuid: missing, or not a UUID");
	refused("[{\"name\": \"a\", \"uuid\": \"" UWEB " \"}]", 0, "$[0].uuid");
	refused("[{\"name\": \"a\", \"uuid\": \"{" UWEB "}\"}]", 0, "$[0].uuid");
	refused("[{\"name\": \"a\", \"uuid\": 1}]", 0, "$[0].uuid");
	refused("[{\"name\": \"a\", \"uuid\": \"11111111222243338444555555555555\"}]", 0, "$[0].uuid");
	refused("[{\"name\": \"a\", \"uuid\": \"" UWEB "\", \"id\": \"3\"}]", 0, "$[0].id: not an integer or null");
	refused("[{\"name\": \"a\", \"uuid\": \"" UWEB "\"}, {\"name\": \"b\", \"uuid\": \"11111111-2222-4333-8444-555555555555\"}]",
		0, "UUID 11111111-2222-4333-8444-555555555555 is listed twice");
	refused("[{\"name\": \"a\", \"name\": \"b\", \"uuid\": \"" UWEB "\"}]", 0, "duplicate");
	refused("[{\"name\": \"a\\u0000b\", \"uuid\": \"" UWEB "\"}]", 0, "");
	refused("[{\"name\": \"a\", \"uuid\": \"" UWEB "\"}] x", 0, "");
	refused("[{\"name\": \"a\xff\", \"uuid\": \"" UWEB "\"}]", 0, "");
	/* More than HV_RUNNING_MAX domains. */
	assert_non_null(many);
	many[off++] = '[';
	for (int i = 0; i <= HV_RUNNING_MAX; i++)
		off += (size_t)snprintf(many + off, big - off, "%s{\"name\":\"v\",\"uuid\":\"%08x-0000-4000-8000-000000000000\"}",
					i ? "," : "", i);
	many[off++] = ']';
	many[off] = '\0';
	refused(many, off, "$: more than 4096 running domains");
	free(many);
	/* Unknown keys are the agent's business; a name is any UTF-8. */
	assert_int_equal(hv_running_parse("[{\"name\": \"caf\xc3\xa9\", \"uuid\": \"" UWEB "\", \"launch\": {}}]",
					  strlen("[{\"name\": \"caf\xc3\xa9\", \"uuid\": \"" UWEB "\", \"launch\": {}}]"),
					  &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].name, "caf\xc3\xa9");
	hv_running_free(&r);
}

/* The service's entry point: a list that does not parse judges
 * nothing; evidence that does not verify judges no VM ("skip"). */
static void test_verify_running_json(void **state)
{
	static const uint8_t junk[] = { 0xa0 };
	struct hg_policy p;
	struct hv_inputs in = { .evidence = junk, .evidence_len = sizeof(junk), .want_json = 1 };
	struct hv_result res;
	struct hv_vm_result vr;
	json_object *vms, *checks;
	char err[256] = "";

	(void)state;
	policy(&p, "image A", NULL, NULL);
	in.policy = &p;
	memset(&res, 0x5a, sizeof(res));
	assert_int_equal(hv_verify_running_json(&in, "[{\"name\": 1}]", 13, &res, &vr, err, sizeof(err)), -1);
	has(err, "$[0].name");
	assert_int_equal(hv_verify_running_json(&in, RUN_WEB, strlen(RUN_WEB), &res, &vr, err, sizeof(err)), 3);
	assert_int_equal(vr.host_exit, 3);
	assert_int_equal(vr.exit, -1);
	assert_true(json_object_object_get_ex(res.verdict, "vms", &vms));
	has(json_object_to_json_string(vms), "\"status\": \"skip\"");
	assert_true(json_object_object_get_ex(res.verdict, "checks", &checks));
	has(json_object_to_json_string(checks), "{ \"check\": \"vms\", \"result\": \"skip\" }");
	has(json_object_to_json_string(res.verdict), "\"verdict\": \"invalid\"");
	hv_result_free(&res);
	hg_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revoked_image_of_running_vm),
		cmocka_unit_test(test_unknown_and_several),
		cmocka_unit_test(test_domains_scoping),
		cmocka_unit_test(test_invalid_refs),
		cmocka_unit_test(test_running_hostile),
		cmocka_unit_test(test_verify_running_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
