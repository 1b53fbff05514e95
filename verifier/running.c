/* running.c: see running.h. */
#include "running.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/cel.h"
#include "../lib/util.h"
#include "jsonstrict.h"

static int cmp_uuid(const void *a, const void *b)
{
	return memcmp(a, b, HG_UUID_LEN);
}

int hv_running_parse(const char *text, size_t len, struct hv_running *out,
		     char *err, size_t errlen)
{
	struct hg_json_err *je = NULL;
	json_t *root = NULL;
	uint8_t *sorted = NULL;
	size_t n;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	je = malloc(sizeof(*je));
	if (!je) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (hg_json_strict_parse(text, len, HV_RUNNING_MAX_BYTES, &root, je) < 0) {
		char shown[HG_JSON_PATH_SHOW];

		snprintf(err, errlen, "%u:%u: %s: %s", je->line, je->column,
			 hg_json_path_show(je->path, shown), je->reason);
		goto out;
	}
	if (!json_is_array(root)) {
		snprintf(err, errlen, "$: not an array of running domains");
		goto out;
	}
	n = json_array_size(root);
	if (n > HV_RUNNING_MAX) {
		snprintf(err, errlen, "$: more than %d running domains", HV_RUNNING_MAX);
		goto out;
	}
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	sorted = calloc(n ? n : 1, HG_UUID_LEN);
	if (!out->v || !sorted) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *d = json_array_get(root, i), *name, *uuid, *id;
		struct hv_running_dom *r = &out->v[i];
		size_t nl;

		if (!json_is_object(d)) {
			snprintf(err, errlen, "$[%zu]: not an object", i);
			goto out;
		}
		name = hg_jobj_get(d, "name");
		uuid = hg_jobj_get(d, "uuid");
		id = hg_jobj_get(d, "id");
		if (!name || !json_is_string(name) || (nl = json_string_length(name)) == 0 ||
		    nl > HG_CEL_MAX_DOMAIN) {
			snprintf(err, errlen, "$[%zu].name: missing, or not a string of 1..%d bytes",
				 i, HG_CEL_MAX_DOMAIN);
			goto out;
		}
		if (!uuid || !json_is_string(uuid) ||
		    hg_uuid_parse(json_string_value(uuid), json_string_length(uuid), r->uuid) < 0) {
			snprintf(err, errlen, "$[%zu].uuid: missing, or not a UUID (8-4-4-4-12 hex digits)", i);
			goto out;
		}
		if (id && !json_is_integer(id) && !json_is_null(id)) {
			snprintf(err, errlen, "$[%zu].id: not an integer or null", i);
			goto out;
		}
		r->name = strndup(json_string_value(name), nl);
		if (!r->name) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		out->n++;
		memcpy(sorted + i * HG_UUID_LEN, r->uuid, HG_UUID_LEN);
	}
	if (n)
		qsort(sorted, n, HG_UUID_LEN, cmp_uuid);
	for (size_t i = 1; i < n; i++)
		if (!memcmp(sorted + (i - 1) * HG_UUID_LEN, sorted + i * HG_UUID_LEN, HG_UUID_LEN)) {
			char u[HG_UUID_TEXT + 1];

			hg_uuid_format(sorted + i * HG_UUID_LEN, u);
			snprintf(err, errlen, "$: UUID %s is listed twice", u);
			goto out;
		}
	ret = 0;
out:
	if (ret < 0)
		hv_running_free(out);
	free(sorted);
	free(je);
	json_decref(root);
	return ret;
}

int hv_running_load(const char *path, struct hv_running *out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[512];
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (hg_read_file(path, HV_RUNNING_MAX_BYTES, 0, &buf, &len) < 0) {
		hg_err("%s: %s", path, errno == EFBIG ? "larger than 1 MiB"
						      : hg_strerror_read(errno));
		goto out;
	}
	if (hv_running_parse((const char *)buf, len, out, err, sizeof(err)) < 0) {
		hg_err("%s: running: %s", path, err);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

void hv_running_free(struct hv_running *r)
{
	for (size_t i = 0; r->v && i < r->n; i++)
		free(r->v[i].name);
	free(r->v);
	memset(r, 0, sizeof(*r));
}
