/* test_filehash.c: the pipelined multi-bank file hash equals a one-shot
 * EVP hash for every size around the chunk and ring boundaries, for one
 * to four banks at once, and reports read errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "../../lib/filehash.h"

static uint8_t *data;
static const size_t max_size = (size_t)HG_HASH_CHUNK * (HG_HASH_RING + 2) + 7;

static int setup(void **state)
{
	(void)state;
	data = malloc(max_size);
	if (!data)
		return -1;
	for (size_t i = 0; i < max_size; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(data);
	return 0;
}

static int file_of(size_t n)
{
	char path[] = "/tmp/hg-filehash-XXXXXX";
	int fd = mkstemp(path);
	size_t off = 0;

	assert_true(fd >= 0);
	unlink(path);
	while (off < n) {
		ssize_t w = write(fd, data + off, n - off);

		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void progress_sum(void *arg, uint64_t delta)
{
	*(uint64_t *)arg += delta;
}

static void test_matches_evp_at_boundaries(void **state)
{
	static const uint16_t algs[] = { HG_ALG_SHA256, HG_ALG_SHA1,
					 HG_ALG_SHA384, HG_ALG_SHA512 };
	const size_t sizes[] = { 0, 1, HG_HASH_CHUNK - 1, HG_HASH_CHUNK,
				 HG_HASH_CHUNK + 1,
				 (size_t)HG_HASH_CHUNK * HG_HASH_RING,
				 (size_t)HG_HASH_CHUNK * HG_HASH_RING + 1,
				 max_size };

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (size_t nalgs = 1; nalgs <= 4; nalgs++) {
			struct hg_digests d;
			uint64_t size = 0, seen = 0;
			int fd = file_of(sizes[s]);

			assert_int_equal(hg_hash_fd(fd, algs, nalgs, &d, &size,
						    progress_sum, &seen), 0);
			close(fd);
			assert_int_equal(size, sizes[s]);
			assert_int_equal(seen, sizes[s]);
			assert_int_equal(d.n, nalgs);
			for (size_t i = 0; i < nalgs; i++) {
				struct hg_digest want;

				assert_int_equal(hg_hash(algs[i], data, sizes[s], &want), 0);
				assert_int_equal(d.v[i].alg, algs[i]);
				assert_int_equal(d.v[i].len, want.len);
				assert_memory_equal(d.v[i].d, want.d, want.len);
			}
		}
	}
}

static void test_read_error_is_reported(void **state)
{
	static const uint16_t algs[] = { HG_ALG_SHA256, HG_ALG_SHA1 };
	struct hg_digests d;
	uint64_t size = 0;
	int fd = open("/tmp", O_RDONLY); /* read() on a directory: EISDIR */

	(void)state;
	assert_true(fd >= 0);
	errno = 0;
	assert_int_equal(hg_hash_fd(fd, algs, 2, &d, &size, NULL, NULL), -1);
	assert_int_equal(errno, EISDIR);
	close(fd);
}

static void test_bad_bank_count_refused(void **state)
{
	uint16_t algs[HG_MAX_BANKS + 1] = { HG_ALG_SHA256 };
	struct hg_digests d;
	uint64_t size;

	(void)state;
	assert_int_equal(hg_hash_fd(0, algs, 0, &d, &size, NULL, NULL), -1);
	assert_int_equal(hg_hash_fd(0, algs, HG_MAX_BANKS + 1, &d, &size, NULL, NULL), -1);
	algs[0] = 0x0012; /* SM3: not a bank hostgate knows */
	assert_int_equal(hg_hash_fd(0, algs, 1, &d, &size, NULL, NULL), -1);
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matches_evp_at_boundaries),
		cmocka_unit_test(test_read_error_is_reported),
		cmocka_unit_test(test_bad_bank_count_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
