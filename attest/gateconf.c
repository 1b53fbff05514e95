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
	if (set(&c->tcti, HG_DEFAULT_TCTI) < 0 || set(&c->state, HG_DEFAULT_STATE) < 0 ||
	    set(&c->log, HG_DEFAULT_LOG) < 0 ||
	    set(&c->policy, "/etc/hostgate/policy.json") < 0 ||
	    set(&c->manifest, "/etc/hostgate/host.manifest") < 0 ||
	    set(&c->break_glass, "/etc/hostgate/break-glass") < 0 ||
	    set(&c->image_dirs[0], "/var/lib/libvirt/images") < 0 ||
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
static const char *set_dirs(char **dirs, size_t *n, char *v)
{
	char *save = NULL, *tok;

	for (size_t i = 0; i < *n; i++)
		free(dirs[i]);
	*n = 0;
	for (tok = strtok_r(v, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		char *r;

		if (tok[0] != '/')
			return "not an absolute directory";
		if (*n == HG_GATE_MAX_DIRS)
			return "more than 16 directories";
		r = realpath(tok, NULL);
		if (!r)
			r = strdup(tok); /* may appear later; compared as written */
		if (!r)
			return "out of memory";
		dirs[(*n)++] = r;
	}
	return NULL;
}

static const char *set_key(struct hg_gateconf *c, const char *k, char *v)
{
	static const struct { const char *key; size_t off; int abs; } paths[] = {
		{ "state", offsetof(struct hg_gateconf, state), 1 },
		{ "log", offsetof(struct hg_gateconf, log), 1 },
		{ "policy", offsetof(struct hg_gateconf, policy), 1 },
		{ "verifier", offsetof(struct hg_gateconf, verifier), 1 },
		{ "manifest", offsetof(struct hg_gateconf, manifest), 1 },
		{ "break-glass", offsetof(struct hg_gateconf, break_glass), 1 },
		{ "tcti", offsetof(struct hg_gateconf, tcti), 0 },
	};
	unsigned long pcr;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (strcmp(k, paths[i].key))
			continue;
		if (paths[i].abs && v[0] != '/')
			return "not an absolute path";
		return set((char **)((char *)c + paths[i].off), v) < 0 ? "out of memory" : NULL;
	}
	if (!strcmp(k, "pcr")) {
		/* 0..15 as --pcr: never a PCR an unprivileged locality resets. */
		if (hg_parse_uint(v, 15, &pcr) < 0)
			return "not a PCR number 0..15";
		c->pcr = (uint32_t)pcr;
		return NULL;
	}
	if (!strcmp(k, "image-dirs"))
		return set_dirs(c->image_dirs, &c->nimage_dirs, v);
	if (!strcmp(k, "golden-dirs"))
		return set_dirs(c->golden_dirs, &c->ngolden_dirs, v);
	if (!strcmp(k, "nvram")) {
		if (strcmp(v, "overlay") && strcmp(v, "hashed"))
			return "not \"overlay\" or \"hashed\"";
		c->nvram_hashed = !strcmp(v, "hashed");
		return NULL;
	}
	if (!strcmp(k, "qemu-commandline"))
		return set(&c->qemu_commandline, v) < 0 ? "out of memory" : NULL;
	if (!strcmp(k, "mode"))
		return strcmp(v, "local") ? "only \"local\" is supported" : NULL;
	return "unknown key";
}

int hg_gateconf_read(const char *path, struct hg_gateconf *c, char *err, size_t errlen)
{
	static const char *const keys[] = {
		"state", "log", "policy", "verifier", "manifest", "break-glass",
		"tcti", "pcr", "image-dirs", "golden-dirs", "mode", "nvram",
		"qemu-commandline",
	};
	unsigned seen = 0;
	uint8_t *text = NULL;
	size_t len = 0;
	char *line;
	unsigned lineno = 0;
	int ret = -1;

	err[0] = '\0';
	if (hg_gateconf_defaults(c) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (hg_read_file(path, GATECONF_MAX, 0, &text, &len) < 0) {
		snprintf(err, errlen, "%s: %s", path, errno == EFBIG ? "larger than 64 KiB" : strerror(errno));
		goto out;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto out;
	}
	for (char *p = (char *)text, *end = (char *)text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *eq, *k, *v;
		const char *why;
		size_t ki;

		if (!nl) {
			snprintf(err, errlen, "%s: last line has no newline", path);
			goto out;
		}
		*nl = '\0';
		line = p;
		p = nl + 1;
		lineno++;
		k = trim(line);
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
		for (ki = 0; ki < sizeof(keys) / sizeof(keys[0]); ki++)
			if (!strcmp(k, keys[ki]))
				break;
		if (ki < sizeof(keys) / sizeof(keys[0]) && (seen & (1u << ki))) {
			snprintf(err, errlen, "%s:%u: %s: given twice", path, lineno, k);
			goto out;
		}
		if (*v == '\0') {
			snprintf(err, errlen, "%s:%u: %s: empty value", path, lineno, k);
			goto out;
		}
		if ((why = set_key(c, k, v))) {
			snprintf(err, errlen, "%s:%u: %s: %s", path, lineno, k, why);
			goto out;
		}
		seen |= 1u << ki;
	}
	ret = 0;
out:
	free(text);
	if (ret < 0)
		hg_gateconf_free(c);
	return ret;
}

int hg_gateconf_load(const char *path, struct hg_gateconf *c)
{
	char err[512];
	int r = hg_gateconf_read(path, c, err, sizeof(err));

	if (r < 0)
		hg_err("%s", err);
	return r;
}
