/* util.c: see util.h. */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *hg_progname = "hostgate";
int hg_err_to_syslog;
/* Per thread: the agent's TPM worker reports its last error to the client. */
static __thread char err_last[1024];

const char *hg_err_last(void)
{
	return err_last;
}

void hg_err_last_clear(void)
{
	err_last[0] = '\0';
}

void hg_err(const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	memcpy(err_last, line, sizeof(err_last));
	if (hg_err_to_syslog) {
		syslog(LOG_ERR, "%s", line);
		return;
	}
	/* One write so that concurrent writers don't interleave mid-line. */
	fprintf(stderr, "%s: %s\n", hg_progname, line);
}

int hg_read_fd(int fd, size_t max, uint8_t **out, size_t *outlen)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t cap, len = 0;
	int ret = -1;

	if (fstat(fd, &st) < 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		/* EISDIR for a directory, so that every reader says "is a
		 * directory" (hg_strerror_read()), not "Invalid argument". */
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		errno = EFBIG;
		goto out;
	}
	/* The size may change under us: read up to max+1 to detect growth. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf)
		goto out;
	for (;;) {
		ssize_t r;

		if (len == cap) {
			uint8_t *n;

			if (cap > max) {
				errno = EFBIG;
				goto out;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			n = realloc(buf, cap);
			if (!n)
				goto out;
			buf = n;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > max) {
		errno = EFBIG;
		goto out;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	return ret;
}

const char *hg_strerror_read(int err)
{
	switch (err) {
	case EISDIR:
		return "is a directory";
	case EINVAL:
		return "not a regular file";
	default:
		return strerror(err);
	}
}

int hg_read_file(const char *path, size_t max, int nofollow, uint8_t **out,
		 size_t *outlen)
{
	int fd, ret, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
				(nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -1;
	ret = hg_read_fd(fd, max, out, outlen);
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

int hg_write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* PATH's directory into DIR ("." when PATH has no slash). */
static int dir_of(const char *path, char *dir, size_t n)
{
	char *slash;

	if (strlen(path) >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	int fd, ret;

	if (dir_of(path, dir, sizeof(dir)) < 0)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

/* Write DATA into an unnamed file (O_TMPFILE) in PATH's directory, made
 * durable, then give it the name TMP: a writer killed before the file is
 * whole leaves no name behind, only one killed between the linkat() and
 * the caller's rename() does (t_crash_quote.sh counted three *.tmp.PID
 * files in 40 kills of quote before). 0; -1 with errno; 1 when the file
 * system or a missing /proc cannot do it (the caller writes TMP itself). */
static int write_unnamed(const char *path, const char *tmp, const void *data,
			 size_t len, mode_t mode)
{
	char dir[PATH_MAX], self[64];
	int fd, ret = -1, saved;

	if (dir_of(path, dir, sizeof(dir)) < 0)
		return -1;
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL ? 1 : -1;
	if (fchmod(fd, mode) < 0 || hg_write_all(fd, data, len) < 0 || fsync(fd) < 0)
		goto out;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	/* A TMP left by an earlier process of the same pid is stale. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		goto out;
	if (linkat(AT_FDCWD, self, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) < 0) {
		if (errno == ENOENT)
			ret = 1;   /* no /proc */
		goto out;
	}
	ret = 0;
out:
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

/* PATH names a character device or a FIFO (-o /dev/null, -o /dev/stdout,
 * a pipe): write into it. Renaming a file over it, as for a regular file,
 * would replace the machine's /dev/null with a regular file, and every
 * later VM start fails (docs/testing-hygiene.md). */
static int write_into(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY), ret, saved;

	if (fd < 0)
		return -1;
	ret = hg_write_all(fd, data, len);
	saved = errno;
	if (close(fd) < 0 && ret == 0)
		ret = -1;
	else
		errno = saved;
	return ret;
}

int hg_write_file_atomic(const char *path, const void *data, size_t len,
			 mode_t mode)
{
	char tmp[PATH_MAX];
	struct stat st;
	int fd = -1, ret = -1, saved, r;

	/* What PATH resolves to: only a regular file (or nothing) is
	 * replaced by rename(). */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
			return write_into(path, data, len);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	r = write_unnamed(path, tmp, data, len, mode);
	if (r < 0)
		goto out;
	if (r == 0)
		goto named;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0)
		goto out;
	if (fchmod(fd, mode) < 0 || hg_write_all(fd, data, len) < 0 ||
	    fsync(fd) < 0)
		goto out;
	if (close(fd) < 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
named:
	if (rename(tmp, path) < 0)
		goto out;
	ret = fsync_dir_of(path);
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlink(tmp);
	errno = saved;
	return ret;
}

void hg_hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hg_hex_decode(const char *hex, size_t max, uint8_t **out, size_t *outlen)
{
	size_t n = strlen(hex);
	uint8_t *buf;

	if (n % 2 || n / 2 > max)
		return -1;
	buf = malloc(n / 2 ? n / 2 : 1);
	if (!buf)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(buf);
			return -1;
		}
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = buf;
	*outlen = n / 2;
	return 0;
}

int hg_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int hg_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int hg_write_output(const char *file, const void *data, size_t len,
		    mode_t mode)
{
	if (file ? hg_write_file_atomic(file, data, len, mode) < 0
		 : hg_write_all(STDOUT_FILENO, data, len) < 0) {
		hg_err("%s: %s", file ? file : "stdout", hg_strerror_read(errno));
		return -1;
	}
	return 0;
}
