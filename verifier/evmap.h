/* evmap.h: evidence in bounded memory (issue 16 item 2).
 *
 * hv_evmap_open() makes a regular file's bytes available to hv_verify():
 *  - mapped (mmap, read-only, private) when the file is at least
 *    HV_EVMAP_MIN bytes and a read lease (fcntl F_SETLEASE, F_RDLCK)
 *    can be taken on it. The kernel grants that lease only while no one
 *    has the file open for writing, and holds back anyone who opens it
 *    for writing or truncates it until the lease is given up (or
 *    /proc/sys/fs/lease-break-time has passed). The verifier reads the
 *    same bytes more than once (a record's content is hashed for the
 *    binding, then decoded; the judge reads names again at the end), so
 *    bytes that changed under it could make it judge other bytes than
 *    the quote binds: the lease is what makes a mapping safe.
 *    hv_evmap_close() tells whether the lease held to the end (a break
 *    that was asked for, even one still pending, counts as not held).
 *  - otherwise read whole into memory (hg_read_file), as before: a small
 *    file (a mapping would save nothing), a file open for writing, one
 *    this user does not own (a lease needs the owner or CAP_LEASE), a
 *    file system without leases.
 *  - a file larger than HG_EVIDENCE_MAX_SIZE is neither: LEN says one
 *    byte over the cap, for the decode check to refuse (exit 3), as
 *    hv_read_evidence() does.
 * hv_evmap_release() drops the pages below an address from this
 * process's memory (madvise MADV_DONTNEED; a private, unmodified file
 * mapping reads them back from the page cache if touched again, the
 * same bytes under the lease). hv_verify calls it through
 * hv_inputs.on_consumed as the log streams by, so a log at the 64 MiB
 * cap is checked in a few MiB of resident memory.
 *
 * Contract: hv_evmap_open() returns 0, or -1 with the error printed
 * (naming PATH). hv_evmap_close() returns 0, or -1 (printed) when the
 * lease was broken while the evidence was mapped: the caller must then
 * not report any verdict from these bytes (exit 2). It accepts a zeroed
 * struct. The SIGIO a lease break sends is caught (a flag) for the rest
 * of the process's life.
 */
#ifndef HV_EVMAP_H
#define HV_EVMAP_H

#include <stddef.h>
#include <stdint.h>

#define HV_EVMAP_MIN (1u << 20)

struct hv_evmap {
	const uint8_t *p;
	size_t len;
	const char *path;       /* borrowed, for messages */
	uint8_t *heap;          /* read whole: freed by close */
	void *map;              /* mapped: unmapped by close */
	size_t map_len;
	size_t released;        /* bytes from map already dropped */
	int fd;                 /* holds the lease; -1 when none */
};

int hv_evmap_open(const char *path, struct hv_evmap *m);
void hv_evmap_release(void *m, const uint8_t *upto);
/* 0 while the lease holds (or there is none: read whole), else -1
 * (printed): check before acting on a verdict (output, saved state). */
int hv_evmap_intact(const struct hv_evmap *m);
int hv_evmap_close(struct hv_evmap *m);

#endif
