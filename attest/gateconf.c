/* gateconf.c: see gateconf.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/util.h"
#include "gateconf.h"
#include "opts.h"

#define GATECONF_MAX (64u << 10)

enum kind { K_STR, K_PATH, K_PCR, K_DIRS, K_MODE, K_NVRAM, K_UINT, K_URL };

static const struct key {
	const char *name, *env;
	enum kind kind;
	size_t off; /* of the char * (K_STR, K_PATH), the unsigned (K_UINT) */
	unsigned long min, max; /* K_UINT */
} keys[HG_K_COUNT] = {
	[HG_K_TCTI] = { "tcti", "HOSTGATE_TCTI", K_STR, offsetof(struct hg_gateconf, tcti) },
	[HG_K_STATE] = { "state", "HOSTGATE_STATE", K_PATH, offsetof(struct hg_gateconf, state) },
	[HG_K_LOG] = { "log", "HOSTGATE_LOG", K_PATH, offsetof(struct hg_gateconf, log) },
	[HG_K_PCR] = { "pcr", "HOSTGATE_PCR", K_PCR, 0 },
	[HG_K_MANIFEST] = { "manifest", "HOSTGATE_MANIFEST", K_PATH,
			    offsetof(struct hg_gateconf, manifest) },
	[HG_K_POLICY] = { "policy", "HOSTGATE_POLICY", K_PATH,
			  offsetof(struct hg_gateconf, policy) },
	[HG_K_VERIFIER] = { "verifier", "HOSTGATE_VERIFIER", K_PATH,
			    offsetof(struct hg_gateconf, verifier) },
	[HG_K_IMAGE_DIRS] = { "image-dirs", "HOSTGATE_IMAGE_DIRS", K_DIRS, 0 },
	[HG_K_GOLDEN_DIRS] = { "golden-dirs", "HOSTGATE_GOLDEN_DIRS", K_DIRS, 0 },
	[HG_K_BREAK_GLASS] = { "break-glass", "HOSTGATE_BREAK_GLASS", K_PATH,
			       offsetof(struct hg_gateconf, break_glass) },
	[HG_K_MODE] = { "mode", "HOSTGATE_MODE", K_MODE, 0 },
	[HG_K_NVRAM] = { "nvram", "HOSTGATE_NVRAM", K_NVRAM, 0 },
	[HG_K_QEMU_CMDLINE] = { "qemu-commandline", "HOSTGATE_QEMU_COMMANDLINE", K_STR,
				offsetof(struct hg_gateconf, qemu_commandline) },
	[HG_K_AGENT_LISTEN] = { "agent-listen", "HOSTGATE_AGENT_LISTEN", K_STR,
				offsetof(struct hg_gateconf, agent_listen) },
	[HG_K_AGENT_CERT] = { "agent-cert", "HOSTGATE_AGENT_CERT", K_PATH,
			      offsetof(struct hg_gateconf, agent_cert) },
	[HG_K_AGENT_KEY] = { "agent-key", "HOSTGATE_AGENT_KEY", K_PATH,
			     offsetof(struct hg_gateconf, agent_key) },
	[HG_K_AGENT_CLIENT_CA] = { "agent-client-ca", "HOSTGATE_AGENT_CLIENT_CA", K_PATH,
				   offsetof(struct hg_gateconf, agent_client_ca) },
	[HG_K_AGENT_MAX_CONNS] = { "agent-max-conns", "HOSTGATE_AGENT_MAX_CONNS", K_UINT,
				   offsetof(struct hg_gateconf, agent_max_conns), 1,
				   HG_AGENT_MAX_CONNS_MAX },
	[HG_K_AGENT_TIMEOUT] = { "agent-timeout", "HOSTGATE_AGENT_TIMEOUT", K_UINT,
				 offsetof(struct hg_gateconf, agent_timeout), 1,
				 HG_AGENT_TIMEOUT_MAX },
	[HG_K_VERIFIER_URL] = { "verifier-url", "HOSTGATE_VERIFIER_URL", K_URL,
				offsetof(struct hg_gateconf, verifier_url) },
	[HG_K_VERIFIER_CA] = { "verifier-ca", "HOSTGATE_VERIFIER_CA", K_PATH,
			       offsetof(struct hg_gateconf, verifier_ca) },
	[HG_K_VERIFIER_CERT] = { "verifier-cert", "HOSTGATE_VERIFIER_CERT", K_PATH,
				 offsetof(struct hg_gateconf, verifier_cert) },
	[HG_K_VERIFIER_KEY_FILE] = { "verifier-key-file", "HOSTGATE_VERIFIER_KEY_FILE", K_PATH,
				     offsetof(struct hg_gateconf, verifier_key_file) },
	[HG_K_VERIFIER_EAR_KEY] = { "verifier-ear-key", "HOSTGATE_VERIFIER_EAR_KEY", K_PATH,
				    offsetof(struct hg_gateconf, verifier_ear_key) },
	[HG_K_VERIFIER_TIMEOUT] = { "verifier-timeout", "HOSTGATE_VERIFIER_TIMEOUT", K_UINT,
				    offsetof(struct hg_gateconf, verifier_timeout), 1,
				    HG_VERIFIER_TIMEOUT_MAX },
};

const char *hg_conf_key_name(enum hg_conf_key k) { return keys[k].name; }
const char *hg_conf_key_env(enum hg_conf_key k) { return keys[k].env; }

static int set(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/* hostgate-verify beside this hostgate-attest: a hook has no PATH. */
static int default_verifier(char **dst)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0 || (size_t)n >= sizeof(self) - sizeof("hostgate-verify"))
		return set(dst, "/usr/bin/hostgate-verify");
	self[n] = '\0';
	slash = strrchr(self, '/');
	strcpy(slash + 1, "hostgate-verify");
	return set(dst, self);
}

int hg_gateconf_defaults(struct hg_gateconf *c)
{
	memset(c, 0, sizeof(*c));
	c->pcr = HG_DEFAULT_PCR;
	c->nimage_dirs = 1;
	c->agent_max_conns = HG_AGENT_MAX_CONNS_DEFAULT;
	c->agent_timeout = HG_AGENT_TIMEOUT_DEFAULT;
	c->verifier_timeout = HG_VERIFIER_TIMEOUT_DEFAULT;
	for (int k = 0; k < HG_K_COUNT; k++)
		strcpy(c->src[k], "default");
	strcpy(c->file_src, "default");
	if (set(&c->tcti, HG_DEFAULT_TCTI) < 0 || set(&c->state, HG_DEFAULT_STATE) < 0 ||
	    set(&c->log, HG_DEFAULT_LOG) < 0 ||
	    set(&c->policy, "/etc/hostgate/policy.json") < 0 ||
	    set(&c->manifest, "/etc/hostgate/host.manifest") < 0 ||
	    set(&c->break_glass, "/etc/hostgate/break-glass") < 0 ||
	    set(&c->image_dirs[0], "/var/lib/libvirt/images") < 0 ||
	    set(&c->agent_listen, HG_AGENT_LISTEN_DEFAULT) < 0 ||
	    set(&c->agent_cert, HG_AGENT_CERT_DEFAULT) < 0 ||
	    set(&c->agent_key, HG_AGENT_KEY_DEFAULT) < 0 ||
	    set(&c->agent_client_ca, HG_AGENT_CLIENT_CA_DEFAULT) < 0 ||
	    set(&c->verifier_ca, HG_VERIFIER_CA_DEFAULT) < 0 ||
	    set(&c->verifier_cert, HG_VERIFIER_CERT_DEFAULT) < 0 ||
	    set(&c->verifier_key_file, HG_VERIFIER_KEY_FILE_DEFAULT) < 0 ||
	    set(&c->verifier_ear_key, HG_VERIFIER_EAR_KEY_DEFAULT) < 0 ||
	    default_verifier(&c->verifier) < 0) {
		hg_err("out of memory");
		hg_gateconf_free(c);
		return -1;
	}
	return 0;
}

void hg_gateconf_free(struct hg_gateconf *c)
{
	free(c->tcti);
	free(c->state);
	free(c->log);
	free(c->policy);
	free(c->verifier);
	free(c->manifest);
	free(c->break_glass);
	free(c->qemu_commandline);
	free(c->agent_listen);
	free(c->agent_cert);
	free(c->agent_key);
	free(c->agent_client_ca);
	free(c->verifier_url);
	free(c->verifier_ca);
	free(c->verifier_cert);
	free(c->verifier_key_file);
	free(c->verifier_ear_key);
	for (size_t i = 0; i < c->nimage_dirs; i++)
		free(c->image_dirs[i]);
	for (size_t i = 0; i < c->ngolden_dirs; i++)
		free(c->golden_dirs[i]);
	memset(c, 0, sizeof(*c));
}

int hg_path_under(const char *path, char *const *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(dirs[i]);

		while (l > 1 && dirs[i][l - 1] == '/')
			l--;
		if (l == 1 && dirs[i][0] == '/')
			return path[0] == '/';
		if (!strncmp(path, dirs[i], l) && path[l] == '/')
			return 1;
	}
	return 0;
}

const char *hg_conf_value(const struct hg_gateconf *c, enum hg_conf_key k,
			  char *buf, size_t len)
{
	const struct key *d = &keys[k];
	char *const *dirs = k == HG_K_IMAGE_DIRS ? c->image_dirs : c->golden_dirs;
	size_t n = k == HG_K_IMAGE_DIRS ? c->nimage_dirs : c->ngolden_dirs, used = 0;

	buf[0] = '\0';
	switch (d->kind) {
	case K_STR:
	case K_URL:
	case K_PATH: {
		const char *v = *(char *const *)((const char *)c + d->off);

		snprintf(buf, len, "%s", v ? v : "");
		break;
	}
	case K_NVRAM:
		snprintf(buf, len, "%s", c->nvram_hashed ? "hashed" : "overlay");
		break;
	case K_PCR:
		snprintf(buf, len, "%u", (unsigned)c->pcr);
		break;
	case K_MODE:
		snprintf(buf, len, "%s", c->remote ? "remote" : "local");
		break;
	case K_UINT:
		snprintf(buf, len, "%u", *(const unsigned *)((const char *)c + d->off));
		break;
	case K_DIRS:
		for (size_t i = 0; i < n && used < len; i++)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ":" : "",
						 dirs[i]);
		break;
	}
	return buf;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* A colon-separated list of absolute directories, canonicalised: the
 * gate compares them with realpath()s of images. */
static const char *set_dirs(char **dirs, size_t *n, const char *value)
{
	char *save = NULL, *tok, *v = strdup(value);
	const char *why = NULL;

	if (!v)
		return "out of memory";
	for (size_t i = 0; i < *n; i++)
		free(dirs[i]);
	*n = 0;
	for (tok = strtok_r(v, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		char *r;

		if (tok[0] != '/') {
			why = "not an absolute directory";
			break;
		}
		if (*n == HG_GATE_MAX_DIRS) {
			why = "more than 16 directories";
			break;
		}
		r = realpath(tok, NULL);
		if (!r)
			r = strdup(tok); /* may appear later; compared as written */
		if (!r) {
			why = "out of memory";
			break;
		}
		dirs[(*n)++] = r;
	}
	free(v);
	return why;
}

/* The verifier's URL: https only (the gate never talks to it in the
 * clear), a host, no userinfo (credentials are the client certificate),
 * no query or fragment (the gate adds its own paths), printable ASCII. */
static const char *url_why(const char *v)
{
	const char *host = v + 8;
	size_t n = strlen(v);

	if (strncmp(v, "https://", 8))
		return "not an https:// URL";
	if (n > 1024)
		return "longer than 1024 bytes";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
			return "holds a space or a character that is not printable ASCII";
	if (!*host || *host == '/' || *host == ':')
		return "names no host";
	if (strpbrk(v, "@?#"))
		return "holds userinfo, a query or a fragment";
	return NULL;
}

/* Set key K to V; ABS: paths must be absolute (in a file, whose reader
 * may run with any working directory: the hook runs in libvirtd's). */
static const char *set_key(struct hg_gateconf *c, enum hg_conf_key k, const char *v, int abs)
{
	const struct key *d = &keys[k];
	static char why[64];
	unsigned long pcr, u;

	switch (d->kind) {
	case K_PATH:
		if (abs && v[0] != '/')
			return "not an absolute path";
		/* fall through */
	case K_STR:
		return set((char **)((char *)c + d->off), v) < 0 ? "out of memory" : NULL;
	case K_PCR:
		/* 0..15: PCRs 16 and 23 are resettable at locality 0 and
		 * 17..22 belong to DRTM (PC Client PTP §3.7.1). */
		if (hg_parse_uint(v, 15, &pcr) < 0)
			return "not a PCR number 0..15";
		c->pcr = (uint32_t)pcr;
		return NULL;
	case K_DIRS:
		if (!abs && !*v)
			return "empty value";
		return k == HG_K_IMAGE_DIRS ? set_dirs(c->image_dirs, &c->nimage_dirs, v)
					    : set_dirs(c->golden_dirs, &c->ngolden_dirs, v);
	case K_MODE:
		if (strcmp(v, "local") && strcmp(v, "remote"))
			return "not \"local\" or \"remote\"";
		c->remote = !strcmp(v, "remote");
		return NULL;
	case K_URL:
		return url_why(v) ?: (set((char **)((char *)c + d->off), v) < 0 ? "out of memory"
										    : NULL);
	case K_UINT:
		if (hg_parse_uint(v, d->max, &u) < 0 || u < d->min) {
			snprintf(why, sizeof(why), "not an integer in %lu..%lu", d->min, d->max);
			return why;
		}
		*(unsigned *)((char *)c + d->off) = (unsigned)u;
		return NULL;
	case K_NVRAM:
		if (strcmp(v, "overlay") && strcmp(v, "hashed"))
			return "not \"overlay\" or \"hashed\"";
		c->nvram_hashed = !strcmp(v, "hashed");
		return NULL;
	}
	return "unknown key";
}

static int find_key(const char *name)
{
	for (int k = 0; k < HG_K_COUNT; k++)
		if (!strcmp(name, keys[k].name))
			return k;
	return -1;
}

/* Read PATH's keys over C. SEEN (per key, across files) makes a second
 * mention an error naming the first. */
static int read_file(const char *path, struct hg_gateconf *c, int *seen, char *err,
		     size_t errlen)
{
	uint8_t *text = NULL;
	size_t len = 0;
	unsigned lineno = 0;
	int ret = -1;

	if (hg_read_file(path, GATECONF_MAX, 0, &text, &len) < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 errno == EFBIG ? "larger than 64 KiB" : hg_strerror_read(errno));
		goto out;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto out;
	}
	for (char *p = (char *)text, *end = (char *)text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *eq, *k, *v;
		const char *why;
		int ki;

		if (!nl) {
			snprintf(err, errlen, "%s: last line has no newline", path);
			goto out;
		}
		*nl = '\0';
		k = trim(p);
		p = nl + 1;
		lineno++;
		if (*k == '\0' || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: not \"key = value\"", path, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if ((ki = find_key(k)) < 0) {
			snprintf(err, errlen, "%s:%u: %s: unknown key", path, lineno, k);
			goto out;
		}
		if (seen[ki]) {
			if (strncmp(c->src[ki], path, strlen(path)) ||
			    c->src[ki][strlen(path)] != ':')
				snprintf(err, errlen, "%s:%u: %s: given twice (first in %s)", path,
					 lineno, k, c->src[ki]);
			else
				snprintf(err, errlen, "%s:%u: %s: given twice", path, lineno, k);
			goto out;
		}
		if (*v == '\0') {
			snprintf(err, errlen, "%s:%u: %s: empty value", path, lineno, k);
			goto out;
		}
		if ((why = set_key(c, (enum hg_conf_key)ki, v, 1))) {
			snprintf(err, errlen, "%s:%u: %s: %s", path, lineno, k, why);
			goto out;
		}
		seen[ki] = 1;
		snprintf(c->src[ki], sizeof(c->src[ki]), "%s:%u", path, lineno);
	}
	ret = 0;
out:
	free(text);
	return ret;
}

/* What no single key can say: remote mode has no default verifier. */
static int cross_check(const struct hg_gateconf *c, char *err, size_t errlen)
{
	if (c->remote && !c->verifier_url) {
		snprintf(err, errlen, "verifier-url: not set, and mode = remote (%s) needs it",
			 c->src[HG_K_MODE]);
		return -1;
	}
	return 0;
}

int hg_gateconf_read(const char *path, struct hg_gateconf *c, char *err, size_t errlen)
{
	int seen[HG_K_COUNT] = { 0 };

	err[0] = '\0';
	if (hg_gateconf_defaults(c) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(c->file, sizeof(c->file), "%s", path);
	if (read_file(path, c, seen, err, errlen) < 0 || cross_check(c, err, errlen) < 0) {
		hg_gateconf_free(c);
		return -1;
	}
	return 0;
}

int hg_gateconf_load(const char *path, struct hg_gateconf *c)
{
	char err[512];
	int r = hg_gateconf_read(path, c, err, sizeof(err));

	if (r < 0)
		hg_err("%s", err);
	return r;
}

/* Once per process: the old file still works, but says it is old. */
static void deprecated(const char *what, const char *instead)
{
	static int said;

	if (said)
		return;
	said = 1;
	hg_err("warning: %s is deprecated: %s (docs/configuration.md)", what, instead);
}

static const char *env_of(const char *name)
{
	const char *e = getenv(name);

	return e && *e ? e : NULL;
}

int hg_conf_resolve(const struct hg_conf_args *a, struct hg_gateconf *c, char *err,
		    size_t errlen)
{
	int seen[HG_K_COUNT] = { 0 }, k, ret = -1;
	const char *file = NULL, *v;

	err[0] = '\0';
	if (hg_gateconf_defaults(c) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The file: a named one must exist; of the defaults, whichever do. */
	if (a && a->config) {
		file = a->config;
		snprintf(c->file_src, sizeof(c->file_src), "option --config");
	} else if ((file = env_of("HOSTGATE_CONFIG"))) {
		snprintf(c->file_src, sizeof(c->file_src), "env HOSTGATE_CONFIG");
	} else if ((file = env_of("HOSTGATE_GATE_CONF"))) {
		snprintf(c->file_src, sizeof(c->file_src), "env HOSTGATE_GATE_CONF (deprecated)");
		deprecated("HOSTGATE_GATE_CONF", "use HOSTGATE_CONFIG");
	}
	if (file && !*file) {
		snprintf(err, errlen, "--config: empty file name");
		goto bad;
	}
	if (file) {
		if (!strcmp(file, HG_GATECONF_DEFAULT))
			deprecated(HG_GATECONF_DEFAULT, "move its keys into " HG_CONF_DEFAULT);
		snprintf(c->file, sizeof(c->file), "%s", file);
		if (read_file(file, c, seen, err, errlen) < 0)
			goto bad;
	} else {
		/* The old gate.conf first, as if included at the top. */
		if (access(HG_GATECONF_DEFAULT, F_OK) == 0) {
			deprecated(HG_GATECONF_DEFAULT, "move its keys into " HG_CONF_DEFAULT);
			snprintf(c->file, sizeof(c->file), "%s", HG_GATECONF_DEFAULT);
			if (read_file(HG_GATECONF_DEFAULT, c, seen, err, errlen) < 0)
				goto bad;
		}
		if (access(HG_CONF_DEFAULT, F_OK) == 0) {
			size_t l = strlen(c->file);

			snprintf(c->file + l, sizeof(c->file) - l, "%s%s", l ? " + " : "",
				 HG_CONF_DEFAULT);
			if (read_file(HG_CONF_DEFAULT, c, seen, err, errlen) < 0)
				goto bad;
		}
	}
	/* The environment over the file. */
	for (k = 0; k < HG_K_COUNT; k++) {
		const char *name = keys[k].env, *why;

		v = env_of(name);
		if (!v && k == HG_K_TCTI && (v = env_of("TPM2TOOLS_TCTI")))
			name = "TPM2TOOLS_TCTI";
		if (!v)
			continue;
		if ((why = set_key(c, (enum hg_conf_key)k, v, 0))) {
			if (k == HG_K_PCR)
				snprintf(err, errlen, "%s: \"%s\" is not a PCR in 0..15", name, v);
			else
				snprintf(err, errlen, "%s: %s", name, why);
			goto bad;
		}
		snprintf(c->src[k], sizeof(c->src[k]), "env %s", name);
	}
	/* The command line over everything. */
	for (k = 0; a && k < HG_K_COUNT; k++) {
		const char *why, *name = a->optname[k] ? a->optname[k] : keys[k].name;

		if (!(v = a->opt[k]))
			continue;
		if (!*v) {
			snprintf(err, errlen, "%s: empty value", name);
			goto bad;
		}
		if ((why = set_key(c, (enum hg_conf_key)k, v, 0))) {
			if (k == HG_K_PCR)
				snprintf(err, errlen, "%s: \"%s\" is not a PCR in 0..15", name, v);
			else
				snprintf(err, errlen, "%s: %s", name, why);
			goto bad;
		}
		snprintf(c->src[k], sizeof(c->src[k]), "option %s", name);
	}
	if (cross_check(c, err, errlen) < 0)
		goto bad;
	ret = 0;
bad:
	if (ret < 0)
		hg_gateconf_free(c);
	return ret;
}
