/* hashpool.c: see hashpool.h. */
#define _GNU_SOURCE
#include "hashpool.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "../lib/filehash.h"

struct pool {
	struct hg_hash_job *jobs;
	size_t n;
	const uint16_t *algs;
	size_t nalgs;
	atomic_size_t next;
	atomic_size_t finished;
	atomic_uint_fast64_t done_bytes;
};

static void on_progress(void *arg, uint64_t delta)
{
	struct pool *p = arg;

	atomic_fetch_add_explicit(&p->done_bytes, delta, memory_order_relaxed);
}

/* Local filesystems whose inode times the kernel itself keeps: on a
 * network or FUSE filesystem another machine or a user daemon can change
 * the content behind the kernel's back, so nothing there is unshared. */
static int local_fs(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return 0;
	switch ((unsigned long)sf.f_type) {
	case EXT4_SUPER_MAGIC:     /* also ext2 and ext3 */
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
		return 1;
	default:
		return 0;
	}
}

/* A read lease (fcntl(2) F_SETLEASE F_RDLCK) is granted only while no
 * open file description of the inode has it open for writing, a shared
 * writable mmap included (the mapping holds its file). Held across the
 * whole hash and still held at the end (a writer opening meanwhile
 * breaks it: F_GETLEASE then no longer says F_RDLCK), it proves that
 * nobody could write the file while it was hashed, so any later write
 * needs a new open and its first write moves ctime. */
static void hash_one(struct pool *p, struct hg_hash_job *j)
{
	int fd, leased = 0;

	fd = open(j->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		j->err = errno;
		return;
	}
	if (fstat(fd, &j->st) < 0)
		j->err = errno;
	else if (!S_ISREG(j->st.st_mode))
		j->err = S_ISDIR(j->st.st_mode) ? EISDIR : EINVAL; /* hg_strerror_read() */
	if (!j->err)
		leased = local_fs(fd) && fcntl(fd, F_SETLEASE, F_RDLCK) == 0;
	if (!j->err && hg_hash_fd(fd, p->algs, p->nalgs, &j->d, &j->size,
				  on_progress, p) < 0)
		j->err = errno ? errno : EIO;
	if (leased) {
		j->unshared = fcntl(fd, F_GETLEASE) == F_RDLCK;
		fcntl(fd, F_SETLEASE, F_UNLCK);
	}
	close(fd);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		hash_one(p, &p->jobs[i]);
		atomic_fetch_add(&p->finished, 1);
	}
	return NULL;
}

static void draw(uint64_t done, uint64_t total, double secs)
{
	int pct = total ? (int)(done * 100 / total) : 100;
	int bar = pct / 5;
	double mib = (double)done / (1 << 20);

	fprintf(stderr, "\rhashing [%.*s%*s] %3d%% %8.0f MiB %6.0f MiB/s",
		bar, "####################", 20 - bar, "", pct, mib,
		secs > 0 ? mib / secs : 0.0);
}

int hg_hash_files(struct hg_hash_job *jobs, size_t n, const uint16_t *algs,
		  size_t nalgs, int progress)
{
	struct pool p = { .jobs = jobs, .n = n, .algs = algs, .nalgs = nalgs };
	pthread_t tid[64];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nthreads, started = 0;
	uint64_t total = 0;
	struct timespec t0, now;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int ret = 0;

	if (cores < 1)
		cores = 1;
	nthreads = n < (size_t)cores ? n : (size_t)cores;
	if (nthreads > sizeof(tid) / sizeof(tid[0]))
		nthreads = sizeof(tid) / sizeof(tid[0]);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		jobs[i].err = 0;
		jobs[i].unshared = 0;
		if (progress && stat(jobs[i].path, &st) == 0)
			total += (uint64_t)st.st_size;
	}
	/* Small work finishes before a bar could help: stay quiet. The bar
	 * goes to stderr, so stderr (not stdout) must be a terminal. */
	if (total < (64u << 20) || !isatty(STDERR_FILENO))
		progress = 0;
	/* A writer that opens a file while we hold its read lease makes the
	 * kernel send the lease holder SIGIO, whose default action would
	 * kill us; the lease is released when the hash ends anyway. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGIO, &ign, &old);
	for (; started < nthreads; started++)
		if (pthread_create(&tid[started], NULL, worker, &p) != 0)
			break;
	if (started == 0)
		worker(&p);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (progress && atomic_load(&p.finished) < n) {
		struct timespec tick = { 0, 200 * 1000 * 1000 };

		nanosleep(&tick, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		draw(atomic_load(&p.done_bytes), total,
		     (double)(now.tv_sec - t0.tv_sec) +
			     (now.tv_nsec - t0.tv_nsec) / 1e9);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	sigaction(SIGIO, &old, NULL);
	if (progress)
		fprintf(stderr, "\r\033[K");
	for (size_t i = 0; i < n; i++)
		if (jobs[i].err)
			ret = -1;
	return ret;
}
