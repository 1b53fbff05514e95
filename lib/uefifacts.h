/* uefifacts.h: what a firmware event log says about the platform, for the
 * verifier's verdict and its firmware policy (issue 5), and the decoders
 * behind it.
 *
 * The facts, from the events lib/uefilog.h yields:
 *   - Secure Boot: the events on PCR 7 whose bound content decodes as
 *     the SecureBoot, PK, KEK, db and dbx variables, whatever their type;
 *   - boot applications: every digest extended into PCR 4 that is not the
 *     hash of a harmless datum, whatever its event's type, in log order,
 *     with the file path of its device path when that path is simple
 *     (the log's claim: shown, never judged);
 *   - separators: which of PCRs 0-7 have an EV_SEPARATOR, and of what kind;
 *   - digest mismatches: events of a type whose digest the spec defines as
 *     the hash of the event data, whose logged digest is not.
 *
 * Trust: a quote binds only the digests extended into each quoted PCR of
 * each quoted bank, in order (the verifier's replay checks that), and the
 * content of an event whose data hashes to such a digest. Event types,
 * digests in other banks, the Spec ID event and data that does not hash
 * to its digest are the host's claims. So (hg_uefi_facts_bound()):
 *   - only the bound (bank, PCR) pairs count;
 *   - a variable fact comes only from an event whose data hashes to its
 *     digest in every bound bank, decoded from that data, never from the
 *     type; an event that is not so bound gives no fact, and on PCR 7 it
 *     makes every variable fact unknown (it could be any of them);
 *   - a rule about what ran judges every digest of its PCR, whatever the
 *     type, but those of known-harmless data (hg_uefi_harmless()).
 *
 * Which event types hash their data (TCG PC Client PFP r1.05 §10.4.1,
 * "Event Types", and the sections it points to):
 *   EV_SEPARATOR            the 4-byte separator value (§10.4.1; an error
 *                           separator hashes UINT32 1 instead and its data
 *                           is error information: PFP "Error
 *                           Conditions", §2.3.2 in revision 00.51)
 *   EV_ACTION, EV_EFI_ACTION  the ASCII string (§10.4.3)
 *   EV_S_CRTM_VERSION       the version string
 *   EV_OMIT_BOOT_DEVICE_EVENTS  the string "BOOT ATTEMPTS OMITTED"
 *   EV_EFI_VARIABLE_DRIVER_CONFIG, EV_EFI_VARIABLE_BOOT2,
 *   EV_EFI_VARIABLE_AUTHORITY   the whole UEFI_VARIABLE_DATA (§10.4.2)
 *   EV_EFI_VARIABLE_BOOT    VariableData only (PFP; EDK2's Tcg2Dxe does
 *                           this), or the whole UEFI_VARIABLE_DATA (what
 *                           other firmware does): either is accepted
 *   EV_EFI_GPT_EVENT        the UEFI_GPT_DATA
 * Not judged: code and table measurements (the digest is of an image or a
 * table in memory, not of the event data), EV_NO_ACTION (never extended),
 * EV_EFI_HCRTM_EVENT, and the types whose digest the spec leaves to the
 * software that logs them (EV_IPL, EV_EVENT_TAG, EV_COMPACT_HASH,
 * EV_PLATFORM_CONFIG_FLAGS, EV_TABLE_OF_DEVICES, EV_NONHOST_*).
 *
 * Code: the decoders and hg_uefi_digest_check() in uefifacts.c, the facts
 * in uefifacts_bound.c.
 *
 * Contract: decoders borrow their input and allocate nothing, except the
 * two that return a fresh string the caller frees. hg_uefi_facts() owns
 * what it allocates in F until hg_uefi_facts_free(), which accepts a
 * zeroed struct. Allocations are bounded by the log (at most one boot
 * application or mismatch per event).
 */
#ifndef HG_UEFIFACTS_H
#define HG_UEFIFACTS_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "uefilog.h"

/* ---- decoders -------------------------------------------------------- */

/* UTF-16LE to UTF-8, bounded by UNITS code units (2 bytes each; the
 * input must hold 2 * UNITS bytes). An unpaired surrogate becomes U+FFFD.
 * What could fool a reader or a terminal is escaped by the one rule of
 * lib/text.h (hg_cp_unsafe(): C0, DEL, C1, bidi controls, zero-width
 * characters, line/paragraph separators) and '\', as hg_esc_cp() writes
 * them ("\xNN" below 0x80, else "\uNNNN"). NUL is
 * a control like any other: the caller strips a terminator it expects.
 * Returns a fresh NUL-terminated string, or NULL when out of memory. */
char *hg_utf16le_to_utf8(const uint8_t *p, size_t units);

/* EFI_GUID as text, "8be4df61-93ca-11d2-aa0d-00e098032b8c" (UEFI 2.x
 * Appendix A: three little-endian fields, then 8 bytes in order). */
#define HG_GUID_STR_LEN 37
void hg_uefi_guid_str(const uint8_t guid[16], char out[HG_GUID_STR_LEN]);

/* UEFI_VARIABLE_DATA (PFP r1.05 §10.4.2), exactly:
 *   EFI_GUID VariableName (16), UINT64 UnicodeNameLength (in CHAR16),
 *   UINT64 VariableDataLength, CHAR16 UnicodeName[UnicodeNameLength],
 *   BYTE VariableData[VariableDataLength]
 * and nothing after. Pointers borrow P. */
struct hg_uefi_var {
	uint8_t guid[16];
	const uint8_t *name;        /* UTF-16LE, name_units code units */
	size_t name_units;
	const uint8_t *data;        /* VariableData */
	size_t data_len;
};

/* 0, or -1 with *WHY one of (tests/unit/test_uefifacts.c pins them):
 *   "shorter than the 32-byte UEFI_VARIABLE_DATA header"
 *   "UnicodeNameLength runs past the end of the event data"
 *   "VariableDataLength runs past the end of the event data"
 *   "trailing bytes after VariableData" */
int hg_uefi_var_decode(const uint8_t *p, size_t len, struct hg_uefi_var *v,
		       const char **why);

/* 1 when V is the variable GUID:NAME (NAME in ASCII; exact, no NUL). */
int hg_uefi_var_is(const struct hg_uefi_var *v, const uint8_t guid[16],
		   const char *name);

extern const uint8_t hg_efi_global_variable_guid[16];    /* SecureBoot, PK, KEK */
extern const uint8_t hg_efi_image_security_db_guid[16];  /* db, dbx */

/* The file path of a UEFI_IMAGE_LOAD_EVENT (PFP r1.05 §10.4:
 * ImageLocationInMemory, ImageLengthInMemory, ImageLinkTimeAddress,
 * LengthOfDevicePath, each UINT64, then the device path, exactly). The
 * device path's nodes (UEFI 2.x §10.3.1: Type, SubType, UINT16 Length
 * including the header) are walked with bounds up to the End Entire node,
 * which must close the path. The path is the text of its File Path Media
 * nodes (Type 4, SubType 4, a NUL-terminated UTF-16 PathName, §10.3.5.4),
 * joined with '\' where a path is split over nodes. 0 with a fresh string
 * in *OUT; -1 with *WHY when the path is not simple:
 *   "shorter than the 32-byte UEFI_IMAGE_LOAD_EVENT header"
 *   "LengthOfDevicePath runs past the end of the event data"
 *   "trailing bytes after the device path"
 *   "empty device path"
 *   "device path node shorter than its header"
 *   "device path node runs past the end of the device path"
 *   "bytes after the device path's end node"
 *   "device path has no end node"
 *   "device path has more than one instance"
 *   "device path has no file path node"
 *   "file path node of odd length"
 *   "file path has control characters" (what the UTF-16 conversion
 *                                       would escape: a path is shown
 *                                       as it is, or not at all)
 *   "out of memory" */
int hg_uefi_image_path(const uint8_t *p, size_t len, char **out,
		       const char **why);

/* Whether EV's digests are the hash of its data, for the types listed
 * above: 1 every known bank agrees, 0 some bank does not (its algorithm
 * in *ALG, when ALG is not NULL), -1 the type is not judged or the event
 * has no known bank. An error separator (digest of UINT32 1) agrees. */
int hg_uefi_digest_check(const struct hg_uefi_event *ev, uint16_t *alg);

/* 1 when D is its algorithm's hash of the LEN bytes at DATA. */
int hg_uefi_digest_is(const struct hg_digest *d, const void *data, size_t len);

/* ---- facts ----------------------------------------------------------- */

enum hg_uefi_sbvar {
	HG_SBVAR_SECUREBOOT,
	HG_SBVAR_PK,
	HG_SBVAR_KEK,
	HG_SBVAR_DB,
	HG_SBVAR_DBX,
	HG_SBVAR_N,
};

/* "SecureBoot", "PK", "KEK", "db", "dbx". */
const char *hg_uefi_sbvar_name(enum hg_uefi_sbvar v);

/* Which extend sequences a quote binds: bank ALG[i]'s PCRs PCRS[i] (a
 * bit per PCR). The verifier sets, per quoted bank the log has, the PCRs
 * whose replay it compared with the quote and found equal; nothing else
 * the log says (other banks, other PCRs) is the host's but its claim. */
struct hg_uefi_bound {
	size_t n;
	uint16_t alg[HG_MAX_BANKS];
	uint32_t pcrs[HG_MAX_BANKS];
};

/* A Secure Boot variable: every event on PCR 7, whatever its type (the
 * type is not extended, so not bound), whose *bound content* decodes as
 * this variable (GUID and name). The bound content of an event is the
 * data that its digests in every bound bank are the hash of: the whole
 * event data, or (shim's "Shim" EV_EFI_VARIABLE_AUTHORITY quirk) all of
 * it but the last byte; an event with neither gives no fact. For db, an
 * event whose VariableData is not a list of EFI_SIGNATURE_LISTs (an
 * EV_EFI_VARIABLE_AUTHORITY's EFI_SIGNATURE_DATA, the db entry that
 * verified an image) is not the db variable. Two such events with other
 * digests make the fact ambiguous (conflict): which value counts? */
struct hg_uefi_varfact {
	long event;                  /* the first; -1: not in the log */
	struct hg_digests digests;   /* its digests in the bound banks */
	int matches_data;            /* always 1: only bound events count */
	int conflict;                /* logged again with other digests */
	const uint8_t *value;        /* VariableData, borrowed from the log */
	size_t value_len;
};

enum hg_uefi_sep {
	HG_SEP_NONE,                 /* no EV_SEPARATOR on this PCR */
	HG_SEP_NORMAL,               /* data 00000000, digest its hash */
	HG_SEP_NORMAL_FF,            /* data FFFFFFFF, digest its hash (the
				      * TPM 1.2 BIOS spec's value, still
				      * valid in PFP) */
	HG_SEP_ERROR,                /* digest of UINT32 1: firmware error */
	HG_SEP_BAD,                  /* other data, or digest not its hash */
};

/* Something that ran from PCR 4: every event extended into a bound bank
 * of PCR 4, whatever its type, but those whose digest in every bound bank
 * is the hash of a datum known to be harmless (hg_uefi_harmless()). */
struct hg_uefi_bootapp {
	size_t event;
	uint32_t type;               /* as logged: NOT bound, shown only */
	struct hg_digests digests;   /* its digests in the bound banks */
	char *path;                  /* NULL: not a simple path ("?") */
	const char *path_why;        /* why not, when path is NULL */
};

struct hg_uefi_mismatch {
	size_t event;
	uint32_t pcr;
	uint32_t type;
	uint16_t alg;                /* the first bank that disagrees */
};

struct hg_uefi_facts {
	int secure_boot;             /* 1 enabled, 0 disabled, -1 unknown */
	const char *secure_boot_why; /* when unknown */
	struct hg_uefi_varfact var[HG_SBVAR_N];
	/* The first event extended into a bound bank of PCR 7 that has no
	 * bound content and is not harmless: it could be any variable (the
	 * real SecureBoot, hidden behind data that does not hash to its
	 * digest), so no PCR 7 variable fact stands (var[] all -1, and
	 * secure_boot unknown); -1: none. */
	long pcr7_unbound;
	size_t napps;
	struct hg_uefi_bootapp *apps;
	enum hg_uefi_sep sep[8];     /* PCRs 0-7; the first separator's kind */
	size_t nmismatch;
	struct hg_uefi_mismatch *mismatch;
};

/* Gather F from the log in BUF (which F borrows: keep BUF alive). Only
 * BOUND's (bank, PCR) pairs count: an event's digests in other banks are
 * ignored, an event on a PCR no bound bank covers gives nothing. BOUND
 * NULL: every bank of the log, every PCR (show: an unverified reading of
 * the log's claims); BOUND given, every event must also carry a digest of
 * every algorithm the Spec ID event declares (uefilog.h all_banks). 0, or
 * -1 with ERR set when the log does not parse (ERR as uefilog.h fills
 * it; "out of memory" with event -1). F is freed on failure. */
int hg_uefi_facts_bound(const uint8_t *buf, size_t len,
			const struct hg_uefi_bound *bound,
			struct hg_uefi_facts *f, struct hg_uefi_err *err);
/* hg_uefi_facts_bound(BUF, LEN, NULL, F, ERR). */
int hg_uefi_facts(const uint8_t *buf, size_t len, struct hg_uefi_facts *f,
		  struct hg_uefi_err *err);
void hg_uefi_facts_free(struct hg_uefi_facts *f);

/* 1 when digest D is its algorithm's hash of a datum known to be
 * harmless, one that says nothing ran: a separator value (00000000,
 * FFFFFFFF: PFP r1.05 §10.4.1) or an EV_EFI_ACTION / EV_ACTION string the
 * PFP lists for the boot phases ("Calling EFI Application from Boot
 * Option", "Returning from EFI Application from Boot Option", the
 * ExitBootServices strings, and the legacy "Calling INT 19h", "Returned
 * INT 19h", "Return via INT 18h"). Not "UEFI Debug Mode": that one says
 * something about the platform. The event's type and data do not enter:
 * only what was extended does. */
int hg_uefi_harmless(const struct hg_digest *d);

/* VariableData as a list of EFI_SIGNATURE_LISTs (UEFI 2.x §32.4.1),
 * exactly: SignatureType (16), SignatureListSize, SignatureHeaderSize,
 * SignatureSize (UINT32 each), SignatureHeaderSize bytes of header, then
 * whole SignatureSize entries (each at least a 16-byte owner GUID) to
 * SignatureListSize; lists back to back to the end. Header bytes are
 * never read as entries (GHSA-9r4w-jg96-92mv). 1 when it is such a list
 * (empty included), 0 otherwise; *NSIGS counts the entries. */
int hg_uefi_esl_check(const uint8_t *p, size_t len, size_t *nsigs);

/* The digest a fact shows for V: sha256 when logged, else the first bank;
 * NULL when V is not in the log. */
const struct hg_digest *hg_uefi_varfact_digest(const struct hg_uefi_varfact *v);

#endif
