/* domexplain.c: see domexplain.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "domexplain.h"
#include "domxml.h"

struct line {
	const char *s;
	size_t n;
};

static int line_cmp(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

static struct line *split(const char *s, size_t len, size_t *n)
{
	size_t cap = 1;
	struct line *v;

	for (size_t i = 0; i < len; i++)
		cap += s[i] == '\n';
	v = calloc(cap, sizeof(*v));
	if (!v)
		return NULL;
	*n = 0;
	for (const char *p = s, *end = s + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			nl = end;
		v[(*n)++] = (struct line){ p, (size_t)(nl - p) };
		p = nl + 1;
	}
	qsort(v, *n, sizeof(*v), line_cmp);
	return v;
}

/* The path of a line: the text before its first '='. */
static size_t path_len(const struct line *l)
{
	const char *eq = memchr(l->s, '=', l->n);

	return eq ? (size_t)(eq - l->s) : l->n;
}

/* Sorted, the lines of one path are adjacent in the merge, so a path is
 * new exactly when it differs from the previous differing line's. */
static int same_path(const struct line *a, const struct line *b)
{
	return a && path_len(a) == path_len(b) && !memcmp(a->s, b->s, path_len(a));
}

static void add_path(const struct line *l, char *out, size_t outlen, size_t listed)
{
	size_t used = strlen(out), pn = path_len(l);

	if (pn > 400)
		pn = 400;
	snprintf(out + used, outlen - used, "%s%.*s", listed ? ", " : "", (int)pn, l->s);
}

size_t hg_explain_diff(const char *old, size_t oldlen, const char *new_,
		       size_t newlen, char *out, size_t outlen, size_t max)
{
	struct line *a = NULL, *b = NULL;
	const struct line *prev = NULL;
	size_t na = 0, nb = 0, i = 0, j = 0, paths = 0;

	out[0] = '\0';
	a = split(old, oldlen, &na);
	b = split(new_, newlen, &nb);
	if (!a || !b)
		goto out;
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : line_cmp(&a[i], &b[j]);
		const struct line *l;

		if (c == 0) {
			i++;
			j++;
			continue;
		}
		l = c < 0 ? &a[i++] : &b[j++];
		if (same_path(prev, l))
			continue;
		if (paths < max)
			add_path(l, out, outlen, paths);
		paths++;
		prev = l;
	}
out:
	free(a);
	free(b);
	return paths;
}

static int saved_path(char *buf, size_t len, const char *state, const char *name)
{
	return (size_t)snprintf(buf, len, "%s/domains/%s.canon", state, name) >= len ? -1 : 0;
}

void hg_explain_remember(const char *state, const char *name,
			 const char *canon, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX];

	if ((size_t)snprintf(dir, sizeof(dir), "%s/domains", state) >= sizeof(dir) ||
	    saved_path(path, sizeof(path), state, name) < 0 || hg_mkdir_p(dir, 0700) < 0)
		return;
	(void)hg_write_file_atomic(path, canon, len, 0600);
}

void hg_explain_config(const char *state, const char *name, const char *canon,
		       size_t len, const char *cfgname, char *reason, size_t rlen)
{
	char path[PATH_MAX], list[1024];
	uint8_t *old = NULL;
	size_t oldlen = 0, n, used;

	if (!strstr(reason, cfgname) || saved_path(path, sizeof(path), state, name) < 0 ||
	    hg_read_file(path, HG_DOMXML_MAX_OUT, 1, &old, &oldlen) < 0)
		goto out;
	n = hg_explain_diff((const char *)old, oldlen, canon, len, list, sizeof(list),
			    HG_EXPLAIN_MAX_PATHS);
	if (n == 0)
		goto out;
	used = strlen(reason);
	snprintf(reason + used, rlen - used, " (changed since the last allowed start: %s%s)",
		 list, n > HG_EXPLAIN_MAX_PATHS ? ", ..." : "");
out:
	free(old);
}
