/* util.h: small helpers shared by both binaries.
 *
 * Contract:
 *  - hg_err() prints one line "PROG: message" on stderr; PROG is set once by
 *    main() through hg_progname. Machine output never goes through it.
 *  - hg_read_file() reads at most MAX bytes of a regular file into a fresh
 *    buffer the caller frees; a larger file is refused (EFBIG), never read
 *    partially. The path is opened with O_NOFOLLOW when nofollow is set.
 *    A directory fails with EISDIR, any other non-regular file with EINVAL.
 *  - hg_write_file_atomic() writes a temp file beside PATH, fsyncs it,
 *    renames it over PATH and fsyncs the directory: a crash leaves either
 *    the old file or the new one, never a torn one. The temp file is
 *    unnamed (O_TMPFILE) until it is whole, so a writer killed mid-write
 *    leaves no PATH.tmp.PID behind (where the file system allows). A PATH that resolves
 *    to a character device or a FIFO (/dev/null, /dev/stdout, a pipe) is
 *    written into, never replaced; a directory fails with EISDIR, any
 *    other non-regular file (a block device, a socket) with EINVAL.
 *  - hg_hex_decode() is exact: it fails unless the string is an even number
 *    of hex digits that fill out exactly.
 */
#ifndef HG_UTIL_H
#define HG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

extern const char *hg_progname;
/* Set by the libvirt hook: libvirt shows the hook's whole stderr as the
 * start error, which must be one line; the details go to syslog. */
extern int hg_err_to_syslog;

void hg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last line hg_err() printed in this thread (without "PROG: "), ""
 * before any: what a server passes on to its client as the reason. */
const char *hg_err_last(void);
void hg_err_last_clear(void);

int hg_read_file(const char *path, size_t max, int nofollow, uint8_t **out,
		 size_t *outlen);
int hg_read_fd(int fd, size_t max, uint8_t **out, size_t *outlen);
/* Why reading a file failed, from the errno hg_read_file()/hg_read_fd()
 * left: "is a directory" (EISDIR), "not a regular file" (EINVAL: a
 * device, FIFO or socket), else strerror(). One wording everywhere a
 * file is opened for reading; callers word EFBIG with their own limit. */
const char *hg_strerror_read(int err);
int hg_write_file_atomic(const char *path, const void *data, size_t len,
			 mode_t mode);
int hg_write_all(int fd, const void *data, size_t len);
/* A command's output: to FILE atomically with MODE, or to stdout when
 * FILE is NULL. -1 after one error line naming FILE (or stdout). */
int hg_write_output(const char *file, const void *data, size_t len,
		    mode_t mode);

/* Lower-case hex of IN into OUT, which must hold 2*len+1 bytes. */
void hg_hex_encode(const uint8_t *in, size_t len, char *out);
/* Decode HEX into a fresh buffer; -1 on odd length, non-hex or > max. */
int hg_hex_decode(const char *hex, size_t max, uint8_t **out, size_t *outlen);

/* Parse a decimal unsigned integer in [0, max]; -1 on anything else. */
int hg_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* mkdir -p with MODE for each created component. */
int hg_mkdir_p(const char *path, mode_t mode);

#endif
