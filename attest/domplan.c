/* domplan.c: see domplan.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domfiles.h"
#include "domplan.h"
#include "imgchain.h"

#define MAX_DISKS 128

struct disk {
	int used;
	const char *type, *device, *format, *target;
	const char *src;          /* source@file */
	size_t src_len, fmt_len, type_len, device_len, target_len;
	int other_source;         /* source@dev, @name, @pool, @dir */
	int readonly;
	/* <backingStore> as the XML gives it (libvirt's detected chain in a
	 * running domain's XML, or one the user wrote): bs[k] is the source
	 * of the layer k deep; bs_end the depth of the empty terminator. */
	const char *bs[HG_CHAIN_MAX_DEPTH + 1];
	size_t bs_len[HG_CHAIN_MAX_DEPTH + 1];
	const char *bs_fmt[HG_CHAIN_MAX_DEPTH + 1];
	size_t bs_fmt_len[HG_CHAIN_MAX_DEPTH + 1];
	const char *repeated;     /* a child libvirt reads once, given twice */
	size_t bs_end;
	int bs_any, bs_bad;
};

/* A value from the form, NUL-terminated into BUF. */
static const char *val(const char *v, size_t n, char *buf, size_t len)
{
	if (n >= len)
		n = len - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

static int starts(const char *s, size_t n, const char *prefix)
{
	size_t l = strlen(prefix);

	return n >= l && !memcmp(s, prefix, l);
}

static int is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && !memcmp(s, lit, n);
}

/* "domain/devices/disk[N]REST" or "domain/devices/disk REST": the disk
 * index (0-based) and REST, or -1 if the line is not a disk's. */
static long disk_line(const char *k, size_t kn, const char **rest, size_t *rn)
{
	static const char pre[] = "domain/devices/disk";
	const char *p = k + sizeof(pre) - 1, *end = k + kn;
	long idx = 0;

	if (!starts(k, kn, pre))
		return -1;
	if (p < end && *p == '[') {
		idx = 0;
		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
			idx = idx * 10 + (*p - '0');
			if (idx > MAX_DISKS)
				return MAX_DISKS;
		}
		if (p == end || *p != ']' || idx == 0)
			return -1;
		p++;
		idx--;
	}
	if (p < end && *p != '/' && *p != '@')
		return -1;  /* "diskfoo" */
	*rest = p;
	*rn = (size_t)(end - p);
	return idx;
}

int hg_plan_add(struct hg_plan *p, enum hg_kind kind, const char *path,
		char *why, size_t whylen)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].kind == kind && !strcmp(p->v[i].path, path))
			return 0;
	/* The same file as golden and as overlay would be both hashed and
	 * written: refuse rather than pick one. */
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].path, path)) {
			snprintf(why, whylen, "%s is used both as %s and as %s", path,
				 hg_kind_name(p->v[i].kind), hg_kind_name(kind));
			return -1;
		}
	if (p->n == HG_PLAN_MAX) {
		snprintf(why, whylen, "more than %d files to measure", HG_PLAN_MAX);
		return -1;
	}
	p->v[p->n].path = strdup(path);
	if (!p->v[p->n].path) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	p->v[p->n++].kind = kind;
	return 0;
}

/* qemu opens the chain libvirt gives it, which is the XML's when the XML
 * has one: it must be, layer by layer, the chain the headers name (and
 * that the gate hashes). */
static int check_backing(const struct disk *d, const struct hg_chain *ch)
{
	if (d->bs_bad || (d->bs_end && d->bs_end != ch->n))
		return -1;
	for (size_t k = 1; k <= HG_CHAIN_MAX_DEPTH; k++) {
		char path[PATH_MAX], *real;
		int same;

		if (k >= ch->n) {
			if (d->bs[k])
				return -1;
			continue;
		}
		if (!d->bs[k] || d->bs_len[k] >= sizeof(path))
			return -1;
		val(d->bs[k], d->bs_len[k], path, sizeof(path));
		real = realpath(path, NULL);
		same = real && !strcmp(real, ch->layer[k].path);
		free(real);
		if (!same)
			return -1;
		/* The format qemu is told must be the one the header records:
		 * a qcow2 layer read as raw exposes its metadata, a raw one
		 * read as qcow2 may name further files. */
		if (d->bs_fmt[k] &&
		    !(ch->layer[k].fmt == HG_FMT_QCOW2 ? is(d->bs_fmt[k], d->bs_fmt_len[k], "qcow2")
							: is(d->bs_fmt[k], d->bs_fmt_len[k], "raw")))
			return -1;
	}
	return 0;
}

/* Remember which file a layer's header was read from. Two disks reaching
 * one path must have read one file: if it was replaced between the two
 * reads, refuse. */
static int set_id(struct hg_plan *p, const struct hg_layer *l, char *why,
		  size_t whylen)
{
	for (size_t i = 0; i < p->n; i++) {
		struct hg_plan_item *it = &p->v[i];

		if (strcmp(it->path, l->path))
			continue;
		if (it->has_id && (it->dev != l->dev || it->ino != l->ino)) {
			snprintf(why, whylen, "%s changed while the disks were read", l->path);
			return -1;
		}
		it->has_id = 1;
		it->dev = l->dev;
		it->ino = l->ino;
	}
	return 0;
}

static int plan_disk(const struct disk *d, size_t i, const struct hg_gateconf *cfg,
		     struct hg_plan *p, char *why, size_t whylen)
{
	char type[32], dev[32], fmt[32], tgt[64], src[PATH_MAX], cwhy[512];
	struct hg_chain ch = { 0 };
	int ret = -1;

	val(d->type ? d->type : "file", d->type ? d->type_len : 4, type, sizeof(type));
	val(d->device ? d->device : "disk", d->device ? d->device_len : 4, dev, sizeof(dev));
	if (d->target)
		val(d->target, d->target_len, tgt, sizeof(tgt));
	else
		snprintf(tgt, sizeof(tgt), "#%zu", i + 1);
	if (d->repeated) {
		snprintf(why, whylen, "disk %s: <%s> given more than once", tgt, d->repeated);
		return -1;
	}
	if (!d->src && !d->other_source && (!strcmp(dev, "cdrom") || !strcmp(dev, "floppy")))
		return 0;   /* an empty drive */
	if (strcmp(type, "file") || !d->src) {
		snprintf(why, whylen, "disk %s: type %s cannot be measured (the gate hashes file disks only)",
			 tgt, type);
		return -1;
	}
	if (d->src_len >= sizeof(src)) {
		snprintf(why, whylen, "disk %s: source path too long", tgt);
		return -1;
	}
	if (d->src_len == 0 || d->src[0] != '/') {
		snprintf(why, whylen, "disk %s: source is not an absolute path", tgt);
		return -1;
	}
	val(d->src, d->src_len, src, sizeof(src));
	val(d->format ? d->format : "raw", d->format ? d->fmt_len : 3, fmt, sizeof(fmt));
	if (hg_chain_resolve(src, fmt, (const char *const *)cfg->image_dirs, cfg->nimage_dirs,
			     &ch, cwhy, sizeof(cwhy)) < 0) {
		snprintf(why, whylen, "disk %s: %s", tgt, cwhy);
		goto out;
	}
	if (d->bs_any && check_backing(d, &ch) < 0) {
		snprintf(why, whylen, "disk %s: the <backingStore> chain in the domain XML differs from the image headers",
			 tgt);
		goto out;
	}
	for (size_t l = 0; l < ch.n; l++) {
		int golden = l > 0 || d->readonly ||
			     hg_path_under(ch.layer[l].path, cfg->golden_dirs, cfg->ngolden_dirs);

		/* An overlay is recorded by path, not hashed: with no golden
		 * image behind it, nothing the guest boots from is measured
		 * (issue 12 item 6). */
		if (!golden && ch.n == 1) {
			snprintf(why, whylen, "disk %s: %s is a writable image with no golden image behind it (a standalone overlay: nothing it boots from would be hashed)",
				 tgt, ch.layer[0].path);
			goto out;
		}

		if (hg_plan_add(p, golden ? HG_KIND_IMAGE : HG_KIND_OVERLAY, ch.layer[l].path,
				why, whylen) < 0 ||
		    set_id(p, &ch.layer[l], why, whylen) < 0)
			goto out;
	}
	ret = 0;
out:
	hg_chain_free(&ch);
	return ret;
}

/* <os> files: kernel, initrd, dtb (images), loader and nvram template
 * (firmware), nvram (overlay). */
static int plan_os(const char *k, size_t kn, const char *v, size_t vn,
		   const struct hg_gateconf *cfg, struct hg_plan *p,
		   char *why, size_t whylen)
{
	static const struct { const char *key; enum hg_kind kind; int dirs; } os[] = {
		{ "domain/os/kernel", HG_KIND_IMAGE, 1 },
		{ "domain/os/initrd", HG_KIND_IMAGE, 1 },
		{ "domain/os/dtb", HG_KIND_IMAGE, 1 },
		{ "domain/os/loader", HG_KIND_FIRMWARE, 0 },
		{ "domain/os/nvram@template", HG_KIND_FIRMWARE, 0 },
		{ "domain/os/nvram", HG_KIND_OVERLAY, 0 },
	};
	char path[PATH_MAX], *real;
	int ret = -1;

	/* Two <os> or <devices> blocks, or a second <kernel> (...): libvirt
	 * reads the first, or all; either way not what the plan would. */
	if (starts(k, kn, "domain/os[") || starts(k, kn, "domain/devices[")) {
		snprintf(why, whylen, "<%s> given more than once", starts(k, kn, "domain/os[") ? "os" : "devices");
		return -1;
	}
	for (size_t i = 0; i < sizeof(os) / sizeof(os[0]); i++) {
		size_t l = strlen(os[i].key);

		if (!strchr(os[i].key, '@') && kn > l && starts(k, kn, os[i].key) && k[l] == '[') {
			snprintf(why, whylen, "<%s> given more than once", os[i].key + 10);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(os) / sizeof(os[0]); i++) {
		if (!is(k, kn, os[i].key))
			continue;
		if (vn == 0 || vn >= sizeof(path) || v[0] != '/') {
			snprintf(why, whylen, "%s: not an absolute path", os[i].key + 7);
			return -1;
		}
		val(v, vn, path, sizeof(path));
		/* An nvram file may not exist yet: libvirt creates it from the
		 * template at first start; it is recorded by path. */
		real = realpath(path, NULL);
		/* nvram holds the guest's Secure Boot keys and boot entries:
		 * with nvram = hashed it is hashed like a golden image, so
		 * the guest starts only from a variable store the policy
		 * knows; it must then exist. */
		if (os[i].kind == HG_KIND_OVERLAY && cfg->nvram_hashed) {
			if (!real) {
				snprintf(why, whylen, "nvram %s: cannot be resolved (gate.conf nvram = hashed needs the variable store to exist)",
					 path);
				return -1;
			}
			ret = hg_plan_add(p, HG_KIND_IMAGE, real, why, whylen);
			goto out;
		}
		if (!real && os[i].kind == HG_KIND_OVERLAY)
			return hg_plan_add(p, os[i].kind, path, why, whylen);
		if (!real) {
			snprintf(why, whylen, "%s %s: cannot be resolved", os[i].key + 7, path);
			return -1;
		}
		if (os[i].dirs && !hg_path_under(real, cfg->image_dirs, cfg->nimage_dirs)) {
			snprintf(why, whylen, "%s %s lies outside the image directories",
				 os[i].key + 7, real);
			goto out;
		}
		ret = hg_plan_add(p, os[i].kind, real, why, whylen);
		goto out;
	}
	return 0;
out:
	free(real);
	return ret;
}

/* libvirt reads one of each of these per disk (the first): a second one
 * would make the plan and qemu disagree, so it is refused. domxml gives
 * a repeated element an index: "/driver[2]@type". */
static const char *repeated_child(const char *r, size_t rn)
{
	static const char *const once[] = { "driver", "source", "target", "readonly",
					    "backingStore", "format" };

	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		size_t l = strlen(once[i]);

		if (rn > l + 1 && r[0] == '/' && !memcmp(r + 1, once[i], l) && r[l + 1] == '[')
			return once[i];
	}
	return NULL;
}

static void disk_attr(struct disk *d, const char *r, size_t rn, const char *v, size_t vn)
{
	const char *rep;

	d->used = 1;
	if ((rep = repeated_child(r, rn))) {
		d->repeated = rep;
		return;
	}
	if (is(r, rn, "@type")) {
		d->type = v;
		d->type_len = vn;
	} else if (is(r, rn, "@device")) {
		d->device = v;
		d->device_len = vn;
	} else if (is(r, rn, "/driver@type")) {
		d->format = v;
		d->fmt_len = vn;
	} else if (is(r, rn, "/target@dev")) {
		d->target = v;
		d->target_len = vn;
	} else if (is(r, rn, "/source@file")) {
		d->src = v;
		d->src_len = vn;
	} else if (is(r, rn, "/source@dev") || is(r, rn, "/source@name") ||
		   is(r, rn, "/source@pool") || is(r, rn, "/source@dir") ||
		   is(r, rn, "/source@volume")) {
		d->other_source = 1;
	} else if (is(r, rn, "/readonly")) {
		d->readonly = 1;
	} else if (starts(r, rn, "/backingStore")) {
		size_t k = 0;

		d->bs_any = 1;
		while (starts(r, rn, "/backingStore")) {
			r += 13;
			rn -= 13;
			if (rn && *r == '[') {   /* two chains in one disk */
				d->bs_bad = 1;
				return;
			}
			k++;
		}
		if (k > HG_CHAIN_MAX_DEPTH) {
			d->bs_bad = 1;
		} else if (rn == 0 && vn == 0) {
			d->bs_end = k;  /* the empty <backingStore/> */
		} else if (is(r, rn, "/source@file")) {
			d->bs[k] = v;
			d->bs_len[k] = vn;
		} else if (is(r, rn, "/format@type")) {
			d->bs_fmt[k] = v;
			d->bs_fmt_len[k] = vn;
		} else if (repeated_child(r, rn)) {
			d->bs_bad = 1;
		} else if (starts(r, rn, "/source@") && !is(r, rn, "/source@index")) {
			d->bs_bad = 1;  /* a backing layer that is not a file */
		}
	}
}

int hg_domplan(const char *canon, size_t len, const struct hg_gateconf *cfg,
	       struct hg_plan *p, char *why, size_t whylen)
{
	struct disk *disks = calloc(MAX_DISKS, sizeof(*disks));
	const char *s = canon, *end = canon + len;
	int ret = -1;

	memset(p, 0, sizeof(*p));
	if (!disks) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *eq, *rest;
		size_t kn, vn, rn;
		long idx;

		if (!nl)
			nl = end;
		eq = memchr(s, '=', (size_t)(nl - s));
		if (eq) {
			kn = (size_t)(eq - s);
			vn = (size_t)(nl - eq - 1);
			char shape[1024];
			int r;

			if (hg_domfiles_shape(s, kn, shape, sizeof(shape)) < 0) {
				snprintf(why, whylen, "element path too long");
				goto out;
			}
			if ((r = hg_domfiles_line(shape, eq + 1, (size_t)(nl - eq - 1), cfg, p,
						  why, whylen)) < 0)
				goto out;
			idx = disk_line(s, kn, &rest, &rn);
			if (idx >= MAX_DISKS) {
				snprintf(why, whylen, "more than %d disks", MAX_DISKS);
				goto out;
			}
			if (idx >= 0)
				disk_attr(&disks[idx], rest, rn, eq + 1, vn);
			else if (plan_os(s, kn, eq + 1, vn, cfg, p, why, whylen) < 0)
				goto out;
		}
		s = nl + 1;
	}
	for (size_t i = 0; i < MAX_DISKS; i++)
		if (disks[i].used && plan_disk(&disks[i], i, cfg, p, why, whylen) < 0)
			goto out;
	if (hg_domfiles_finish(cfg, p, why, whylen) < 0)
		goto out;
	ret = 0;
out:
	free(disks);
	if (ret < 0)
		hg_plan_free(p);
	return ret;
}

void hg_plan_free(struct hg_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].path);
	for (size_t i = 0; i < p->nmf; i++)
		free(p->mf[i].path);
	p->n = 0;
	p->nmf = 0;
}

int hg_domain_config_name(const char *name, char *buf, size_t len,
			  const char **why)
{
	if (!*name || name[0] == '.' || strchr(name, '/')) {
		*why = "domain name is empty, starts with '.' or contains '/'";
		return -1;
	}
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			*why = "domain name contains a control character";
			return -1;
		}
	if ((size_t)snprintf(buf, len, "/etc/libvirt/qemu/%s.xml", name) >= len) {
		*why = "domain name too long";
		return -1;
	}
	return 0;
}
