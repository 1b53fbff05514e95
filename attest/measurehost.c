/* measurehost.c: hostgate-attest measure-host [--manifest FILE]
 *                [--discover] [--write-manifest]
 *
 * Measures the hypervisor set the host manifest names (manifest.h,
 * docs/host-manifest.md) through the shared engine (measureset.h): a file
 * unchanged since its measurement in this boot reuses its record, a
 * changed one gets a new record. Run at boot before libvirtd
 * (contrib/hostgate-measure-host.service) and again whenever the set
 * changes (a package upgrade); running it twice costs a stat per file.
 *
 * Fail closed: a manifest that cannot be read or parsed, or an entry that
 * does not resolve to a file, measures nothing.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/util.h"
#include "cmds.h"
#include "manifest.h"
#include "measureset.h"
#include "opts.h"
#include "tpm.h"

enum { OPT_MANIFEST = OPT_FIRST_LOCAL, OPT_DISCOVER, OPT_WRITE };

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest measure-host [--manifest FILE] [OPTIONS]\n"
		   "       hostgate-attest measure-host --discover\n"
		   "       hostgate-attest measure-host --write-manifest [--manifest FILE]\n\n"
		   "Measure every file the host manifest names (KIND PATH per line,\n"
		   "docs/host-manifest.md). A file unchanged since its measurement\n"
		   "in this boot reuses its record; a changed one is measured again.\n"
		   "Prints one line per file: recnum, kind, sha256 (or first bank)\n"
		   "digest, path, and \"(unchanged)\" when a record was reused.\n"
		   "Without a manifest, measures the discovered defaults and says so.\n\n"
		   "  --manifest FILE    the manifest (HOSTGATE_MANIFEST,\n"
		   "                     " HG_MANIFEST_DEFAULT "); named here, it\n"
		   "                     must exist\n"
		   "  --discover         print this host's default manifest and exit\n"
		   "                     (no TPM needed)\n"
		   "  --write-manifest   write the default manifest to FILE and exit;\n"
		   "                     an existing FILE is never overwritten\n"
		   HG_COMMON_HELP);
}

static int print_manifest(const struct hg_manifest *m)
{
	char *text = NULL;
	size_t len = 0;
	int ret = -1;

	if (hg_manifest_format(m, &text, &len) < 0) {
		hg_err("out of memory");
		goto out;
	}
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
		hg_err("stdout: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(text);
	return ret;
}

/* --write-manifest: the discovered defaults to FILE, never over one. */
static int write_manifest(const char *file)
{
	struct hg_manifest m = { 0 };
	struct stat st;
	char *dir = NULL;
	int ret = HG_EXIT_FAIL;

	if (lstat(file, &st) == 0) {
		hg_err("%s: exists; not overwritten (edit it, or remove it and "
		       "run again)", file);
		goto out;
	}
	if (errno != ENOENT) {
		hg_err("%s: %s", file, strerror(errno));
		goto out;
	}
	if (hg_manifest_discover(&m) < 0) {
		hg_err("discover: %s", strerror(errno));
		goto out;
	}
	if (m.n == 0) {
		hg_err("%s: no hypervisor files found on this host; nothing "
		       "written", file);
		goto out;
	}
	dir = strdup(file);
	if (!dir) {
		hg_err("out of memory");
		goto out;
	}
	if (hg_mkdir_p(dirname(dir), 0755) < 0 || hg_manifest_write(file, &m) < 0) {
		hg_err("%s: %s", file, strerror(errno));
		goto out;
	}
	printf("%s: %zu entries\n", file, m.n);
	if (fflush(stdout) != 0) {
		hg_err("stdout: %s", strerror(errno));
		goto out;
	}
	ret = HG_EXIT_OK;
out:
	free(dir);
	hg_manifest_free(&m);
	return ret;
}

/* The manifest to measure: FILE, or the defaults when FILE is the
 * implicit one (environment or built-in) and does not exist. */
static int get_manifest(const char *file, int named, struct hg_manifest *m)
{
	struct stat st;

	if (!named && stat(file, &st) < 0 && errno == ENOENT) {
		if (hg_manifest_discover(m) < 0) {
			hg_err("discover: %s", strerror(errno));
			return -1;
		}
		hg_err("%s: not found; measuring the %zu discovered defaults "
		       "(see --discover, --write-manifest)", file, m->n);
		return 0;
	}
	return hg_manifest_load(file, m);
}

/* Canonical paths, duplicates (two names of one file) dropped. Every
 * entry that does not resolve is named; any one fails the whole run. */
static int resolve(const struct hg_manifest *m, struct hg_mitem *items,
		   char **paths, size_t *n)
{
	int bad = 0;

	*n = 0;
	for (size_t i = 0; i < m->n; i++) {
		char *p = realpath(m->e[i].path, NULL);
		int dup = 0;

		if (!p) {
			hg_err("%s: %s", m->e[i].path, strerror(errno));
			bad = 1;
			continue;
		}
		for (size_t j = 0; j < *n && !dup; j++)
			dup = items[j].kind == m->e[i].kind && !strcmp(paths[j], p);
		if (dup) {
			free(p);
			continue;
		}
		paths[*n] = p;
		items[*n].kind = m->e[i].kind;
		items[*n].path = p;
		(*n)++;
	}
	return bad ? -1 : 0;
}

int measure_host_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "manifest", required_argument, NULL, OPT_MANIFEST },
		{ "discover", no_argument, NULL, OPT_DISCOVER },
		{ "write-manifest", no_argument, NULL, OPT_WRITE },
		HG_COMMON_LONGOPTS,
		{ 0 },
	};
	struct hg_opts o;
	struct hg_tpm tpm = { 0 };
	struct hg_mset ms = { 0 };
	struct hg_manifest man = { 0 };
	struct hg_mitem *items = NULL;
	char **paths = NULL;
	const char *file = NULL;
	int c, discover = 0, write = 0, named = 0;
	size_t n = 0;
	int ret = HG_EXIT_USAGE;

	if (hg_opts_init(&o) < 0)
		goto out;
	while ((c = hg_opts_next(&o, argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case HG_OPT_BAD:
			goto out;
		case OPT_MANIFEST:
			file = optarg;
			named = 1;
			hg_opts_set(&o, HG_K_MANIFEST, "--manifest", optarg);
			break;
		case OPT_DISCOVER:
			discover = 1;
			break;
		case OPT_WRITE:
			write = 1;
			break;
		case 'h':
			usage(stdout);
			ret = HG_EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind != argc) {
		hg_err("measure-host: unexpected argument \"%s\" (the files come "
		       "from the manifest)", argv[optind]);
		goto out;
	}
	if (discover && write) {
		hg_err("measure-host: --discover and --write-manifest exclude "
		       "each other");
		goto out;
	}
	if (named && !*file) {
		hg_err("measure-host: --manifest: empty file name");
		goto out;
	}
	/* The option, HOSTGATE_MANIFEST, the file's manifest key, or the
	 * default (opts.h); only a manifest named on the command line must
	 * exist (get_manifest()). */
	if (!file)
		file = o.conf->manifest;
	ret = HG_EXIT_FAIL;

	if (discover) {
		if (hg_manifest_discover(&man) < 0) {
			hg_err("discover: %s", strerror(errno));
			goto out;
		}
		if (print_manifest(&man) < 0)
			goto out;
		ret = HG_EXIT_OK;
		goto out;
	}
	if (write) {
		ret = write_manifest(file);
		goto out;
	}

	if (get_manifest(file, named, &man) < 0)
		goto out;
	if (man.n == 0) {
		hg_err("%s: no entries: nothing to measure", file);
		goto out;
	}
	items = calloc(man.n, sizeof(*items));
	paths = calloc(man.n, sizeof(*paths));
	if (!items || !paths) {
		hg_err("out of memory");
		goto out;
	}
	if (resolve(&man, items, paths, &n) < 0) {
		hg_err("measure-host: %s: nothing measured", file);
		goto out;
	}
	if (hg_tpm_open(o.tcti, &tpm) < 0)
		goto out;
	if (hg_mset_open(&ms, &o, &tpm) < 0)
		goto out;
	ms.progress = 1;
	ret = hg_mset_measure(&ms, items, n);
	if (ret != HG_EXIT_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		hg_mset_print(&items[i]);
	if (fflush(stdout) != 0) {
		hg_err("stdout: %s", strerror(errno));
		ret = HG_EXIT_FAIL;
		goto out;
	}
	ret = HG_EXIT_OK;
out:
	hg_mset_close(&ms);
	hg_tpm_close(&tpm);
	for (size_t i = 0; paths && i < man.n; i++)
		free(paths[i]);
	free(paths);
	free(items);
	hg_manifest_free(&man);
	return ret;
}
