/* state.h: the host's state directory.
 *
 *   DIR/ak.pub      TPM2B_PUBLIC of the AK (tpm2-tools' -u format)
 *   DIR/ak.priv     TPM2B_PRIVATE of the AK (wrapped by the EK; useless
 *                   outside this TPM)
 *   DIR/ak.handle   the persistent handle init made the AK at, one line
 *                   "0x8102xxxx\n" (absent: state from before persistent
 *                   AKs, or a TPM that refused TPM2_EvictControl; then
 *                   every quote loads the AK under the EK)
 *   DIR/logkey.pem  log signing key, ECDSA P-256, PKCS#8 PEM, mode 0600
 *
 * Every file is written with hg_write_file_atomic(): a crash leaves the old
 * file or the new one. The AK exists only when both AK files do.
 *
 * Contract: returned objects are owned by the caller (free() for TPM2B
 * structures, EVP_PKEY_free() for keys). Errors are printed, naming the
 * file and the reason.
 */
#ifndef HG_STATE_H
#define HG_STATE_H

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#define HG_STATE_AK_PUB "ak.pub"
#define HG_STATE_AK_PRIV "ak.priv"
#define HG_STATE_LOGKEY "logkey.pem"
#define HG_STATE_AK_HANDLE "ak.handle"

/* Where init makes the AK persistent: the first free handle of
 * 0x81020000..0x810200ff. The owner's persistent range is
 * 0x81000000..0x817fffff (Part 2 §7.5); the TCG handle registry gives
 * 0x8100xxxx to storage primary keys (SRK 0x81000001) and 0x8101xxxx to
 * endorsement keys (0x81010001 and up, where hostgate looks for a
 * provisioned EK, ekfind.h), so the next block leaves both alone. */
#define HG_AK_HANDLE_FIRST 0x81020000u
#define HG_AK_HANDLE_LAST 0x810200ffu
/* What an ak.handle file may name: the owner's persistent range. */
#define HG_OWNER_PERSISTENT_FIRST 0x81000000u
#define HG_OWNER_PERSISTENT_LAST 0x817fffffu

/* 1 if both AK files exist, 0 if neither or one, -1 on error. */
int hg_state_has_ak(const char *dir);
/* Refuses (one error line) an ak.pub that fails the verifier's AK rule,
 * hg_ak_decode() (lib/tpmpub.h): the host never quotes with an AK a
 * verifier must refuse. */
int hg_state_load_ak(const char *dir, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv);
int hg_state_save_ak(const char *dir, const TPM2B_PUBLIC *pub,
		     const TPM2B_PRIVATE *priv);

/* The AK's public area marshalled (BUF, sizeof(TPM2B_PUBLIC) bytes; *LEN)
 * and its Name, nameAlg || H(TPMT_PUBLIC) (Part 1 §16; NAME holds
 * 2 + 64 bytes, *NAME_LEN): what enrollment and init show and send.
 * The AK must pass hg_ak_decode()'s rule, as in hg_state_load_ak().
 * -1 with one error line naming DIR. */
int hg_state_ak_name(const char *dir, const TPM2B_PUBLIC *pub, uint8_t *buf,
		     size_t *len, uint8_t *name, size_t *name_len);
/* Marshal PUB as TPM2B_PUBLIC into FILE, atomically. */
int hg_write_tpm2b_public(const char *file, const TPM2B_PUBLIC *pub);

/* DIR/ak.handle: 1 with *HANDLE; 0 when there is none; -1 (one error
 * line naming the file) when it cannot be read or is not exactly
 * "0x" + 8 hex digits + "\n" naming an owner persistent handle. */
int hg_state_load_ak_handle(const char *dir, uint32_t *handle);
/* Write DIR/ak.handle atomically (0644), or remove it (HANDLE 0). */
int hg_state_save_ak_handle(const char *dir, uint32_t handle);

/* Load the log key; with CREATE, make one first if there is none. */
int hg_state_log_key(const char *dir, int create, EVP_PKEY **key);

/* Serialise use of TPM object slots: a transient AK (an older state, or
 * a TPM that refused to keep it, akuse.h) takes two with its EK, and a
 * TPM without a resource manager in front (swtpm, /dev/tpm0) holds only
 * a few (3 on swtpm). Two gated VM starts at once would each load two and
 * fail with TPM_RC_OBJECT_MEMORY. (A persistent AK takes none between
 * commands; the lock still orders init's EvictControl against quotes.)
 * Lock order: a log's lock (logw.h) before this one. Returns a descriptor holding an
 * exclusive flock on DIR/tpm.lock (close() releases it), or -1. A lock
 * file this user may read but not write (the unprivileged agent) is
 * locked read-only. */
int hg_state_tpm_lock(const char *dir);

/* "DIR/NAME" into BUF; -1 if it does not fit. */
int hg_state_path(char *buf, size_t n, const char *dir, const char *name);

#endif
