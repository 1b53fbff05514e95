/* gateconf.h: hostgate's one configuration, /etc/hostgate/hostgate.conf,
 * read by every hostgate-attest command, the gate and the units
 * (docs/configuration.md is the reference: every key, its environment
 * variable, option and default).
 *
 * libvirt runs hooks with an empty environment and no arguments of ours,
 * so everything the gate needs can live in this file:
 *
 *   # comment
 *   key = value
 *
 * Keys: tcti, state, log, pcr (as the common options), policy, verifier,
 * image-dirs, golden-dirs (colon-separated absolute directories),
 * manifest, break-glass, mode ("local" or "remote"), nvram ("overlay"
 * or "hashed"), qemu-commandline (the exact qemu:commandline arguments
 * allowed, space-separated); the agent's (hostgate-attest agent,
 * docs/agent.md): agent-listen (HOST:PORT), agent-cert, agent-key,
 * agent-client-ca (paths), agent-max-conns, agent-timeout (integers);
 * the gate in remote mode (docs/gate.md "Remote mode", gateremote.h):
 * verifier-url (https://...), verifier-ca, verifier-cert,
 * verifier-key-file, verifier-ear-key (paths), verifier-timeout (seconds).
 * mode = remote without verifier-url is an error naming verifier-url.
 * Unknown keys,
 * duplicate keys, relative paths, empty values and lines that are not
 * `key = value` are errors naming FILE:LINE, so a typo never silently
 * weakens the gate.
 *
 * Precedence, per key (hg_conf_resolve()): command-line option, then
 * environment variable (HOSTGATE_<KEY>, '-' as '_'; tcti also
 * TPM2TOOLS_TCTI after HOSTGATE_TCTI), then the file, then the built-in
 * default. Each key remembers where its value came from, for
 * `hostgate-attest config`.
 *
 * The file: --config FILE, else HOSTGATE_CONFIG, else (deprecated)
 * HOSTGATE_GATE_CONF, else /etc/hostgate/hostgate.conf. A file named by
 * option or environment must exist. Of the default, a missing file means
 * defaults; the old /etc/hostgate/gate.conf, if present, is still read,
 * as if included before hostgate.conf (a key in both is a duplicate), with
 * one deprecation line per process (stderr, or syslog in the hook).
 *
 * Contract: hg_gateconf_load()/read() read one named file over the
 * defaults, without environment (the unit tests' and the old callers'
 * view). The strings are owned by the struct (hg_gateconf_free()). A file
 * is read whole, at most 64 KiB.
 */
#ifndef HG_GATECONF_H
#define HG_GATECONF_H

#include <stddef.h>
#include <stdint.h>

#define HG_CONF_DEFAULT "/etc/hostgate/hostgate.conf"
#define HG_GATECONF_DEFAULT "/etc/hostgate/gate.conf" /* deprecated */
#define HG_GATE_MAX_DIRS 16
#define HG_CONF_SRC_MAX 320

/* The keys, in the order `config` prints them. */
enum hg_conf_key {
	HG_K_TCTI, HG_K_STATE, HG_K_LOG, HG_K_PCR, HG_K_MANIFEST, HG_K_POLICY,
	HG_K_VERIFIER, HG_K_IMAGE_DIRS, HG_K_GOLDEN_DIRS, HG_K_BREAK_GLASS,
	HG_K_MODE, HG_K_NVRAM, HG_K_QEMU_CMDLINE, HG_K_AGENT_LISTEN,
	HG_K_AGENT_CERT, HG_K_AGENT_KEY, HG_K_AGENT_CLIENT_CA,
	HG_K_AGENT_MAX_CONNS, HG_K_AGENT_TIMEOUT, HG_K_VERIFIER_URL,
	HG_K_VERIFIER_CA, HG_K_VERIFIER_CERT, HG_K_VERIFIER_KEY_FILE,
	HG_K_VERIFIER_EAR_KEY, HG_K_VERIFIER_TIMEOUT, HG_K_COUNT
};

/* The agent's defaults (docs/agent.md). */
#define HG_AGENT_LISTEN_DEFAULT "0.0.0.0:8443"
#define HG_AGENT_CERT_DEFAULT "/etc/hostgate/agent.pem"
#define HG_AGENT_KEY_DEFAULT "/etc/hostgate/agent.key"
#define HG_AGENT_CLIENT_CA_DEFAULT "/etc/hostgate/verifier-ca.pem"
#define HG_AGENT_MAX_CONNS_DEFAULT 16
#define HG_AGENT_MAX_CONNS_MAX 1024
#define HG_AGENT_TIMEOUT_DEFAULT 10
#define HG_AGENT_TIMEOUT_MAX 600

/* The gate's verifier in remote mode (docs/gate.md "Remote mode"). A
 * libvirt hook holds up libvirtd's start of the domain, so the whole
 * exchange is bounded: at most HG_VERIFIER_TIMEOUT_MAX seconds. */
#define HG_VERIFIER_CA_DEFAULT "/etc/hostgate/verifier-ca.pem"
#define HG_VERIFIER_CERT_DEFAULT "/etc/hostgate/host.pem"
#define HG_VERIFIER_KEY_FILE_DEFAULT "/etc/hostgate/host.key"
#define HG_VERIFIER_EAR_KEY_DEFAULT "/etc/hostgate/verifier-ear.pem"
#define HG_VERIFIER_TIMEOUT_DEFAULT 10
#define HG_VERIFIER_TIMEOUT_MAX 120

struct hg_gateconf {
	char *tcti, *state, *log, *policy, *verifier, *manifest, *break_glass;
	uint32_t pcr;
	size_t nimage_dirs, ngolden_dirs;
	char *image_dirs[HG_GATE_MAX_DIRS];
	char *golden_dirs[HG_GATE_MAX_DIRS];
	/* nvram = hashed: a domain's nvram is hashed as a golden image
	 * (default overlay: recorded by path). */
	int nvram_hashed;
	/* qemu-commandline: the one qemu:commandline argument list allowed,
	 * joined by single spaces (NULL: none allowed). */
	char *qemu_commandline;
	/* The agent: where it listens, its TLS files, its bounds. */
	char *agent_listen, *agent_cert, *agent_key, *agent_client_ca;
	unsigned agent_max_conns, agent_timeout; /* seconds */
	/* mode = remote: the gate asks the verifier service (gateremote.h)
	 * instead of running hostgate-verify check itself. */
	int remote;
	char *verifier_url, *verifier_ca, *verifier_cert, *verifier_key_file;
	char *verifier_ear_key;
	unsigned verifier_timeout; /* seconds, the whole exchange */
	/* Where each key's value came from: "default", "option --tcti",
	 * "env HOSTGATE_TCTI", "FILE:LINE". */
	char src[HG_K_COUNT][HG_CONF_SRC_MAX];
	/* The file(s) read ("" if none) and how they were chosen. */
	char file[2 * HG_CONF_SRC_MAX];
	char file_src[HG_CONF_SRC_MAX];
};

/* What the command line gave: --config and per-key option values (NULL:
 * not given), each with the option's name for the source column. */
struct hg_conf_args {
	const char *config;
	const char *opt[HG_K_COUNT];
	const char *optname[HG_K_COUNT];
};

/* Key name and environment variable of K (for `config` and docs). */
const char *hg_conf_key_name(enum hg_conf_key k);
const char *hg_conf_key_env(enum hg_conf_key k);
/* The effective value of K as text, into BUF. */
const char *hg_conf_value(const struct hg_gateconf *c, enum hg_conf_key k,
			  char *buf, size_t len);

/* Defaults, then the file, then the environment, then ARGS (may be NULL).
 * -1 with one error line in ERR naming the file:line, variable or option. */
int hg_conf_resolve(const struct hg_conf_args *args, struct hg_gateconf *c,
		    char *err, size_t errlen);

/* Defaults only (no file). */
int hg_gateconf_defaults(struct hg_gateconf *c);
/* Defaults, then PATH; -1 with one error line if PATH is missing or bad. */
int hg_gateconf_load(const char *path, struct hg_gateconf *c);
/* As hg_gateconf_load(), but the error line goes to ERR, not stderr. */
int hg_gateconf_read(const char *path, struct hg_gateconf *c, char *err,
		     size_t errlen);
void hg_gateconf_free(struct hg_gateconf *c);
/* 1 if the canonical PATH lies under one of DIRS (whole components). */
int hg_path_under(const char *path, char *const *dirs, size_t n);

#endif
