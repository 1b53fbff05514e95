/* hook.c: hostgate-attest hook run|install|uninstall, and gate.
 *
 * libvirt runs every file in /etc/libvirt/hooks/qemu.d (or the single legacy
 * /etc/libvirt/hooks/qemu) as `HOOK NAME OP SUBOP EXTRA` with the domain
 * XML on stdin, no useful environment, and turns a non-zero exit of the
 * "prepare begin" call into a failed start whose error carries the hook's
 * stderr (libvirt docs "Hooks for specific system management",
 * src/util/virhook.c). So:
 *  - only "prepare begin" is gated; every other call returns 0 before
 *    reading anything: libvirtd kills a running VM whose "reconnect" or
 *    "attach" hook fails, and a restart of libvirtd must never do that;
 *  - the hook never calls back into libvirt (the docs warn of deadlock);
 *  - a refusal is exit 1 with one line "hostgate: NAME: refused: REASON".
 * The installed file is a two-line sh script that execs this binary
 * (with the config path fixed at install time when --config named one;
 * otherwise the hook resolves the default file on each call, as every
 * command does: gateconf.h).
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "../lib/util.h"
#include "cmds.h"
#include "domxml.h"
#include "gate.h"
#include "gateconf.h"
#include "opts.h"

#define HOOK_DIR "/etc/libvirt/hooks"
#define HOOK_D HOOK_DIR "/qemu.d"
#define HOOK_FILE HOOK_D "/hostgate"
#define HOOK_LEGACY HOOK_DIR "/qemu"
#define HOOK_MARK "# hostgate-attest hook install"

static void usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest hook install [--config FILE] [--legacy] [--no-reload]\n"
		   "       hostgate-attest hook uninstall [--legacy] [--no-reload]\n"
		   "       hostgate-attest hook run [--config FILE] NAME OP SUBOP EXTRA < XML\n\n"
		   "install    write " HOOK_FILE " (with --legacy,\n"
		   "           " HOOK_LEGACY ") and send libvirtd SIGHUP so it loads it\n"
		   "uninstall  remove it (only if hostgate installed it) and reload\n"
		   "run        what libvirt calls: gate \"prepare begin\", allow the rest\n\n"
		   "  --config FILE      configuration (HOSTGATE_CONFIG, default\n"
		   "                     " HG_CONF_DEFAULT ")\n"
		   "  --legacy           the single-file hook, for libvirt before 6.5\n"
		   "  --no-reload        do not signal libvirtd\n"
		   "  -h, --help         this text\n\n"
		   "Exit codes: 0 allowed (or done), 1 refused (or failed), 2 usage.\n");
}

/* SIGHUP makes libvirtd re-scan its hooks (and reload its config). */
static void reload_libvirtd(void)
{
	static const char *const pidfiles[] = { "/run/libvirtd.pid", "/run/virtqemud.pid" };
	int sent = 0;

	for (size_t i = 0; i < sizeof(pidfiles) / sizeof(pidfiles[0]); i++) {
		uint8_t *buf = NULL;
		size_t len = 0;
		unsigned long pid;
		char s[32];

		if (hg_read_file(pidfiles[i], 31, 1, &buf, &len) < 0)
			continue;
		snprintf(s, sizeof(s), "%.*s", (int)len, (char *)buf);
		s[strcspn(s, "\n")] = '\0';
		free(buf);
		if (hg_parse_uint(s, 4194304, &pid) == 0 && pid > 1 &&
		    kill((pid_t)pid, SIGHUP) == 0) {
			printf("reloaded %s (pid %lu)\n", pidfiles[i] + 5, pid);
			sent = 1;
		}
	}
	if (!sent)
		printf("libvirtd is not running: it will load the hook when it starts\n");
}

/* Is PATH a hook this command wrote? */
static int ours(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if (hg_read_file(path, 4096, 1, &buf, &len) < 0)
		return errno == ENOENT ? 0 : -1;
	r = memmem(buf, len, HOOK_MARK, strlen(HOOK_MARK)) != NULL;
	free(buf);
	return r ? 1 : -2;
}

static int install(const char *config, int legacy, int reload)
{
	const char *path = legacy ? HOOK_LEGACY : HOOK_FILE;
	char self[PATH_MAX], script[3 * PATH_MAX], *cfg = NULL, err[1024];
	char cfgarg[PATH_MAX + 16] = "";
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct hg_conf_args args = { .config = config };
	struct hg_gateconf conf;
	int ret = HG_EXIT_FAIL;

	if (n <= 0) {
		hg_err("hook install: cannot find this binary: %s", strerror(errno));
		goto out;
	}
	self[n] = '\0';
	/* The configuration must be there and good now: a hook that
	 * refuses every start for a typo is found at install, not at boot. */
	if (hg_conf_resolve(&args, &conf, err, sizeof(err)) < 0) {
		hg_err("hook install: %s", err);
		goto out;
	}
	n = conf.file[0] != '\0';
	hg_gateconf_free(&conf);
	if (!n) {
		hg_err("hook install: no configuration file (%s): write it first", HG_CONF_DEFAULT);
		goto out;
	}
	if (config) {
		cfg = realpath(config, NULL);
		if (!cfg) {
			hg_err("hook install: %s: %s", config, strerror(errno));
			goto out;
		}
		snprintf(cfgarg, sizeof(cfgarg), " --config '%s'", cfg);
	}
	/* Single-quoted in the script: a quote in a path cannot be. */
	if (strchr(self, '\'') || (cfg && strchr(cfg, '\''))) {
		hg_err("hook install: paths with a single quote are not supported");
		goto out;
	}
	if (ours(path) < -1) {
		hg_err("hook install: %s exists and is not hostgate's; use the qemu.d hook", path);
		goto out;
	}
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n" HOOK_MARK "\n"
		 "# Gates VM starts; see hostgate's README \"The gate\".\n"
		 "# Only \"prepare begin\" is gated: the other calls (four per start\n"
		 "# and stop) end here, before paying for a process start.\n"
		 "[ \"$2 $3\" = \"prepare begin\" ] || exit 0\n"
		 "exec '%s' hook run%s \"$@\"\n", self, cfgarg);
	if (hg_mkdir_p(legacy ? HOOK_DIR : HOOK_D, 0755) < 0 ||
	    hg_write_file_atomic(path, script, strlen(script), 0755) < 0) {
		hg_err("hook install: %s: %s", path, strerror(errno));
		goto out;
	}
	printf("installed %s\n", path);
	if (reload)
		reload_libvirtd();
	ret = HG_EXIT_OK;
out:
	free(cfg);
	return ret;
}

static int uninstall(int legacy, int reload)
{
	const char *path = legacy ? HOOK_LEGACY : HOOK_FILE;
	int r = ours(path);

	if (r == 0) {
		printf("%s is not installed\n", path);
		return HG_EXIT_OK;
	}
	if (r < 0) {
		hg_err("hook uninstall: %s %s", path,
		       r == -2 ? "is not hostgate's: left alone" : "cannot be read");
		return HG_EXIT_FAIL;
	}
	if (unlink(path) < 0) {
		hg_err("hook uninstall: %s: %s", path, strerror(errno));
		return HG_EXIT_FAIL;
	}
	printf("removed %s\n", path);
	if (reload)
		reload_libvirtd();
	return HG_EXIT_OK;
}

/* The domain XML from libvirt's pipe, bounded: a larger one is refused
 * (the canonicaliser would refuse it anyway) and is not read whole. */
static int read_xml(int fd, uint8_t **xml, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	uint8_t *buf = malloc(cap), *nb;
	int ret = -1;

	if (!buf)
		goto out;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap > HG_DOMXML_MAX) {
				errno = EFBIG;
				goto out;
			}
			cap = cap * 2 > HG_DOMXML_MAX + 1 ? HG_DOMXML_MAX + 1 : cap * 2;
			if (!(nb = realloc(buf, cap)))
				goto out;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*xml = buf;
	*len = n;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	return ret;
}

static int decide_and_report(const char *config, const char *name,
			     const uint8_t *xml, size_t len)
{
	struct hg_conf_args args = { .config = config };
	struct hg_gateconf cfg;
	char reason[2048], err[1024];
	enum hg_verdict v;

	if (hg_conf_resolve(&args, &cfg, err, sizeof(err)) < 0) {
		syslog(LOG_WARNING, "domain=%s verdict=refuse reason=gate config: %s",
		       name ? name : "?", err);
		fprintf(stderr, "hostgate: %s: refused: gate config: %s\n", name ? name : "?", err);
		return HG_EXIT_FAIL;
	}
	v = hg_gate_decide(&cfg, (const char *)xml, len, name, reason, sizeof(reason));
	hg_gateconf_free(&cfg);
	switch (v) {
	case HG_ALLOW:
		return HG_EXIT_OK;
	case HG_BREAK_GLASS:
		fprintf(stderr, "hostgate: %s: allowed by break-glass (%s)\n", name ? name : "?",
			reason);
		return HG_EXIT_OK;
	default:
		fprintf(stderr, "hostgate: %s: refused: %s\n", name ? name : "?", reason);
		return HG_EXIT_FAIL;
	}
}

static int run(const char *config, int argc, char **argv)
{
	uint8_t *xml = NULL;
	size_t len = 0;
	int ret;

	if (argc < 3)
		return HG_EXIT_OK; /* not a call libvirt makes; never block */
	if (strcmp(argv[1], "prepare") || strcmp(argv[2], "begin"))
		return HG_EXIT_OK;
	/* libvirt shows the hook's whole stderr as the start error: it
	 * must be hostgate's one line; the TSS's own lines go to syslog
	 * (tpm.c). */
	openlog("hostgate", LOG_PID, LOG_AUTHPRIV);
	hg_err_to_syslog = 1;
	if (read_xml(STDIN_FILENO, &xml, &len) < 0) {
		syslog(LOG_WARNING, "domain=%s verdict=refuse reason=domain XML unreadable", argv[0]);
		fprintf(stderr, "hostgate: %s: refused: domain XML on stdin: %s\n", argv[0],
			errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		ret = HG_EXIT_FAIL;
	} else {
		ret = decide_and_report(config, argv[0], xml, len);
	}
	free(xml);
	closelog();
	return ret;
}

int hook_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "legacy", no_argument, NULL, 'l' },
		{ "no-reload", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *config = NULL, *sub = NULL; /* NULL: hg_conf_resolve()'s */
	int c, legacy = 0, reload = 1;

	/* "+": options stop at the first operand, so that "run NAME
	 * prepare begin -" never has its "-" taken for an option. Options
	 * may come before the subcommand or after it. */
	for (int pass = 0; pass < 2; pass++) {
		while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
			switch (c) {
			case 'c': config = optarg; break;
			case 'l': legacy = 1; break;
			case 'n': reload = 0; break;
			case 'h':
				usage(stdout);
				return HG_EXIT_OK;
			default:
				usage(stderr);
				return HG_EXIT_USAGE;
			}
		}
		if (pass == 1)
			break;
		if (optind == argc) {
			usage(stderr);
			return HG_EXIT_USAGE;
		}
		sub = argv[optind++];
		if (!strcmp(sub, "run")) {
			/* The installed script: run --config FILE NAME OP ... */
			while (optind + 1 < argc && !strcmp(argv[optind], "--config")) {
				config = argv[optind + 1];
				optind += 2;
			}
			return run(config, argc - optind, argv + optind);
		}
	}
	if (optind != argc) {
		hg_err("hook %s: unexpected argument \"%s\"", sub, argv[optind]);
		return HG_EXIT_USAGE;
	}
	if (!strcmp(sub, "install"))
		return install(config, legacy, reload);
	if (!strcmp(sub, "uninstall"))
		return uninstall(legacy, reload);
	hg_err("hook: unknown subcommand \"%s\" (install, uninstall, run)", sub);
	return HG_EXIT_USAGE;
}

static void gate_usage(FILE *f)
{
	fprintf(f, "Usage: hostgate-attest gate [OPTIONS] --domain-xml FILE\n\n"
		   "Decide, as the libvirt hook would at \"prepare begin\", whether the\n"
		   "domain may start here: measure its config, golden images and the host\n"
		   "set, quote, and run the verifier. Prints \"allow\" or \"refuse: REASON\".\n"
		   "Measurements are real (they go to the log and the PCR).\n\n"
		   "  --domain-xml FILE  the domain XML (virsh dumpxml)\n"
		   HG_COMMON_HELP "\n"
		   "Exit codes: 0 allowed, 1 refused (or a bad configuration), 2 usage.\n");
}

int gate_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "domain-xml", required_argument, NULL, 'x' },
		HG_COMMON_LONGOPTS,
		{ 0 },
	};
	const char *xmlpath = NULL;
	struct hg_opts o;
	uint8_t *xml = NULL;
	size_t len = 0;
	char reason[2048];
	enum hg_verdict v;
	int c, ret = HG_EXIT_USAGE;

	hg_opts_init(&o);
	while ((c = getopt_long(argc, argv, "T:vh", longopts, NULL)) != -1) {
		if (hg_opts_handle(&o, c, optarg))
			continue;
		switch (c) {
		case 'x': xmlpath = optarg; break;
		case 'h':
			gate_usage(stdout);
			return HG_EXIT_OK;
		default:
			gate_usage(stderr);
			return HG_EXIT_USAGE;
		}
	}
	if (!xmlpath || optind != argc) {
		hg_err("gate: needs --domain-xml FILE and nothing else");
		return HG_EXIT_USAGE;
	}
	if (hg_read_file(xmlpath, HG_DOMXML_MAX + 1, 0, &xml, &len) < 0) {
		hg_err("%s: %s", xmlpath, errno == EFBIG ? "larger than 1 MiB" : hg_strerror_read(errno));
		return HG_EXIT_FAIL;
	}
	/* A bad configuration refuses (exit 1), as the hook does. */
	if (hg_opts_resolve(&o) < 0) {
		ret = HG_EXIT_FAIL;
		goto out;
	}
	/* libvirt shows the hook's whole stderr as the start error: it
	 * must be hostgate's one line; the TSS's own lines go to syslog
	 * (tpm.c). */
	openlog("hostgate", LOG_PID, LOG_AUTHPRIV);
	v = hg_gate_decide(o.conf, (const char *)xml, len, NULL, reason, sizeof(reason));
	closelog();
	if (v == HG_REFUSE) {
		printf("refuse: %s\n", reason);
		ret = HG_EXIT_FAIL;
	} else {
		printf("%s%s%s\n", v == HG_ALLOW ? "allow" : "allow (break-glass): ",
		       v == HG_ALLOW ? "" : "", v == HG_ALLOW ? "" : reason);
		ret = HG_EXIT_OK;
	}
out:
	free(xml);
	return ret;
}
