/* idcache.h: "unchanged since its measurement in this boot" (IMA-style).
 *
 * An entry says: the file at PATH, measured as KIND into record RECNUM of
 * the log, had identity ID (device, inode, size, mtime, ctime) when it was
 * hashed. A later measurement of the same (KIND, PATH) whose identity is
 * equal may reuse that record instead of hashing again.
 *
 * Trust boundary (docs/gate.md "Unchanged since measured"): the cache is
 * a root-only file in the state directory, and trusts the kernel's inode
 * metadata. ctime alone is NOT enough: a write through a shared writable
 * mmap whose page is already dirty moves neither mtime nor ctime (nor
 * does msync), so a writer that mapped the file before it was measured
 * can change it afterwards unseen. The rule (measureset.c, hashpool.h):
 * an entry is written only for a hash made under a read lease
 * (F_SETLEASE F_RDLCK), granted before the first read and still held
 * after the last, on a local filesystem, and only when the file's ctime
 * is 2 s older than the hash. The lease proves that no open file
 * description had the file open for writing, shared mappings included,
 * during the hash; so any later change needs a new open and a write(2)
 * or a first write fault on a newly mapped page, both of which set ctime
 * to "now", which differs from the recorded ctime. A writer beneath the
 * filesystem (a raw block device) or a filesystem that lies still
 * defeats it, as it defeats IMA. The cache never stands alone: a hit is
 * only used when the log still holds record RECNUM for (KIND, PATH) as
 * the latest record of that name (callers check, measureset.c).
 *
 * File format (text, one line each, written atomically):
 *   hostgate-idcache 2 BOOT_ID LOGID
 *   KIND DEV INO SIZE MTIME_S MTIME_NS CTIME_S CTIME_NS RECNUM PATH
 * BOOT_ID is /proc/sys/kernel/random/boot_id; LOGID an opaque token of 1
 * to 64 printable ASCII characters without spaces that names the log
 * (measureset.c uses the log file's "dev:ino"), so a new log, even in the
 * same boot, starts an empty cache. PATH is the rest of the line (absolute, no
 * newline). A cache of another version (1: before the lease rule), boot or log, a missing file, or any
 * malformed line gives an empty cache (a cache miss costs a hash, never
 * correctness); only I/O errors other than ENOENT are errors, and so is
 * a symlink (ELOOP: opened O_NOFOLLOW) or a non-regular file (EINVAL).
 * Lookups are O(1) (a hash over (KIND, PATH)); save writes the lines
 * sorted by PATH, then KIND.
 *
 * Contract: hg_idcache_free() accepts NULL. Strings are copied in.
 */
#ifndef HG_IDCACHE_H
#define HG_IDCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "../lib/cel.h"

#define HG_IDCACHE_FILE "idcache"
#define HG_IDCACHE_MAX_ENTRIES 65536

struct hg_ident {
	uint64_t dev, ino, size;
	int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
};

void hg_ident_from_stat(const struct stat *st, struct hg_ident *id);
int hg_ident_equal(const struct hg_ident *a, const struct hg_ident *b);

struct hg_idcache;

/* The running kernel's boot id (36 chars + NUL) into BUF[37]. */
int hg_boot_id(char buf[37]);

/* Load PATH for (BOOT_ID, LOGID); *c is always a usable cache on 0. */
int hg_idcache_load(const char *path, const char *boot_id,
		    const char *logid, struct hg_idcache **c);
/* 1 and *id, *recnum filled if (KIND, PATH) has an entry, else 0. */
int hg_idcache_get(const struct hg_idcache *c, enum hg_kind kind,
		   const char *path, struct hg_ident *id, uint64_t *recnum);
/* Insert or replace. -1 on OOM, ENOSPC when full (replacing still
 * works), EINVAL for a kind or path the file could not hold. */
int hg_idcache_put(struct hg_idcache *c, enum hg_kind kind, const char *path,
		   const struct hg_ident *id, uint64_t recnum);
/* Write atomically (mode 0600). */
int hg_idcache_save(const struct hg_idcache *c, const char *path);
void hg_idcache_free(struct hg_idcache *c);

#endif
