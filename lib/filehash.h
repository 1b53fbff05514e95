/* filehash.h: stream a file through every requested bank's hash at once.
 *
 * Contract:
 *  - Reads FD from its current offset to EOF and returns, per algorithm of
 *    ALGS, the digest of all bytes read; *size gets the byte count.
 *  - The file is read once, however many banks there are. Reading and
 *    hashing overlap: the calling thread reads into a ring of
 *    HG_HASH_RING buffers of HG_HASH_CHUNK bytes while one thread per
 *    algorithm hashes them, so a single large file uses the read()
 *    copy time and, with several banks, several cores. Memory is bounded
 *    by the ring (4 MiB) whatever the file size.
 *  - If threads cannot be started it falls back to one thread, same result.
 *  - PROGRESS, when set, is called from the calling thread after each
 *    chunk read, with the bytes of that chunk.
 */
#ifndef HG_FILEHASH_H
#define HG_FILEHASH_H

#include <stdint.h>
#include "digest.h"

#define HG_HASH_CHUNK (1u << 20)
#define HG_HASH_RING 4

typedef void (*hg_progress_fn)(void *arg, uint64_t delta);

int hg_hash_fd(int fd, const uint16_t *algs, size_t nalgs,
	       struct hg_digests *out, uint64_t *size,
	       hg_progress_fn progress, void *arg);

#endif
