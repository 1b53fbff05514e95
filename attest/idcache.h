/* idcache.h: "unchanged since its measurement in this boot" (IMA-style).
 *
 * An entry says: the file at PATH, measured as KIND into record RECNUM of
 * the log, had identity ID (device, inode, size, mtime, ctime) when it was
 * hashed. A later measurement of the same (KIND, PATH) whose identity is
 * equal may reuse that record instead of hashing again.
 *
 * Trust boundary (README "Gate: the identity cache"): the cache is a
 * root-only file in the state directory, and trusts the kernel's inode
 * metadata. A writer that changes a file's content through a path that
 * updates neither mtime nor ctime (a raw block device write underneath
 * the filesystem, a filesystem that lies) defeats it, as it defeats IMA.
 * ctime cannot be set from user space, so a content change through the
 * filesystem always shows. The cache never stands alone: a hit is only
 * used when the log still holds record RECNUM for (KIND, PATH) as the
 * latest record of that name (callers check, measureset.c).
 *
 * File format (text, one line each, written atomically):
 *   hostgate-idcache 1 BOOT_ID LOGID
 *   KIND DEV INO SIZE MTIME_S MTIME_NS CTIME_S CTIME_NS RECNUM PATH
 * BOOT_ID is /proc/sys/kernel/random/boot_id; LOGID an opaque token of 1
 * to 64 printable ASCII characters without spaces that names the log
 * (measureset.c uses the log file's "dev:ino"), so a new log, even in the
 * same boot, starts an empty cache. PATH is the rest of the line (absolute, no
 * newline). A cache of another boot or log, a missing file, or any
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
