/* enroll.c: hostgate-verify enroll, the verifier's half of enrollment
 * (README "Enrolling a host"; docs/enrollment.md).
 *
 *   enroll --host NAME --ca DIR [--ek rsa|ecc] [--replace] [--policy F]
 *          REQUEST [-o CHALLENGE]
 *     1. the request is read (64 KiB at most) and decoded exactly;
 *     2. the AK must be a restricted, fixedTPM signing key (lib/tpmpub.h)
 *        whose Name is the one the host sent;
 *     3. each EK certificate is checked against the trust anchors in DIR
 *        and against its EK's public area (verifier/ekverify.h); the
 *        first that passes (of the type --ek asks for) is used;
 *     4. a host already enrolled with another EK is refused unless
 *        --replace; so is a TPM (its EK key or its AK Name, tpmid.h)
 *        enrolled under another host name: one TPM, one host (issue 11
 *        item 7; CVE-2021-3406); --replace moves it;
 *     5. a random secret is sealed to that EK and bound to the AK's Name
 *        in software (verifier/makecred.h), and the challenge is kept
 *        in the registry with the secret's SHA-256, for --ttl seconds.
 *   enroll --finish RESPONSE
 *     the response's secret must hash to the challenge's; the challenge
 *     is spent either way (one answer per challenge: a replayed response
 *     or a second guess is refused), and the host is recorded. Step 4 is
 *     decided again under the registry's write lock: two challenges for
 *     one TPM under two names cannot both be finished.
 *
 * Exit codes: 0 done; 1 refused (the EK certificate, the AK or the EK
 * change is not acceptable); 2 usage or unreadable input; 3 invalid
 * message (malformed, unknown or spent challenge, wrong secret).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "../lib/digest.h"
#include "../lib/enrollmsg.h"
#include "../lib/text.h"
#include "../lib/tpmpub.h"
#include "../lib/util.h"
#include "cmds.h"
#include "ekverify.h"
#include "makecred.h"
#include "policy.h"
#include "registry/registry.h"
#include "tpmid.h"
#include "vstate.h"

#define DEFAULT_TTL 900
#define SECRET_LEN 32

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-verify enroll --host NAME --ca DIR [OPTIONS] REQUEST [-o CHALLENGE]\n"
		   "       hostgate-verify enroll --finish [--state DIR] RESPONSE\n\n"
		   "Enroll a host: check its EK certificate against the manufacturers'\n"
		   "CAs in DIR and challenge its TPM to prove that the AK lives beside\n"
		   "that EK (TPM2_MakeCredential, done here in software). The host\n"
		   "answers with hostgate-attest activate; --finish checks the answer\n"
		   "and records the host in the registry.\n\n"
		   "  --host NAME    the host's name in the registry ([A-Za-z0-9._-], 1..64)\n"
		   "  --ca DIR       trust anchors: root and intermediate CA certificates,\n"
		   "                 PEM or DER, one or more per file\n"
		   "  --ek rsa|ecc   challenge this kind of EK (default: the first whose\n"
		   "                 certificate passes, in the request's order)\n"
		   "  --replace      the host may have another EK than when it was\n"
		   "                 enrolled (a new TPM or mainboard), or the TPM\n"
		   "                 moves here from the host it is enrolled as\n"
		   "                 (that host is removed); recorded\n"
		   "  --policy FILE  a policy whose \"ek_certificates\" section allows\n"
		   "                 expired certificates or any EKU\n"
		   "  --ttl SECONDS  how long the challenge may be answered (default 900)\n"
		   "  -o FILE        write the challenge here (default stdout)\n"
		   "  --finish       check RESPONSE and record the host\n"
		   "  --state DIR    verifier state (HOSTGATE_VERIFY_STATE,\n"
		   "                 default " HV_DEFAULT_STATE "); the registry is\n"
		   "                 DIR/" HV_REGISTRY_FILE "\n"
		   "  --db DB        the registry: a SQLite file or a postgresql:// URI\n"
		   "                 (HOSTGATE_VERIFY_DB; default STATE/registry.sqlite)\n"
		   "  -h, --help     this text\n\n"
		   "Exit codes: 0 done, 1 refused, 2 usage or unreadable input,\n"
		   "3 invalid message (malformed, unknown or spent challenge, wrong secret).\n");
}

static int sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	struct hg_digest d;

	if (hg_hash(HG_ALG_SHA256, p, n, &d) < 0 || d.len != 32)
		return -1;
	memcpy(out, d.d, 32);
	return 0;
}

/* 1 if the two DER certificates carry the same public key (a re-issued
 * certificate for one EK), compared as OpenSSL reads them. */
static int same_key(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	const unsigned char *pa = a, *pb = b;
	X509 *xa = d2i_X509(NULL, &pa, (long)alen), *xb = d2i_X509(NULL, &pb, (long)blen);
	int eq = xa && xb && EVP_PKEY_eq(X509_get0_pubkey(xa), X509_get0_pubkey(xb)) == 1;

	X509_free(xa);
	X509_free(xb);
	return eq;
}

static void hex_line(const uint8_t *p, size_t n, char *out)
{
	hg_hex_encode(p, n, out);
}

/* Read an enrollment message file, capped: a larger file is an invalid
 * message (exit 3), not an unreadable one. */
static int read_msg(const char *path, uint8_t **buf, size_t *len)
{
	if (hg_read_file(path, HG_ENROLL_MAX_SIZE, 0, buf, len) < 0) {
		if (errno == EFBIG) {
			hg_err("%s: larger than 64 KiB: not an enrollment message", path);
			return HV_EXIT_INVALID;
		}
		hg_err("%s: %s", path, hg_strerror_read(errno));
		return HV_EXIT_USAGE;
	}
	return 0;
}

struct start_opts {
	const char *host, *ca, *policy, *out, *state, *req;
	int replace;
	uint16_t ek_type;        /* 0: any */
	unsigned long ttl;
};

/* Step 3: the EK to challenge. Returns 0 with *IDX, or an exit code. */
static int pick_ek(const struct start_opts *so, const struct hg_enroll_request *rq,
		   const struct hv_ca *ca, unsigned flags, TPM2B_PUBLIC *ek,
		   size_t *idx)
{
	char whybuf[256], kd[32];
	const char *why;
	int considered = 0;

	for (size_t i = 0; i < rq->n_eks; i++) {
		TPM2B_PUBLIC pub;
		size_t off = 0;
		const TPMA_OBJECT need = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
					 TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;

		memset(&pub, 0, sizeof(pub));
		if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(rq->ek_pub[i].p, rq->ek_pub[i].n,
						   &off, &pub) != 0 ||
		    off != rq->ek_pub[i].n) {
			hg_err("%s: EK %zu: public area is not exactly one TPM2B_PUBLIC",
			       so->req, i + 1);
			return HV_EXIT_INVALID;
		}
		if (so->ek_type && pub.publicArea.type != so->ek_type)
			continue;
		considered = 1;
		hg_tpm_pub_desc(&pub.publicArea, kd, sizeof(kd));
		if ((pub.publicArea.objectAttributes & need) != need ||
		    (pub.publicArea.objectAttributes & TPMA_OBJECT_SIGN_ENCRYPT)) {
			hg_err("%s: EK %zu (%s): not a restricted decryption key "
			       "fixed to its TPM", so->req, i + 1, kd);
			return HV_EXIT_UNTRUSTED;
		}
		if (hv_ek_cert_verify(ca, rq->ek_cert[i].p, rq->ek_cert[i].n, flags,
				      0, whybuf, sizeof(whybuf), &why) < 0) {
			hg_err("%s: EK %zu (%s): %s", so->req, i + 1, kd, why);
			return HV_EXIT_UNTRUSTED;
		}
		if (hv_ek_cert_matches(rq->ek_cert[i].p, rq->ek_cert[i].n, &pub,
				       whybuf, sizeof(whybuf), &why) < 0) {
			hg_err("%s: EK %zu (%s): %s", so->req, i + 1, kd, why);
			return HV_EXIT_UNTRUSTED;
		}
		*ek = pub;
		*idx = i;
		return 0;
	}
	if (!considered) {
		hg_err("%s: the request has no %s EK", so->req,
		       so->ek_type == TPM2_ALG_RSA ? "RSA" : "ECC");
		return HV_EXIT_UNTRUSTED;
	}
	return HV_EXIT_UNTRUSTED;
}

static int enroll_start(const struct start_opts *so)
{
	struct hg_enroll_request rq;
	struct hg_enroll_challenge chm;
	struct hv_challenge ch = { 0 };
	struct hv_host old = { 0 };
	struct hg_policy pol = { 0 };
	struct hv_ca *ca = NULL;
	struct hv_reg *reg = NULL;
	struct hg_ak ak = { 0 };
	char *holder = NULL;
	int by_ak = 0;
	TPM2B_PUBLIC ek;
	TPM2B_ID_OBJECT blob;
	TPM2B_ENCRYPTED_SECRET enc;
	uint8_t *in = NULL, *out = NULL, secret[SECRET_LEN], fpr[32];
	uint8_t blobbuf[sizeof(TPM2B_ID_OBJECT)], encbuf[sizeof(TPM2B_ENCRYPTED_SECRET)];
	uint8_t ekname[2 + 64];
	size_t inlen = 0, outlen = 0, idx = 0, bloblen = 0, enclen = 0, eknamelen;
	char whybuf[256], regpath[4096], hex[2 * 66 + 1], kd[32];
	const char *why;
	unsigned flags = 0;
	struct cw w;
	int r, ret = HV_EXIT_USAGE;

	cw_init(&w);
	if (so->policy) {
		if (hg_policy_load(so->policy, &pol) < 0)
			goto out;
		flags |= pol.ekc.allow_expired ? HV_EK_ALLOW_EXPIRED : 0;
		flags |= pol.ekc.allow_any_eku ? HV_EK_ALLOW_ANY_EKU : 0;
	}
	if (hv_ca_load(so->ca, &ca, whybuf, sizeof(whybuf), &why) < 0) {
		hg_err("--ca %s: %s", so->ca, why);
		goto out;
	}
	if ((ret = read_msg(so->req, &in, &inlen)) != 0)
		goto out;
	ret = HV_EXIT_INVALID;
	if (hg_enroll_request_decode(in, inlen, &rq, &why) < 0) {
		hg_err("%s: %s", so->req, why);
		goto out;
	}
	/* Step 2: the AK. Its attributes are what make its quotes mean
	 * anything; its Name is what the credential is bound to. */
	if (hg_ak_decode(rq.ak_pub.p, rq.ak_pub.n, &ak, &why) < 0) {
		hg_err("%s: AK: %s", so->req, why);
		ret = HV_EXIT_UNTRUSTED;
		goto out;
	}
	if (rq.ak_name.n != ak.name_len || memcmp(rq.ak_name.p, ak.name, ak.name_len)) {
		hg_err("%s: ak_name is not the Name of ak_pub", so->req);
		goto out;
	}
	if ((ret = pick_ek(so, &rq, ca, flags, &ek, &idx)) != 0)
		goto out;
	ret = HV_EXIT_USAGE;
	if (sha256(rq.ek_cert[idx].p, rq.ek_cert[idx].n, fpr) < 0)
		goto out;
	if (hv_ek_key_id(rq.ek_cert[idx].p, rq.ek_cert[idx].n, ch.ek_key, &why) < 0) {
		hg_err("%s: EK %zu: %s", so->req, idx + 1, why);
		ret = HV_EXIT_INVALID;
		goto out;
	}
	if (ak.name_len > sizeof(ch.ak_name)) {
		hg_err("%s: AK Name too long", so->req);
		ret = HV_EXIT_INVALID;
		goto out;
	}
	memcpy(ch.ak_name, ak.name, ak.name_len);
	ch.ak_name_len = ak.name_len;
	if (hv_registry_path(so->state, 1, regpath, sizeof(regpath)) < 0 ||
	    hv_reg_open(regpath, HV_REG_RDWR, &reg) < 0)
		goto out;
	/* Step 4, early: --finish checks again under the registry lock. */
	if ((r = hv_reg_host_get(reg, so->host, &old)) < 0)
		goto out;
	if (r == 1 && memcmp(old.ek_fpr, fpr, 32) && !so->replace) {
		hex_line(old.ek_fpr, 32, hex);
		if (same_key(old.ek_cert, old.ek_cert_len, rq.ek_cert[idx].p,
			     rq.ek_cert[idx].n))
			hg_err("%s: host %s is enrolled with another certificate "
			       "(sha256:%s) for the same EK; give --replace to "
			       "record the new one", so->req, so->host, hex);
		else
			hg_err("%s: host %s is enrolled with another EK (certificate "
			       "sha256:%s); give --replace if its TPM was changed",
			       so->req, so->host, hex);
		ret = HV_EXIT_UNTRUSTED;
		goto out;
	}
	/* Step 4, early, the TPM: --finish decides again under the lock. */
	if ((r = hv_reg_tpm_holder(reg, ch.ek_key, ch.ak_name, ch.ak_name_len,
				   so->host, &holder, &by_ak)) < 0)
		goto out;
	if (r == 1 && !so->replace) {
		if (by_ak) {
			hg_hex_encode(ch.ak_name, ch.ak_name_len, hex);
			hg_err("%s: the request's AK (Name %s) is enrolled as host %s: "
			       "one TPM, one host; give --replace to move it to "
			       "host %s", so->req, hex, holder, so->host);
		} else {
			hg_hex_encode(ch.ek_key, 32, hex);
			hg_err("%s: the request's EK (key sha256:%s) is enrolled as "
			       "host %s: one TPM, one host; give --replace to move "
			       "it to host %s", so->req, hex, holder, so->host);
		}
		ret = HV_EXIT_UNTRUSTED;
		goto out;
	}
	/* Step 5. */
	if (RAND_bytes(secret, sizeof(secret)) != 1 ||
	    RAND_bytes(ch.id, sizeof(ch.id)) != 1) {
		hg_err("enroll: no randomness");
		goto out;
	}
	if (hv_make_credential(&ek, ak.name, ak.name_len, secret, sizeof(secret),
			       NULL, 0, &blob, &enc, &why) < 0) {
		hg_err("%s: EK %zu: cannot make a credential: %s", so->req, idx + 1, why);
		ret = HV_EXIT_UNTRUSTED;
		goto out;
	}
	if (Tss2_MU_TPM2B_ID_OBJECT_Marshal(&blob, blobbuf, sizeof(blobbuf), &bloblen) != 0 ||
	    Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal(&enc, encbuf, sizeof(encbuf), &enclen) != 0 ||
	    hg_ak_name(rq.ek_pub[idx].p, rq.ek_pub[idx].n, ekname, &eknamelen, &why) < 0) {
		hg_err("enroll: cannot marshal the challenge");
		goto out;
	}
	ch.host = (char *)so->host;
	ch.replace = so->replace;
	if (sha256(secret, sizeof(secret), ch.secret_sha256) < 0)
		goto out;
	memcpy(ch.ek_fpr, fpr, 32);
	ch.ek_cert = (uint8_t *)rq.ek_cert[idx].p;
	ch.ek_cert_len = rq.ek_cert[idx].n;
	ch.ak_pub = (uint8_t *)rq.ak_pub.p;
	ch.ak_pub_len = rq.ak_pub.n;
	ch.created_at = (int64_t)time(NULL);
	ch.expires_at = ch.created_at + (int64_t)so->ttl;
	chm = (struct hg_enroll_challenge){
		.id = { ch.id, sizeof(ch.id) },
		.ek_name = { ekname, eknamelen },
		.ak_name = { ak.name, ak.name_len },
		.blob = { blobbuf, bloblen },
		.enc_secret = { encbuf, enclen },
	};
	if (hg_enroll_challenge_encode(&chm, &w) < 0) {
		hg_err("enroll: cannot encode the challenge");
		goto out;
	}
	out = cw_take(&w, &outlen);
	/* Stored before it is written: a challenge the host can answer is
	 * always one the registry knows. */
	if (hv_reg_challenge_add(reg, &ch) < 0 || hg_write_output(so->out, out, outlen, 0644) < 0)
		goto out;
	hg_tpm_pub_desc(&ek.publicArea, kd, sizeof(kd));
	hex_line(fpr, 32, hex);
	fprintf(so->out ? stdout : stderr,
		"challenge for host %s: EK %s, certificate sha256:%s; answer "
		"within %lu s with: hostgate-attest activate\n",
		so->host, kd, hex, so->ttl);
	ret = HV_EXIT_TRUSTED;
out:
	explicit_bzero(secret, sizeof(secret));
	free(holder);
	hv_host_free(&old);
	hv_reg_close(reg);
	hv_ca_free(ca);
	hg_ak_free(&ak);
	hg_policy_free(&pol);
	cw_free(&w);
	free(out);
	free(in);
	return ret;
}

static int enroll_finish(const char *state, const char *path)
{
	struct hg_enroll_response rs;
	struct hv_challenge ch = { 0 };
	struct hv_reg *reg = NULL;
	uint8_t *in = NULL, digest[32], old_fpr[32];
	size_t inlen = 0;
	char regpath[4096], idhex[2 * HV_CHALLENGE_ID_LEN + 1], hex[65], when[32];
	char *other = NULL, *moved_from = NULL;
	const char *why;
	time_t t;
	int r, by_ak = 0, ret;

	if ((ret = read_msg(path, &in, &inlen)) != 0)
		goto out;
	ret = HV_EXIT_INVALID;
	if (hg_enroll_response_decode(in, inlen, &rs, &why) < 0) {
		hg_err("%s: %s", path, why);
		goto out;
	}
	hg_hex_encode(rs.id.p, rs.id.n, idhex);
	ret = HV_EXIT_USAGE;
	if (hv_registry_path(state, 0, regpath, sizeof(regpath)) < 0 ||
	    hv_reg_open(regpath, HV_REG_RDWR, &reg) < 0)
		goto out;
	if ((r = hv_reg_challenge_get(reg, rs.id.p, &ch)) < 0)
		goto out;
	ret = HV_EXIT_INVALID;
	if (r == 0) {
		hg_err("%s: no challenge %s in the registry (never made here, or purged)",
		       path, idhex);
		goto out;
	}
	if (ch.answered_at) {
		t = (time_t)ch.answered_at;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		hg_err("%s: replayed response: challenge %s was already answered at %s",
		       path, idhex, when);
		goto out;
	}
	if (sha256(rs.secret.p, rs.secret.n, digest) < 0) {
		ret = HV_EXIT_USAGE;
		goto out;
	}
	if (CRYPTO_memcmp(digest, ch.secret_sha256, 32) != 0) {
		/* Spent: one answer per challenge, so it cannot be guessed at. */
		hv_reg_challenge_spend(reg, rs.id.p, (int64_t)time(NULL));
		hg_err("%s: wrong secret: the TPM that answered does not hold both "
		       "the EK and the AK of host %s's request (challenge %s is spent)",
		       path, ch.host, idhex);
		goto out;
	}
	memset(old_fpr, 0, sizeof(old_fpr));
	/* Who holds the TPM now, for the message only: the registry decides
	 * under its lock. */
	if (ch.replace && hv_reg_tpm_holder(reg, ch.ek_key, ch.ak_name,
					    ch.ak_name_len, ch.host, &moved_from,
					    NULL) < 0)
		goto out;
	r = hv_reg_enroll(reg, rs.id.p, (int64_t)time(NULL), old_fpr, &other,
			  &by_ak);
	switch (r) {
	case 0:
		break;
	case HV_ENROLL_UNKNOWN:
		hg_err("%s: no challenge %s in the registry", path, idhex);
		goto out;
	case HV_ENROLL_ANSWERED:
		hg_err("%s: replayed response: challenge %s was already answered",
		       path, idhex);
		goto out;
	case HV_ENROLL_EXPIRED:
		t = (time_t)ch.expires_at;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		hg_err("%s: challenge %s expired at %s; enroll again", path, idhex, when);
		goto out;
	case HV_ENROLL_EK_CHANGED:
		hg_err("%s: host %s was enrolled with another EK meanwhile; "
		       "enroll again with --replace", path, ch.host);
		ret = HV_EXIT_UNTRUSTED;
		goto out;
	case HV_ENROLL_TPM_ELSEWHERE:
		hg_err("%s: the %s of host %s's request was enrolled as host %s "
		       "meanwhile: one TPM, one host (challenge %s is spent); "
		       "enroll again with --replace to move it", path,
		       by_ak ? "AK" : "EK", ch.host, other ? other : "?", idhex);
		ret = HV_EXIT_UNTRUSTED;
		goto out;
	default:
		ret = HV_EXIT_USAGE;
		goto out;
	}
	hg_hex_encode(ch.ek_fpr, 32, hex);
	printf("enrolled host %s: EK certificate sha256:%s\n", ch.host, hex);
	if (ch.replace && memcmp(old_fpr, ch.ek_fpr, 32)) {
		static const uint8_t zero[32];

		if (memcmp(old_fpr, zero, 32)) {
			hg_hex_encode(old_fpr, 32, hex);
			printf("replaced EK certificate sha256:%s\n", hex);
		}
	}
	if (moved_from)
		printf("moved the TPM from host %s (removed)\n", moved_from);
	ret = HV_EXIT_TRUSTED;
out:
	free(other);
	free(moved_from);
	hv_challenge_free(&ch);
	hv_reg_close(reg);
	free(in);
	return ret;
}

int enroll_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "ca", required_argument, NULL, 'c' },
		{ "ek", required_argument, NULL, 'e' },
		{ "replace", no_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'p' },
		{ "ttl", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "finish", no_argument, NULL, 'f' },
		{ "state", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct start_opts so = { .ttl = DEFAULT_TTL };
	const char *state_opt = NULL;
	int c, finish = 0;

	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': so.host = optarg; break;
		case 'c': so.ca = optarg; break;
		case 'e':
			if (!strcmp(optarg, "rsa"))
				so.ek_type = TPM2_ALG_RSA;
			else if (!strcmp(optarg, "ecc"))
				so.ek_type = TPM2_ALG_ECC;
			else {
				hg_err("enroll: --ek \"%s\": not rsa or ecc", optarg);
				return HV_EXIT_USAGE;
			}
			break;
		case 'r': so.replace = 1; break;
		case 'p': so.policy = optarg; break;
		case 't':
			if (hg_parse_uint(optarg, 7 * 86400, &so.ttl) < 0 || so.ttl == 0) {
				hg_err("enroll: --ttl \"%s\": not 1..604800 seconds", optarg);
				return HV_EXIT_USAGE;
			}
			break;
		case 'o': so.out = optarg; break;
		case 'f': finish = 1; break;
		case 's': state_opt = optarg; break;
		case 'D': hv_registry_db_set(optarg); break;
		case 'h':
			usage(stdout);
			return HV_EXIT_TRUSTED;
		default:
			usage(stderr);
			return HV_EXIT_USAGE;
		}
	}
	so.state = hv_state_dir(state_opt);
	if (optind + 1 != argc) {
		hg_err("enroll: needs exactly one %s file", finish ? "RESPONSE" : "REQUEST");
		return HV_EXIT_USAGE;
	}
	if (finish) {
		if (so.host || so.ca || so.ek_type || so.replace || so.policy || so.out) {
			hg_err("enroll --finish: takes only --state, --db and the RESPONSE "
			       "(the challenge remembers the rest)");
			return HV_EXIT_USAGE;
		}
		return enroll_finish(so.state, argv[optind]);
	}
	if (!so.host || !so.ca) {
		hg_err("enroll: needs --host NAME and --ca DIR");
		return HV_EXIT_USAGE;
	}
	if (!hv_host_name_ok(so.host)) {
		/* Shown escaped: the operator's input, but printed. */
		char *e = hg_escape((const uint8_t *)so.host, strlen(so.host));

		hg_err("enroll: --host \"%s\": not 1..64 of [A-Za-z0-9._-], "
		       "starting with a letter or digit", e ? e : "?");
		free(e);
		return HV_EXIT_USAGE;
	}
	so.req = argv[optind];
	return enroll_start(&so);
}
