/* test_ear.c: EAR attestation results (lib/ear.h): the round trip, what a
 * verdict maps to, and that forged, truncated or foreign-key tokens are
 * refused. test_ear_bad.c pins every malformed claims-set to its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/ec.h>

#include "ear_fx.h"

static EVP_PKEY *key, *other;

static int setup(void **state)
{
	(void)state;
	key = EVP_EC_gen("P-256");
	other = EVP_EC_gen("P-256");
	return key && other ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	return 0;
}

static const struct hg_digest dig = {
	.alg = HG_ALG_SHA256, .len = 32,
	.d = { 0x06, 0x0e, 0xb1, 0x4b, 0x1c, 0xfb, 0xd7, 0x8c, 0xd5, 0x7c, 0xe0, 0x8d,
	       0xc3, 0xf0, 0x7d, 0x35, 0xa2, 0xc0, 0x66, 0xd1, 0x99, 0x58, 0x81, 0x4d,
	       0xb8, 0xdf, 0xd8, 0xbe, 0xf7, 0xb1, 0x4a, 0x54 },
};

/* Claims with a host and a VM submodule, signed. */
static uint8_t *sample(struct hg_ear_claims *c, size_t *len)
{
	struct hg_ear_submod *h, *vm;
	uint8_t *t = NULL;

	memset(c, 0, sizeof(*c));
	c->iat = FX_NOW;
	c->exp = FX_NOW + 300;
	c->developer = strdup("acme");
	c->build = strdup("hostgate-verify 0.1.0");
	memset(c->nonce, 0x11, 16);
	c->nonce_len = 16;
	h = hg_ear_submod_add(c, FX_HOST);
	assert_non_null(h);
	h->status = HG_EAR_AFFIRMING;
	h->tv[HG_TV_INSTANCE_IDENTITY] = HG_AR_AFFIRMING;
	h->tv[HG_TV_EXECUTABLES] = HG_AR_AFFIRMING;
	h->policy_id = strdup("policy-7");
	assert_int_equal(hg_ear_digest_add(h, "hypervisor", "/usr/bin/qemu", 1, &dig), 0);
	vm = hg_ear_submod_add(c, "vm:6f9c8e2a-0000-4000-8000-000000000001");
	assert_non_null(vm);
	vm->status = HG_EAR_CONTRAINDICATED;
	vm->tv[HG_TV_FILE_SYSTEM] = HG_AR_CONTRAINDICATED;
	vm->tv[HG_TV_HARDWARE] = -1;   /* verifier malfunction: a negative claim */
	assert_int_equal(hg_ear_digest_add(vm, "config", "/etc/libvirt/qemu/vm1.xml", 7, &dig), 0);
	assert_int_equal(hg_ear_digest_add(vm, "image", "/var/lib/images/vm1.qcow2", 8, &dig), 0);
	/* A duplicate name is refused by the builder. */
	assert_null(hg_ear_submod_add(c, FX_HOST));
	assert_int_equal(hg_ear_sign(c, key, &t, len), 0);
	return t;
}

static void test_roundtrip(void **state)
{
	struct hg_ear_claims c, d;
	const struct hg_ear_submod *h, *vm;
	size_t len;
	uint8_t *t;
	char err[256] = "";

	(void)state;
	t = sample(&c, &len);
	/* The envelope is exactly 18([h'a10126', {}, payload, sig]). */
	assert_memory_equal(t, "\xd2\x84\x43\xa1\x01\x26\xa0", 7);
	assert_int_equal(hg_ear_verify(t, len, key, FX_NOW, &d, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(d.iat, FX_NOW);
	assert_int_equal(d.exp, FX_NOW + 300);
	assert_string_equal(d.developer, "acme");
	assert_string_equal(d.build, "hostgate-verify 0.1.0");
	assert_int_equal(d.nonce_len, 16);
	assert_memory_equal(d.nonce, c.nonce, 16);
	assert_int_equal(d.nsubmods, 2);
	h = hg_ear_submod_find(&d, FX_HOST);
	vm = hg_ear_submod_find(&d, "vm:6f9c8e2a-0000-4000-8000-000000000001");
	assert_non_null(h);
	assert_non_null(vm);
	assert_int_equal(h->status, HG_EAR_AFFIRMING);
	assert_int_equal(h->tv[HG_TV_INSTANCE_IDENTITY], 2);
	assert_int_equal(h->tv[HG_TV_EXECUTABLES], 2);
	assert_int_equal(h->tv[HG_TV_HARDWARE], 0);
	assert_string_equal(h->policy_id, "policy-7");
	assert_int_equal(h->ndigests, 1);
	assert_string_equal(h->digests[0].kind, "hypervisor");
	assert_string_equal(h->digests[0].name, "/usr/bin/qemu");
	assert_int_equal(h->digests[0].record, 1);
	assert_int_equal(h->digests[0].alg, HG_ALG_SHA256);
	assert_memory_equal(h->digests[0].d, dig.d, 32);
	assert_int_equal(vm->status, HG_EAR_CONTRAINDICATED);
	assert_int_equal(vm->tv[HG_TV_FILE_SYSTEM], 96);
	assert_int_equal(vm->tv[HG_TV_HARDWARE], -1);
	assert_null(vm->policy_id);
	assert_int_equal(vm->ndigests, 2);
	assert_string_equal(vm->digests[1].kind, "image");
	assert_int_equal(vm->digests[1].record, 8);
	/* Re-encoding the decoded claims gives the same payload: the
	 * encoding is deterministic (submodules sorted, fixed key order). */
	{
		uint8_t *t2;
		size_t len2;

		assert_int_equal(hg_ear_sign(&d, key, &t2, &len2), 0);
		assert_int_equal(len2, len);
		assert_memory_equal(t2, t, len - 64);
		free(t2);
	}
	hg_ear_claims_free(&d);
	hg_ear_claims_free(&c);
	free(t);
}

static void test_sign_refuses_invalid_claims(void **state)
{
	struct hg_ear_claims c;
	size_t len;
	uint8_t *t = sample(&c, &len), *t2 = NULL;

	(void)state;
	free(t);
	c.submods[0].status = 3;          /* not a tier */
	assert_int_equal(hg_ear_sign(&c, key, &t2, &len), -1);
	c.submods[0].status = HG_EAR_AFFIRMING;
	c.exp = c.iat;                    /* no lifetime */
	assert_int_equal(hg_ear_sign(&c, key, &t2, &len), -1);
	c.exp = c.iat + HG_EAR_MAX_TTL + 1;   /* not short */
	assert_int_equal(hg_ear_sign(&c, key, &t2, &len), -1);
	c.exp = c.iat + 1;
	c.nonce_len = 4;
	assert_int_equal(hg_ear_sign(&c, key, &t2, &len), -1);
	c.nonce_len = 16;
	free(c.submods[1].name);
	c.submods[1].name = strdup("vm:\x1b[2J");   /* a terminal escape */
	assert_int_equal(hg_ear_sign(&c, key, &t2, &len), -1);
	assert_null(t2);
	hg_ear_claims_free(&c);
}

static void test_wrong_key(void **state)
{
	struct hg_ear_claims c, d;
	size_t len;
	uint8_t *t = sample(&c, &len);
	char err[256] = "";

	(void)state;
	assert_int_equal(hg_ear_verify(t, len, other, FX_NOW, &d, err, sizeof(err)), -1);
	assert_string_equal(err, "signature does not verify with this key");
	assert_int_equal(d.nsubmods, 0);
	hg_ear_claims_free(&c);
	free(t);
}

/* The signature is checked before any claim is read: a validly framed
 * token whose payload is garbage and whose signature is by another key
 * is refused for the signature, not the payload. */
static void test_signature_before_claims(void **state)
{
	static const uint8_t es256[] = { 0xa1, 0x01, 0x26 };
	static const uint8_t junk[] = { 0xff, 0xff, 0xff };
	size_t len;
	uint8_t *t = fx_envelope(other, 18, es256, sizeof(es256), 0, junk, sizeof(junk), &len);
	char err[256] = "";

	(void)state;
	assert_int_equal(fx_verify(key, t, len, err, sizeof(err)), -1);
	assert_string_equal(err, "signature does not verify with this key");
	assert_int_equal(fx_verify(other, t, len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "claims-set"));
	free(t);
}

static void test_every_byte_flip_refused(void **state)
{
	struct hg_ear_claims c;
	size_t len;
	uint8_t *t = sample(&c, &len), *m = malloc(len);
	char err[256];
	int accepted = 0;

	(void)state;
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			memcpy(m, t, len);
			m[i] ^= (uint8_t)(1u << bit);
			if (fx_verify(key, m, len, err, sizeof(err)) != -1) {
				print_error("flip bit %d of byte %zu accepted\n", bit, i);
				accepted++;
			}
		}
	}
	assert_int_equal(accepted, 0);
	free(m);
	free(t);
	hg_ear_claims_free(&c);
}

/* Every prefix is refused, none crashes (run under ASan by make asan). */
static void test_truncation(void **state)
{
	struct hg_ear_claims c;
	size_t len;
	uint8_t *t = sample(&c, &len);
	char err[256];

	(void)state;
	for (size_t n = 0; n < len; n++) {
		/* A fresh copy of exactly N bytes, so ASan sees any overread. */
		uint8_t *p = malloc(n ? n : 1);

		memcpy(p, t, n);
		if (fx_verify(key, p, n, err, sizeof(err)) != -1)
			fail_msg("a prefix of %zu bytes was not refused", n);
		free(p);
	}
	free(t);
	hg_ear_claims_free(&c);
}

/* ---- verdicts ---------------------------------------------------------- */

static const char *const checks[] = {
	"decode", "ak", "signature", "attest", "nonce", "pcr-digest", "banks",
	"selection", "log", "replay", "firmware", "pcrs", "policy",
};

/* A verdict: WORD, the checks up to FAILED (by name; NULL: none) passing,
 * FAILED failing, the rest skipped except pcrs and policy when FAILED is
 * one of them; FAILURES (JSON text of the array) and MEASURED as given. */
static json_object *verdict(const char *word, const char *failed, const char *failures,
			    const char *measured)
{
	json_object *v = json_object_new_object(), *cs = json_object_new_array();
	int state = 0;   /* 0 pass, 1 after the failure */
	int late = failed && (!strcmp(failed, "pcrs") || !strcmp(failed, "policy"));

	json_object_object_add(v, "version", json_object_new_int(1));
	json_object_object_add(v, "verdict", json_object_new_string(word));
	json_object_object_add(v, "hostname", json_object_new_string(FX_HOST));
	json_object_object_add(v, "nonce", json_object_new_string("00112233445566778899aabbccddeeff"));
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		json_object *o = json_object_new_object();
		const char *r = "pass";

		if (failed && !strcmp(checks[i], failed)) {
			r = "fail";
			state = 1;
		} else if (state && !late) {
			r = "skip";
		}
		json_object_object_add(o, "check", json_object_new_string(checks[i]));
		json_object_object_add(o, "result", json_object_new_string(r));
		json_object_array_add(cs, o);
	}
	json_object_object_add(v, "checks", cs);
	json_object_object_add(v, "failures", json_tokener_parse(failures ? failures : "[]"));
	if (measured)
		json_object_object_add(v, "measured", json_tokener_parse(measured));
	return v;
}

#define D1 "c79bf44242829108e323378531f4ac839513ca1fba45efd6583643526e1e9fd2"
#define D2 "060eb14b1cfbd78cd57ce08dc3f07d35a2c066d19958814db8dfd8bef7b14a54"
static const char measured[] =
	"[{\"record\":1,\"kind\":\"hypervisor\",\"name\":\"/usr/bin/qemu\",\"digest\":{\"sha256\":\"" D1 "\"}},"
	" {\"record\":3,\"kind\":\"config\",\"name\":\"/etc/vm1.xml\",\"digest\":{\"sha256\":\"" D2 "\"}}]";

static void from(json_object *v, struct hg_ear_claims *c)
{
	struct hg_ear_issue opt = { .now = FX_NOW, .ttl = 300, .policy_id = "p1" };
	char err[256] = "";

	if (hg_ear_from_verdict(v, &opt, c, err, sizeof(err)) < 0)
		fail_msg("from_verdict: %s", err);
	json_object_put(v);
}

static void test_verdict_trusted(void **state)
{
	struct hg_ear_claims c;
	const struct hg_ear_submod *s;

	(void)state;
	from(verdict("trusted", NULL, NULL, measured), &c);
	assert_int_equal(c.iat, FX_NOW);
	assert_int_equal(c.exp, FX_NOW + 300);
	assert_int_equal(c.nonce_len, 16);
	assert_string_equal(c.developer, "hostgate");
	s = hg_ear_submod_find(&c, FX_HOST);
	assert_non_null(s);
	assert_int_equal(s->status, HG_EAR_AFFIRMING);
	assert_int_equal(s->tv[HG_TV_INSTANCE_IDENTITY], 2);
	assert_int_equal(s->tv[HG_TV_EXECUTABLES], 2);
	assert_int_equal(s->tv[HG_TV_CONFIGURATION], 2);
	assert_int_equal(s->tv[HG_TV_FILE_SYSTEM], 2);
	assert_int_equal(s->tv[HG_TV_HARDWARE], 0);   /* no firmware log: no claim */
	assert_int_equal(s->tv[HG_TV_RUNTIME_OPAQUE], 0);
	assert_string_equal(s->policy_id, "p1");
	assert_int_equal(s->ndigests, 2);
	assert_string_equal(s->digests[1].name, "/etc/vm1.xml");
	assert_int_equal(s->digests[1].record, 3);
	hg_ear_claims_free(&c);

	/* With a firmware log that replayed: hardware is claimed. */
	{
		json_object *v = verdict("trusted", NULL, NULL, NULL);

		json_object_object_add(v, "firmware", json_object_new_object());
		from(v, &c);
		assert_int_equal(c.submods[0].tv[HG_TV_HARDWARE], 2);
		assert_int_equal(c.submods[0].ndigests, 0);
		hg_ear_claims_free(&c);
	}
}

static void test_verdict_untrusted(void **state)
{
	struct hg_ear_claims c;
	const struct hg_ear_submod *s;

	(void)state;
	/* A config digest out of policy: configuration, and its record is
	 * not vouched for; the hypervisor's still is. */
	from(verdict("untrusted", "policy",
		     "[{\"record\":3,\"kind\":\"config\",\"name\":\"/etc/vm1.xml\",\"check\":\"policy\",\"reason\":\"x\"}]",
		     measured), &c);
	s = &c.submods[0];
	assert_int_equal(s->status, HG_EAR_CONTRAINDICATED);
	assert_int_equal(s->tv[HG_TV_CONFIGURATION], 96);
	assert_int_equal(s->tv[HG_TV_EXECUTABLES], 2);
	assert_int_equal(s->tv[HG_TV_INSTANCE_IDENTITY], 2);
	assert_int_equal(s->ndigests, 1);
	assert_string_equal(s->digests[0].kind, "hypervisor");
	hg_ear_claims_free(&c);

	/* A disallowed binary: executables. */
	from(verdict("untrusted", "policy",
		     "[{\"record\":1,\"kind\":\"hypervisor\",\"name\":\"/usr/bin/qemu\",\"check\":\"policy\",\"reason\":\"x\"}]",
		     NULL), &c);
	assert_int_equal(c.submods[0].tv[HG_TV_EXECUTABLES], 96);
	assert_int_equal(c.submods[0].tv[HG_TV_CONFIGURATION], 2);
	hg_ear_claims_free(&c);

	/* An image: file-system; a firmware rule and PCR 0: hardware;
	 * PCR 13: executables. */
	from(verdict("untrusted", "policy",
		     "[{\"kind\":\"image\",\"name\":\"/i\",\"check\":\"policy\",\"reason\":\"x\"},"
		     " {\"kind\":\"firmware\",\"rule\":\"secure_boot\",\"check\":\"policy\",\"reason\":\"x\"},"
		     " {\"pcr\":0,\"bank\":\"sha256\",\"check\":\"pcrs\",\"reason\":\"x\"},"
		     " {\"pcr\":13,\"bank\":\"sha256\",\"check\":\"pcrs\",\"reason\":\"x\"}]", NULL), &c);
	s = &c.submods[0];
	assert_int_equal(s->tv[HG_TV_FILE_SYSTEM], 96);
	assert_int_equal(s->tv[HG_TV_HARDWARE], 96);
	assert_int_equal(s->tv[HG_TV_EXECUTABLES], 96);
	assert_int_equal(s->tv[HG_TV_CONFIGURATION], 2);
	hg_ear_claims_free(&c);

	/* A bank downgrade: configuration; the log was never checked, so
	 * nothing is vouched for and executables is not claimed. */
	from(verdict("untrusted", "banks", "[{\"check\":\"banks\",\"reason\":\"x\"}]", measured), &c);
	s = &c.submods[0];
	assert_int_equal(s->status, HG_EAR_CONTRAINDICATED);
	assert_int_equal(s->tv[HG_TV_CONFIGURATION], 96);
	assert_int_equal(s->tv[HG_TV_EXECUTABLES], 0);
	assert_int_equal(s->ndigests, 0);
	hg_ear_claims_free(&c);
}

static void test_verdict_invalid(void **state)
{
	struct hg_ear_claims c;
	const struct hg_ear_submod *s;

	(void)state;
	/* Not the enrolled AK: instance-identity unrecognised. */
	from(verdict("invalid", "ak", "[{\"check\":\"ak\",\"reason\":\"x\"}]", measured), &c);
	s = &c.submods[0];
	assert_int_equal(s->status, HG_EAR_CONTRAINDICATED);
	assert_int_equal(s->tv[HG_TV_INSTANCE_IDENTITY], 97);
	assert_int_equal(s->ndigests, 0);
	hg_ear_claims_free(&c);

	from(verdict("invalid", "signature", "[]", NULL), &c);
	assert_int_equal(c.submods[0].tv[HG_TV_INSTANCE_IDENTITY], 99);
	hg_ear_claims_free(&c);

	/* The log does not replay: nothing it holds is vouched for. */
	from(verdict("invalid", "replay", "[]", measured), &c);
	s = &c.submods[0];
	assert_int_equal(s->tv[HG_TV_INSTANCE_IDENTITY], 2);
	assert_int_equal(s->tv[HG_TV_EXECUTABLES], 99);
	assert_int_equal(s->ndigests, 0);
	hg_ear_claims_free(&c);

	/* The firmware log does not replay: hardware. */
	from(verdict("invalid", "firmware", "[]", measured), &c);
	s = &c.submods[0];
	assert_int_equal(s->status, HG_EAR_CONTRAINDICATED);
	assert_int_equal(s->tv[HG_TV_HARDWARE], 99);
	hg_ear_claims_free(&c);
}

/* A verdict that contradicts itself is refused, never issued. */
static void test_verdict_refused(void **state)
{
	struct hg_ear_issue opt = { .now = FX_NOW, .ttl = 300 };
	struct hg_ear_claims c;
	char err[256];
	json_object *v;

	(void)state;
	v = verdict("trusted", "policy", "[]", NULL);
	assert_int_equal(hg_ear_from_verdict(v, &opt, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "verdict says trusted but not every check passed");
	json_object_put(v);

	v = verdict("trusted", NULL, "[{\"check\":\"policy\",\"reason\":\"x\"}]", NULL);
	assert_int_equal(hg_ear_from_verdict(v, &opt, &c, err, sizeof(err)), -1);
	json_object_put(v);

	v = verdict("untrusted", NULL, "[]", NULL);
	assert_int_equal(hg_ear_from_verdict(v, &opt, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "verdict says untrusted but every check passed");
	json_object_put(v);

	v = verdict("trusted", NULL, NULL, NULL);
	json_object_array_add(json_object_object_get(v, "checks"),
			      json_tokener_parse("{\"check\":\"magic\",\"result\":\"pass\"}"));
	assert_int_equal(hg_ear_from_verdict(v, &opt, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "verdict: unknown check \"magic\"");
	json_object_put(v);

	v = verdict("trusted", NULL, NULL, NULL);
	json_object_array_del_idx(json_object_object_get(v, "checks"), 12, 1);
	assert_int_equal(hg_ear_from_verdict(v, &opt, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "verdict: check \"policy\" is missing");
	json_object_put(v);

	v = verdict("trusted", NULL, NULL, NULL);
	json_object_object_add(v, "version", json_object_new_int(2));
	assert_int_equal(hg_ear_from_verdict(v, &opt, &c, err, sizeof(err)), -1);
	json_object_put(v);

	v = verdict("trusted", NULL, NULL,
		    "[{\"record\":1,\"kind\":\"config\",\"name\":\"/x\",\"digest\":{\"sha256\":\"abcd\"}}]");
	assert_int_equal(hg_ear_from_verdict(v, &opt, &c, err, sizeof(err)), -1);
	json_object_put(v);

	v = verdict("trusted", NULL, NULL, NULL);
	opt.ttl = 0;
	assert_int_equal(hg_ear_from_verdict(v, &opt, &c, err, sizeof(err)), -1);
	json_object_put(v);
}

/* The collector: host records all, a workload's latest record only, and
 * only workloads in scope. */
static void test_collect(void **state)
{
	struct hg_ear_scope scope[] = { { HG_KIND_CONFIG, "/etc/vm1.xml" } };
	struct hg_ear_collect col = { .scope = scope, .nscope = 1 };
	struct hg_cel_rec r;
	json_object *v, *m;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.type = HG_CT_FILE;
	r.file.n = 1;
	r.file.v[0] = dig;
	r.kind = HG_KIND_HYPERVISOR; r.name = "/q"; r.name_len = 2; r.recnum = 1;
	hg_ear_collect_record(&col, &r);
	r.kind = HG_KIND_CONFIG; r.name = "/etc/vm1.xml"; r.name_len = 12; r.recnum = 2;
	hg_ear_collect_record(&col, &r);
	r.recnum = 4;   /* the same config again: supersedes record 2 */
	hg_ear_collect_record(&col, &r);
	r.name = "/etc/vm2.xml"; r.recnum = 5;   /* out of scope */
	hg_ear_collect_record(&col, &r);
	r.kind = HG_KIND_HYPERVISOR; r.name = "/q"; r.name_len = 2; r.recnum = 6;
	hg_ear_collect_record(&col, &r);   /* host records accumulate */

	v = verdict("trusted", NULL, NULL, NULL);
	assert_int_equal(hg_ear_verdict_add_measured(v, &col), 0);
	m = json_object_object_get(v, "measured");
	assert_non_null(m);
	assert_int_equal(json_object_array_length(m), 3);
	assert_int_equal(json_object_get_int(json_object_object_get(json_object_array_get_idx(m, 1), "record")), 4);
	assert_int_equal(json_object_get_int(json_object_object_get(json_object_array_get_idx(m, 2), "record")), 6);
	json_object_put(v);

	/* Not bound (the replay failed): nothing is added. */
	v = verdict("invalid", "replay", NULL, NULL);
	assert_int_equal(hg_ear_verdict_add_measured(v, &col), 0);
	assert_null(json_object_object_get(v, "measured"));
	json_object_put(v);
	hg_ear_collect_free(&col);
}

/* The gate's question: exactly this domain's files, whatever else the
 * host ran. */
static void test_covers(void **state)
{
	struct hg_ear_claims c;
	size_t len;
	uint8_t *t = sample(&c, &len);
	struct hg_ear_submod *vm = &c.submods[1], *h = &c.submods[0];
	struct hg_digest alt = dig;
	struct hg_ear_digest want[2] = {
		{ .kind = "config", .name = "/etc/libvirt/qemu/vm1.xml", .alg = HG_ALG_SHA256, .len = 32 },
		{ .kind = "image", .name = "/var/lib/images/vm1.qcow2", .alg = HG_ALG_SHA256, .len = 32 },
	};
	char err[256] = "";

	(void)state;
	memcpy(want[0].d, dig.d, 32);
	memcpy(want[1].d, dig.d, 32);
	assert_int_equal(hg_ear_submod_covers(vm, want, 2, err, sizeof(err)), 0);
	/* One file missing from what it vouches for. */
	assert_int_equal(hg_ear_submod_covers(h, want, 2, err, sizeof(err)), -1);
	assert_string_equal(err, "submodule \"" FX_HOST "\" does not vouch for config /etc/libvirt/qemu/vm1.xml (sha256)");
	/* Another digest for the image. */
	want[1].d[0] ^= 1;
	assert_int_equal(hg_ear_submod_covers(vm, want, 2, err, sizeof(err)), -1);
	want[1].d[0] ^= 1;
	/* A third workload file it vouches for: not exactly this domain. */
	alt.d[5] ^= 0xff;
	assert_int_equal(hg_ear_digest_add(vm, "image", "/var/lib/images/other.qcow2", 9, &alt), 0);
	assert_int_equal(hg_ear_submod_covers(vm, want, 2, err, sizeof(err)), -1);
	assert_string_equal(err, "submodule \"vm:6f9c8e2a-0000-4000-8000-000000000001\" also vouches for image /var/lib/images/other.qcow2 (record 9)");
	/* A host record beside them is not the domain's concern. */
	vm->ndigests--;
	free(vm->digests[vm->ndigests].kind);
	free(vm->digests[vm->ndigests].name);
	assert_int_equal(hg_ear_digest_add(vm, "hypervisor", "/usr/bin/qemu", 1, &alt), 0);
	assert_int_equal(hg_ear_submod_covers(vm, want, 2, err, sizeof(err)), 0);
	hg_ear_claims_free(&c);
	free(t);
}

static void test_json(void **state)
{
	struct hg_ear_claims c;
	size_t len;
	uint8_t *t = sample(&c, &len);
	json_object *j = hg_ear_claims_json(&c), *s;

	(void)state;
	assert_string_equal(json_object_get_string(json_object_object_get(j, "eat_profile")),
			    HG_EAR_PROFILE);
	s = json_object_object_get(json_object_object_get(j, "submods"), FX_HOST);
	assert_string_equal(json_object_get_string(json_object_object_get(s, "ear.status")),
			    "affirming");
	assert_int_equal(json_object_get_int(json_object_object_get(
				 json_object_object_get(s, "ear.trustworthiness-vector"),
				 "instance-identity")), 2);
	json_object_put(j);
	hg_ear_claims_free(&c);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_sign_refuses_invalid_claims),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_signature_before_claims),
		cmocka_unit_test(test_every_byte_flip_refused),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_verdict_trusted),
		cmocka_unit_test(test_verdict_untrusted),
		cmocka_unit_test(test_verdict_invalid),
		cmocka_unit_test(test_verdict_refused),
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_covers),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
