/* filehash.c: see filehash.h.
 *
 * The ring: chunk k lives in buf[k % HG_HASH_RING]. The reader may fill
 * chunk k once every hasher has consumed chunk k - HG_HASH_RING; hasher i
 * may hash chunk k once the reader has produced it. One mutex and one
 * condition variable guard the counters; the hashing itself runs
 * unlocked, on buffers no one writes while it reads them.
 */
#define _GNU_SOURCE
#include "filehash.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *buf[HG_HASH_RING];
	size_t len[HG_HASH_RING];
	uint64_t produced;                 /* chunks filled */
	uint64_t consumed[HG_MAX_BANKS];   /* chunks hashed, per hasher */
	int done;                          /* no more chunks will come */
	int failed;                        /* a hash update failed */
	EVP_MD_CTX *ctx[HG_MAX_BANKS];
	size_t nalgs;
};

struct hasher {
	struct ring *r;
	size_t i;
};

static void *hash_thread(void *arg)
{
	struct hasher *h = arg;
	struct ring *r = h->r;

	for (uint64_t k = 0;; k++) {
		size_t slot = k % HG_HASH_RING;
		int ok;

		pthread_mutex_lock(&r->mu);
		while (r->produced <= k && !r->done && !r->failed)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->produced <= k || r->failed) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		pthread_mutex_unlock(&r->mu);
		ok = EVP_DigestUpdate(r->ctx[h->i], r->buf[slot], r->len[slot]);
		pthread_mutex_lock(&r->mu);
		if (!ok)
			r->failed = 1;
		r->consumed[h->i] = k + 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

static uint64_t slowest(const struct ring *r)
{
	uint64_t m = r->consumed[0];

	for (size_t i = 1; i < r->nalgs; i++)
		if (r->consumed[i] < m)
			m = r->consumed[i];
	return m;
}

/* Read everything into the ring; returns -1 with errno on a read error. */
static int read_all(struct ring *r, int fd, uint64_t *total,
		    hg_progress_fn progress, void *arg)
{
	int ret = 0, saved = 0;

	for (uint64_t k = 0;; k++) {
		size_t slot = k % HG_HASH_RING;
		ssize_t n;

		pthread_mutex_lock(&r->mu);
		while (k - slowest(r) >= HG_HASH_RING && !r->failed)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->failed) {
			pthread_mutex_unlock(&r->mu);
			saved = EIO;
			ret = -1;
			break;
		}
		pthread_mutex_unlock(&r->mu);
		do
			n = read(fd, r->buf[slot], HG_HASH_CHUNK);
		while (n < 0 && errno == EINTR);
		if (n <= 0) {
			saved = n < 0 ? errno : 0;
			ret = n < 0 ? -1 : 0;
			break;
		}
		pthread_mutex_lock(&r->mu);
		r->len[slot] = (size_t)n;
		r->produced = k + 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		*total += (uint64_t)n;
		if (progress)
			progress(arg, (uint64_t)n);
	}
	pthread_mutex_lock(&r->mu);
	r->done = 1;
	if (ret < 0)
		r->failed = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	errno = saved;
	return ret;
}

/* The same work on one thread, for when threads cannot be had. */
static int hash_inline(struct ring *r, int fd, uint64_t *total,
		       hg_progress_fn progress, void *arg)
{
	for (;;) {
		ssize_t n = read(fd, r->buf[0], HG_HASH_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		for (size_t i = 0; i < r->nalgs; i++)
			if (!EVP_DigestUpdate(r->ctx[i], r->buf[0], (size_t)n)) {
				errno = EIO;
				return -1;
			}
		*total += (uint64_t)n;
		if (progress)
			progress(arg, (uint64_t)n);
	}
}

int hg_hash_fd(int fd, const uint16_t *algs, size_t nalgs,
	       struct hg_digests *out, uint64_t *size,
	       hg_progress_fn progress, void *arg)
{
	struct ring r;
	struct hasher hs[HG_MAX_BANKS];
	pthread_t tid[HG_MAX_BANKS];
	size_t started = 0;
	uint64_t total = 0;
	int ret = -1, rc = 0, saved = 0;

	if (nalgs == 0 || nalgs > HG_MAX_BANKS) {
		errno = EINVAL;
		return -1;
	}
	memset(&r, 0, sizeof(r));
	memset(out, 0, sizeof(*out));
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	r.nalgs = nalgs;
	for (size_t i = 0; i < nalgs; i++) {
		const EVP_MD *md = hg_bank_md(hg_bank_by_alg(algs[i]));

		r.ctx[i] = EVP_MD_CTX_new();
		if (!md || !r.ctx[i] || !EVP_DigestInit_ex(r.ctx[i], md, NULL)) {
			saved = EINVAL;
			goto out;
		}
	}
	for (size_t i = 0; i < HG_HASH_RING; i++)
		if (!(r.buf[i] = malloc(HG_HASH_CHUNK))) {
			saved = ENOMEM;
			goto out;
		}
	/* Tell the kernel we read once, front to back: bigger readahead. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (; started < nalgs; started++) {
		hs[started] = (struct hasher){ .r = &r, .i = started };
		if (pthread_create(&tid[started], NULL, hash_thread,
				   &hs[started]) != 0)
			break;
	}
	if (started == nalgs) {
		rc = read_all(&r, fd, &total, progress, arg);
	} else {
		/* Stop the few that started, then do it all here. */
		pthread_mutex_lock(&r.mu);
		r.done = 1;
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
	}
	saved = errno;
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	if (started != nalgs) {
		rc = hash_inline(&r, fd, &total, progress, arg);
		saved = errno;
	}
	if (rc < 0 || r.failed) {
		if (!saved)
			saved = EIO;
		goto out;
	}
	for (size_t i = 0; i < nalgs; i++) {
		unsigned int n = 0;

		if (!EVP_DigestFinal_ex(r.ctx[i], out->v[i].d, &n)) {
			saved = EIO;
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
		EVP_MD_CTX_free(r.ctx[i]);
	for (size_t i = 0; i < HG_HASH_RING; i++)
		free(r.buf[i]);
	pthread_cond_destroy(&r.cv);
	pthread_mutex_destroy(&r.mu);
	errno = saved;
	return ret;
}
