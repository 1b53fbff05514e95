/* filehash.c: see filehash.h. */
#define _GNU_SOURCE
#include "filehash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int hg_hash_fd(int fd, const uint16_t *algs, size_t nalgs,
	       struct hg_digests *out, uint64_t *size,
	       hg_progress_fn progress, void *arg)
{
	EVP_MD_CTX *ctx[HG_MAX_BANKS] = { 0 };
	uint8_t *buf = NULL;
	uint64_t total = 0;
	int ret = -1;

	if (nalgs == 0 || nalgs > HG_MAX_BANKS) {
		errno = EINVAL;
		return -1;
	}
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nalgs; i++) {
		const EVP_MD *md = hg_bank_md(hg_bank_by_alg(algs[i]));

		ctx[i] = EVP_MD_CTX_new();
		if (!md || !ctx[i] || !EVP_DigestInit_ex(ctx[i], md, NULL)) {
			errno = EINVAL;
			goto out;
		}
	}
	buf = malloc(HG_HASH_CHUNK);
	if (!buf)
		goto out;
	/* Tell the kernel we read once, front to back: bigger readahead. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		ssize_t r = read(fd, buf, HG_HASH_CHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		for (size_t i = 0; i < nalgs; i++)
			if (!EVP_DigestUpdate(ctx[i], buf, (size_t)r)) {
				errno = EIO;
				goto out;
			}
		total += (uint64_t)r;
		if (progress)
			progress(arg, (uint64_t)r);
	}
	for (size_t i = 0; i < nalgs; i++) {
		unsigned int n = 0;

		if (!EVP_DigestFinal_ex(ctx[i], out->v[i].d, &n)) {
			errno = EIO;
			goto out;
		}
		out->v[i].alg = algs[i];
		out->v[i].len = (uint8_t)n;
	}
	out->n = nalgs;
	*size = total;
	ret = 0;
out:
	for (size_t i = 0; i < nalgs; i++)
		EVP_MD_CTX_free(ctx[i]);
	free(buf);
	return ret;
}
