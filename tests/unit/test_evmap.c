/* test_evmap.c: evidence in bounded memory (verifier/evmap.h).
 *
 *  - a small file is read whole (no lease, no mapping);
 *  - a large file is mapped under a read lease, releasing pages keeps
 *    its bytes readable (they come back from the page cache);
 *  - a large file someone has open for writing is not mapped (the
 *    kernel refuses the lease) but read whole;
 *  - a writer opening the file while it is mapped breaks the lease:
 *    hv_evmap_intact() and hv_evmap_close() then refuse (no verdict),
 *    and the writer gets in only after the close.
 * Leases need the file's owner and a file system that has them; where
 * the first F_SETLEASE fails the mapped cases skip, saying why.
 */
#define _GNU_SOURCE 1
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../verifier/evmap.h"

#define BIG (3u << 20)

static char dir[] = "/tmp/hg-evmap.XXXXXX";
static char small[64], big[64];

static void put(const char *path, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc((int)(i * 7 % 251), f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(small, sizeof(small), "%s/small", dir);
	snprintf(big, sizeof(big), "%s/big", dir);
	put(small, 1000);
	put(big, BIG);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(small);
	unlink(big);
	rmdir(dir);
	return 0;
}

/* Whether this file system and user get leases at all. */
static int leases_work(void)
{
	int fd = open(big, O_RDONLY), ok;

	if (fd < 0)
		return 0;
	ok = fcntl(fd, F_SETLEASE, F_RDLCK) == 0;
	if (ok)
		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	return ok;
}

static void check_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 4093)
		assert_int_equal(p[i], (uint8_t)(i * 7 % 251));
}

static void test_small_read(void **state)
{
	struct hv_evmap m;

	(void)state;
	assert_int_equal(hv_evmap_open(small, &m), 0);
	assert_null(m.map);
	assert_int_equal(m.fd, -1);
	assert_int_equal(m.len, 1000);
	check_bytes(m.p, m.len);
	assert_int_equal(hv_evmap_close(&m), 0);
}

static void test_big_mapped(void **state)
{
	struct hv_evmap m;

	(void)state;
	if (!leases_work())
		skip();
	assert_int_equal(hv_evmap_open(big, &m), 0);
	assert_non_null(m.map);
	assert_true(m.fd >= 0);
	assert_int_equal(m.len, BIG);
	check_bytes(m.p, m.len);
	hv_evmap_release(&m, m.p + m.len / 2);
	assert_true(m.released > 0 && m.released <= m.len / 2);
	/* Released pages read back the same bytes. */
	check_bytes(m.p, m.len);
	assert_int_equal(hv_evmap_intact(&m), 0);
	assert_int_equal(hv_evmap_close(&m), 0);
}

static void test_open_for_writing_read_whole(void **state)
{
	struct hv_evmap m;
	int wfd;

	(void)state;
	wfd = open(big, O_WRONLY);
	assert_true(wfd >= 0);
	assert_int_equal(hv_evmap_open(big, &m), 0);
	assert_null(m.map);
	assert_int_equal(m.len, BIG);
	check_bytes(m.p, m.len);
	assert_int_equal(hv_evmap_close(&m), 0);
	close(wfd);
}

static void test_writer_breaks_lease(void **state)
{
	struct hv_evmap m;
	pid_t pid;
	int st;

	(void)state;
	if (!leases_work())
		skip();
	assert_int_equal(hv_evmap_open(big, &m), 0);
	assert_non_null(m.map);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Blocks until the lease is given up. */
		int fd = open(big, O_WRONLY);

		_exit(fd >= 0 ? 0 : 1);
	}
	/* Wait for the break to be asked for (at most 5 s). */
	for (int i = 0; i < 500 && fcntl(m.fd, F_GETLEASE) == F_RDLCK; i++)
		usleep(10000);
	assert_int_equal(hv_evmap_intact(&m), -1);
	assert_int_equal(hv_evmap_close(&m), -1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_read),
		cmocka_unit_test(test_big_mapped),
		cmocka_unit_test(test_open_for_writing_read_whole),
		cmocka_unit_test(test_writer_breaks_lease),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
