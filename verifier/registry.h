/* registry.h: the verifier's host registry: which AK belongs to which
 * host, proven by credential activation against a certified EK (issue 6,
 * README "Enrolling a host"), and the enrollment challenges in flight.
 *
 * The one storage module: nothing else in hostgate-verify knows SQL. The
 * embedded backend is SQLite (one file, by default STATE/registry.sqlite);
 * a PostgreSQL backend for verifiers sharing one fleet would implement
 * this same header.
 *
 * Schema: versioned with PRAGMA user_version; hv_reg_open() migrates an
 * older file forward inside one transaction, and refuses a file written
 * by a newer hostgate (its version is above HV_REG_SCHEMA) or one that is
 * not a hostgate registry.
 *
 * Contract:
 *  - Every function returns -1 after printing one hg_err() line naming
 *    the registry file and the reason (SQLite's message included);
 *    lookups return 1 found / 0 not found / -1 error.
 *  - Strings and byte buffers in structs filled by the registry are
 *    malloc'd and owned by the struct: hv_host_free() and
 *    hv_challenge_free() release them and accept zeroed structs.
 *  - Inputs are bound as SQL parameters, never formatted into SQL.
 *  - Writers take the database lock for the whole read-check-write
 *    (BEGIN IMMEDIATE), so two verifiers finishing the same challenge at
 *    once cannot both succeed. A busy database is waited for (5 s).
 *  - The file and its journal are created mode 0600.
 */
#ifndef HV_REGISTRY_H
#define HV_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#define HV_REG_SCHEMA 1
#define HV_HOST_NAME_MAX 64      /* [A-Za-z0-9._-], 1..64, not starting with '.' or '-' */
#define HV_CHALLENGE_ID_LEN 16

struct hv_reg;

enum {
	HV_REG_RDONLY = 0,       /* the file must exist; no writes */
	HV_REG_RDWR = 1,         /* create (mode 0600) and migrate if needed */
};

int hv_reg_open(const char *path, int mode, struct hv_reg **out);
void hv_reg_close(struct hv_reg *reg);   /* accepts NULL */

/* 1 if NAME is a valid host name (see HV_HOST_NAME_MAX), else 0. */
int hv_host_name_ok(const char *name);

/* An enrolled host. */
struct hv_host {
	char *name;
	uint8_t ek_fpr[32];          /* SHA-256 of the EK certificate (DER) */
	uint8_t *ek_cert;            /* DER */
	size_t ek_cert_len;
	uint8_t *ak_pub;             /* TPM2B_PUBLIC as tpm2-tools -u writes it */
	size_t ak_pub_len;
	int64_t enrolled_at;         /* unix seconds, this AK's enrollment */
	int64_t first_enrolled_at;   /* unix seconds, the host's first */
	uint32_t replacements;       /* times the EK was replaced (--replace) */
};
void hv_host_free(struct hv_host *h);

/* A challenge sent, waiting for its response. */
struct hv_challenge {
	uint8_t id[HV_CHALLENGE_ID_LEN];   /* random, names the challenge */
	char *host;
	int replace;                 /* --replace was given at enroll */
	uint8_t secret_sha256[32];   /* SHA-256 of the secret; the secret itself is not stored */
	uint8_t ek_fpr[32];
	uint8_t *ek_cert;
	size_t ek_cert_len;
	uint8_t *ak_pub;
	size_t ak_pub_len;
	int64_t created_at;
	int64_t expires_at;
	int64_t answered_at;         /* 0 while pending */
};
void hv_challenge_free(struct hv_challenge *c);

int hv_reg_host_get(struct hv_reg *reg, const char *name, struct hv_host *out);

/* Calls CB for every host, ordered by name; stops and returns CB's value
 * if it is non-zero. */
int hv_reg_hosts(struct hv_reg *reg,
		 int (*cb)(const struct hv_host *h, void *arg), void *arg);

/* Store a new challenge (its answered_at is ignored: stored as 0). The id
 * must be new. Challenges answered or expired more than a day ago are
 * deleted in the same transaction. */
int hv_reg_challenge_add(struct hv_reg *reg, const struct hv_challenge *c);

int hv_reg_challenge_get(struct hv_reg *reg,
			 const uint8_t id[HV_CHALLENGE_ID_LEN],
			 struct hv_challenge *out);

/* Results of hv_reg_enroll, beyond 0 (enrolled) and -1 (error printed). */
enum {
	HV_ENROLL_UNKNOWN = 1,       /* no such challenge (or purged) */
	HV_ENROLL_ANSWERED,          /* already answered: a replayed response */
	HV_ENROLL_EXPIRED,           /* past expires_at */
	HV_ENROLL_EK_CHANGED,        /* host enrolled with another EK, no --replace */
};

/* Finish challenge ID at time NOW in one transaction: the challenge must
 * be pending and unexpired; it is marked answered whatever the outcome
 * below (one answer per challenge); if the host exists with another EK
 * fingerprint and the challenge was made without --replace, nothing else
 * changes and HV_ENROLL_EK_CHANGED is returned; otherwise the host row
 * is inserted or replaced (replacements + 1 when the EK changed; first
 * enrolled time kept) and a row is appended to the enrollment history.
 * The caller has already checked the secret against secret_sha256.
 * *OLD_FPR (may be NULL) receives the previous EK fingerprint when the
 * EK changed. */
int hv_reg_enroll(struct hv_reg *reg, const uint8_t id[HV_CHALLENGE_ID_LEN],
		  int64_t now, uint8_t old_fpr[32]);

/* Mark challenge ID answered without enrolling (a wrong secret: the
 * challenge is spent, so it cannot be guessed at). Returns 0, or one of
 * HV_ENROLL_UNKNOWN / HV_ENROLL_ANSWERED, or -1. */
int hv_reg_challenge_spend(struct hv_reg *reg,
			   const uint8_t id[HV_CHALLENGE_ID_LEN], int64_t now);

#endif
