/* measureset.c: see measureset.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../lib/hglog.h"
#include "../lib/util.h"
#include "cmds.h"
#include "hashpool.h"
#include "idcache.h"
#include "logw.h"
#include "measureset.h"
#include "state.h"

/* Per item working state, beside the caller's array. */
struct work {
	struct hg_ident before;  /* lstat of the path before hashing */
	int is_file;             /* hashed from a file (not memory, not overlay) */
	int cached;              /* idcache says: unchanged since recnum */
	uint64_t cached_recnum;
	int hashed;              /* item->file holds fresh digests */
	int cacheable;           /* that hash may stand for the identity */
	int has_latest;          /* the log's latest record of (kind, name) */
	uint64_t latest_recnum;
	struct hg_digests latest;
};

int hg_mset_open(struct hg_mset *m, const struct hg_opts *o, struct hg_tpm *tpm)
{
	m->o = o;
	m->tpm = tpm;
	m->key = NULL;
	m->nalgs = 0;
	if (hg_state_log_key(o->state, 0, &m->key) < 0)
		return -1;
	return hg_tpm_banks(tpm, m->algs, &m->nalgs);
}

void hg_mset_close(struct hg_mset *m)
{
	EVP_PKEY_free(m->key);
	m->key = NULL;
}

void hg_mset_print(const struct hg_mitem *it)
{
	const struct hg_digest *d = hg_digests_get(&it->file, HG_ALG_SHA256);
	const char *unchanged = it->fresh ? "" : " (unchanged)";
	char hex[2 * HG_MAX_DIGEST + 1];

	if (!d && it->file.n)
		d = &it->file.v[0];
	if (!d) {
		printf("%llu %s - %s%s\n", (unsigned long long)it->recnum,
		       hg_kind_name(it->kind), it->path, unchanged);
		return;
	}
	hg_hex_encode(d->d, d->len, hex);
	printf("%llu %s %s:%s %s%s\n", (unsigned long long)it->recnum, hg_kind_name(it->kind),
	       hg_bank_by_alg(d->alg)->name, hex, it->path, unchanged);
}

static int same_name(const struct hg_cel_rec *r, enum hg_kind kind,
		     const char *path)
{
	return r->type == HG_CT_FILE && r->kind == kind &&
	       r->name_len == strlen(path) && !memcmp(r->name, path, r->name_len);
}

static int same_file_digests(const struct hg_digests *a,
			     const struct hg_digests *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct hg_digest *d = hg_digests_get(b, a->v[i].alg);

		if (!d || d->len != a->v[i].len || memcmp(d->d, a->v[i].d, d->len))
			return 0;
	}
	return 1;
}

/* The latest record of each item's (kind, name) in LEN bytes of BUF: one
 * pass over the log, whatever the number of items. The host's own scan
 * (no signatures: the log has just been checked against the PCR). */
static int find_latest(const uint8_t *buf, size_t len, struct hg_mitem *items,
		       struct work *w, size_t n)
{
	struct hg_log_iter it;
	struct hg_log_rec rec;
	int r;

	for (size_t i = 0; i < n; i++)
		w[i].has_latest = 0;
	if (!buf || len == 0)
		return 0;
	hg_log_iter_init_host(&it, buf, len);
	while ((r = hg_log_iter_next(&it, &rec)) == 1) {
		for (size_t i = 0; i < n; i++) {
			if (!same_name(&rec.cel, items[i].kind, items[i].path))
				continue;
			w[i].has_latest = 1;
			w[i].latest_recnum = rec.cel.recnum;
			w[i].latest = rec.cel.file;
		}
	}
	hg_log_iter_free(&it);
	if (r < 0)
		hg_err("log: record %ld: %s", it.err.record, it.err.msg);
	return r < 0 ? -1 : 0;
}

static void set_err(struct hg_mitem *it, int err, const char *why)
{
	it->err = err;
	it->why = why;
	hg_err("%s: %s", it->path, why);
}

/* Identity before hashing; a path that is not a regular file now (or is
 * a symlink: callers pass canonical paths) is refused. */
static int stat_before(struct hg_mitem *it, struct work *w)
{
	struct stat st;

	if (lstat(it->path, &st) < 0) {
		set_err(it, errno, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(it, EINVAL, S_ISLNK(st.st_mode)   ? "is a symlink (changed while being measured?)"
				    : S_ISDIR(st.st_mode) ? hg_strerror_read(EISDIR)
							  : hg_strerror_read(EINVAL));
		return -1;
	}
	/* A disk layer: the file hashed must be the one whose header gave
	 * the chain; check_after() then ties the hashed descriptor to it. */
	if (it->has_id && ((uint64_t)st.st_dev != it->dev || (uint64_t)st.st_ino != it->ino)) {
		set_err(it, ESTALE, "is not the file whose header was read (replaced since)");
		return -1;
	}
	hg_ident_from_stat(&st, &w->before);
	return 0;
}

/* The file hashed is the file at the path, before and after. */
static int check_after(struct hg_mitem *it, const struct hg_hash_job *j,
		       const struct work *w)
{
	struct hg_ident fd_id, now_id;
	struct stat st;

	hg_ident_from_stat(&j->st, &fd_id);
	if (lstat(it->path, &st) < 0) {
		set_err(it, errno, "vanished while being measured");
		return -1;
	}
	hg_ident_from_stat(&st, &now_id);
	if (!hg_ident_equal(&fd_id, &w->before) || !hg_ident_equal(&now_id, &w->before) ||
	    j->size != w->before.size) {
		set_err(it, EAGAIN, "changed while being measured");
		return -1;
	}
	return 0;
}

/* May this hash be cached against the file's identity (idcache.h)? Only
 * if nobody could write the file while it was hashed (the read lease,
 * hashpool.h), and its ctime is SETTLE_S seconds older than now: inode
 * times are coarse (a jiffy; whole seconds on some filesystems), and a
 * write in the same tick as the one our identity saw would keep ctime. */
#define SETTLE_S 2
static int cacheable(const struct hg_hash_job *j)
{
	struct timespec now;

	if (!j->unshared || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 0;
	return (int64_t)j->st.st_ctim.tv_sec + SETTLE_S < (int64_t)now.tv_sec;
}

static int hash_memory(struct hg_mset *m, struct hg_mitem *it)
{
	it->file.n = 0;
	for (size_t b = 0; b < m->nalgs; b++) {
		if (hg_hash(m->algs[b], it->data, it->len, &it->file.v[b]) < 0) {
			set_err(it, ENOMEM, "cannot hash");
			return -1;
		}
		it->file.n++;
	}
	it->size = it->len;
	return 0;
}

/* Hash every file item in IDX[0..k) in parallel; identity checked. */
static int hash_files(struct hg_mset *m, struct hg_mitem *items,
		      struct work *w, const size_t *idx, size_t k)
{
	struct hg_hash_job *jobs = NULL;
	int ret = -1;

	if (k == 0)
		return 0;
	jobs = calloc(k, sizeof(*jobs));
	if (!jobs) {
		hg_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < k; i++)
		jobs[i].path = items[idx[i]].path;
	if (hg_hash_files(jobs, k, m->algs, m->nalgs, m->progress) < 0) {
		for (size_t i = 0; i < k; i++)
			if (jobs[i].err)
				set_err(&items[idx[i]], jobs[i].err, hg_strerror_read(jobs[i].err));
		goto out;
	}
	for (size_t i = 0; i < k; i++) {
		struct hg_mitem *it = &items[idx[i]];

		if (check_after(it, &jobs[i], &w[idx[i]]) < 0)
			goto out;
		it->file = jobs[i].d;
		it->size = jobs[i].size;
		w[idx[i]].hashed = 1;
		w[idx[i]].cacheable = cacheable(&jobs[i]);
	}
	ret = 0;
out:
	free(jobs);
	return ret;
}

/* Read-only look at the log (shared lock) and the cache: which file items
 * are unchanged since the record that still stands for them? */
static int plan_reuse(struct hg_mset *m, struct hg_mitem *items, struct work *w,
		      size_t n, struct hg_idcache *cache)
{
	struct hg_logw lw = { .fd = -1 };
	int ret = -1;

	if (hg_logw_open_read(&lw, m->o->log) < 0)
		goto out;
	if (find_latest(lw.buf, lw.size, items, w, n) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct hg_ident id;
		uint64_t recnum;

		if (w[i].is_file && w[i].has_latest &&
		    hg_idcache_get(cache, items[i].kind, items[i].path, &id, &recnum) == 1 &&
		    hg_ident_equal(&id, &w[i].before) && recnum == w[i].latest_recnum) {
			w[i].cached = 1;
			w[i].cached_recnum = recnum;
		}
	}
	ret = 0;
out:
	hg_logw_close(&lw);
	return ret;
}

static int cache_path(const struct hg_mset *m, char *buf, size_t len)
{
	if (hg_state_path(buf, len, m->o->state, HG_IDCACHE_FILE) < 0) {
		hg_err("%s: state directory path too long", m->o->state);
		return -1;
	}
	return 0;
}

/* "dev:ino" of the log file: a log deleted and recreated in this boot is
 * another log, and its cache starts empty (idcache.h). */
static void log_id(int fd, char out[64])
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		snprintf(out, 64, "none");
	else
		snprintf(out, 64, "%llx:%llx", (unsigned long long)st.st_dev,
			 (unsigned long long)st.st_ino);
}

/* Under the exclusive lock: reuse what still stands, append the rest. */
static int append_all(struct hg_mset *m, struct hg_logw *lw,
		      struct hg_mitem *items, struct work *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct hg_mitem *it = &items[i];
		int ret;

		if (w[i].cached || (w[i].has_latest && it->kind == HG_KIND_OVERLAY) ||
		    (w[i].hashed && w[i].has_latest && same_file_digests(&it->file, &w[i].latest))) {
			it->recnum = w[i].latest_recnum;
			it->fresh = 0;
			if (w[i].cached || it->kind == HG_KIND_OVERLAY)
				it->file = w[i].latest;
			continue;
		}
		if (it->kind == HG_KIND_OVERLAY)
			ret = hg_logw_append_path(lw, m->tpm, it->kind, it->path, &it->recnum);
		else
			ret = hg_logw_append_file(lw, m->tpm, it->kind, it->path,
						  it->size, &it->file, &it->recnum, NULL);
		if (ret != HG_EXIT_OK)
			return ret;
		it->fresh = 1;
		/* A later item of the same name (two disks on one backing
		 * file) now finds this record. */
		for (size_t j = i + 1; j < n; j++) {
			if (items[j].kind == it->kind && !strcmp(items[j].path, it->path)) {
				w[j].has_latest = 1;
				w[j].latest_recnum = it->recnum;
				w[j].latest = it->file;
				w[j].cached = 0;
			}
		}
	}
	return HG_EXIT_OK;
}

int hg_mset_measure(struct hg_mset *m, struct hg_mitem *items, size_t n)
{
	struct hg_logw lw = { .fd = -1 };
	struct hg_idcache *cache = NULL;
	struct work *w = NULL;
	size_t *idx = NULL, k = 0;
	char cpath[4096], boot[37], lid[64];
	int ret = HG_EXIT_FAIL;

	w = calloc(n ? n : 1, sizeof(*w));
	idx = calloc(n ? n : 1, sizeof(*idx));
	if (!w || !idx) {
		hg_err("out of memory");
		goto out;
	}
	if (cache_path(m, cpath, sizeof(cpath)) < 0 || hg_boot_id(boot) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		items[i].err = 0;
		items[i].why = NULL;
		items[i].fresh = 0;
		items[i].size = 0;
		items[i].file.n = 0;
		w[i].is_file = !items[i].data && items[i].kind != HG_KIND_OVERLAY;
		if (w[i].is_file && stat_before(&items[i], &w[i]) < 0)
			goto out;
	}
	/* The cache is keyed to the log it describes: peek at the log to
	 * learn its identity before loading the cache. */
	lw.fd = -1;
	if (hg_logw_open_read(&lw, m->o->log) < 0)
		goto out;
	log_id(lw.fd, lid);
	hg_logw_close(&lw);
	memset(&lw, 0, sizeof(lw));
	lw.fd = -1;
	if (hg_idcache_load(cpath, boot, lid, &cache) < 0)
		goto out;
	if (plan_reuse(m, items, w, n, cache) < 0)
		goto out;
	/* Hash without the lock: a large image must not block a quote. */
	for (size_t i = 0; i < n; i++) {
		if (items[i].data) {
			if (hash_memory(m, &items[i]) < 0)
				goto out;
			w[i].hashed = 1;
		} else if (w[i].is_file && !w[i].cached) {
			idx[k++] = i;
		}
	}
	if (hash_files(m, items, w, idx, k) < 0) {
		hg_err("nothing measured");
		goto out;
	}
	if (hg_logw_open(&lw, m->o->log, 1) < 0)
		goto out;
	if ((ret = hg_logw_recover(&lw, m->tpm, m->o->pcr, m->algs, m->nalgs, m->key)) != 0)
		goto out;
	ret = HG_EXIT_FAIL;
	/* The log may have grown since the peek: look again under the lock.
	 * recover() appended nothing but the log-key record of a new log,
	 * which is not in lw.buf; such a log has no file records. */
	if (find_latest(lw.next_recnum > 1 ? lw.buf : NULL, lw.size, items, w, n) < 0)
		goto out;
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (w[i].cached && !(w[i].has_latest && w[i].latest_recnum == w[i].cached_recnum)) {
			/* Superseded meanwhile by another writer: hash it now. */
			w[i].cached = 0;
			idx[k++] = i;
		}
	}
	if (hash_files(m, items, w, idx, k) < 0)
		goto out;
	if ((ret = append_all(m, &lw, items, w, n)) != HG_EXIT_OK)
		goto out;
	/* Reused entries stay; a fresh hash enters only if cacheable(). */
	for (size_t i = 0; i < n; i++)
		if (w[i].is_file && (w[i].cached || w[i].cacheable) &&
		    hg_idcache_put(cache, items[i].kind, items[i].path, &w[i].before,
				   items[i].recnum) < 0)
			break;
	/* A cache that cannot be saved costs a hash next time, nothing more. */
	if (hg_idcache_save(cache, cpath) < 0)
		hg_err("%s: cannot save the identity cache: %s", cpath, strerror(errno));
	ret = HG_EXIT_OK;
out:
	hg_logw_close(&lw);
	hg_idcache_free(cache);
	free(idx);
	free(w);
	return ret;
}
