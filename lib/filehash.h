/* filehash.h: stream a file through every requested bank's hash at once.
 *
 * Contract:
 *  - Reads FD from its current offset to EOF in HG_HASH_CHUNK pieces (one
 *    buffer, allocated per call: memory is bounded whatever the file size)
 *    and feeds each piece to one EVP context per algorithm, so the file is
 *    read once however many banks there are.
 *  - *size gets the number of bytes hashed.
 *  - PROGRESS, when set, is called after each chunk with the bytes done in
 *    this call; it must be cheap and thread-safe if the caller shares it.
 */
#ifndef HG_FILEHASH_H
#define HG_FILEHASH_H

#include <stdint.h>
#include "digest.h"

#define HG_HASH_CHUNK (1u << 20)

typedef void (*hg_progress_fn)(void *arg, uint64_t delta);

int hg_hash_fd(int fd, const uint16_t *algs, size_t nalgs,
	       struct hg_digests *out, uint64_t *size,
	       hg_progress_fn progress, void *arg);

#endif
