/* ear_verdict.c: a `hostgate-verify check` verdict (verifier/verify.h)
 * as EAR claims, the collector of what a verdict may vouch for, and the
 * claims as JSON (see ear.h).
 *
 * The mapping (AR4SI trustworthiness claims, draft-ietf-rats-ar4si,
 * "Trustworthiness Claims"; values 2 affirming, 96 contraindicated,
 * 97 unrecognised, 99 cryptographic validation failed). A component is
 * claimed only when the checks that judge it ran:
 *   instance-identity  2 when ak, signature, attest, nonce and pcr-digest
 *                      passed (the quote is by the enrolled AK, fresh);
 *                      97 when the ak check failed (not the enrolled AK);
 *                      99 when decode, signature, attest, nonce or
 *                      pcr-digest failed.
 *   hardware           2 when the firmware log replayed (the verdict has
 *                      "firmware"); 99 when the firmware check failed;
 *                      96 for a firmware rule failure (fwjudge) or a
 *                      PCR 0-7 that differs from the policy.
 *   executables        2 when pcrs and policy ran; 96 for a hypervisor,
 *                      firmware-file or breakglass record out of policy,
 *                      or a PCR 8-23 that differs; 99 when log or replay
 *                      failed (the log does not bind to the quote).
 *   configuration      2 when pcrs and policy ran; 96 for a config
 *                      record, a banks or selection failure (the TPM's
 *                      set-up is not one the policy accepts) or a policy
 *                      failure of no known kind; 99 when log or replay
 *                      failed.
 *   file-system        2 when pcrs and policy ran; 96 for an image or
 *                      overlay out of policy; 99 when log or replay
 *                      failed.
 * ear.status is affirming only for a verdict "trusted" whose every check
 * passed with no failure listed (a "trusted" verdict that says otherwise
 * is refused, never issued); contraindicated for anything else. The
 * status is never better than the worst vector component.
 */
#include "ear.h"

#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The verdict format this mapping reads (verify.h HV_VERDICT_VERSION). */
#define VERDICT_VERSION 1

/* verify.h's checks, in order. A verdict naming another is refused: the
 * mapping would not know what it means. */
enum { C_DECODE, C_AK, C_SIGNATURE, C_ATTEST, C_NONCE, C_PCR_DIGEST, C_BANKS,
       C_SELECTION, C_LOG, C_REPLAY, C_FIRMWARE, C_PCRS, C_POLICY, C_N };
static const char *const check_names[C_N] = {
	"decode", "ak", "signature", "attest", "nonce", "pcr-digest", "banks",
	"selection", "log", "replay", "firmware", "pcrs", "policy",
};
enum { R_SKIP, R_PASS, R_FAIL };

static int verr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int verr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* checks: [{check, result}] naming every check exactly once. */
static int read_checks(json_object *v, int res[C_N], char *err, size_t errlen)
{
	json_object *checks;
	size_t n;

	if (!json_object_object_get_ex(v, "checks", &checks) ||
	    !json_object_is_type(checks, json_type_array))
		return verr(err, errlen, "verdict has no \"checks\" array");
	n = json_object_array_length(checks);
	for (int c = 0; c < C_N; c++)
		res[c] = -1;
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(checks, i);
		const char *name = str_of(o, "check"), *r = str_of(o, "result");
		int c;

		if (!name || !r)
			return verr(err, errlen, "verdict: checks[%zu] lacks \"check\" or \"result\"", i);
		for (c = 0; c < C_N && strcmp(name, check_names[c]); c++)
			;
		if (c == C_N)
			return verr(err, errlen, "verdict: unknown check \"%.64s\"", name);
		if (res[c] != -1)
			return verr(err, errlen, "verdict: check \"%s\" listed twice", name);
		if (!strcmp(r, "pass"))
			res[c] = R_PASS;
		else if (!strcmp(r, "fail"))
			res[c] = R_FAIL;
		else if (!strcmp(r, "skip"))
			res[c] = R_SKIP;
		else
			return verr(err, errlen, "verdict: check \"%s\": result \"%.16s\"", name, r);
	}
	for (int c = 0; c < C_N; c++)
		if (res[c] == -1)
			return verr(err, errlen, "verdict: check \"%s\" is missing", check_names[c]);
	return 0;
}

/* Raise component I to V when V is worse (a higher AR4SI value is a
 * worse tier for every value this mapping uses). */
static void claim(struct hg_ear_submod *s, int i, int v)
{
	if (v > s->tv[i])
		s->tv[i] = (int8_t)v;
}

static void map_failure(struct hg_ear_submod *s, json_object *f)
{
	json_object *j;
	const char *check = str_of(f, "check"), *kind = str_of(f, "kind");

	if (!check)
		return;
	if (!strcmp(check, "pcrs")) {
		int pcr = json_object_object_get_ex(f, "pcr", &j) ? json_object_get_int(j) : -1;

		/* TCG PC Client PFP r1.05 §3.3.4: PCRs 0-7 are the platform
		 * firmware's; the rest the OS and hostgate's. */
		claim(s, pcr >= 0 && pcr <= 7 ? HG_TV_HARDWARE : HG_TV_EXECUTABLES,
		      HG_AR_CONTRAINDICATED);
		return;
	}
	if (strcmp(check, "policy"))
		return;
	if (json_object_object_get_ex(f, "rule", NULL)) {
		claim(s, HG_TV_HARDWARE, HG_AR_CONTRAINDICATED);   /* fwjudge.c */
		return;
	}
	if (!kind) {
		claim(s, HG_TV_CONFIGURATION, HG_AR_CONTRAINDICATED);
		return;
	}
	switch (hg_kind_parse(kind, strlen(kind))) {
	case HG_KIND_HYPERVISOR: case HG_KIND_FIRMWARE: case HG_KIND_BREAKGLASS:
		claim(s, HG_TV_EXECUTABLES, HG_AR_CONTRAINDICATED);
		break;
	case HG_KIND_IMAGE: case HG_KIND_OVERLAY:
		claim(s, HG_TV_FILE_SYSTEM, HG_AR_CONTRAINDICATED);
		break;
	case HG_KIND_CONFIG: case HG_KIND_NONE:
		claim(s, HG_TV_CONFIGURATION, HG_AR_CONTRAINDICATED);
		break;
	}
}

static void map_vector(struct hg_ear_submod *s, const int res[C_N], json_object *verdict,
		       json_object *failures)
{
	size_t n = failures ? json_object_array_length(failures) : 0;

	if (res[C_AK] == R_PASS && res[C_SIGNATURE] == R_PASS && res[C_ATTEST] == R_PASS &&
	    res[C_NONCE] == R_PASS && res[C_PCR_DIGEST] == R_PASS)
		claim(s, HG_TV_INSTANCE_IDENTITY, HG_AR_AFFIRMING);
	if (res[C_AK] == R_FAIL)
		claim(s, HG_TV_INSTANCE_IDENTITY, HG_AR_UNRECOGNIZED);
	if (res[C_DECODE] == R_FAIL || res[C_SIGNATURE] == R_FAIL || res[C_ATTEST] == R_FAIL ||
	    res[C_NONCE] == R_FAIL || res[C_PCR_DIGEST] == R_FAIL)
		claim(s, HG_TV_INSTANCE_IDENTITY, HG_AR_CRYPTO_FAILED);
	if (res[C_FIRMWARE] == R_PASS && json_object_object_get_ex(verdict, "firmware", NULL))
		claim(s, HG_TV_HARDWARE, HG_AR_AFFIRMING);
	if (res[C_FIRMWARE] == R_FAIL)
		claim(s, HG_TV_HARDWARE, HG_AR_CRYPTO_FAILED);
	if (res[C_BANKS] == R_FAIL || res[C_SELECTION] == R_FAIL)
		claim(s, HG_TV_CONFIGURATION, HG_AR_CONTRAINDICATED);
	if (res[C_LOG] == R_FAIL || res[C_REPLAY] == R_FAIL) {
		claim(s, HG_TV_EXECUTABLES, HG_AR_CRYPTO_FAILED);
		claim(s, HG_TV_CONFIGURATION, HG_AR_CRYPTO_FAILED);
		claim(s, HG_TV_FILE_SYSTEM, HG_AR_CRYPTO_FAILED);
	}
	if (res[C_PCRS] != R_SKIP && res[C_POLICY] != R_SKIP) {
		claim(s, HG_TV_EXECUTABLES, HG_AR_AFFIRMING);
		claim(s, HG_TV_CONFIGURATION, HG_AR_AFFIRMING);
		claim(s, HG_TV_FILE_SYSTEM, HG_AR_AFFIRMING);
	}
	for (size_t i = 0; i < n; i++)
		map_failure(s, json_object_array_get_idx(failures, i));
}

static int failed_record(json_object *failures, uint64_t rec)
{
	size_t n = failures ? json_object_array_length(failures) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *j;

		if (json_object_object_get_ex(json_object_array_get_idx(failures, i), "record", &j) &&
		    json_object_is_type(j, json_type_int) && (uint64_t)json_object_get_uint64(j) == rec)
			return 1;
	}
	return 0;
}

/* "measured": [{record, kind, name, digest: {bank: hex}}] into S. */
static int map_measured(struct hg_ear_submod *s, json_object *verdict, json_object *failures,
			char *err, size_t errlen)
{
	json_object *m;
	size_t n;

	if (!json_object_object_get_ex(verdict, "measured", &m))
		return 0;
	if (!json_object_is_type(m, json_type_array))
		return verr(err, errlen, "verdict: \"measured\" is not an array");
	n = json_object_array_length(m);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(m, i), *rj, *dj;
		const char *kind = str_of(e, "kind"), *name = str_of(e, "name");
		uint64_t rec;

		if (!kind || !name || !json_object_object_get_ex(e, "record", &rj) ||
		    !json_object_is_type(rj, json_type_int) || json_object_get_int64(rj) < 0 ||
		    !json_object_object_get_ex(e, "digest", &dj) ||
		    !json_object_is_type(dj, json_type_object))
			return verr(err, errlen, "verdict: measured[%zu] is not {record, kind, name, digest}", i);
		rec = json_object_get_uint64(rj);
		if (failed_record(failures, rec))
			continue;   /* out of policy: not vouched for */
		json_object_object_foreach(dj, bank, hexv) {
			const struct hg_bank *b = hg_bank_by_name(bank);
			const char *hex = json_object_is_type(hexv, json_type_string)
						  ? json_object_get_string(hexv) : NULL;
			struct hg_digest d = { 0 };
			uint8_t *raw = NULL;
			size_t rlen = 0;

			if (!b || !hex || hg_hex_decode(hex, HG_MAX_DIGEST, &raw, &rlen) < 0 ||
			    rlen != b->size) {
				free(raw);
				return verr(err, errlen, "verdict: measured[%zu]: digest \"%.16s\" is not a known bank's hex digest",
					    i, bank);
			}
			d.alg = b->alg;
			d.len = (uint8_t)rlen;
			memcpy(d.d, raw, rlen);
			free(raw);
			if (hg_ear_digest_add(s, kind, name, rec, &d) < 0)
				return verr(err, errlen, "verdict: measured[%zu]: more than %d digests, or a bad name",
					    i, HG_EAR_MAX_DIGESTS);
		}
	}
	return 0;
}

int hg_ear_add_verdict(struct hg_ear_claims *c, const char *submod,
		       json_object *verdict, const char *policy_id, char *err,
		       size_t errlen)
{
	json_object *j, *failures = NULL;
	const char *word;
	struct hg_ear_submod *s;
	int res[C_N], all_pass = 1, worst = 0;

	if (!json_object_is_type(verdict, json_type_object))
		return verr(err, errlen, "verdict is not a JSON object");
	if (!json_object_object_get_ex(verdict, "version", &j) ||
	    !json_object_is_type(j, json_type_int) || json_object_get_int(j) != VERDICT_VERSION)
		return verr(err, errlen, "verdict \"version\" is not %d", VERDICT_VERSION);
	word = str_of(verdict, "verdict");
	if (!word || (strcmp(word, "trusted") && strcmp(word, "untrusted") && strcmp(word, "invalid")))
		return verr(err, errlen, "verdict \"verdict\" is not trusted, untrusted or invalid");
	if (read_checks(verdict, res, err, errlen) < 0)
		return -1;
	if (json_object_object_get_ex(verdict, "failures", &failures) &&
	    !json_object_is_type(failures, json_type_array))
		return verr(err, errlen, "verdict \"failures\" is not an array");
	for (int i = 0; i < C_N; i++)
		all_pass &= res[i] == R_PASS;
	if (!strcmp(word, "trusted") &&
	    (!all_pass || (failures && json_object_array_length(failures) > 0)))
		return verr(err, errlen, "verdict says trusted but not every check passed");
	if (strcmp(word, "trusted") && all_pass)
		return verr(err, errlen, "verdict says %s but every check passed", word);
	if (policy_id && !policy_id[0])
		policy_id = NULL;
	s = hg_ear_submod_add(c, submod);
	if (!s)
		return verr(err, errlen, "submodule \"%.64s\": a duplicate, over %d, or out of memory",
			    submod, HG_EAR_MAX_SUBMODS);
	if (policy_id && !(s->policy_id = strdup(policy_id)))
		return verr(err, errlen, "out of memory");
	map_vector(s, res, verdict, failures);
	for (int i = 0; i < HG_TV_N; i++)
		worst = s->tv[i] > worst ? s->tv[i] : worst;
	s->status = !strcmp(word, "trusted") && worst < HG_AR_WARNING ? HG_EAR_AFFIRMING
								   : HG_EAR_CONTRAINDICATED;
	/* Only what the quote binds: the log verified and replayed. */
	if (res[C_LOG] == R_PASS && res[C_REPLAY] == R_PASS &&
	    map_measured(s, verdict, failures, err, errlen) < 0)
		return -1;
	return 0;
}

int hg_ear_from_verdict(json_object *verdict, const struct hg_ear_issue *opt,
			struct hg_ear_claims *out, char *err, size_t errlen)
{
	const char *name = opt->submod, *nonce;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (opt->ttl <= 0 || opt->ttl > HG_EAR_MAX_TTL ||
	    __builtin_add_overflow(opt->now, opt->ttl, &out->exp)) {
		verr(err, errlen, "the lifetime must be 1..%d seconds and end before 2^63",
		     HG_EAR_MAX_TTL);
		goto out;
	}
	out->iat = opt->now;
	out->developer = strdup(opt->verifier_id ? opt->verifier_id : "hostgate");
	out->build = strdup(opt->build ? opt->build : "hostgate-verify");
	if (!out->developer || !out->build) {
		verr(err, errlen, "out of memory");
		goto out;
	}
	nonce = json_object_is_type(verdict, json_type_object) ? str_of(verdict, "nonce") : NULL;
	if (nonce) {
		uint8_t *raw = NULL;
		size_t n = 0;

		if (hg_hex_decode(nonce, HG_EAR_NONCE_MAX, &raw, &n) < 0 || n < HG_EAR_NONCE_MIN) {
			free(raw);
			verr(err, errlen, "verdict \"nonce\" is not %d..%d bytes of hex",
			     HG_EAR_NONCE_MIN, HG_EAR_NONCE_MAX);
			goto out;
		}
		memcpy(out->nonce, raw, n);
		out->nonce_len = n;
		free(raw);
	}
	if (!name && json_object_is_type(verdict, json_type_object))
		name = str_of(verdict, "hostname");
	if (hg_ear_add_verdict(out, name ? name : "host", verdict, opt->policy_id, err, errlen) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		hg_ear_claims_free(out);
	return ret;
}

/* ---- the collector ------------------------------------------------------ */

struct hg_ear_rec {
	enum hg_kind kind;
	char *name;
	uint64_t record;
	struct hg_digests file;
};

/* By name alone: a later record of a scoped name supersedes an earlier
 * one whatever its kind (judge.h), and the judge fails a named workload
 * whose latest record is of another kind. */
static int in_scope(const struct hg_ear_collect *c, const char *name, size_t len)
{
	if (!c->scope || !c->nscope)
		return 1;
	for (size_t i = 0; i < c->nscope; i++)
		if (strlen(c->scope[i].name) == len && !memcmp(c->scope[i].name, name, len))
			return 1;
	return 0;
}

void hg_ear_collect_record(void *arg, const struct hg_cel_rec *rec)
{
	struct hg_ear_collect *c = arg;
	struct hg_ear_rec *e = NULL;

	if (c->oom || c->overflow || rec->type != HG_CT_FILE ||
	    memchr(rec->name, 0, rec->name_len))
		return;
	if (hg_kind_is_workload(rec->kind)) {
		if (!in_scope(c, rec->name, rec->name_len))
			return;
		/* The latest record of a workload's name supersedes, whatever
		 * the kinds (judge.h). */
		for (size_t i = 0; i < c->n && !e; i++)
			if (hg_kind_is_workload(c->v[i].kind) &&
			    strlen(c->v[i].name) == rec->name_len &&
			    !memcmp(c->v[i].name, rec->name, rec->name_len))
				e = &c->v[i];
		/* An overlay has no digest to vouch for: it only removes the
		 * name's earlier digests. */
		if (e && !hg_kind_hashed(rec->kind)) {
			c->ndigests -= e->file.n;
			free(e->name);
			memmove(e, e + 1, (size_t)(&c->v[c->n] - (e + 1)) * sizeof(*e));
			c->n--;
			return;
		}
	}
	if (!hg_kind_hashed(rec->kind))
		return;
	if (e) {
		c->ndigests -= e->file.n;
	} else {
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 16;
			struct hg_ear_rec *v = realloc(c->v, cap * sizeof(*v));

			if (!v) {
				c->oom = 1;
				return;
			}
			c->v = v;
			c->cap = cap;
		}
		e = &c->v[c->n];
		e->name = strndup(rec->name, rec->name_len);
		if (!e->name) {
			c->oom = 1;
			return;
		}
		c->n++;
	}
	e->kind = rec->kind;
	e->record = rec->recnum;
	e->file = rec->file;
	c->ndigests += rec->file.n;
	if (c->ndigests > HG_EAR_MAX_DIGESTS)
		c->overflow = 1;
}

void hg_ear_collect_free(struct hg_ear_collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = c->ndigests = 0;
	c->overflow = c->oom = 0;
}

static json_object *hexj(const uint8_t *p, size_t n)
{
	char buf[2 * HG_EAR_NONCE_MAX + 1];

	if (n > HG_EAR_NONCE_MAX)
		return NULL;
	hg_hex_encode(p, n, buf);
	return json_object_new_string(buf);
}

int hg_ear_verdict_add_measured(json_object *verdict, const struct hg_ear_collect *c)
{
	int res[C_N];
	char err[128];
	json_object *arr;

	if (c->oom || c->overflow)
		return -1;
	if (read_checks(verdict, res, err, sizeof(err)) < 0)
		return -1;
	if (res[C_LOG] != R_PASS || res[C_REPLAY] != R_PASS)
		return 0;
	arr = json_object_new_array();
	if (!arr)
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		const struct hg_ear_rec *e = &c->v[i];
		json_object *o = json_object_new_object(), *d = json_object_new_object();

		if (!o || !d) {
			json_object_put(o);
			json_object_put(d);
			json_object_put(arr);
			return -1;
		}
		json_object_object_add(o, "record", json_object_new_uint64(e->record));
		json_object_object_add(o, "kind", json_object_new_string(hg_kind_name(e->kind)));
		json_object_object_add(o, "name", json_object_new_string(e->name));
		for (size_t b = 0; b < e->file.n; b++) {
			const struct hg_bank *bk = hg_bank_by_alg(e->file.v[b].alg);

			if (bk)
				json_object_object_add(d, bk->name, hexj(e->file.v[b].d, e->file.v[b].len));
		}
		json_object_object_add(o, "digest", d);
		json_object_array_add(arr, o);
	}
	json_object_object_add(verdict, "measured", arr);
	return 0;
}

/* ---- the claims as JSON ------------------------------------------------- */

json_object *hg_ear_claims_json(const struct hg_ear_claims *c)
{
	json_object *o = json_object_new_object(), *vid = json_object_new_object(),
		    *subs = json_object_new_object();

	if (!o || !vid || !subs) {
		json_object_put(o);
		json_object_put(vid);
		json_object_put(subs);
		return NULL;
	}
	json_object_object_add(o, "eat_profile", json_object_new_string(HG_EAR_PROFILE));
	json_object_object_add(o, "iat", json_object_new_int64(c->iat));
	json_object_object_add(o, "exp", json_object_new_int64(c->exp));
	json_object_object_add(vid, "developer", json_object_new_string(c->developer ? c->developer : ""));
	json_object_object_add(vid, "build", json_object_new_string(c->build ? c->build : ""));
	json_object_object_add(o, "ear.verifier-id", vid);
	if (c->nonce_len)
		json_object_object_add(o, "eat_nonce", hexj(c->nonce, c->nonce_len));
	for (size_t i = 0; i < c->nsubmods; i++) {
		const struct hg_ear_submod *s = &c->submods[i];
		json_object *a = json_object_new_object(), *tv = json_object_new_object();
		const char *st = hg_ear_status_name(s->status);

		json_object_object_add(a, "ear.status", json_object_new_string(st ? st : "?"));
		for (int k = 0; k < HG_TV_N; k++)
			if (s->tv[k] != HG_AR_NO_CLAIM)
				json_object_object_add(tv, hg_ear_tv_name(k), json_object_new_int(s->tv[k]));
		if (json_object_object_length(tv))
			json_object_object_add(a, "ear.trustworthiness-vector", tv);
		else
			json_object_put(tv);
		if (s->policy_id)
			json_object_object_add(a, "ear.appraisal-policy-id",
					       json_object_new_string(s->policy_id));
		if (s->ndigests) {
			json_object *m = json_object_new_array();

			for (size_t k = 0; k < s->ndigests; k++) {
				const struct hg_ear_digest *d = &s->digests[k];
				const struct hg_bank *b = hg_bank_by_alg(d->alg);
				json_object *e = json_object_new_object();

				json_object_object_add(e, "kind", json_object_new_string(d->kind));
				json_object_object_add(e, "name", json_object_new_string(d->name));
				json_object_object_add(e, "record", json_object_new_uint64(d->record));
				json_object_object_add(e, "alg", json_object_new_string(b ? b->name : "?"));
				json_object_object_add(e, "digest", hexj(d->d, d->len));
				json_object_array_add(m, e);
			}
			json_object_object_add(a, "hostgate.measured", m);
		}
		json_object_object_add(subs, s->name, a);
	}
	json_object_object_add(o, "submods", subs);
	return o;
}
