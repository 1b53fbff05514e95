/* measureset.h: measure a set of files (or in-memory objects) into the
 * log and the PCR, skipping what this boot already measured unchanged.
 * The one engine behind measure-host and the libvirt gate (hook.c).
 *
 * For each item, in this order of preference:
 *  1. reuse: the identity cache (idcache.h) holds (kind, path) with the
 *     file's current identity, and the log's latest record of that
 *     (kind, name) is the cached record: nothing is hashed or appended;
 *  2. hash the file (hashpool.h, all banks, in parallel, without the log
 *     lock), then, under the lock:
 *     - if the log's latest record of (kind, name) has the same file
 *       digests, reuse it (a touch or a copy-back does not grow the log);
 *     - else append a record and extend (logw.h).
 * Memory items (data != NULL, e.g. a canonical domain config) skip the
 * cache and go straight to step 2. Path-only items (kind overlay) are
 * appended only when the latest record of that name is missing.
 *
 * Consistency: a file's identity is taken before hashing (lstat of the
 * path), from the descriptor that was hashed, and again after; if they
 * differ (the file or a symlink on its path was changed or swapped while
 * being measured) the item fails with "changed while being measured" and
 * nothing at all is appended for the set. A path must be canonical
 * (realpath()) and is opened with O_NOFOLLOW. An item with HAS_ID must
 * also be that device and inode (the file whose qcow2 header gave the
 * chain, imgchain.h), else it fails with "is not the file whose header
 * was read".
 *
 * Contract: all or nothing per call up to the append phase: any item
 * failing before the lock means nothing is appended. Appends are in item
 * order. Each item's outcome (recnum, fresh, digests) is filled in.
 */
#ifndef HG_MEASURESET_H
#define HG_MEASURESET_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "../lib/cel.h"
#include "../lib/digest.h"
#include "opts.h"
#include "tpm.h"

struct hg_mitem {
	enum hg_kind kind;
	const char *path;        /* record name: absolute, canonical */
	const uint8_t *data;     /* memory item: hash these bytes instead */
	size_t len;
	int has_id;              /* the file must be this device and inode */
	uint64_t dev, ino;       /* (a disk layer whose header was read) */
	/* out */
	uint64_t recnum;         /* the record that now stands for the item */
	int fresh;               /* 1 appended now, 0 an earlier record reused */
	uint64_t size;
	struct hg_digests file;  /* empty for overlay */
	int err;                 /* errno-style, 0 if fine */
	const char *why;         /* static reason when err != 0 */
};

struct hg_mset {
	const struct hg_opts *o;
	struct hg_tpm *tpm;      /* borrowed, open */
	EVP_PKEY *key;
	uint16_t algs[HG_MAX_BANKS];
	size_t nalgs;
	int progress;            /* draw a progress bar on stderr */
};

/* Load the log key and the TPM's banks. */
int hg_mset_open(struct hg_mset *m, const struct hg_opts *o, struct hg_tpm *tpm);
/* Returns an hostgate-attest exit code (cmds.h). On HG_EXIT_FAIL the
 * failing items have err/why set and an error line was printed. */
int hg_mset_measure(struct hg_mset *m, struct hg_mitem *items, size_t n);
void hg_mset_close(struct hg_mset *m);
/* One line on stdout for a measured item, as `measure` prints them:
 * "RECNUM KIND BANK:HEX PATH" (sha256, else the first bank; "-" for an
 * overlay), with " (unchanged)" when an earlier record was reused. */
void hg_mset_print(const struct hg_mitem *it);

#endif
