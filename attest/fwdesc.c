/* fwdesc.c: see fwdesc.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "../lib/util.h"
#include "domplan.h"
#include "fwdesc.h"

#define FWDESC_MAX (64u << 10)

const char *const hg_fwdesc_dirs[] = {
	"/root/.config/qemu/firmware",
	"/etc/qemu/firmware",
	"/usr/share/qemu/firmware",
	NULL,
};

struct walk {
	int (*fn)(void *, const char *, int);
	void *arg;
	int depth;
};

/* Every "filename" string, at any depth (mapping.executable.filename,
 * mapping.nvram-template.filename, mapping.filename, and whatever a
 * later schema adds): a superset of what libvirt may open. */
static int names(struct walk *w, struct json_object *o)
{
	int r = 0;

	if (++w->depth > 16)
		return -1;
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, v) {
			if (!strcmp(key, "filename") && json_object_is_type(v, json_type_string)) {
				const char *f = json_object_get_string(v);
				char *real = realpath(f, NULL);

				r = w->fn(w->arg, real ? real : f, 0);
				free(real);
			} else {
				r = names(w, v);
			}
			if (r)
				break;
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; !r && i < json_object_array_length(o); i++)
			r = names(w, json_object_array_get_idx(o, i));
	}
	w->depth--;
	return r;
}

int hg_fwdesc_each(int (*fn)(void *arg, const char *path, int is_desc), void *arg,
		   char *why, size_t whylen)
{
	struct walk w = { .fn = fn, .arg = arg };
	int ret = 0;

	for (size_t d = 0; !ret && hg_fwdesc_dirs[d]; d++) {
		char pat[PATH_MAX];
		glob_t g;
		int gr;

		snprintf(pat, sizeof(pat), "%s/*.json", hg_fwdesc_dirs[d]);
		memset(&g, 0, sizeof(g));
		gr = glob(pat, 0, NULL, &g);
		for (size_t i = 0; !ret && gr == 0 && i < g.gl_pathc; i++) {
			char *real = realpath(g.gl_pathv[i], NULL);
			uint8_t *buf = NULL;
			size_t len = 0;
			struct json_object *o = NULL;

			/* A link to /dev/null masks a lower descriptor of that
			 * name (fewer choices for libvirt): nothing to check. */
			if (real && !strcmp(real, "/dev/null")) {
				free(real);
				continue;
			}
			ret = fn(arg, real ? real : g.gl_pathv[i], 1);
			if (!ret && real && hg_read_file(real, FWDESC_MAX, 0, &buf, &len) < 0) {
				snprintf(why, whylen, "firmware descriptor %s: %s", real, strerror(errno));
				ret = -1;
			}
			/* An empty file masks a lower one: nothing to name. */
			if (!ret && real && len) {
				struct json_tokener *tok = json_tokener_new();

				if (tok && len < INT_MAX)
					o = json_tokener_parse_ex(tok, (const char *)buf, (int)len);
				if (!o || json_tokener_get_error(tok) != json_tokener_success) {
					snprintf(why, whylen, "firmware descriptor %s: not JSON", real);
					ret = -1;
				} else {
					ret = names(&w, o);
				}
				json_tokener_free(tok);
			}
			json_object_put(o);
			free(buf);
			free(real);
		}
		globfree(&g);
	}
	return ret;
}

struct cover {
	char *const *mf;
	size_t n;
	char *why;
	size_t whylen;
};

static int in_manifest(char *const *mf, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(mf[i], path))
			return 1;
	return 0;
}

static int cover_one(void *arg, const char *path, int is_desc)
{
	struct cover *c = arg;

	if (in_manifest(c->mf, c->n, path))
		return 0;
	snprintf(c->why, c->whylen, "<os firmware>: libvirt picks the firmware after the gate: %s %s is not in the host manifest",
		 is_desc ? "firmware descriptor" : "firmware file", path);
	return -1;
}

int hg_plan_covered(const struct hg_plan *p, char *const *mf, size_t n,
		    char *why, size_t whylen)
{
	struct cover c = { .mf = mf, .n = n, .why = why, .whylen = whylen };

	for (size_t i = 0; i < p->nmf; i++)
		if (!in_manifest(mf, n, p->mf[i].path)) {
			snprintf(why, whylen, "%s %s is not a file of the host manifest",
				 p->mf[i].what, p->mf[i].path);
			return -1;
		}
	return p->fw_auto ? hg_fwdesc_each(cover_one, &c, why, whylen) : 0;
}
