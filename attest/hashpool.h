/* hashpool.h: hash many files at once, one worker thread per core.
 *
 * Contract:
 *  - Each job's PATH is opened with O_NOFOLLOW (callers pass a path already
 *    resolved by realpath(), so a symlink swapped in afterwards is refused,
 *    not followed) and must be a regular file.
 *  - On return every job has either its digests (err == 0) or an errno
 *    value in err; the function returns -1 if any job failed.
 *  - With PROGRESS set and stderr (the stream it writes to) a terminal, a
 *    one-line progress bar is drawn on stderr while the work lasts (64 MiB
 *    or more); memory is one HG_HASH_CHUNK buffer per worker.
 *  - ST is the fstat() of the descriptor that was hashed, taken before
 *    reading: callers compare it with the path's identity before and after
 *    (measureset.c) to catch a file swapped while it was measured.
 *  - UNSHARED is 1 only if a read lease (F_SETLEASE F_RDLCK) on the hashed
 *    descriptor was granted before the first read and still held after
 *    the last, on a local filesystem (ext2/3/4, xfs, btrfs, tmpfs): nobody
 *    had the file open for writing (a shared writable mmap included) at
 *    any moment of the hash. The identity cache trusts only such hashes
 *    (idcache.h). SIGIO is ignored while the pool runs: a writer opening a
 *    leased file sends it to us, and waits until the hash ends (at most
 *    the kernel's lease-break-time, 45 s by default).
 */
#ifndef HG_HASHPOOL_H
#define HG_HASHPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "../lib/digest.h"

struct hg_hash_job {
	const char *path;
	struct hg_digests d;
	uint64_t size;
	struct stat st;
	int err;
	int unshared;            /* no writer anywhere during the hash */
};

int hg_hash_files(struct hg_hash_job *jobs, size_t n, const uint16_t *algs,
		  size_t nalgs, int progress);

#endif
