/* launch.h: the launch record the gate writes at every allowed start
 * (docs/gate.md "Launch records", docs/log-format.md "launch").
 *
 * Why: the verifier judges workload records by the latest record of each
 * name (verifier/judge.h), so a VM started from image A keeps running,
 * unseen, after A is revoked or a good copy is measured over A's path.
 * The launch record says, in the quoted log, what this start rested on:
 * the domain's name and UUID and the record numbers (with their extended
 * digests) of the config, images and overlays the verifier judged for
 * it. The verifier then judges each running VM by its own latest launch
 * record (verifier/judgevm.h).
 *
 * Contract: hg_launch_write() runs after the verdict allowed the start
 * and before the hook returns; any failure is a refusal (the caller
 * fails closed). It takes the log's exclusive lock, brings log and PCR
 * back to agreement (logw.h recover: the same crash safety as every
 * record: written, fdatasync'd, then extended), re-reads the referenced
 * records from the log under the lock and appends one launch record.
 * The UUID is the canonical form's one "domain/uuid=" line (a domain
 * without exactly one, or with a value that is not a UUID, is refused).
 * Only workload items (config, image, overlay) are referenced; the
 * same record named twice (two disks on one backing file) once.
 */
#ifndef HG_LAUNCH_H
#define HG_LAUNCH_H

#include <stddef.h>
#include <stdint.h>

#include "measureset.h"

/* The UUID of the domain whose canonical form is CANON (LEN bytes). */
int hg_launch_uuid(const char *canon, size_t len, uint8_t uuid[16]);

/* M: the measuring session of this start (its key, banks, options, TPM);
 * ITEMS: what it measured, with their recnums. *RECNUM gets the launch
 * record's number. 0, or -1 with REASON set. */
int hg_launch_write(const struct hg_mset *m, const char *domain,
		    const char *canon, size_t len,
		    const struct hg_mitem *items, size_t n, uint64_t *recnum,
		    char *reason, size_t rlen);

#endif
