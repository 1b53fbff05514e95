/* idcache.c: the identity cache (idcache.h).
 *
 * Entries live in an array; an open-addressing hash table of indexes over
 * (kind, path) makes get and put O(1), so a gate that checks thousands of
 * files per VM start does not pay a sort per insert. Save writes the
 * entries sorted by (path, kind) so the file is deterministic.
 *
 * Loading is strict: the first malformed line drops everything read so
 * far (a half-trusted cache is worth less than an empty one), and reading
 * is bounded: lines are read into a fixed buffer, entries are capped at
 * HG_IDCACHE_MAX_ENTRIES.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/util.h"
#include "idcache.h"

#define MAGIC "hostgate-idcache"
#define VERSION "2"   /* 2: entries only from lease-held hashes (issue 12) */
#define BOOT_ID_LEN 36
#define LOGID_LEN 64   /* at most */
/* KIND + 9 numbers of at most 20 digits and a sign, spaces, a path. */
#define LINE_MAX_LEN (16 + 9 * 22 + HG_CEL_MAX_NAME + 2)

struct ent {
	enum hg_kind kind;
	char *path;
	struct hg_ident id;
	uint64_t recnum;
};

struct hg_idcache {
	char boot_id[BOOT_ID_LEN + 1];
	char logid[LOGID_LEN + 1];
	struct ent *e;
	size_t n, cap;
	uint32_t *slot;   /* index + 1; 0 is empty */
	size_t nslots;    /* power of two, >= 2 * n */
};

void hg_ident_from_stat(const struct stat *st, struct hg_ident *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mtime_s = (int64_t)st->st_mtim.tv_sec;
	id->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
	id->ctime_s = (int64_t)st->st_ctim.tv_sec;
	id->ctime_ns = (int64_t)st->st_ctim.tv_nsec;
}

int hg_ident_equal(const struct hg_ident *a, const struct hg_ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
	       a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns;
}

static int is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* 8-4-4-4-12 lower-case hex, as the kernel prints it. */
static int boot_id_ok(const char *s)
{
	if (strlen(s) != BOOT_ID_LEN)
		return 0;
	for (int i = 0; i < BOOT_ID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!is_hex_lower(s[i])) {
			return 0;
		}
	}
	return 1;
}

/* An opaque token: 1..64 printable ASCII characters, no space. */
static int logid_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > LOGID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return 0;
	return 1;
}

/* Absolute, no control characters: the names the log can hold. */
static int path_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > HG_CEL_MAX_NAME || s[0] != '/')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int hg_boot_id(char buf[37])
{
	char tmp[64];
	ssize_t r;
	int fd, ret = -1;

	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = read(fd, tmp, sizeof(tmp) - 1);
	if (r < 0)
		goto out;
	tmp[r] = '\0';
	if (r > 0 && tmp[r - 1] == '\n')
		tmp[r - 1] = '\0';
	if (!boot_id_ok(tmp)) {
		errno = EINVAL;
		goto out;
	}
	memcpy(buf, tmp, BOOT_ID_LEN + 1);
	ret = 0;
out:
	close(fd);
	return ret;
}

/* FNV-1a over the kind byte and the path. */
static uint64_t hash_key(enum hg_kind kind, const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = (h ^ (uint8_t)kind) * 0x100000001b3ull;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return h;
}

/* The slot holding (kind, path), or the empty slot where it would go. */
static size_t find_slot(const struct hg_idcache *c, enum hg_kind kind,
			const char *path)
{
	size_t mask = c->nslots - 1;
	size_t i = (size_t)hash_key(kind, path) & mask;

	for (;;) {
		uint32_t s = c->slot[i];

		if (s == 0)
			return i;
		if (c->e[s - 1].kind == kind && !strcmp(c->e[s - 1].path, path))
			return i;
		i = (i + 1) & mask;
	}
}

static int rehash(struct hg_idcache *c, size_t nslots)
{
	uint32_t *slot = calloc(nslots, sizeof(*slot));
	uint32_t *old = c->slot;

	if (!slot)
		return -1;
	c->slot = slot;
	c->nslots = nslots;
	for (size_t k = 0; k < c->n; k++)
		c->slot[find_slot(c, c->e[k].kind, c->e[k].path)] =
			(uint32_t)(k + 1);
	free(old);
	return 0;
}

static void clear(struct hg_idcache *c)
{
	for (size_t k = 0; k < c->n; k++)
		free(c->e[k].path);
	c->n = 0;
	if (c->slot)
		memset(c->slot, 0, c->nslots * sizeof(*c->slot));
}

static struct hg_idcache *cache_new(const char *boot_id, const char *logid)
{
	struct hg_idcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	memcpy(c->boot_id, boot_id, BOOT_ID_LEN + 1);
	memcpy(c->logid, logid, strlen(logid) + 1);
	if (rehash(c, 64) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

void hg_idcache_free(struct hg_idcache *c)
{
	if (!c)
		return;
	clear(c);
	free(c->e);
	free(c->slot);
	free(c);
}

int hg_idcache_get(const struct hg_idcache *c, enum hg_kind kind,
		   const char *path, struct hg_ident *id, uint64_t *recnum)
{
	uint32_t s;

	if (!c || !path)
		return 0;
	s = c->slot[find_slot(c, kind, path)];
	if (s == 0)
		return 0;
	if (id)
		*id = c->e[s - 1].id;
	if (recnum)
		*recnum = c->e[s - 1].recnum;
	return 1;
}

/* Insert or replace; a malformed key is EINVAL (it could not be saved). */
int hg_idcache_put(struct hg_idcache *c, enum hg_kind kind, const char *path,
		   const struct hg_ident *id, uint64_t recnum)
{
	size_t i;
	char *copy;

	/* Any kind lib/cel.c can name: the file stores kinds by name. */
	if (!c || !path || !id || !strcmp(hg_kind_name(kind), "?") ||
	    !path_ok(path)) {
		errno = EINVAL;
		return -1;
	}
	i = find_slot(c, kind, path);
	if (c->slot[i]) {
		struct ent *e = &c->e[c->slot[i] - 1];

		e->id = *id;
		e->recnum = recnum;
		return 0;
	}
	if (c->n >= HG_IDCACHE_MAX_ENTRIES) {
		errno = ENOSPC;
		return -1;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		struct ent *e = realloc(c->e, cap * sizeof(*e));

		if (!e)
			return -1;
		c->e = e;
		c->cap = cap;
	}
	copy = strdup(path);
	if (!copy)
		return -1;
	if (2 * (c->n + 1) > c->nslots) {
		if (rehash(c, 2 * c->nslots) < 0) {
			free(copy);
			return -1;
		}
		i = find_slot(c, kind, path);
	}
	c->e[c->n] = (struct ent){ kind, copy, *id, recnum };
	c->slot[i] = (uint32_t)(c->n + 1);
	c->n++;
	return 0;
}

/* Strict decimal: digits only (parse_i64 allows one leading '-'), no
 * '+', no spaces, no empty field, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return -1;
	}
	*out = v;
	return 0;
}

static int parse_i64(const char *s, int64_t *out)
{
	uint64_t v;

	if (*s == '-') {
		if (parse_u64(s + 1, &v) < 0 || v > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
		return 0;
	}
	if (parse_u64(s, &v) < 0 || v > INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Split LINE (NUL-terminated, no newline) at single spaces into at most
 * N fields; the last field takes the rest of the line. 0 if exactly N. */
static int split(char *line, char **f, int n)
{
	int k = 0;

	f[k++] = line;
	while (k < n) {
		char *sp = strchr(f[k - 1], ' ');

		if (!sp)
			return -1;
		*sp = '\0';
		f[k++] = sp + 1;
	}
	return 0;
}

/* 0 an entry added, -1 malformed, -2 out of memory. */
static int parse_entry(struct hg_idcache *c, char *line)
{
	char *f[10];
	struct hg_ident id;
	uint64_t recnum;
	enum hg_kind kind;

	if (split(line, f, 10) < 0)
		return -1;
	kind = hg_kind_parse(f[0], strlen(f[0]));
	if (kind == HG_KIND_NONE)
		return -1;
	if (parse_u64(f[1], &id.dev) < 0 || parse_u64(f[2], &id.ino) < 0 ||
	    parse_u64(f[3], &id.size) < 0 ||
	    parse_i64(f[4], &id.mtime_s) < 0 ||
	    parse_i64(f[5], &id.mtime_ns) < 0 ||
	    parse_i64(f[6], &id.ctime_s) < 0 ||
	    parse_i64(f[7], &id.ctime_ns) < 0 || parse_u64(f[8], &recnum) < 0)
		return -1;
	if (id.mtime_ns < 0 || id.mtime_ns > 999999999 || id.ctime_ns < 0 ||
	    id.ctime_ns > 999999999)
		return -1;
	if (!path_ok(f[9]))
		return -1;
	/* The writer never writes a key twice: a duplicate is corruption. */
	if (hg_idcache_get(c, kind, f[9], NULL, NULL))
		return -1;
	if (hg_idcache_put(c, kind, f[9], &id, recnum) < 0)
		return errno == ENOMEM ? -2 : -1;   /* ENOSPC: too many lines */
	return 0;
}

/* Read one line into BUF without its newline. 1 a line, 0 end of file,
 * -1 malformed (too long, NUL inside, no final newline), -2 I/O error. */
static int read_line(FILE *f, char *buf, size_t size)
{
	size_t len;

	if (!fgets(buf, (int)size, f))
		return ferror(f) ? -2 : 0;
	len = strlen(buf);
	if (len == 0 || buf[len - 1] != '\n')
		return -1;
	buf[len - 1] = '\0';
	return 1;
}

int hg_idcache_load(const char *path, const char *boot_id, const char *logid,
		    struct hg_idcache **out)
{
	struct hg_idcache *c = NULL;
	struct stat st;
	FILE *f = NULL;
	char *line = NULL, *h[4];
	int fd = -1, r, ret = -1, saved = 0;

	*out = NULL;
	if (!boot_id || !logid || !boot_id_ok(boot_id) || !logid_ok(logid)) {
		errno = EINVAL;
		goto out;
	}
	c = cache_new(boot_id, logid);
	line = malloc(LINE_MAX_LEN);
	if (!c || !line)
		goto out;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			ret = 0;
		goto out;
	}
	if (fstat(fd, &st) < 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	f = fdopen(fd, "r");
	if (!f)
		goto out;
	fd = -1;

	r = read_line(f, line, LINE_MAX_LEN);
	if (r == -2)
		goto out;
	if (r != 1 || split(line, h, 4) < 0 || strcmp(h[0], MAGIC) ||
	    strcmp(h[1], VERSION) || strcmp(h[2], boot_id) ||
	    strcmp(h[3], logid)) {
		ret = 0;   /* another boot, log or format: start empty */
		goto out;
	}
	while ((r = read_line(f, line, LINE_MAX_LEN)) == 1) {
		/* fgets stops at NUL silently: a NUL makes the line short. */
		int p = parse_entry(c, line);

		if (p == -2)
			goto out;
		if (p < 0) {
			clear(c);
			ret = 0;
			goto out;
		}
	}
	if (r == -2)
		goto out;
	if (r == -1)
		clear(c);
	ret = 0;
out:
	saved = errno;
	if (ret == 0) {
		*out = c;
		c = NULL;
	}
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	free(line);
	hg_idcache_free(c);
	errno = saved;
	return ret;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = *(const struct ent *const *)a;
	const struct ent *y = *(const struct ent *const *)b;
	int r = strcmp(x->path, y->path);

	return r ? r : (int)x->kind - (int)y->kind;
}

int hg_idcache_save(const struct hg_idcache *c, const char *path)
{
	const struct ent **order = NULL;
	char *buf = NULL;
	size_t size = 0;
	FILE *m = NULL;
	int ret = -1, saved;

	order = malloc((c->n ? c->n : 1) * sizeof(*order));
	if (!order)
		goto out;
	for (size_t k = 0; k < c->n; k++)
		order[k] = &c->e[k];
	qsort(order, c->n, sizeof(*order), ent_cmp);
	m = open_memstream(&buf, &size);
	if (!m)
		goto out;
	fprintf(m, MAGIC " " VERSION " %s %s\n", c->boot_id, c->logid);
	for (size_t k = 0; k < c->n; k++) {
		const struct ent *e = order[k];

		fprintf(m,
			"%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64
			" %" PRId64 " %" PRId64 " %" PRId64 " %" PRIu64 " %s\n",
			hg_kind_name(e->kind), e->id.dev, e->id.ino, e->id.size,
			e->id.mtime_s, e->id.mtime_ns, e->id.ctime_s,
			e->id.ctime_ns, e->recnum, e->path);
	}
	if (fclose(m) != 0) {
		m = NULL;
		goto out;
	}
	m = NULL;
	ret = hg_write_file_atomic(path, buf, size, 0600);
out:
	saved = errno;
	if (m)
		fclose(m);
	free(buf);
	free(order);
	errno = saved;
	return ret;
}
