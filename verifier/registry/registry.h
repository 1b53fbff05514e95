/* registry.h: the verifier's host registry: which AK belongs to which
 * host, proven by credential activation against a certified EK (issue 6,
 * README "Enrolling a host"), and the enrollment challenges in flight.
 *
 * The one storage module: nothing else in hostgate-verify knows SQL. Two
 * backends behind this one header (verifier/registry/db.h): SQLite (one
 * file, by default STATE/registry.sqlite) and PostgreSQL (PATH a
 * postgresql:// or postgres:// URI; registry_pg.c, db_pg.c), for
 * verifiers sharing one fleet. The logic (registry_*.c) is written once.
 *
 * Schema: versioned (SQLite: PRAGMA user_version; PostgreSQL: the marker
 * table hostgate.registry); hv_reg_open() migrates an older registry
 * forward inside one transaction, and refuses one written by a newer
 * hostgate (its version is above HV_REG_SCHEMA) or one that is not a
 * hostgate registry, before anything is written.
 *
 * Contract:
 *  - Every function returns -1 after printing one hg_err() line naming
 *    the registry (the file, or the URI without its password) and the
 *    reason (the database's message included); lookups return 1 found /
 *    0 not found / -1 error.
 *  - Strings and byte buffers in structs filled by the registry are
 *    malloc'd and owned by the struct: hv_host_free() and
 *    hv_challenge_free() release them and accept zeroed structs.
 *  - Inputs are bound as SQL parameters, never formatted into SQL.
 *  - Writers take the database's one writer lock for the whole
 *    read-check-write (SQLite: BEGIN IMMEDIATE; PostgreSQL: a
 *    transaction-scoped advisory lock, db_pg.c), so two verifiers --
 *    processes or machines -- finishing the same challenge or taking the
 *    same nonce at once cannot both succeed. A busy database is waited
 *    for (5 s).
 *  - SQLite: the file and its journal are created mode 0600.
 *  - PostgreSQL: a lost connection fails the call that finds it and is
 *    made again by a later call (at most once a second); every call is
 *    bounded in time (db_pg.c).
 *
 * One TPM, one host (issue 11 item 7; cf. CVE-2021-3406): a TPM is known
 * by its EK's public key (ek_key: SHA-256 of the DER SubjectPublicKeyInfo,
 * so re-issued certificates and certificate encodings do not matter) and
 * by its AK's Name (ak_name). No two hosts may share either: an RSA EK
 * under one name and the ECC EK of the same TPM under another share the
 * AK. Schema 2 holds both with UNIQUE indexes, so even a writer that
 * skipped the checks could not store a second host on one TPM.
 *
 * History: every enrollment is a row of "enrollments"; every removal,
 * rename and move of a TPM to another host a row of "events". Neither is
 * ever deleted by hostgate.
 *
 * Schema 3 (issue 14, the verifier service): per host its attestation
 * state (trusted | untrusted | unreachable | unknown, since when, the last
 * verdict JSON and its failure count, the policy version it was judged
 * by), its agent URL and group, and an opaque blob of incremental-
 * verification state; a bounded verdict history per host; the push-mode
 * nonces (single use, short-lived, bound to the host they were issued
 * to); stored policies (name, version, SHA-256, JSON text) and their
 * assignments to hosts or groups. A host's removal deletes its state,
 * history, nonces and host assignment; a rename moves them. A
 * re-enrollment (a new AK) resets the state to unknown and drops the
 * incremental state: nothing judged under the old AK carries over.
 */
#ifndef HV_REGISTRY_H
#define HV_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#define HV_REG_SCHEMA 4
#define HV_HOST_NAME_MAX 64      /* [A-Za-z0-9._-], 1..64, not starting with '.' or '-' */
#define HV_CHALLENGE_ID_LEN 16
#define HV_AK_NAME_MAX 66        /* TPM2B_NAME of a key: nameAlg + digest */

struct hv_reg;

enum {
	HV_REG_RDONLY = 0,       /* the registry must exist; no writes */
	HV_REG_RDWR = 1,         /* create (mode 0600) and migrate if needed */
	HV_REG_RDWR_EXISTING = 2,   /* read-write, but it must exist (commands
				     * that change a registry never make one) */
};

int hv_reg_open(const char *path, int mode, struct hv_reg **out);
void hv_reg_close(struct hv_reg *reg);   /* accepts NULL */

/* 1 if NAME is a valid host name (see HV_HOST_NAME_MAX), else 0. */
int hv_host_name_ok(const char *name);

/* An enrolled host. */
struct hv_host {
	char *name;
	uint8_t ek_fpr[32];          /* SHA-256 of the EK certificate (DER) */
	uint8_t ek_key[32];          /* SHA-256 of the EK's SubjectPublicKeyInfo */
	uint8_t *ek_cert;            /* DER */
	size_t ek_cert_len;
	uint8_t *ak_pub;             /* TPM2B_PUBLIC as tpm2-tools -u writes it */
	size_t ak_pub_len;
	uint8_t ak_name[HV_AK_NAME_MAX];   /* the AK's Name */
	size_t ak_name_len;
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
	uint8_t ek_key[32];
	uint8_t *ek_cert;
	size_t ek_cert_len;
	uint8_t *ak_pub;
	size_t ak_pub_len;
	uint8_t ak_name[HV_AK_NAME_MAX];
	size_t ak_name_len;          /* 1..HV_AK_NAME_MAX */
	int64_t created_at;
	int64_t expires_at;
	int64_t answered_at;         /* 0 while pending */
};
void hv_challenge_free(struct hv_challenge *c);

int hv_reg_host_get(struct hv_reg *reg, const char *name, struct hv_host *out);

/* The host other than EXCEPT (may be NULL) enrolled on the TPM with
 * EK_KEY or AK_NAME: 1 with *HOLDER (malloc'd) and *BY_AK (1 when only
 * the AK matched), 0 none, -1 error. Advisory (enroll's early message):
 * hv_reg_enroll() decides again under the lock. */
int hv_reg_tpm_holder(struct hv_reg *reg, const uint8_t ek_key[32],
		      const uint8_t *ak_name, size_t ak_name_len,
		      const char *except, char **holder, int *by_ak);

/* Results of hv_reg_host_remove / hv_reg_host_rename beyond 0 and -1. */
enum {
	HV_HOST_UNKNOWN = 1,         /* no host of that name */
	HV_HOST_EXISTS,              /* the new name is taken */
};

/* Remove host NAME at time NOW (its history stays; an event row says
 * it was removed). */
int hv_reg_host_remove(struct hv_reg *reg, const char *name, int64_t now);
/* Rename host OLD to NEW at NOW: the host row and its enrollment history
 * move to NEW; an event row records the rename. Both must be valid host
 * names. */
int hv_reg_host_rename(struct hv_reg *reg, const char *old, const char *new,
		       int64_t now);

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
	HV_ENROLL_TPM_ELSEWHERE,     /* EK or AK enrolled under another host, no --replace */
};

/* Finish challenge ID at time NOW in one transaction: the challenge must
 * be pending and unexpired; it is marked answered whatever the outcome
 * below (one answer per challenge); if another host is enrolled on the
 * same TPM (its ek_key or ak_name) and the challenge was made without
 * --replace, nothing else changes and HV_ENROLL_TPM_ELSEWHERE is returned
 * with *OTHER (may be NULL; malloc'd) naming that host and *BY_AK set
 * when only the AK matched; with --replace each such host is removed
 * and a "tpm-moved" event recorded for it; if the host exists with another EK
 * fingerprint and the challenge was made without --replace, nothing else
 * changes and HV_ENROLL_EK_CHANGED is returned; otherwise the host row
 * is inserted or replaced (replacements + 1 when the EK changed; first
 * enrolled time kept) and a row is appended to the enrollment history.
 * The caller has already checked the secret against secret_sha256.
 * *OLD_FPR (may be NULL) receives the previous EK fingerprint when the
 * EK changed. */
int hv_reg_enroll(struct hv_reg *reg, const uint8_t id[HV_CHALLENGE_ID_LEN],
		  int64_t now, uint8_t old_fpr[32], char **other, int *by_ak);

/* Mark challenge ID answered without enrolling (a wrong secret: the
 * challenge is spent, so it cannot be guessed at). Returns 0, or one of
 * HV_ENROLL_UNKNOWN / HV_ENROLL_ANSWERED, or -1. */
int hv_reg_challenge_spend(struct hv_reg *reg,
			   const uint8_t id[HV_CHALLENGE_ID_LEN], int64_t now);

/* ---- schema 3: the verifier service (issue 14) ------------------------ */

/* A host's, a group's or a policy's name: hv_host_name_ok()'s rule. */
int hv_name_ok(const char *name);

enum hv_state {
	HV_STATE_UNKNOWN = 0,        /* never judged since enrolled (or re-enrolled) */
	HV_STATE_TRUSTED,
	HV_STATE_UNTRUSTED,          /* a verdict other than trusted: outside policy or invalid evidence */
	HV_STATE_UNREACHABLE,        /* the agent did not answer (transport error, timeout) */
	HV_NSTATES,
};
const char *hv_state_name(enum hv_state s);
/* 0 and *OUT, or -1 when S is no state name. */
int hv_state_parse(const char *s, enum hv_state *out);

#define HV_URL_MAX 512               /* an agent URL: https://..., printable ASCII */
#define HV_VERDICT_MAX (1u << 20)    /* a stored verdict's JSON text */
#define HV_INCR_MAX (16u << 20)      /* the incremental-verification blob */
#define HV_HISTORY_MAX 10000         /* the most verdicts kept per host */

/* What the service keeps about one enrolled host. */
struct hv_host_status {
	char *name;
	char *agent_url;             /* NULL: none (push mode only) */
	char *group;                 /* NULL: in no group */
	enum hv_state state;
	int64_t since;               /* unix seconds the state began (enrollment for unknown) */
	int64_t checked_at;          /* unix seconds of the last verdict, 0 never */
	uint32_t failures;           /* in the last verdict */
	char *verdict;               /* the last verdict's JSON, NULL never */
	char *judged_policy;         /* "NAME@VERSION" it was judged by, NULL never */
	char *policy;                /* "NAME@VERSION" assigned now (host, else group), NULL none */
	uint8_t *incr;               /* incremental-verification state, NULL none */
	size_t incr_len;
};
void hv_host_status_free(struct hv_host_status *s);

/* 1 found, 0 no such host, -1 error. WITH_INCR: read the blob too. */
int hv_reg_status_get(struct hv_reg *reg, const char *name, int with_incr,
		      struct hv_host_status *out);
/* CB for every host by name (without verdict text and blob: the fleet
 * listing stays cheap); stops and returns CB's non-zero value. */
int hv_reg_statuses(struct hv_reg *reg,
		    int (*cb)(const struct hv_host_status *s, void *arg),
		    void *arg);

/* Set (URL not NULL) or clear host NAME's agent URL: an https:// URL of
 * printable ASCII, at most HV_URL_MAX bytes (else -1, error printed).
 * 0, HV_HOST_UNKNOWN, or -1. */
int hv_reg_host_set_agent(struct hv_reg *reg, const char *name,
			  const char *url);
/* Set (GROUP not NULL, hv_name_ok) or clear host NAME's group. */
int hv_reg_host_set_group(struct hv_reg *reg, const char *name,
			  const char *group);

/* A verdict to record for a host. */
struct hv_judgement {
	enum hv_state state;
	int64_t at;                  /* unix seconds, > 0 */
	const char *verdict;         /* JSON text, at most HV_VERDICT_MAX; NULL for unreachable */
	uint32_t failures;
	const char *policy;          /* "NAME@VERSION", NULL when none */
	unsigned keep;               /* history rows to keep for the host, 1..HV_HISTORY_MAX */
	/* Schema 4 (may be NULL): the instance recording it, named in the
	 * history row. With LEASED, the verdict was made under INSTANCE's
	 * lease on the host and is recorded only while INSTANCE still holds
	 * it (else HV_LEASE_LOST, nothing written). */
	const char *instance;
	int leased;
	/* Schema 4 (may be NULL): on a change of state, an outbox row with
	 * this detail (a JSON object's text) is written in the same
	 * transaction (hv_reg_outbox_claim). */
	const char *event;
};
/* Record J for host NAME in one transaction: the state (since is kept
 * when the state did not change), the last verdict, one history row, and
 * the host's history cut to its newest J->keep rows. *WAS and *WAS_SINCE
 * (may be NULL) receive the state before. An unreachable judgement keeps
 * the last verdict and judged policy (the host said nothing new).
 * Durable against a crash of the process, but not flushed to disk on its
 * own (synchronous NORMAL): a power loss may lose the last verdicts
 * recorded, never the file's consistency; the next flushed transaction
 * (every other writer is synchronous FULL) carries them.
 * 0, HV_HOST_UNKNOWN, HV_LEASE_LOST (J->leased), or -1. */
int hv_reg_host_judged(struct hv_reg *reg, const char *name,
		       const struct hv_judgement *j, enum hv_state *was,
		       int64_t *was_since);

/* The history of host NAME, newest first, at most LIMIT rows: CB gets
 * each row's time, state and verdict JSON (NULL for unreachable).
 * 0 (also when the host has none), or CB's non-zero value, or -1. */
int hv_reg_history(struct hv_reg *reg, const char *name, unsigned limit,
		   int (*cb)(void *arg, int64_t at, enum hv_state state,
			     const char *verdict),
		   void *arg);

/* Replace host NAME's incremental state (BLOB NULL or LEN 0: clear it).
 * 0, HV_HOST_UNKNOWN, or -1. */
int hv_reg_incr_set(struct hv_reg *reg, const char *name,
		    const uint8_t *blob, size_t len);

/* Push-mode nonces: issued to one host, used once, before they expire. */
#define HV_NONCE_BYTES 32
enum {
	HV_NONCE_UNKNOWN = 1,        /* never issued by this registry (or long purged) */
	HV_NONCE_USED,               /* already consumed: a replay */
	HV_NONCE_EXPIRED,            /* issued, past its expiry, unused */
	HV_NONCE_FOREIGN,            /* issued to another host */
	HV_NONCE_TOO_MANY,           /* the host has MAX unexpired unused nonces */
};
/* Store NONCE (HV_NONCE_BYTES) for HOST, valid NOW..NOW+TTL. Refused
 * with HV_NONCE_TOO_MANY when HOST already holds MAX unused, unexpired
 * ones. Nonces expired more than an hour ago are purged in the same
 * transaction. 0, HV_NONCE_TOO_MANY, HV_HOST_UNKNOWN, or -1. */
int hv_reg_nonce_add(struct hv_reg *reg, const uint8_t *nonce,
		     const char *host, int64_t now, int64_t ttl, unsigned max);
/* Consume NONCE for HOST at NOW, atomically (one transaction under the
 * write lock): 0 consumed; HV_NONCE_UNKNOWN, _USED, _EXPIRED or _FOREIGN
 * and nothing changes; -1 error. A foreign attempt does not spend the
 * nonce: its host may still use it. */
int hv_reg_nonce_take(struct hv_reg *reg, const uint8_t *nonce,
		      const char *host, int64_t now);

/* Stored policies: versions 1, 2, ... per name; the text is the policy's
 * JSON as given (verifier/policy.h parses it), its SHA-256 kept beside. */
#define HV_POLICY_TEXT_MAX (16u << 20)
struct hv_policy_rec {
	char *name;
	int64_t version;
	uint8_t sha256[32];
	char *text;                  /* NUL-terminated; text_len bytes */
	size_t text_len;
	int64_t added_at;
};
void hv_policy_rec_free(struct hv_policy_rec *p);
enum {
	HV_POLICY_UNKNOWN = 10,      /* no policy of that name */
};
/* Store TEXT as policy NAME's next version at NOW; a text identical to
 * the latest version's is not stored again (*UNCHANGED = 1). *VERSION
 * gets the latest version. The caller has parsed TEXT. 0 or -1. */
int hv_reg_policy_add(struct hv_reg *reg, const char *name, const char *text,
		      size_t len, int64_t now, int64_t *version,
		      int *unchanged);
/* Policy NAME at VERSION (0: the latest). 1, 0 none, -1. */
int hv_reg_policy_get(struct hv_reg *reg, const char *name, int64_t version,
		      struct hv_policy_rec *out);
/* The latest version of every policy, by name, without text. */
int hv_reg_policies(struct hv_reg *reg,
		    int (*cb)(const struct hv_policy_rec *p, void *arg),
		    void *arg);

enum hv_assign_kind { HV_ASSIGN_HOST, HV_ASSIGN_GROUP };
/* Assign policy NAME to host or group TARGET at NOW (replacing what it
 * had). 0, HV_POLICY_UNKNOWN, HV_HOST_UNKNOWN (a host target), or -1. */
int hv_reg_policy_assign(struct hv_reg *reg, const char *name,
			 enum hv_assign_kind kind, const char *target,
			 int64_t now);
/* Every assignment, hosts then groups, by target. */
int hv_reg_assignments(struct hv_reg *reg,
		       int (*cb)(void *arg, enum hv_assign_kind kind,
				 const char *target, const char *policy),
		       void *arg);
/* The policy that judges host NAME: its own assignment, else its
 * group's; the latest version. 1 with *OUT, 0 none assigned, -1. */
int hv_reg_host_policy(struct hv_reg *reg, const char *name,
		       struct hv_policy_rec *out);

/* A number that changes when another connection changes the registry
 * (the service's cue to look for host and policy changes made by the CLI
 * or another verifier). SQLite: any commit to the file by another
 * connection; PostgreSQL: a commit that changed hosts, their agent or
 * group, policies or assignments (not verdicts, not incremental state),
 * read from the server at most every 250 ms. */
int hv_reg_data_version(struct hv_reg *reg, int64_t *out);

/* ---- schema 4: several serve instances on one registry (issue 15) ----
 * (registry_share.c; the rules in docs/fleet.md). Every instance names
 * itself (hv_instance_id_ok) and heartbeats; a host is pulled by the
 * instance that claims its lease, a time-bounded row lock the database
 * grants to one claimer; state-change events go through a durable
 * outbox whose rows are leased to one deliverer. Times are Unix
 * milliseconds (the instances' clocks are assumed in step, NTP). */

#define HV_INSTANCE_ID_MAX 128   /* [A-Za-z0-9._:@-], 1..128 bytes */
enum {
	HV_LEASE_LOST = 20,          /* another instance holds the host's lease */
};
int hv_instance_id_ok(const char *id);

/* Wait at most MS for a statement (SQLite: the busy timeout; 5 s from
 * hv_reg_open; PostgreSQL: lock_timeout, 5 s from hv_reg_open, the
 * statement itself bounded by statement_timeout 10 s): a service bounds
 * how long a registry held by another writer, or gone, can stall its
 * loop. 0 or -1. */
int hv_reg_set_timeout(struct hv_reg *reg, unsigned ms);

/* The wall time this handle has spent in database calls since it was
 * opened (*NS) and their number (*CALLS): statement steps and prepares,
 * transaction begin/commit/rollback (db.h). For the service's
 * hostgate_registry_seconds_total; never fails. */
void hv_reg_db_time(const struct hv_reg *reg, uint64_t *ns, uint64_t *calls);

/* Instance ID is alive at NOW: its row inserted (STARTED) or its
 * heartbeat moved to NOW; the outbox rows it holds are renewed to
 * NOW + OUTBOX_LEASE; instances silent for a day are forgotten. */
int hv_reg_heartbeat(struct hv_reg *reg, const char *id, int64_t started,
		     int64_t now, int64_t outbox_lease);
/* CB for every instance whose heartbeat is after NOW - LIVE, by id. */
int hv_reg_instances_live(struct hv_reg *reg, int64_t now, int64_t live,
			  int (*cb)(void *arg, const char *id), void *arg);
/* Instance ID leaves: its row goes, the host and outbox leases it holds
 * are released (at a clean stop, and at a start under the same id). */
int hv_reg_instance_leave(struct hv_reg *reg, const char *id);

/* Claim the leases of hosts NAMES[0..N-1] for ID until NOW + LEASE, in
 * one transaction: host i is granted (GRANTED[i] = 1) when its lease
 * has ended (lease_until <= NOW) or ID holds it already (renewed
 * early), or whatever it is when FORCE (an on-demand attestation); else GRANTED[i] = 0 and UNTIL[i] (may be
 * NULL) says when the holder's lease ends (0: no such host). 0 or -1. */
int hv_reg_lease_claim(struct hv_reg *reg, const char *id,
		       const char *const *names, size_t n, int64_t now,
		       int64_t lease, int force, uint8_t *granted,
		       int64_t *until);
/* CB for every host whose lease ended before BEFORE (a lapsed lease:
 * its holder did not renew it), by name. Never-leased hosts are not
 * listed. */
int hv_reg_leases_lapsed(struct hv_reg *reg, int64_t before,
			 int (*cb)(void *arg, const char *name), void *arg);

/* A state-change event waiting in the outbox. */
struct hv_outbox_row {
	int64_t id;
	char *host;
	enum hv_state from, to;
	int64_t at, since;           /* unix seconds */
	char *detail;                /* a JSON object's text */
	uint32_t claims;             /* deliveries started, this one included */
};
/* Claim up to MAX outbox rows whose lease has ended, oldest first, for
 * ID until NOW + LEASE, in one transaction, then CB each (its strings
 * are freed after CB). 0 or -1. */
int hv_reg_outbox_claim(struct hv_reg *reg, const char *id, int64_t now,
			int64_t lease, unsigned max,
			int (*cb)(void *arg, const struct hv_outbox_row *r),
			void *arg);
/* Outbox row ROW is done (delivered, or given up): deleted, if ID still
 * holds it. 0 or -1. */
int hv_reg_outbox_done(struct hv_reg *reg, int64_t row, const char *id);

#endif
