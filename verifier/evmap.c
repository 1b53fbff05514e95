/* evmap.c: see evmap.h. Leases: fcntl(2) "Leases"; a read lease is
 * refused (EAGAIN) while the file is open for writing. */
#define _GNU_SOURCE 1
#include "evmap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/evidence.h"
#include "../lib/util.h"
#include "inputs.h"

static volatile sig_atomic_t lease_broken;

static void on_sigio(int sig)
{
	(void)sig;
	lease_broken = 1;
}

/* 0 with M mapped under a read lease; 1 when it cannot be (read the
 * file instead); -1 on a real error (printed). */
static int try_map(const char *path, struct hv_evmap *m)
{
	struct sigaction sa;
	struct stat st;
	void *p;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 1;	/* hg_read_file says why */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)HV_EVMAP_MIN ||
	    (uint64_t)st.st_size > HG_EVIDENCE_MAX_SIZE)
		goto no;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigio;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGIO, &sa, NULL) < 0)
		goto no;
	if (fcntl(fd, F_SETLEASE, F_RDLCK) < 0)
		goto no;	/* open for writing, not ours, no leases */
	/* Under the lease the size cannot change: map what it is now. */
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)HV_EVMAP_MIN)
		goto unlease;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		goto unlease;
	m->map = p;
	m->map_len = (size_t)st.st_size;
	m->p = p;
	m->len = m->map_len;
	m->fd = fd;
	return 0;
unlease:
	(void)fcntl(fd, F_SETLEASE, F_UNLCK);
no:
	close(fd);
	return 1;
}

int hv_evmap_open(const char *path, struct hv_evmap *m)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->path = path;
	lease_broken = 0;
	if ((r = try_map(path, m)) <= 0)
		return r;
	if (hv_read_evidence(path, &m->heap, &m->len) < 0)
		return -1;
	m->p = m->heap;
	return 0;
}

void hv_evmap_release(void *arg, const uint8_t *upto)
{
	struct hv_evmap *m = arg;
	long pg = sysconf(_SC_PAGESIZE);
	size_t end;

	if (!m || !m->map || pg <= 0 || upto < m->p || upto > m->p + m->len)
		return;
	end = (size_t)(upto - m->p) & ~((size_t)pg - 1);
	if (end <= m->released)
		return;
	/* Clean private file pages: dropped from this process, read back
	 * from the page cache if touched again. */
	/* From the start each time: a fault maps the pages around it
	 * (fault-around, a large folio whole), some of them behind the
	 * last release; zapping an empty range costs a page-table walk. */
	(void)madvise(m->map, end, MADV_DONTNEED);
	m->released = end;
}

int hv_evmap_intact(const struct hv_evmap *m)
{
	/* F_GETLEASE says F_UNLCK once a break was asked for. */
	if (m->fd >= 0 && (lease_broken || fcntl(m->fd, F_GETLEASE) != F_RDLCK)) {
		hg_err("%s: the file was opened for writing while it was being checked; no verdict",
		       m->path ? m->path : "evidence");
		return -1;
	}
	return 0;
}

int hv_evmap_close(struct hv_evmap *m)
{
	int ret = 0;

	if (m->fd >= 0) {
		ret = hv_evmap_intact(m);
		(void)fcntl(m->fd, F_SETLEASE, F_UNLCK);
		close(m->fd);
	}
	if (m->map)
		munmap(m->map, m->map_len);
	free(m->heap);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	return ret;
}
