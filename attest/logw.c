/* logw.c: see logw.h. */
#define _GNU_SOURCE
#include "logw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../lib/cose.h"
#include "../lib/text.h"
#include "../lib/util.h"
#include "cmds.h"

int hg_logw_open(struct hg_logw *w, const char *path, int exclusive)
{
	char dir[PATH_MAX];
	char *slash;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->path = path;
	if (strlen(path) >= sizeof(dir)) {
		hg_err("%s: path too long", path);
		return -1;
	}
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (hg_mkdir_p(dir, 0755) < 0) {
			hg_err("%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	/* O_NOFOLLOW: the log lives in a shared directory (/run); never
	 * write through a link someone planted there. */
	w->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
		     0644);
	if (w->fd < 0) {
		hg_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while (flock(w->fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR) {
			hg_err("%s: lock: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int hg_logw_open_read(struct hg_logw *w, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	w->path = path;
	if (w->fd < 0) {
		if (errno == ENOENT)
			return 0;
		hg_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while (flock(w->fd, LOCK_SH) < 0) {
		if (errno != EINTR) {
			hg_err("%s: lock: %s", path, strerror(errno));
			return -1;
		}
	}
	if (hg_read_fd(w->fd, HG_LOG_MAX_SIZE, &w->buf, &w->size) < 0) {
		hg_err("%s: %s", path, errno == EFBIG ? "log larger than 64 MiB"
						      : strerror(errno));
		return -1;
	}
	return 0;
}

void hg_logw_close(struct hg_logw *w)
{
	if (w->fd >= 0)
		close(w->fd); /* drops the flock */
	free(w->buf);
	free(w->cose_key);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

static int same_digests(const struct hg_digests *a, const struct hg_digests *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct hg_digest *x = hg_digests_get(b, a->v[i].alg);

		if (!x || x->len != a->v[i].len ||
		    memcmp(x->d, a->v[i].d, x->len))
			return 0;
	}
	return 1;
}

/* Sign PAYLOAD, write it as one record, make it durable, then extend. */
static int append_record(struct hg_logw *w, struct hg_tpm *tpm,
			 const uint8_t *payload, size_t len,
			 struct hg_digests *extended)
{
	struct hg_cel_rec rec;
	struct cw out;
	const char *why;
	int ret = HG_EXIT_FAIL;

	cw_init(&out);
	/* Decode what we are about to sign: the writer and every reader
	 * then agree on the format by construction. */
	if (hg_cel_decode(payload, len, &rec, &why) < 0) {
		hg_err("%s: internal: record does not decode: %s", w->path, why);
		goto out;
	}
	if (hg_cose_sign1(w->key, payload, len, &out) < 0) {
		hg_err("%s: cannot sign record %llu", w->path,
		       (unsigned long long)rec.recnum);
		goto out;
	}
	if (hg_write_all(w->fd, out.buf, out.len) < 0 || fdatasync(w->fd) < 0) {
		hg_err("%s: append: %s", w->path, strerror(errno));
		/* Leave no torn tail behind when we still can. */
		if (ftruncate(w->fd, (off_t)w->size) == 0)
			(void)fdatasync(w->fd);
		goto out;
	}
	w->size += out.len;
	/* The record is durable: only now may the PCR move. */
	if (hg_tpm_pcr_extend(tpm, w->pcr, &rec.digests) < 0) {
		hg_err("%s: record %llu is logged but not extended; the next "
		       "run completes it", w->path, (unsigned long long)rec.recnum);
		goto out;
	}
	w->next_recnum++;
	if (extended)
		*extended = rec.digests;
	ret = HG_EXIT_OK;
out:
	cw_free(&out);
	return ret;
}

static int append_log_key(struct hg_logw *w, struct hg_tpm *tpm)
{
	struct cw p;
	int ret = HG_EXIT_FAIL;

	cw_init(&p);
	if (hg_cel_encode_log_key(0, w->pcr, w->algs, w->nalgs, w->cose_key,
				  w->cose_key_len, &p) < 0) {
		hg_err("%s: cannot encode the log-key record", w->path);
		goto out;
	}
	ret = append_record(w, tpm, p.buf, p.len, NULL);
out:
	cw_free(&p);
	return ret;
}

static int inconsistent(struct hg_logw *w, const char *why)
{
	hg_err("%s: %s; refusing to append (the PCR cannot be rolled back: "
	       "reboot, or use another --log and --pcr)", w->path, why);
	return HG_EXIT_INCONSISTENT;
}

static int same_bank_set(const struct hg_logw *w, const struct hg_digests *d)
{
	if (d->n != w->nalgs)
		return 0;
	for (size_t i = 0; i < w->nalgs; i++)
		if (!hg_digests_get(d, w->algs[i]))
			return 0;
	return 1;
}

/* Walk the log once (streaming: a long log costs no memory per record),
 * checking it is ours, and compute the PCR value it replays to with and
 * without its last record. Returns HG_EXIT_* ; *trunc_at gets the offset
 * of a torn tail, or SIZE_MAX. */
static int scan(struct hg_logw *w, size_t len, struct hg_digests *full,
		struct hg_digests *but_last, size_t *trunc_at)
{
	struct hg_log_iter it;
	struct hg_log_rec rec;
	struct hg_digests acc, last = { 0 };
	size_t last_off = 0, last_len = 0;
	int r, ret = HG_EXIT_FAIL;

	*trunc_at = SIZE_MAX;
	memset(&acc, 0, sizeof(acc));
	for (size_t i = 0; i < w->nalgs; i++)
		hg_pcr_reset(w->algs[i], &acc.v[i]);
	acc.n = w->nalgs;
	*but_last = acc;
	hg_log_iter_init_host(&it, w->buf, len);
	while ((r = hg_log_iter_next(&it, &rec)) == 1) {
		if (rec.cel.recnum == 0) {
			if (rec.cel.key_len != w->cose_key_len ||
			    memcmp(rec.cel.key, w->cose_key, rec.cel.key_len)) {
				ret = inconsistent(w, "log is pinned to another log key");
				goto out;
			}
			if (!same_bank_set(w, &rec.cel.digests)) {
				ret = inconsistent(w, "log banks differ from the TPM's active banks");
				goto out;
			}
		}
		if (rec.cel.pcr != w->pcr) {
			ret = inconsistent(w, "log was written for another PCR");
			goto out;
		}
		*but_last = acc;
		for (size_t i = 0; i < w->nalgs; i++)
			if (hg_extend(&acc.v[i], hg_digests_get(&rec.cel.digests,
								 w->algs[i])) < 0)
				goto out;
		last = rec.cel.digests;
		last_off = rec.offset;
		last_len = rec.len;
	}
	if (r < 0) {
		if (!it.err.truncated) {
			char why[256];

			snprintf(why, sizeof(why),
				 "log is corrupt at record %ld (offset %zu): %s",
				 it.err.record, it.err.offset, it.err.msg);
			ret = inconsistent(w, why);
			goto out;
		}
		*trunc_at = it.err.offset;
	}
	/* The scan skips signatures (hg_log_iter_init_host); the one record
	 * a roll-forward would extend is checked here, so the host never
	 * completes a record it did not sign. */
	w->last_signed = 0;
	if (it.n > 0 && it.key) {
		struct cr one;
		struct hg_cose_sign1 cs;
		const char *why;

		cr_init(&one, w->buf + last_off, last_len);
		w->last_signed = hg_cose_sign1_decode(&one, &cs, &why) == 0 &&
				 hg_cose_sign1_verify(it.key, &cs) == 0;
	}
	w->next_recnum = it.n;
	w->last = last;
	*full = acc;
	ret = HG_EXIT_OK;
out:
	hg_log_iter_free(&it);
	return ret;
}

int hg_logw_recover(struct hg_logw *w, struct hg_tpm *tpm, uint32_t pcr,
		    const uint16_t *algs, size_t nalgs, EVP_PKEY *key)
{
	struct hg_digests now, full, but_last;
	struct cw ck;
	size_t len = 0, trunc_at;
	int ret = HG_EXIT_FAIL;

	w->pcr = pcr;
	w->key = key;
	w->nalgs = nalgs;
	memcpy(w->algs, algs, nalgs * sizeof(*algs));
	cw_init(&ck);
	if (hg_cose_key_encode(key, &ck) < 0) {
		hg_err("%s: cannot encode the log key", w->path);
		goto out;
	}
	w->cose_key = cw_take(&ck, &w->cose_key_len);
	if (lseek(w->fd, 0, SEEK_SET) < 0 ||
	    hg_read_fd(w->fd, HG_LOG_MAX_SIZE, &w->buf, &len) < 0) {
		hg_err("%s: %s", w->path, strerror(errno));
		goto out;
	}
	w->size = len;
	if ((ret = scan(w, len, &full, &but_last, &trunc_at)) != HG_EXIT_OK)
		goto out;
	ret = HG_EXIT_FAIL;
	if (hg_tpm_pcr_read(tpm, pcr, algs, nalgs, &now) < 0)
		goto out;
	if (same_digests(&now, &full)) {
		/* consistent */
	} else if (w->next_recnum > 0 && same_digests(&now, &but_last)) {
		/* Logged and durable but not extended: roll forward. */
		if (!w->last_signed) {
			ret = inconsistent(w, "the pending last record is not signed by our log key");
			goto out;
		}
		if (hg_tpm_pcr_extend(tpm, pcr, &w->last) < 0)
			goto out;
		hg_err("%s: completed pending record %llu (crash between log "
		       "write and PCR extend)", w->path,
		       (unsigned long long)w->next_recnum - 1);
	} else {
		ret = inconsistent(w, w->next_recnum ? "PCR does not match the log"
					      : "log is empty but the PCR is not in its reset state");
		goto out;
	}
	/* Only now, with the PCR agreeing with the records before it, is a
	 * torn tail known to be a crash and not a cut-off extended record. */
	if (trunc_at != SIZE_MAX) {
		/* A torn tail is an append that died before its fdatasync
		 * returned; it was never extended, so dropping it is exact. */
		if (ftruncate(w->fd, (off_t)trunc_at) < 0 || fdatasync(w->fd) < 0) {
			hg_err("%s: truncate: %s", w->path, strerror(errno));
			goto out;
		}
		hg_err("%s: dropped a torn record at offset %zu (crash during append)",
		       w->path, trunc_at);
		w->size = trunc_at;
	}
	if (w->next_recnum == 0 && (ret = append_log_key(w, tpm)) != HG_EXIT_OK)
		goto out;
	ret = HG_EXIT_OK;
out:
	cw_free(&ck);
	return ret;
}

/* A name the log's readers would refuse (lib/text.h, cel.h) is refused
 * here with its reason and shown escaped, before a record is made: a
 * host never writes a record its verifier cannot read. */
static int name_refused(const struct hg_logw *w, const char *name)
{
	const char *why;
	char *shown;

	if (hg_name_check((const uint8_t *)name, strlen(name), &why) == 0)
		return 0;
	shown = hg_escape((const uint8_t *)name, strlen(name));
	hg_err("%s: %s: file name %s: not measured", w->path,
	       shown ? shown : "?", why);
	free(shown);
	return 1;
}

int hg_logw_append_file(struct hg_logw *w, struct hg_tpm *tpm,
			enum hg_kind kind, const char *name, uint64_t size,
			const struct hg_digests *file, uint64_t *recnum,
			struct hg_digests *extended)
{
	struct cw p;
	int ret = HG_EXIT_FAIL;

	cw_init(&p);
	*recnum = w->next_recnum;
	if (name_refused(w, name))
		goto out;
	if (hg_cel_encode_file(w->next_recnum, w->pcr, kind, name, size, file,
			       &p) < 0) {
		hg_err("%s: cannot encode a record for %s", w->path, name);
		goto out;
	}
	ret = append_record(w, tpm, p.buf, p.len, extended);
out:
	cw_free(&p);
	return ret;
}

int hg_logw_append_path(struct hg_logw *w, struct hg_tpm *tpm,
			enum hg_kind kind, const char *name, uint64_t *recnum)
{
	struct cw p;
	int ret = HG_EXIT_FAIL;

	cw_init(&p);
	*recnum = w->next_recnum;
	if (name_refused(w, name))
		goto out;
	if (hg_cel_encode_path(w->next_recnum, w->pcr, kind, name, w->algs,
			       w->nalgs, &p) < 0) {
		hg_err("%s: cannot encode a path record for %s", w->path, name);
		goto out;
	}
	ret = append_record(w, tpm, p.buf, p.len, NULL);
out:
	cw_free(&p);
	return ret;
}

/* The refs of a launch record, from the log under our lock. */
static int launch_refs(struct hg_logw *w, const struct hg_launch_want *want,
		       size_t n, struct hg_launch_ref *refs)
{
	struct hg_log_iter it;
	struct hg_log_rec rec;
	size_t found = 0;
	int r, ret = -1;

	hg_log_iter_init_host(&it, w->buf, w->size);
	while (found < n && (r = hg_log_iter_next(&it, &rec)) == 1) {
		const struct hg_cel_rec *c = &rec.cel;

		if (c->recnum != want[found].recnum)
			continue;
		if (c->type != HG_CT_FILE || c->kind != want[found].kind ||
		    c->name_len != strlen(want[found].name) ||
		    memcmp(c->name, want[found].name, c->name_len)) {
			hg_err("%s: record %llu is not the %s %s this start was allowed on",
			       w->path, (unsigned long long)c->recnum,
			       hg_kind_name(want[found].kind), want[found].name);
			goto out;
		}
		refs[found].recnum = c->recnum;
		refs[found].kind = c->kind;
		refs[found].digests = c->digests;
		found++;
	}
	if (found < n) {
		hg_err("%s: record %llu (%s %s) is not in the log", w->path,
		       (unsigned long long)want[found].recnum,
		       hg_kind_name(want[found].kind), want[found].name);
		goto out;
	}
	ret = 0;
out:
	hg_log_iter_free(&it);
	return ret;
}

int hg_logw_append_launch(struct hg_logw *w, struct hg_tpm *tpm,
			  const char *domain, const uint8_t *uuid,
			  const struct hg_launch_want *want, size_t n,
			  uint64_t *recnum)
{
	struct hg_launch_ref *refs = NULL;
	struct cw p;
	int ret = HG_EXIT_FAIL;

	cw_init(&p);
	*recnum = w->next_recnum;
	if (n == 0 || n > HG_CEL_MAX_REFS) {
		hg_err("%s: a launch record refers to 1..%d records, not %zu", w->path,
		       HG_CEL_MAX_REFS, n);
		goto out;
	}
	refs = calloc(n, sizeof(*refs));
	if (!refs) {
		hg_err("out of memory");
		goto out;
	}
	if (launch_refs(w, want, n, refs) < 0)
		goto out;
	if (hg_cel_encode_launch(w->next_recnum, w->pcr, domain, uuid, refs, n,
				 w->algs, w->nalgs, &p) < 0) {
		hg_err("%s: cannot encode a launch record for domain %s", w->path, domain);
		goto out;
	}
	ret = append_record(w, tpm, p.buf, p.len, NULL);
out:
	free(refs);
	cw_free(&p);
	return ret;
}
