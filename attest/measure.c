/* measure.c: hostgate-attest measure --kind KIND FILE...
 *            hostgate-attest measure --domain NAME | --domain-xml FILE
 *                                    [--images]
 *
 * Order of work: resolve every path, hash all files in parallel (no lock
 * held: hashing a large image must not block a quote), then take the log's
 * exclusive lock, recover (see logw.h) and append-then-extend one record
 * per file in argument order. If any file cannot be hashed, nothing is
 * measured: a partial run would leave the operator guessing.
 *
 * --kind overlay records each path only (a writable disk layer: its
 * content changes while the VM runs, so a digest would mean nothing).
 * The domain forms are in measuredom.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/text.h"
#include "../lib/util.h"
#include "cmds.h"
#include "hashpool.h"
#include "logw.h"
#include "measuredom.h"
#include "opts.h"
#include "state.h"
#include "tpm.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest measure --kind KIND [OPTIONS] FILE...\n"
		   "       hostgate-attest measure (--domain NAME | --domain-xml FILE)\n"
		   "                               [--images] [OPTIONS]\n\n"
		   "Hash each FILE in every active PCR bank, append one signed record\n"
		   "per file to the event log, and extend the hostgate PCR with a\n"
		   "value binding kind, name, size and digests. Prints one line per\n"
		   "file: recnum, kind, sha256 (or first bank) digest, path.\n"
		   "With --domain or --domain-xml, measure a libvirt domain's canonical\n"
		   "config (kind config, /etc/libvirt/qemu/NAME.xml) as the gate does,\n"
		   "reusing records that still stand (\"(unchanged)\").\n\n"
		   "  --kind KIND        hypervisor, firmware, config, image, breakglass,\n"
		   "                     or overlay (recorded by path, not hashed)\n"
		   "  --domain NAME      the domain's persistent XML, via libvirt (read-only)\n"
		   "  --domain-xml FILE  a domain XML file\n"
		   "  --images           also the domain's disks: golden layers as image,\n"
		   "                     writable ones as overlay (README \"The gate\")\n"
		   "  --connect URI      libvirt URI for --domain (qemu:///system)\n"
		   HG_COMMON_HELP);
}

int measure_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "domain", required_argument, NULL, 'd' },
		{ "domain-xml", required_argument, NULL, 'x' },
		{ "images", no_argument, NULL, 'i' },
		{ "connect", required_argument, NULL, 'u' },
		HG_COMMON_LONGOPTS,
		{ 0 },
	};
	struct hg_opts o;
	struct hg_tpm tpm = { 0 };
	struct hg_logw lw = { .fd = -1 };
	struct hg_hash_job *jobs = NULL;
	char **paths = NULL;
	EVP_PKEY *key = NULL;
	enum hg_kind kind = HG_KIND_NONE;
	struct hg_domreq dom = { .uri = "qemu:///system" };
	uint16_t algs[HG_MAX_BANKS];
	size_t nalgs = 0, n = 0;
	int c, ret = HG_EXIT_USAGE;

	if (hg_opts_init(&o) < 0)
		goto out;
	while ((c = hg_opts_next(&o, argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case HG_OPT_BAD:
			goto out;
		case 'k':
			kind = hg_kind_parse(optarg, strlen(optarg));
			if (kind == HG_KIND_NONE) {
				hg_err("--kind: \"%s\" is not hypervisor, firmware, "
				       "config, image, overlay or breakglass", optarg);
				goto out;
			}
			break;
		case 'd': dom.name = optarg; break;
		case 'x': dom.xml_path = optarg; break;
		case 'i': dom.images = 1; break;
		case 'u': dom.uri = optarg; break;
		case 'h':
			usage(stdout);
			ret = HG_EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (dom.name || dom.xml_path) {
		if ((dom.name && dom.xml_path) || optind != argc ||
		    (kind != HG_KIND_NONE && kind != HG_KIND_CONFIG)) {
			hg_err("measure: --domain or --domain-xml takes no FILE, no other kind "
			       "than config, and not both");
			goto out;
		}
		ret = hg_measure_domain(&o, &dom);
		goto out;
	}
	if (dom.images) {
		hg_err("measure: --images needs --domain or --domain-xml");
		goto out;
	}
	if (kind == HG_KIND_NONE) {
		hg_err("measure: --kind is required");
		goto out;
	}
	if (optind == argc) {
		hg_err("measure: no FILE given");
		goto out;
	}
	ret = HG_EXIT_FAIL;
	n = (size_t)(argc - optind);
	jobs = calloc(n, sizeof(*jobs));
	paths = calloc(n, sizeof(*paths));
	if (!jobs || !paths) {
		hg_err("out of memory");
		goto out;
	}
	/* The name recorded is the canonical path: policy matches names, and
	 * /usr/bin/kvm -> qemu-system-x86_64 must not be two entries. */
	for (size_t i = 0; i < n; i++) {
		const char *arg = argv[optind + (int)i];

		paths[i] = realpath(arg, NULL);
		if (!paths[i]) {
			hg_err("%s: %s", arg, strerror(errno));
			goto out;
		}
		jobs[i].path = paths[i];
	}
	/* Every name before any record: the log's readers refuse a name
	 * that could show as another (lib/text.h), so it is a usage error
	 * here, and no file of the command is measured. */
	for (size_t i = 0; i < n; i++) {
		const char *why;

		if (hg_name_check((const uint8_t *)paths[i], strlen(paths[i]),
				  &why) < 0) {
			char *shown = hg_escape((const uint8_t *)paths[i],
						strlen(paths[i]));

			hg_err("%s: file name %s: not measured (nothing was)",
			       shown ? shown : "?", why);
			free(shown);
			ret = HG_EXIT_USAGE;
			goto out;
		}
	}
	if (hg_state_log_key(o.state, 0, &key) < 0)
		goto out;
	if (hg_tpm_open(o.tcti, &tpm) < 0 ||
	    hg_tpm_banks(&tpm, algs, &nalgs) < 0)
		goto out;
	if (kind != HG_KIND_OVERLAY &&
	    hg_hash_files(jobs, n, algs, nalgs, 1) < 0) {
		for (size_t i = 0; i < n; i++)
			if (jobs[i].err)
				hg_err("%s: %s", jobs[i].path, hg_strerror_read(jobs[i].err));
		hg_err("measure: nothing measured");
		goto out;
	}
	if (hg_logw_open(&lw, o.log, 1) < 0)
		goto out;
	if ((ret = hg_logw_recover(&lw, &tpm, o.pcr, algs, nalgs, key)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct hg_digest *d = hg_digests_get(&jobs[i].d, HG_ALG_SHA256);
		const struct hg_bank *b;
		char hex[2 * HG_MAX_DIGEST + 1];
		uint64_t recnum;

		if (kind == HG_KIND_OVERLAY) {
			ret = hg_logw_append_path(&lw, &tpm, kind, jobs[i].path, &recnum);
			if (ret != HG_EXIT_OK)
				goto out;
			printf("%llu %s - %s\n", (unsigned long long)recnum,
			       hg_kind_name(kind), jobs[i].path);
			continue;
		}
		ret = hg_logw_append_file(&lw, &tpm, kind, jobs[i].path,
					  jobs[i].size, &jobs[i].d, &recnum, NULL);
		if (ret != HG_EXIT_OK)
			goto out;
		if (!d)
			d = &jobs[i].d.v[0];
		b = hg_bank_by_alg(d->alg);
		hg_hex_encode(d->d, d->len, hex);
		printf("%llu %s %s:%s %s\n", (unsigned long long)recnum,
		       hg_kind_name(kind), b ? b->name : "?", hex, jobs[i].path);
	}
	if (fflush(stdout) != 0) {
		hg_err("stdout: %s", strerror(errno));
		ret = HG_EXIT_FAIL;
		goto out;
	}
	ret = HG_EXIT_OK;
out:
	hg_logw_close(&lw);
	hg_tpm_close(&tpm);
	EVP_PKEY_free(key);
	for (size_t i = 0; paths && i < n; i++)
		free(paths[i]);
	free(paths);
	free(jobs);
	return ret;
}
