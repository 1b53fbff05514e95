/* gate.c: see gate.h. */
#define _GNU_SOURCE /* pipe2, asprintf */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <openssl/rand.h>

#include "../lib/evidence.h"
#include "../lib/hglog.h"
#include "../lib/util.h"
#include "cmds.h"
#include "domexplain.h"
#include "domplan.h"
#include "fwdesc.h"
#include "domxml.h"
#include "evquote.h"
#include "gate.h"
#include "gateremote.h"
#include "launch.h"
#include "manifest.h"
#include "measureset.h"
#include "state.h"
#include "tpm.h"

#define NONCE_LEN 32
#define VERIFIER_TIMEOUT_MS 30000
#define VERIFIER_ERR_MAX 4096
#define MAX_ITEMS (HG_MANIFEST_MAX_ENTRIES + HG_PLAN_MAX + 2)

static void reasonf(char *r, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reasonf(char *r, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r, n, fmt, ap);
	va_end(ap);
}

/* Manifest entries, canonicalised: a missing hypervisor file refuses. A
 * missing manifest means this host's discovered defaults, as
 * measure-host does. */
static int manifest_items(const struct hg_gateconf *cfg, struct hg_mitem *items,
			  size_t *n, char **owned, size_t *nowned,
			  char *reason, size_t rlen)
{
	struct hg_manifest m = { 0 };
	int ret = -1;

	if (access(cfg->manifest, F_OK) == 0 ? hg_manifest_load(cfg->manifest, &m) < 0
					     : hg_manifest_discover(&m) < 0) {
		reasonf(reason, rlen, "host manifest %s cannot be read", cfg->manifest);
		goto out;
	}
	for (size_t i = 0; i < m.n; i++) {
		char *real = realpath(m.e[i].path, NULL);

		if (!real) {
			reasonf(reason, rlen, "host manifest: %s: %s", m.e[i].path, strerror(errno));
			goto out;
		}
		owned[(*nowned)++] = real;
		items[*n].kind = m.e[i].kind;
		items[(*n)++].path = real;
	}
	ret = 0;
out:
	hg_manifest_free(&m);
	return ret;
}

/* Run the verifier; its exit code, and its first stderr line (without
 * "hostgate-verify: EVIDENCE: ") in REASON. */
static int run_verifier(char *const argv[], const char *evpath, char *reason,
			size_t rlen)
{
	char err[VERIFIER_ERR_MAX + 1];
	size_t got = 0;
	int pfd[2] = { -1, -1 }, status = 0, ret = -1, waited = 0;
	struct timespec t0, t1;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		reasonf(reason, rlen, "verifier: pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		reasonf(reason, rlen, "verifier: fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(pfd[1], 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	pfd[1] = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		long ms;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= VERIFIER_TIMEOUT_MS || poll(&p, 1, (int)(VERIFIER_TIMEOUT_MS - ms)) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			waited = 1;
			reasonf(reason, rlen, "verifier: no answer in %d s", VERIFIER_TIMEOUT_MS / 1000);
			goto out;
		}
		if (got == VERIFIER_ERR_MAX) {
			char sink[512];

			r = read(pfd[0], sink, sizeof(sink));
		} else {
			r = read(pfd[0], err + got, VERIFIER_ERR_MAX - got);
			if (r > 0)
				got += (size_t)r;
		}
		if (r == 0)
			break;
		if (r < 0 && errno != EINTR) {
			reasonf(reason, rlen, "verifier: read: %s", strerror(errno));
			goto out;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	waited = 1;
	err[got] = '\0';
	{
		char *line = err, *nl = strchr(err, '\n');
		char prefix[PATH_MAX + 32];

		if (nl)
			*nl = '\0';
		snprintf(prefix, sizeof(prefix), "hostgate-verify: %s: ", evpath);
		if (!strncmp(line, prefix, strlen(prefix)))
			line += strlen(prefix);
		else if (!strncmp(line, "hostgate-verify: ", 17))
			line += 17;
		reasonf(reason, rlen, "%s", *line ? line : "verifier gave no reason");
	}
	if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else
		reasonf(reason, rlen, "verifier died with signal %d", WTERMSIG(status));
out:
	if (!waited && pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	return ret;
}

static int is_judged(enum hg_kind k)
{
	return k == HG_KIND_CONFIG || k == HG_KIND_IMAGE || k == HG_KIND_OVERLAY;
}

/* The verifier judges the LATEST record of each --workload name in the
 * quoted log. The log lock is not held from measuring to quoting, so
 * another writer (a `measure` of an approved file under the same name)
 * could slip a record in between and have it judged instead of the one
 * this start rests on. So the quoted log's latest record of every name
 * judged must be the very record this run measured or reused
 * (items[i].recnum); otherwise refuse (issue 12 item 4). */
static int judged_are_ours(const uint8_t *ev, size_t evlen,
			   const struct hg_mitem *items, size_t n,
			   char *reason, size_t rlen)
{
	struct hg_evidence e;
	struct hg_log_iter it;
	struct hg_log_rec rec;
	uint64_t *latest = NULL;
	const char *why = NULL;
	int r, ret = -1;

	if (hg_evidence_decode(ev, evlen, &e, &why) < 0) {
		reasonf(reason, rlen, "our own evidence does not decode: %s", why);
		return -1;
	}
	latest = calloc(n ? n : 1, sizeof(*latest));
	if (!latest) {
		reasonf(reason, rlen, "out of memory");
		return -1;
	}
	hg_log_iter_init_host(&it, e.log, e.log_len);
	while ((r = hg_log_iter_next(&it, &rec)) == 1) {
		if (rec.cel.type != HG_CT_FILE || !is_judged(rec.cel.kind))
			continue;
		for (size_t i = 0; i < n; i++)
			if (is_judged(items[i].kind) && rec.cel.kind == items[i].kind &&
			    rec.cel.name_len == strlen(items[i].path) &&
			    !memcmp(rec.cel.name, items[i].path, rec.cel.name_len))
				latest[i] = rec.cel.recnum + 1;
	}
	hg_log_iter_free(&it);
	if (r < 0) {
		reasonf(reason, rlen, "the quoted log does not parse: %s", it.err.msg);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_judged(items[i].kind) || latest[i] == items[i].recnum + 1)
			continue;
		reasonf(reason, rlen, "%s %s: the quoted log's latest record of it is not the one this start measured (record %llu): another writer measured it in between",
			hg_kind_name(items[i].kind), items[i].path,
			(unsigned long long)items[i].recnum);
		goto out;
	}
	ret = 0;
out:
	free(latest);
	return ret;
}

/* Test seam: HOSTGATE_TEST_GATE_PAUSE=STEP:MS (MS at most 10 s) waits
 * before STEP: "measure" (after the disk chains were read) or "quote"
 * (after measuring), so that a test can act in a window too narrow to
 * race reliably. It only delays. */
static void test_pause(const char *step)
{
	const char *e = getenv("HOSTGATE_TEST_GATE_PAUSE");
	size_t sl = strlen(step);
	long ms = 0;

	if (e && !strncmp(e, step, sl) && e[sl] == ':')
		ms = strtol(e + sl + 1, NULL, 10);

	if (ms > 0 && ms <= 10000) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
}

/* Remote mode (gateremote.h): the nonce is the verifier service's, asked
 * for only now that the files are measured, so that hashing a large
 * image does not eat into the nonce's lifetime (the quote, not the
 * measuring, is what the nonce makes fresh). */
static int verify_remote(const struct hg_gateconf *cfg, const struct hg_opts *o,
			 struct hg_tpm *tpm, const struct hg_mitem *items, size_t n,
			 char *reason, size_t rlen)
{
	struct hg_remote r = { 0 };
	uint8_t nonce[HG_REMOTE_NONCE], *ev = NULL;
	size_t evlen = 0;
	int ret = -1;

	if (hg_remote_open(&r, cfg, reason, rlen) < 0 ||
	    hg_remote_nonce(&r, nonce, reason, rlen) < 0)
		goto out;
	if (hg_quote_evidence(o, tpm, nonce, sizeof(nonce), 0x3ffu | (1u << o->pcr),
			      NULL, &ev, &evlen) != HG_EXIT_OK) {
		reasonf(reason, rlen, "quote failed (TPM %s)", cfg->tcti);
		goto out;
	}
	if (judged_are_ours(ev, evlen, items, n, reason, rlen) < 0 ||
	    hg_remote_attest(&r, nonce, ev, evlen, items, n, reason, rlen) < 0)
		goto out;
	ret = 0;
out:
	hg_remote_close(&r);
	free(ev);
	return ret;
}

/* Quote, write the evidence beside the state, run the verifier on it. */
static int verify(const struct hg_gateconf *cfg, const struct hg_opts *o,
		  struct hg_tpm *tpm, const struct hg_mitem *items, size_t n,
		  char *reason, size_t rlen)
{
	uint8_t nonce[NONCE_LEN], *ev = NULL;
	char noncehex[2 * NONCE_LEN + 1], evpath[PATH_MAX], akpath[PATH_MAX];
	char **argv = NULL, **wl = NULL;
	size_t evlen = 0, a = 0, nwl = 0;
	int fd = -1, rc, ret = -1;

	evpath[0] = '\0';
	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		reasonf(reason, rlen, "no randomness for the nonce");
		goto out;
	}
	hg_hex_encode(nonce, sizeof(nonce), noncehex);
	if (hg_quote_evidence(o, tpm, nonce, sizeof(nonce), 0x3ffu | (1u << o->pcr),
			      NULL, &ev, &evlen) != HG_EXIT_OK) {
		reasonf(reason, rlen, "quote failed (TPM %s)", cfg->tcti);
		goto out;
	}
	if (judged_are_ours(ev, evlen, items, n, reason, rlen) < 0)
		goto out;
	if (hg_state_path(akpath, sizeof(akpath), cfg->state, HG_STATE_AK_PUB) < 0 ||
	    hg_state_path(evpath, sizeof(evpath), cfg->state, "gate-evidence.XXXXXX") < 0 ||
	    (fd = mkstemp(evpath)) < 0 || hg_write_all(fd, ev, evlen) < 0) {
		reasonf(reason, rlen, "%s: cannot write the evidence: %s", cfg->state, strerror(errno));
		if (fd < 0)
			evpath[0] = '\0';
		goto out;
	}
	argv = calloc(n * 2 + 12, sizeof(*argv));
	wl = calloc(n + 1, sizeof(*wl));
	if (!argv || !wl) {
		reasonf(reason, rlen, "out of memory");
		goto out;
	}
	argv[a++] = cfg->verifier;
	argv[a++] = "check";
	argv[a++] = "--ak";
	argv[a++] = akpath;
	argv[a++] = "--nonce";
	argv[a++] = noncehex;
	argv[a++] = "--policy";
	argv[a++] = cfg->policy;
	/* Judge this domain's workload records only: another VM's refused
	 * config must not stop this one (policies/README.md). */
	for (size_t i = 0; i < n; i++) {
		if (items[i].kind != HG_KIND_CONFIG && items[i].kind != HG_KIND_IMAGE &&
		    items[i].kind != HG_KIND_OVERLAY)
			continue;
		if (asprintf(&wl[nwl], "%s:%s", hg_kind_name(items[i].kind), items[i].path) < 0) {
			wl[nwl] = NULL;
			reasonf(reason, rlen, "out of memory");
			goto out;
		}
		argv[a++] = "--workload";
		argv[a++] = wl[nwl++];
	}
	argv[a++] = evpath;
	argv[a] = NULL;
	rc = run_verifier(argv, evpath, reason, rlen);
	if (rc == 0)
		reasonf(reason, rlen, "trusted");
	ret = rc == 0 ? 0 : -1;
out:
	if (fd >= 0)
		close(fd);
	if (evpath[0])
		unlink(evpath);
	for (size_t i = 0; i < nwl; i++)
		free(wl[i]);
	free(wl);
	free(argv);
	free(ev);
	return ret;
}

/* Measure the break-glass file (kind breakglass) so that its use is in
 * the log and the PCR whatever the rest of the gate says. */
static void measure_break_glass(const struct hg_gateconf *cfg, struct hg_tpm *tpm,
				const struct hg_opts *o)
{
	struct hg_mset m = { 0 };
	struct hg_mitem it = { .kind = HG_KIND_BREAKGLASS };
	char *real = realpath(cfg->break_glass, NULL);

	it.path = real;
	if (!real || hg_mset_open(&m, o, tpm) < 0 || hg_mset_measure(&m, &it, 1) != HG_EXIT_OK)
		syslog(LOG_ALERT, "break-glass %s could not be measured", cfg->break_glass);
	hg_mset_close(&m);
	free(real);
}

static enum hg_verdict decide(const struct hg_gateconf *cfg, const char *xml,
			      size_t len, const char *expect_name, int break_glass,
			      char *name, size_t nlen, char *reason, size_t rlen)
{
	struct hg_opts o = { .tcti = cfg->tcti, .state = cfg->state, .log = cfg->log,
			     .pcr = cfg->pcr };
	struct hg_tpm tpm = { 0 };
	struct hg_mset m = { 0 };
	struct hg_plan *plan = NULL;
	struct hg_mitem *items = NULL;
	char **owned = NULL, cfgname[PATH_MAX], why[1024];
	char *canon = NULL, *dname = NULL;
	size_t canon_len = 0, n = 0, nowned = 0;
	uint64_t launch_rec = 0;
	const char *cwhy = NULL;
	enum hg_verdict v = HG_REFUSE;
	int rc;

	if (hg_domxml_canonical(xml, len, &canon, &canon_len, &dname, &cwhy) < 0) {
		reasonf(reason, rlen, "domain XML: %s", cwhy);
		goto out;
	}
	snprintf(name, nlen, "%s", dname);
	if (expect_name && strcmp(expect_name, dname)) {
		reasonf(reason, rlen, "libvirt named the domain \"%s\" but its XML says \"%s\"",
			expect_name, dname);
		goto out;
	}
	if (hg_domain_config_name(dname, cfgname, sizeof(cfgname), &cwhy) < 0) {
		reasonf(reason, rlen, "%s", cwhy);
		goto out;
	}
	plan = calloc(1, sizeof(*plan));
	items = calloc(MAX_ITEMS, sizeof(*items));
	owned = calloc(HG_MANIFEST_MAX_ENTRIES, sizeof(*owned));
	if (!plan || !items || !owned) {
		reasonf(reason, rlen, "out of memory");
		goto out;
	}
	if (hg_domplan(canon, canon_len, cfg, plan, why, sizeof(why)) < 0) {
		reasonf(reason, rlen, "%s", why);
		goto out;
	}
	if (hg_tpm_open(cfg->tcti, &tpm) < 0) {
		reasonf(reason, rlen, "TPM %s cannot be opened", cfg->tcti);
		if (break_glass)
			syslog(LOG_ALERT, "break-glass %s could not be measured: no TPM",
			       cfg->break_glass);
		goto out;
	}
	if (break_glass)
		measure_break_glass(cfg, &tpm, &o);
	if (manifest_items(cfg, items, &n, owned, &nowned, reason, rlen) < 0)
		goto out;
	/* The emulator, ROMs outside the image dirs, and the firmware
	 * libvirt may pick must be files the manifest measures. */
	if (hg_plan_covered(plan, owned, nowned, why, sizeof(why)) < 0) {
		reasonf(reason, rlen, "%s", why);
		goto out;
	}
	items[n].kind = HG_KIND_CONFIG;
	items[n].path = cfgname;
	items[n].data = (const uint8_t *)canon;
	items[n++].len = canon_len;
	for (size_t i = 0; i < plan->n; i++) {
		items[n].kind = plan->v[i].kind;
		items[n].has_id = plan->v[i].has_id;
		items[n].dev = plan->v[i].dev;
		items[n].ino = plan->v[i].ino;
		items[n++].path = plan->v[i].path;
	}
	test_pause("measure");
	if (hg_mset_open(&m, &o, &tpm) < 0) {
		reasonf(reason, rlen, "%s: no log key (run hostgate-attest init)", cfg->state);
		goto out;
	}
	if ((rc = hg_mset_measure(&m, items, n)) != HG_EXIT_OK) {
		reasonf(reason, rlen, "measurement failed");
		for (size_t i = 0; i < n; i++)
			if (items[i].err) {
				reasonf(reason, rlen, "%s %s: %s", hg_kind_name(items[i].kind),
					items[i].path, items[i].why);
				break;
			}
		if (rc == HG_EXIT_INCONSISTENT)
			reasonf(reason, rlen, "log %s and the TPM's PCR %u disagree", cfg->log, cfg->pcr);
		goto out;
	}
	test_pause("quote");
	if ((cfg->remote ? verify_remote : verify)(cfg, &o, &tpm, items, n, reason, rlen) < 0) {
		/* Name what changed in the config, if that is the failure. */
		hg_explain_config(cfg->state, dname, canon, canon_len, cfgname, reason, rlen);
		goto out;
	}
	/* A real start (the hook) says in the log what it rests on, before
	 * the VM may run: no launch record, no start (launch.h). */
	if (expect_name && hg_launch_write(&m, dname, canon, canon_len, items, n,
					   &launch_rec, reason, rlen) < 0)
		goto out;
	hg_explain_remember(cfg->state, dname, canon, canon_len);
	v = HG_ALLOW;
out:
	hg_mset_close(&m);
	hg_tpm_close(&tpm);
	if (plan)
		hg_plan_free(plan);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(plan);
	free(items);
	free(canon);
	free(dname);
	return v;
}

enum hg_verdict hg_gate_decide(const struct hg_gateconf *cfg, const char *xml,
			       size_t len, const char *expect_name,
			       char *reason, size_t rlen)
{
	char name[256] = "?";
	struct stat st;
	int bg = lstat(cfg->break_glass, &st) == 0 && S_ISREG(st.st_mode);
	enum hg_verdict v;

	snprintf(name, sizeof(name), "%s", expect_name ? expect_name : "?");
	v = decide(cfg, xml, len, expect_name, bg, name, sizeof(name), reason, rlen);
	if (bg) {
		syslog(LOG_ALERT, "domain=%s verdict=break-glass file=%s would-be=%s reason=%s",
		       name, cfg->break_glass, v == HG_ALLOW ? "allow" : "refuse", reason);
		return HG_BREAK_GLASS;
	}
	syslog(v == HG_ALLOW ? LOG_NOTICE : LOG_WARNING, "domain=%s verdict=%s reason=%s",
	       name, v == HG_ALLOW ? "allow" : "refuse", reason);
	return v;
}
