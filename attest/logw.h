/* logw.h: the host's log writer: lock, recover, append-then-extend.
 *
 * Crash consistency (README "Crash consistency" has the full argument):
 *   append = write the signed record in one write(), fdatasync, THEN
 *   TPM2_PCR_Extend. The log is a write-ahead log for the PCR: a crash
 *   can only leave (a) a torn record at the tail, never extended, or
 *   (b) a complete record not yet extended ("pending"). It can never leave
 *   a PCR extension that the log does not explain.
 *
 * hg_logw_recover(), run under the exclusive lock before every append,
 * brings the pair back to agreement or refuses:
 *   - torn tail (input ends inside a record): truncated away;
 *   - PCR == replay(all records): consistent;
 *   - PCR == replay(all but the last): the last record is pending; it is
 *     signed and durable, so the extend is completed (roll forward);
 *   - anything else (PCR extended outside hostgate, log replaced, another
 *     log key, other banks): HG_EXIT_INCONSISTENT, nothing is written.
 *
 * Locking: flock() on the log file; writers take LOCK_EX, readers that
 * must see a log that matches the PCR (quote) take LOCK_SH.
 */
#ifndef HG_LOGW_H
#define HG_LOGW_H

#include <stdint.h>
#include <openssl/evp.h>

#include "../lib/cel.h"
#include "../lib/hglog.h"
#include "tpm.h"

struct hg_logw {
	int fd;
	const char *path;
	uint8_t *buf;            /* the log as read by recover */
	size_t size;             /* bytes of valid records on disk */
	uint64_t next_recnum;
	struct hg_digests last;  /* the last record's extended digests */
	int last_signed;         /* its signature verified under our key */
	uint32_t pcr;
	uint16_t algs[HG_MAX_BANKS];
	size_t nalgs;
	EVP_PKEY *key;           /* borrowed */
	uint8_t *cose_key;       /* our key, COSE-encoded */
	size_t cose_key_len;
};

/* Open (creating it and its directory) and lock the log. */
int hg_logw_open(struct hg_logw *w, const char *path, int exclusive);
/* Open the log for reading under the shared lock and read it into
 * w->buf/w->size; a missing log is not an error (w->fd stays -1). */
int hg_logw_open_read(struct hg_logw *w, const char *path);
/* Returns HG_EXIT_OK, HG_EXIT_FAIL or HG_EXIT_INCONSISTENT. With an empty
 * log, the log-key record is written and extended here. */
int hg_logw_recover(struct hg_logw *w, struct hg_tpm *tpm, uint32_t pcr,
		    const uint16_t *algs, size_t nalgs, EVP_PKEY *key);
/* Append one file record and extend it. Returns an exit code as above. */
int hg_logw_append_file(struct hg_logw *w, struct hg_tpm *tpm,
			enum hg_kind kind, const char *name, uint64_t size,
			const struct hg_digests *file, uint64_t *recnum,
			struct hg_digests *extended);
/* Append one path-only record (cel.h: KIND must be HG_KIND_OVERLAY) in
 * the log's banks (w->algs, set by recover) and extend it. *RECNUM gets
 * its record number. Returns an exit code as above. */
int hg_logw_append_path(struct hg_logw *w, struct hg_tpm *tpm,
			enum hg_kind kind, const char *name, uint64_t *recnum);
/* What a launch record refers to: record RECNUM, which must be a file
 * record of KIND named NAME. */
struct hg_launch_want {
	uint64_t recnum;
	enum hg_kind kind;
	const char *name;
};
/* Append a launch record (cel.h) for DOMAIN/UUID referring to WANT
 * (N items, recnums strictly ascending, one config) and extend it. Each
 * ref's digests are read from the log itself (w->buf, checked against
 * the PCR by recover), and each wanted record must be there, below this
 * record, a file record of that kind and name: the host never writes a
 * launch record its verifier would find dangling. Must follow recover in
 * the same lock. *RECNUM gets its record number. Returns an exit code. */
int hg_logw_append_launch(struct hg_logw *w, struct hg_tpm *tpm,
			  const char *domain, const uint8_t *uuid,
			  const struct hg_launch_want *want, size_t n,
			  uint64_t *recnum);
void hg_logw_close(struct hg_logw *w);

#endif
