/* policydom.c: see policydom.h. */
#include "policydom.h"
#include "jsonstrict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad_name(const char *s)
{
	if (!*s || s[0] == '.' || strchr(s, '/') || strlen(s) > 255)
		return 1;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int bad_path(const char *s)
{
	if (s[0] != '/' || strlen(s) > 4096)
		return 1;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int parse_one(const char *name, json_t *o, struct hg_policy_domain *d,
		     char *why, size_t whylen)
{
	json_t *imgs = NULL, *val;
	const char *key;
	size_t n;

	if (!json_is_object(o)) {
		snprintf(why, whylen, "$.domains[\"%.100s\"]: not an object", name);
		return -1;
	}
	hg_jobj_foreach(o, key, val) {
		if (strcmp(key, "images") && strcmp(key, "comment")) {
			snprintf(why, whylen, "$.domains[\"%.100s\"]: unknown key \"%.60s\"", name, key);
			return -1;
		}
	}
	if (!(imgs = hg_jobj_get(o, "images")) || !json_is_array(imgs)) {
		snprintf(why, whylen, "$.domains[\"%.100s\"].images: missing or not a list", name);
		return -1;
	}
	n = json_array_size(imgs);
	d->images = calloc(n ? n : 1, sizeof(*d->images));
	if (!d->images) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(imgs, i);
		const char *s = json_string_value(v);

		if (!s || bad_path(s)) {
			snprintf(why, whylen, "$.domains[\"%.100s\"].images[%zu]: not an absolute path", name, i);
			return -1;
		}
		if (hg_policy_domain_allows(d, s)) {
			snprintf(why, whylen, "$.domains[\"%.100s\"].images[%zu]: given twice", name, i);
			return -1;
		}
		if (!(d->images[d->nimages] = strdup(s))) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		d->nimages++;
	}
	return 0;
}

int hg_policy_domains_parse(struct json_t *o, struct hg_policy_domains *out,
			    char *why, size_t whylen)
{
	const char *name;
	json_t *val;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(o)) {
		snprintf(why, whylen, "$.domains: not an object");
		return -1;
	}
	out->present = 1;
	n = json_object_size(o);
	out->d = calloc(n ? n : 1, sizeof(*out->d));
	if (!out->d) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	hg_jobj_foreach(o, name, val) {
		struct hg_policy_domain *d = &out->d[out->n];

		if (bad_name(name)) {
			snprintf(why, whylen, "$.domains[\"%.100s\"]: not a domain name", name);
			goto fail;
		}
		if (!(d->name = strdup(name))) {
			snprintf(why, whylen, "out of memory");
			goto fail;
		}
		out->n++;
		if (parse_one(name, val, d, why, whylen) < 0)
			goto fail;
	}
	return 0;
fail:
	hg_policy_domains_free(out);
	return -1;
}

const struct hg_policy_domain *hg_policy_domain_find(const struct hg_policy_domains *ds,
						     const char *name)
{
	for (size_t i = 0; i < ds->n; i++)
		if (!strcmp(ds->d[i].name, name))
			return &ds->d[i];
	return NULL;
}

int hg_policy_domain_allows(const struct hg_policy_domain *d, const char *image)
{
	for (size_t i = 0; i < d->nimages; i++)
		if (!strcmp(d->images[i], image))
			return 1;
	return 0;
}

int hg_policy_domain_of_config(const char *config, char *buf, size_t len)
{
	static const char pre[] = "/etc/libvirt/qemu/";
	size_t l = strlen(config), p = sizeof(pre) - 1;

	if (l <= p + 4 || strncmp(config, pre, p) || strcmp(config + l - 4, ".xml") ||
	    l - p - 4 >= len)
		return -1;
	memcpy(buf, config + p, l - p - 4);
	buf[l - p - 4] = '\0';
	return bad_name(buf) ? -1 : 0;
}

void hg_policy_domains_free(struct hg_policy_domains *ds)
{
	for (size_t i = 0; ds->d && i < ds->n; i++) {
		for (size_t k = 0; k < ds->d[i].nimages; k++)
			free(ds->d[i].images[k]);
		free(ds->d[i].images);
		free(ds->d[i].name);
	}
	free(ds->d);
	memset(ds, 0, sizeof(*ds));
}
