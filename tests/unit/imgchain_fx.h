/* imgchain_fx.h: helpers shared by the imgchain unit tests
 * (test_imgchain.c, test_imgchain_resolve.c): the good qcow2 header and
 * its builders, and the mkdtemp directory the chains are made in.
 * Failures abort through cmocka. */
#ifndef HG_TEST_IMGCHAIN_FX_H
#define HG_TEST_IMGCHAIN_FX_H

#include <limits.h>
#include <stdint.h>

/* Version 3, 64 KiB clusters, header_length 104; at 104 the backing
 * format extension ("qcow2"), at 120 the end marker, zeros up to the
 * backing name "base.qcow2" at 256. 512 bytes are handed to the parser. */
#define GOOD_LEN 512
#define BUF_LEN 4096
#define BNAME_OFF 256
#define EXT_BFMT 0xe2792acau
#define EXT_DATA 0x44415441u
#define EXT_FTAB 0x6803f857u   /* feature name table: 48-byte entries */

void put32(uint8_t *p, uint32_t v);
void put64(uint8_t *p, uint64_t v);
/* The good header above into B (BUF_LEN bytes, zero-padded). */
void good_header(uint8_t *b);

extern char top_dir[PATH_MAX];   /* canonical mkdtemp directory */

/* Run a shell command; a non-zero exit fails the test. */
void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "DIR/NAME" in a static ring, so that a test can hold several. */
const char *p(const char *name);
void mkdirs(const char *rel);
/* A hand-made qcow2 header (the good one) naming BACKING (NULL: none),
 * with backing format BFMT (NULL: no extension), padded to 4 KiB. */
void craft(const char *path, const char *backing, const char *bfmt);
/* qemu-img's header keeps the backing format extension at 112, right
 * after its 112-byte header: retype it to the end marker. */
void drop_backing_format(const char *path);

/* cmocka group setup/teardown: check for qemu-img, make and remove top_dir. */
int group_setup(void **state);
int group_teardown(void **state);

#endif
